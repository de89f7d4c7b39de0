"""Every sentence of the course file, the roster, late work and overrides, in Korean and English.

The TA reads the errors (a course file or roster that is wrong, an override refused) on the
command line, rendered in both languages with :func:`autograder.messages.both`; students read
the late line and the reviewed line in their feedback, in their own language.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optigrade.i18n import Text


@dataclass(frozen=True)
class Said:
    """A sentence with its values, rendered later in whichever language is asked for."""

    text: Text
    values: dict[str, object] = field(default_factory=dict)

    def render(self, lang: str) -> str:
        return self.text.render(lang, **_in(lang, self.values))


def both(text: Text, /, **values: object) -> str:
    """``text`` in Korean, then in English; a value that is itself a :class:`Said` or a
    :class:`Text` is rendered in the same language as the sentence around it."""
    return "\n".join(text.render(lang, **_in(lang, values)) for lang in ("ko", "en"))


def _in(lang: str, values: dict[str, object]) -> dict[str, object]:
    return {k: v.render(lang) if isinstance(v, (Said, Text)) else v for k, v in values.items()}


# -- the course file ------------------------------------------------------------------------
COURSE_UNREADABLE = Text(
    ko="{path}: 코스 파일을 읽을 수 없습니다 ({error})",
    en="{path}: the course file cannot be read ({error})",
)
COURSE_SYNTAX = Text(
    ko="{path}: TOML 문법 오류 ({error})",
    en="{path}: not valid TOML ({error})",
)
COURSE_KEY = Text(ko="{path}: `{key}`: {problem}", en="{path}: `{key}`: {problem}")
MISSING_KEY = Text(ko="값이 없습니다", en="is missing")
NOT_TEXT = Text(ko="문자열이어야 합니다", en="must be a text")
NOT_NUMBER = Text(ko="숫자여야 합니다", en="must be a number")
NOT_TABLE = Text(ko="테이블이어야 합니다", en="must be a table")
OUT_OF_RANGE = Text(
    ko="{low}에서 {high} 사이여야 합니다 (받은 값: {value})",
    en="must be between {low} and {high} (got {value})",
)
BAD_PER = Text(
    ko='"day" 또는 "hour"여야 합니다 (받은 값: {value})',
    en='must be "day" or "hour" (got {value})',
)
BAD_DATE = Text(
    ko="날짜와 시각을 읽을 수 없습니다: {value} (예: 2026-03-20T23:59)",
    en="cannot read the date and time {value} (write e.g. 2026-03-20T23:59)",
)
BAD_ZONE = Text(
    ko="알 수 없는 시간대입니다: {value} (예: Asia/Seoul)",
    en="unknown time zone {value} (write e.g. Asia/Seoul)",
)
UNKNOWN_KEYS = Text(ko="모르는 키: {keys}", en="unknown keys: {keys}")
UNKNOWN_ASSIGNMENT = Text(
    ko="코스 파일에 과제 {assignment}이(가) 없습니다 ([assignments.{assignment}] 절을 추가하세요)",
    en="the course file has no assignment {assignment} (add an [assignments.{assignment}] table)",
)
NOT_ON_ROSTER_KEY = Text(
    ko="명단에 없는 학번입니다: {student}", en="no student {student} on the roster"
)
BAD_EXTENSION = Text(
    ko="새 마감 시각(문자열) 또는 {{ days = N }} / {{ hours = N }} 여야 합니다",
    en="must be a new due date (text) or {{ days = N }} / {{ hours = N }}",
)

# -- the roster -----------------------------------------------------------------------------
ROSTER_UNREADABLE = Text(
    ko="{path}: 명단 파일을 읽을 수 없습니다 ({error})",
    en="{path}: the roster cannot be read ({error})",
)
ROSTER_ENCODING = Text(
    ko="{path}: 명단이 UTF-8도 CP949도 아닙니다 (UTF-8 CSV로 다시 저장하세요)",
    en="{path}: the roster is neither UTF-8 nor CP949 (save it again as UTF-8 CSV)",
)
ROSTER_COLUMNS = Text(
    ko="{path}: 1행: 필수 열이 없습니다: {columns} (있는 열: {found})",
    en="{path}: line 1: required columns missing: {columns} (found: {found})",
)
ROSTER_LINE = Text(ko="{path}: {line}행: {problem}", en="{path}: line {line}: {problem}")
ROSTER_EMPTY_ID = Text(ko="학번이 비어 있습니다", en="the student id is empty")
ROSTER_CELL_BREAK = Text(
    ko='칸 안에 줄바꿈이 있습니다 (짝이 맞지 않는 따옴표 "?): 이 줄부터 뒤의 줄들이 '
    "한 칸으로 읽혔을 수 있습니다. 따옴표를 고치거나 지우십시오",
    en='a cell holds a line break (an unmatched quote "?): the lines after it may have been '
    "read as one cell. Fix or remove the quote",
)
ROSTER_DUPLICATE = Text(
    ko="{column} {value}이(가) {first}행에도 있습니다",
    en="{column} {value} is also on line {first}",
)
ROSTER_LANG = Text(
    ko="피드백 언어는 ko, en 또는 빈칸이어야 합니다 (받은 값: {value})",
    en="the feedback language must be ko, en or empty (got {value})",
)
ROSTER_NOT_NUMBER = Text(
    ko="{column}은(는) 숫자여야 합니다 (받은 값: {value})",
    en="{column} must be a number (got {value})",
)

# -- matching the submissions to the roster ------------------------------------------------
NOT_ON_ROSTER = Text(
    ko="명단에 없는 제출물 {count}개 (LMS 파일에는 넣지 않았습니다):",
    en="Submissions not on the roster: {count} (left out of the LMS files):",
)
DUPLICATE_SUBMISSION = Text(
    ko="{student} 학생의 두 번째 제출물입니다 (첫 번째: {first})",
    en="a second submission for {student} (the first: {first})",
)
MISSING_STUDENTS = Text(
    ko="제출물이 없는 명단 학생 {count}명: {students}",
    en="Roster students without a submission: {count}: {students}",
)
LATE_FLAGGED = Text(
    ko="LMS가 늦음으로 표시했지만 제출 시각을 모르는 제출물 {count}개 (감점 없음, 확인 필요): "
    "{students}",
    en="Submissions the LMS marked late, upload time unknown: {count} (no penalty; check them): "
    "{students}",
)
LMS_WRITTEN = Text(ko="LMS 파일을 썼습니다: {folder}", en="Wrote the LMS files: {folder}")

# -- late work, in the student's feedback ----------------------------------------------------
LATE_LINE = Text(
    ko="제출 {late} 늦음: −{penalty}% (감점 전 {raw} / {max_score})",
    en="Submitted {late} late: −{penalty}% (before the penalty {raw} / {max_score})",
)
LATE_GRACE = Text(
    ko="제출 {late} 늦음: 유예 시간 안이라 감점 없음",
    en="Submitted {late} late: within the grace period, no penalty",
)
LATE_FLAG = Text(
    ko="LMS가 늦은 제출로 표시했지만 제출 시각을 알 수 없어 감점하지 않았습니다. "
    "조교가 확인합니다.",
    en="The LMS marked this submission late but its time is unknown: no penalty was applied. "
    "Your TA will check it.",
)
DAYS = Text(ko="{n}일", en="{n} day{s}")
HOURS = Text(ko="{n}시간", en="{n} hour{s}")
MINUTES = Text(ko="{n}분", en="{n} minute{s}")
SECONDS = Text(ko="{n}초", en="{n} second{s}")

# -- overrides -------------------------------------------------------------------------------
REVIEWED_HEADER = Text(ko="조교 검토", en="Reviewed by a TA")
REVIEWED_LINE = Text(
    ko="{item}: 조교가 검토하여 {old}점에서 {points}점으로 바꾸었습니다. 사유: {reason}",
    en="{item}: reviewed by a TA, changed from {old} to {points} points. Reason: {reason}",
)
OVERRIDE_NO_STUDENT = Text(
    ko="채점부에 {assignment} 과제의 학생 {student}이(가) 없습니다",
    en="the gradebook has no student {student} for {assignment}",
)
OVERRIDE_NO_ITEM = Text(
    ko="{assignment} 과제에 항목 {item}이(가) 없습니다 (항목: {items})",
    en="{assignment} has no item {item} (items: {items})",
)
OVERRIDE_RANGE = Text(
    ko="{item}의 점수는 0에서 {max_score} 사이여야 합니다 (받은 값: {points})",
    en="points for {item} must be between 0 and {max_score} (got {points})",
)
OVERRIDE_NO_REASON = Text(ko="--reason이 비어 있습니다", en="--reason is empty")
OVERRIDE_DONE = Text(
    ko="{student} {item}: {old} → {points} (기록자 {by})",
    en="{student} {item}: {old} → {points} (by {by})",
)
OVERRIDES_DROPPED = Text(
    ko="조교의 점수 변경 {count}개를 이번 채점부터 적용하지 않습니다 (기록은 남아 있습니다)",
    en="{count} TA overrides no longer apply from this run on (their history is kept)",
)
OVERRIDE_OUTDATED = Text(
    ko="{student}: 조교가 바꾼 점수({items})는 이전 제출물에 대한 것이라 새 제출물에는 적용하지 "
    "않았습니다. 다시 검토하고 필요하면 override를 다시 하십시오",
    en="{student}: the TA's change of {items} judged an earlier submission and is not applied "
    "to the new one. Review it again and override again if needed",
)
OVERRIDES_KEPT = Text(
    ko="조교의 점수 변경 {count}개를 유지합니다 (버리려면 --drop-overrides)",
    en="{count} TA overrides kept (--drop-overrides drops them)",
)
GRADES_CHANGED = Text(
    ko="점수가 바뀐 학생 {count}명 (목록: {path}):",
    en="{count} students' grades changed (list: {path}):",
)
GRADES_UNCHANGED = Text(
    ko="이전 채점과 점수가 바뀐 학생은 없습니다",
    en="no student's grade changed since the last run",
)

# -- the short comment of the Moodle worksheet -------------------------------------------------
COMMENT_SCORE = Text(ko="점수 {score} / {max_score}.", en="Score {score} / {max_score}.")
COMMENT_STATUS = Text(ko="상태: {status}.", en="Status: {status}.")
COMMENT_REVIEWED = Text(ko="조교 검토 항목: {items}.", en="Reviewed by a TA: {items}.")
COMMENT_MISSING = Text(ko="제출물 없음.", en="No submission.")
COMMENT_FILE = Text(
    ko="자세한 내용은 피드백 파일을 보세요.", en="See the feedback file for the details."
)
