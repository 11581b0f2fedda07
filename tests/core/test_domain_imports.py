"""Doors between domains: no two domains import each other (directly or round a ring), and no domain imports
another's tables (`models`); a domain uses another's `service` or `flows`, and `core` imports nothing of ours.

A domain is a package right under `zhicheng` (`catalog`, `basedb`, …; `catalog.datasets` belongs to `catalog`).
The shell that puts the domains together is not one: `core` (below everything: tests/core/test_layers.py), `web`
(the app factory and page shell, which mounts every domain's routers), `migrations`, and the top-level modules
(`cli.py`, `hookspecs.py`, `models_registry.py`). Every import counts, also one inside a function, except one of
another domain's route dependencies (`<domain>.deps`: how a route learns who acts, the web layer's contract), which
joins routes, not domains.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import zhicheng

ROOT = Path(zhicheng.__file__).parent
SHELL = {"core", "web", "migrations"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of ours in the file, relative ones resolved."""
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            out += [(node.lineno, _module_of(base, a.name)) for a in node.names]
    return [(line, name) for line, name in out if name.startswith("zhicheng.")]


def _module_of(base: str, name: str) -> str:
    """`from base import name`: the module base.name when there is one (`from zhicheng.catalog import service`),
    else base."""
    path = ROOT.parent.joinpath(*f"{base}.{name}".split("."))
    return f"{base}.{name}" if path.is_dir() or path.with_suffix(".py").is_file() else base


def _domain(module: str) -> str | None:
    """The domain a module belongs to, None for the shell."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    if len(parts) < 3 and not (ROOT / parts[1]).is_dir():
        return None  # a top-level module (cli.py, hookspecs.py…) or a name of the root package
    return None if parts[1] in SHELL else parts[1]


def _imports_between_domains() -> list[tuple[str, str, str, str]]:
    """(importing domain, imported domain, imported module, "file:line") for every import across domains."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        source = _domain(_module_name(path))
        if source is None:
            continue
        for line, name in _imported(path):
            target = _domain(name)
            if target is not None and target != source:
                found.append((source, target, name, f"{path.relative_to(ROOT)}:{line}"))
    return found


def _rings(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one domain (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    rings: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                rings.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return rings


def test_no_two_domains_import_each_other():
    imports = [i for i in _imports_between_domains() if i[2].rsplit(".", 1)[-1] != "deps"]
    edges: dict[str, set[str]] = defaultdict(set)
    for source, target, _name, _where in imports:
        edges[source].add(target)
    problems = []
    for ring in _rings(edges):
        members = set(ring)
        by_pair: dict[tuple[str, str], list[str]] = defaultdict(list)
        for s, t, name, where in imports:
            if s in members and t in members and f"{where} {name}" not in by_pair[(s, t)]:
                by_pair[(s, t)].append(f"{where} {name}")
        problems.append(
            " ⇄ ".join(ring) + ": " + "; ".join(
                f"{s} → {t} ({found[0]}{f' and {len(found) - 1} more' if len(found) > 1 else ''})"
                for (s, t), found in sorted(by_pair.items())
            )
        )
    assert not problems, "\n".join(problems)


def test_no_domain_imports_another_domains_tables():
    found = [
        f"{where} {name}"
        for _source, _target, name, where in _imports_between_domains()
        if "models" in name.split(".")[2:]
    ]
    assert not found, "\n".join(found)


def test_the_walk_sees_the_imports_it_is_about():
    """The walk itself: it finds a known door (basedb reads the catalog through its service) and resolves
    imports inside functions."""
    found = {(s, t, name) for s, t, name, _where in _imports_between_domains()}
    assert ("basedb", "catalog", "zhicheng.catalog.service") in found
    assert ("lineage", "basedb", "zhicheng.basedb.service") in found  # lineage.flows, inside nothing
    assert _rings({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
