"""``optigrade assign``: write the student bundles and instructor copies of every assignment."""

from __future__ import annotations

from pathlib import Path

import click

from assignments.build import build
from optigrade.i18n import LANGS, UnknownLanguageError, check_lang


def parse_langs(value: str) -> tuple[str, ...]:
    """``all``, one code, or a comma-separated list of codes (``ko,en``), in the order given."""
    if value == "all":
        return LANGS
    langs = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    if not langs:
        raise UnknownLanguageError(f"no language given: choose from {', '.join(LANGS)} or all")
    return tuple(check_lang(lang) for lang in langs)


@click.command()
@click.option(
    "--lang",
    "lang",
    default="all",
    show_default=True,
    help="ko, en, a list such as ko,en, or all (Korean first).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/assignments"),
    show_default=True,
    help="Folder that receives OUT/<lang>/{student,instructor}/<assignment>/.",
)
def assign(lang: str, out: Path) -> None:
    """Build the assignment notebooks: student bundles and instructor copies.

    \b
    OUT/<lang>/student/<assignment>/     notebook with stubs + checks.py (hand this out)
    OUT/<lang>/instructor/<assignment>/  the same notebook with the reference filled in
    """
    try:
        langs = parse_langs(lang)
    except UnknownLanguageError as error:
        raise click.BadParameter(str(error), param_hint="--lang") from None
    written = build(out, langs)
    for path in written:
        click.echo(str(path))
    click.echo(f"{len(written)} files written under {out} ({', '.join(langs)})")
