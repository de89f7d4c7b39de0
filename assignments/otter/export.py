"""``otter assign`` on our master notebook: the student notebook and the Gradescope zip.

Layout of an export (``DIR`` is ``--out``)::

    DIR/master/<assignment>.ipynb        the master notebook, with the files it ships
    DIR/dist/student/<assignment>.ipynb  what otter hands out: grader.check cells + checks.py
    DIR/dist/autograder/                 otter's solution notebook and its autograder files
    DIR/autograder.zip                   the zip to upload to Gradescope (a copy of otter's)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from assignments.otter.master import write_master

OTTER_REQUIREMENT = "otter-grader==7.0.0"


class OtterError(RuntimeError):
    """otter is missing, or ``otter assign`` refused the master notebook."""


@dataclass(frozen=True)
class Export:
    master: Path
    student: Path
    solution: Path
    autograder_zip: Path


def otter_executable() -> str:
    """The ``otter`` command beside this interpreter (our venv), else the one on PATH."""
    beside = shutil.which("otter", path=str(Path(sys.executable).parent))
    found = beside or shutil.which("otter")
    if found is None:
        raise OtterError(
            f"otter-grader is not installed: pip install '{OTTER_REQUIREMENT}' "
            "(or `pip install -e '.[otter]'` in this repository; `make test` does it)"
        )
    return found


def export_otter(assignment: str, lang: str, out: Path) -> Export:
    """Write the master notebook under ``out`` and run ``otter assign`` on it."""
    otter = otter_executable()
    master = write_master(assignment, lang, out / "master")
    dist = (out / "dist").resolve()
    shutil.rmtree(dist, ignore_errors=True)
    # otter resolves the files the config names from the master's folder.
    done = subprocess.run(
        [otter, "assign", master.name, str(dist)],
        cwd=master.parent,
        capture_output=True,
        text=True,
    )
    zips = sorted((dist / "autograder").glob(f"{assignment}-autograder_*.zip"))
    if done.returncode != 0 or not zips:
        raise OtterError(
            f"otter assign failed on {master} (exit {done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    autograder_zip = out / "autograder.zip"
    shutil.copy(zips[-1], autograder_zip)
    return Export(
        master=master,
        student=dist / "student" / master.name,
        solution=dist / "autograder" / master.name,
        autograder_zip=autograder_zip,
    )
