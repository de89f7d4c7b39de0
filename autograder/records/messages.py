"""Every sentence of the feedback and of the grader's refusals, in Korean and English.

Placeholders that carry a record's values (``{error}``, ``{name}``, …) receive them already
escaped for Markdown by the feedback renderer, code spans included: no template puts its own
backticks around a value a student controls.
"""

from __future__ import annotations

from optigrade.i18n import Text

TITLE = Text(ko="{assignment} 채점 결과: {student}", en="{assignment} grading report: {student}")
SCORE = Text(ko="점수: **{score} / {max_score}**", en="Score: **{score} / {max_score}**")
STATUS = {
    "graded": Text(ko="채점 완료", en="graded"),
    "timeout": Text(
        ko="시간 초과: 제출물이 전체 시간 예산을 다 썼습니다",
        en="timeout: the submission used up its total time budget",
    ),
    "unreadable": Text(ko="파일을 읽을 수 없음", en="unreadable file"),
    "empty": Text(ko="코드가 없음", en="no code found"),
    "too_large": Text(ko="파일이 너무 큼", en="file too large"),
    "refused": Text(
        ko="받아들이지 않은 제출물 (링크, 손상된 압축 항목, 겹치는 학생 ID 등: 이유 참고)",
        en="refused at intake (a link, a damaged archive entry, a shared student id…: see the reason)",
    ),
    "crashed": Text(ko="실행 환경이 비정상 종료됨", en="the sandbox crashed"),
    "internal_error": Text(
        ko="채점기 내부 오류 (조교에게 알려 주세요)",
        en="internal grader error (please tell your TA)",
    ),
}
STATUS_LINE = Text(ko="상태: {status}", en="Status: {status}")
REASON = Text(ko="이유: {reason}", en="Reason: {reason}")
ITEM_HEADER = Text(ko="항목", en="Item")
POINTS_HEADER = Text(ko="점수", en="Points")
ALL_PASSED = Text(ko="모든 테스트를 통과했습니다. 잘했어요!", en="All tests passed. Well done!")
FAILED_TESTS = Text(ko="통과하지 못한 테스트", en="Tests that did not pass")
CASE = Text(ko="경우", en="Case")
INPUTS = Text(ko="입력", en="Inputs")
EXPECTED = Text(ko="기대값", en="Expected")
RECEIVED = Text(ko="받은 값", en="Received")
WHERE = Text(ko="처음 다른 위치", en="First difference at")
MISMATCHED = Text(
    ko="{total}개 중 {mismatched}개 원소가 다릅니다", en="{mismatched} of {total} elements differ"
)
MISTAKE = Text(
    ko="알려진 실수와 일치합니다: **{label}**", en="This matches a known mistake: **{label}**"
)
YOUR_TRACEBACK = Text(ko="여러분의 코드에서 난 오류", en="The error in your code")
CELLS_HEADER = Text(ko="노트북 셀 실행 문제", en="Problems running your notebook cells")
OUTPUT_NOTE = Text(ko="참고", en="Notes")
OMITTED = Text(
    ko="문제가 있는 셀과 참고 사항이 {count}개 더 있지만 여기에는 싣지 않았습니다.",
    en="{count} more cells with problems and notes are not listed here.",
    en_one="One more cell with a problem or a note is not listed here.",
)
SUITE_ERROR = Text(
    ko="채점 테스트 자체의 오류로 이 테스트를 평가하지 못했습니다 (조교에게 알려 주세요).",
    en="This test could not be evaluated because of an error in the test itself (please tell your TA).",
)

