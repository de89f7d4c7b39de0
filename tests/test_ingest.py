"""Intake: what each path is, whose each file is, what is refused, and reading each file once
for its hash and its cells, within the size limit."""

from __future__ import annotations

import json
import os
import signal
import zlib
from pathlib import Path

import pytest

from autograder.ingest import MAX_FILE_BYTES, content_hash, ingest
from autograder.intake import IngestError, discover
from examples.synthetic_class import notebook
from tests.test_grade_cli import class_cells
from tests.test_intake_attacks import CORRECT, Member, make_zip


def test_a_file_over_the_limit_is_too_large_and_says_how_large(tmp_path):
    huge = tmp_path / "huge.ipynb"
    with open(huge, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 10)  # sparse: no disk used
    result = ingest("s", [huge])
    assert result.status == "too_large", result
    assert f"{MAX_FILE_BYTES + 10} bytes" in result.reason


def test_the_batch_and_the_worker_agree_on_a_submissions_hash(tmp_path):
    # The batch hashes files to skip unchanged submissions; the worker records the hash of
    # what it read. They must agree, or a resumed batch would grade everything again.
    good = tmp_path / "good.ipynb"
    good.write_text(notebook(class_cells()))
    empty = tmp_path / "empty.py"
    empty.write_bytes(b"")
    huge = tmp_path / "huge.py"
    with open(huge, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    missing = tmp_path / "missing.ipynb"
    for files in ([good], [empty], [huge], [missing], [good, empty, huge]):
        assert ingest("s", files).content_hash == content_hash(files), files
    assert len({content_hash([f]) for f in (good, empty, huge, missing)}) == 4


def test_a_notebooks_code_cells_come_back_as_written_without_its_check_cells(tmp_path):
    # nbformat stores each source as a list of lines; a check cell follows every code cell.
    cells = class_cells()
    path = Path(tmp_path / "n.ipynb")
    path.write_text(notebook(cells))
    result = ingest("s", [path])
    assert result.status == "ok"
    assert [c.strip() for c in result.cells] == [c.strip() for c in cells]


# -- intake: what a path is, whose it is, and what is refused (issue 21) ----------------------


def found(tmp_path, *paths):
    """What discover makes of ``paths``: {student: submission}."""
    return {s.student: s for s in discover(list(paths), tmp_path / "scratch").submissions}


def test_a_role_that_is_not_text_is_an_ordinary_code_cell(tmp_path):
    path = tmp_path / "n.ipynb"
    cell = {"cell_type": "code", "source": "x = 1", "metadata": {"optigrade": {"role": ["check"]}}}
    path.write_text(json.dumps({"nbformat": 4, "cells": [cell]}))
    result = ingest("s", [path])
    assert result.status == "ok" and result.cells == ["x = 1\n"], result


def test_a_file_passed_by_name_is_what_its_name_says_never_what_its_bytes_look_like(tmp_path):
    (tmp_path / "pk.py").write_text("x = 1\n# PK\x05\x06" + "." * 18 + "\n")
    (tmp_path / "lookalike.ipynb").write_bytes(
        make_zip([Member("kimminsu_12345_67890_optimizers.ipynb", CORRECT.encode())])
    )
    subs = found(tmp_path, tmp_path / "pk.py", tmp_path / "lookalike.ipynb")
    assert set(subs) == {"pk", "lookalike"}
    assert ingest("pk", subs["pk"].files).status == "ok"
    assert ingest("lookalike", subs["lookalike"].files).status == "unreadable"


def test_zip_names_without_the_utf8_flag_are_read_as_korean_windows_wrote_them(tmp_path):
    archive = tmp_path / "download.zip"
    archive.write_bytes(make_zip([Member("정훈.ipynb".encode("cp949"), CORRECT.encode())]))
    subs = found(tmp_path, archive)
    assert list(subs) == ["정훈"] and subs["정훈"].names == ["정훈.ipynb"]


def test_a_name_over_255_bytes_is_extracted_under_a_short_name_and_keeps_its_own(tmp_path):
    name = "parkseoyeon_55555_66666_" + "최적화" * 40 + ".ipynb"
    archive = tmp_path / "canvas.zip"
    archive.write_bytes(make_zip([Member(name, CORRECT.encode())]))
    subs = found(tmp_path, archive)
    (path,) = subs["55555"].files
    assert subs["55555"].names == [name] and len(path.name.encode()) < 20
    assert (tmp_path / "scratch") in path.parents
    result = ingest("55555", subs["55555"].files, subs["55555"].names)
    assert result.status == "ok" and result.files == [name]


def test_a_bad_entry_costs_that_entry_and_says_why_in_both_languages(tmp_path):
    good = CORRECT.encode()
    archive = tmp_path / "canvas.zip"
    archive.write_bytes(
        make_zip(
            [
                Member("kim_1_2_optimizers.ipynb", good),
                Member("lee_3_4_optimizers.ipynb", good, crc=zlib.crc32(good) ^ 1),
                Member("lee_3_4_extra.py", b"x = 1\n"),
            ]
        )
    )
    subs = found(tmp_path, archive)
    assert len(subs["1"].files) == 1 and not subs["1"].refused
    assert len(subs["3"].files) == 1
    (line,) = subs["3"].refused
    assert "lee_3_4_optimizers.ipynb" in line and "bad CRC-32" in line and "손상된" in line
    result = ingest("3", subs["3"].files, subs["3"].names, subs["3"].refused)
    assert result.status == "ok" and result.notes == [line]


def test_an_archive_is_hashed_the_same_whatever_scratch_it_is_extracted_to(tmp_path):
    archive = tmp_path / "canvas.zip"
    archive.write_bytes(make_zip([Member("kim_1_2_optimizers.ipynb", CORRECT.encode())]))
    hashes = set()
    for scratch in ("one", "two"):
        (submission,) = discover([archive], tmp_path / scratch).submissions
        hashes.add(content_hash(submission.files, submission.names, submission.refused))
    assert len(hashes) == 1


def test_links_are_refused_wherever_they_are_and_never_read(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text("SECRET = 1\n")
    subs = tmp_path / "subs"
    (subs / "eve").mkdir(parents=True)
    os.symlink(secret, subs / "link.py")
    os.symlink(tmp_path, subs / "eve" / "everything")
    os.symlink(secret, tmp_path / "top.py")
    result = found(tmp_path, subs, tmp_path / "top.py")
    assert set(result) == {"link", "eve", "top"}
    for student, submission in result.items():
        assert not submission.files and "symbolic link" in submission.refused[0], student
        assert ingest(student, [], refused=submission.refused).status == "refused"


def test_a_file_swapped_for_a_link_after_discovery_is_refused_when_read(tmp_path):
    path = tmp_path / "alice.py"
    path.write_text("x = 1\n")
    (submission,) = discover([path], tmp_path / "scratch").submissions
    path.unlink()
    os.symlink(tmp_path / "secret.py", path)
    result = ingest("alice", submission.files)
    assert result.status == "refused" and "symbolic link" in result.reason


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "fifo.py")
    signal.alarm(10)  # the old reader waited for a writer for ever
    try:
        subs = found(tmp_path, tmp_path)
        direct = ingest("fifo", [tmp_path / "fifo.py"])
    finally:
        signal.alarm(0)
    assert "FIFO" in subs["fifo"].refused[0]
    assert direct.status == "refused" and "FIFO" in direct.reason


def test_per_student_folders_give_the_ids_and_a_lone_wrapper_is_looked_into(tmp_path):
    folders = tmp_path / "folders"
    for student in ("alice", "bob"):
        (folders / student).mkdir(parents=True)
        (folders / student / "optimizers.ipynb").write_text(CORRECT)
    assert set(found(tmp_path, folders)) == {"alice", "bob"}
    wrapped = tmp_path / "wrapped"
    (wrapped / "class").mkdir(parents=True)
    for student in ("carol", "dave"):
        (wrapped / "class" / f"{student}.ipynb").write_text(CORRECT)
    assert set(found(tmp_path / "w", wrapped)) == {"carol", "dave"}


def test_a_folder_that_would_mix_people_is_refused_naming_it(tmp_path):
    root = tmp_path / "root"
    (root / "class").mkdir(parents=True)
    (root / "other").mkdir()
    (root / "other" / "x.py").write_text("x = 1\n")
    for student in ("carol", "dave"):
        (root / "class" / f"{student}.ipynb").write_text(CORRECT)
    (root / "lms").mkdir()
    for name in ("kim_1_2_a.py", "lee_3_4_a.py"):
        (root / "lms" / name).write_text("x = 1\n")
    subs = found(tmp_path, root)
    assert "2 notebooks" in subs["class"].refused[0] and not subs["class"].files
    assert "several students (ids 1, 3)" in subs["lms"].refused[0] and not subs["lms"].files
    assert subs["other"].files and not subs["other"].refused


def test_one_id_from_two_places_is_refused_naming_both_and_one_file_twice_counts_once(tmp_path):
    for place in ("dup1", "dup2"):
        (tmp_path / place).mkdir()
        (tmp_path / place / "carol.ipynb").write_text(CORRECT)
    subs = found(tmp_path, tmp_path / "dup1", tmp_path / "dup2")
    (reason,) = subs["carol"].refused
    assert not subs["carol"].files and "dup1/carol.ipynb" in reason and "dup2/carol.ipynb" in reason
    again = found(tmp_path / "again", tmp_path / "dup1", tmp_path / "dup1" / "carol.ipynb")
    assert len(again["carol"].files) == 1 and not again["carol"].refused


def test_a_path_that_is_not_utf8_on_disk_is_read_under_a_name_every_encoder_takes(tmp_path):
    folder = os.fsencode(tmp_path / "subs") + b"/" + "김민수".encode("cp949")
    os.makedirs(folder)
    with open(folder + b"/optimizers.ipynb", "w") as handle:
        handle.write(CORRECT)
    with open(os.fsencode(tmp_path / "subs") + b"/\xff\x1b[2J.py", "w") as handle:
        handle.write("x = 1\n")
    subs = found(tmp_path, tmp_path / "subs")
    assert set(subs) == {"김민수", "\\xff\\x1b[2J"}
    for student, submission in subs.items():
        for path in submission.files:
            str(path).encode()
        assert ingest(student, submission.files, submission.names).status == "ok"


@pytest.mark.parametrize("content", [b"not an archive\n", b"PK\x03\x04 cut short"])
def test_an_lms_download_that_is_not_a_readable_zip_is_the_tas_error(tmp_path, content):
    archive = tmp_path / "download.zip"
    archive.write_bytes(content)
    with pytest.raises(IngestError, match=r"download\.zip: not a readable zip archive"):
        discover([archive], tmp_path / "scratch")


def test_entry_paths_that_leave_the_archive_are_warnings_and_never_written(tmp_path):
    archive = tmp_path / "canvas.zip"
    archive.write_bytes(
        make_zip([Member("../../escape.py", b"x = 1\n"), Member("/tmp/abs.py", b"x = 1\n")])
    )
    result = discover([archive], tmp_path / "scratch")
    assert not result.submissions and len(result.warnings) == 2
    assert not (tmp_path.parent / "escape.py").exists()
