"""Everything a student controls is inert where it lands: feedback HTML and Markdown, the CSV,
the console, the JSON files, the output file names, the command line.

One hostile class is graded through the real ``optigrade grade``: file names that are HTML,
spreadsheet formulas, terminal escape sequences, rich markup and option-like words, and code
whose exceptions, tracebacks and returned values carry HTML. Each output is then read the way
its reader reads it (an HTML parser, the csv module, the bytes a terminal receives, a JSON
parser), not searched for one string.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from autograder.escaping import csv_cell, json_text, md_block, md_code, md_text, visible
from autograder.intake.names import printable
from autograder.reports import safe_name
from examples.synthetic_class import item_sources, notebook, preamble
from tests.grading import optigrade_exe, read_grades

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)><svg onload=alert(3)>"

#: Names a TA's terminal would act on, and rich markup (a file name cannot hold "/", so no
#: closing tag; an open one styles or links the rest of the line). Five: the summary lists
#: the five slowest students, so a batch of these alone prints every one of them.
TERMINAL_NAMES = {
    "reset": "\x1bc reset",
    "title": "\x1b]0;pwned\x07title",
    "c1": "\u009b31mred",
    "bidi": "\u202eevil",
    "markup": "[bold]x[link=mailto:a@b]y",
}
FORMULA_NAMES = [
    '=HYPERLINK("evil.example","click")',
    "+cmd|' calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    'line\nbreak,"quoted"',
]
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # Wide enough that rich does not wrap the summary's lines (names hold spaces).
    env = {**os.environ, "COLUMNS": "400"}
    return subprocess.run(
        [optigrade_exe(), *args], capture_output=True, text=True, timeout=600, cwd=cwd, env=env
    )


def cells() -> list[str]:
    return [preamble("optimizers"), *item_sources("optimizers").values()]


def hostile_code() -> list[str]:
    """A notebook whose exceptions, traceback lines, returned values and notes carry HTML."""
    sources = item_sources("optimizers")
    update = "    def update(self, params: Arrays, grads: Arrays) -> None:\n"
    sgd = sources["SGD"]
    assert update in sgd, "the SGD source changed: update this test"
    sgd = sgd.replace(update, update + f"        raise ValueError({PAYLOAD!r} + '```')\n")
    momentum = sources["Momentum"]
    assert update in momentum
    momentum = momentum.replace(
        update,
        update + "        for key in params:\n"
        "            params[key] = '<img src=x onerror=alert(5)>'\n"
        "        return\n",
    )
    return [
        preamble("optimizers"),
        f"raise RuntimeError({PAYLOAD!r} + '``` </pre><script>alert(4)</script>')\n",
        "%timeit <img src=x onerror=alert(6)>\n",
        sgd,
        momentum,
        sources["AdaGrad"],
        sources["RMSProp"],
        sources["Adam"],
    ]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    subs = root / "subs"
    subs.mkdir()
    good = notebook(cells())
    (subs / "<svg onload=alert(1)>.ipynb").write_text("not a notebook <svg onload=alert(1)>")
    (subs / "x<img src=x onerror=alert(1)>.ipynb").write_text(notebook(hostile_code()))
    for name in FORMULA_NAMES:
        (subs / f"{name}.ipynb").write_text(good)
    terminal = root / "terminal"
    terminal.mkdir()
    for name in TERMINAL_NAMES.values():
        (subs / f"{name}.ipynb").write_text(good)
        (terminal / f"{name}.ipynb").write_text(good)
    (subs / "alice.ipynb").write_text(good)
    missing_adam = [c for c in cells() if "class Adam" not in c]
    (subs / "alice_.ipynb").write_text(notebook(missing_adam))
    canvas = root / "canvas.zip"
    with zipfile.ZipFile(canvas, "w") as zf:
        zf.writestr("<img src=x onerror=alert(7)>_12345_67890_optimizers.ipynb", "not json")
    out = root / "out"
    first = run("grade", "-a", "optimizers", "--out", str(out), "--", str(subs), str(canvas))
    # 4: graded, but files that are not notebooks were refused (again: still there, skipped).
    assert first.returncode == 4, first.stderr[-3000:]
    again = run("grade", "-a", "optimizers", "--out", str(out), "--json", "--", str(subs))
    assert again.returncode == 4, again.stderr[-3000:]
    named = run("grade", "-a", "optimizers", "--out", str(root / "named"), "--", str(terminal))
    assert named.returncode == 0, named.stderr[-3000:]
    summary = run("report", "-a", "optimizers", "--out", str(root / "named"), "--json")
    assert summary.returncode == 0, summary.stderr[-3000:]
    return root, out, first, again, named, summary


class _Page(HTMLParser):
    """Every tag, attribute and text of an HTML page, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


