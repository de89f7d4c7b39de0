"""The optimizers hidden suite, restated as self-contained test code for otter and nbgrader.

The peers run their tests inside the student's kernel, so a test cannot call back into
``solutions/``: each peer test carries its scenario as code (drawing the same seeded inputs as
our suite) and the expected outputs as data, computed here from the reference *and* from every
accepted equivalent (ε inside the root, Adam's folded bias correction), so that the three tools
accept and reject the same implementations. The scenarios are read off our own suite
(``autograder/suites/optimizers``), never restated by hand, and :func:`peer_tests` checks that the
restated scenario reproduces the suite's numbers on the reference before anything is written.
"""

from __future__ import annotations

import base64
import importlib
import sys
import textwrap
import tomllib
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import solutions
from autograder.engine.testing import RTOL, variant_namespace
from solutions.variants import EQUIVALENTS

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "autograder" / "suites" / "optimizers"
ASSIGNMENT = "optimizers"
ITEMS: tuple[str, ...] = tuple(solutions.ASSIGNMENTS[ASSIGNMENT])
# Our suite compares with rtol=1e-6 and an atol of 1e-10; the peers get exactly the same numbers.
ATOL = 1e-10

# The scenario every peer test runs, as source text: it is executed here (on the reference and
# the equivalents, to get the expected numbers) and pasted into the peer tests, so both sides
# run the very same code. It mirrors optimizer_runs.Run/TwoInstances/InPlace; peer_tests()
# proves the equality on the reference before any notebook is written.
SCENARIO = """\
def _scenario(cls, spec):
    import numpy as np

    rng = np.random.default_rng(spec["seed"])

    def draw(keys, scale=1.0, positive=False):
        # As optimizer_runs._arrays: one draw for all keys, then cut.
        sizes = [int(np.prod(s)) for s in keys.values()]
        values = scale * rng.uniform(0.5, 2.0, size=sum(sizes))
        if not positive:
            values *= np.where(rng.random(size=values.size) < 0.5, -1.0, 1.0)
        arrays, start = {}, 0
        for (k, s), size in zip(keys.items(), sizes):
            arrays[k] = values[start : start + size].reshape(tuple(s)).copy()
            start += size
        return arrays

    def flat(arrays, keys):
        # np.array copies: a later in-place update must not rewrite what was recorded.
        return [np.array(arrays[k], dtype=float).ravel() for k in keys]

    out = []
    if spec["kind"] == "run":
        args = spec["kwargs"]
        opt = cls(*args.values()) if spec["positional"] else cls(**args)
        params = draw(spec["keys"], spec["param_scale"] * spec["scale"])
        for _ in range(spec["steps"]):
            opt.update(params, draw(spec["keys"], spec["scale"], spec["positive"]))
            out += flat(params, spec["keys"])
    elif spec["kind"] == "two":
        first, second = cls(**spec["kwargs"]), cls(**spec["kwargs"])
        net1, net2 = draw(spec["keys"]), draw(spec["other_keys"])
        for _ in range(spec["steps"]):
            first.update(net1, draw(spec["keys"]))
            second.update(net2, draw(spec["other_keys"]))
            out += flat(net1, spec["keys"]) + flat(net2, spec["other_keys"])
    else:
        params = draw(spec["keys"], 10.0)
        returned = cls().update(params, draw(spec["keys"]))
        assert returned is None, f"update returned {returned!r}, expected None"
        out += flat(params, spec["keys"])
    return np.concatenate(out)
"""


