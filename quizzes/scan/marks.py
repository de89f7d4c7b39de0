"""One bubble's verdict from its darkness: filled, empty, crossed out, or doubtful.

A bubble is measured twice: the mean darkness of its inside (a disc inside the printed
outline) and of a ring around it (outside the outline). A filled bubble is dark inside and
clean around; an answer crossed out (an X larger than the bubble, as the sheet asks) also
darkens the ring. Both are measured above the page's own level of an empty bubble (see
``quizzes.scan.page``): the printed letter, paper tone and scanner noise cancel out.

Between "clearly empty" and "clearly filled" nothing is guessed: the mark is doubtful and goes
to the review list (R/exams' nops_scan and auto-multiple-choice use the same two-threshold idea;
see docs/QUIZZES.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INSIDE = 0.62  # the measured disc, as a share of the radius (the outline stays outside)
RING = (1.3, 1.85)  # the ring around the bubble, in radii
EMPTY_BELOW = 0.12
FILLED_ABOVE = 0.55
CROSSED_ABOVE = 0.08  # ring darkness of a crossed-out mark
CLEAN_BELOW = 0.03  # ring darkness of a filled, not crossed, mark

FILLED, EMPTY, CROSSED, DOUBTFUL = "filled", "empty", "crossed", "doubtful"


@dataclass(frozen=True)
class Measure:
    inside: float
    ring: float


@dataclass(frozen=True)
class Mark:
    state: str
    confidence: float  # 0.5 at a threshold, 1 far from every threshold
    inside: float
    ring: float


def measure(dark: np.ndarray, x: float, y: float, r: float) -> Measure:
    """Mean darkness inside and around a bubble of radius ``r`` px centred on (x, y) px."""
    reach = int(np.ceil(r * RING[1])) + 1
    x0, y0 = round(x) - reach, round(y) - reach
    height, width = dark.shape
    if x0 < 0 or y0 < 0 or x0 + 2 * reach + 1 > width or y0 + 2 * reach + 1 > height:
        return Measure(float("nan"), float("nan"))
    patch = dark[y0 : y0 + 2 * reach + 1, x0 : x0 + 2 * reach + 1]
    ys, xs = np.mgrid[y0 : y0 + 2 * reach + 1, x0 : x0 + 2 * reach + 1]
    distance = np.hypot(xs - x, ys - y)
    inside = patch[distance <= INSIDE * r]
    ring = patch[(distance >= RING[0] * r) & (distance <= RING[1] * r)]
    return Measure(float(inside.mean()), float(ring.mean()))


def _confidence(value: float, low: float, high: float) -> float:
    """How far ``value`` is from the doubtful band [low, high], mapped to 0.5 … 1."""
    gap = low - value if value < low else value - high
    return round(min(1.0, 0.5 + max(gap, 0.0) / 0.15), 3)


def verdict(m: Measure, inside_level: float, ring_level: float, crossable: bool = True) -> Mark:
    """The verdict on ``m`` given the page's levels of an empty bubble."""
    if np.isnan(m.inside):
        return Mark(DOUBTFUL, 0.0, m.inside, m.ring)
    inside = m.inside - inside_level
    ring = m.ring - ring_level
    if inside < EMPTY_BELOW:
        return Mark(EMPTY, _confidence(inside, EMPTY_BELOW, FILLED_ABOVE), inside, ring)
    if inside < FILLED_ABOVE:
        return Mark(DOUBTFUL, 0.5 * (1 - abs(inside - 0.335) / 0.215), inside, ring)
    confidence = _confidence(inside, EMPTY_BELOW, FILLED_ABOVE)
    if not crossable:
        return Mark(FILLED, confidence, inside, ring)
    if ring >= CROSSED_ABOVE:
        return Mark(
            CROSSED, min(confidence, _confidence(ring, CLEAN_BELOW, CROSSED_ABOVE)), inside, ring
        )
    if ring > CLEAN_BELOW:
        return Mark(DOUBTFUL, 0.4, inside, ring)
    return Mark(
        FILLED, min(confidence, _confidence(ring, CLEAN_BELOW, CROSSED_ABOVE)), inside, ring
    )
