"""The package's shape, checked from its source: a pure domain, no import cycle, capabilities
instead of class checks, and modules and functions of a readable size."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "approvals"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _tree(name: str) -> ast.Module:
    return ast.parse(MODULES[name].read_text(encoding="utf-8"), filename=str(MODULES[name]))


def _loaded_after(statement: str) -> list[str]:
    code = (
        f"import sys\n{statement}\n"
        "import json\n"
        "print(json.dumps(sorted(m for m in sys.modules"
        " if m.partition('.')[0] in ('botocore', 'pynamodb', 'boto3'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded: list[str] = json.loads(result.stdout)
    return loaded


@pytest.mark.parametrize("statement", ["import approvals", "import approvals.request"])
def test_the_package_and_the_domain_load_no_aws_library(statement: str) -> None:
    assert _loaded_after(statement) == []


def test_a_dynamodb_name_loads_the_aws_libraries_when_used() -> None:
    assert "pynamodb" in _loaded_after("import approvals; approvals.DynamoDBStore")


# -- the import graph ------------------------------------------------------------------------


def _module_level(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements run when the module is imported (not those under TYPE_CHECKING,
    in functions or in classes)."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                yield from _module_level(node.body)
            yield from _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _module_level(block)
            for handler in node.handlers:
                yield from _module_level(handler.body)


def _with_parents(name: str) -> list[str]:
    """``name`` and the packages importing it runs first (``a.b.c``: ``a``, ``a.b``)."""
    parts = name.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts) + 1)]


def _imports(name: str) -> set[str]:
    """The package modules ``name`` imports at module level, relative imports resolved.

    Importing ``a.b.c`` runs ``a`` and ``a.b`` first, so they count, except the packages that
    contain ``name``: they are already being imported when it runs.
    """
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in _module_level(_tree(name).body):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join(anchor + ([base] if base else []))
        targets.add(base)
        targets.update(f"{base}.{alias.name}" for alias in node.names)
    return {
        parent
        for target in targets
        for parent in _with_parents(target)
        if parent in MODULES and parent not in _with_parents(name)
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a path, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found is not None:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found is not None:
                return found
    return None


def test_the_import_graph_finds_a_planted_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_package_imports_form_no_cycle() -> None:
    graph = {name: _imports(name) for name in MODULES}
    assert _cycle(graph) is None


# -- capabilities, not class checks ----------------------------------------------------------


def _outside_the_store() -> Iterator[tuple[str, ast.Module]]:
    for name in MODULES:
        if name != "approvals.store" and not name.startswith("approvals.store."):
            yield name, _tree(name)


def _class_checks(tree: ast.Module) -> Iterator[int]:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("isinstance", "issubclass")
            and len(node.args) == 2
            and "DynamoDBStore" in ast.unparse(node.args[1])
        ):
            yield node.lineno


def test_no_code_outside_the_store_checks_for_a_dynamodb_store() -> None:
    found = [
        f"{name}:{line}" for name, tree in _outside_the_store() for line in _class_checks(tree)
    ]
    assert found == [], "ask the store for a capability (store.dynamodb_table()) instead"


def test_no_code_outside_the_store_reaches_the_model_connection() -> None:
    found = [
        f"{name}:{node.lineno}"
        for name, tree in _outside_the_store()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "_get_connection"
    ]
    assert found == [], "use store.dynamodb_table().client"


# -- sizes -----------------------------------------------------------------------------------


def _functions(tree: ast.Module) -> Iterator[tuple[str, int]]:
    """(qualified name, lines) of every function and method, nested ones included."""

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, int]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert child.end_lineno is not None
                yield f"{prefix}{child.name}", child.end_lineno - child.lineno + 1
                yield from walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                yield from walk(child, prefix)

    return walk(tree, "")


def _long_modules() -> set[str]:
    return {
        str(path.relative_to(PACKAGE.parent))
        for path in MODULES.values()
        if len(path.read_text(encoding="utf-8").splitlines()) > MAX_MODULE_LINES
    }


def _long_functions() -> set[str]:
    return {
        f"{MODULES[name].relative_to(PACKAGE.parent)}:{function}"
        for name in MODULES
        for function, lines in _functions(_tree(name))
        if lines > MAX_FUNCTION_LINES
    }


def test_no_module_is_longer_than_the_limit() -> None:
    assert _long_modules() == set()


def test_no_function_is_longer_than_the_limit() -> None:
    assert _long_functions() == set()
