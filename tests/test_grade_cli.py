"""``optigrade grade`` as a TA meets it: real files in, the contract files out.

One batch holds a correct notebook, a known mistake, and every kind of broken input the
issue names; each must end in a status and a reason, with what can be graded graded.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import shutil
import sqlite3
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import nbformat
import pytest

import solutions
from examples.synthetic_class import BROKEN, item_sources, notebook, preamble
from tests.grading import optigrade_exe, read_grades

pytestmark = pytest.mark.slow

# Gradescope's documented results.json fields that we write (the autograder specification).
GRADESCOPE_SCHEMA = {
    "type": "object",
    "required": ["score", "tests"],
    "properties": {
        "score": {"type": "number"},
        "output": {"type": "string"},
        "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "score", "max_score", "status", "output", "visibility"],
                "properties": {
                    "name": {"type": "string"},
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "status": {"enum": ["passed", "failed"]},
                    "output": {"type": "string"},
                    "visibility": {
                        "enum": ["hidden", "after_due_date", "after_published", "visible"]
                    },
                },
                "additionalProperties": False,
            },
        },
    },
}


def run_grade(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [optigrade_exe(), "grade", "-a", "optimizers", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def class_cells() -> list[str]:
    return [preamble("optimizers"), *item_sources("optimizers").values()]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    subs = root / "subs"
    subs.mkdir()
    cells = class_cells()
    (subs / "correct.ipynb").write_text(notebook(cells))
    (subs / "nbformat3.ipynb").write_text(notebook(cells, version=3))
    no_bias = [
        c.replace("m_hat = self.m[key] / (1 - self.beta1**self.t)", "m_hat = self.m[key]")
        for c in cells
    ]
    (subs / "mistake.ipynb").write_text(notebook(no_bias))
    hang = "        for key in params:\n            params[key] -= self.lr * grads[key]"
    assert hang in cells[1], "the SGD source changed: update this test's hang"
    looping = [
        cells[0],
        cells[1].replace(hang, "        while True:\n            pass"),
        *cells[2:],
    ]
    (subs / "loop_in_update.ipynb").write_text(notebook(looping))
    for kind, make in BROKEN.items():
        if kind in ("sleep",):
            continue  # the same path as infinite_loop, only slower
        made = make(cells)
        path = subs / f"{kind}.ipynb"
        if isinstance(made, bytes):
            path.write_bytes(made)
        elif isinstance(made, str):
            path.write_text(made)
        else:
            path.write_text(notebook(made))
    # Version 4 notebooks are read as plain JSON (no nbformat validation): a malformed
    # structure must still end in a status and a reason, not in a lost submission.
    (subs / "cells_not_a_list.ipynb").write_text(
        json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": {"0": "x"}})
    )
    malformed = json.loads(notebook(cells))
    code_cell = next(c for c in malformed["cells"] if c["cell_type"] == "code")
    code_cell["source"] = ["import numpy as np\n", 42]
    (subs / "source_not_text.ipynb").write_text(json.dumps(malformed))
    # A very large notebook is large because of its outputs (plots): 8 MB of them here.
    large = nbformat.reads(notebook(cells), as_version=4)
    image = base64.b64encode(os.urandom(6_000_000)).decode()
    large.cells[1].outputs = [nbformat.v4.new_output("display_data", data={"image/png": image})]
    (subs / "very_large.ipynb").write_text(nbformat.writes(large))
    # An LMS download: Canvas names files, Moodle makes a folder per student.
    canvas = root / "canvas.zip"
    with zipfile.ZipFile(canvas, "w") as zf:
        zf.writestr("kimminsu_12345_67890_optimizers.ipynb", notebook(cells))
        zf.writestr("leejiwoo_LATE_22222_3333_optimizers-1.ipynb", notebook(no_bias))
        zf.writestr("../../escape.py", "print('zip slip')")
    moodle = root / "moodle.zip"
    with zipfile.ZipFile(moodle, "w") as zf:
        zf.writestr("Park Seoyeon_55555_assignsubmission_file_/optimizers.ipynb", notebook(cells))
    out = root / "out"
    result = run_grade(
        "--out",
        str(out),
        "--json",
        "--lang",
        "en",
        "--timeout-call",
        "2",
        "--timeout-submission",
        "20",
        str(subs),
        str(canvas),
        str(moodle),
    )
    # 4: all graded, but some files are not what their name says (unreadable notebooks).
    assert result.returncode == 4, result.stderr[-3000:]
    rows = read_grades(out)
    return root, out, rows, json.loads(result.stdout)


def test_csv_has_the_contract_columns(batch):
    _root, out, _rows, _summary = batch
    with open(out / "grades.csv", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == [
        "student",
        "status",
        "score",
        "max_score",
        *solutions.ASSIGNMENTS["optimizers"],
    ]


def test_correct_notebooks_get_full_marks(batch):
    _root, _out, rows, _summary = batch
    for student in ("correct", "nbformat3", "magics", "very_large", "12345", "55555"):
        row = rows[student]
        assert row["status"] == "graded", (student, row)
        assert float(row["score"]) == float(row["max_score"]) > 0, (student, row)


def test_a_mistake_loses_that_item_only_and_is_named(batch):
    _root, out, rows, _summary = batch
    for student in ("mistake", "22222"):
        row = rows[student]
        assert float(row["Adam"]) == 0, row
        assert all(float(row[i]) > 0 for i in ("SGD", "Momentum", "AdaGrad", "RMSProp")), row
    feedback = (out / "feedback" / "mistake.md").read_text(encoding="utf-8")
    assert "known mistake" in feedback and "bias" in feedback.lower(), feedback


@pytest.mark.parametrize(
    ("student", "status", "evidence"),
    [
        ("not_a_notebook", "unreadable", "invalid JSON"),
        ("binary", "unreadable", "binary"),
        ("empty", "empty", "no code"),
        ("cells_not_a_list", "unreadable", "its cells are not a list"),
        ("source_not_text", "unreadable", "its source is neither text nor lines"),
    ],
)
def test_unusable_files_get_a_status_and_a_reason(batch, student, status, evidence):
    _root, out, rows, _summary = batch
    assert rows[student]["status"] == status
    assert float(rows[student]["score"]) == 0
    assert evidence in (out / "feedback" / f"{student}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("student", "cell_status"),
    [
        ("syntax_error", "syntax error"),
        ("infinite_loop", "did not finish in time"),
        ("os_exit", "ended the process"),
        ("sys_exit", "sys.exit"),
        ("exception_in_cell", "raised an error"),
        # Filling 1 GiB may outlast the cell's time limit on a busy machine: either reason is right.
        ("memory_bomb", ("MemoryError", "did not finish in time")),
    ],
)
def test_broken_cells_are_reported_and_the_rest_is_graded(batch, student, cell_status):
    _root, out, rows, _summary = batch
    row = rows[student]
    assert row["status"] == "graded", row
    assert float(row["score"]) == float(row["max_score"]), (
        f"{student}: the items themselves were correct: {row}"
    )
    feedback = (out / "feedback" / f"{student}.md").read_text(encoding="utf-8")
    reasons = cell_status if isinstance(cell_status, tuple) else (cell_status,)
    assert any(reason in feedback for reason in reasons), feedback


def test_a_hang_inside_a_method_costs_only_that_item(batch):
    """After one timeout, the item's other tests are not run again: the other items keep time."""
    _root, out, rows, _summary = batch
    row = rows["loop_in_update"]
    assert row["status"] == "graded", row
    assert float(row["SGD"]) == 0
    others = [i for i in solutions.ASSIGNMENTS["optimizers"] if i != "SGD"]
    assert all(float(row[i]) == 10 for i in others), row
    feedback = (out / "feedback" / "loop_in_update.md").read_text(encoding="utf-8")
    assert "did not finish within the time limit" in feedback
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        (text,) = db.execute("SELECT result FROM results WHERE student='loop_in_update'").fetchone()
    kinds = [t["failure"]["kind"] for t in json.loads(text)["tests"] if t["item"] == "SGD"]
    assert kinds[0] == "timeout" and set(kinds[1:]) == {"skipped_after_timeout"}, kinds


