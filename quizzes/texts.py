"""Every word of a sheet, key or proof sheet that is not item text, in both languages."""

from __future__ import annotations

from optigrade.i18n import Text

SHEET_TITLE = Text(ko="{quiz} — 퀴즈", en="{quiz} — quiz")
KEY_TITLE = Text(ko="{quiz} — 정답지", en="{quiz} — answer key")
PROOF_TITLE = Text(
    ko="{quiz} — 검토용 전체 문항 (시드 {seed})", en="{quiz} — proof sheet (seed {seed})"
)
STUDENT = Text(ko="학번", en="Student ID")
NAME_LINE = Text(ko="이름", en="Name")
QUESTION = Text(ko="문제 {n}", en="Question {n}")
ANSWER = Text(ko="정답", en="Answer")
MISCONCEPTIONS = Text(ko="오답이 나타내는 오개념", en="Misconceptions behind the distractors")
VARIANT = Text(ko="변형 {k} ({count}명: {who})", en="Variant {k} ({count} sheet(s): {who})")
ITEM = Text(ko="문항 {item} — {topic}", en="Item {item} — {topic}")
INSTRUCTION = {
    "single": Text(ko="하나를 고르시오.", en="Choose one."),
    "multiple": Text(ko="옳은 것을 모두 고르시오.", en="Choose all that apply."),
    "truefalse": Text(ko="참 또는 거짓으로 답하시오.", en="Answer true or false."),
    "numeric": Text(
        ko="수로 답하시오 (허용 오차 ± {margin}).", en="Answer with a number (within ± {margin})."
    ),
    "short": Text(ko="짧게 답하시오.", en="Give a short answer."),
    "matching": Text(
        ko="왼쪽의 각 항목에 맞는 오른쪽 항목을 고르시오.",
        en="Match each entry on the left with one on the right.",
    ),
}
ANSWER_BLANK = Text(ko="답: ________________", en="Answer: ________________")
BANK_TITLE = Text(
    ko="optigrade 퀴즈 문항 은행: {items}문항, {topics}개 주제",
    en="optigrade quiz bank: {items} item(s), {topics} topic(s)",
)
BUILT = Text(
    ko="시트 {sheets}장 × {items}문항 → 파일 {files}개, {out} ({seconds:.1f}초)",
    en="{sheets} sheet(s) × {items} item(s) → {files} file(s) in {out} ({seconds:.1f} s)",
)

# Paper answer sheets (quizzes/sheets/) and what the scanner reports about them.
ANSWER_SHEET_TITLE = Text(ko="{quiz} — 답안지", en="{quiz} — answer sheet")
ANSWER_SHEET_WHO = Text(
    ko="학번 {student} · {page}/{pages}쪽", en="Student ID {student} · page {page} of {pages}"
)
ANSWER_SHEET_CODE = Text(ko="답안지 코드 (쓰지 마시오)", en="Sheet code (do not write here)")
ANSWER_SHEET_HOW = (
    Text(
        ko="진한 펜으로 원을 완전히 칠하십시오. 답을 바꾸려면 칠한 원 위에 원보다 큰 X를 긋고",
        en="Fill each circle completely with a dark pen. To change an answer, draw an X larger",
    ),
    Text(
        ko="다른 원을 칠하십시오. 네 모서리의 검은 사각형과 코드 칸에는 아무것도 쓰지 마십시오.",
        en="than the circle through it and fill another. Write nothing on the corner squares.",
    ),
)
ANSWER_SHEET_BOX = {
    "numeric": Text(ko="수로 쓰시오", en="write the number"),
    "short": Text(ko="짧게 쓰시오", en="write a short answer"),
}
ANSWER_SHEET_MATCHING = Text(
    ko="왼쪽 항목 1, 2, … 마다 오른쪽 글자 하나", en="one letter for each left entry 1, 2, …"
)
#: What a true/false bubble shows: the course's attendance quizzes mark true/false as O/X.
TRUTH_MARKS = {"ko": ("O", "X"), "en": ("T", "F")}
REVIEW_REASON = {
    "doubtful": Text(
        ko="불분명한 표시: 칠했는지 확인하십시오", en="unclear mark: check whether it is filled"
    ),
    "several": Text(
        ko="답이 하나인 문항에 표시가 여럿", en="several marks on a one-answer question"
    ),
    "crossed-only": Text(
        ko="지운 표시만 있고 칠한 답이 없음: 동그라미, 밑줄, 얼룩인지 확인하십시오",
        en="only crossed-out marks, nothing filled: check for a ring, an underline or a stain",
    ),
    "write-in": Text(ko="직접 쓴 답: 손으로 입력하십시오", en="written answer: type it in by hand"),
    "page": Text(ko="페이지를 읽을 수 없음: {why}", en="page cannot be read: {why}"),
    "code": Text(
        ko="답안지 코드를 읽을 수 없음: 누구의 답안지인지 확인하십시오",
        en="the sheet code cannot be read: find out whose sheet this is",
    ),
    "other-build": Text(
        ko="다른 퀴즈(다른 시드, 이름 또는 명단)의 답안지: 맞는 --build 로 스캔하십시오",
        en="a sheet of another quiz build (seed, name or roster): scan it with its own --build",
    ),
    "duplicate": Text(
        ko="같은 답안지 페이지를 두 번 스캔함 (먼저 읽은 것을 유지)",
        en="the same sheet page was scanned twice (the first one is kept)",
    ),
}
REVIEW_TITLE = Text(ko="{quiz} — 스캔 검토 목록", en="{quiz} — scan review list")
REVIEW_INTRO = Text(
    ko="아래의 각 줄을 그림과 대조하여 responses.csv 의 response 칸을 고치고 review 칸을 "
    "done 으로 바꾼 뒤 `optigrade quiz grade` 를 실행하십시오. 직접 쓴 답(수, 짧은 답)은 "
    "스캐너가 읽지 않으므로 여기서 입력합니다.",
    en="Check each row against its picture, correct the response column of responses.csv, "
    "set its review column to done, then run `optigrade quiz grade`. Written answers "
    "(numbers, short answers) are not read by the scanner: type them in from here.",
)
REVIEW_COLUMNS = Text(
    ko="파일|쪽|학번|문항|문항 id|스캐너가 읽은 답|이유|그림",
    en="file|page|student|question|item|scanner's reading|reason|picture",
)
REVIEW_NONE = Text(ko="검토할 것이 없습니다.", en="Nothing to review.")
SCANNED = Text(
    ko="스캔 {pages}쪽 읽음 ({failed}쪽 읽지 못함), 학생 {students}명, 검토할 문항 {review}개, "
    "스캔되지 않은 답안지 {missing}장 → {out} (쪽당 {seconds:.2f}초)",
    en="{pages} page(s) read ({failed} unreadable), {students} student(s), {review} question(s) "
    "to review, {missing} sheet(s) not scanned → {out} ({seconds:.2f} s per page)",
)

