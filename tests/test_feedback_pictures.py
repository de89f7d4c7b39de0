"""Pictures on the feedback page, as a student meets them: a real ``optigrade grade`` of planted
mistakes, the page opened in headless Chromium.

* An SGD whose step differs *only in the sandbox* (it adds the gradient there, and would not
  move at all where ``solutions`` can be imported, as in the grader's process): the path drawn
  is the sandbox's, point for point, next to the reference's.
* An RMSProp that breaks on its first step (NaN): the picture shows the start and says that
  nothing after it could be drawn.
* ``ewma`` and ``lr_staircase`` with catalogued mistakes: curves over the reference's.
* A correct item has no picture; the Korean page has no English caption and the English page
  (``report --lang en``) no Hangul.
The numbers a picture is drawn from are untrusted: :func:`autograder.engine.pictures.valid_series`
keeps a series only up to its first bad point.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from autograder.engine.pictures import LIMIT, valid_series
from autograder.records import svgplot
from examples.synthetic_class import item_sources, notebook, preamble
from solutions import surface
from solutions.variants import MISTAKES
from tests.grading import optigrade_exe

HANGUL = re.compile(r"[\uac00-\ud7a3]")
SGD_STEP = "params[key] -= self.lr * grads[key]"
#: Adds the gradient where ``solutions`` cannot be imported (the sandbox), stays put elsewhere.
SGD_SANDBOX_ONLY = """
        try:
            import solutions  # noqa: F401 - only the grader's own process has it
            return
        except ImportError:
            pass
        for key in params:
            params[key] += self.lr * grads[key]
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [optigrade_exe(), *args], capture_output=True, text=True, timeout=600, check=False
    )


def sources(assignment: str, **changes: str) -> list[str]:
    items = item_sources(assignment)
    items.update(changes)
    return [preamble(assignment), *items.values()]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pictures")
    optimizers = item_sources("optimizers")
    sgd = optimizers["SGD"]
    assert SGD_STEP in sgd, "SGD's source changed: update this test"
    start = sgd.index("        for key in params:")
    rmsprop = optimizers["RMSProp"]
    assert "(1 - self.beta) * g * g" in rmsprop, "RMSProp's source changed: update this test"
    # h averages g, not g*g: negative on the first step, so sqrt(h) is NaN (a catalogued mistake).
    nan_rmsprop = rmsprop.replace("(1 - self.beta) * g * g", "(1 - self.beta) * g")
    schedules = item_sources("schedules")
    ewma = schedules["ewma"].replace("running = 0.0", "running = None")
    ewma = ewma.replace(
        "        running = beta * running",
        "        running = value if running is None else running\n        running = beta * running",
    )
    staircase = schedules["lr_staircase"].replace("np.floor(", "(")
    outs = {}
    for assignment, cells in (
        (
            "optimizers",
            sources("optimizers", SGD=sgd[:start] + SGD_SANDBOX_ONLY, RMSProp=nan_rmsprop),
        ),
        ("schedules", sources("schedules", ewma=ewma, lr_staircase=staircase)),
    ):
        subs = root / assignment
        subs.mkdir()
        (subs / "mina.ipynb").write_text(notebook(cells), encoding="utf-8")
        out = root / f"out-{assignment}"
        result = run("grade", "-a", assignment, "--out", str(out), "--", str(subs))
        assert result.returncode == 0, result.stderr[-3000:]
        outs[assignment] = out
    return outs


def figures(browser, page_path: Path) -> list[dict]:
    """Each figure of the page as the browser lays it out: its section's item, alt text,
    caption, size, and the SVG's polylines."""
    page = browser.new_page()
    page.goto(page_path.resolve().as_uri())
    page.wait_for_load_state("load")
    found = page.evaluate(
        """() => [...document.querySelectorAll('figure')].map(f => {
            let h = f.previousElementSibling;
            while (h && h.tagName !== 'H2') h = h.previousElementSibling;
            const svg = f.querySelector('svg'), box = svg.getBoundingClientRect();
            return {item: h ? h.querySelector('code').innerText : null,
                    alt: svg.getAttribute('aria-label'),
                    caption: f.querySelector('figcaption').innerText,
                    width: box.width, height: box.height,
                    lines: [...svg.querySelectorAll('polyline')].map(p => ({
                        colour: p.getAttribute('stroke'), points: p.getAttribute('points')}))};
        })"""
    )
    text = page.inner_text("body")
    page.close()
    return found, text


