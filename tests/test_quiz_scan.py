"""Paper answer sheets as an instructor meets them: `optigrade quiz build --answer-sheets`,
the sheets rendered by poppler (not by our code) to check every published coordinate, then
answered like a pen and scanned like an office scanner (quizzes.scan.simulate), read back by
`optigrade quiz scan` from a multi-page PDF, PNGs and JPEGs at 150, 200 and 300 dpi, and
graded with `optigrade quiz grade`.

The truth of the made scans says what was put on paper; the scanner must read every clear
answer, send every unclear mark to review, and never report a filled bubble that is not.
"""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from quizzes.scan.simulate import Pen, Truth, make_scans
from quizzes.sheets.layout import read_layout
from tests.test_cli import optigrade

ITEMS = (
    "adam-true,init-which,ewma-window,mom-valley,adam-tf,gd-facts,bc-late,gd-match,"
    "ewma-vt,notation-write,decay-why,hparam-log-scale"
)
STUDENTS = 9
#: Unclear and crossed marks far more often than in a real class, so each run sees many.
PEN = Pen(crossed=0.15, unclear=0.15, strays=4)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("quiz")
    roster = out / "roster.csv"
    ids = [f"2024{n:03d}" for n in range(1, STUDENTS + 1)]
    roster.write_text("student_id,name\n" + "".join(f"{i},학생{i}\n" for i in ids), "utf-8")
    result = optigrade(
        "quiz", "build", "--seed", "21", "--roster", str(roster), "--item-ids", ITEMS,
        "--format", "md", "--answer-sheets", "--out", str(out / "build"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out / "build"


def _layout(build: Path) -> dict:
    return json.loads((build / "answer_sheets" / "layout.json").read_text("utf-8"))


def _ring(img: np.ndarray, bubble: dict, k: float, scale: float) -> float:
    """Mean grey on a circle of ``k`` radii around a bubble's published centre."""
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    xs = (bubble["x"] + k * bubble["r"] * np.cos(angles)) * scale
    ys = (bubble["y"] + k * bubble["r"] * np.sin(angles)) * scale
    return float(img[ys.round().astype(int), xs.round().astype(int)].mean())


def test_layout_coordinates_are_where_poppler_draws_the_bubbles(build, tmp_path):
    layout = _layout(build)
    pdf = build / "answer_sheets" / "answer_sheets.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "595.276 x 841.89 pts (A4)" in info.stdout
    assert layout["page_size"] == {"width": 595.276, "height": 841.89}
    dpi = 144
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(pdf), str(tmp_path / "p")],
                   check=True)  # fmt: skip
    s = dpi / 72
    pages = sorted(tmp_path.glob("p-*.pgm"))
    assert len(pages) == sum(len(sheet["pages"]) for sheet in layout["sheets"]) == STUDENTS
    kinds = set()
    for sheet in layout["sheets"]:
        for page in sheet["pages"]:
            img = cv2.imread(str(pages[page["pdf_page"] - 1]), cv2.IMREAD_GRAYSCALE)
            for marker in layout["markers"]:
                x, y, half = marker["x"] * s, marker["y"] * s, marker["size"] / 2 * s
                assert img[int(y), int(x)] < 60
                assert img[int(y), int(x + half * 0.8)] < 60
                assert img[int(y), int(x + half * 1.4)] > 200  # the square ends where it says
            for q in page["questions"]:
                kinds.add(q["type"])
                assert bool(q["bubbles"]) != ("box" in q)
                for b in q["bubbles"]:
                    # The outline is at the published radius: dark there, paper just outside.
                    outline, outside = _ring(img, b, 1.0, s), _ring(img, b, 1.35, s)
                    assert outline < outside - 60, (sheet["student_id"], q["n"], b)
                    assert outside > 225
    assert {"single", "multiple", "truefalse", "matching", "numeric", "short"} <= kinds


def _made_scans(build: Path, folder: Path) -> tuple[list[Path], Truth]:
    """Three students' pages in a multi-page PDF at 200 dpi, three as PNG at 150 dpi (one
    upside down), the rest as JPEG at 300 dpi; each batch with its own pen and scanner draws."""
    layout = read_layout((build / "answer_sheets" / "layout.json").read_text("utf-8"))
    pdf = build / "answer_sheets" / "answer_sheets.pdf"
    truth = Truth()
    files: list[Path] = []
    for dpi, seed, pages, kind in ((200, 1, range(0, 3), "pdf"), (150, 2, range(3, 6), "png"),
                                   (300, 3, range(6, STUDENTS), "jpg")):  # fmt: skip
        scans, made = make_scans(pdf, layout, seed, dpi, PEN)
        keep = {layout.sheets[k].student_id for k in pages}
        truth.responses.update({k: v for k, v in made.responses.items() if k[0] in keep})
        truth.unclear |= {k for k in made.unclear if k[0] in keep}
        truth.crossed |= {k for k in made.crossed if k[0] in keep}
        truth.filled |= {k for k in made.filled if k[0] in keep}
        chosen = [scans[k] for k in pages]
        if kind == "pdf":
            path = folder / "batch.pdf"
            images = [Image.fromarray(img) for img in chosen]
            images[0].save(path, save_all=True, append_images=images[1:], resolution=dpi)
            files.append(path)
        else:
            for k, img in zip(pages, chosen, strict=True):
                path = folder / f"scan-{k:02d}.{kind}"
                if k == 4:  # fed upside down
                    img = cv2.rotate(img, cv2.ROTATE_180)
                cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 85])
                files.append(path)
    return files, truth