# The results of `quiz grade` (quizzes/results_report.py, the command's summary).
REPORT_TITLE = Text(ko="{quiz} — 퀴즈 결과", en="{quiz} — quiz results")
REPORT_SUMMARY = Text(
    ko="학생 {students}명, {items}문항, 평균 {mean:.2f}점 / {max}점 (응답: {source})",
    en="{students} student(s), {items} item(s), mean {mean:.2f} of {max} (responses: {source})",
)
REPORT_HISTOGRAM = Text(ko="총점 분포", en="Total scores")
REPORT_SCATTER = Text(
    ko="문항 난이도(정답률)와 변별도(점이연 상관)",
    en="Facility (share right) against discrimination (point-biserial)",
)
REPORT_FACILITY = Text(ko="정답률", en="facility")
REPORT_DISCRIMINATION = Text(ko="변별도", en="discrimination")
REPORT_STUDENTS = Text(ko="학생 수", en="students")
REPORT_MISCONCEPTIONS = Text(
    ko="이 반에서 가장 흔한 오개념", en="The class's most common misconceptions"
)
REPORT_MISCONCEPTION_ROW = Text(
    ko="{count}번 선택 ({items})", en="chosen {count} time(s) ({items})"
)
REPORT_NO_MISCONCEPTIONS = Text(
    ko="오답으로 나타난 오개념이 없습니다.", en="No wrong answer pointed to a misconception."
)
REPORT_ITEMS = Text(ko="문항 분석", en="Item analysis")
REPORT_ITEM_COLUMNS = Text(
    ko="문항|유형|응답 수|정답률|점이연 상관|상하위 지수|오개념별 선택 수|경고",
    en="item|type|answered|facility|point-biserial|upper–lower|chosen per misconception|flags",
)
REPORT_FLAGS = {
    "negative-discrimination": Text(
        ko="음의 변별도: 잘하는 학생이 더 자주 틀림", en="negative discrimination"
    ),
    "unused-distractor": Text(ko="아무도 고르지 않은 오답이 있음", en="a distractor nobody chose"),
    "key-rejected": Text(
        ko="상위 집단 대부분이 정답을 고르지 않음: 정답을 확인하십시오",
        en="most of the top group rejects the key: check the key",
    ),
}
REPORT_PROBLEMS = Text(ko="읽지 못한 응답", en="Responses that could not be used")
REPORT_PENDING = Text(
    ko="검토가 끝나지 않은 답 {count}개가 스캐너가 읽은 대로 채점되었습니다.",
    en="{count} answer(s) still on the review list were scored as the scanner read them.",
)
GRADED = Text(
    ko="학생 {students}명 채점, 평균 {mean:.2f}/{max}, 읽지 못한 응답 {problems}개, "
    "검토 대기 {pending}개 → {out}",
    en="{students} student(s) graded, mean {mean:.2f}/{max}, {problems} unusable response(s), "
    "{pending} pending review → {out}",
)
