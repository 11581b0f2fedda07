"""The component class table (大类/小类 of GB/T 30428.2, with local extensions) read from a bundled CSV."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from zhicheng.core.errors import Invalid

STATUSES = ("完好", "破损", "丢失", "废弃")  # GB/T 30428.2 部件状态


@dataclass(frozen=True)
class ComponentClass:
    """One subclass (小类) with its class (大类)."""

    class_code: str
    class_name: str
    subclass_code: str
    subclass_name: str
    source: str  # GB/T 30428.2 | local

    @property
    def code(self) -> str:
        """The 4 digits class + subclass."""
        return self.class_code + self.subclass_code


def read_table(path: Path | None = None) -> tuple[ComponentClass, ...]:
    """A class table: the bundled one, or a city's own CSV of the same columns (checked)."""
    if path is None:
        return default_table()
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        return _checked(list(csv.DictReader(fh)))


@cache
def default_table() -> tuple[ComponentClass, ...]:
    """The bundled table (data/component_classes.csv)."""
    src = resources.files("zhicheng.geo.components").joinpath("data", "component_classes.csv")
    with src.open(encoding="utf-8", newline="") as fh:
        return _checked(list(csv.DictReader(fh)))


def _checked(rows: list[dict]) -> tuple[ComponentClass, ...]:
    out: list[ComponentClass] = []
    seen: set[str] = set()
    for n, r in enumerate(rows, start=2):
        try:
            c = ComponentClass(r["class_code"].strip(), r["class_name"].strip(), r["subclass_code"].strip(),
                               r["subclass_name"].strip(), (r.get("source") or "local").strip())
        except (KeyError, AttributeError):
            raise Invalid(f"分类表第 {n} 行缺少列", f"class table line {n} lacks a column", field="classes") from None
        if not (len(c.class_code) == 2 and c.class_code.isdigit() and len(c.subclass_code) == 2
                and c.subclass_code.isdigit() and c.subclass_code != "00"):
            raise Invalid(f"分类表第 {n} 行：大类、小类代码须为 2 位数字", f"class table line {n}: class and subclass "
                          "codes are 2 digits", field="classes")
        if c.code in seen:
            raise Invalid(f"分类表第 {n} 行：代码 {c.code} 重复", f"class table line {n}: code {c.code} repeated",
                          field="classes")
        seen.add(c.code)
        out.append(c)
    return tuple(out)


def by_code(table: tuple[ComponentClass, ...] | None = None) -> dict[str, ComponentClass]:
    """4-digit class+subclass code → class."""
    return {c.code: c for c in (table or default_table())}


def by_name(table: tuple[ComponentClass, ...] | None = None) -> dict[str, ComponentClass]:
    """Subclass name → class (the first where a name repeats)."""
    out: dict[str, ComponentClass] = {}
    for c in table or default_table():
        out.setdefault(c.subclass_name, c)
    return out
