"""XLSX read in bounded memory: the zip checked before anything inflates, every XML part checked as it streams
(before openpyxl's parser sees a byte), and the shared-string table held as one buffer, not millions of strings."""

from __future__ import annotations

import pyexpat
import re
import struct
import zipfile
import zlib
from array import array
from pathlib import Path

from openpyxl.reader.excel import ExcelReader
from openpyxl.xml.constants import SHARED_STRINGS

from zhicheng.catalog.datasets.limits import EXCEL_COLUMNS, EXCEL_ROWS, MB, FileError, Limits, exceeded

MEMBERS_MAX = 10_000  # parts in one workbook (Excel writes a few dozen)
DIRECTORY_MAX = 4 * MB  # the zip's central directory, which zipfile reads whole
WHOLE_PART_MAX = 8 * MB  # a part openpyxl reads whole (workbook, styles, relationships)
RATIO_FROM = 16 * MB  # parts smaller than this inflate to little, whatever their ratio
ELEMENTS_OUTSIDE_ROWS = 200_000  # XML elements openpyxl keeps (styles, merged cells, links...), per part
DEPTH_MAX = 64
READ = 64 * 1024
_REF = re.compile(r"([A-Za-z]*)(\d*)$")


def _column(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def check_directory(path: Path) -> None:
    """Refuse a zip whose central directory is too large to list (zipfile would hold an object per entry)."""
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - (65_536 + 22)))
        tail = fh.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return  # not a zip: zipfile says so
        entries, directory = struct.unpack("<HI", tail[at + 10:at + 16])
        locator = at - 20
        if (entries == 0xFFFF or directory == 0xFFFFFFFF) and locator >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":
            (offset,) = struct.unpack("<Q", tail[locator + 8:locator + 16])
            fh.seek(offset)
            record = fh.read(56)
            if record[:4] == b"PK\x06\x06":
                entries, directory = struct.unpack("<QQ", record[32:48])
    if entries > MEMBERS_MAX or directory > DIRECTORY_MAX:
        raise exceeded("压缩包内的文件数", "the parts in the zip", MEMBERS_MAX)


class BoundedZip(zipfile.ZipFile):
    """A zip archive whose parts are checked against the limits by their declared sizes before any of them
    inflates, and by the bytes they actually give while they stream."""

    def __init__(self, path: Path, limits: Limits) -> None:
        check_directory(path)
        super().__init__(path)
        self.limits = limits
        self.inflated = 0  # bytes given by all parts so far
        try:
            total = 0
            for info in self.infolist():
                total += info.file_size
                if total > limits.uncompressed_bytes:
                    raise exceeded("解压后的大小", "the uncompressed size", f"{limits.uncompressed_bytes // MB:,} MB",
                                   "import_max_uncompressed_mb")
                if info.file_size > RATIO_FROM and info.file_size > limits.ratio * max(info.compress_size, 1):
                    raise exceeded(f"压缩比（{info.filename}）", f"the compression ratio ({info.filename})",
                                   limits.ratio, "import_max_ratio")
        except BaseException:
            self.close()
            raise

    def open(self, name, mode="r", pwd=None, **kwargs):
        """A part as a stream checked as it inflates (and, for XML, as it parses); writing is refused."""
        if mode != "r":
            raise ValueError("read only")
        stream = super().open(name, mode, pwd, **kwargs)
        filename = name.filename if isinstance(name, zipfile.ZipInfo) else name
        guard = SheetGuard(filename, self.limits) if filename.endswith((".xml", ".rels")) else None
        return Part(stream, filename, self, guard)

    def stream(self, name: str) -> Part:
        """A part as a stream checked as it inflates, for a caller that checks its XML itself."""
        return Part(super().open(name), name, self, None)


