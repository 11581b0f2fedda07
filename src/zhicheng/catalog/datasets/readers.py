"""Streaming readers of CSV, XLSX, JSON and GeoJSON files: each yields (line_number, row) in flat memory."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import ijson
from charset_normalizer import from_bytes

from zhicheng.catalog.datasets.limits import (
    CHUNK_BYTES,
    BoundedLines,
    FileError,
    Limits,
    MeteredStream,
    check_record,
    check_row,
)
from zhicheng.core.errors import Invalid

FORMATS = ("csv", "xlsx", "json", "geojson", "zip", "gpkg", "kml")  # zip: a zipped Shapefile (geo_readers)
CHUNK = 2_000
Chunk = tuple[Sequence[int], list]  # (line numbers, rows)
SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t"
GEOMETRY_KEY = "geometry"  # the column a GeoJSON feature's geometry arrives in
_GB = {"gb2312", "gbk", "gb18030", "hz", "cp936"}

CHUNK_CELLS = 256 * 1024  # a chunk of rows ends after this many cells, however few rows it holds
__all__ = ["FileError", "Limits"]  # FileError lives in limits, with the limits it reports

csv.field_size_limit(64 * 1024 * 1024)  # records are bounded before the csv module sees them (BoundedLines)


@dataclass
class Source:
    """An opened file: its format and encoding, the header of tabular files, and progress in bytes."""

    path: Path
    format: str
    encoding: str | None = None
    header: list[str] | None = None  # tabular formats (csv, xlsx); None when rows are dicts
    header_line: int = 1  # the line (sheet row) the header was read from
    delimiter: str | None = None
    size: int = 0
    _position: Any = field(default=None, repr=False)
    _rows: Iterator[tuple[int, Any]] | None = field(default=None, repr=False)
    _chunks: Callable[[int], Iterator[Chunk]] | None = field(default=None, repr=False)
    _consumed: Callable[[], int] | None = field(default=None, repr=False)  # bytes the reader has taken so far
    geo: Any = None  # for a layer import: what geo_readers did (source CRS, repaired rows)

    @property
    def bytes_read(self) -> int:
        """How far into the file the reader is (for progress bars); exact for CSV and JSON."""
        return self._position() if self._position else 0

    def rows(self) -> Iterator[tuple[int, Any]]:
        """(line_number, list of cells) for tabular formats, (record_number, dict) for JSON and GeoJSON."""
        if self._rows is None:
            assert self._chunks is not None
            return (pair for lines, rows in self._chunks(CHUNK) for pair in zip(lines, rows, strict=True))
        return self._rows

    def chunks(self, size: int = 2_000) -> Iterator[Chunk]:
        """The rows in chunks of up to `size`: (their line numbers, the rows)."""
        if self._chunks is not None:
            return self._chunks(size)
        return _chunked(self.rows(), size, self._consumed or self._position)


def _chunked(pairs: Iterator[tuple[int, Any]], size: int, consumed: Callable[[], int] | None) -> Iterator[Chunk]:
    """Chunks of up to `size` rows, cut short after CHUNK_BYTES of the file or CHUNK_CELLS cells (wide or long
    rows), so that one chunk's memory is bounded whatever the rows."""
    if consumed is None:
        while chunk := list(islice(pairs, size)):
            yield [line for line, _row in chunk], [row for _line, row in chunk]
        return
    lines: list[int] = []
    rows: list[Any] = []
    cells, start = 0, consumed()
    for line, row in pairs:
        lines.append(line)
        rows.append(row)
        cells += len(row)
        if len(rows) >= size or cells > CHUNK_CELLS or consumed() - start > CHUNK_BYTES:
            yield lines, rows
            lines, rows, cells, start = [], [], 0, consumed()
    if rows:
        yield lines, rows


def detect_format(filename: str) -> str:
    """The format named by a file's extension; anything else is refused."""
    suffix = Path(filename).suffix.lower().lstrip(".")
    if suffix in ("txt", "tsv"):
        suffix = "csv"
    if suffix not in FORMATS:
        raise Invalid(f"不支持的文件格式 .{suffix}：请上传 CSV、XLSX、JSON、GeoJSON、Shapefile（.zip）、GeoPackage 或 KML 文件",
                      f"unsupported file type .{suffix}: upload a CSV, XLSX, JSON, GeoJSON, zipped Shapefile, "
                      "GeoPackage or KML file", field="file", code="bad_file")
    return "shapefile" if suffix == "zip" else suffix


