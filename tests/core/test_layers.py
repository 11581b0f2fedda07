"""Layers: `core` imports nothing of ours (a lower layer never imports a higher one)."""

from __future__ import annotations

import ast
from pathlib import Path

import zhicheng

CORE = Path(zhicheng.__file__).parent / "core"


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_core_imports_nothing_of_ours():
    found = {f"{p.relative_to(CORE)}: {name}" for p in CORE.rglob("*.py") for name in _imports(p)
             if name.startswith("zhicheng.") and not name.startswith("zhicheng.core")}
    assert found == set()