#: The markup the feedback page is made of: the page's frame and what Markdown makes.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "table", "thead",
    "tbody", "tr", "th", "td", "code", "pre", "ul", "li", "strong", "em",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {("html", "lang"), ("meta", "charset"), ("th", "style"), ("td", "style")}


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def assert_inert(page: str, where: str) -> str:
    parsed = parse(page)
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, f"{where}: a <{tag}> element: {attrs}"
        for name, value in attrs:
            assert (tag, name) in ALLOWED_ATTRIBUTES, f"{where}: <{tag} {name}={value!r}>"
            if name == "style":
                assert re.fullmatch(r"text-align:(left|right|center)", value or ""), value
    return "".join(parsed.text)


def test_feedback_html_holds_no_markup_a_student_chose(hostile):
    _root, out, _first, _again, _named, _summary = hostile
    pages = sorted((out / "feedback").glob("*.html"))
    texts = {page.name: assert_inert(page.read_text(encoding="utf-8"), page.name) for page in pages}
    assert len(pages) == len(read_grades(out)), "one page per student"
    # Shown as text, not dropped: the student sees what their code said.
    code = texts[f"{safe_name('x<img src=x onerror=alert(1)>')}.html"]
    assert "onerror=alert(2)" in code and "<svg onload=alert(3)>" in code  # exception, traceback
    assert "onerror=alert(5)" in code, "the returned value is shown"
    assert "</pre><script>alert(4)</script>" in code, "the cell's error is shown"
    unreadable = texts[f"{safe_name('<svg onload=alert(1)>')}.html"]
    assert "<svg onload=alert(1)>" in unreadable, "the file name in the reason is shown"


def test_feedback_markdown_is_inert_even_where_raw_html_is_rendered(hostile):
    # A Markdown viewer may render raw HTML (VS Code, some LMS): the .md files hold none.
    _root, out, _first, _again, _named, _summary = hostile
    permissive = MarkdownIt("commonmark", {"html": True}).enable("table")
    for path in (out / "feedback").glob("*.md"):
        assert_inert(permissive.render(path.read_text(encoding="utf-8")), path.name)


def test_csv_has_one_row_per_student_and_no_formula(hostile):
    _root, out, _first, again, _named, _summary = hostile
    with open(out / "grades.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert len(body) == json.loads(again.stdout)["submissions"]
    for row in body:
        assert len(row) == len(header), row
        for cell in row:
            assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), row
            assert not CONTROL.search(cell) and "\n" not in cell, row
    students = {row[0] for row in body}
    assert '\'=HYPERLINK("evil.example","click")' in students
    assert 'line\\x0abreak,"quoted"' in students


def test_console_output_carries_no_control_character_nor_markup(hostile):
    _root, _out, first, again, named, _summary = hostile
    for done in (first, again, named):
        for name, stream in (("stdout", done.stdout), ("stderr", done.stderr)):
            found = CONTROL.search(stream)
            assert found is None, f"{name} carries {found.group()!r}: {stream[-2000:]}"
    slowest = next(line for line in named.stdout.splitlines() if line.startswith("Slowest"))
    assert "[bold]x[link=mailto:a@b]y" in slowest, "rich markup in a name is printed as is"
    assert "\\x1bc reset" in slowest and "\\u202eevil" in slowest, slowest


