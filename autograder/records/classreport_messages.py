"""Every sentence of the class report (``class_report.html``), in Korean and English."""

from __future__ import annotations

from optigrade.i18n import Text

TITLE = Text(ko="학급 보고서: {assignment}", en="Class report: {assignment}")
OVERVIEW = Text(
    ko="제출물 {count}개: 채점 완료 {graded}개, 채점하지 못함 {not_graded}개. 평균 {mean}.",
    en="{count} submissions: {graded} graded, {not_graded} not graded. Mean {mean}.",
    en_one="{count} submission: {graded} graded, {not_graded} not graded. Mean {mean}.",
)
NO_SUBMISSIONS = Text(ko="아직 결과가 없습니다.", en="No results yet.")

DISTRIBUTION = Text(ko="점수 분포", en="Score distribution")
DISTRIBUTION_NOTE = Text(
    ko="막대 하나는 받은 점수 비율 구간 하나이고, 높이는 그 구간의 학생 수입니다.",
    en="Each bar is a range of the share of points earned; its height is the number of students.",
)
TOTAL = Text(ko="총점", en="Total")
ITEM_MEAN = Text(
    ko="{item}: 평균 {mean}, 만점 {full}명", en="{item}: mean {mean}, {full} full marks"
)
CHART_LABEL = Text(
    ko="{title}: 점수 구간별 학생 수", en="{title}: number of students per score range"
)
BAR_TIP = Text(ko="{range}: {count}명", en="{range}: {count} students", en_one="{range}: 1 student")

ITEMS = Text(ko="항목별 요약", en="Items at a glance")
ITEM = Text(ko="항목", en="Item")
MEAN = Text(ko="평균 점수", en="Mean score")
FULL_MARKS = Text(ko="만점 학생", en="Full marks")
DOMINANT = Text(ko="가장 흔한 감점 원인", en="Dominant cause of lost points")
DOMINANT_CELL = Text(
    ko="{cause} (감점된 {lost}명 중 {count}명)",
    en="{cause} ({count} of {lost} students who lost points)",
)
NOTHING_LOST = Text(ko="감점 없음", en="no points lost")

TESTS = Text(ko="숨은 테스트별 통과율", en="Pass rate per hidden test")
TEST = Text(ko="테스트", en="Test")
PASSED = Text(ko="통과", en="Passed")
PASSED_CELL = Text(ko="{total}명 중 {passed}명 ({rate})", en="{passed} of {total} ({rate})")

CAUSES = Text(
    ko="감점 원인: 알려진 실수와 오류", en="Why points were lost: known mistakes and errors"
)
CAUSES_NOTE = Text(
    ko="한 학생은 원인마다 한 번만 셉니다 (같은 원인이 여러 테스트에서 나와도).",
    en="A student counts once per cause, however many tests show it.",
)
KIND = Text(ko="종류", en="Kind")
CAUSE = Text(ko="원인", en="Cause")
STUDENTS = Text(ko="학생 수", en="Students")
WHO = Text(ko="해당 학생", en="Who")
NO_CAUSES = Text(ko="감점된 학생이 없습니다.", en="No student lost points.")

