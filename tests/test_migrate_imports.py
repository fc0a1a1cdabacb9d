"""approvals.migrate's modules import each other without a cycle, at any level of the code."""

from __future__ import annotations

import ast
from pathlib import Path

import approvals.migrate

PACKAGE = Path(approvals.migrate.__file__).parent


def imports_of(path: Path) -> set[str]:
    """Every approvals.migrate module ``path`` imports, in function bodies too."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(
            n
            for n in names
            if (PACKAGE / f"{n.rsplit('.', 1)[-1]}.py").exists()
            and n.startswith("approvals.migrate.")
        )
    return {name.rsplit(".", 1)[-1] for name in found}


def test_the_migrate_modules_form_no_import_cycle() -> None:
    graph = {path.stem: imports_of(path) - {path.stem} for path in PACKAGE.glob("*.py")}
    graph.pop("__init__")
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join((*path, module))}"
        if module in done:
            return
        for imported in sorted(graph.get(module, ())):
            visit(imported, (*path, module))
        done.add(module)

    for module in sorted(graph):
        visit(module, ())
