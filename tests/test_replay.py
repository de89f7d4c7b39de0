"""Record and replay gives exactly the live result, and only when the calls provably repeat."""

from __future__ import annotations

import numpy as np
import pytest

import solutions
from autograder.engine.proxy import StudentProxy
from autograder.engine.testing import Case, Checker, Failure, first_difference
from autograder.sandbox import schema
from autograder.sandbox.client import BudgetExhausted, ProtocolViolation, Sandbox, StudentError
from autograder.speedups.replay import Diverged, Recorder, Replayer

MOMENTUM_WRONG_SIGN = """
import numpy as np
class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, None
    def update(self, params, grads):
        if self.v is None:
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        for k in params:
            self.v[k] = self.momentum * self.v[k] - self.lr * grads[k]
            params[k] = params[k] - self.v[k]   # wrong sign, and rebinding
"""
RAISES_ON_THIRD = """
class SGD:
    def __init__(self, lr=0.01):
        self.lr, self.calls = lr, 0
    def update(self, params, grads):
        self.calls += 1
        if self.calls == 3:
            raise ValueError("third call")
        for k in params:
            params[k] -= self.lr * grads[k]
"""


@pytest.fixture
def sandbox_for(zygote):
    opened = []

    def make(source: str) -> StudentProxy:
        sandbox = Sandbox(zygote, [source])
        sandbox.start()
        opened.append(sandbox)
        return StudentProxy(sandbox)

    yield make
    for sandbox in opened:
        sandbox.kill()


def independent(impl):
    """Inputs do not depend on outputs: replayable."""
    rng = np.random.default_rng(1)
    opt = impl.Momentum(lr=0.1)
    params = {"w": rng.normal(size=3), "b": np.array(0.5)}
    history = []
    for _ in range(6):
        opt.update(params, {"w": rng.normal(size=3), "b": np.array(rng.normal())})
        history.append({k: np.copy(v) for k, v in params.items()})  # a rebound 0-d entry is a float
    return history


def feedback_loop(impl):
    """The next gradient is computed from the student's parameters: not replayable."""
    opt = impl.Momentum(lr=0.1)
    params = {"w": np.array([1.0, -2.0])}
    for _ in range(4):
        opt.update(params, {"w": 2 * params["w"]})
    return params["w"].copy()


def tampering(impl):
    """The scenario changes params between calls; the sandbox's copy would not know."""
    opt = impl.Momentum(lr=0.1)
    params = {"w": np.array([1.0, -2.0])}
    opt.update(params, {"w": np.array([0.5, 0.5])})
    params["w"] += 1.0
    opt.update(params, {"w": np.array([0.5, 0.5])})
    return params["w"].copy()


def replayed(scenario, student: StudentProxy):
    recorder = Recorder(solutions)
    scenario(recorder)
    trace = recorder.finish()
    reply = student.sandbox.replay(trace.encoded, len(trace.ops))
    return scenario(Replayer(trace, reply, StudentError))


@pytest.mark.parametrize("source", ["from_solutions", MOMENTUM_WRONG_SIGN])
def test_replay_equals_live(sandbox_for, source):
    import inspect

    code = inspect.getsource(solutions.optimizers) if source == "from_solutions" else source
    student = sandbox_for(code)
    live = independent(student)
    assert first_difference(replayed(independent, student), live, 0.0, 0.0) is None


def test_outputs_feeding_inputs_diverge(sandbox_for):
    student = sandbox_for(MOMENTUM_WRONG_SIGN)
    with pytest.raises(Diverged):
        replayed(feedback_loop, student)


def test_arguments_changed_between_calls_diverge(sandbox_for):
    student = sandbox_for(MOMENTUM_WRONG_SIGN)
    with pytest.raises(Diverged, match="changed between calls"):
        replayed(tampering, student)


@pytest.mark.parametrize("scenario", [feedback_loop, tampering])
def test_check_falls_back_to_live_and_grades_the_same(sandbox_for, scenario):
    student = sandbox_for(MOMENTUM_WRONG_SIGN)
    with pytest.raises(Failure) as failure:
        Checker(student, "Momentum").same(scenario, Case(ko="경우", en="case"))
    live = scenario(student)
    assert failure.value.facts["received"] == f"{np.asarray(live).reshape(-1)[0]:.10g}"


def test_student_exception_surfaces_at_its_call(sandbox_for):
    student = sandbox_for(RAISES_ON_THIRD)

    def three_steps(impl):
        opt = impl.SGD(lr=0.1)
        params = {"w": np.ones(2)}
        seen = []
        for _ in range(3):
            opt.update(params, {"w": np.ones(2)})
            seen.append(params["w"].copy())
        return seen

    recorder = Recorder(solutions)
    three_steps(recorder)
    trace = recorder.finish()
    reply = student.sandbox.replay(trace.encoded, len(trace.ops))
    assert reply["error_index"] == 3 and len(reply["results"]) == 3  # constructor + 2 updates
    with pytest.raises(StudentError, match="third call"):
        three_steps(Replayer(trace, reply, StudentError))


