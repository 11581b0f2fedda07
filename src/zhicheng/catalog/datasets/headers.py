"""Where a sheet's header is and which file column feeds each data item: detection, mapping and preview.

Departments' files carry a title, blank rows and notes above the header, and name columns in their own
words. This works on the first rows the readers produce (the readers stay as they are): it finds the header
among the first rows (the row whose cells match most data items by identifier or Chinese label, compared
after folding full-width forms, whitespace and case), proposes which column feeds each item, and applies a
user's choice of header row and mapping.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from zhicheng.catalog.datasets.converters import as_text
from zhicheng.catalog.datasets.readers import CHUNK, Chunk, Source
from zhicheng.catalog.items import ItemSpec
from zhicheng.core.errors import Invalid

SCAN_ROWS = 20  # rows looked at for the header, after the first non-empty one
PREVIEW_ROWS = 5


def normalise(text: Any) -> str:
    """A header cell as compared with item names and labels: full-width folded to half-width (NFKC), no
    whitespace, case folded, without required marks (*) or a trailing colon."""
    folded = unicodedata.normalize("NFKC", str(text))
    return "".join(folded.split()).casefold().strip("*:")


_UNIT = re.compile(r"\([^()]*\)$")  # a unit or note after the name: 月收入（元）, 面积(平方米)


def lookup(keys: Mapping[str, int], cell: Any) -> int | None:
    """The item a header cell names (by identifier or label, or so once a trailing "(unit)" is dropped)."""
    key = normalise(cell)
    found = keys.get(key)
    if found is None and key.endswith(")"):
        found = keys.get(_UNIT.sub("", key))
    return found


def item_keys(specs: Sequence[ItemSpec]) -> dict[str, int]:
    """Normalised identifier and label of each item → its position."""
    keys: dict[str, int] = {}
    for pos, spec in enumerate(specs):
        keys.setdefault(normalise(spec.name), pos)
        keys.setdefault(normalise(spec.label), pos)
    return keys


def cells_of(row: Sequence[Any]) -> list[str]:
    """A row's cells as text, trailing empty cells dropped."""
    cells = ["" if v is None else as_text(v) for v in row]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def propose(header: Sequence[str], keys: Mapping[str, int]) -> dict[int, int]:
    """Item position → index of the first file column whose name is the item's identifier or label."""
    found: dict[int, int] = {}
    for idx, cell in enumerate(header):
        pos = lookup(keys, cell) if cell else None
        if pos is not None and pos not in found:
            found[pos] = idx
    return found


@dataclass
class Candidate:
    """One of the first rows of a file, as a possible header: its line, cells and how many items it names."""

    line: int
    cells: list[str]
    matched: int


@dataclass
class Layout:
    """A tabular file's header (found or chosen) and, when the user chose it, which column feeds each item."""

    header_row: int
    header: list[str]
    candidates: list[Candidate]
    detected_row: int  # what detection found (shown beside the user's choice)
    positions: dict[int, int] | None = None  # item position → column index, when given by the user
    first: Chunk = field(default_factory=lambda: ([], []))  # the data rows already read
    rest: Iterator[Chunk] = field(default_factory=lambda: iter(()))

    def chunks(self, size: int = CHUNK) -> Iterator[Chunk]:
        """The data rows after the header, in the readers' chunks (of `CHUNK` rows, whatever `size` says)."""
        if self.first[1]:
            yield self.first
        yield from self.rest

    def close(self) -> None:
        """Stop reading (the reader closes its file)."""
        close = getattr(self.rest, "close", None)
        if close:
            close()


