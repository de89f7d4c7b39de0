"""Shared fixtures for the project's own tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.sandbox.client import Zygote
from examples.students import write_demo


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)


@pytest.fixture(scope="session")
def demo_class(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The class ``make demo`` grades, written from the reference and the catalogue:
    ``optimizers/*.ipynb``, ``canvas_download.zip`` and ``categories.json``."""
    out = tmp_path_factory.mktemp("demo-class")
    write_demo(out)
    return out


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    """A sandbox zygote (numpy imported, ready to fork), shared by a test module."""
    z = Zygote()
    yield z
    z.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium through playwright, for tests that open a page as its reader would;
    skips with the way to get one where there is none."""
    playwright = pytest.importorskip("playwright.sync_api")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    with playwright.sync_playwright() as driver:
        try:
            launched = driver.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        except Exception as exc:  # no browser here: say how to get one
            pytest.skip(f"no Chromium for playwright ({exc}); run `make system-deps` as root")
        yield launched
        launched.close()
