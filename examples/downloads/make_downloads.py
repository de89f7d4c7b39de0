"""Write small, realistic LMS downloads of the ``optimizers`` assignment (a class of twelve).

``python -m examples.downloads.make_downloads [FOLDER]`` (default: this folder) writes:

* ``canvas/submissions.zip``: Canvas's "Download Submissions" (``<name>_<userid>_<subid>_<file>``,
  ``_LATE``, a resubmission ``-1``, a Hangul name), with the cases intake must decide: two
  notebooks told apart by a resubmission suffix, two that nothing tells apart (a draft and a
  final: Canvas dates every entry when the download is made), a notebook of another
  assignment, a ``.ipynb`` that is not JSON;
* ``canvas/submissions_cp949.zip``: one student's file re-zipped on Korean Windows (names in
  cp949, no UTF-8 flag);
* ``moodle/submissions.zip``: Moodle's download in folders, with an online text beside a
  notebook, an online text alone, a stale second notebook, a draft and a final notebook told
  apart by their times, a Hangul name;
* ``moodle/submissions_flat.zip``: Moodle's download without folders;
* ``moodle/grading_worksheet.csv``: the grading worksheet, dates as Moodle's English
  ``userdate`` writes them (Asia/Seoul).

The notebooks are the reference solution (``solutions/optimizers.py``) written as a student's
notebook, or that solution with a known mistake (Adam without bias correction). Entry times are
fixed: the output is the same bytes on every run.
"""

from __future__ import annotations

import csv
import json
import sys
import zipfile
from pathlib import Path

from autograder.lms.moodle_worksheet import HEADER as WORKSHEET_HEADER
from examples.synthetic_class import item_sources, notebook, preamble

ASSIGNMENT = "optimizers"
HERE = Path(__file__).resolve().parent
#: Times as the archiving machine's clock wrote them (Asia/Seoul for these downloads).
DEC_1 = (2026, 12, 1, 20, 0, 0)
NOV_30 = (2026, 11, 30, 9, 30, 0)
_MISTAKE = ("m_hat = self.m[key] / (1 - self.beta1**self.t)", "m_hat = self.m[key]")


def cells(*, mistake: bool = False) -> list[str]:
    """The reference solution as a student's code cells, or with Adam's known mistake."""
    sources = [preamble(ASSIGNMENT), *item_sources(ASSIGNMENT).values()]
    if mistake:
        assert any(_MISTAKE[0] in s for s in sources), "the Adam source changed"
        sources = [s.replace(*_MISTAKE) for s in sources]
    return sources


def student_notebook(*, mistake: bool = False, assignment: str = ASSIGNMENT) -> bytes:
    """A student's notebook whose metadata names ``assignment`` as ``optigrade assign``
    writes it."""
    data = json.loads(notebook(cells(mistake=mistake)))
    data["metadata"]["optigrade"] = {"assignment": assignment, "lang": "ko", "bundle": "student"}
    for number, cell in enumerate(data["cells"]):
        cell["id"] = f"cell-{number}"  # nbformat draws some at random: the same bytes each run
    return json.dumps(data, ensure_ascii=False, indent=1).encode()


