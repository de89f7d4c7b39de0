"""Every reason intake gives for a refused file or archive, in Korean and English.

A reason lands in a student's feedback (the ``reason`` and ``notes`` of the gradebook row) and in
the TA's console, which are read in either language: :func:`say` renders both, English first.
"""

from __future__ import annotations

from optigrade.i18n import Text


def say(text: Text, /, **values: object) -> str:
    """``text`` in both languages, on one line: "English / 한국어" (a value that is itself a
    :class:`Text` is rendered in the same language)."""
    return " / ".join(text.render(lang, **_in(lang, values)) for lang in ("en", "ko"))


def _in(lang: str, values: dict[str, object]) -> dict[str, object]:
    return {k: v.render(lang) if isinstance(v, Text) else v for k, v in values.items()}


# Files and folders that are not plain files.
SYMLINK = Text(
    ko="심볼릭 링크는 따라가지 않습니다 (링크가 가리키는 파일을 직접 넘기세요)",
    en="a symbolic link, not followed (pass the file it points to instead)",
)
SPECIAL = Text(ko="일반 파일이 아닙니다 ({kind})", en="not a regular file ({kind})")
FOLDER = Text(ko="폴더", en="a folder")
FIFO = Text(ko="FIFO", en="a FIFO")
SOCKET = Text(ko="소켓", en="a socket")
CHAR_DEVICE = Text(ko="문자 장치", en="a character device")
BLOCK_DEVICE = Text(ko="블록 장치", en="a block device")
UNKNOWN_KIND = Text(ko="알 수 없는 종류", en="an unknown kind")
UNREADABLE_FOLDER = Text(
    ko="폴더를 읽을 수 없습니다 ({error})", en="the folder cannot be read ({error})"
)
UNOPENABLE = Text(ko="파일을 열 수 없습니다 ({error})", en="the file cannot be opened ({error})")
NESTED_ARCHIVE = Text(
    ko="폴더나 압축 파일 안의 압축 파일은 풀지 않습니다 (풀어서 넘기거나 직접 넘기세요)",
    en="an archive inside a folder or an archive is not opened (unzip it, or pass it directly)",
)

# Archive entries.
ESCAPING = Text(
    ko="압축 파일 밖을 가리키는 경로라 풀지 않았습니다: {name}",
    en="a path that leaves the archive, not extracted: {name}",
)
ENCRYPTED = Text(ko="암호가 걸린 항목입니다", en="an encrypted entry")
METHOD = Text(
    ko="지원하지 않는 압축 방식입니다 ({method})",
    en="an unsupported compression method ({method})",
)
DAMAGED = Text(ko="손상된 항목입니다 ({detail})", en="a damaged entry ({detail})")
OVERLAPPING = Text(
    ko="다른 항목과 데이터가 겹치는 항목이라 풀지 않았습니다 (손상되었거나 zip 폭탄입니다)",
    en="its data overlap another entry's, so it was not extracted (a damaged archive or a zip "
    "bomb)",
)
TOO_LARGE_ENTRY = Text(
    ko="풀면 {limit}바이트를 넘습니다", en="it expands to more than {limit} bytes"
)
ARCHIVE_BUDGET = Text(
    ko="압축 파일 전체가 {limit}바이트를 넘게 풀려 이 항목은 풀지 않았습니다",
    en="the archive expands to more than {limit} bytes in all; this entry was not extracted",
)
TOO_MANY_ENTRIES = Text(
    ko="압축 파일의 항목이 {limit}개를 넘어 이 항목은 읽지 않았습니다",
    en="the archive has more than {limit} entries; this entry was not read",
)
DUPLICATE_ENTRY = Text(
    ko="압축 파일 안에 같은 이름의 항목이 여럿 있어 어느 것도 쓰지 않았습니다",
    en="the archive holds several entries of this name; none of them was used",
)
EXTRACT_FAILED = Text(ko="풀 수 없습니다 ({error})", en="it could not be extracted ({error})")
DIRECTORY_DAMAGED = Text(
    ko="{archive}: 압축 파일의 목차가 {count}번째 항목 뒤로 손상되어 그 뒤 항목은 읽지 못했습니다",
    en="{archive}: the archive's directory is damaged after entry {count}; later entries were "
    "not read",
)
UNPARSED_ENTRIES = Text(
    ko="{archive}: 항목이 너무 많아 {count}번째 뒤로는 읽지 않았습니다",
    en="{archive}: too many entries; those after entry {count} were not read",
)