def pixels(series) -> str:
    frame = svgplot.SURFACE_FRAME
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in (frame.point(x, y) for x, y in series))


def test_a_failing_optimizer_shows_the_path_its_sandbox_took_next_to_the_reference(graded, browser):
    found, text = figures(browser, graded["optimizers"] / "feedback" / "mina.html")
    by_item = {f["item"]: f for f in found}
    assert set(by_item) == {"SGD", "RMSProp"}, "only the failing optimizers have a picture"
    sgd = by_item["SGD"]
    assert sgd["width"] > 300 and sgd["height"] > 150, "the picture is laid out and visible"
    lines = {line["colour"]: line["points"] for line in sgd["lines"]}
    reference = surface.path(surface_optimizer("SGD", None))
    # It diverges: the series ends where a coordinate passes LIMIT, and the caption says so.
    sandbox = valid_series(surface.path(surface_optimizer("SGD", "sgd_plus_sign")))
    assert 2 < len(sandbox) < len(reference)
    assert lines[svgplot.REFERENCE_COLOUR] == pixels(reference)
    assert lines[svgplot.STUDENT_COLOUR] == pixels(sandbox), "the sandbox's path, not the grader's"
    assert "경로" in sgd["alt"] and "SGD(lr=0.95)" in sgd["caption"]
    assert f"{len(sandbox)}번째 점 이후" in sgd["caption"]
    rmsprop = by_item["RMSProp"]
    assert "1번째 점 이후" in rmsprop["caption"], "a path that turns NaN says where it ended"
    assert "The path" not in text and "reference" not in text


def surface_optimizer(item: str, mistake: str | None):
    import solutions

    lr = surface.LEARNING_RATES[item]
    if mistake is None:
        return getattr(solutions, item)(lr=lr)
    variant = next(v for v in MISTAKES[item] if v.id == mistake)
    return variant.impl(lr=lr)


def test_curves_for_ewma_and_a_schedule_and_the_english_page_has_no_hangul(graded, browser):
    out = graded["schedules"]
    found, _ = figures(browser, out / "feedback" / "mina.html")
    assert {f["item"] for f in found} == {"ewma", "lr_staircase"}
    assert all(HANGUL.search(f["caption"]) for f in found)
    result = run("report", "-a", "schedules", "--out", str(out), "--lang", "en")
    assert result.returncode == 0, result.stderr[-2000:]
    found, text = figures(browser, out / "feedback" / "mina.html")
    by_item = {f["item"]: f for f in found}
    assert "epochs 0 to 40" in by_item["lr_staircase"]["caption"]
    assert "noisy values" in by_item["ewma"]["caption"]
    assert not HANGUL.search(text), "an English page shows no Korean"
    assert all(len(f["lines"]) == 2 for f in found), "the reference's curve and the student's"
    markdown = (out / "feedback" / "mina.md").read_text(encoding="utf-8")
    assert "The picture is in the HTML feedback" in markdown and "<svg" not in markdown


@pytest.mark.parametrize(
    ("points", "kept"),
    [
        ([[0, 1], [1, float("nan")], [2, 3]], 1),
        ([[0, 1], [1, float("inf")]], 1),
        ([[0, 1], [1, 2 * LIMIT]], 1),
        ([[0, 1], [1, "2"], [2, "not a number"]], 2),
        ([[0, 1], [1, 2, 3]], 1),  # not a pair
        ([[0, 1], {"x": 1}], 1),
        ([[0, 1], None], 1),
        ([[0.5, -1.5]] * 5, 5),
    ],
)
def test_untrusted_points_end_a_series_at_the_first_bad_one(points, kept):
    series = valid_series(points)
    assert len(series) == kept
    assert all(isinstance(c, float) for point in series for c in point)


def test_a_series_that_raises_part_way_keeps_what_came_before():
    def points():
        yield (0.0, 1.0)
        yield (1.0, 2.0)
        raise RuntimeError("the student's update raised")

    assert valid_series(points()) == [[0.0, 1.0], [1.0, 2.0]]


def test_points_outside_the_frame_are_drawn_at_its_edge():
    legend = svgplot.Legend(title="t <b>", reference="r", student="s")
    svg = svgplot.path_chart([[-7.0, 2.0], [0.0, 0.0]], [[-7.0, 2.0], [1e5, -1e5]], legend)
    frame = svgplot.SURFACE_FRAME
    right, bottom = frame.point(frame.x1, frame.y0)
    assert f"{right:.1f},{bottom:.1f}" in svg
    assert "<b>" not in svg and "t &lt;b&gt;" in svg
