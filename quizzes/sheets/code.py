"""The page code printed in bubbles on every answer-sheet page: which sheet (its number in the
build) and which of its pages, plus a check digit, so that a misread bubble is caught instead
of crediting another student."""

from __future__ import annotations

SHEET_DIGITS = 4
CODE_DIGITS = SHEET_DIGITS + 2  # sheet number, page number (1 digit), check digit
MAX_SHEETS = 10**SHEET_DIGITS - 1
MAX_PAGES = 9


def check_digit(digits: str) -> str:
    """Weights 3, 1, 3, … (as in EAN codes): any single wrong digit and any swap of two
    neighbouring digits that differ change the result."""
    total = sum(int(d) * (3 if k % 2 == 0 else 1) for k, d in enumerate(digits))
    return str(-total % 10)


def encode(sheet: int, page: int) -> str:
    if not 1 <= sheet <= MAX_SHEETS or not 1 <= page <= MAX_PAGES:
        raise ValueError(f"sheet {sheet} page {page} does not fit the page code")
    body = f"{sheet:0{SHEET_DIGITS}d}{page}"
    return body + check_digit(body)


def decode(code: str) -> tuple[int, int] | None:
    """(sheet, page) of a read code, or None when the check digit disagrees."""
    if len(code) != CODE_DIGITS or not code.isdigit() or check_digit(code[:-1]) != code[-1]:
        return None
    return int(code[:SHEET_DIGITS]), int(code[SHEET_DIGITS])
