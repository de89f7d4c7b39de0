"""Students' answers derived from the reference and the catalogue: the demo class, the fixtures.

A student here is a recipe, never a stored file: the reference's source of every item
(``solutions/``), each named catalogued variant written into it by its edit
(``Variant.edit`` in ``solutions/variants.py``), optionally restyled or broken the way
``examples/synthetic_class.py`` does it. An item added to the reference is therefore answered
(correctly) by every generated student without touching this file.

``python -m examples.students OUT`` writes the demo class that ``make demo`` grades:
``OUT/optimizers/*.ipynb``, ``OUT/canvas_download.zip`` (a Canvas "download submissions" zip
with two more) and ``OUT/categories.json`` (what each student is).
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solutions
from examples.synthetic_class import BROKEN, item_sources, notebook, preamble, restyle
from solutions.variants import EQUIVALENTS, MISTAKES, Variant


class RecipeError(ValueError):
    """A recipe names a variant the catalogue does not have, or one without an edit."""


def variant(id: str) -> Variant:
    """The catalogued variant ``id`` (a mistake or an accepted equivalent)."""
    for variants in [*MISTAKES.values(), *EQUIVALENTS.values()]:
        for candidate in variants:
            if candidate.id == id:
                return candidate
    raise RecipeError(f"no catalogued variant {id!r}")


def cells(
    assignment: str, variants: Iterable[str] = (), style_seed: int | None = None
) -> list[str]:
    """A student's code cells: the module preamble, then every item of ``assignment`` as the
    reference writes it, with each of ``variants`` written in by its edit and, given a seed,
    restyled (in-place updates rebound, keys listed: changes that keep the numbers)."""
    sources = item_sources(assignment)
    for id in variants:
        chosen = variant(id)
        if chosen.edit is None or chosen.item not in sources:
            raise RecipeError(f"{id}: no edit of the {assignment!r} reference is catalogued")
        old, new = chosen.edit
        if sources[chosen.item].count(old) != 1:
            raise RecipeError(f"{id}: its edit no longer matches the reference of {chosen.item}")
        sources[chosen.item] = sources[chosen.item].replace(old, new)
    if style_seed is not None:
        rng = random.Random(style_seed)
        sources = {item: restyle(source, rng) for item, source in sources.items()}
    return [preamble(assignment), *sources.values()]


def written(id: str) -> Any:
    """The item of the variant ``id`` as its edit writes it: the reference, edited and run."""
    item = variant(id).item
    assignment = next(a for a, items in solutions.ASSIGNMENTS.items() if item in items)
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(cells(assignment, [id])), f"<{id} written>", "exec"), namespace)
    return namespace[item]


def python_file(assignment: str, variants: Iterable[str] = ()) -> str:
    """A student's ``.py`` answer: :func:`cells` as ``# %%`` parts."""
    return "\n# %%\n".join(cells(assignment, variants))


def completed(source: str, assignment: str) -> str:
    """A hand-written answer (a style no recipe derives) with every item of ``assignment`` it
    does not define answered as the reference writes it, so that it stays a whole answer when
    the reference gains an item."""
    defined = {
        node.name
        for node in ast.parse(source).body
        if isinstance(node, ast.ClassDef | ast.FunctionDef)
    }
    sources = item_sources(assignment)
    missing = [sources[item] for item in sources if item not in defined]
    return "\n# %%\n".join([source, preamble(assignment), *missing]) if missing else source


@dataclass(frozen=True)
class Student:
    """One student of the demo class: a mistake (a catalogued variant's id), a way of being
    broken (a key of ``synthetic_class.BROKEN``), or neither (correct)."""

    mistake: str | None = None
    broken: str | None = None
    nbformat: int = 4

    def category(self) -> str:
        if self.mistake:
            return f"mistake:{variant(self.mistake).item}"
        if self.broken:
            return f"broken:{self.broken}"
        return "correct" if self.nbformat == 4 else f"correct (nbformat {self.nbformat})"

    def file(self, assignment: str, seed: int) -> bytes:
        """The file the student hands in (restyled by ``seed``)."""
        code = cells(assignment, [self.mistake] if self.mistake else [], style_seed=seed)
        handed_in = BROKEN[self.broken](code) if self.broken else code
        if isinstance(handed_in, list):
            handed_in = notebook(handed_in, self.nbformat)
        return handed_in if isinstance(handed_in, bytes) else handed_in.encode()


#: The demo class: correct in several styles, four classic mistakes, a syntax error, an infinite
#: loop, a file that is not a notebook, an ``os._exit`` and an nbformat 3 notebook.
DEMO = {
    "kim_minsu": Student(),
    "lee_jiwoo": Student(),
    "park_seoyeon": Student(),
    "choi_yuna": Student(),
    "jung_hoon": Student(),
    "kang_dahye": Student(),
    "yoon_jisu": Student(mistake="adam_corrects_only_v"),
    "han_seojun": Student(mistake="adam_corrects_only_m"),
    "lim_chaewon": Student(mistake="adagrad_g_not_squared"),
    "shin_dohyun": Student(mistake="rmsprop_beta_swapped"),
    "oh_minjae": Student(broken="syntax_error"),
    "seo_haeun": Student(broken="infinite_loop"),
    "kwon_jiho": Student(broken="not_a_notebook"),
    "song_yerin": Student(broken="os_exit"),
    "jang_woojin": Student(nbformat=3),
}
#: Two more, in a Canvas download (``<name>[_LATE]_<user id>_<submission id>_<file>``).
CANVAS = {
    "baekseungho_31001_71001_optimizers.ipynb": Student(),
    "moonhayoung_LATE_31002_71002_optimizers.ipynb": Student(mistake="momentum_sign_error"),
}
#: Entries of the Canvas zip are dated as Canvas dates them: all at the time of the download.
CANVAS_TIME = (2026, 11, 23, 11, 22, 0)


def write_demo(out: Path) -> dict[str, str]:
    """Write the demo class into ``out``; return each student's category."""
    assignment = "optimizers"
    folder = out / assignment
    folder.mkdir(parents=True, exist_ok=True)
    categories = {}
    for seed, (name, student) in enumerate(DEMO.items()):
        (folder / f"{name}.ipynb").write_bytes(student.file(assignment, seed))
        categories[name] = student.category()
    with zipfile.ZipFile(out / "canvas_download.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for seed, (entry, student) in enumerate(CANVAS.items(), start=len(DEMO)):
            info = zipfile.ZipInfo(entry, CANVAS_TIME)
            archive.writestr(info, student.file(assignment, seed), zipfile.ZIP_DEFLATED)
            user_id = entry.split("_")[-3]
            categories[user_id] = f"{student.category()} (Canvas zip)"
    (out / "categories.json").write_text(json.dumps(categories, indent=1), encoding="utf-8")
    return categories


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the demo class (see the module's doc).")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    categories = write_demo(args.out)
    print(f"wrote {len(categories)} students to {args.out}")


if __name__ == "__main__":
    main()
