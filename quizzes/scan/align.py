"""From a scanned page to the sheet's coordinates: find the four corner markers and fit the
perspective transform that maps layout points to image pixels.

Like auto-multiple-choice, the markers are found as dark blobs of the expected size and shape
near each corner of the image; unlike a fixed-position reader, rotation, shift and scale of
a scanner's feed are all absorbed by the transform.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from quizzes.sheets.layout import Layout


@dataclass(frozen=True)
class Aligned:
    """A page normalised to darkness (0 paper … 1 ink) with its layout→pixel transform."""

    darkness: np.ndarray  # float32, same shape as the image
    transform: np.ndarray  # 3×3, layout points -> image pixels
    scale: float  # pixels per point around the page centre

    def to_pixels(self, x: float, y: float) -> tuple[float, float]:
        point = self.transform @ np.array([x, y, 1.0])
        return float(point[0] / point[2]), float(point[1] / point[2])


def darkness(image: np.ndarray) -> np.ndarray:
    """0 for the paper, 1 for the darkest ink, robust to a grey or uneven scanner background:
    the paper level is a bright percentile of the page, the ink level a dark one."""
    grey = image.astype(np.float32)
    # Levels from every 4th pixel both ways: the same percentiles, a sixteenth of the sorting.
    sample = image[::4, ::4]
    paper = float(np.percentile(sample, 90))
    ink = min(float(np.percentile(sample, 0.5)), paper - 60)
    return np.clip((paper - grey) / max(paper - ink, 1.0), 0.0, 1.0)


def _candidates(dark: np.ndarray, side_px: float) -> list[tuple[float, float]]:
    binary = (dark > 0.5).astype(np.uint8)
    kernel = np.ones((3, 3), np.uint8)
    binary = cv2.morphologyEx(binary, cv2.MORPH_OPEN, kernel)
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found = []
    for contour in contours:
        (cx, cy), (w, h), _angle = cv2.minAreaRect(contour)
        if not (0.65 * side_px < w < 1.45 * side_px and 0.65 * side_px < h < 1.45 * side_px):
            continue
        if cv2.contourArea(contour) < 0.8 * w * h:  # a solid square, not a ring or a scribble
            continue
        found.append((float(cx), float(cy)))
    return found


def align(image: np.ndarray, layout: Layout) -> Aligned | str:
    """The aligned page, or the reason it cannot be aligned (for the review list)."""
    dark = darkness(image)
    height, width = image.shape
    page_w, page_h = layout.page_size
    scale = (width / page_w + height / page_h) / 2
    side = layout.markers[0][3] * scale
    found = _candidates(dark, side)
    if len(found) < 4:
        return f"found {len(found)} of the 4 corner markers"
    corners = {
        "top-left": (0.0, 0.0),
        "top-right": (width, 0.0),
        "bottom-left": (0.0, height),
        "bottom-right": (width, height),
    }
    source, target = [], []
    for corner, x, y, _side in layout.markers:
        cx, cy = corners[corner]
        best = min(found, key=lambda p: (p[0] - cx) ** 2 + (p[1] - cy) ** 2)
        # A marker sits near its corner: within a quarter of the page of where it should be.
        expected = (x * scale, y * scale)
        if abs(best[0] - expected[0]) > width / 4 or abs(best[1] - expected[1]) > height / 4:
            return f"no {corner} marker where one should be"
        source.append((x, y))
        target.append(best)
    if len({tuple(round(v) for v in t) for t in target}) < 4:
        return "the corner markers are ambiguous"
    transform = cv2.getPerspectiveTransform(
        np.array(source, dtype=np.float32), np.array(target, dtype=np.float32)
    )
    # The fitted square's sides must keep their proportions: otherwise a blob was mistaken.
    tl, tr, bl, br = (np.array(t) for t in target)
    widths = np.linalg.norm(tr - tl), np.linalg.norm(br - bl)
    heights = np.linalg.norm(bl - tl), np.linalg.norm(br - tr)
    if abs(widths[0] / widths[1] - 1) > 0.04 or abs(heights[0] / heights[1] - 1) > 0.04:
        return "the corner markers do not form the sheet's rectangle"
    local = float(np.mean(widths) / (layout.markers[1][1] - layout.markers[0][1]))
    return Aligned(dark, transform, local)
