"""The one CSV writer and the one JSON writer of row pages and downloads (formula-safe cells, BOM on downloads)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import repeat
from typing import Any

import orjson

from zhicheng.core.spreadsheet import safe_row

BOM = "\ufeff"  # so that Excel opens the Chinese text of a download as UTF-8
FLUSH_ROWS = 2000


def json_default(value: Any) -> Any:
    """How values orjson does not know are written: Decimal as text (a float would lose digits), else str."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def json_records(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], default: Callable[[Any], Any] = json_default
) -> bytes:
    """The rows as a JSON array of objects keyed by `columns` (one orjson call for the page)."""
    names = list(columns)
    return orjson.dumps(list(map(dict, map(zip, repeat(names), rows))), default=default)


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """A page as CSV text: the header line, then the rows, every cell formula-safe (no BOM: an API page)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(safe_row(header))
    writer.writerows(map(safe_row, rows))
    return buffer.getvalue()


def csv_chunks(
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    bom: bool = True,
    cell: Callable[[Any], Any] | None = None,
    every: int = FLUSH_ROWS,
) -> Iterator[str]:
    """A download as CSV text in chunks of `every` rows: the BOM, the header line, the rows (each value through
    `cell` when given), every cell formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        buffer.write(BOM)
    writer.writerow(safe_row(header))
    for n, row in enumerate(rows, 1):
        safe = safe_row(row)
        writer.writerow(safe if cell is None else [cell(v) for v in safe])
        if n % every == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(items: Iterable[str], *, start: str = "[", end: str = "]", every: int = FLUSH_ROWS) -> Iterator[bytes]:
    """A download as one JSON array (or `start` … `end`) of already serialised items, UTF-8 in chunks of `every`."""
    parts: list[str] = [start]
    first = True
    for item in items:
        parts.append(item if first else "," + item)
        first = False
        if len(parts) >= every:
            yield "".join(parts).encode("utf-8")
            parts = []
    parts.append(end)
    yield "".join(parts).encode("utf-8")