PASSED = Text(ko="통과했습니다.", en="Passed.")
NOT_PASSED = Text(
    ko="테스트 {total}개 중 {failed}개를 통과하지 못했습니다.",
    en="{failed} of {total} tests did not pass.",
)
NEAR_MISS = Text(
    ko="여러분의 코드는 {found}을(를) 정의합니다. 과제가 요구하는 것은 {signature}입니다.",
    en="Your code defines {found}; the assignment asks for {signature}.",
)
NOT_DEFINED = Text(
    ko="노트북에 {name}이(가) 정의되어 있지 않습니다. 과제가 요구하는 것은 {signature}입니다.",
    en="{name} is not defined in your notebook; the assignment asks for {signature}.",
)
BLOCKED_BY_SYNTAX = Text(
    ko="{name}이(가) 정의되지 않았습니다: {cell}의 문법 오류 때문입니다 (위 참고).",
    en="{name} was never defined: the syntax error in {cell} stopped it (see above).",
)
MISSING_ARGUMENT = Text(
    ko="과제 명세에는 {argument} 인자가 있습니다: {signature}. 여러분의 코드는 이 인자를 받지 "
    "않습니다 (값을 코드에 고정하지 말고 인자로 받으세요).",
    en="The specification asks for the argument {argument}: {signature}. Your code does not "
    "accept it (take it as an argument instead of fixing its value in the code).",
)
HINT = Text(ko="고치는 법: {hint}", en="How to fix it: {hint}")
FIRST_FAILURE = Text(ko="처음 실패한 경우", en="First failing case")
SYNTAX_HEADER = Text(ko="문법 오류", en="Syntax errors")
SYNTAX_CELL = Text(
    ko="{cell}의 {line}번째 줄에 문법 오류가 있어 이 셀은 실행되지 않았습니다: {detail}",
    en="{cell} has a syntax error on line {line}, so the cell did not run: {detail}",
)
SYNTAX_COST = Text(
    ko="이 때문에 정의되지 않은 항목: {items} ({points}점)",
    en="What it cost: {items} never defined ({points} points).",
)
CELL_REF = Text(ko="셀 {number} ({first_line})", en="cell {number} ({first_line})")
CELL_RULE = Text(
    ko="셀 번호는 노트북 맨 위부터 코드 셀만 1부터 센 순서입니다 (괄호 안은 셀의 첫 줄).",
    en="Cells are numbered counting the notebook's code cells from the top, from 1 (in "
    "brackets: the cell's first line).",
)
#: Where two results first differ, in words: the parts of a path such as ``[0]['W1'][0, 0]``.
WHERE_RESULT = Text(ko="결과", en="the result")
WHERE_ITEM = Text(ko="{index}번 항목", en="item {index}")
WHERE_KEY = Text(ko="키 {key}", en="key {key}")
WHERE_ELEMENT = Text(ko="원소 {index}", en="element {index}")
#: Names of a case's inputs as the suites write them (English), for Korean feedback.
INPUT_NAMES = {
    "keys and shapes": Text(ko="키와 모양", en="keys and shapes"),
    "gradient scale": Text(ko="기울기 크기", en="gradient scale"),
    "keys of the first": Text(ko="첫 번째의 키", en="keys of the first"),
    "keys of the second": Text(ko="두 번째의 키", en="keys of the second"),
}
ARGUMENT_NAME = Text(ko="인자 {index}", en="argument {index}")
#: Words of the brief value descriptions (``autograder.engine.testing.brief``), in Korean.
BRIEF_WORDS_KO = (("(length ", "(길이 "), ("array(shape=", "배열(모양="), ("shape ", "모양 "))

FAILURE_KIND = {
    "mismatch": Text(
        ko="결과가 기준 구현과 다릅니다.", en="The result differs from the reference."
    ),
    "not_implemented": Text(
        ko="아직 구현하지 않았습니다 (`NotImplementedError`). 구현한 뒤 다시 제출하세요.",
        en="Not implemented yet (`NotImplementedError`). Implement it and submit again.",
    ),
    "missing": Text(
        ko="노트북에 {name}이(가) 정의되어 있지 않습니다. 이름과 철자를 확인하세요.",
        en="{name} is not defined in your notebook. Check the name and its spelling.",
    ),
    "exception": Text(
        ko="코드 실행 중 오류가 났습니다: {error}", en="Your code raised an error: {error}"
    ),
    "wrong_exception": Text(
        ko="{expected} 예외가 나야 하는데 {received} 예외가 났습니다.",
        en="It should raise {expected} but raised {received}.",
    ),
    "no_exception": Text(
        ko="{expected} 예외가 나야 하는데 아무 예외도 나지 않았습니다.",
        en="It should raise {expected} but raised nothing.",
    ),
    "property": Text(
        ko="지켜져야 할 성질: {expected_text}", en="Property that must hold: {expected_text}"
    ),
    "timeout": Text(
        ko="시간 제한 안에 끝나지 않았습니다 ({detail}). 무한 루프가 없는지 확인하세요.",
        en="It did not finish within the time limit ({detail}). Check for an infinite loop.",
    ),
    "skipped_after_timeout": Text(
        ko="같은 항목의 앞선 테스트가 시간 초과되어, 다시 멈추지 않도록 이 테스트는 건너뛰었습니다. 무한 루프를 확인하세요.",
        en="Skipped: an earlier test of this item timed out, so it was not called again. Check for an infinite loop.",
    ),
    "time_budget": Text(
        ko="제출물 전체의 시간 예산을 다 써서 이 테스트를 실행하지 못했습니다.",
        en="The submission had used up its total time budget, so this test could not run.",
    ),
    "crashed": Text(
        ko="코드를 실행하던 프로세스가 종료되었습니다 ({detail}). `os._exit`, 메모리 과다 사용 등을 확인하세요.",
        en="The process running your code ended ({detail}). Check for `os._exit`, excessive memory use, etc.",
    ),
    "protocol": Text(
        ko="코드가 채점 통신을 방해했습니다 ({detail}).",
        en="Your code interfered with the grader's channel ({detail}).",
    ),
    "restarted": Text(
        ko="앞선 실패로 실행 환경이 다시 시작되어 객체가 사라졌습니다.",
        en="The object was lost when the sandbox restarted after an earlier failure.",
    ),
}