def test_missing_item_costs_exactly_that_item(batch):
    _root, out, rows, _summary = batch
    row = rows["missing_item"]
    assert float(row["Adam"]) == 0 and float(row["SGD"]) > 0
    assert "`Adam` is not defined" in (out / "feedback" / "missing_item.md").read_text(
        encoding="utf-8"
    )


def test_output_flood_is_capped(batch):
    _root, out, rows, _summary = batch
    assert rows["output_flood"]["status"] == "graded"
    assert (out / "feedback" / "output_flood.md").stat().st_size < 100_000


def test_zip_slip_entry_is_not_extracted(batch):
    root, _out, rows, _summary = batch
    assert "escape" not in rows
    assert not list(root.parent.glob("escape.py")) and not list(root.glob("escape.py"))


def test_gradescope_results_match_the_schema_and_the_csv(batch):
    _root, out, rows, _summary = batch
    for student, row in rows.items():
        payload = json.loads((out / "results" / f"{student}.json").read_text(encoding="utf-8"))
        jsonschema.validate(payload, GRADESCOPE_SCHEMA)
        assert payload["score"] == pytest.approx(float(row["score"]))
        assert sum(t["score"] for t in payload["tests"]) == pytest.approx(float(row["score"]))


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_feedback_says_what_the_markdown_says(batch):
    _root, out, _rows, _summary = batch
    parser = _TextOf()
    parser.feed((out / "feedback" / "mistake.html").read_text(encoding="utf-8"))
    text = "".join(parser.text)
    markdown = (out / "feedback" / "mistake.md").read_text(encoding="utf-8")
    assert "Adam — 0 / 10" in text and "This matches a known mistake: bias-corrects" in text
    assert "Adam — 0 / 10" in markdown.replace("`", "")


