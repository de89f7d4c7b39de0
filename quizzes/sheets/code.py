"""The page code printed in bubbles on every answer-sheet page: which build it belongs to, which
sheet (its number in the build) and which of its pages, plus a check digit. A misread bubble
fails the check instead of crediting another student, and a page of another quiz's build
(another seed, name or roster) is refused instead of being graded against this key."""

from __future__ import annotations

import hashlib

BUILD_DIGITS = 2
SHEET_DIGITS = 4
CODE_DIGITS = BUILD_DIGITS + SHEET_DIGITS + 2  # build, sheet, page (1 digit), check digit
MAX_SHEETS = 10**SHEET_DIGITS - 1
MAX_PAGES = 9


def build_digits(*identity: object) -> str:
    """Two digits from what makes a build (name, seed, items, students): two different builds
    share them with a chance of 1 in 100."""
    digest = hashlib.blake2b("\x1f".join(map(str, identity)).encode(), digest_size=4).digest()
    return f"{int.from_bytes(digest, 'big') % 10**BUILD_DIGITS:0{BUILD_DIGITS}d}"


def check_digit(digits: str) -> str:
    """Weights 3, 1, 3, … (as in EAN codes): any single wrong digit and any swap of two
    neighbouring digits that differ change the result."""
    total = sum(int(d) * (3 if k % 2 == 0 else 1) for k, d in enumerate(digits))
    return str(-total % 10)


def encode(build: str, sheet: int, page: int) -> str:
    if not 1 <= sheet <= MAX_SHEETS or not 1 <= page <= MAX_PAGES:
        raise ValueError(f"sheet {sheet} page {page} does not fit the page code")
    body = f"{build}{sheet:0{SHEET_DIGITS}d}{page}"
    return body + check_digit(body)


def decode(code: str) -> tuple[str, int, int] | None:
    """(build digits, sheet, page) of a read code, or None when the check digit disagrees."""
    if len(code) != CODE_DIGITS or not code.isdigit() or check_digit(code[:-1]) != code[-1]:
        return None
    sheet_end = BUILD_DIGITS + SHEET_DIGITS
    return code[:BUILD_DIGITS], int(code[BUILD_DIGITS:sheet_end]), int(code[sheet_end])