@dataclass(frozen=True)
class PeerTest:
    """One hidden test of our suite, as a peer tool will run it."""

    item: str
    name: str  # e.g. "SGD-3": the item and the test's position, a valid cell id for both peers
    points: float
    spec: dict[str, Any]
    expected: list[np.ndarray]  # the reference's numbers, then each accepted equivalent's

    def function_source(self) -> str:
        """A test function taking the student's class as its only argument (otter's format)."""
        blobs = ",\n        ".join(repr(_pack(e)) for e in self.expected)
        body = textwrap.indent(SCENARIO, "    ")
        return (
            f"def test_{self.name.replace('-', '_')}({self.item}):\n"
            f"    import base64, zlib\n"
            f"    import numpy as np\n\n"
            f"{body}\n"
            f"    spec = {self.spec!r}\n"
            f"    expected = [\n        {blobs},\n    ]\n"
            f"    received = _scenario({self.item}, spec)\n"
            f"    accepted = [\n"
            f"        np.frombuffer(zlib.decompress(base64.b64decode(b)), dtype=np.float64)\n"
            f"        for b in expected\n"
            f"    ]\n"
            f"    assert any(\n"
            f"        r.shape == received.shape\n"
            f"        and np.allclose(received, r, rtol={RTOL!r}, atol={ATOL!r})\n"
            f"        for r in accepted\n"
            f'    ), f"{self.name}: outputs differ from the reference"\n'
        )

    def call_source(self) -> str:
        """The test function and its call, as a plain cell (nbgrader's format)."""
        return f"{self.function_source()}\n\ntest_{self.name.replace('-', '_')}({self.item})\n"


def _pack(values: np.ndarray) -> str:
    # Compressed float64 bytes: exact, and a tenth of the size of the numbers written as text.
    return base64.b64encode(zlib.compress(values.astype(np.float64).tobytes(), 9)).decode()


def _scenario_function() -> Any:
    namespace: dict[str, Any] = {}
    exec(SCENARIO, namespace)
    return namespace["_scenario"]


def _suite_modules() -> tuple[Any, Any]:
    # The suite is a folder of pytest files, not a package: import it the way pytest does.
    if str(SUITE) not in sys.path:
        sys.path.insert(0, str(SUITE))
    return importlib.import_module("optimizer_runs"), importlib.import_module("test_optimizers")


def _spec(scenario: Any, runs: Any) -> dict[str, Any]:
    shapes = lambda keys: {k: list(s) for k, s in keys.items()}  # noqa: E731
    if isinstance(scenario, runs.Run):
        return {
            "kind": "run",
            "kwargs": dict(scenario.kwargs),
            "keys": shapes(scenario.keys),
            "steps": scenario.steps,
            "scale": scenario.grad_scale,
            "positive": scenario.positive,
            "seed": scenario.seed,
            "positional": scenario.positional,
            "param_scale": scenario.param_scale,
        }
    if isinstance(scenario, runs.TwoInstances):
        return {
            "kind": "two",
            "kwargs": dict(scenario.kwargs),
            "keys": shapes(runs.KEYS),
            "other_keys": shapes(runs.OTHER_KEYS),
            "steps": scenario.steps,
            "seed": scenario.seed,
        }
    return {"kind": "in_place", "keys": shapes(runs.KEYS), "seed": scenario.seed}


def _suite_output(scenario: Any, runs: Any) -> np.ndarray:
    """Our suite's own numbers for a scenario on the reference, flattened like _scenario's."""
    result = scenario(solutions)
    if isinstance(scenario, runs.InPlace):
        result = [result["caller's params after update"]]
    return np.concatenate(
        [np.ravel(np.asarray(v, dtype=float)) for d in result for v in d.values()]
    )


def peer_tests() -> list[PeerTest]:
    """Every test of the optimizers suite with its points, scenario and accepted outputs."""
    runs, tests = _suite_modules()
    points = tomllib.loads((SUITE / "points.toml").read_text(encoding="utf-8"))
    scenario_fn = _scenario_function()
    out: list[PeerTest] = []
    for item in ITEMS:
        number = 0
        for test_name, test_points in points[item].items():
            # Each test runs every optimizer: this item's cases are those marked with it.
            (param,) = [m for m in getattr(tests, test_name).pytestmark if m.name == "parametrize"]
            scenarios = [
                case.values[0]
                for case in param.args[1]
                if any(mark.name == "item" and mark.args == (item,) for mark in case.marks)
            ]
            for scenario in scenarios:
                number += 1
                spec = _spec(scenario, runs)
                namespaces = [solutions] + [variant_namespace(v) for v in EQUIVALENTS.get(item, [])]
                expected = [scenario_fn(getattr(ns, item), spec) for ns in namespaces]
                # The restated scenario must be our suite's scenario, number for number.
                if not np.array_equal(expected[0], _suite_output(scenario, runs)):
                    raise AssertionError(f"{item} test {number}: restated scenario drifted")
                share = test_points / len(scenarios)
                out.append(PeerTest(item, f"{item}-{number}", share, spec, expected))
    return out
