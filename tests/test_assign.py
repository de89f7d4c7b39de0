"""``optigrade assign``: notebooks and public checks derived from solutions/, run for real."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

import solutions
from assignments.build import build, checks_source, notebook
from assignments.cases import PUBLIC_SEEDS
from assignments.messages import MESSAGES
from assignments.reference import Reference
from assignments.stubs import STUB_BODY, setup_source, stub_source
from optigrade.i18n import LANGS
from solutions.variants import MISTAKES as VARIANT_MISTAKES
from tests.test_cli import optigrade

ASSIGNMENTS = tuple(solutions.ASSIGNMENTS)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The bundles as an instructor gets them: the installed console script, default options."""
    out = tmp_path_factory.mktemp("bundles")
    result = optigrade("assign", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def bundle(out: Path, lang: str, kind: str, assignment: str) -> Path:
    return out / lang / kind / assignment / f"{assignment}.ipynb"


def load_checks(path: Path) -> ModuleType:
    name = f"checks_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


def cells(nb: nbformat.NotebookNode, role: str) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.metadata["optigrade"]["role"] == role]


def stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


_ANY = "\x00"


def message(key: str, lang: str, **known: object) -> re.Pattern[str]:
    """The catalogue's message as a pattern: placeholders not given match anything."""
    text = getattr(MESSAGES[key], lang).format_map(defaultdict(lambda: _ANY, known))
    return re.compile(re.escape(text).replace(_ANY, ".*?"))


def case_count(built: Path, lang: str, assignment: str, item: str) -> int:
    checks = load_checks(bundle(built, lang, "student", assignment).parent / "checks.py")
    return len(checks._DATA["cases"][item])


# --- the command ---------------------------------------------------------------------------------


def test_assign_builds_every_bundle_in_both_languages_by_default(built):
    for lang in LANGS:
        for kind in ("student", "instructor"):
            for assignment in ASSIGNMENTS:
                path = bundle(built, lang, kind, assignment)
                nbformat.validate(nbformat.read(path, as_version=4))
                assert (path.parent / "checks.py").is_file()