# Notebooks whose JSON is not a notebook the grader reads.
CELLS_NOT_A_LIST = Text(
    ko="읽을 수 없는 노트북입니다 (셀 목록이 리스트가 아닙니다)",
    en="not a readable notebook (its cells are not a list)",
)
SOURCE_NOT_TEXT = Text(
    ko="읽을 수 없는 노트북입니다 ({number}번째 셀: 소스가 텍스트도 줄 목록도 아닙니다)",
    en="not a readable notebook (cell {number}: its source is neither text nor lines)",
)
WORKSHEETS_NOT_A_LIST = Text(
    ko="읽을 수 없는 노트북입니다 (워크시트 목록이 리스트가 아닙니다)",
    en="not a readable notebook (its worksheets are not a list)",
)
WORKSHEET_NOT_AN_OBJECT = Text(
    ko="읽을 수 없는 노트북입니다 ({number}번째 워크시트가 JSON 객체가 아닙니다)",
    en="not a readable notebook (worksheet {number} is not a JSON object)",
)
WORKSHEET_CELLS = Text(
    ko="읽을 수 없는 노트북입니다 ({number}번째 워크시트의 셀 목록이 리스트가 아닙니다)",
    en="not a readable notebook (the cells of worksheet {number} are not a list)",
)
NOTEBOOK_VERSION = Text(
    ko="읽을 수 없는 노트북입니다 (형식 버전 nbformat {version}; 버전 2, 3, 4만 읽습니다). "
    "Jupyter에서 열어 다시 저장하세요",
    en="not a readable notebook (format version nbformat {version}; versions 2, 3 and 4 are "
    "read). Open it in Jupyter and save it again",
)
OLDER_NOTEBOOK = Text(
    ko="이전 형식(nbformat {version})의 노트북을 그대로 읽었습니다",
    en="a notebook of an older format (nbformat {version}), read as it is",
)

# Whole archives and the TA's own arguments.
NOT_A_ZIP = Text(
    ko="{path}: 읽을 수 있는 zip 파일이 아닙니다 ({detail}); 다시 내려받으세요",
    en="{path}: not a readable zip archive ({detail}); download it again",
)
NO_SUCH_PATH = Text(ko="{path}: 그런 파일이나 폴더가 없습니다", en="{path}: no such file or folder")
UNREADABLE_ARGUMENT = Text(
    ko="{path}: 읽을 수 없습니다 ({error})", en="{path}: cannot be read ({error})"
)

# One student per id.
SEVERAL_SOURCES = Text(
    ko="학생 ID {student}이(가) 여러 곳에서 나옵니다 ({origins}); 두 사람의 제출물을 섞지 않도록 "
    "채점하지 않았습니다. 파일 이름을 고치거나 따로 채점하세요",
    en="student id {student} comes from several places ({origins}); not graded, so that no two "
    "people's work is mixed. Rename the files or grade them apart",
)
SEVERAL_STUDENTS_IN_FOLDER = Text(
    ko="폴더 {folder}에 여러 학생의 파일이 있습니다 (ID {ids}); 폴더 자체를 넘기세요",
    en="folder {folder} holds the files of several students (ids {ids}); pass the folder itself",
)
SEVERAL_NOTEBOOKS_IN_FOLDER = Text(
    ko="폴더 {folder}에 노트북이 {count}개 있습니다 ({files}); 학생 폴더에는 노트북이 하나여야 "
    "합니다. 여러 학생의 노트북이라면 그 폴더 자체를 넘기세요",
    en="folder {folder} holds {count} notebooks ({files}); a student's folder holds one notebook. "
    "If they are several students' notebooks, pass that folder itself",
)
REFUSED_NOTE = Text(
    ko="받아들이지 않은 파일: {entry}",
    en="file not accepted: {entry}",
)

