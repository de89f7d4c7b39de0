"""Every sentence the public checks print, in Korean and English.

``checks.py`` cannot import optigrade, so the build renders these into the notebook's language
and embeds the strings as data; the placeholders are filled in by the checks at run time.
"""

from __future__ import annotations

from assignments.reference import Reference
from optigrade.i18n import Text, check_lang
from solutions.variants import MISTAKES

MESSAGES: dict[str, Text] = {
    "passed": Text(
        ko="✅ {name}: 공개 검사 {total}개를 모두 통과했어요!",
        en="✅ {name}: all {total} public checks passed!",
    ),
    "not_implemented": Text(
        ko=(
            "⏳ {name}: 아직 구현되지 않았어요 (NotImplementedError).\n"
            "   위 코드 셀의 `raise NotImplementedError`를 여러분의 코드로 바꾸고, "
            "그 셀을 실행한 다음 이 셀을 다시 실행해 보세요."
        ),
        en=(
            "⏳ {name}: not implemented yet (NotImplementedError).\n"
            "   Replace `raise NotImplementedError` in the code cell above with your code, "
            "run that cell, then run this one again."
        ),
    ),
    "missing": Text(
        ko=(
            "❓ {name}: 노트북에서 `{name}`을(를) 찾을 수 없어요. "
            "`{name}`을(를) 정의하는 셀을 먼저 실행했나요?"
        ),
        en=(
            "❓ {name}: `{name}` is not defined in the notebook. "
            "Did you run the cell that defines it?"
        ),
    ),
    "unknown": Text(
        ko="❓ `{name}`에 대한 공개 검사는 없어요. 검사할 수 있는 이름: {choices}",
        en="❓ There is no public check named `{name}`. Names you can check: {choices}",
    ),
    "failed": Text(
        ko="❌ {name}: 공개 검사 {total}개 중 {index}번째에서 실패했어요{earlier}.",
        en="❌ {name}: public check {index} of {total} failed{earlier}.",
    ),
    "earlier_passed": Text(
        ko=" (앞의 {passed}개는 통과)",
        en=" (the {passed} before it passed)",
    ),
    "raised": Text(
        ko="💥 {name}: 공개 검사 {total}개 중 {index}번째에서 예외가 발생했어요{earlier}: {error}",
        en="💥 {name}: public check {index} of {total} raised an exception{earlier}: {error}",
    ),
    "mistake": Text(
        ko=(
            "🔎 알려진 실수와 일치해요: {label} "
            "(공개 검사에서 여러분의 출력이 이 실수의 출력과 같아요)"
        ),
        en=(
            "🔎 This matches a known mistake: {label} (on the public checks your outputs are "
            "exactly this mistake's)"
        ),
    ),
    "summary": Text(
        ko="📋 공개 검사 요약 (항목 {total}개): {parts}",
        en="📋 Public checks, {total} items: {parts}",
    ),
    "count_passed": Text(ko="{n}개 통과", en="{n} passed"),
    "count_failed": Text(ko="{n}개 실패", en="{n} failed"),
    "count_not_implemented": Text(ko="{n}개 아직 구현 안 됨", en="{n} not implemented yet"),
    "count_missing": Text(ko="{n}개 정의되지 않음", en="{n} not defined"),
    "your_code": Text(
        ko="   여러분의 코드에서 예외가 난 위치:",
        en="   Where it happened in your code:",
    ),
    "input": Text(ko="   입력: {brief}", en="   input: {brief}"),
    "updates": Text(
        ko="update {steps}번 호출, params 키: {keys}",
        en="{steps} update calls, params keys: {keys}",
    ),
    "where_step": Text(
        ko="   위치: update {step}번째 호출 뒤의 params[{key!r}]",
        en="   where: params[{key!r}] after update call {step}",
    ),
    "where_result": Text(ko="   위치: 반환값{path}", en="   where: the return value{path}"),
    "expected": Text(ko="   기대한 값: {value}", en="   expected:  {value}"),
    "received": Text(ko="   받은 값:   {value}", en="   received:  {value}"),
    "first_difference": Text(
        ko="   처음 다른 원소 {index}: 기대 {expected}, 받음 {received}",
        en="   first differing element {index}: expected {expected}, received {received}",
    ),
    "shape": Text(
        ko="   모양(shape)이 달라요: 기대 {expected}, 받음 {received}",
        en="   shapes differ: expected {expected}, received {received}",
    ),
    "length": Text(
        ko="   길이가 달라요: 기대 {expected}개, 받음 {received}개",
        en="   lengths differ: expected {expected} elements, received {received}",
    ),
    "not_numeric": Text(
        ko="   숫자나 numpy 배열이 와야 하는데 {kind}을(를) 받았어요.",
        en="   expected a number or numpy array, received {kind}.",
    ),
    "not_sequence": Text(
        ko="   리스트(또는 튜플)가 와야 하는데 {kind}을(를) 받았어요.",
        en="   expected a list (or tuple), received {kind}.",
    ),
    "missing_key": Text(
        ko="   update 뒤에 params에 {key!r} 키가 없어요.",
        en="   params has no key {key!r} after update.",
    ),
    "unchanged": Text(
        ko=(
            "   힌트: params[{key!r}]가 전혀 바뀌지 않았어요. update는 params 딕셔너리의 "
            "배열을 제자리에서(in place) 바꿔야 해요 (예: params[key] -= ...)."
        ),
        en=(
            "   hint: params[{key!r}] did not change at all. update must change the arrays of "
            "the params dict in place (e.g. params[key] -= ...)."
        ),
    ),
    "should_raise": Text(
        ko="   {error}가 발생해야 하는데, {value}을(를) 반환했어요.",
        en="   this input should raise {error}, but the call returned {value}.",
    ),
    "tolerance": Text(
        ko="   (비교 허용 오차: 상대 {rtol:g}, 절대 {atol:.1e})",
        en="   (tolerance: relative {rtol:g}, absolute {atol:.1e})",
    ),
    "not_ready": Text(
        ko=(
            "ℹ️ 이 실험은 {names}의 공개 검사가 모두 통과해야 실행돼요. "
            "위에서 구현하고 check(...)로 확인한 뒤 이 셀을 다시 실행해 보세요. "
            "아직 통과하지 않은 것: {missing}"
        ),
        en=(
            "ℹ️ This experiment runs once {names} pass their public checks. Implement them "
            "above, confirm with check(...), then run this cell again. Not passing yet: {missing}"
        ),
    ),
    "no_matplotlib": Text(
        ko=(
            "ℹ️ matplotlib이 설치되어 있지 않아서 그림을 그릴 수 없어요. "
            "`pip install matplotlib`으로 설치하고 커널을 다시 시작해 보세요."
        ),
        en=(
            "ℹ️ matplotlib is not installed, so this experiment cannot draw. "
            "Install it with `pip install matplotlib` and restart the kernel."
        ),
    ),
}


def render_messages(lang: str) -> dict[str, str]:
    """Every message in ``lang``, placeholders left for the checks to fill in."""
    lang = check_lang(lang)
    return {key: getattr(text, lang) for key, text in MESSAGES.items()}


def mistake_labels(reference: Reference, lang: str) -> dict[str, dict[str, str]]:
    """The name of every known mistake of the assignment's items, by item and id, in ``lang``."""
    lang = check_lang(lang)
    return {
        item: {variant.id: getattr(variant.label, lang) for variant in MISTAKES.get(item, [])}
        for item in reference.items
    }