def test_json_files_are_valid_and_inert(hostile):
    _root, out, _first, again, _named, summary = hostile
    json.loads(again.stdout)
    # The summary of the terminal-hostile names lists each of them (the five slowest).
    assert CONTROL.search(summary.stdout) is None, summary.stdout
    slowest = {s["student"] for s in json.loads(summary.stdout)["slowest"]}
    # Intake made each id printable (a control character becomes its escape, `\x1b`); JSON
    # carries those ids as they are.
    expected = {printable(name) for name in TERMINAL_NAMES.values()}
    assert expected != set(TERMINAL_NAMES.values()), "the names must need escaping"
    assert slowest == expected, "escaped ids in JSON, read back as they are"
    for path in (out / "results").glob("*.json"):
        text = path.read_bytes().decode("utf-8")  # valid UTF-8
        assert CONTROL.search(text) is None, path.name
        payload = json.loads(text)
        assert isinstance(payload["score"], (int, float))


def test_two_ids_with_one_cleaned_form_keep_their_own_files(hostile, tmp_path):
    _root, out, _first, _again, _named, _summary = hostile
    rows = read_grades(out)
    assert float(rows["alice"]["score"]) == 50 and float(rows["alice_"]["score"]) == 40
    names = {safe_name("alice"), safe_name("alice_")}
    assert len(names) == 2
    for student in ("alice", "alice_"):
        name = safe_name(student)
        result = json.loads((out / "results" / f"{name}.json").read_text(encoding="utf-8"))
        assert result["score"] == float(rows[student]["score"])
        title = (out / "feedback" / f"{name}.md").read_text(encoding="utf-8").splitlines()[0]
        assert title.endswith(md_text(student)), title
    # `report` regenerates exactly the same files under exactly the same names.
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    for folder in ("results", "feedback"):
        shutil.rmtree(copy / folder)
    assert run("report", "-a", "optimizers", "--out", str(copy), "--lang", "ko").returncode == 0
    for folder in ("results", "feedback"):
        written = sorted(p.name for p in (out / folder).iterdir())
        assert written == sorted(p.name for p in (copy / folder).iterdir())
        for path in (out / folder).iterdir():
            assert path.read_bytes() == (copy / folder / path.name).read_bytes(), path.name


# -- the command line ---------------------------------------------------------------------------


@pytest.fixture
def folder_with_option_names(tmp_path):
    good = notebook(cells())
    for name in ("--out=hijack.ipynb", "-ohijack2.ipynb", "alice.ipynb"):
        (tmp_path / name).write_text(good)
    return tmp_path