def open_source(path: Path, filename: str | None = None, *, sheet: str | None = None,
                limits: Limits | None = None, geo: Any = None, errors: Any = None) -> Source:
    """Open `path` for streaming; the format comes from `filename` (or the path's own name). Reading it costs
    bounded memory whatever the file: what breaks `limits` (the instance's by default) is refused as it streams.
    Geo formats, and any file with `geo` options (`geo_readers.GeoOptions`), are read as layer rows in CGCS2000;
    their bad rows go to `errors` (the import's ErrorLog)."""
    path = Path(path)
    fmt = detect_format(filename or path.name)
    size = path.stat().st_size
    limits = limits or Limits.of()
    if size == 0:
        raise FileError("文件为空", "the file is empty")
    from zhicheng.catalog.datasets import geo_readers

    if geo_readers.wants_geo(fmt, geo):
        if errors is None:
            from zhicheng.catalog.datasets.validate import ErrorLog

            errors = ErrorLog()
        return geo_readers.open_geo_source(path, filename or path.name, fmt, geo, errors, sheet=sheet,
                                           limits=limits)
    if fmt == "csv":
        return _open_csv(path, size, limits)
    if fmt == "xlsx":
        return _open_xlsx(path, size, sheet, limits)
    return _open_json(path, size, geo=fmt == "geojson", limits=limits)


# -- CSV -----------------------------------------------------------------------------------------------------

def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030 (a superset of GBK/GB2312), judged from the file's first bytes."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if b"\x00" in sample:
        raise FileError("这不是文本文件（含有二进制内容），请上传 CSV 文本", "this is not a text file (binary content)")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(sample).best()
    if best is not None and best.encoding.replace("_", "").lower() in _GB | {"big5"} | {"gb18030"}:
        return "gb18030"
    try:  # charset-normalizer may name another legacy code page for short Chinese samples
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
        return "gb18030"
    except UnicodeDecodeError:
        pass
    name = best.encoding if best is not None else "?"
    raise FileError(f"无法识别文件编码（疑似 {name}），请另存为 UTF-8 或 GBK 编码的 CSV",
                    f"cannot tell the file's encoding (looks like {name}); save it as UTF-8 or GBK CSV")


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _open_csv(path: Path, size: int, limits: Limits) -> Source:
    raw = path.open("rb")
    try:
        sample = raw.read(SAMPLE_BYTES)
        encoding = detect_encoding(sample)
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=encoding, newline="", errors="strict")
        try:
            first = next(BoundedLines(text, limits.line_bytes), "")
        except UnicodeDecodeError as exc:
            raise FileError(f"文件编码错误（按 {encoding} 无法解码）", f"bad encoding (not valid {encoding})",
                            line=1) from exc
        delimiter = _sniff_delimiter(first)
        header = next(csv.reader([first], delimiter=delimiter), [])
        header = [h.strip() for h in header]
        if not any(header):
            raise FileError("第一行应为列名（表头）", "the first line must hold the column names", line=1)
    except BaseException:
        raw.close()
        raise
    src = Source(path=path, format="csv", encoding=encoding, header=header, delimiter=delimiter, size=size,
                 _position=raw.tell)
    src._chunks = lambda size: _csv_chunks(raw, text, delimiter, encoding, size, limits)
    return src


def _csv_records(reader, feed: BoundedLines, size: int, limits: Limits, tell) -> list[list[str]]:
    """Up to `size` records (fewer past CHUNK_BYTES of the file), each checked against the limits."""
    rows: list[list[str]] = []
    cells_cap, cell_chars, start = limits.cells_per_row, limits.cell_chars, tell()
    for row in reader:
        if len(row) > cells_cap or feed.record > cell_chars:
            check_row(row, feed.record, limits, feed.line)
        feed.record = 0
        rows.append(row)
        if len(rows) >= size or tell() - start > CHUNK_BYTES:
            break
    return rows


