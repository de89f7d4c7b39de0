"""Small static charts as inline SVG, written by hand (no plotting library at grading time).

Two kinds, as :mod:`autograder.engine.pictures` computes them: a *path* on the course's surface
(level curves of f(x, y) = x²/20 + y², the start and the minimum marked) and *curves* of y over
x. Each draws the reference's series and the student's over it, in a fixed frame: a student's
points outside it are clipped to its edge, so a diverging answer cannot shrink the reference's
picture to a dot. Every number is formatted here and every text escaped, so the markup holds
nothing from the student but coordinates.
"""

from __future__ import annotations

import hashlib
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 560, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 16, 16, 34
REFERENCE_COLOUR = "#1f6feb"
STUDENT_COLOUR = "#d1242f"
DATA_COLOUR = "#8c959f"

Series = Sequence[Sequence[float]]


@dataclass(frozen=True)
class Frame:
    """Data coordinates [x0, x1] × [y0, y1] mapped onto the plotting area."""

    x0: float
    x1: float
    y0: float
    y1: float

    def point(self, x: float, y: float) -> tuple[float, float]:
        x = min(max(x, self.x0), self.x1)
        y = min(max(y, self.y0), self.y1)
        inner_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
        inner_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
        px = MARGIN_LEFT + (x - self.x0) / (self.x1 - self.x0) * inner_w
        py = MARGIN_TOP + (self.y1 - y) / (self.y1 - self.y0) * inner_h
        return px, py


@dataclass(frozen=True)
class Legend:
    """The texts of a chart, already in the page's language."""

    title: str  # the accessible name (alt text) of the picture
    reference: str
    student: str
    data: str = ""
    x_label: str = ""
    y_label: str = ""


def _polyline(frame: Frame, series: Series, colour: str, extra: str = "") -> str:
    points = " ".join(f"{px:.1f},{py:.1f}" for px, py in (frame.point(x, y) for x, y in series))
    return f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{extra}/>'


def _dots(frame: Frame, series: Series, colour: str, radius: float = 2.5) -> str:
    return "".join(
        f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{radius}" fill="{colour}"/>'
        for px, py in (frame.point(x, y) for x, y in series)
    )


def _axes(frame: Frame, legend: Legend) -> list[str]:
    left, top = MARGIN_LEFT, MARGIN_TOP
    right, bottom = WIDTH - MARGIN_RIGHT, HEIGHT - MARGIN_BOTTOM
    parts = [
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
        'fill="#ffffff" stroke="#d0d7de"/>'
    ]
    for value in _ticks(frame.x0, frame.x1):
        px, _ = frame.point(value, frame.y0)
        parts.append(
            f'<text x="{px:.1f}" y="{bottom + 14}" font-size="11" text-anchor="middle" '
            f'fill="#57606a">{_number(value)}</text>'
        )
    for value in _ticks(frame.y0, frame.y1):
        _, py = frame.point(frame.x0, value)
        parts.append(
            f'<text x="{left - 6}" y="{py + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#57606a">{_number(value)}</text>'
        )
    if legend.x_label:
        parts.append(
            f'<text x="{(left + right) / 2:.1f}" y="{HEIGHT - 4}" font-size="12" '
            f'text-anchor="middle" fill="#57606a">{html.escape(legend.x_label)}</text>'
        )
    return parts


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    step = (high - low) / (count - 1)
    return [low + i * step for i in range(count)]


def _number(value: float) -> str:
    if value != 0 and (abs(value) < 0.01 or abs(value) >= 1e4):
        return f"{value:.1e}"
    return f"{value:.3g}"


def _legend(legend: Legend) -> str:
    entries = [(REFERENCE_COLOUR, legend.reference, ""), (STUDENT_COLOUR, legend.student, "")]
    if legend.data:
        entries.append((DATA_COLOUR, legend.data, ""))
    parts = []
    x = MARGIN_LEFT + 10
    for colour, text, _ in entries:
        parts.append(
            f'<rect x="{x}" y="{MARGIN_TOP + 8}" width="14" height="4" fill="{colour}"/>'
            f'<text x="{x + 20}" y="{MARGIN_TOP + 14}" font-size="12" fill="#1f2328">'
            f"{html.escape(text)}</text>"
        )
        x += 34 + sum(13 if ord(ch) > 0x2E80 else 7 for ch in text)  # wide for Hangul
    return "".join(parts)


