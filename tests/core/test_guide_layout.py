"""The developer guide's layout (docs/developer-guide.md, "## Layout") matches the tree: every folder it names under
`src/zhicheng/` exists, and every package there (a folder with `__init__.py`) is named in it.

A line of the layout's block indented under `src/zhicheng/` names a folder by its first word (`catalog/datasets/`);
a word of one segment ending in `/` further along names a folder inside it (`ids/` on the line of `core/`).
"""

from __future__ import annotations

import re
from pathlib import Path

import zhicheng

ROOT = Path(zhicheng.__file__).parent
GUIDE = ROOT.parents[1] / "docs" / "developer-guide.md"
FOLDER = re.compile(r"^[a-z_][a-z0-9_]*/$")


def _layout_lines() -> list[str]:
    """The lines of the layout's code block that stand inside `src/zhicheng/` (indented)."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    block = section.split("```", 2)[1]
    return [line for line in block.splitlines() if line.startswith("  ") and line.strip()]


def named_folders() -> set[str]:
    """The folders the layout names, as paths below src/zhicheng (`catalog/datasets`)."""
    named: set[str] = set()
    for line in _layout_lines():
        first, *rest = line.split()
        if not first.endswith("/"):
            continue  # a module (`cli.py`, `hookspecs.py`)
        folder = first.rstrip("/")
        named.add(folder)
        named.update(f"{folder}/{word.rstrip('/')}" for word in rest if FOLDER.match(word))
    return named


def packages() -> set[str]:
    """Every package below src/zhicheng, as a path (`catalog/datasets`)."""
    return {p.parent.relative_to(ROOT).as_posix() for p in ROOT.rglob("__init__.py")} - {"."}


def test_every_folder_the_guide_names_exists():
    assert sorted(f for f in named_folders() if not (ROOT / f).is_dir()) == []


def test_every_package_is_named_in_the_guide():
    assert sorted(packages() - named_folders()) == []


def test_the_reading_of_the_layout():
    named = named_folders()
    assert {"core", "core/ids", "catalog/datasets", "catalog/datasets/rowquery"} <= named
    assert not any(f.startswith("core/settings") or "templates" in f for f in named)