def test_scenarios_differing_only_beyond_repr_precision_are_cached_apart():
    """Expected values are cached per scenario: equal reprs must not mean a shared entry."""
    import dataclasses

    from autograder.speedups.reference import ReferenceRuns

    @dataclasses.dataclass(frozen=True)
    class Scale:
        factor: np.ndarray

        def __call__(self, impl):
            return impl.relu(self.factor)

    a = Scale(np.array([1.000000001, -1.0]))
    b = Scale(np.array([1.000000002, -1.0]))
    assert repr(a) == repr(b), "the premise: numpy's repr rounds these to the same text"
    runs = ReferenceRuns()  # one cache for both: they must not share an entry
    assert runs.run(a)[0][0] != runs.run(b)[0][0]


# -- what the grader spends on a reply is bounded by what it sent ----------------------------
#: ``update`` adds 10,000 keys to the caller's ``params`` (the red team's KEY_FLOOD, smaller):
#: each would be mirrored, copied and compared by the grader on every later replayed call.
KEY_FLOOD = """
import numpy as np
_EXTRA = {f"k{i}": np.zeros(()) for i in range(10_000)}
class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr
    def update(self, params, grads):
        for k in list(grads):
            params[k] -= self.lr * grads[k]
        params.update(_EXTRA)
"""


def sgd_steps(impl):
    opt = impl.SGD(lr=0.1)
    params = {"w": np.ones(3), "b": np.array(0.5)}
    for _ in range(3):
        opt.update(params, {"w": np.ones(3), "b": np.array(1.0)})
    return {k: np.copy(v) for k, v in params.items()}


def _report(keys: int) -> dict:
    names = [f"k{i}" for i in range(keys)]
    return {"dict": {n: {"value": 0.0, "same": False} for n in names}, "keys": names}


def test_a_report_on_an_argument_is_bounded_by_what_was_sent():
    recorder = Recorder(solutions)
    sgd_steps(recorder)
    ops = recorder.finish().ops
    # The constructor; then params (2 keys, passed again by reference) and grads (2 keys).
    assert schema.trace_sizes(ops) == [[], [2, 2], [2, 2], [2, 2]]
    most = 2 + schema.MAX_NEW_KEYS
    schema.call_reply({"ok": True, "value": None, "args_after": [_report(most)]}, 1, 0, [2])
    for too_much in (_report(most + 1), {"array": np.zeros(3)}):
        with pytest.raises(schema.Invalid, match="reported with"):
            schema.call_reply({"ok": True, "value": None, "args_after": [too_much]}, 1, 0, [2])
    results = [{"args_after": []}] + [{"args_after": [_report(2), None]}] * 3
    schema.trace_reply({"ok": True, "results": results}, None, 4, schema.trace_sizes(ops))
    results[2] = {"args_after": [_report(most + 1), None]}
    with pytest.raises(schema.Invalid, match="reported with"):
        schema.trace_reply({"ok": True, "results": results}, None, 4, schema.trace_sizes(ops))


def test_keys_added_to_params_are_a_protocol_violation(sandbox_for):
    student = sandbox_for(KEY_FLOOD)
    recorder = Recorder(solutions)
    sgd_steps(recorder)
    trace = recorder.finish()
    with pytest.raises(ProtocolViolation, match="reported with 10002"):
        student.sandbox.replay(trace.encoded, len(trace.ops))
    with pytest.raises(ProtocolViolation, match="reported with 10002"):
        sgd_steps(student)  # live, the same bound
    assert student.sandbox.failures == ["protocol", "protocol"]


def test_replaying_is_charged_to_the_submission_budget(sandbox_for):
    """Every reply arrived in time, but the grader's own replay of it is the submission's
    time too: once the budget is spent, the next replayed call ends the submission."""
    student = sandbox_for(MOMENTUM_WRONG_SIGN)
    sandbox = student.sandbox
    recorder = Recorder(solutions)
    independent(recorder)
    trace = recorder.finish()
    reply = sandbox.replay(trace.encoded, len(trace.ops))
    calls = []

    def check_budget() -> None:
        calls.append(1)
        if len(calls) == 3:
            sandbox.share_budget(0.0)  # the budget runs out while the scenario is replayed
        sandbox.check_budget()

    with pytest.raises(BudgetExhausted):
        independent(Replayer(trace, reply, StudentError, check_budget))
    assert len(calls) == 3 and sandbox.failures == ["time_budget"]