@pytest.fixture(scope="module")
def scanned(build: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("scans")
    files, truth = _made_scans(build, folder)
    (folder / "coffee.png").write_bytes(b"not an image at all")
    blank = np.full((1754, 1240), 245, np.uint8)
    cv2.imwrite(str(folder / "blank.png"), blank)
    duplicate = folder / "again.png"
    cv2.imwrite(str(duplicate), cv2.imread(str(files[-1]), cv2.IMREAD_GRAYSCALE))
    out = folder / "out"
    result = optigrade(
        "quiz", "scan", "--build", str(build), "--out", str(out), "--json",
        *map(str, files), str(folder / "coffee.png"), str(folder / "blank.png"), str(duplicate),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with (out / "responses.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with (out / "review.csv").open(encoding="utf-8", newline="") as handle:
        review = list(csv.DictReader(handle))
    return truth, rows, review, json.loads(result.stdout), out


def test_scan_reads_every_clear_answer_and_sends_unclear_ones_to_review(scanned):
    truth, rows, _review, summary, _out = scanned
    assert summary["students"] == STUDENTS and summary["missing"] == 0
    bubble_rows = [r for r in rows if r["marks"]]
    assert len(bubble_rows) == len(truth.responses) > 60
    assert truth.unclear and truth.crossed  # the made class exercised both
    right = 0
    for row in bubble_rows:
        key = (row["student_id"], int(row["question"]))
        if key in truth.unclear:
            assert row["review"] == "yes", row
            continue
        # A clear question is read, not sent to review, and read right.
        assert row["review"] == "", (row, truth.responses[key])
        assert row["response"] == truth.responses[key], row
        right += 1
    assert right == len(truth.responses) - len(truth.unclear)


def test_scan_never_reads_a_mark_that_is_not_there(scanned):
    truth, rows, _review, _summary, _out = scanned
    for row in rows:
        for mark in row["marks"].split():
            choice, state = mark.split("=")[0], mark.split("=")[1].split(":")[0]
            if state == "filled":
                assert (row["student_id"], int(row["question"]), choice) in truth.filled, row


def test_review_lists_written_answers_bad_files_and_duplicates(scanned, build):
    _truth, rows, review, _summary, out = scanned
    written = [r for r in rows if r["type"] in ("numeric", "short")]
    assert written and all(r["review"] == "yes" and r["response"] == "" for r in written)
    listed = {(r["student_id"], r["question"]) for r in review}
    assert all((r["student_id"], r["question"]) in listed for r in rows if r["review"] == "yes")
    sources = {Path(r["source"]).name: r for r in review if not r["question"]}
    assert "coffee.png" in sources and "blank.png" in sources and "again.png" in sources
    assert "4" in sources["blank.png"]["reason"]  # "found 0 of the 4 corner markers"
    for r in review:
        if r["picture"]:
            assert cv2.imread(str(out / r["picture"])) is not None
    page = (out / "review.html").read_text("utf-8")
    assert "검토" in page and "직접 쓴 답" in page


def test_grade_of_the_scan_matches_the_keys(scanned, build, tmp_path):
    truth, _rows, _review, _summary, out = scanned
    result = optigrade(
        "quiz", "grade", "--build", str(build), "--responses", str(out / "responses.csv"),
        "--out", str(tmp_path), "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    key = json.loads((build / "key.json").read_text("utf-8"))
    with (tmp_path / "scores.csv").open(encoding="utf-8", newline="") as handle:
        scores = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert len(scores) == STUDENTS
    for student, names in key["sheets"].items():
        expected = 0.0
        for n, name in enumerate(names, start=1):
            q = key["questions"][name]
            given = truth.responses.get((student, n), "")
            if q["type"] == "truefalse":
                points = float(given == ("true" if q["truth"] else "false"))
            elif q["type"] == "single":
                points = float(given == next(c["letter"] for c in q["choices"] if c["correct"]))
            elif q["type"] == "multiple":
                right = {c["letter"] for c in q["choices"] if c["correct"]}
                wrong = len(q["choices"]) - len(right)
                marked = set(filter(None, given.split(";")))
                points = sum(1 / len(right) if m in right else -1 / wrong for m in marked)
                points = min(max(points, 0.0), 1.0)
            elif q["type"] == "matching":
                points = sum(a == b for a, b in zip(given.split(";"), q["matching"], strict=False))
                points /= len(q["matching"])
            else:
                points = 0.0  # written answers: not typed in yet
            assert float(scores[student][q["item"]]) == pytest.approx(points, abs=1e-3), (
                student, n, q["item"], given,
            )  # fmt: skip
            expected += points
        assert float(scores[student]["total"]) == pytest.approx(expected, abs=1e-3)
    assert json.loads(result.stdout)["pending"] > 0


def test_a_page_of_answered_true_false_items_is_read(tmp_path, build):
    """Half of this page's bubbles are filled: the empty level must not come from them."""
    out = tmp_path / "build"
    result = optigrade(
        "quiz", "build", "--seed", "3", "--variants", "2", "--format", "md", "--answer-sheets",
        "--item-ids", "ada-facts,adam-tf,batchnorm-test-time,bc-late,ewma-facts,gd-facts,"
        "init-facts,mom-facts,notation-read,rms-noisy", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    layout = read_layout((out / "answer_sheets" / "layout.json").read_text("utf-8"))
    scans, truth = make_scans(
        out / "answer_sheets" / "answer_sheets.pdf", layout, 4, 200, Pen(0, 0, 0, 2)
    )
    for k, img in enumerate(scans):
        cv2.imwrite(str(tmp_path / f"{k}.png"), img)
    result = optigrade("quiz", "scan", "--build", str(out), "--out", str(tmp_path / "scan"),
                       *(str(tmp_path / f"{k}.png") for k in range(len(scans))))  # fmt: skip
    assert result.returncode == 0, result.stderr
    with (tmp_path / "scan" / "responses.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(truth.responses) == 20
    for row in rows:
        assert row["review"] == "", row
        assert row["response"] == truth.responses[(row["student_id"], int(row["question"]))]
    # The same page scanned against another quiz's build is refused, not graded.
    result = optigrade("quiz", "scan", "--build", str(build), "--out", str(tmp_path / "other"),
                       str(tmp_path / "0.png"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    with (tmp_path / "other" / "review.csv").open(encoding="utf-8", newline="") as handle:
        (refused,) = list(csv.DictReader(handle))
    assert "다른 퀴즈" in refused["reason"] and refused["student_id"] == ""
    assert (tmp_path / "other" / "responses.csv").read_text("utf-8").count("\n") == 1


def test_the_same_build_gives_the_same_answer_sheets(build, tmp_path):
    roster = build.parent / "roster.csv"
    result = optigrade(
        "quiz", "build", "--seed", "21", "--roster", str(roster), "--item-ids", ITEMS,
        "--format", "md", "--answer-sheets", "--out", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for name in ("answer_sheets/answer_sheets.pdf", "answer_sheets/layout.json", "key.json"):
        assert (tmp_path / name).read_bytes() == (build / name).read_bytes(), name


def test_a_decompression_bomb_is_one_unreadable_page_not_a_crash(tmp_path):
    """A 1.6 MB PNG whose header claims 40000 × 40000 pixels (1.6 Gpx) is refused from its
    header: the scan goes on with the other files and never allocates the page."""
    import resource
    import struct
    import zlib

    from quizzes.scan.images import read_scans

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    side = 40_000
    packer = zlib.compressobj(9)
    row = bytes(side + 1)
    pixels = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
    fine = tmp_path / "fine.png"
    cv2.imwrite(str(fine), np.full((200, 100), 255, dtype=np.uint8))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pages = list(read_scans([bomb, fine]))
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert [p.image is None for p in pages] == [True, False]
    assert "too large" in pages[0].problem
    assert grown_kib < 500_000  # the 1.6 GB page was never decoded


def test_a_question_with_only_crossed_out_marks_goes_to_review():
    """A ring drawn round a filled answer, an underline or a stain reads as "crossed out"
    (darkness around the bubble): with nothing filled beside it, the scanner must not decide
    that the student withdrew every answer."""
    from quizzes.scan.marks import CROSSED, EMPTY, FILLED, Mark
    from quizzes.scan.page import _response
    from quizzes.sheets.layout import QuestionLayout

    question = QuestionLayout(4, "init-which", "single")
    ringed = [("A", Mark(CROSSED, 1.0, 0.9, 0.5)), ("B", Mark(EMPTY, 1.0, 0.0, 0.0))]
    response, review = _response(question, ringed)
    assert response == "" and "crossed-only" in review
    changed = [("A", Mark(CROSSED, 1.0, 0.9, 0.5)), ("B", Mark(FILLED, 1.0, 0.9, 0.0))]
    assert _response(question, changed) == ("B", [])  # a changed answer is read as it is


def test_every_page_of_a_multi_page_tiff_is_read(tmp_path):
    """Office scanners write a batch of pages as one TIFF: each is a page of the scan."""
    from quizzes.scan.images import read_scans

    pages = [np.full((120, 80), shade, dtype=np.uint8) for shade in (255, 200, 150)]
    tiff = tmp_path / "batch.tif"
    assert cv2.imwritemulti(str(tiff), pages)
    read = list(read_scans([tiff]))
    assert [p.index for p in read] == [1, 2, 3]
    assert [int(p.image[0, 0]) for p in read] == [255, 200, 150]
