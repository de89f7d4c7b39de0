"""Hostile and careless intake, through ``optigrade grade`` on real files (issue 21).

One batch holds an honest class and, beside it, every intake attack the red team found: a
notebook whose cell role is a list, a ``.py`` holding a zip's end marker, a ``.ipynb`` that is
really a zip naming other students, links to the reference and to ``/etc/passwd`` (files,
folders, zip entries), a FIFO, Canvas names over 255 bytes, names in cp949 on disk and in a zip
without the UTF-8 flag, terminal escapes in a name, per-student folders, one id from two places,
and zip entries that are damaged, encrypted, truncated or a bomb. The same honest class is
graded alone first: after the attack batch, every honest student's row, results JSON and
feedback must be byte for byte what they were, the batch must finish, each attack must end as
its own row with a visible reason, and nothing outside the output folder may change.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from examples.synthetic_class import notebook
from tests.grading import ROOT, optigrade_exe, read_grades
from tests.test_grade_cli import class_cells

pytestmark = pytest.mark.slow

REFERENCE = ROOT / "solutions" / "optimizers.py"
#: A line of the reference that no student notebook here holds: its text must never come back.
REFERENCE_MARKER = "class Adam"


@dataclass
class Member:
    """One entry of a hand-made zip: any name bytes, flags, mode bits, sizes and CRC."""

    name: bytes | str
    data: bytes = b""
    utf8: bool | None = None  # the UTF-8 name flag; default: set for a non-ASCII str name
    deflate: bool = True
    mode: int = 0o100644  # the Unix st_mode in the external attributes
    flags: int = 0  # other flag bits (1: encrypted)
    crc: int | None = None
    declared_size: int | None = None
    declared_compressed: int | None = None


def make_zip(members: list[Member], comment: bytes = b"") -> bytes:
    """A zip archive written byte by byte, so that a test can say anything a zip can."""
    out, central = bytearray(), bytearray()
    for m in members:
        raw = m.name if isinstance(m.name, bytes) else m.name.encode()
        utf8 = m.utf8 if m.utf8 is not None else not raw.isascii()
        flags = m.flags | (0x800 if utf8 else 0)
        if m.deflate:
            packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
            body = packer.compress(m.data) + packer.flush()
        else:
            body = m.data
        method = 8 if m.deflate else 0
        crc = zlib.crc32(m.data) if m.crc is None else m.crc
        size = len(m.data) if m.declared_size is None else m.declared_size
        csize = len(body) if m.declared_compressed is None else m.declared_compressed
        offset = len(out)
        out += struct.pack(
            "<4sHHHHHIIIHH",
            b"PK\x03\x04",
            20,
            flags,
            method,
            0,
            0x21,
            crc,
            csize,
            size,
            len(raw),
            0,
        )
        out += raw + body
        central += struct.pack(
            "<4sBBHHHHHIIIHHHHHII",
            b"PK\x01\x02",
            20,
            3,
            20,
            flags,
            method,
            0,
            0x21,
            crc,
            csize,
            size,
            len(raw),
            0,
            0,
            0,
            0,
            m.mode << 16,
            offset,
        )
        central += raw
    count = len(members)
    end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(central), len(out), len(comment)
    )
    return bytes(out + central + end + comment)


def run_grade(out: Path, *paths: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            optigrade_exe(),
            "grade",
            "-a",
            "optimizers",
            "--out",
            str(out),
            "--json",
            "--lang",
            "en",
            "--timeout-submission",
            "20",
            "--",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )


def snapshot(root: Path, skip: Path) -> dict[str, tuple[int, bytes]]:
    """Every path under ``root`` (not following links) but ``skip``: its mode and contents."""
    seen: dict[str, tuple[int, bytes]] = {}
    for folder, dirs, files in os.walk(root):
        if Path(folder) == skip or skip in Path(folder).parents:
            dirs[:] = []
            continue
        for name in dirs + files:
            path = Path(folder) / name
            if path == skip:
                continue
            info = path.lstat()
            data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
            seen[str(path)] = (info.st_mode, data)
    return seen


CELLS = class_cells()
NO_BIAS = [
    c.replace("m_hat = self.m[key] / (1 - self.beta1**self.t)", "m_hat = self.m[key]")
    for c in CELLS
]
CORRECT, MISTAKE = notebook(CELLS), notebook(NO_BIAS)
# Korean names as a Korean Windows zip or file system stores them (cp949, no UTF-8 flag).
YOON, JUNG = "윤지수", "정훈"
LONG_CANVAS = "parkseoyeon_55555_66666_" + "최적화_과제_제출본_" * 12 + "optimizers.ipynb"
HONEST = {"correct": "50", "mistake": "40", "12345": "50", "22222": "40"}


def honest_class(root: Path) -> tuple[Path, Path]:
    """The honest students: a folder of notebooks and a Canvas download."""
    subs = root / "subs"
    subs.mkdir(parents=True)
    (subs / "correct.ipynb").write_text(CORRECT)
    (subs / "mistake.ipynb").write_text(MISTAKE)
    canvas = root / "canvas.zip"
    canvas.write_bytes(
        make_zip(
            [
                Member("kimminsu_12345_67890_optimizers.ipynb", CORRECT.encode()),
                Member("leejiwoo_22222_3333_optimizers.ipynb", MISTAKE.encode()),
            ]
        )
    )
    return subs, canvas


def role_list_notebook() -> str:
    data = json.loads(CORRECT)
    checks = [c for c in data["cells"] if c["metadata"].get("optigrade", {}).get("role")]
    checks[0]["metadata"]["optigrade"]["role"] = ["check"]  # a list: unhashable
    checks[1]["metadata"]["optigrade"] = ["role", "check"]
    checks[2]["metadata"] = "optigrade"
    return json.dumps(data)


def attack_class(root: Path) -> list[Path]:
    subs, _ = honest_class(root)
    (subs / "role_list.ipynb").write_text(role_list_notebook())
    # Passed by name: a valid .py whose last bytes are a zip's end of central directory
    # marker, and a .ipynb that is really a zip naming an honest student's Canvas file.
    loose = root / "loose"
    loose.mkdir()
    (loose / "pk_marker.py").write_text("\n\n".join(CELLS) + "\n# PK\x05\x06" + "." * 18 + "\n")
    (loose / "lookalike.ipynb").write_bytes(
        make_zip([Member("kimminsu_12345_67890_optimizers.ipynb", b"{}")])
    )
    os.symlink(REFERENCE, subs / "sneaky.py")
    os.symlink("/etc/passwd", subs / "passwd.py")
    os.mkfifo(subs / "fifo.py")
    eve = subs / "eve"
    eve.mkdir()
    os.symlink(REFERENCE, eve / "optimizers.py")
    os.symlink(ROOT / "autograder" / "suites", eve / "suites")
    (subs / YOON.encode("cp949").decode("utf-8", "surrogateescape")).with_suffix(
        ".ipynb"
    ).write_text(CORRECT)
    (subs / "\x1b]0;pwned\x07\x1b[2Jescape.ipynb").write_text(CORRECT)
    folders = root / "folders"
    for student, text in (("alice", CORRECT), ("bob", MISTAKE)):
        (folders / student).mkdir(parents=True)
        (folders / student / "optimizers.ipynb").write_text(text)
    for place in ("dup1", "dup2"):
        (root / place).mkdir()
        (root / place / "carol.ipynb").write_text(CORRECT)
    os.symlink(REFERENCE, root / "toplink.py")
    bomb = b" " * (60 * 1024 * 1024)
    good = CORRECT.encode()
    downloads = root / "downloads.zip"
    members = [
        Member(LONG_CANVAS, good),
        Member("mallory_77777_1_optimizers.py", b"../../solutions/optimizers.py", mode=0o120777),
        Member("crc_80001_1_optimizers.ipynb", good, crc=zlib.crc32(good) ^ 1),
        Member("enc_80002_1_optimizers.ipynb", good, flags=1),
        Member("trunc_80003_1_optimizers.ipynb", good, declared_compressed=200),
        Member("bomb_80004_1_optimizers.py", bomb),
        Member("../../escape.py", b"print('zip slip')"),
        Member("/tmp/absolute_escape.py", b"print('zip slip')"),
        Member(f"{JUNG}.ipynb".encode("cp949"), good),
        Member("dev_80005_1_optimizers.py", b"", mode=0o020666),
    ]
    downloads.write_bytes(make_zip(members))
    return [
        loose / "pk_marker.py",
        loose / "lookalike.ipynb",
        subs,
        root / "canvas.zip",
        folders,
        root / "dup1",
        root / "dup2",
        root / "toplink.py",
        downloads,
    ]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    control_root = tmp_path_factory.mktemp("control")
    control_out = control_root / "out"
    control = run_grade(control_out, *honest_class(control_root / "in"), cwd=control_root)
    assert control.returncode == 0, control.stderr[-3000:]
    root = tmp_path_factory.mktemp("attack")
    work = root / "in"
    work.mkdir()
    paths = attack_class(work)
    cwd = root / "cwd"
    cwd.mkdir()
    out = root / "out"
    before = snapshot(root, out)
    result = run_grade(out, *paths, cwd=cwd)
    after = snapshot(root, out)
    return control_out, out, result, before, after


def test_the_batch_finishes(graded):
    _control, _out, result, _before, _after = graded
    # 4: graded and written, but intake refused some students' files (each has its row).
    assert result.returncode == 4, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["submissions"] == len(EXPECTED)


EXPECTED = {
    **HONEST,
    "role_list": "graded",
    "pk_marker": "graded",
    "lookalike": "unreadable",
    "sneaky": "refused",
    "passwd": "refused",
    "fifo": "refused",
    "eve": "refused",
    YOON: "graded",
    "\\x1b]0;pwned\\x07\\x1b[2Jescape": "graded",
    "alice": "graded",
    "bob": "graded",
    "carol": "refused",
    "toplink": "refused",
    "55555": "graded",
    "77777": "refused",
    "80001": "refused",
    "80002": "refused",
    "80003": "refused",
    "80004": "refused",
    "80005": "refused",
    JUNG: "graded",
}


def test_every_student_has_exactly_one_row_and_no_other_appears(graded):
    _control, out, _result, _before, _after = graded
    rows = read_grades(out)
    assert set(rows) == set(EXPECTED), sorted(set(rows) ^ set(EXPECTED))
    for student, expected in EXPECTED.items():
        if student in HONEST:
            continue
        assert rows[student]["status"] == expected, (student, rows[student])


def test_honest_students_keep_their_exact_results(graded):
    control, out, _result, _before, _after = graded
    rows, alone = read_grades(out), read_grades(control)
    for student, score in HONEST.items():
        assert rows[student] == alone[student], student
        assert rows[student]["score"] == score, rows[student]
        for path in ("results/{}.json", "feedback/{}.md", "feedback/{}.html"):
            name = path.format(student)
            assert (out / name).read_bytes() == (control / name).read_bytes(), name


def test_honest_work_under_hostile_names_and_layouts_is_graded(graded):
    _control, out, _result, _before, _after = graded
    rows = read_grades(out)
    for student in ("role_list", "pk_marker", YOON, JUNG, "55555", "alice"):
        assert rows[student]["score"] == "50", (student, rows[student])
    assert rows["bob"]["score"] == "40" and rows["bob"]["Adam"] == "0", rows["bob"]


def feedback(out: Path, student: str) -> str:
    return (out / "feedback" / f"{student}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("student", "evidence"),
    [
        ("sneaky", "symbolic link"),
        ("passwd", "symbolic link"),
        ("eve", "symbolic link"),
        ("toplink", "symbolic link"),
        ("77777", "symbolic link"),
        ("fifo", "FIFO"),
        ("80005", "character device"),
        ("80001", "bad CRC-32"),
        ("80002", "encrypted"),
        ("80003", "truncated"),
        ("80004", "expands to more than"),
        ("carol", "dup1/carol.ipynb"),
    ],
)
def test_a_refusal_scores_nothing_and_says_why(graded, student, evidence):
    _control, out, _result, _before, _after = graded
    row = read_grades(out)[student]
    assert row["status"] == "refused" and float(row["score"]) == 0, row
    text = feedback(out, student)
    assert evidence in text, text
    assert REFERENCE_MARKER not in text and "root:x:0:0" not in text, text


def test_one_id_from_two_places_names_both_and_grades_neither(graded):
    _control, out, _result, _before, _after = graded
    text = feedback(out, "carol")
    assert "dup1/carol.ipynb" in text and "dup2/carol.ipynb" in text, text


def test_no_linked_text_reaches_any_output(graded):
    _control, out, _result, _before, _after = graded
    for path in (out / "feedback").iterdir():
        text = path.read_text(encoding="utf-8")
        assert REFERENCE_MARKER not in text and "root:x:0:0" not in text, path.name


def test_every_student_id_is_printable(graded):
    _control, out, result, _before, _after = graded
    for student in read_grades(out):
        assert student.isprintable() and "\x1b" not in student, repr(student)
    assert "\x1b" not in result.stdout and "\x1b" not in result.stderr


def test_nothing_outside_the_output_folder_changes(graded):
    _control, _out, _result, before, after = graded
    assert before == after, sorted(set(before) ^ set(after))
    assert not Path("/tmp/absolute_escape.py").exists()


def test_a_broken_lms_download_stops_with_a_clear_error(tmp_path):
    """A ``.zip`` the TA passes is the class's download: if it is not a readable zip (cut
    short, or not a zip at all), nothing is graded and the TA is told which file."""
    good = tmp_path / "good.ipynb"
    good.write_text(CORRECT)
    whole = make_zip([Member("kimminsu_12345_67890_optimizers.ipynb", CORRECT.encode())])
    (tmp_path / "cut.zip").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "text.zip").write_text("not an archive\n")
    for name in ("cut.zip", "text.zip"):
        out = tmp_path / f"out-{name}"
        result = run_grade(out, good, tmp_path / name, cwd=tmp_path)
        assert result.returncode != 0, result.stdout
        assert f"{name}: not a readable zip archive" in result.stderr, result.stderr
        assert not (out / "grades.csv").exists()


def test_a_students_own_broken_zip_costs_that_student_only(tmp_path):
    """A zip named as one student's Canvas file (a flat download unzipped, then ``*``) is
    that student's archive: broken, it is their refusal; its entries can name nobody else."""
    good = tmp_path / "kimminsu_12345_67890_optimizers.ipynb"
    good.write_text(CORRECT)
    whole = make_zip([Member("x.ipynb", CORRECT.encode())])
    (tmp_path / "mallory_666_1_work.zip").write_bytes(whole[:-30])
    (tmp_path / "eve_777_1_work.zip").write_bytes(
        make_zip([Member("kimminsu_12345_67890_optimizers.ipynb", MISTAKE.encode())])
    )
    out = tmp_path / "out"
    result = run_grade(
        out,
        good,
        tmp_path / "mallory_666_1_work.zip",
        tmp_path / "eve_777_1_work.zip",
        cwd=tmp_path,
    )
    assert result.returncode == 4, result.stderr[-3000:]  # 4: mallory's archive was refused
    rows = read_grades(out)
    assert set(rows) == {"12345", "666", "777"}, rows
    assert rows["12345"]["score"] == "50" and rows["777"]["score"] == "40", rows
    assert rows["666"]["status"] == "refused"
    assert "not a readable zip archive" in feedback(out, "666")
