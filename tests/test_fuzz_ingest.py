"""Fuzzing intake: malformed notebooks, zips and file names never raise past the submission.

Hypothesis makes notebooks of any JSON shape (cells, metadata, roles and sources of every type,
nesting deep enough to exhaust a parser, lone surrogates, bytes that are not UTF-8), zips of
random entries (names of random bytes, link and device modes, duplicate names, lying sizes and
CRCs, encryption flags, truncated or flipped bytes), and folders of files whose names are random
bytes. :func:`discover` may only raise :class:`IngestError` (the TA's own unusable download);
:func:`ingest` never raises. Whatever comes back must be safe to hand on: ids unique and
printable, every string encodable (the gradebook, JSON, the console), every file inside scratch.

Bounded for ``make test``: about 15 s in all on one core (``max_examples`` below).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from autograder.intake import IngestError, content_hash, discover, ingest
from autograder.records import reasons
from tests.test_intake_attacks import CORRECT, Member, make_zip

STATUSES = {"ok", "unreadable", "empty", "too_large", "refused"}


def fuzz(examples: int) -> settings:
    return settings(FUZZ, max_examples=examples)


FUZZ = settings(
    deadline=None,
    database=None,  # nothing written into the repository
    phases=[Phase.explicit, Phase.generate, Phase.shrink],  # "explain" costs minutes on a bug
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(st.characters(codec=None, exclude_categories=()), max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
roles = st.sampled_from(["check", "experiment", "prose", "solution"]) | json_values
cell_types = st.sampled_from(["code", "markdown", "raw"]) | json_values
sources = (
    st.text(max_size=200)
    | st.lists(st.text(max_size=40), max_size=5)
    | st.lists(json_values, max_size=3)
    | json_values
)
metadata = st.one_of(
    st.fixed_dictionaries({"optigrade": st.fixed_dictionaries({"role": roles})}),
    st.fixed_dictionaries({"optigrade": json_values}),
    json_values,
)
cells = st.one_of(
    st.fixed_dictionaries(
        {"cell_type": cell_types, "source": sources}, optional={"metadata": metadata}
    ),
    json_values,
)
notebooks = st.one_of(
    st.fixed_dictionaries(
        {"nbformat": st.sampled_from([4, 4, 3, 5, "4", 4.0, None]) | json_values},
        optional={"cells": st.lists(cells, max_size=6) | json_values, "worksheets": json_values},
    ),
    json_values,
)


def _raw_notebook(data: object, mode: str) -> bytes:
    text = json.dumps(data, ensure_ascii=mode == "ascii")
    if mode == "bytes":
        return text.encode("utf-8", "surrogatepass")  # lone surrogates as bytes: not UTF-8
    return text.encode("utf-8", "surrogatepass") if mode == "utf-8" else text.encode()


notebook_bytes = st.one_of(
    st.builds(_raw_notebook, notebooks, st.sampled_from(["ascii", "utf-8", "bytes"])),
    st.binary(max_size=300),
    st.integers(1, 200_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(1, 100_000).map(lambda depth: b'{"cells": ' + b"[" * depth),
    st.integers(4_000, 20_000).map(lambda digits: b'{"nbformat": ' + b"9" * digits + b"}"),
)


def assert_safe(value: object) -> None:
    """Every string in ``value`` encodes as UTF-8 (SQLite, JSON files, the console)."""
    json.dumps(value, ensure_ascii=False).encode("utf-8")


def check_ingested(student: str, files: list[Path], names=None, refused=()) -> None:
    result = ingest(student, files, names, refused)
    assert result.status in STATUSES, result.status
    assert (result.status == "ok") == bool(result.cells), result
    assert result.content_hash == content_hash(files, names, refused)
    if result.status != "ok":
        assert result.reason
    assert_safe(asdict(result))


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@fuzz(400)
@given(raw=notebook_bytes, suffix=st.sampled_from([".ipynb", ".py", ".IPYNB", ".txt"]))
def test_any_notebook_bytes_end_in_a_status(fuzz_dir, raw, suffix):
    path = fuzz_dir / f"submission{suffix}"
    path.write_bytes(raw)
    check_ingested("s", [path])


names = st.one_of(
    st.binary(min_size=1, max_size=300),
    st.text(min_size=1, max_size=80),
    st.sampled_from(
        [
            b"../../escape.py",
            b"/abs/escape.py",
            b"C:\\win\\escape.py",
            b"a\\b.ipynb",
            b"__MACOSX/x.py",
            b".hidden/x.py",
            b"dir/",
            b"kim_12345_678_optimizers.ipynb",
            b"Park_55555_assignsubmission_file_/x.ipynb",
            "정훈_1.ipynb".encode("cp949"),
            b"x" * 300 + b".ipynb",
            b"a\x00b.py",
            b"\x1b[2J.py",
        ]
    ),
).map(lambda n: n if isinstance(n, bytes) else n.encode("utf-8", "surrogatepass"))
suffixes = st.sampled_from([b"", b".py", b".ipynb", b".zip", b".txt"])
modes = st.sampled_from(
    [0o100644, 0o100644, 0o120777, 0o010644, 0o020666, 0o060666, 0o140777, 0o040755, 0]
) | st.integers(0, 0xFFFF)
members = st.builds(
    Member,
    name=st.builds(lambda n, s: n + s, names, suffixes),
    data=st.sampled_from([CORRECT.encode(), b"x = 1\n", b"", b"\xff\xfe"]) | st.binary(max_size=64),
    utf8=st.none() | st.booleans(),
    deflate=st.booleans(),
    mode=modes,
    flags=st.sampled_from([0, 0, 1, 8, 0x40]) | st.integers(0, 0xFFFF),
    crc=st.none() | st.integers(0, 2**32 - 1),
    declared_size=st.none() | st.none() | st.integers(0, 2**32 - 1),
    declared_compressed=st.none() | st.none() | st.integers(0, 2**32 - 1),
)


def _damaged(archive: bytes, cut: int | None, flips: list[tuple[int, int]]) -> bytes:
    data = bytearray(archive if cut is None else archive[: cut % (len(archive) + 1)])
    for at, value in flips:
        if data:
            data[at % len(data)] = value
    return bytes(data)


archives = st.builds(
    _damaged,
    st.builds(make_zip, st.lists(members, max_size=8), st.binary(max_size=30)),
    st.none() | st.none() | st.integers(0, 10**6),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=3),
)


def _inside(path: Path, folder: Path) -> bool:
    return folder.resolve() in path.resolve().parents


def check_discovery(paths: list[Path], workdir: Path) -> None:
    scratch = workdir / "scratch"
    before = sorted(p for p in workdir.rglob("*") if scratch not in p.parents and p != scratch)
    try:
        found = discover(paths, scratch)
    except IngestError as exc:
        # As the TA's console shows it: the reason in both languages (autograder.records.reasons).
        assert reasons.both(str(exc)).isprintable(), str(exc)
        return
    after = sorted(p for p in workdir.rglob("*") if scratch not in p.parents and p != scratch)
    assert before == after, "nothing may be created outside scratch"
    students = [s.student for s in found.submissions]
    assert len(students) == len(set(students))
    for submission in found.submissions:
        assert submission.student.isprintable() and submission.student.strip(), submission
        assert len(submission.files) == len(submission.names)
        assert submission.files or submission.refused
        assert_safe(asdict(submission) | {"files": [str(f) for f in submission.files]})
        for name in submission.names:
            assert name.isprintable(), name
        for path in submission.files:
            str(path).encode()  # every path handed on is valid UTF-8
            assert path.is_file() and not path.is_symlink()
        check_ingested(submission.student, submission.files, submission.names, submission.refused)
    assert_safe(found.warnings)


@fuzz(300)
@given(archive=archives, name=st.sampled_from(["download.zip", "kim_12345_678_work.zip"]))
def test_any_zip_costs_entries_or_is_the_tas_error(archive, name):
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        (workdir / name).write_bytes(archive)
        check_discovery([workdir / name], workdir)


disk_names = st.binary(min_size=1, max_size=255).filter(
    lambda n: b"/" not in n and b"\0" not in n and n not in (b".", b"..")
)
disk_entries = st.lists(
    st.tuples(
        st.lists(disk_names, min_size=1, max_size=3),
        st.sampled_from([b".ipynb", b".py", b".zip", b""]),
        st.sampled_from(["file", "file", "link", "dirlink", "fifo"]),
    ),
    max_size=8,
)


def _make(root: bytes, parts: list[bytes], suffix: bytes, kind: str) -> None:
    *folders, last = parts
    folder = os.path.join(root, *folders) if folders else root
    try:
        os.makedirs(folder, exist_ok=True)
        name = last[: 255 - len(suffix)] + suffix
        path = os.path.join(folder, name)
        if os.path.lexists(path):
            return
        if kind == "file":
            with open(path, "wb") as handle:
                handle.write(CORRECT.encode() if suffix == b".ipynb" else b"x = 1\n")
        elif kind == "link":
            os.symlink(b"/etc/passwd", path)
        elif kind == "dirlink":
            os.symlink(b"/etc", path)
        else:
            os.mkfifo(path)
    except (FileExistsError, NotADirectoryError):
        pass  # a file where a folder was wanted: the tree is what it is


@fuzz(150)
@given(entries=disk_entries, one_by_one=st.booleans())
def test_any_file_names_on_disk_give_unique_printable_ids(entries, one_by_one):
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        root = workdir / "subs"
        root.mkdir()
        for parts, suffix, kind in entries:
            _make(os.fsencode(root), parts, suffix, kind)
        # As `optigrade grade subs/` and as `optigrade grade subs/*` would pass them.
        paths = sorted(root.iterdir()) if one_by_one else [root]
        check_discovery(paths, workdir)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 200_000 + b"]" * 200_000,  # RecursionError in the JSON parser
        b'{"nbformat": ' + b"9" * 5_000 + b"}",  # ValueError: an int of more than 4,300 digits
        json.dumps(
            {
                "nbformat": 4,
                "cells": [
                    {
                        "cell_type": "code",
                        "source": "x = 1",
                        "metadata": {"optigrade": {"role": ["check"]}},
                    }
                ],
            }
        ).encode(),  # TypeError: a list is not hashable
        json.dumps(
            {"nbformat": 4, "cells": [{"cell_type": "code", "source": "x = '\ud800'"}]}
        ).encode(),  # a lone surrogate: UnicodeEncodeError wherever the cell went next
    ],
    ids=["deep", "huge-int", "role-list", "surrogate"],
)
def test_the_crashes_the_fuzzers_found_in_the_old_reader(tmp_path, raw):
    """Each of these raised out of the old ``ingest`` (or returned a cell nothing could
    encode); the strategies above generate all four kinds."""
    path = tmp_path / "n.ipynb"
    path.write_bytes(raw)
    check_ingested("s", [path])
