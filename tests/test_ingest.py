"""Intake: what each path is, whose each file is, what is refused, and reading each file once
for its hash and its cells, within the size limit."""

from __future__ import annotations

import json
import os
import signal
import zlib
from pathlib import Path

import pytest

from autograder.intake import MAX_FILE_BYTES, IngestError, content_hash, discover, ingest
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


# -- archives: what an entry may cost (the overlapping zip bomb) ------------------------------


def with_alias(archive: bytes, name: bytes, alias: bytes) -> bytes:
    """``archive`` (from :func:`make_zip`, no comment) with one more directory record: a copy
    of ``name``'s, named ``alias``, pointing at the same local header and data."""
    import struct

    end = archive[-22:]
    count, cd_size, cd_offset = (struct.unpack_from("<HII", end, 10)[i] for i in range(3))
    directory = archive[cd_offset : cd_offset + cd_size]
    at = 0
    while True:
        length = struct.unpack_from("<H", directory, at + 28)[0]
        extra, comment = struct.unpack_from("<HH", directory, at + 30)
        if directory[at + 46 : at + 46 + length] == name:
            break
        at += 46 + length + extra + comment
    record = bytearray(directory[at : at + 46])
    struct.pack_into("<HHH", record, 28, len(alias), 0, 0)
    directory += bytes(record) + alias
    new_end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, count + 1, count + 1, len(directory), cd_offset, 0
    )
    return archive[:cd_offset] + directory + new_end


def test_records_that_share_their_data_are_refused_and_the_other_entries_read(tmp_path):
    # The overlapping zip bomb points many records at one stream; an honest archive never
    # shares bytes between entries. Neither of two such records can be told honest.
    good = CORRECT.encode()
    archive = tmp_path / "canvas.zip"
    plain = make_zip(
        [
            Member("kim_1_2_optimizers.ipynb", good),
            Member("lee_3_4_a.py", b"x = 1\n"),
            Member("park_5_6_optimizers.ipynb", good),
        ]
    )
    archive.write_bytes(with_alias(plain, b"lee_3_4_a.py", b"lee_3_4_b.py"))
    subs = found(tmp_path, archive)
    assert len(subs["1"].files) == 1 and not subs["1"].refused
    assert len(subs["5"].files) == 1 and not subs["5"].refused
    assert not subs["3"].files
    (line,) = subs["3"].refused
    assert "lee_3_4_a.py" in line and "lee_3_4_b.py" in line
    assert "overlap another entry's" in line and "겹치는" in line


def test_an_entry_is_inflated_at_most_one_byte_past_the_size_it_declares(tmp_path):
    from autograder.intake.archive import EntryError, ZipReader

    big = b"#" * 5_000_000
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip([Member("a.py", big, declared_size=10)]))
    fd = os.open(archive, os.O_RDONLY)
    try:
        reader = ZipReader(fd, os.fstat(fd).st_size, 10)
        with pytest.raises(EntryError, match="more than the directory declares"):
            reader.read(reader.entries[0], MAX_FILE_BYTES)
        assert reader.inflated == 11
    finally:
        os.close(fd)


def test_every_inflated_byte_is_charged_to_the_archive_budget(tmp_path, monkeypatch):
    # A bad CRC is found only once the entry is inflated: what that cost counts against the
    # archive's budget like an entry that was read, so the next entry no longer fits.
    import sys

    # The module, not the function of the same name the package exports.
    monkeypatch.setattr(sys.modules["autograder.intake.discover"], "MAX_ZIP_BYTES", 1_000)
    data = b"x = 1\n" * 100
    archive = tmp_path / "kim_1_2_work.zip"
    archive.write_bytes(
        make_zip([Member("a.py", data, crc=zlib.crc32(data) ^ 1), Member("b.py", data)])
    )
    (submission,) = discover([archive], tmp_path / "scratch").submissions
    assert not submission.files
    assert any("a.py" in line and "bad CRC-32" in line for line in submission.refused)
    assert any("b.py" in line and "more than 1000 bytes" in line for line in submission.refused)


# -- notebooks of format version 2 and 3: read from their worksheets, without nbformat --------


def v3_notebook(*worksheets: list[dict], version: object = 3) -> str:
    sheets = [{"cells": cells, "metadata": {}} for cells in worksheets]
    return json.dumps(
        {"nbformat": version, "nbformat_minor": 0, "metadata": {}, "worksheets": sheets}
    )


def code3(source: object, **extra: object) -> dict:
    return {"cell_type": "code", "input": source, "language": "python", "outputs": [], **extra}


