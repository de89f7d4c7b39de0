"""What the sandbox reports back after a call: exactly what changed in the caller's arguments.

The grader mirrors each call's effects onto its own ``params`` and ``grads`` from this report
(``args_after``), so a change the report misses is a wrong grade and an unchanged entry it
repeats is wasted traffic. The expected report is worked out here from running the same code
on local copies, not written down by hand.
"""

from __future__ import annotations

import io
import socket
import sys

import numpy as np
import pytest

from autograder import wire
from autograder.sandbox import lockstep
from autograder.sandbox.runtime import CappedText, Runtime

CHANGES = {
    "in_place": "params['w'] += 1.0",
    "rebound": "params['w'] = params['w'] + 1.0",
    "unchanged": "pass",
    "rebound_to_equal_copy": "params['w'] = params['w'].copy()",
    "reshaped_in_place": "params['m'].shape = (6,)",
    "dtype_changed_in_place": "params['w'].dtype = np.int64",
    "same_nan_written_again": "params['nan'][:] = np.nan",
    "zero_made_negative": "params['z'][0] = -0.0",
    "key_deleted": "del params['b']",
    "key_added": "params['new'] = np.ones(2)",
    "grads_changed_in_place": "grads['w'] *= 2",
    "subclass_stored": "params['w'] = params['w'].view(np.matrix)",
    "scalar_stored": "params['b'] = 3.5",
}


def arguments() -> tuple[dict, dict]:
    params = {
        "w": np.array([1.0, 2.0, 3.0]),
        "m": np.arange(6.0).reshape(2, 3),
        "nan": np.full(2, np.nan),
        "z": np.array([0.0, 1.0]),
        "b": np.array(0.5),
    }
    return params, {"w": np.array([0.1, -0.2, 0.3])}


def image(value: object) -> tuple:
    array = np.asarray(value)
    return array.shape, array.dtype.str, array.tobytes()


def runtime_with(change: str) -> Runtime:
    runtime = Runtime(socket.socket())
    exec(f"import numpy as np\ndef touch(params, grads):\n    {change}\n", runtime.namespace)
    return runtime


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_call_reports_every_change_and_only_changes(name):
    runtime = runtime_with(CHANGES[name])
    params, grads = arguments()
    request = {"op": "call", "target": "touch", "args": [params, grads], "kwargs": {}}
    # What the grader receives: the reply as it crosses the wire.
    reply = wire.decode(wire.encode(runtime.op_call(wire.decode(wire.encode(request)))))
    assert reply["ok"], reply

    local_params, local_grads = arguments()
    originals = [dict(local_params), dict(local_grads)]
    images = [{k: image(v) for k, v in d.items()} for d in (local_params, local_grads)]
    runtime.namespace["touch"](local_params, local_grads)

    for after, now, before, before_images in zip(
        reply["args_after"], (local_params, local_grads), originals, images, strict=True
    ):
        assert after["keys"] == list(now), f"{name}: the keys the call left"
        for key, value in now.items():
            unchanged = (
                key in before and before[key] is value and image(value) == before_images[key]
            )
            if unchanged:
                assert key not in after["dict"], f"{name}: unchanged {key!r} was sent again"
                continue
            assert key in after["dict"], f"{name}: the change to {key!r} was not reported"
            sent = after["dict"][key]
            assert type(sent["value"]) in (np.ndarray, float, int), f"{name}: {key!r} not plain"
            assert image(sent["value"]) == image(value), f"{name}: {key!r} reported wrongly"
            assert sent["same"] is (key in before and before[key] is value), (
                f"{name}: {key!r} in place or rebound"
            )