#: ``{index}`` is the cell as :data:`CELL_REF` names it.
CELL_STATUS = {
    "error": Text(
        ko="{index}에서 오류 (다음 셀부터 계속 실행): {detail}",
        en="{index} raised an error (went on with the next cell): {detail}",
    ),
    "syntax_error": Text(
        ko="{index}에 문법 오류 (이 셀은 건너뜀): {detail}",
        en="{index} has a syntax error (this cell was skipped): {detail}",
    ),
    "exit": Text(
        ko="{index}에서 `sys.exit` 호출 (무시하고 계속 실행)",
        en="{index} called `sys.exit` (ignored, went on)",
    ),
    "timeout": Text(
        ko="{index}이(가) 시간 안에 끝나지 않아 건너뜀 (무한 루프나 긴 `sleep`?)",
        en="{index} did not finish in time and was skipped (an infinite loop or a long `sleep`?)",
    ),
    "crashed": Text(
        ko="{index}이(가) 프로세스를 종료시켜 건너뜀 (`os._exit`, 메모리 과다?)",
        en="{index} ended the process and was skipped (`os._exit`, too much memory?)",
    ),
    "protocol": Text(
        ko="{index}이(가) 채점 통신을 방해해 건너뜀",
        en="{index} interfered with the grader's channel and was skipped",
    ),
    "skipped": Text(ko="{index} 건너뜀", en="{index} skipped"),
}

# -- the grader's refusals and warnings, read by the TA (printed in both languages) -------------

OPTION_IS_A_FILE = Text(
    ko="'{arg}'은(는) 옵션처럼 보이지만 이 폴더에 있는 파일입니다: 제출물 앞에 `--`를 넣으세요 "
    "(예: optigrade grade -a optimizers --out graded/ -- *)",
    en="'{arg}' looks like an option but is a file here: put `--` before the submissions "
    "(e.g. optigrade grade -a optimizers --out graded/ -- *)",
)
OPTION_TWICE = Text(
    ko="{option} 옵션이 두 번 주어졌습니다 ('{first}', '{second}'). 파일 이름이 옵션으로 "
    "읽혔다면 제출물 앞에 `--`를 넣으세요.",
    en="the option {option} is given twice ('{first}', then '{second}'); if a file name was "
    "read as an option, put `--` before the submissions",
)
LAYER_MISSING = Text(
    ko="격리 계층 '{layer}'이(가) 이 기계에서 작동하지 않습니다: {allows}",
    en="the isolation layer '{layer}' does not hold on this machine: {allows}",
)
GATE_REFUSED = Text(
    ko="채점하지 않습니다. 이 위험을 알고 받아들인다면 {flags} 를 붙여 다시 실행하세요 "
    "(`optigrade doctor`가 자세히 보여 줍니다).",
    en="not grading. If you know and accept this risk, run again with {flags} "
    "(`optigrade doctor` shows the details).",
)
GATE_ACCEPTED = Text(
    ko="경고: 격리 계층 '{layer}' 없이 채점합니다 (--accept-missing-layer): {allows}",
    en="warning: grading without the isolation layer '{layer}' (--accept-missing-layer): {allows}",
)
CLUSTER_UNREACHABLE = Text(
    ko="Dask 클러스터 {address}에 연결하지 못해 채점하지 않습니다: {error}",
    en="not grading: could not connect to the Dask cluster {address}: {error}",
)
GATE_FAILED = Text(
    ko="샌드박스를 점검하지 못해 채점하지 않습니다: {error}",
    en="not grading: the sandbox could not be checked: {error}",
)
EXPORT_FAILED = Text(
    ko="학생 {count}명의 결과 파일을 쓰지 못했습니다 (처음: {student}, {error}). 성적부에는 "
    "기록되었으니 `optigrade report`로 다시 쓰세요.",
    en="could not write the files of {count} students (first: {student}, {error}); the "
    "gradebook has their results: run `optigrade report` to write them again",
    en_one="could not write the files of {count} student ({student}, {error}); the gradebook has "
    "the results: run `optigrade report` to write them again",
)
NOTHING_FOUND = Text(
    ko="주어진 경로에서 .ipynb 또는 .py 제출물을 찾지 못했습니다",
    en="no .ipynb or .py submissions found in the given paths",
)
GRADING = Text(
    ko="{assignment} 제출물 {count}개를 채점합니다 (만점 {points}점; 바뀌지 않아 건너뜀 {skipped}개)",
    en="Grading {count} submissions of {assignment} ({points} points; {skipped} unchanged, "
    "skipped)",
    en_one="Grading {count} submission of {assignment} ({points} points; {skipped} unchanged, "
    "skipped)",
)
REFUSED_AT_INTAKE = Text(
    ko="접수하지 않은 파일 {count}개 (각 학생의 피드백에도 적혀 있습니다):",
    en="{count} files refused at intake (each student's feedback says so too):",
    en_one="{count} file refused at intake (the student's feedback says so too):",
)
REFUSED_MORE = Text(ko="… 외 {count}개", en="… and {count} more")
BATCH_WARNING = Text(ko="(학생 없음)", en="(no student)")
GRADEBOOK_UNREADABLE = Text(
    ko="성적부 {path}를 읽을 수 없습니다: {error}",
    en="the gradebook {path} cannot be read: {error}",
)


def both(text: Text, **values: object) -> str:
    """``text`` in Korean, then in English: what the TA reads from the command line."""
    return f"{text.render('ko', **values)}\n{text.render('en', **values)}"
