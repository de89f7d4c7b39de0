"""Shared fixtures for the project's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from autograder.sandbox.client import Zygote


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    """A sandbox zygote (numpy imported, ready to fork), shared by a test module."""
    z = Zygote()
    yield z
    z.close()