def test_a_file_named_like_an_option_is_refused_without_double_dash(folder_with_option_names):
    here = folder_with_option_names
    refused = subprocess.run(
        f"{optigrade_exe()} grade -a optimizers --out graded *",
        shell=True,
        cwd=here,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2, refused.stderr
    assert "put `--` before the submissions" in refused.stderr
    assert "제출물 앞에 `--`를 넣으세요" in refused.stderr
    assert not (here / "hijack.ipynb").exists() and not (here / "graded").exists()


def test_double_dash_grades_option_like_names_as_files(folder_with_option_names):
    here = folder_with_option_names
    graded = subprocess.run(
        f"{optigrade_exe()} grade -a optimizers --out graded --json -- *",
        shell=True,
        cwd=here,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert graded.returncode == 0, graded.stderr[-2000:]
    students = ("--out=hijack", "-ohijack2", "alice")
    rows = read_grades(here / "graded")
    assert set(rows) == {"'--out=hijack", "'-ohijack2", "alice"}  # no formula in the CSV
    assert all(float(row["score"]) == 50 for row in rows.values())
    assert not (here / "hijack.ipynb").is_dir() and not (here / "hijack2.ipynb").exists()
    for student in students:
        assert (here / "graded" / "results" / f"{safe_name(student)}.json").is_file()


@pytest.mark.parametrize(
    "options",
    [
        ["--out", "a", "--out=b"],
        ["--out", "a", "-ob"],
        ["-oa", "-o", "b"],
        ["--out=a", "--lang", "en", "--lang=ko"],
        ["--out", "a", "--json", "--json"],
    ],
)
def test_an_option_given_twice_is_refused(tmp_path, options):
    (tmp_path / "x.ipynb").write_text(notebook(cells()))
    refused = run("grade", "-a", "optimizers", *options, str(tmp_path / "x.ipynb"), cwd=tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert "is given twice" in refused.stderr and "두 번" in refused.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_help_and_readme_teach_the_double_dash():
    helped = run("grade", "--help")
    assert "-- submissions/*" in helped.stdout and "[OPTIONS] [--]" in helped.stdout
    root = Path(__file__).resolve().parents[1]
    for doc in ("README.md", "docs/GRADING.md"):
        text = (root / doc).read_text(encoding="utf-8")
        examples = re.findall(r"optigrade grade -[^`\n]*", text)
        assert examples, doc
        for command in examples:
            if "--help" not in command:
                assert " -- " in command, f"{doc}: {command}"


# -- the escaping functions, for any text ------------------------------------------------------

RENDER = MarkdownIt("commonmark", {"html": False}).enable("table")
#: Any text at all, lone surrogates (an undecodable file name) included.
anything = st.text(st.characters(exclude_categories=()), max_size=60)


def escaped(text: str) -> str:
    """Text as markdown-it escapes it in HTML."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


@settings(max_examples=400, deadline=None)
@given(anything)
def test_markdown_text_renders_as_exactly_that_text(text):
    assert RENDER.render(f"x {md_text(text)} y") == f"<p>x {escaped(visible(text))} y</p>\n"


@settings(max_examples=400, deadline=None)
@given(anything)
def test_markdown_code_renders_as_exactly_that_code(text):
    shown = escaped(visible(text) or " ")
    assert RENDER.render(f"x {md_code(text)} y") == f"<p>x <code>{shown}</code> y</p>\n"
    in_table = RENDER.render(f"| a |\n|---|\n| {md_code(text, in_table=True)} |\n")
    assert f"<td><code>{shown}</code></td>" in in_table


@settings(max_examples=300, deadline=None)
@given(anything)
def test_markdown_block_renders_as_exactly_those_lines(text):
    body = visible(text, lines=True).rstrip()
    rendered = RENDER.render("\n".join(["intro", "", *md_block(text), "", "after"]))
    assert rendered == f"<p>intro</p>\n<pre><code>{escaped(body)}\n</code></pre>\n<p>after</p>\n"


@settings(max_examples=300, deadline=None)
@given(anything)
def test_a_csv_cell_is_one_text_cell(text):
    cell = csv_cell(text)
    assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r"))
    assert CONTROL.search(cell) is None and "\n" not in cell
    cell.encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(anything, anything)
def test_safe_names_are_injective_and_safe(one, other):
    first, second = safe_name(one), safe_name(other)
    if one != other:
        assert first != second
        assert first.lower() != second.lower(), "distinct on a case-insensitive disk too"
    for name in (first, second):
        assert "/" not in name and "\x00" not in name and not name.startswith((".", "-"))
        assert len(name.encode("utf-8")) <= 120


def test_safe_names_keep_plain_ids_and_hash_the_others():
    assert safe_name("kim_minsu") == "kim_minsu" and safe_name("31001") == "31001"
    assert safe_name("김민준") == "김민준"
    assert safe_name("alice_") == "alice_"
    for student in ("Alice", "a/b", "..", "-x", "con", "x" * 200, "a\udcff"):
        assert re.fullmatch(r".+\+[0-9a-f]{16}", safe_name(student)), student


@settings(max_examples=200, deadline=None)
@given(st.recursive(anything, lambda inner: st.lists(inner, max_size=3), max_leaves=8))
@example("\x7f")  # DEL is ASCII that json.dumps leaves as it is (found by this test in CI)
def test_json_text_is_valid_utf8_and_inert(value):
    text = json_text({"value": value})
    text.encode("utf-8")
    assert CONTROL.search(text) is None
    assert json.loads(text) == {"value": value}