def test_assign_builds_one_language_on_request(tmp_path):
    result = optigrade("assign", "--lang", "en", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["en"]


def test_assign_rejects_an_unknown_language(tmp_path):
    result = optigrade("assign", "--lang", "fr", "--out", str(tmp_path))
    assert result.returncode != 0
    assert "fr" in result.stderr and "ko" in result.stderr
    assert not any(tmp_path.iterdir())


def test_building_twice_gives_byte_identical_files(tmp_path):
    first = build(tmp_path / "a", LANGS)
    second = build(tmp_path / "b", LANGS)
    assert [p.relative_to(tmp_path / "a") for p in first] == [
        p.relative_to(tmp_path / "b") for p in second
    ]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a


def test_every_cell_says_its_role(built):
    for assignment in ASSIGNMENTS:
        nb = nbformat.read(bundle(built, "ko", "student", assignment), as_version=4)
        for cell in nb.cells:
            role = cell.metadata["optigrade"]["role"]
            assert role in ("setup", "solution", "check", "experiment", "prose")
            assert cell.metadata["tags"] == [f"optigrade:{role}"]
        items = [c.metadata["optigrade"]["item"] for c in cells(nb, "solution")]
        assert items == list(solutions.ASSIGNMENTS[assignment])
        assert [c.source for c in cells(nb, "check")] == [f'check("{i}")' for i in items]


# --- stubs derived from the reference -----------------------------------------------------------


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_stubs_keep_signature_defaults_and_docstring_and_raise(assignment):
    reference = Reference.load(assignment)
    for item in reference.items:
        namespace: dict = {}
        exec(setup_source(reference.source), namespace)
        exec(stub_source(reference.source, item), namespace)
        stub, original = namespace[item], reference.obj(item)
        assert str(inspect.signature(stub)) == str(inspect.signature(original))
        assert inspect.getdoc(stub) == inspect.getdoc(original)
        if inspect.isclass(stub):
            # The constructor is kept whole: a fresh object has the reference's attributes.
            assert vars(stub()) == vars(original())
            with pytest.raises(NotImplementedError):
                stub().update({"w": np.ones(2)}, {"w": np.ones(2)})
        else:
            body = ast.parse(stub_source(reference.source, item)).body[0].body
            assert ast.unparse(body[-1]) == STUB_BODY and len(body) == 2


def test_a_changed_default_in_the_reference_reaches_stub_solution_and_checks(tmp_path):
    source = Reference.load("optimizers").source
    edited = source.replace(
        "def __init__(self, lr: float = 0.01) -> None:",
        "def __init__(self, lr: float = 0.05) -> None:",
    )
    assert edited != source
    reference = Reference.from_source("optimizers", edited)
    for with_solutions in (False, True):
        nb = notebook(reference, "en", with_solutions=with_solutions)
        sgd = next(c.source for c in cells(nb, "solution") if c.metadata.optigrade.item == "SGD")
        assert "lr: float = 0.05" in sgd
    (tmp_path / "checks.py").write_text(checks_source(reference, "en"))
    checks = load_checks(tmp_path / "checks.py")
    assert checks.result("SGD", reference.namespace).status == "passed"
    assert checks.result("SGD", vars(solutions)).status == "failed"


# --- nothing of the reference in the student bundle ----------------------------------------------


def _reference_body_lines(reference: Reference) -> set[str]:
    """Every line of the reference that is code inside a body, not signature or docstring."""
    lines = reference.source.splitlines()
    found = set()
    for node in ast.walk(ast.parse(reference.source)):
        if isinstance(node, ast.FunctionDef) and node.name != "__init__":
            for stmt in node.body:
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                    continue
                for line in lines[stmt.lineno - 1 : stmt.end_lineno]:
                    if len(line.strip()) > 12:
                        found.add(line.strip())
    return found


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_student_bundle_holds_no_reference_code(built, assignment):
    reference = Reference.load(assignment)
    body_lines = _reference_body_lines(reference)
    assert body_lines  # the test would prove nothing otherwise
    for lang in LANGS:
        folder = bundle(built, lang, "student", assignment).parent
        for path in folder.iterdir():
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"(import|from)\s+solutions\b", text), path
            assert "_zeros_like_each" not in text and "_as_result" not in text, path
            leaked = [line for line in body_lines if line in text]
            assert not leaked, (path, leaked)
        # ... while the instructor copy holds all of it, without importing solutions.
        instructor = bundle(built, lang, "instructor", assignment).read_text(encoding="utf-8")
        assert not re.search(r"(import|from)\s+solutions\b", instructor)


