"""The ``student`` a hidden test sees: attribute access and calls forwarded to the sandbox.

``student.ewma(theta, beta=0.9)`` calls the student's ``ewma`` in the sandbox and returns the
plain-data result. ``student.Adam(lr=0.1)`` builds the student's object there and returns a
:class:`RemoteObject`; ``opt.update(params, grads)`` runs there too, and what it did to
``params`` (updated in place or rebound entries) is reflected on the caller's dict, so that a
test observes exactly the semantics of a local call.
"""

from __future__ import annotations

from typing import Any

from autograder.sandbox.client import Sandbox


class RemoteObject:
    """An object that lives in the sandbox; only its methods can be called."""

    def __init__(self, sandbox: Sandbox, handle: int, name: str) -> None:
        self._sandbox, self._handle, self._name = sandbox, handle, name
        self._generation = sandbox.generation

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)

        def call(*args: Any, **kwargs: Any) -> Any:
            reply = self._sandbox.call(self._handle, method, list(args), kwargs, self._generation)
            return reply.get("value")

        call.__name__ = method
        return call

    def __repr__(self) -> str:
        return f"<student's {self._name} object>"


class StudentProxy:
    """The submission's top-level names, callable from the trusted side."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            reply = self._sandbox.call(name, None, list(args), kwargs)
            if "handle" in reply and isinstance(reply["handle"], int):
                return RemoteObject(self._sandbox, reply["handle"], name)
            return reply.get("value")

        call.__name__ = name
        return call

    def defines(self, name: str) -> bool:
        answer = name in self._sandbox.names
        self._sandbox.observer.record(("defines", name), answer)  # what the test learnt
        return answer

    @property
    def sandbox(self) -> Sandbox:
        return self._sandbox