def _csv_chunks(raw, text, delimiter: str, encoding: str, size: int, limits: Limits) -> Iterator[Chunk]:
    """Chunks of records read by the C csv reader from bounded lines; line numbers are worked out per chunk."""
    feed = BoundedLines(text, limits.line_bytes, line=1)
    reader = csv.reader(feed, delimiter=delimiter, strict=False)
    last = 1  # the physical line the previous record ended on (the header is line 1)
    try:
        while rows := _csv_records(reader, feed, size, limits, raw.tell):
            end = feed.line
            if end - last == len(rows) and all(rows):  # one line per record, no blank lines: the usual case
                yield range(last + 1, end + 1), rows
            else:
                yield _lines_of(rows, last)
            last = end
    except UnicodeDecodeError as exc:
        raise FileError(f"文件编码错误（按 {encoding} 无法解码），请检查文件是否混用了编码",
                        f"bad encoding (not valid {encoding}); the file may mix encodings",
                        line=_first_undecodable_line(raw.name, encoding)) from exc
    except csv.Error as exc:
        raise FileError(f"CSV 格式错误：{exc}", f"malformed CSV: {exc}", line=reader.line_num + 1) from exc
    finally:
        text.close()
        raw.close()


def _lines_of(rows: list[list[str]], last: int) -> Chunk:
    """Line numbers of records that may span lines (quoted newlines) or be blank; blank ones are dropped."""
    lines, kept = [], []
    for row in rows:
        start = last + 1
        last = start + sum(cell.count("\n") for cell in row)
        if row:
            lines.append(start)
            kept.append(row)
    return lines, kept


def _first_undecodable_line(name: str, encoding: str) -> int | None:
    """The line holding the first byte sequence `encoding` cannot decode (the text layer reads ahead)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    number = 1
    with open(name, "rb") as fh:
        while piece := fh.readline(SAMPLE_BYTES):  # a line read in pieces: one huge line stays out of memory
            try:
                decoder.decode(piece)
            except UnicodeDecodeError:
                return number
            number += piece.endswith(b"\n")
    return None


# -- XLSX ----------------------------------------------------------------------------------------------------

def _open_xlsx(path: Path, size: int, sheet: str | None, limits: Limits) -> Source:
    from zhicheng.catalog.datasets.xlsx_guard import open_workbook

    if not zipfile.is_zipfile(path):
        raise FileError("这不是有效的 XLSX 文件（Excel 2007 及以上）", "this is not a valid XLSX (Excel 2007+) file")
    try:
        book = open_workbook(path, limits)
    except FileError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken workbook
        raise FileError(f"无法读取 XLSX 文件：{exc}", f"cannot read the XLSX file: {exc}") from exc
    if sheet is not None and sheet not in book.sheetnames:
        book.close()
        raise Invalid(f"工作表 {sheet} 不存在；可选：{'、'.join(book.sheetnames)}",
                      f"no sheet named {sheet}; sheets: {', '.join(book.sheetnames)}", field="sheet")
    ws = book[sheet] if sheet else book.worksheets[0]
    rows_declared, columns_declared = ws.max_row, ws.max_column  # from <dimension>, within Excel's (xlsx_guard)
    ws.reset_dimensions()  # missing rows cost nothing; rows are padded to the declared width below
    it = _xlsx_values(ws.iter_rows(values_only=True))
    header: list[str] | None = None
    line = 0
    for values in it:
        line += 1
        if values and any(v not in (None, "") for v in values):
            header = [("" if v is None else str(v)).strip() for v in values]
            while header and not header[-1]:
                header.pop()
            break
    if not header:
        book.close()
        raise FileError("工作表为空：第一行应为列名（表头）", "the sheet is empty: the first row must hold the column names")
    src = Source(path=path, format="xlsx", header=header, size=size, header_line=line)
    state = {"line": line}
    src._position = lambda: min(size, size * state["line"] // max(rows_declared or 1, 1))
    src._consumed = lambda: book._archive.inflated
    src._rows = _xlsx_rows(book, it, line, state, max(len(header), columns_declared or 0))
    return src


def _xlsx_values(it: Iterator[tuple]) -> Iterator[tuple]:
    """openpyxl's rows, with what it raises for a damaged part told as a FileError."""
    try:
        yield from it
    except FileError:
        raise
    except (ValueError, IndexError, KeyError, TypeError, SyntaxError, zipfile.BadZipFile) as exc:
        raise FileError(f"XLSX 文件内容损坏：{exc}", f"the XLSX file is damaged: {exc}") from exc