# One file per student: what was graded, and what was not.
ONLINE_TEXT = Text(
    ko="온라인 텍스트는 채점하지 않습니다 (이 과제는 노트북 파일을 받습니다)",
    en="an online text, not graded (this assignment takes a notebook file)",
)
OTHER_ASSIGNMENT = Text(
    ko="이 노트북의 메타데이터는 과제 {found}의 노트북이라고 합니다 (채점하는 과제: {wanted}); "
    "채점하지 않았습니다",
    en="this notebook's metadata names assignment {found} (grading {wanted}); not graded",
)
CHOSEN = Text(
    ko="파일 {count}개 중 {chosen}을(를) 채점했습니다 (규칙: {rule}); 채점하지 않은 파일: {others}",
    en="graded {chosen} of {count} files (rule: {rule}); not graded: {others}",
)
AMBIGUOUS = Text(
    ko="노트북이 여러 개라 어느 것을 채점할지 정할 수 없습니다 ({files}): "
    "과제 이름({assignment})과 같은 이름의 파일이 하나가 아니고, "
    "제출 시각이나 재제출 번호로도 가릴 수 없습니다. 하나만 남기고 다시 채점하세요",
    en="several files and no way to tell which one to grade ({files}): not exactly one is named "
    "like the assignment ({assignment}), and neither their times nor resubmission numbers decide. "
    "Keep one and grade again",
)
RULE_NAMES = {
    "only-file": Text(ko="파일이 하나뿐", en="the only file"),
    "named-like-assignment": Text(
        ko="과제 이름과 같은 파일", en="the one named like the assignment"
    ),
    "newest": Text(ko="가장 최근 파일", en="the newest"),
    "latest-resubmission": Text(ko="마지막 재제출", en="the latest resubmission"),
}

# The TA's Moodle grading worksheet (grade --worksheet).
WORKSHEET_UNREADABLE = Text(
    ko="{path}: 채점 워크시트를 읽을 수 없습니다 ({detail})",
    en="{path}: the grading worksheet cannot be read ({detail})",
)
WORKSHEET_COLUMNS = Text(
    ko="{path}: Moodle 채점 워크시트가 아닙니다 (첫 줄에 '{identifier}'와 '{modified}' 열이 있어야 "
    "합니다). Moodle의 '채점 워크시트 내려받기'로 받은 CSV를 넘기세요",
    en="{path}: not a Moodle grading worksheet (its first row must name the columns "
    "'{identifier}' and '{modified}'). Pass the CSV of Moodle's 'Download grading worksheet'",
)
WORKSHEET_ROW = Text(
    ko="{path} {row}번째 줄: 참가자 번호가 없는 식별자 {value!r}, 건너뜀",
    en="{path} row {row}: identifier {value!r} holds no participant number, skipped",
)
WORKSHEET_REPEATED = Text(
    ko="{path} {row}번째 줄: 참가자 {participant}이(가) {first}번째 줄에도 있습니다. 처음 줄의 "
    "시각을 씁니다",
    en="{path} row {row}: participant {participant} is also on row {first}; the first row's "
    "time is used",
)
WORKSHEET_MAXIMUM = Text(
    ko="{path}: 워크시트의 최고 점수(Maximum Grade)는 {found}인데 이 과제의 만점은 "
    "{points}점입니다. Moodle은 올린 점수를 바꾸지 않으므로, 올리기 전에 Moodle 과제의 최고 "
    "점수를 {points}로 맞추십시오",
    en="{path}: the worksheet's Maximum Grade is {found} but this assignment is worth {points} "
    "points. Moodle does not rescale uploaded grades: set the Moodle assignment's maximum grade "
    "to {points} before uploading",
)
WORKSHEET_DATE = Text(
    ko="{path} {row}번째 줄: 제출 시각 {value!r}을(를) 읽을 수 없어 압축 항목의 시각을 씁니다",
    en="{path} row {row}: submission time {value!r} cannot be read; the zip entry's time is used",
)
UNKNOWN_ZONE = Text(
    ko="알 수 없는 시간대입니다: {zone} (예: Asia/Seoul, UTC)",
    en="unknown time zone: {zone} (e.g. Asia/Seoul, UTC)",
)
WRONG_ASSIGNMENT = Text(
    ko="찾은 제출물 {count}개의 노트북이 모두 과제 {found}의 노트북입니다 (메타데이터); "
    "-a {wanted}로는 아무도 채점할 수 없습니다. -a {found}로 다시 실행하세요",
    en="the notebooks of all {count} submissions found are assignment {found}'s (their "
    "metadata); -a {wanted} would grade none of them. Run again with -a {found}",
)
CHOICES = Text(
    ko="학생 {count}명은 파일이 여러 개라 규칙에 따라 하나를 골랐습니다:",
    en="{count} students had several files; one was chosen by the rule:",
)