def _svg(legend: Legend, axes: list[str], plotted: list[str]) -> str:
    """The chart: axes, then everything plotted clipped to the frame (the level curves run
    past it), then the legend on top."""
    title = html.escape(legend.title)
    clip = "clip-" + hashlib.sha256(legend.title.encode()).hexdigest()[:12]  # unique per page
    left, top = MARGIN_LEFT, MARGIN_TOP
    width, height = WIDTH - MARGIN_LEFT - MARGIN_RIGHT, HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{title}">'
        f'<title>{title}</title><defs><clipPath id="{clip}"><rect x="{left}" y="{top}" '
        f'width="{width}" height="{height}"/></clipPath></defs>{"".join(axes)}'
        f'<g clip-path="url(#{clip})">{"".join(plotted)}</g>'
        f"{_legend(legend)}</svg>"
    )


#: The frame of the surface picture: the valley around the start (-7, 2) and the minimum.
SURFACE_FRAME = Frame(-8.0, 8.0, -3.0, 3.0)
#: Levels of f drawn as ellipses x²/(20 c) + y²/c = 1.
SURFACE_LEVELS = (0.25, 1.0, 2.5, 4.5, 7.0)


def path_chart(reference: Series, student: Series, legend: Legend) -> str:
    """The two paths on the level curves of f(x, y) = x²/20 + y²."""
    frame = SURFACE_FRAME
    body: list[str] = []
    cx, cy = frame.point(0.0, 0.0)
    unit_x = frame.point(1.0, 0.0)[0] - cx
    unit_y = cy - frame.point(0.0, 1.0)[1]
    for level in SURFACE_LEVELS:
        rx, ry = math.sqrt(20 * level) * unit_x, math.sqrt(level) * unit_y
        body.append(
            f'<ellipse cx="{cx:.1f}" cy="{cy:.1f}" rx="{rx:.1f}" ry="{ry:.1f}" fill="none" '
            'stroke="#d8dee4"/>'
        )
    body.append(f'<path d="M{cx - 5:.1f},{cy:.1f}h10M{cx:.1f},{cy - 5:.1f}v10" stroke="#57606a"/>')
    body.append(_polyline(frame, reference, REFERENCE_COLOUR))
    body.append(_dots(frame, reference, REFERENCE_COLOUR))
    body.append(_polyline(frame, student, STUDENT_COLOUR, ' stroke-dasharray="5 3"'))
    body.append(_dots(frame, student, STUDENT_COLOUR))
    sx, sy = frame.point(*reference[0]) if reference else frame.point(-7.0, 2.0)
    body.append(f'<circle cx="{sx:.1f}" cy="{sy:.1f}" r="5" fill="none" stroke="#1f2328"/>')
    return _svg(legend, _axes(frame, legend), body)


def curve_chart(reference: Series, student: Series, legend: Legend, data: Series = ()) -> str:
    """The student's curve over the reference's (and the data they smooth, if any), in a frame
    fitted to the reference and the data with a margin, so a far-off answer is clipped."""
    fitted = [*reference, *data] or [[0.0, 0.0], [1.0, 1.0]]
    xs = [p[0] for p in [*fitted, *student]]
    ys = [p[1] for p in fitted]
    low, high = min(ys), max(ys)
    pad = (high - low) * 0.25 or max(abs(high), 1.0) * 0.25
    frame = Frame(min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1, low - pad, high + pad)
    body: list[str] = []
    if data:
        body.append(_dots(frame, data, DATA_COLOUR, radius=2))
    body.append(_polyline(frame, reference, REFERENCE_COLOUR))
    body.append(_polyline(frame, student, STUDENT_COLOUR, ' stroke-dasharray="5 3"'))
    body.append(_dots(frame, student, STUDENT_COLOUR, radius=2))
    return _svg(legend, _axes(frame, legend), body)