def test_summary_json_counts_everything(batch):
    _root, _out, rows, summary = batch
    assert summary["submissions"] == len(rows)
    assert sum(summary["status"].values()) == len(rows)
    assert summary["common_mistakes"], "the no-bias-correction mistakes should be counted"


def run_report(out: Path, lang: str) -> None:
    result = subprocess.run(
        [optigrade_exe(), "report", "-a", "optimizers", "--out", str(out), "--lang", lang],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_files_written_during_grading_are_what_report_regenerates(batch, tmp_path):
    """``grade`` writes each student's files as the result arrives; the gradebook is the truth."""
    _root, out, rows, _summary = batch
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    run_report(copy, "en")
    for folder in ("results", "feedback"):
        written = sorted(p.name for p in (out / folder).iterdir())
        assert written == sorted(p.name for p in (copy / folder).iterdir())
        assert len(written) >= len(rows)
        for name in written:
            assert (out / folder / name).read_bytes() == (copy / folder / name).read_bytes(), name
    table = (out / "feedback" / "correct.md").read_text(encoding="utf-8")
    positions = [table.index(f"## `{item}` —") for item in solutions.ASSIGNMENTS["optimizers"]]
    assert positions == sorted(positions), "items must be listed in the course's order"


def test_report_regenerates_feedback_in_korean(batch):
    _root, out, _rows, _summary = batch
    run_report(out, "ko")
    assert "채점 결과" in (out / "feedback" / "mistake.md").read_text(encoding="utf-8")


def test_rerun_skips_unchanged_and_regrade_forces(batch, tmp_path):
    root, out, rows, _summary = batch
    again = run_grade(
        "--out",
        str(out),
        "--json",
        str(root / "subs"),
        str(root / "canvas.zip"),
        str(root / "moodle.zip"),
    )
    summary = json.loads(again.stdout)
    assert summary["graded_now"] == 0 and summary["skipped_unchanged"] == len(rows)
    single = tmp_path / "one"
    single.mkdir()
    (single / "correct.ipynb").write_text((root / "subs" / "correct.ipynb").read_text())
    forced = json.loads(run_grade("--out", str(out), "--json", "--regrade", str(single)).stdout)
    assert forced["graded_now"] == 1


def test_bad_arguments_say_what_to_do(tmp_path):
    missing = run_grade("--out", str(tmp_path / "o"), str(tmp_path / "nope"))
    assert missing.returncode != 0 and "no such file or folder" in missing.stderr
    wrong = subprocess.run(
        [optigrade_exe(), "grade", "-a", "nonsense", "--out", str(tmp_path), str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert wrong.returncode == 2 and "optimizers" in wrong.stderr


def test_sigkill_mid_batch_loses_nothing(tmp_path):
    """The whole process group killed at once (zygotes included, which then cannot remove their
    own cgroups): nothing of the run survives, and the next run reclaims what it left.

    Hermetic: the run's processes are those of a witness that adopts them (a subreaper), and
    only the cgroups of that run's own zygotes are looked at.
    """
    from tests.test_crash_cleanup import (
        a_class,
        check_resumed,
        kill_mid_batch,
        private_tmp,
        zygote_cgroups,
    )

    size = 40
    subs = a_class(tmp_path / "subs", size)
    out = tmp_path / "out"
    env = private_tmp(tmp_path)
    command = [optigrade_exe(), "grade", "-a", "optimizers", "--out", str(out), "--", str(subs)]
    seen = kill_mid_batch(command, out / "gradebook.sqlite", "group", env)
    assert 5 <= seen["committed"] < size, f"expected to interrupt mid-batch: {seen}"
    assert not seen["left"], f"processes of the killed batch survived: {seen}"
    zygotes = [int(pid) for pid, name in seen["before"].items() if name == "optigrade-zyg"]
    assert zygotes, f"the run was not caught with its zygotes: {seen}"
    check_resumed(out, subs, size, seen["committed"], env)
    # The killed zygotes could not remove their cgroups; the next run's zygotes do.
    assert not zygote_cgroups(zygotes), "cgroups of the killed batch were left"


def test_the_demo_class_is_graded_as_its_categories_say(tmp_path):
    """The bundled example class of ``make demo``, graded as its categories say.

    Correct styles and recoverable breakage get full marks; a mistake loses its item only.
    """
    examples = Path(__file__).resolve().parents[1] / "examples" / "submissions"
    categories = json.loads((examples / "categories.json").read_text(encoding="utf-8"))
    result = run_grade(
        "--out",
        str(tmp_path),
        "--json",
        str(examples / "optimizers"),
        str(examples / "canvas_download.zip"),
    )
    assert result.returncode == 4, result.stderr[-2000:]  # 4: broken:not_a_notebook
    rows = read_grades(tmp_path)
    assert set(rows) == set(categories)
    for student, category in categories.items():
        row = rows[student]
        if category.startswith(("correct", "broken:")) and category != "broken:not_a_notebook":
            assert float(row["score"]) == float(row["max_score"]), f"{student} ({category}): {row}"
        elif category.startswith("mistake:"):
            item = category.split(":")[1].split()[0]
            assert float(row[item]) == 0, f"{student} ({category}) kept points for {item}: {row}"
            others = [i for i in solutions.ASSIGNMENTS["optimizers"] if i != item]
            assert all(float(row[i]) > 0 for i in others), f"{student} ({category}): {row}"
        else:
            assert row["status"] == "unreadable", f"{student} ({category}): {row}"


# -- the gradebook holds only well-formed records -----------------------------------------------

#: Loaded by every Python process of a run whose PYTHONPATH holds it (not the zygotes: they run
#: isolated). In the worker server, hence in every worker forked from it, it makes the engine
#: hand back forged results; in the main process, it makes the isolation check report a layer
#: missing. Each stands for what the grader must survive: a worker bug, a hostile reply that
#: got through, a machine without a layer.
SITECUSTOMIZE = """
import os, sys

if os.environ.get("OPTIGRADE_TEST_FORGE") and any("forkserver" in a for a in sys.orig_argv):
    from autograder import engine

    honest = engine.build_result

    def forged(*args, **kwargs):
        result = honest(*args, **kwargs)
        student = result["student"]
        if student == "inflated":  # full marks, whatever the tests said
            result["score"] = result["max_score"]
        elif student == "shapeless":  # a reply of another shape
            result["tests"] = {"not": "a list"}
        elif student == "impostor":  # a result for another student of the batch
            result["student"] = "victim"
        return result

    engine.build_result = forged

if os.environ.get("OPTIGRADE_TEST_MISSING_LAYER") and sys.argv[0].endswith("optigrade"):
    import autograder.doctor as doctor
    from optigrade.i18n import Text

    class Missing:
        layer = os.environ["OPTIGRADE_TEST_MISSING_LAYER"]
        allows = Text(
            ko="학생 코드가 정답을 읽을 수 있습니다", en="student code can read the answers"
        )

    doctor.gate = lambda: [Missing()]
"""


@pytest.fixture(scope="module")
def hook(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hook")
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return folder


def run_hooked(hook: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [optigrade_exe(), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(hook), **env},
    )


def test_a_malformed_result_is_that_students_internal_error(tmp_path, hook):
    cells = class_cells()
    subs = tmp_path / "subs"
    subs.mkdir()
    without_adam = notebook([c for c in cells if "class Adam" not in c])
    (subs / "inflated.ipynb").write_text(without_adam)
    (subs / "shapeless.ipynb").write_text(notebook(cells))
    (subs / "victim.ipynb").write_text(notebook(cells))
    # Last to finish, so that its result would overwrite the victim's.
    slow = notebook([*[c for c in cells if "class SGD" not in c], "import time\ntime.sleep(2)\n"])
    (subs / "impostor.ipynb").write_text(slow)
    (subs / "honest.ipynb").write_text(notebook(cells))
    out = tmp_path / "out"
    done = run_hooked(
        hook, {"OPTIGRADE_TEST_FORGE": "1"}, "grade", "-a", "optimizers", "--out", str(out),
        "--json", "--", str(subs),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    rows = read_grades(out)
    assert set(rows) == {"inflated", "shapeless", "victim", "impostor", "honest"}
    for student in ("inflated", "shapeless", "impostor"):
        assert rows[student]["status"] == "internal_error", (student, rows[student])
        assert float(rows[student]["score"]) == 0, (student, rows[student])
        feedback = (out / "feedback" / f"{student}.md").read_text(encoding="utf-8")
        assert "malformed result" in feedback, feedback
    for student in ("victim", "honest"):
        assert rows[student]["status"] == "graded" and float(rows[student]["score"]) == 50
        result = json.loads((out / "results" / f"{student}.json").read_text(encoding="utf-8"))
        assert result["score"] == 50


#: Records an older version could have stored, for a student whose content is unchanged.
FORGED_ROWS = {
    "any shape": json.dumps({"student": "s001", "score": 50, "items": "all", "tests": None}),
    "not JSON": "{",
    "scores that do not add up": None,  # the honest record, with full marks claimed
}


@pytest.mark.parametrize("forgery", sorted(FORGED_ROWS))
def test_a_malformed_stored_record_stops_neither_report_nor_grade(tmp_path, forgery):
    from tests.test_crash_cleanup import a_class

    subs = a_class(tmp_path / "subs", 3)
    (subs / "s001.ipynb").write_text(notebook([c for c in class_cells() if "class Adam" not in c]))
    out = tmp_path / "out"
    assert run_grade("--out", str(out), "--", str(subs)).returncode == 0
    honest = read_grades(out)
    assert float(honest["s001"]["score"]) == 40
    database = out / "gradebook.sqlite"
    with sqlite3.connect(database) as db:
        (text,) = db.execute("SELECT result FROM results WHERE student='s001'").fetchone()
        forged = FORGED_ROWS[forgery]
        if forged is None:
            forged = json.dumps({**json.loads(text), "score": 50.0})
        db.execute("UPDATE results SET result=?, score=50 WHERE student='s001'", (forged,))
    reported = subprocess.run(
        [optigrade_exe(), "report", "-a", "optimizers", "--out", str(out), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert reported.returncode == 0, reported.stderr[-3000:]
    rows = read_grades(out)
    assert rows["s001"]["status"] == "internal_error" and float(rows["s001"]["score"]) == 0
    assert {k: rows[k] for k in ("s000", "s002")} == {k: honest[k] for k in ("s000", "s002")}
    feedback = (out / "feedback" / "s001.md").read_text(encoding="utf-8")
    assert "--regrade" in feedback
    # The next `grade` grades it again (its content is unchanged, but its record is unusable).
    again = run_grade("--out", str(out), "--json", "--", str(subs))
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads(again.stdout)["graded_now"] == 1
    assert read_grades(out) == honest


# -- the isolation check gates grading ----------------------------------------------------------


def test_grading_stops_when_an_isolation_layer_is_missing(tmp_path, hook):
    from tests.test_crash_cleanup import a_class

    subs = a_class(tmp_path / "subs", 2)
    env = {"OPTIGRADE_TEST_MISSING_LAYER": "landlock_fs"}
    args = ["grade", "-a", "optimizers", "--out", str(tmp_path / "out")]
    refused = run_hooked(hook, env, *args, "--", str(subs))
    assert refused.returncode == 3, refused.stderr[-3000:]
    for words in (
        "landlock_fs",
        "does not hold on this machine",
        "이 기계에서 작동하지 않습니다",
        "student code can read the answers",
        "학생 코드가 정답을 읽을 수 있습니다",
        "--accept-missing-layer landlock_fs",
    ):
        assert words in refused.stderr, (words, refused.stderr)
    assert not (tmp_path / "out" / "grades.csv").exists(), "nothing was graded"
    other = run_hooked(hook, env, *args, "--accept-missing-layer", "pid_namespace", "--", str(subs))
    assert other.returncode == 3, "accepting another layer accepts nothing here"
    accepted = run_hooked(
        hook, env, *args, "--accept-missing-layer", "landlock_fs", "--json", "--", str(subs)
    )
    assert accepted.returncode == 0, accepted.stderr[-3000:]
    assert "grading without the isolation layer 'landlock_fs'" in accepted.stderr
    assert json.loads(accepted.stdout)["status"] == {"graded": 2}


def test_what_intake_refused_is_listed_for_the_ta(tmp_path):
    """A link among the submissions (its name holding an escape sequence) is refused: the
    console names it with the sequence made visible, in both languages, and ``--json`` lists it
    with its reason; the other student is graded."""
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.ipynb").write_text(notebook(class_cells()))
    (subs / "evil\x1b[2J.py").symlink_to("/etc/passwd")
    shown = run_grade("--out", str(tmp_path / "out"), "--", str(subs))
    assert shown.returncode == 4, shown.stderr[-2000:]  # 4: a file was refused
    console = shown.stdout + shown.stderr  # progress and warnings go to stderr
    assert "\x1b" not in console
    assert "접수하지 않은 파일 1개" in console and "1 files refused at intake" in console
    assert "evil\\x1b[2J" in console and "symbolic link" in console
    listed = run_grade("--out", str(tmp_path / "out"), "--json", "--regrade", "--", str(subs))
    summary = json.loads(listed.stdout)
    assert [r["student"] for r in summary["refused"]] == ["evil\\x1b[2J"]
    assert "symbolic link" in summary["refused"][0]["reason"]
    assert read_grades(tmp_path / "out")["alice"]["status"] == "graded"
