"""Pictures of a failing item: the student's numbers drawn next to the reference's.

Where an item fails, a picture often says more than the first differing element: an
optimizer's path on the course's surface (``solutions/surface.py``: f(x, y) = x²/20 + y² from
(-7, 2)), ``ewma``'s curve over a noisy sequence, a schedule's rate over the epochs. Each
picture is a scenario in the sense of :mod:`autograder.engine.testing`: a function of an
implementation namespace, run on the reference (in the grader, once per worker) and on the
student's code through its sandbox proxy (the student's code never runs in the grader).

What comes back from the sandbox is untrusted numbers: each point must be a pair of finite
floats within :data:`LIMIT`, and a series keeps its points up to the first that is not (the
rest of a diverging path cannot be drawn anyway). Drawing clips them to its frame
(:mod:`autograder.records.svgplot`). Only failing items are drawn, so a correct submission pays
nothing; :class:`Painter` ``(enabled=False)`` draws none at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from solutions import surface

#: Largest coordinate kept from a student's series (larger ones end it).
LIMIT = 1e6
#: A series is drawn with at least this many valid points (a path whose first step is not
#: finite still shows where it started, and says so).
MIN_POINTS = 1

Series = list[list[float]]


@dataclass(frozen=True)
class Picture:
    """What to draw for an item: ``kind`` ``path`` (points (x, y) on the surface) or ``curve``
    (y over x), and the scenario giving the points for an implementation namespace."""

    kind: str
    points: Callable[[Any], Iterable[tuple[float, float]]]
    call: str = ""  # the call drawn, as the caption shows it


def _optimizer_path(name: str) -> Picture:
    def points(impl: Any) -> Iterable[tuple[float, float]]:
        optimizer = getattr(impl, name)(lr=surface.LEARNING_RATES[name])
        return surface.visits(optimizer)

    return Picture("path", points)


#: ``ewma``'s sequence: 40 noisy daily values around a slow wave, as in the notes.
EWMA_DATA = [
    float(10 + 5 * math.sin(day / 7) + noise)
    for day, noise in enumerate(np.random.default_rng(7300).normal(0, 2, 40))
]


def _ewma_curve(impl: Any) -> Iterable[tuple[float, float]]:
    values = impl.ewma(list(EWMA_DATA), 0.9, True)
    return ((float(day), surface.coordinate(v)) for day, v in enumerate(np.asarray(values)))


def _schedule(name: str, first_epoch: int, **kwargs: float) -> Picture:
    def points(impl: Any) -> Iterable[tuple[float, float]]:
        # One call per epoch, with plain numbers: a schedule written for scalars only is
        # still drawn.
        function = getattr(impl, name)
        for epoch in range(first_epoch, 41):
            yield float(epoch), surface.coordinate(function(1.0, epoch, **kwargs))

    arguments = "".join(f", {key}={value!r}" for key, value in kwargs.items())
    return Picture("curve", points, f"{name}(1.0, epoch{arguments})")


PICTURES: dict[str, Picture] = {
    **{name: _optimizer_path(name) for name in surface.LEARNING_RATES},
    "ewma": Picture("curve", _ewma_curve, "ewma(theta, 0.9, True)"),
    "lr_inverse_time": _schedule("lr_inverse_time", 0, decay_rate=0.2),
    "lr_exponential": _schedule("lr_exponential", 0),
    "lr_inverse_sqrt": _schedule("lr_inverse_sqrt", 1),
    "lr_staircase": _schedule("lr_staircase", 0, decay_rate=1.0, time_interval=10),
}


def valid_series(points: Iterable[Any]) -> Series:
    """The points up to the first that is not a pair of finite floats within :data:`LIMIT`.

    ``points`` may raise part way (the student's code did): what came before is kept.
    """
    kept: Series = []
    try:
        for point in points:
            x, y = (float(c) for c in point)
            if not all(math.isfinite(c) and abs(c) <= LIMIT for c in (x, y)):
                break
            kept.append([x, y])
    except Exception:
        pass
    return kept


class Painter:
    """Computes the pictures of a submission's failing items (one per item, at most)."""

    def __init__(self, reference: Any, enabled: bool = True) -> None:
        self.reference, self.enabled = reference, enabled
        self._reference_series: dict[str, Series] = {}

    def pictures(self, items: Iterable[str], student: Any) -> dict[str, dict[str, Any]]:
        """``{item: facts}`` for each of ``items`` that has a picture and whose student series
        has enough valid points; ``facts`` is plain data for the record."""
        drawn: dict[str, dict[str, Any]] = {}
        if not self.enabled:
            return drawn
        for item in dict.fromkeys(items):
            picture = PICTURES.get(item)
            if picture is None:
                continue
            series = valid_series(_lazily(picture.points, student))
            if len(series) < MIN_POINTS:
                continue
            facts: dict[str, Any] = {
                "kind": picture.kind,
                "reference": self._reference(item, picture),
                "student": series,
            }
            if item == "ewma":
                facts["data"] = [[float(day), v] for day, v in enumerate(EWMA_DATA)]
            drawn[item] = facts
        return drawn

    def _reference(self, item: str, picture: Picture) -> Series:
        if item not in self._reference_series:
            self._reference_series[item] = valid_series(picture.points(self.reference))
        return self._reference_series[item]


def _lazily(points: Callable[[Any], Iterable[Any]], impl: Any) -> Iterable[Any]:
    """``points(impl)`` as an iterator whose construction errors count as an empty series."""
    yield from points(impl)
