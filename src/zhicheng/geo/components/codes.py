"""The 16-digit component code (GB/T 30428.2): county 6 + class 2 + subclass 2 + sequence 6."""

from __future__ import annotations

import re
from dataclasses import dataclass

from zhicheng.core.errors import Invalid
from zhicheng.geo.components.classes import ComponentClass, by_code

_CODE = re.compile(r"^(\d{6})(\d{2})(\d{2})(\d{6})$")


@dataclass(frozen=True)
class ComponentCode:
    """A parsed component code with its class."""

    county: str
    cls: ComponentClass
    sequence: int

    def __str__(self) -> str:
        return f"{self.county}{self.cls.code}{self.sequence:06d}"


def parse(value: object, *, table=None, field: str = "component_code") -> ComponentCode:
    """A 16-digit component code whose class and subclass are in the table, or Invalid naming `field`."""
    text = str(value or "").strip()
    match = _CODE.match(text)
    if not match:
        raise Invalid(f"部件编码须为 16 位数字（6 位区县 + 2 位大类 + 2 位小类 + 6 位顺序码）：{text[:24]!r}",
                      f"a component code is 16 digits (6 county + 2 class + 2 subclass + 6 sequence): {text[:24]!r}",
                      field=field)
    county, cls, sub, seq = match.groups()
    if county[:2] == "00" or county[2:] == "0000":
        raise Invalid(f"部件编码的区县代码无效：{county}", f"the county part of the code is not a county: {county}",
                      field=field)
    found = by_code(table).get(cls + sub)
    if found is None:
        raise Invalid(f"部件编码的大类/小类 {cls}{sub} 不在分类表中", f"class/subclass {cls}{sub} is not in the class "
                      "table", field=field)
    if int(seq) == 0:
        raise Invalid("部件顺序码从 000001 开始", "the component sequence starts at 000001", field=field)
    return ComponentCode(county, found, int(seq))


def make(county: str, cls: ComponentClass, sequence: int) -> str:
    """The code of the `sequence`-th component of a class in a county."""
    if not 1 <= sequence <= 999_999:
        raise Invalid("部件顺序码须在 1 至 999999 之间", "the sequence must be 1 … 999999", field="sequence")
    return f"{county}{cls.code}{sequence:06d}"