def frame(source: Source, specs: Sequence[ItemSpec], *, header_row: int | None = None,
          mapping: Mapping[str, Any] | None = None) -> Layout | None:
    """The layout of a tabular `source` (None for JSON and GeoJSON, whose records name their fields)."""
    if source.header is None:
        if mapping:
            raise Invalid("列对应关系只用于 CSV 和 XLSX 文件", "a column mapping applies to CSV and XLSX files only",
                          field="mapping")
        return None
    stream = source.chunks(CHUNK)
    lines, rows = next(stream, ([], []))
    lines = list(lines)
    keys = item_keys(specs)
    scanned = [(source.header_line, source.header)] + list(islice(zip(lines, rows, strict=True), SCAN_ROWS))
    candidates = [Candidate(line, cells, len(propose(cells, keys))) for line, cells in
                  ((line, cells_of(row)) for line, row in scanned)]
    best = max(range(len(candidates)), key=lambda i: (candidates[i].matched, -i))
    chosen = best
    if header_row is not None:
        chosen = next((i for i, c in enumerate(candidates) if c.line == header_row), -1)
        if chosen < 0:
            shown = "、".join(str(c.line) for c in candidates)
            raise Invalid(f"第 {header_row} 行不能作表头：表头应为前面的非空行之一（{shown}）",
                          f"row {header_row} cannot be the header: choose one of the first non-empty rows "
                          f"({', '.join(str(c.line) for c in candidates)})", field="header_row")
    header = candidates[chosen].cells
    if not any(header):
        raise Invalid(f"第 {candidates[chosen].line} 行是空行，不能作表头",
                      f"row {candidates[chosen].line} is empty and cannot be the header", field="header_row")
    skip = max(chosen, 0)  # candidates[k] for k ≥ 1 is rows[k - 1]: the data start after the header
    layout = Layout(header_row=candidates[chosen].line, header=header, candidates=candidates,
                    detected_row=candidates[best].line, first=(lines[skip:], rows[skip:]), rest=stream)
    if mapping is not None:
        layout.positions = resolve(mapping, header, specs)
    return layout


def resolve(mapping: Mapping[str, Any], header: Sequence[str], specs: Sequence[ItemSpec]) -> dict[int, int]:
    """The user's mapping (item identifier → file column name, 1-based column number, or None for "not
    imported") over the proposed one: item position → column index. Columns no item takes are ignored."""
    if not isinstance(mapping, Mapping):
        raise Invalid("列对应关系应为对象：{信息项标识: 文件列名}", "the mapping must be an object: {item: file column}",
                      field="mapping")
    by_name = {spec.name: pos for pos, spec in enumerate(specs)}
    positions = propose(header, item_keys(specs))
    columns = {normalise(cell): idx for idx, cell in reversed(list(enumerate(header))) if cell}
    for name, column in mapping.items():
        pos = by_name.get(name)
        if pos is None:
            raise Invalid(f"列对应关系中的信息项 {name} 不是本资源的信息项", f"mapping: {name} is not a data item of "
                          "this resource", field="mapping")
        if column is None or column == "":
            positions.pop(pos, None)
            continue
        if isinstance(column, int) and not isinstance(column, bool):
            if not 1 <= column <= len(header):
                raise Invalid(f"列对应关系：文件没有第 {column} 列", f"mapping: the file has no column {column}",
                              field="mapping")
            positions[pos] = column - 1
            continue
        idx = columns.get(normalise(column))
        if idx is None:
            raise Invalid(f"列对应关系：文件中没有「{column}」列", f"mapping: the file has no column named “{column}”",
                          field="mapping")
        positions[pos] = idx
    taken: dict[int, int] = {}
    for pos, idx in positions.items():
        if idx in taken:
            first, second = specs[taken[idx]], specs[pos]
            raise Invalid(f"列对应关系：「{header[idx]}」列同时对应了{first.label}和{second.label}",
                          f"mapping: column “{header[idx]}” feeds both {first.name} and {second.name}",
                          field="mapping")
        taken[idx] = pos
    for pos, spec in enumerate(specs):
        if spec.required and pos not in positions:
            raise Invalid(f"列对应关系：必填信息项「{spec.label}」（{spec.name}）须对应文件中的一列",
                          f"mapping: the required item {spec.name} ({spec.label}) needs a file column",
                          field="mapping")
    return positions


