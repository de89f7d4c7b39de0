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