class Part:
    """One part of the zip as it inflates: never more than the limit, and a part read whole stays small."""

    def __init__(self, stream, name: str, archive: BoundedZip, guard: SheetGuard | None) -> None:
        self.stream, self.name, self.archive, self.guard = stream, name, archive, guard
        self.limits = archive.limits
        self.inflated = 0

    def read(self, size: int | None = -1) -> bytes:
        whole = size is None or size < 0  # openpyxl parses a part read whole as one tree
        try:
            data = self.stream.read(WHOLE_PART_MAX + 1 if whole else size)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise FileError(f"XLSX 文件内容损坏（{self.name}：{exc}）",
                            f"the XLSX file is damaged ({self.name}: {exc})") from exc
        if whole and len(data) > WHOLE_PART_MAX:
            raise exceeded(f"XLSX 部件 {self.name} 的大小", f"the size of the XLSX part {self.name}",
                           f"{WHOLE_PART_MAX // MB} MB")
        self.inflated += len(data)
        self.archive.inflated += len(data)
        if self.inflated > self.limits.uncompressed_bytes:
            raise exceeded("解压后的大小", "the uncompressed size", f"{self.limits.uncompressed_bytes // MB:,} MB",
                           "import_max_uncompressed_mb")
        if self.guard is not None:
            self.guard.feed(data)
            if whole:
                self.guard.feed(b"")
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> Part:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Expat:
    """An expat parser fed as bytes stream past; refuses a DTD, deep nesting, and any stretch of bytes without an
    event longer than `gap` (a huge tag, attribute, comment or text is refused before it is held whole)."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name, self.limits = name, limits
        self.parser = p = pyexpat.ParserCreate()
        p.StartElementHandler = self.start
        p.EndElementHandler = self.end
        p.StartDoctypeDeclHandler = self.doctype
        self.gap = limits.cell_chars * 4 + 4096
        self.fed = self.last = self.depth = 0
        self.done = False

    def feed(self, data: bytes) -> None:
        if self.done:
            return
        self.done = not data
        try:
            self.parser.Parse(data, self.done)
        except pyexpat.ExpatError as exc:
            raise FileError(f"XLSX 文件内容损坏（{self.name}：{exc}）",
                            f"the XLSX file is damaged ({self.name}: {exc})") from exc
        self.fed += len(data)
        if self.fed - self.last > self.gap:
            self.too_long()

    def event(self) -> int:
        index = self.parser.CurrentByteIndex
        if index - self.last > self.gap:
            self.too_long()
        self.last = index
        return index

    def too_long(self):
        raise exceeded(f"一个单元格或 XML 标记（{self.name}）的长度", f"the length of one cell or XML tag ({self.name})",
                       (f"{self.gap:,} 字节", f"{self.gap:,} bytes"), "import_max_cell_chars")

    def doctype(self, *_args) -> None:
        raise FileError(f"XLSX 部件 {self.name} 含有 DTD，不予读取", f"the XLSX part {self.name} holds a DTD; refused")

    def start(self, name: str, attrs: dict) -> None:
        self.event()
        self.depth += 1
        if self.depth > DEPTH_MAX:
            raise exceeded(f"XML 嵌套层数（{self.name}）", f"the XML nesting ({self.name})", DEPTH_MAX)

    def end(self, name: str) -> None:
        self.event()
        self.depth -= 1


class SheetGuard(_Expat):
    """The checks on a worksheet (and on any XML part): row and column numbers within Excel's, cells per row,
    the XML of one row, and the elements kept outside rows."""

    def __init__(self, name: str, limits: Limits) -> None:
        super().__init__(name, limits)
        self.row_depth = 0  # the depth of the open <row>, 0 outside rows
        self.row_start = self.row = self.cells = self.outside = 0

    def start(self, name: str, attrs: dict) -> None:
        index = self.parser.CurrentByteIndex  # self.event(), inline: this runs for every element of a sheet
        if index - self.last > self.gap:
            self.too_long()
        self.last = index
        depth = self.depth = self.depth + 1
        if depth > DEPTH_MAX:
            raise exceeded(f"XML 嵌套层数（{self.name}）", f"the XML nesting ({self.name})", DEPTH_MAX)
        if self.row_depth:
            if depth == self.row_depth + 1:
                self.cells += 1
                if self.cells > self.limits.cells_per_row:
                    raise exceeded("一行的单元格数", "the cells in one row", self.limits.cells_per_row,
                                   "import_max_cells_per_row", line=self.row)
                ref = attrs.get("r")
                if ref and len(ref.rstrip("0123456789")) > 2 and _column(ref.rstrip("0123456789")) > EXCEL_COLUMNS:
                    raise exceeded("列号", "the column number", EXCEL_COLUMNS, line=self.row)
            if index - self.row_start > self.limits.line_bytes:
                self.row_too_long()
            return
        local = name.rpartition(":")[2]
        if local == "row":
            self.row_depth, self.row_start, self.cells = depth, index, 0
            number = attrs.get("r")
            self.row = _number(number) if number else self.row + 1
            if self.row > EXCEL_ROWS:
                raise exceeded("行号", "the row number", EXCEL_ROWS)
            return
        self.outside += 1
        if self.outside > ELEMENTS_OUTSIDE_ROWS:
            raise exceeded(f"行以外的 XML 元素数（{self.name}）", f"the XML elements outside rows ({self.name})",
                           ELEMENTS_OUTSIDE_ROWS)
        if local == "dimension":
            self.dimension(attrs.get("ref") or "")

    def end(self, name: str) -> None:
        index = self.parser.CurrentByteIndex
        if index - self.last > self.gap:
            self.too_long()
        self.last = index
        if self.depth == self.row_depth:
            if index - self.row_start > self.limits.line_bytes:
                self.row_too_long()
            self.row_depth = 0
        self.depth -= 1

    def feed(self, data: bytes) -> None:
        super().feed(data)
        if self.row_depth and self.fed - self.row_start > self.limits.line_bytes:
            self.row_too_long()

    def row_too_long(self):
        cap = self.limits.line_bytes
        raise exceeded("一行的 XML 大小", "the XML size of one row", (f"{cap:,} 字节", f"{cap:,} bytes"),
                       "import_max_line_kb", line=self.row)

    def dimension(self, ref: str) -> None:
        """openpyxl pads rows to the dimension it declares: a declared size past Excel's is refused."""
        match = _REF.match(ref.rpartition(":")[2].replace("$", ""))
        if match and ((match[1] and _column(match[1]) > EXCEL_COLUMNS) or (match[2] and int(match[2]) > EXCEL_ROWS)):
            raise exceeded("工作表声明的范围", "the sheet's declared range", "XFD1048576")