def preview(source: Source, specs: Sequence[ItemSpec], *, header_row: int | None = None,
            mapping: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the mapping step shows (and the preview API returns): the header row found, the first rows, each
    file column and the item it feeds, each item and its proposed column, and whether all of it matches.
    A `mapping` given is checked (Invalid when it does not fit the file) and shown instead of the proposal."""
    items = [{"name": s.name, "label": s.label, "required": s.required} for s in specs]
    out: dict[str, Any] = {"format": source.format, "encoding": source.encoding, "items": items}
    layout = frame(source, specs, header_row=header_row, mapping=mapping)
    if layout is None:  # records name their fields: nothing to choose
        out.update(header_row=None, detected_row=None, candidates=[], columns=[], mapping={}, rows=[],
                   unmatched_columns=[], missing_required=[], exact=True)
        return out
    try:
        proposed = layout.positions if layout.positions is not None else propose(layout.header, item_keys(specs))
        feeds = {idx: specs[pos].name for pos, idx in proposed.items()}
        width = len(layout.header)
        first_lines, first_rows = layout.first
        rows = [{"line": line, "cells": (cells_of(row) + [""] * width)[:width]}
                for line, row in islice(zip(first_lines, first_rows, strict=True), PREVIEW_ROWS)]
    finally:
        layout.close()
    unmatched = [cell for idx, cell in enumerate(layout.header) if cell and idx not in feeds]
    missing = [s.name for pos, s in enumerate(specs) if s.required and pos not in proposed]
    nameless = [idx + 1 for idx, cell in enumerate(layout.header) if not cell]
    out.update(
        header_row=layout.header_row, detected_row=layout.detected_row,
        candidates=[{"line": c.line, "cells": c.cells[:30], "matched": c.matched} for c in layout.candidates],
        columns=[{"index": idx + 1, "name": cell, "item": feeds.get(idx)} for idx, cell in enumerate(layout.header)],
        mapping={s.name: (layout.header[proposed[pos]] if pos in proposed else None) for pos, s in enumerate(specs)},
        rows=rows, unmatched_columns=unmatched, missing_required=missing,
        exact=layout.header_row == layout.candidates[0].line and not unmatched and not missing and not nameless)
    return out


def mapping_from_pairs(pairs: Sequence[str]) -> dict[str, str | int | None] | None:
    """`ITEM=COLUMN` pairs (the CLI's --map, the mapping page's choices) as a mapping; COLUMN is a file column's
    name or 1-based number, empty for "not imported"."""
    if not pairs:
        return None
    out: dict[str, str | int | None] = {}
    for pair in pairs:
        item, sep, column = pair.partition("=")
        if not sep or not item.strip():
            raise Invalid(f"列对应关系应为 信息项标识=文件列名，收到“{pair}”", f"a mapping is ITEM=COLUMN, got '{pair}'",
                          field="mapping")
        column = column.strip()
        out[item.strip()] = int(column) if column.isdigit() else (column or None)
    return out


def parse_mapping(text: str | None) -> dict[str, Any] | None:
    """The `mapping` form field of the API: a JSON object {item identifier: file column name, number or null}."""
    import json

    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str | int) and not isinstance(v, bool))
            for k, v in value.items()):
        raise Invalid("mapping 应为 JSON 对象：{\"信息项标识\": \"文件列名\" 或列号或 null}",
                      "mapping must be a JSON object: {\"item\": \"file column\" or its number or null}",
                      field="mapping")
    return value


def preview_file(db, *, actor, resource_id: int, path, filename: str, sheet: str | None = None,
                 header_row: int | None = None, mapping: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`preview` of an uploaded file for a resource that `actor` may import into."""
    from zhicheng.catalog import service as catalog
    from zhicheng.catalog.datasets import readers, service

    resource = service.authorize_import(db, actor=actor, resource_id=resource_id)
    specs = catalog.item_specs(db, resource.id)
    source = readers.open_source(path, filename, sheet=sheet)
    return {"resource_id": resource.id, "filename": filename, "sheet": sheet,
            **preview(source, specs, header_row=header_row, mapping=mapping)}