def _xlsx_rows(book, it, line: int, state: dict, width: int) -> Iterator[tuple[int, tuple]]:
    """Non-empty rows, each padded to `width` (the sheet's declared width: Excel does not store empty cells)."""
    try:
        for values in it:
            line += 1
            state["line"] = line
            if any(v not in (None, "") for v in values):
                if len(values) < width:
                    values = (*values, *(None,) * (width - len(values)))
                yield line, values
    finally:
        book.close()


# -- JSON and GeoJSON ----------------------------------------------------------------------------------------

_RECORD = ("一条记录（或一个值）的字节数", "the bytes of one record (or one value)", "import_max_record_mb")


def _json_prefix(path: Path, geo: bool, limits: Limits) -> str:
    """Where the records are: a top-level array, {"rows": [...]}, or a FeatureCollection's features."""
    with path.open("rb") as fh:
        head = fh.read(SAMPLE_BYTES).lstrip(codecs.BOM_UTF8).lstrip()
        if head[:1] == b"[" and not geo:
            return "item"
        if head[:1] != b"{":
            raise FileError("不是有效的 JSON：应为对象数组或含 rows 数组的对象",
                            "not valid JSON: expected an array of objects or an object with a rows array")
        fh.seek(0)
        stream = MeteredStream(fh, limits.record_bytes, _RECORD, limits.json_depth)
        try:
            for prefix, event, value in ijson.parse(stream):
                stream.mark()
                if prefix == "" and event == "map_key" and value in ("rows", "features"):
                    return f"{value}.item"
        except ijson.JSONError as exc:
            raise FileError(f"JSON 格式错误：{exc}", f"malformed JSON: {exc}") from exc
    if geo:
        raise FileError("GeoJSON 应为含 features 的 FeatureCollection", "GeoJSON must be a FeatureCollection with features")
    raise FileError("JSON 对象中没有 rows 数组", "the JSON object has no rows array")


def _open_json(path: Path, size: int, geo: bool, limits: Limits) -> Source:
    prefix = _json_prefix(path, geo, limits)
    raw = MeteredStream(path.open("rb"), limits.record_bytes, _RECORD, limits.json_depth)
    src = Source(path=path, format="geojson" if geo or prefix == "features.item" else "json", encoding="utf-8",
                 size=size, _position=raw.tell)
    src._rows = _json_rows(raw, prefix, src.format == "geojson", limits)
    return src


def _json_rows(raw: MeteredStream, prefix: str, geo: bool, limits: Limits) -> Iterator[tuple[int, dict]]:
    """The records, each read within the record limit (a value never grows past it) and checked for nesting."""
    n = 0
    try:
        items = ijson.items(raw, prefix, use_float=False)
        while True:
            try:
                item = next(items)
            except StopIteration:
                return
            except ijson.JSONError as exc:
                raise FileError(f"JSON 格式错误（在第 {n} 条记录之后）：{exc}",
                                f"malformed JSON (after record {n}): {exc}") from exc
            except UnicodeDecodeError as exc:
                raise FileError("JSON 文件必须是 UTF-8 编码", "a JSON file must be UTF-8 encoded") from exc
            n += 1
            raw.mark()
            if isinstance(item, dict | list):
                check_record(item, n, limits)
            if geo:
                yield n, _feature_row(n, item)
            elif isinstance(item, dict):
                yield n, item
            else:
                raise FileError(f"第 {n} 条记录不是对象", f"record {n} is not an object")
    finally:
        raw.close()


def _feature_row(n: int, feature: Any) -> dict:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise FileError(f"第 {n} 个要素不是 GeoJSON Feature", f"feature {n} is not a GeoJSON Feature")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise FileError(f"第 {n} 个要素的 properties 不是对象", f"feature {n}: properties is not an object")
    row = dict(props)
    row[GEOMETRY_KEY] = feature.get("geometry")
    return row

