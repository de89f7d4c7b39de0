"""Grade real implementations of the course's optimizers, as a TA grades a class, and report
per file and item the points and the mistake the grader named.

The files are the textbook's ``common/optimizer.py`` ("Deep Learning from Scratch") as students
keep it in public study repositories. They are not part of this repository: the user supplies a
folder of them (one ``.py`` per repository) and this harness builds one submission per file,
with these shims and nothing else:

* the file's own top-level definitions (classes, functions, assignments) unchanged, after
  ``import numpy as np``; its imports (``from common.np import *``, ``sys.path`` edits) and
  script code (``if __name__ == "__main__":``, top-level calls) are left out, because they need
  the book's folder layout. A file that does not parse is submitted exactly as it is, so that
  the grader reports its syntax error as a student would see it;
* ``RMSProp = RMSprop`` when the file names the class the textbook's way and has no
  ``RMSProp``;
* for the textbook's second volume (``update`` walks ``range(len(params))``: parameters as
  lists), a front that passes ``list(params.values())`` and ``list(grads.values())`` to the
  file's own ``update``.

All submissions are graded in one batch by ``optigrade grade -a optimizers`` (the CLI, in
English), and the verdicts are read back from its gradebook.

With ``--expected FILE`` (a tab-separated table ``file, item, verdict, names``, where verdict is
``pass`` or ``fail`` and names the catalogue ids of the mistakes the file really makes, ``-`` for
none), it also compares the grader with those verdicts: agreement of pass/fail, and for every
failing item whether the mistake the grader named is one the file makes (named correctly), one
it does not make (named wrongly), or whether no mistake was named (honestly unnamed).
Exits 1 if any name is wrong. Usage::

    python benchmarks/real_implementations.py FOLDER [--expected FILE] [--keep DIR]
"""

from __future__ import annotations

import argparse
import ast
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mutation import grade

ITEMS = ("SGD", "Momentum", "AdaGrad", "RMSProp", "Adam")

# Added after a second-volume file's classes: each optimizer keeps its name and its own update,
# which now receives the values of the grader's dicts as lists (the arrays themselves, so the
# file's in-place ``params[i] -= ...`` still changes the grader's arrays).
_LIST_FRONT = """

class _ListFront:
    def update(self, params, grads):
        super().update(list(params.values()), list(grads.values()))
"""


@dataclass(frozen=True)
class Submission:
    name: str
    source: str
    shims: tuple[str, ...]


def _walks_lists(tree: ast.Module) -> bool:
    """True when some ``update`` loops over ``range(len(params))`` (the second volume's API)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "update":
            for loop in ast.walk(node):
                if isinstance(loop, ast.For) and ast.unparse(loop.iter) == "range(len(params))":
                    return True
    return False


def submission(path: Path) -> Submission:
    """The submission built from one file, and the shims it needed."""
    text = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return Submission(path.stem, text, ("as it is (does not parse)",))
    lines = text.splitlines()
    kept, classes, shims = [], [], []
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.Assign, ast.AnnAssign)):
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            kept.append("\n".join(lines[first - 1 : node.end_lineno]))
            if isinstance(node, ast.ClassDef):
                classes.append(node)
    source = "import numpy as np\n\n\n" + "\n\n\n".join(kept) + "\n"
    names = {node.name for node in classes}
    if _walks_lists(tree):
        source += _LIST_FRONT
        for node in classes:
            if any(isinstance(f, ast.FunctionDef) and f.name == "update" for f in node.body):
                source += f"\n{node.name} = type({node.name!r}, (_ListFront, {node.name}), {{}})"
        shims.append("list front")
    if "RMSprop" in names and "RMSProp" not in names:
        source += "\nRMSProp = RMSprop\n"
        shims.append("RMSProp = RMSprop")
    return Submission(path.stem, source, tuple(shims))


def _read_expected(path: Path) -> dict[tuple[str, str], tuple[bool, set[str]]]:
    expected = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, item, verdict, names = line.split("\t")
        ids = set() if names == "-" else set(names.split(","))
        expected[(name, item)] = (verdict == "pass", ids)
    return expected


def compare(
    results: dict[str, dict[str, dict]], expected: dict[tuple[str, str], tuple[bool, set[str]]]
) -> tuple[Counter, list[str]]:
    """Counts of agreement and of correct/wrong/unnamed diagnoses, and a line per disagreement
    or wrong name."""
    counts: Counter = Counter()
    notes = []
    for (name, item), (passes, makes) in sorted(expected.items()):
        entry = results.get(name, {}).get(item)
        if entry is None or entry.get("score") is None:
            score, named = 0.0, set()
        else:
            score, named = entry["score"], entry["named"]
        full = entry is not None and score >= entry.get("max", 0) > 0
        counts["items"] += 1
        counts["agree" if full == passes else "disagree"] += 1
        if full != passes:
            notes.append(f"verdict differs: {name} {item}: expected {passes}, graded {score}")
        if full:
            continue
        counts["failing"] += 1
        if not named:
            counts["unnamed"] += 1
        elif named <= makes:
            counts["correct"] += 1
        else:
            counts["wrong"] += 1
            notes.append(f"WRONG NAME: {name} {item}: named {sorted(named)}, makes {sorted(makes)}")
    return counts, notes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder of the textbook's optimizer files")
    parser.add_argument("--expected", type=Path, help="your verdicts (see the module docstring)")
    parser.add_argument("--keep", type=Path, help="keep the submissions and outputs here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="optigrade-real-"))
    try:
        folder = work / "submissions"
        folder.mkdir(parents=True, exist_ok=True)
        built = [submission(path) for path in sorted(args.folder.glob("*.py"))]
        for sub in built:
            (folder / f"{sub.name}.py").write_text(sub.source, encoding="utf-8")
        results = grade("optimizers", folder, work / "out")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    for sub in built:
        items = results.get(sub.name, {})
        cells = []
        for item in ITEMS:
            entry = items.get(item) or {}
            score, most = entry.get("score"), entry.get("max")
            named = ",".join(sorted(entry.get("named", ()))) or "-"
            cells.append(f"{item} {score}/{most} {named}")
        print(f"{sub.name}\t" + "\t".join(cells) + f"\t[{'; '.join(sub.shims) or 'no shim'}]")
    if args.expected is None:
        return 0
    counts, notes = compare(results, _read_expected(args.expected))
    for note in notes:
        print(note)
    print(
        f"files {len(built)}, items {counts['items']}; verdicts agree {counts['agree']}"
        f"/{counts['items']}; failing {counts['failing']}: named correctly {counts['correct']},"
        f" named wrongly {counts['wrong']}, honestly unnamed {counts['unnamed']}"
    )
    return 1 if counts["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
