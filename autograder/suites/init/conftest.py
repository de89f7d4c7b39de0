"""The init suite's marker for tests that hand a ``numpy.random.Generator`` to the student."""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "needs_generator_transport: passes a numpy Generator into the sandbox (the proxy sends its "
        "state, the sandbox rebuilds it, and the advanced state comes back to the caller)",
    )
