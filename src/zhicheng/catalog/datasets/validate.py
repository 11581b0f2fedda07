"""Row validation: the data items compiled into per-column converters, header mapping and a bounded error log."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from zhicheng.catalog.datasets.columnar import ColumnPlan
from zhicheng.catalog.datasets.converters import BadValue, as_text, converter_for, predicate_for
from zhicheng.catalog.datasets.headers import lookup, normalise
from zhicheng.catalog.datasets.readers import GEOMETRY_KEY
from zhicheng.catalog.items import ItemSpec, ItemType

MAX_ERRORS = 10_000
_BAD = object()


@dataclass
class ErrorLog:
    """Every bad row's line, column and reason: the first `limit` kept in full, the rest counted."""

    limit: int = MAX_ERRORS
    items: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0

    def add(self, line: int | None, column: str | None, zh: str, en: str, value: Any = None,
            item: str | None = None) -> None:
        """One error; `column` as the file names it, `item` the data item's identifier."""
        self.count += 1
        if len(self.items) < self.limit:
            shown = None if value is None else str(value)[:60]
            self.items.append({"line": line, "column": column, "value": shown, "zh": zh, "en": en,
                               "item": item})

    @property
    def truncated(self) -> int:
        """How many errors were counted but not kept."""
        return self.count - len(self.items)


