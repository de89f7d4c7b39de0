"""Scans in, as greyscale pages: multi-page PDFs (rasterised with pdfium) and PNG/JPEG/TIFF
images. A file that cannot be read becomes a recorded problem, never a stopped batch."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

#: Rasterising a PDF at 200 dpi keeps a 6.5 pt bubble 36 px wide: plenty, and fast.
PDF_DPI = 200
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
MAX_PIXELS = 60_000_000  # an A4 page at 600 dpi is 35 Mpx; more is not a scan
#: A scanned image file is a few MB; a larger one is refused before any decoder sees it.
MAX_IMAGE_BYTES = 80_000_000


@dataclass(frozen=True)
class ScanPage:
    source: str  # the file name as given
    index: int  # 1-based page within the file
    image: np.ndarray | None  # uint8 greyscale; None when unreadable
    problem: str = ""


def _pdf_pages(path: Path) -> Iterator[ScanPage]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except Exception as error:  # pdfium raises its own PdfiumError and OSError
        yield ScanPage(str(path), 1, None, f"unreadable PDF ({error})")
        return
    try:
        for index in range(len(document)):
            page = document[index]
            width, height = page.get_size()
            if width * height * (PDF_DPI / 72) ** 2 > MAX_PIXELS:
                yield ScanPage(str(path), index + 1, None, "page too large for a scan")
                continue
            bitmap = page.render(scale=PDF_DPI / 72, grayscale=True)
            array = np.array(bitmap.to_numpy(), dtype=np.uint8)
            if array.ndim == 3:
                array = cv2.cvtColor(array, cv2.COLOR_BGR2GRAY)
            yield ScanPage(str(path), index + 1, np.ascontiguousarray(array))
    finally:
        document.close()


def _image_pages(path: Path) -> Iterator[ScanPage]:
    """A scanned image's pages: its one page, or every page of a TIFF (office scanners write
    a batch of pages as one TIFF). The file is read and decoded once."""
    try:
        if path.stat().st_size > MAX_IMAGE_BYTES:
            yield ScanPage(str(path), 1, None, "file too large for a scanned page")
            return
        data = np.frombuffer(path.read_bytes(), dtype=np.uint8)
    except OSError as error:
        yield ScanPage(str(path), 1, None, f"cannot read the file ({error.strerror})")
        return
    try:
        if not data.size:
            images = []
        elif path.suffix.lower() in (".tif", ".tiff"):
            found, decoded = cv2.imdecodemulti(data, cv2.IMREAD_GRAYSCALE)
            images = list(decoded) if found else []
        else:
            image = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
            images = [] if image is None else [image]
    except cv2.error:  # OpenCV refused it (a header claiming more pixels than a page has)
        yield ScanPage(str(path), 1, None, "image too large for a scan")
        return
    if not images:
        yield ScanPage(str(path), 1, None, "not a readable image")
    for index, image in enumerate(images, start=1):
        if image.size > MAX_PIXELS:
            yield ScanPage(str(path), index, None, "image too large for a scan")
        else:
            yield ScanPage(str(path), index, image)


def read_scans(paths: list[Path]) -> Iterator[ScanPage]:
    """Every page of every file, in the order given; a folder gives its files in name order."""
    for path in paths:
        if path.is_dir():
            yield from read_scans(sorted(p for p in path.iterdir() if p.is_file()))
        elif path.suffix.lower() == ".pdf":
            yield from _pdf_pages(path)
        elif path.suffix.lower() in IMAGE_SUFFIXES:
            yield from _image_pages(path)
        else:
            yield ScanPage(str(path), 1, None, "not a PDF or an image (png, jpg, tif)")
