"""What reading one imported file may cost, whatever the file: the limits, and streams that refuse past them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from zhicheng.core.errors import Invalid

MB = 1024 * 1024
EXCEL_ROWS = 1_048_576  # rows in an Excel sheet
EXCEL_COLUMNS = 16_384  # columns in an Excel sheet (XFD)
CHUNK_BYTES = 4 * MB  # a chunk of rows ends after this much of the file, however few rows it holds


class FileError(Invalid):
    """The file as a whole cannot be read (not the format it claims, wrong encoding, broken structure, too large)."""

    def __init__(self, zh: str, en: str, *, line: int | None = None, code: str = "bad_file") -> None:
        where_zh = f"第 {line} 行：" if line else ""
        where_en = f"line {line}: " if line else ""
        super().__init__(where_zh + zh, where_en + en, code=code, field="file")
        self.line = line


def exceeded(what_zh: str, what_en: str, limit: int | str | tuple[str, str], setting: str | None = None, *,
             line: int | None = None) -> FileError:
    """The refusal of a file that breaks one limit, naming the limit (and the setting that raises it);
    `limit` is a number, or its (Chinese, English) wording."""
    shown_zh, shown_en = limit if isinstance(limit, tuple) else (f"{limit:,}",) * 2 if isinstance(limit, int) \
        else (limit, limit)
    knob = f"（设置项 ZHICHENG_{setting.upper()}）" if setting else ""
    knob_en = f" (setting ZHICHENG_{setting.upper()})" if setting else ""
    return FileError(f"文件超出限制：{what_zh}超过 {shown_zh}{knob}，未导入任何数据",
                     f"the file exceeds a limit: {what_en} over {shown_en}{knob_en}; nothing was imported",
                     line=line, code="file_limit")


@dataclass(frozen=True)
class Limits:
    """Bounds on one import, so that its memory stays flat for any input (see `Settings.import_max_*`)."""

    uncompressed_bytes: int = 2048 * MB
    ratio: int = 200
    cells_per_row: int = EXCEL_COLUMNS
    shared_strings: int = 5_000_000
    shared_strings_bytes: int = 64 * MB
    cell_chars: int = 32_767
    line_bytes: int = MB
    record_bytes: int = 4 * MB
    json_depth: int = 64

    @classmethod
    def of(cls, settings: Any = None) -> Limits:
        """The limits an instance is configured with (the process settings when none are given)."""
        if settings is None:
            from zhicheng.core.settings import get_settings

            settings = get_settings()
        return cls(uncompressed_bytes=settings.import_max_uncompressed_mb * MB, ratio=settings.import_max_ratio,
                   cells_per_row=settings.import_max_cells_per_row,
                   shared_strings=settings.import_max_shared_strings,
                   shared_strings_bytes=settings.import_max_shared_strings_mb * MB,
                   cell_chars=settings.import_max_cell_chars, line_bytes=settings.import_max_line_kb * 1024,
                   record_bytes=settings.import_max_record_mb * MB, json_depth=settings.import_max_json_depth)


# -- CSV: lines and records ------------------------------------------------------------------------------------

class BoundedLines:
    """The lines of a text stream, for `csv.reader`: a line, or a record spanning lines (quoted newlines), longer
    than the limit is refused before it is read whole. The consumer sets `record = 0` after each record."""

    __slots__ = ("text", "cap", "record", "line")

    def __init__(self, text, cap: int, line: int = 0) -> None:
        self.text, self.cap, self.record, self.line = text, cap, 0, line

    def __iter__(self) -> BoundedLines:
        return self

    def __next__(self) -> str:
        piece = self.text.readline(self.cap + 1)
        if not piece:
            raise StopIteration
        self.line += 1
        self.record += len(piece)
        if self.record > self.cap:
            raise exceeded("一行（或一条跨行记录）的字符数", "the characters in one line (or one record spanning lines)",
                           self.cap, "import_max_line_kb", line=self.line)
        return piece


def check_row(row: list[str], record_chars: int, limits: Limits, line: int) -> None:
    """Refuse a CSV record with too many cells or a cell too long (cells are only measured when they could be)."""
    if len(row) > limits.cells_per_row:
        raise exceeded("一行的单元格数", "the cells in one row", limits.cells_per_row, "import_max_cells_per_row",
                       line=line)
    if record_chars > limits.cell_chars and any(len(cell) > limits.cell_chars for cell in row):
        raise exceeded("一个单元格的字符数", "the characters in one cell", limits.cell_chars, "import_max_cell_chars",
                       line=line)


# -- JSON: records and nesting ---------------------------------------------------------------------------------

_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.S)
_STRING_REST = re.compile(rb'[^"\\]*+(?:\\.[^"\\]*+)*+"', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class JsonDepth:
    """The nesting of JSON text as it streams, strings skipped, at the speed of `re` and `bytes.translate`
    (ijson would spend time and memory quadratic in the depth on its paths before any record is checked)."""

    def __init__(self, cap: int) -> None:
        self.cap, self.depth, self.in_string, self.escaped = cap, 0, False, False

    def feed(self, data: bytes) -> None:
        pos = 0
        if self.in_string:  # finish the string the previous piece ended in
            if self.escaped:
                pos = 1
            found = _STRING_REST.match(data, pos)
            if found is None:
                tail = data[pos:]
                self.escaped = (len(tail) - len(tail.rstrip(b"\\"))) % 2 == 1
                return
            pos, self.in_string = found.end(), False
        structure = _STRING.sub(b"", data[pos:] if pos else data)
        opened = structure.find(b'"')
        if opened >= 0:  # a string runs on into the next piece
            self.in_string = True
            self.escaped = (len(data) - len(data.rstrip(b"\\"))) % 2 == 1
            structure = structure[:opened]
        brackets = structure.translate(None, _NOT_BRACKETS)
        opens = brackets.count(b"[") + brackets.count(b"{")
        if self.depth + opens <= self.cap:
            self.depth += 2 * opens - len(brackets)
            return
        depth = self.depth
        for byte in brackets:
            depth += 1 if byte in (91, 123) else -1
            if depth > self.cap:
                raise exceeded("JSON 嵌套层数", "the JSON nesting depth", self.cap - 2, "import_max_json_depth")
        self.depth = depth


class MeteredStream:
    """A binary stream for ijson that refuses to give more than `cap` bytes between two calls of `mark()`
    (one record, or one event), so that no single value is ever read whole past the limit, and JSON nested
    deeper than `depth` (plus the two levels of the records' container)."""

    SLACK = 256 * 1024  # ijson reads ahead in buffers of 64 KiB

    def __init__(self, raw, cap: int, what: tuple[str, str, str], depth: int = 64) -> None:
        self.raw, self.cap, self.since, self.what = raw, cap, 0, what
        self.nesting = JsonDepth(depth + 2)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.cap + self.SLACK
        data = self.raw.read(size)
        self.since += len(data)
        if self.since > self.cap + self.SLACK:
            zh, en, setting = self.what
            raise exceeded(zh, en, self.cap, setting)
        if data:
            self.nesting.feed(data)
        return data

    def mark(self) -> None:
        self.since = 0

    def tell(self) -> int:
        return self.raw.tell()

    def close(self) -> None:
        self.raw.close()


def check_record(value: Any, n: int, limits: Limits) -> None:
    """Refuse a JSON record nested deeper than the limit or holding a string longer than a cell may be."""
    cap, depth = limits.cell_chars, limits.json_depth
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, str):
                if len(child) > cap:
                    raise exceeded(f"第 {n} 条记录中一个值的字符数", f"record {n}: the characters in one value", cap,
                                   "import_max_cell_chars")
            elif isinstance(child, dict | list):
                if level >= depth:
                    raise exceeded(f"第 {n} 条记录的嵌套层数", f"record {n}: the nesting depth", depth,
                                   "import_max_json_depth")
                stack.append((child, level + 1))
