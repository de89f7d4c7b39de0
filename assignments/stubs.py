"""Cut notebook code out of the reference source: stubs for students, full items for instructors.

Everything is sliced from the source text (not ``ast.unparse``), so signatures, defaults,
docstrings (raw strings with LaTeX) and comments reach the notebook exactly as written.
"""

from __future__ import annotations

import ast

STUB_BODY = "raise NotImplementedError"

Definition = ast.FunctionDef | ast.ClassDef


class MissingItemError(LookupError):
    """The reference source has no top-level function or class of that name."""


def setup_source(source: str) -> str:
    """The module header a notebook needs: imports and type aliases (never ``__all__``)."""
    module = ast.parse(source)
    lines = source.splitlines()
    kept = [
        _segment(lines, node)
        for node in module.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        or (isinstance(node, ast.Assign | ast.AnnAssign) and "__all__" not in _targets(node))
    ]
    return "\n".join(kept)


def stub_source(source: str, item: str) -> str:
    """The item with every body replaced by ``raise NotImplementedError``.

    A class keeps its docstring, its ``__init__`` whole (constructor signature and attribute
    assignments) and its other members' signatures and docstrings.
    """
    lines = source.splitlines()
    node = _definition(ast.parse(source), item)
    if isinstance(node, ast.FunctionDef):
        return _stub_function(lines, node)
    members = []
    for member in _body_after_docstring(node):
        if isinstance(member, ast.FunctionDef) and member.name != "__init__":
            members.append(_stub_function(lines, member))
        else:
            members.append(_segment(lines, member))
    return "\n\n".join([_head(lines, node), *members])


def solution_source(source: str, item: str) -> str:
    """The item in full, preceded by the private module helpers it uses (transitively).

    The result runs on its own after the setup cell, so the instructor notebook never needs to
    import ``solutions``.
    """
    module = ast.parse(source)
    lines = source.splitlines()
    helpers = {
        node.name: node
        for node in module.body
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name.startswith("_")
    }
    needed: list[str] = []
    pending = [_definition(module, item)]
    while pending:
        for name in sorted(_names_used(pending.pop()) & helpers.keys()):
            if name not in needed:
                needed.append(name)
                pending.append(helpers[name])
    parts = [_segment(lines, helpers[name]) for name in sorted(needed)]
    return "\n\n\n".join([*parts, _segment(lines, _definition(module, item))])


def _definition(module: ast.Module, item: str) -> Definition:
    for node in module.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == item:
            return node
    raise MissingItemError(f"the reference source defines no function or class {item!r}")


def _stub_function(lines: list[str], node: ast.FunctionDef) -> str:
    indent = " " * node.body[0].col_offset
    return f"{_head(lines, node)}\n{indent}{STUB_BODY}"


def _head(lines: list[str], node: Definition) -> str:
    """Decorators, signature and docstring: everything before the first real statement."""
    first = node.body[0]
    end = first.end_lineno if _is_docstring(first) else first.lineno - 1
    if end is None or end < node.lineno:
        raise ValueError(f"{node.name}: a body on the same line as its signature cannot be stubbed")
    return "\n".join(lines[_start(node) - 1 : end])


def _segment(lines: list[str], node: ast.stmt) -> str:
    return "\n".join(lines[_start(node) - 1 : node.end_lineno])


def _start(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _body_after_docstring(node: Definition) -> list[ast.stmt]:
    return node.body[1:] if _is_docstring(node.body[0]) else node.body


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _targets(node: ast.Assign | ast.AnnAssign) -> set[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return {t.id for t in targets if isinstance(t, ast.Name)}


def _names_used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