def _zip(path: Path, entries: list[tuple[str, tuple[int, ...], bytes]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, when, data in entries:
            info = zipfile.ZipInfo(name, when)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


def cp949_zip(path: Path, name: str, when: tuple[int, ...], data: bytes) -> None:
    """A one-entry zip whose name is cp949 bytes without the UTF-8 flag (0x800), as Korean
    Windows' own "compressed folder" writes it (:mod:`zipfile` would write UTF-8)."""
    import struct
    import zlib

    raw = name.encode("cp949")
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = packer.compress(data) + packer.flush()
    year, month, day, hour, minute, second = when
    dos_time = hour << 11 | minute << 5 | second // 2
    dos_date = (year - 1980) << 9 | month << 5 | day
    crc = zlib.crc32(data)
    local = struct.pack(
        "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, dos_time, dos_date, crc, len(body), len(data),
        len(raw), 0,
    )  # fmt: skip
    central = struct.pack(
        "<4sBBHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 0, 20, 0, 8, dos_time, dos_date, crc,
        len(body), len(data), len(raw), 0, 0, 0, 0, 0, 0,
    )  # fmt: skip
    directory = central + raw
    start = len(local) + len(raw) + len(body)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(directory), start, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(local + raw + body + directory + end)


ONLINE_TEXT = "<p>제출합니다. / Submitted.</p>".encode()
#: Moodle participants: (participant id, full name, "Last modified (submission)").
MOODLE_PEOPLE = [
    ("5002", "Lee Jiwoo", "Tuesday, 1 December 2026, 11:05 PM"),
    ("5003", "Kim Minji", "Monday, 30 November 2026, 9:15 AM"),
    ("5004", "Park Jisoo", "Wednesday, 2 December 2026, 12:30 AM"),
    ("5005", "박서연", "Tuesday, 1 December 2026, 10:00 PM"),
    ("5006", "Jung Hoon", "Tuesday, 1 December 2026, 11:59 PM"),
    ("5007", "Choi Yuna", "Tuesday, 1 December 2026, 8:00 PM"),
]


def build(folder: Path = HERE) -> dict[str, Path]:
    """Write every download into ``folder``; return their paths by name."""
    good, bad = student_notebook(), student_notebook(mistake=True)
    canvas = folder / "canvas" / "submissions.zip"
    _zip(
        canvas,
        [
            ("정훈_31005_71005_optimizers.ipynb", DEC_1, good),
            ("kimminsu_LATE_31007_71008_optimizers.ipynb", DEC_1, bad),
            ("kimminsu_LATE_31007_71009_optimizers-1.ipynb", DEC_1, good),
            ("parkseoyeon_31008_71010_optimizers.ipynb", DEC_1, student_notebook(
                assignment="schedules"
            )),
            ("choi_31009_71011_draft.ipynb", NOV_30, bad),
            ("choi_31009_71012_final.ipynb", DEC_1, good),
            ("yoon_31011_71015_optimizers.ipynb", DEC_1, b"this is not JSON {"),
        ],
    )  # fmt: skip
    cp949 = folder / "canvas" / "submissions_cp949.zip"
    cp949_zip(cp949, "김민수_31020_71020_optimizers.ipynb", DEC_1, good)
    moodle = folder / "moodle" / "submissions.zip"
    _zip(
        moodle,
        [
            ("Lee Jiwoo_5002_assignsubmission_file_/optimizers.ipynb", DEC_1, good),
            ("Lee Jiwoo_5002_assignsubmission_file_/optimizers_old.ipynb", NOV_30, bad),
            ("Lee Jiwoo_5002_assignsubmission_onlinetext_/onlinetext.html", DEC_1, ONLINE_TEXT),
            ("Kim Minji_5003_assignsubmission_onlinetext_/onlinetext.html", DEC_1, ONLINE_TEXT),
            ("박서연_5005_assignsubmission_file_/optimizers.ipynb", DEC_1, good),
            ("Choi Yuna_5007_assignsubmission_file_/draft.ipynb", NOV_30, bad),
            ("Choi Yuna_5007_assignsubmission_file_/final.ipynb", DEC_1, good),
        ],
    )
    flat = folder / "moodle" / "submissions_flat.zip"
    _zip(
        flat,
        [
            ("Park Jisoo_5004_assignsubmission_file_optimizers.ipynb", DEC_1, good),
            ("Jung Hoon_5006_assignsubmission_file_optimizers.ipynb", DEC_1, bad),
        ],
    )
    worksheet = folder / "moodle" / "grading_worksheet.csv"
    with open(worksheet, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(WORKSHEET_HEADER)  # Moodle's layout, as the exports write it
        for participant, name, when in MOODLE_PEOPLE:
            email = f"{participant}@example.edu"
            writer.writerow(
                [f"Participant {participant}", name, email, "Submitted for grading", "",
                 "50.00", "Yes", when, "-", ""]
            )  # fmt: skip
    return {
        "canvas": canvas,
        "canvas_cp949": cp949,
        "moodle": moodle,
        "moodle_flat": flat,
        "worksheet": worksheet,
    }


if __name__ == "__main__":
    for name, path in build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE).items():
        print(f"{name}: {path}")