class RowValidator:
    """Turns the rows of one file into storage tuples (None for a bad row), logging why each bad row is bad."""

    def __init__(self, specs: Sequence[ItemSpec], errors: ErrorLog, header: list[str] | None = None, *,
                 positions: dict[int, int] | None = None, header_line: int = 1) -> None:
        if not specs:
            from zhicheng.core.errors import Invalid

            raise Invalid("该资源还没有信息项，无法导入数据", "the resource has no data items; nothing to import into",
                          field="resource_id")
        self.specs = list(specs)
        self.errors = errors
        self.width = len(self.specs)
        self._by_key: dict[str, int] = {}
        for pos, spec in enumerate(self.specs):
            self._by_key.setdefault(normalise(spec.name), pos)
            self._by_key.setdefault(normalise(spec.label), pos)
        geometry = [pos for pos, s in enumerate(self.specs) if ItemType(s.type) is ItemType.GEOMETRY]
        if geometry:
            self._by_key.setdefault(GEOMETRY_KEY, geometry[0])
        self._convert = [converter_for(s) for s in self.specs]
        self._required = [pos for pos, s in enumerate(self.specs) if s.required]
        self.header = header
        self.header_line = header_line
        self.header_ok = True
        self.rows_read = 0
        self._plan: list[tuple[int, int, Any, bool, str]] = []
        self._dict_keys: dict[str, tuple[int, Any, str] | None] = {}
        if header is not None and positions is not None:
            self._plan = [(pos, idx, self._convert[pos], self.specs[pos].required, header[idx])
                          for pos, idx in sorted(positions.items())]
        elif header is not None:
            self._map_header(header)

    # -- header ------------------------------------------------------------------------------------------
    def _map_header(self, header: list[str]) -> None:
        seen: dict[int, str] = {}
        line = self.header_line
        for idx, name in enumerate(header):
            if not name:
                self.errors.add(line, None, f"第 {idx + 1} 列没有列名", f"column {idx + 1} has no name")
                self.header_ok = False
                continue
            pos = lookup(self._by_key, name)
            if pos is None:
                self.errors.add(line, name, f"未知列：{name}（不是本资源的信息项）",
                                f"unknown column: {name} (not a data item of this resource)")
                self.header_ok = False
                continue
            if pos in seen:
                self.errors.add(line, name, f"列 {name} 与 {seen[pos]} 重复", f"column {name} repeats {seen[pos]}",
                                item=self.specs[pos].name)
                self.header_ok = False
                continue
            seen[pos] = name
            spec = self.specs[pos]
            self._plan.append((pos, idx, self._convert[pos], spec.required, name))
        for pos in self._required:
            if pos not in seen:
                spec = self.specs[pos]
                self.errors.add(line, spec.label, f"缺少必填列：{spec.label}（{spec.name}）",
                                f"required column missing: {spec.name} ({spec.label})", item=spec.name)
                self.header_ok = False

    # -- rows --------------------------------------------------------------------------------------------
    def good_chunks(self, chunks: Iterator[tuple[Sequence[int], list]],
                    progress: Callable[[int], None] | None = None, every: int = 5_000) -> Iterator[list]:
        """Lists of [row number, values in item order…] while every row so far is good.

        After the first bad row nothing more is yielded, but the file is still read to its end so that
        every bad row is logged. `self.rows_read` counts the data rows read.
        """
        check = self._compile_tuple() if self.header is not None else self.check_dict
        columns = ColumnPlan(self.specs, self._plan, len(self.header)) if self.header is not None else None
        errors = self.errors
        n = 0
        for lines, rows in chunks:
            good = None
            if columns is not None and self.header_ok and not errors.count:
                good = columns.check(rows, n + 1)
            if good is None:
                good = []
                for i, (line, row) in enumerate(zip(lines, rows, strict=True), start=n + 1):
                    values = check(line, row, i)
                    if values is not None:
                        good.append(values)
            before, n = n, n + len(rows)
            self.rows_read = n
            if progress and n // every != before // every:
                progress(n)
            if not errors.count:
                yield good

    def _compile_tuple(self) -> Callable[[int, Sequence[Any], int], list | None]:
        """A checker for tuple rows with the column loop unrolled (the import's hot loop)."""
        width = len(self.header or ())
        env: dict[str, Any] = {"BadValue": BadValue, "as_text": as_text, "add": self.errors.add,
                               "ragged": self._ragged, "str": str}
        body = ["def check(line, row, n):",
                f"    if len(row) != {width} and ragged(line, row):",
                "        return None",
                f"    out = [n{', None' * self.width}]",
                f"    ok = {self.header_ok}",
                "    size = len(row)"]
        for pos, idx, convert, required, name in self._plan:
            spec = self.specs[pos]
            item = spec.name
            env[f"c{pos}"] = convert
            body += [f"    v = row[{idx}] if {idx} < size else None",
                     "    if v.__class__ is str:",
                     "        v = v.strip()",
                     "    if v is None or v == '':"]
            if required:
                body += [f"        add(line, {name!r}, '必填项为空', 'required value is empty', None, {item!r})",
                         "        ok = False"]
            else:
                body += ["        pass"]
            body += ["    else:"]
            if ItemType(spec.type) in (ItemType.STRING, ItemType.TEXT):
                # strings are checked inline; a failing check goes to the converter for its reason
                env[f"ok{pos}"] = predicate_for(spec) or (lambda _v: True)
                # a failing check goes to the converter with the cell as read (a spreadsheet number is told)
                slow = ["            try:",
                        f"                out[{pos + 1}] = c{pos}(r)",
                        "            except BadValue as exc:",
                        f"                add(line, {name!r}, exc.zh, exc.en, v, {item!r})",
                        "                ok = False"]
                body += ["        r = v", "        if v.__class__ is not str:", "            v = as_text(v)"]
                limit = int(spec.length or 0)
                body += [f"        if {limit} and len(v) > {limit}:"]
                if spec.check:  # the converter says why (e.g. an ID in scientific notation) before the length
                    body += slow
                else:
                    body += [f"            add(line, {name!r}, f'长度 {{len(v)}} 超过上限 {limit} 个字符', "
                             f"f'{{len(v)}} characters, at most {limit}', v, {item!r})",
                             "            ok = False"]
                if spec.check:
                    body += [f"        elif ok{pos}(v):", f"            out[{pos + 1}] = v", "        else:", *slow]
                else:
                    body += ["        else:", f"            out[{pos + 1}] = v"]
            else:
                body += ["        try:",
                         f"            out[{pos + 1}] = c{pos}(v)",
                         "        except BadValue as exc:",
                         f"            add(line, {name!r}, exc.zh, exc.en, v, {item!r})",
                         "            ok = False"]
        body += ["    return out if ok else None"]
        exec(compile("\n".join(body), "<zhicheng row checker>", "exec"), env)  # noqa: S102 - our own code
        return env["check"]

    def _ragged(self, line: int, row: Sequence[Any]) -> bool:
        """True (and logged) when a row's field count differs from the header's, ignoring empty trailers."""
        width = len(self.header or ())
        if len(row) > width and all(v in (None, "") for v in row[width:]):
            return False
        self.errors.add(line, None, f"列数 {len(row)} 与表头的 {width} 列不一致",
                        f"{len(row)} fields where the header has {width}")
        return True

    def check_dict(self, line: int, row: dict[str, Any], n: int) -> list | None:
        out: list[Any] = [n] + [None] * self.width
        ok = True
        add = self.errors.add
        for key, value in row.items():
            target = self._dict_keys.get(key, _BAD)
            if target is _BAD:
                target = self._resolve_key(line, key)
            if target is None:
                ok = False
                continue
            pos, convert, name = target
            if type(value) is str:
                value = value.strip()
            if value is None or value == "":
                continue
            try:
                out[pos + 1] = convert(value)
            except BadValue as exc:
                add(line, key, exc.zh, exc.en, value, name)
                out[pos + 1] = _BAD
                ok = False
        for pos in self._required:
            if out[pos + 1] is None:
                add(line, self.specs[pos].name, "必填项为空", "required value is empty", None, self.specs[pos].name)
                ok = False
        return out if ok else None

    def _resolve_key(self, line: int, key: str) -> tuple[int, Any, str] | None:
        pos = lookup(self._by_key, key)
        if pos is None:
            self.errors.add(line, key, f"未知列：{key}（不是本资源的信息项）",
                            f"unknown column: {key} (not a data item of this resource)")
            self._dict_keys[key] = None
            return None
        target = (pos, self._convert[pos], self.specs[pos].name)
        self._dict_keys[key] = target
        return target