def test_a_version_3_notebook_gives_the_cells_its_version_4_conversion_gives(tmp_path):
    cells = class_cells()
    old, new = tmp_path / "old.ipynb", tmp_path / "new.ipynb"
    old.write_text(notebook(cells, version=3))
    new.write_text(notebook(cells))
    read_old, read_new = ingest("s", [old]), ingest("s", [new])
    assert read_old.status == "ok" and read_old.cells == read_new.cells
    (note,) = read_old.notes
    assert "nbformat 3" in note and "이전 형식" in note


def test_version_3_cells_of_every_kind_across_worksheets(tmp_path, monkeypatch):
    # nbformat is never imported for it: upgrading and validating cost 0.3 ms a cell.
    import sys

    monkeypatch.setitem(sys.modules, "nbformat", None)
    path = tmp_path / "n.ipynb"
    first = [
        {"cell_type": "heading", "level": 1, "source": "Title", "metadata": {}},
        {"cell_type": "markdown", "source": ["# not code\n", "x = 0\n"], "metadata": {}},
        code3("a = 1\n"),
        code3(["b = 2\n", "c = 3\n"], metadata={"optigrade": {"role": ["check"]}}),
        code3("check('all')\n", metadata={"optigrade": {"role": "check"}}),
        {"cell_type": "raw", "source": 7},  # not code: never looked at, as in version 4
        "not a cell",
    ]
    second = [code3("d = 4\n", metadata=["not", "an", "object"]), {"cell_type": "code"}]
    path.write_text(v3_notebook(first, second))
    result = ingest("s", [path])
    assert result.status == "ok", result
    assert result.cells == ["a = 1\n", "b = 2\nc = 3\n", "d = 4\n", "\n"]


def test_a_version_2_notebook_is_read_like_version_3(tmp_path):
    path = tmp_path / "n.ipynb"
    path.write_text(v3_notebook([code3("a = 1\n")], version=2))
    result = ingest("s", [path])
    assert result.status == "ok" and result.cells == ["a = 1\n"]
    assert "nbformat 2" in result.notes[0]


@pytest.mark.parametrize(
    ("data", "english", "korean"),
    [
        ({"nbformat": 3, "worksheets": {"cells": []}}, "worksheets are not a list", "워크시트"),
        ({"nbformat": 3, "worksheets": ["cells"]}, "worksheet 1 is not a JSON object", "객체"),
        ({"nbformat": 3, "worksheets": [{}, {"cells": 7}]}, "worksheet 2 are not a list", "2번째"),
        (json.loads(v3_notebook([code3(12)])), "cell 1: its source is neither", "1번째 셀"),
        (json.loads(v3_notebook([{}, code3(["a", None])])), "cell 2: its source", "2번째 셀"),
        (json.loads(v3_notebook([code3({"a": 1})])), "neither text nor lines", "소스"),
        ({"cells": [{"cell_type": "code", "source": "x = 1"}]}, "nbformat None", "버전"),
        (json.loads(v3_notebook([code3("x")], version="3")), "nbformat '3'", "버전"),
        (json.loads(v3_notebook([code3("x")], version=1)), "nbformat 1;", "버전 2, 3, 4"),
        ({"nbformat": 5, "cells": []}, "nbformat 5;", "Jupyter"),
        ({"nbformat": ["\x1b[2J" * 20], "cells": []}, "nbformat ['\\x1b[2J", "버전"),
    ],
)
def test_a_malformed_older_notebook_is_unreadable_with_the_reason(tmp_path, data, english, korean):
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(data))
    result = ingest("s", [path])
    assert result.status == "unreadable", result
    assert english in result.reason and korean in result.reason, result.reason
    assert "\x1b" not in result.reason and not result.notes


def test_a_version_3_notebook_of_many_cells_is_read_in_linear_time(tmp_path):
    import time

    cells = [code3("x = 1\n")] + [
        {"cell_type": "markdown", "source": "a", "metadata": {}}
    ] * 150_000
    path = tmp_path / "n.ipynb"
    path.write_text(v3_notebook(cells))
    # CPU time, not wall time: the machine may be busy with other work.
    started = time.process_time()
    result = ingest("s", [path])
    seconds = time.process_time() - started
    assert result.status == "ok" and result.cells == ["x = 1\n"]
    # nbformat took 30 s of CPU here; reading the JSON takes about half a second.
    assert seconds < 5, f"{seconds:.1f} s of CPU for a {path.stat().st_size}-byte notebook"