def test_a_value_that_cannot_cross_is_reported_as_such():
    runtime = runtime_with("params['w'] = np.array([object()], dtype=object)")
    params, grads = arguments()
    call = {"target": "touch", "method": None, "args": [params, grads], "kwargs": {}}
    # The answer to a CALL question, as the relay forwards it to the grader.
    reply = wire.decode(runtime.answer(lockstep.CALL, wire.encode(call)))
    assert reply["ok"] is False, reply
    assert reply["error"]["type"] == "UnsendableResult", reply
    assert "dtype object" in reply["error"]["message"], "the reason is given"


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_prepared_trace_reports_what_the_same_calls_made_one_by_one_report(name):
    """A trace is prepared before its first call (revived arguments, snapshots of fresh
    dicts taken in advance): it must answer exactly what live calls answer."""
    params, grads = arguments()
    # touch(params, grads) twice on the same params: a fresh dict, then a shared one.
    trace = [
        {
            "target": "touch",
            "method": None,
            "args": [{"__def__": 0, "value": params}, {"__def__": 1, "value": grads}],
            "kwargs": {},
        },
        {
            "target": "touch",
            "method": None,
            "args": [{"__ref__": 0}, {"__def__": 2, "value": arguments()[1]}],
            "kwargs": {},
        },
    ]
    replayed = runtime_with(CHANGES[name])._replay(wire.decode(wire.encode(trace)))

    live_runtime = runtime_with(CHANGES[name])
    live_params, _ = arguments()
    live = []
    for _ in range(2):
        request = {"op": "call", "target": "touch", "args": [live_params, arguments()[1]]}
        live.append(live_runtime.op_call(request))
    for step, from_call in enumerate(live):
        if not from_call["ok"]:  # e.g. deleting a key the first call deleted already
            assert replayed.get("error_index") == step, replayed
            assert replayed["error"]["type"] == from_call["error"]["type"]
            break
        from_plan = replayed["results"][step]
        assert wire.encode(from_plan["args_after"]) == wire.encode(from_call["args_after"]), (
            f"{name}, call {step + 1}: the prepared trace reported other changes than a live call"
        )
    else:
        assert "error" not in replayed, replayed


def test_keys_that_are_not_strings_are_compared_as_themselves_and_sent_as_strings():
    runtime = runtime_with("params[3] += 1.0\n    params['x'] = params['x'] + 1.0")
    params = {3: np.zeros(2), "x": np.zeros(2), 4: np.ones(1)}
    reply = runtime.op_call({"op": "call", "target": "touch", "args": [params, {}]})
    report = reply["args_after"][0]
    assert report["keys"] == ["3", "x", "4"]
    assert set(report["dict"]) == {"3", "x"}, "the unchanged key 4 is not sent again"
    assert report["dict"]["3"]["same"] is True, "3 was updated in place"
    assert report["dict"]["x"]["same"] is False, "x was rebound"


def test_past_the_output_cap_prints_are_discarded_by_what_still_behaves_as_a_text_stream(
    monkeypatch,
):
    capped = CappedText(1000)
    monkeypatch.setattr(sys, "stdout", capped)
    monkeypatch.setattr(sys, "stderr", capped)
    runtime = Runtime(socket.socket())
    flood = "import sys\nfor i in range(20_000):\n    print(i, 'spam' * 10)\n"
    probes = (
        "after = sys.stdout\n"
        "wrote = sys.stdout.write('text')\n"
        "print('more', flush=True)\n"
        "sys.stderr.flush()\n"
        "try:\n"
        "    sys.stdout.write(b'bytes')\n"
        "    bytes_refused = False\n"
        "except TypeError:\n"
        "    bytes_refused = True\n"
    )
    assert runtime._run_cell(0, flood)["status"] == "ok"
    assert runtime._run_cell(1, probes)["status"] == "ok"
    expected = "".join(f"{i} {'spam' * 10}\n" for i in range(20_000))[:1000]
    assert capped.value() == expected, "the first characters of the output were not kept"
    assert capped.truncated
    after = runtime.namespace["after"]
    assert after is sys.stdout is sys.stderr, "stdout and stderr were not both diverted"
    assert isinstance(after, io.TextIOBase) and after.encoding == "utf-8"
    assert runtime.namespace["wrote"] == 4, "write must return the characters written"
    assert runtime.namespace["bytes_refused"], "a text stream refuses bytes; so must this one"
