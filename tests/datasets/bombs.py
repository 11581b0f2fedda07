"""Hostile files of the issue, built in the test: tiny on disk, huge once inflated, parsed or read whole."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from pathlib import Path

MB = 1024 * 1024
BLOCK = 4 * MB

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '</Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Target="xl/workbook.xml" '
         'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
         '</Relationships>')
_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?>'
             '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
             '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?>'
                  '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                  '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
                  'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
                  '<Relationship Id="rId2" Target="sharedStrings.xml" '
                  'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
                  '</Relationships>')
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = "</sheetData></worksheet>"
SST_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def repeated(piece: str, times: int) -> Iterable[bytes]:
    """`piece` `times` times, as blocks of about BLOCK bytes (the same bytes object again and again)."""
    raw = piece.encode()
    per = max(1, BLOCK // len(raw))
    block = raw * per
    full, rest = divmod(times, per)
    for _ in range(full):
        yield block
    if rest:
        yield raw * rest


def _stream(zf: zipfile.ZipFile, name: str, parts: Iterable[str | bytes]) -> None:
    with zf.open(name, "w", force_zip64=True) as out:
        for part in parts:
            out.write(part.encode() if isinstance(part, str) else part)


def xlsx(path: Path, sheet: Iterable[str | bytes], strings: Iterable[str | bytes] | None = None,
         extra: dict[str, Iterable[str | bytes]] | None = None) -> Path:
    """A minimal workbook whose sheet (and shared-string table) XML is streamed into the zip, deflated."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        _stream(zf, "xl/sharedStrings.xml", strings if strings is not None else [SST_HEAD, "</sst>"])
        _stream(zf, "xl/worksheets/sheet1.xml", sheet)
        for name, parts in (extra or {}).items():
            _stream(zf, name, parts)
    return path


def header_row(labels: list[str]) -> str:
    cells = "".join(f'<c t="inlineStr"><is><t>{label}</t></is></c>' for label in labels)
    return f'<row r="1">{cells}</row>'


def inline_cells_bomb(path: Path, labels: list[str], cells: int = 20_000_000) -> Path:
    """The issue's first bomb: one row of `cells` inline-string cells (some 2 MB on disk)."""
    return xlsx(path, [SHEET_HEAD, header_row(labels), '<row r="2">',
                       *repeated('<c t="inlineStr"><is><t>x</t></is></c>', cells), "</row>", SHEET_TAIL])


def shared_strings_bomb(path: Path, labels: list[str], strings: int = 20_000_000) -> Path:
    """The second: a shared-string table of `strings` strings (a few MB on disk)."""
    return xlsx(path, [SHEET_HEAD, header_row(labels), SHEET_TAIL],
                strings=[SST_HEAD, *repeated("<si><t>x</t></si>", strings), "</sst>"])


def huge_cell_bomb(path: Path, labels: list[str], size: int = 1024 * MB, *, shared: bool = False) -> Path:
    """The third: a single cell of `size` characters, inline in the sheet or in the shared-string table."""
    text = repeated("a", size)
    if shared:
        return xlsx(path, [SHEET_HEAD, header_row(labels), '<row r="2"><c t="s"><v>0</v></c></row>', SHEET_TAIL],
                    strings=[SST_HEAD, "<si><t>", *text, "</t></si></sst>"])
    return xlsx(path, [SHEET_HEAD, header_row(labels), '<row r="2"><c t="inlineStr"><is><t>', *text,
                       "</t></is></c></row>", SHEET_TAIL])


def zip_member_bomb(path: Path, labels: list[str], size: int = 1024 * MB) -> Path:
    """A part openpyxl reads whole (the styles) that inflates to `size` bytes."""
    styles = ['<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
              *repeated(" ", size), "</styleSheet>"]
    return xlsx(path, [SHEET_HEAD, header_row(labels), SHEET_TAIL], extra={"xl/styles.xml": styles})


def lying_sizes(path: Path, member: str, declared: int) -> Path:
    """Rewrite the central directory so that `member` claims to inflate to `declared` bytes only (the sizes of
    a member under 4 GiB sit in the directory entry itself, at offset 24)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = 0
    while True:
        at = data.index(b"PK\x01\x02", at)
        name_len = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + name_len] == name:
            break
        at += 4
    data[at + 24:at + 28] = declared.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


def csv_long_line(path: Path, header: list[str], size: int = 256 * MB) -> Path:
    """A CSV whose second line is one cell of `size` characters."""
    with path.open("wb") as fh:
        fh.write((",".join(header) + "\n").encode())
        for block in repeated("a", size):
            fh.write(block)
        fh.write(b"\n")
    return path


def csv_many_cells(path: Path, header: list[str], cells: int = 20_000_000) -> Path:
    """A CSV whose second line holds `cells` empty cells."""
    with path.open("wb") as fh:
        fh.write((",".join(header) + "\n").encode())
        for block in repeated(",", cells):
            fh.write(block)
        fh.write(b"\n")
    return path


def json_huge_string(path: Path, key: str, size: int = 256 * MB) -> Path:
    """A JSON array of one record whose value is a string of `size` characters."""
    with path.open("wb") as fh:
        fh.write(b'[{"' + key.encode() + b'": "')
        for block in repeated("a", size):
            fh.write(block)
        fh.write(b'"}]')
    return path


def json_deep(path: Path, key: str, depth: int = 1_000_000, *, geo: bool = False) -> Path:
    """A record nested `depth` arrays deep (as the value of `key`, or as a GeoJSON feature's geometry)."""
    inner = "[" * depth + "]" * depth
    if geo:
        doc = ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"'
               + key + '": "x"}, "geometry": {"type": "Point", "coordinates": ' + inner + "}}]}")
    else:
        doc = '[{"' + key + '": ' + inner + "}]"
    path.write_text(doc)
    return path


def json_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path