def _number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        try:
            return int(float(text))
        except (ValueError, OverflowError):
            return EXCEL_ROWS + 1


class StringTable:
    """The shared strings of a workbook as one UTF-8 buffer and the end offset of each (a Python string each
    would cost some 60 bytes more per string); openpyxl looks them up by index."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.data = bytearray()
        self.ends = array("I" if limits.shared_strings_bytes < 2**32 else "Q")

    def append(self, text: str) -> None:
        self.data += text.encode("utf-8")
        self.ends.append(len(self.data))
        if len(self.ends) > self.limits.shared_strings:
            raise exceeded("共享字符串的个数", "the number of shared strings", self.limits.shared_strings,
                           "import_max_shared_strings")
        if len(self.data) > self.limits.shared_strings_bytes:
            raise exceeded("共享字符串的总大小", "the total size of the shared strings",
                           f"{self.limits.shared_strings_bytes // MB:,} MB", "import_max_shared_strings_mb")

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, index: int) -> str:
        if index < 0:
            raise IndexError(index)
        start = self.ends[index - 1] if index else 0
        return self.data[start:self.ends[index]].decode("utf-8")


class StringTableReader(_Expat):
    """Reads xl/sharedStrings.xml into a `StringTable` as it streams: the text of each <si> (its <t>, and the <t>
    of its rich-text runs, not the phonetic ones), as openpyxl would read it."""

    def __init__(self, name: str, limits: Limits) -> None:
        super().__init__(name, limits)
        self.table = StringTable(limits)
        self.parser.CharacterDataHandler = self.text
        self.pieces: list[str] = []
        self.chars = 0
        self.in_si = self.in_t = self.phonetic = False

    def start(self, name: str, attrs: dict) -> None:
        super().start(name, attrs)
        local = name.rpartition(":")[2]
        if local == "si":
            self.in_si, self.pieces, self.chars = True, [], 0
        elif local == "t":
            self.in_t = self.in_si and not self.phonetic
        elif local == "rPh":
            self.phonetic = True

    def end(self, name: str) -> None:
        super().end(name)
        local = name.rpartition(":")[2]
        if local == "t":
            self.in_t = False
        elif local == "rPh":
            self.phonetic = False
        elif local == "si":
            self.in_si = False
            self.table.append("".join(self.pieces).replace("x005F_", ""))

    def text(self, data: str) -> None:
        self.last = self.parser.CurrentByteIndex
        if self.in_t:
            self.chars += len(data)
            if self.chars > self.limits.cell_chars:
                raise exceeded(f"第 {len(self.table) + 1} 个共享字符串的字符数",
                               f"the characters of shared string {len(self.table) + 1}", self.limits.cell_chars,
                               "import_max_cell_chars")
            self.pieces.append(data)


def read_string_table(part: Part, name: str, limits: Limits) -> StringTable:
    reader = StringTableReader(name, limits)
    while data := part.read(READ):
        reader.feed(data)
    reader.feed(b"")
    return reader.table


class _BoundedExcelReader(ExcelReader):
    """openpyxl's reader over a `BoundedZip`, with the shared strings read into a `StringTable`."""

    def __init__(self, path: Path, limits: Limits) -> None:
        check_directory(path)
        super().__init__(path, read_only=True, data_only=True)
        self.archive.close()
        self.archive = BoundedZip(path, limits)
        self.valid_files = self.archive.namelist()
        self.limits = limits

    def read_strings(self) -> None:
        found = self.package.find(SHARED_STRINGS)
        if found is not None:
            name = found.PartName[1:]
            with self.archive.stream(name) as part:
                self.shared_strings = read_string_table(part, name, self.limits)


def open_workbook(path: Path, limits: Limits):
    """The workbook at `path`, read only, its values (not formulas), every part bounded by `limits`."""
    reader = _BoundedExcelReader(path, limits)
    try:
        reader.read()
    except BaseException:
        reader.archive.close()
        raise
    return reader.wb