def test_checks_py_needs_numpy_and_the_standard_library_only(built):
    for assignment in ASSIGNMENTS:
        tree = ast.parse(
            (bundle(built, "ko", "student", assignment).parent / "checks.py").read_text()
        )
        top = {
            alias.name.split(".")[0]
            for node in tree.body
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {node.module.split(".")[0] for node in tree.body if isinstance(node, ast.ImportFrom)}
        assert top - set(sys.stdlib_module_names) == {"numpy"}


# --- the public checks: equivalents pass, mistakes fail with a useful message --------------------


class SGDRebinding:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for key in params:
            params[key] = params[key] - self.lr * grads[key]


class MomentumEagerState:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, {}

    def update(self, params, grads):
        for key, g in grads.items():
            v = self.momentum * self.v.get(key, 0.0) - self.lr * g
            self.v[key] = v
            params[key] += v


def adagrad(eps_inside: bool, squared: bool = True):
    class AdaGradVariant:
        def __init__(self, lr=0.01, eps=1e-7):
            self.lr, self.eps, self.h = lr, eps, None

        def update(self, params, grads):
            if self.h is None:
                self.h = {k: np.zeros_like(v) for k, v in params.items()}
            for k in params:
                g = grads[k]
                self.h[k] += g * g if squared else g
                root = (
                    np.sqrt(self.h[k] + self.eps) if eps_inside else np.sqrt(self.h[k]) + self.eps
                )
                params[k] -= self.lr * g / root

    return AdaGradVariant


def rmsprop(eps_inside: bool, reset_every_call: bool = False):
    class RMSPropVariant:
        def __init__(self, lr=0.01, beta=0.9, eps=1e-7):
            self.lr, self.beta, self.eps, self.h = lr, beta, eps, None

        def update(self, params, grads):
            if self.h is None or reset_every_call:
                self.h = {k: np.zeros_like(v) for k, v in params.items()}
            for k in params:
                g = grads[k]
                self.h[k] = self.beta * self.h[k] + (1 - self.beta) * g * g
                root = (
                    np.sqrt(self.h[k] + self.eps) if eps_inside else np.sqrt(self.h[k]) + self.eps
                )
                params[k] -= self.lr * g / root

    return RMSPropVariant


def adam(folded: bool, bias_correction: bool = True):
    class AdamVariant:
        def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
            self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
            self.t, self.m, self.v = 0, {}, {}

        def update(self, params, grads):
            self.t += 1
            b1, b2, t = self.beta1, self.beta2, self.t
            for k, g in grads.items():
                self.m[k] = b1 * self.m.get(k, 0) + (1 - b1) * g
                self.v[k] = b2 * self.v.get(k, 0) + (1 - b2) * g**2
                if folded:  # the textbook form: bias correction folded into the step size
                    lr_t = self.lr * np.sqrt(1 - b2**t) / (1 - b1**t)
                    params[k] -= lr_t * self.m[k] / (np.sqrt(self.v[k]) + self.eps)
                elif bias_correction:
                    m_hat, v_hat = self.m[k] / (1 - b1**t), self.v[k] / (1 - b2**t)
                    params[k] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
                else:
                    params[k] -= self.lr * self.m[k] / (np.sqrt(self.v[k]) + self.eps)

    return AdamVariant


class MomentumOneMinusBeta:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, {}

    def update(self, params, grads):
        for k, g in grads.items():
            self.v[k] = self.momentum * self.v.get(k, 0) + (1 - self.momentum) * g
            params[k] -= self.lr * self.v[k]


def ewma_vectorised(theta, beta=0.9, bias_correction=False):
    theta = np.asarray(theta, dtype=float)
    t = np.arange(1, theta.size + 1)
    weights = np.tril((1 - beta) * beta ** (t[:, None] - t[None, :]))
    v = weights @ theta
    return v / (1 - beta**t) if bias_correction else v


def ewma_ignores_bias_correction(theta, beta=0.9, bias_correction=False):
    return ewma_vectorised(theta, beta)


def xavier_scaled_standard_normal(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2 / (n_in + n_out))


def he_with_xavier_variance(n_in, n_out, rng):
    return xavier_scaled_standard_normal(n_in, n_out, rng)


def lr_inverse_sqrt_without_check(lr0, epoch, k=1.0):
    return k / np.sqrt(epoch) * lr0


def mini_batches_two_permutations(X, Y, batch_size=64, seed=0):
    rng = np.random.default_rng(seed)
    X, Y = X[:, rng.permutation(X.shape[1])], Y[:, rng.permutation(Y.shape[1])]
    return [
        (X[:, i : i + batch_size], Y[:, i : i + batch_size])
        for i in range(0, X.shape[1], batch_size)
    ]


EQUIVALENTS = [
    ("SGD", SGDRebinding),
    ("Momentum", MomentumEagerState),
    ("AdaGrad", adagrad(eps_inside=True)),
    ("RMSProp", rmsprop(eps_inside=True)),
    ("Adam", adam(folded=True)),
    ("Adam", adam(folded=False)),
    ("ewma", ewma_vectorised),
    ("relu", lambda x: np.asarray(x) * (np.asarray(x) > 0)),
    ("xavier_init", xavier_scaled_standard_normal),
]
MISTAKES = [
    ("Momentum", MomentumOneMinusBeta),
    ("AdaGrad", adagrad(eps_inside=False, squared=False)),
    ("RMSProp", rmsprop(eps_inside=False, reset_every_call=True)),
    ("Adam", adam(folded=False, bias_correction=False)),
    ("ewma", ewma_ignores_bias_correction),
    ("he_init", he_with_xavier_variance),
    ("lr_inverse_sqrt", lr_inverse_sqrt_without_check),
    ("random_mini_batches", mini_batches_two_permutations),
    ("sigmoid_grad", lambda x: 1 / (1 + np.exp(-np.asarray(x)))),
]


def _checks_for(built: Path, item: str, lang: str) -> ModuleType:
    assignment = next(a for a, items in solutions.ASSIGNMENTS.items() if item in items)
    return load_checks(bundle(built, lang, "student", assignment).parent / "checks.py")


@pytest.mark.parametrize(("item", "impl"), EQUIVALENTS, ids=lambda v: getattr(v, "__name__", v))
def test_an_equivalent_implementation_passes(built, item, impl):
    result = _checks_for(built, item, "en").result(item, {item: impl})
    assert result.status == "passed", result.text


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # some mistakes divide by zero on purpose
@pytest.mark.parametrize(("item", "impl"), MISTAKES, ids=lambda v: getattr(v, "__name__", v))
def test_a_real_mistake_fails(built, item, impl):
    result = _checks_for(built, item, "en").result(item, {item: impl})
    assert result.status == "failed", result.text


@pytest.mark.parametrize("lang", LANGS)
def test_a_failure_says_which_case_what_input_what_was_expected_and_received(built, lang):
    checks = _checks_for(built, "Adam", lang)
    result = checks.result("Adam", {"Adam": adam(folded=False, bias_correction=False)})
    lines = result.text.splitlines()
    # The first case (default hyper-parameters) already shows the missing bias correction,
    # and the student's code, written independently of the catalogue, is recognised as it.
    assert message("failed", lang, name="Adam", index=1, earlier="").fullmatch(lines[0])
    label = getattr(
        next(v for v in VARIANT_MISTAKES["Adam"] if v.id == "adam_no_bias_correction").label, lang
    )
    assert lines[1] == MESSAGES["mistake"].render(lang, label=label)
    assert message("input", lang).fullmatch(lines[2]) and "Adam()" in lines[2]
    assert lines[3] == MESSAGES["where_step"].render(lang, step=1, key="W1")
    assert message("first_difference", lang, index=[0, 0]).fullmatch(lines[4])
    expected = result.text.split("\n", 5)[5]
    assert message("expected", lang).match(expected) and message("received", lang).search(expected)


def test_an_exception_shows_the_students_line_not_the_checker(built):
    class Broken:
        def __init__(self, lr=0.01):
            self.lr = lr

        def update(self, params, grads):
            params["W1"] -= self.lr * grads["w1_typo"]

    result = _checks_for(built, "SGD", "en").result("SGD", {"SGD": Broken})
    assert result.status == "failed"
    assert 'params["W1"] -= self.lr * grads["w1_typo"]' in result.text
    assert "KeyError" in result.text and "checks.py" not in result.text


def test_unimplemented_and_undefined_items_are_told_apart(built):
    checks = _checks_for(built, "relu", "ko")
    namespace: dict = {}
    exec(stub_source(Reference.load("init").source, "relu"), namespace)
    assert checks.result("relu", namespace).status == "not_implemented"
    assert checks.result("relu", {}).text == MESSAGES["missing"].render("ko", name="relu")


def test_check_finds_the_item_in_the_callers_globals(built, capsys):
    checks = _checks_for(built, "relu", "en")
    exec('check("relu")', {"check": checks.check, "relu": solutions.relu})
    total = case_count(built, "en", "init", "relu")
    assert capsys.readouterr().out.strip() == MESSAGES["passed"].render(
        "en", name="relu", total=total
    )


def test_without_matplotlib_the_experiments_say_so_instead_of_crashing(built, capsys, monkeypatch):
    checks = _checks_for(built, "relu", "ko")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    assert checks.pyplot() is None
    assert capsys.readouterr().out.strip() == MESSAGES["no_matplotlib"].render("ko")


def test_every_random_input_of_the_public_cases_comes_from_the_public_seeds(built):
    seeds = []
    for assignment in ASSIGNMENTS:
        text = (bundle(built, "en", "student", assignment).parent / "checks.py").read_text()
        data = text[text.index("\n_DATA = ") :]
        seeds += [int(s) for s in re.findall(r"'(?:rng|seed)': (\d+)", data)]
    assert seeds and all(s in PUBLIC_SEEDS for s in seeds), seeds


# --- the notebooks, executed in a real kernel -----------------------------------------------------

#: One real mistake per assignment, written into the instructor copy: (item, reference text, wrong).
BREAKS = {
    "optimizers": ("Adam", "m_hat = self.m[key] / (1 - self.beta1**self.t)", "m_hat = self.m[key]"),
    "schedules": ("ewma", "running / (1 - beta**t) if bias_correction else running", "running"),
    "init": ("he_init", "np.sqrt(4.0 / (n_in + n_out))", "np.sqrt(2.0 / (n_in + n_out))"),
}


def execute(path: Path, nb: nbformat.NotebookNode | None = None) -> nbformat.NotebookNode:
    """Run every cell in a fresh kernel of this interpreter; a cell error fails the test."""
    nb = nb if nb is not None else nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    return nb


@pytest.fixture
def inline_figures(monkeypatch):
    # Without MPLBACKEND, ipykernel picks matplotlib's inline backend (Agg underneath), whose
    # figures become image/png outputs that the test can see; a plain Agg draws nothing visible.
    monkeypatch.delenv("MPLBACKEND", raising=False)


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_student_notebook_runs_and_every_check_says_not_implemented(built, assignment, lang):
    nb = execute(bundle(built, lang, "student", assignment))
    for cell in cells(nb, "check"):
        item = cell.metadata.optigrade.item
        assert stdout(cell).strip() == MESSAGES["not_implemented"].render(lang, name=item)
    not_ready = MESSAGES["not_ready"].render(lang, names="{", missing="").split("{")[0]
    for cell in cells(nb, "experiment"):
        assert stdout(cell).startswith(not_ready), stdout(cell)


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_instructor_notebook_passes_every_check_and_draws(
    built, assignment, lang, inline_figures
):
    path = bundle(built, lang, "instructor", assignment)
    nb = nbformat.read(path, as_version=4)
    broken_item, right, wrong = BREAKS[assignment]
    broken = lang != "ko"  # the English run also proves that a broken item shows up alone
    if broken:
        cell = next(c for c in cells(nb, "solution") if c.metadata.optigrade.item == broken_item)
        assert right in cell.source
        cell.source = cell.source.replace(right, wrong)
    execute(path, nb)
    for cell in cells(nb, "check"):
        item = cell.metadata.optigrade.item
        total = case_count(built, lang, assignment, item)
        if broken and item == broken_item:
            lines = stdout(cell).splitlines()
            assert message("failed", lang, name=item, total=total).fullmatch(lines[0]), lines
            assert any(message("first_difference", lang).fullmatch(line) for line in lines), lines
        else:
            assert stdout(cell).strip() == MESSAGES["passed"].render(lang, name=item, total=total)
    if not broken:
        outputs = [o for c in cells(nb, "experiment") for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"]
        figures = [o for o in outputs if "image/png" in o.get("data", {})]
        assert figures, "the experiments drew nothing"