CAUSE_KIND = {
    "mistake": Text(ko="알려진 실수", en="known mistake"),
    "exception": Text(ko="예외", en="exception"),
    "mismatch": Text(ko="틀린 값", en="wrong values"),
    "missing": Text(ko="이름 없음", en="name missing"),
    "not_implemented": Text(ko="미구현", en="not implemented"),
    "other": Text(ko="기타", en="other"),
}
#: The cause of a failure that has nothing more specific than its kind.
CAUSE_TEXT = {
    "mismatch": Text(
        ko="기준 구현과 값이 다름 (일치하는 알려진 실수 없음)",
        en="values differ from the reference (no known mistake matches)",
    ),
    "missing": Text(ko="{name}이(가) 정의되지 않음", en="{name} is not defined"),
    "not_implemented": Text(
        ko="NotImplementedError (구현하지 않음)", en="NotImplementedError (not implemented)"
    ),
    "wrong_exception": Text(
        ko="{expected} 대신 {received} 예외", en="raised {received} instead of {expected}"
    ),
    "no_exception": Text(ko="{expected} 예외가 나지 않음", en="did not raise {expected}"),
    "property": Text(ko="지켜야 할 성질이 깨짐", en="a required property does not hold"),
    "timeout": Text(ko="시간 초과", en="timed out"),
    "skipped_after_timeout": Text(
        ko="앞선 시간 초과로 건너뜀", en="skipped after an earlier timeout"
    ),
    "time_budget": Text(ko="제출물 시간 예산 소진", en="submission's time budget used up"),
    "crashed": Text(ko="실행 환경 종료", en="the sandbox process ended"),
    "protocol": Text(ko="채점 통신 방해", en="interfered with the grader's channel"),
    "restarted": Text(ko="실행 환경 재시작으로 객체 사라짐", en="object lost in a sandbox restart"),
    "suite_error": Text(ko="채점 테스트 자체의 오류", en="an error in the hidden test itself"),
    "unknown": Text(ko="알 수 없는 실패 ({kind})", en="unknown failure ({kind})"),
}

MISNAMED = Text(ko="자주 틀린 이름", en="Items most often misnamed")
MISNAMED_NOTE = Text(
    ko=(
        "이 채점 기록에는 과제가 요구한 이름을 찾지 못했다는 사실만 있고, 학생이 대신 정의한 "
        "이름(예: RMSprop)은 없습니다. 학생이 실제로 쓴 이름은 각자의 제출물에서 확인하세요."
    ),
    en=(
        "These grading records say which required name was not found, not which name the "
        "student defined instead (e.g. RMSprop): look in the student's submission for that."
    ),
)
NEAR_NOTE = Text(
    ko=(
        "요구한 이름이 없을 때, 학생이 정의한 이름 가운데 가장 가까운 것(철자나 대소문자가 "
        "조금 다른 이름)을 함께 보여 줍니다. 가까운 이름이 없으면 비워 둡니다."
    ),
    en=(
        "Where a required name is missing, the closest name the student defined (a spelling or "
        "case away) is shown next to it; empty where nothing was that close."
    ),
)
INSTEAD = Text(ko="대신 정의한 이름 (학생 수)", en="Defined instead (students)")
NAME = Text(ko="요구한 이름", en="Name asked for")
NO_MISNAMED = Text(
    ko="모든 채점된 제출물에 요구한 이름이 다 있습니다.",
    en="Every graded submission defines every name asked for.",
)

CELLS = Text(ko="노트북 셀 실행 문제", en="Notebook cells that did not run cleanly")
CELL_PROBLEM = Text(ko="문제", en="Problem")
CELL_KIND = {
    "error": Text(ko="셀에서 오류", en="a cell raised an error"),
    "syntax_error": Text(ko="문법 오류 (셀 건너뜀)", en="syntax error (cell skipped)"),
    "exit": Text(ko="sys.exit 호출", en="called sys.exit"),
    "timeout": Text(ko="셀 시간 초과", en="a cell timed out"),
    "crashed": Text(ko="셀 실행 중 실행 환경 종료", en="the sandbox ended in a cell"),
    "skipped": Text(ko="셀 건너뜀", en="cell skipped"),
}
NO_CELLS = Text(ko="모든 셀이 문제없이 실행되었습니다.", en="Every cell ran cleanly.")

NOT_GRADED = Text(ko="채점하지 못한 제출물", en="Submissions not graded")
STUDENT = Text(ko="학생", en="Student")
STATUS = Text(ko="상태", en="Status")
DETAIL = Text(ko="자세한 내용 (기록 그대로)", en="Details (as recorded)")
NONE_NOT_GRADED = Text(ko="모든 제출물을 채점했습니다.", en="Every submission was graded.")
