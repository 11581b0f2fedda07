"""Cells a spreadsheet shows and never executes: the one guard against CSV/XLSX formula injection (OWASP)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# a text cell starting with one of these is read by Excel, LibreOffice and Sheets as a formula (or as a cell
# reference / DDE call after a tab or carriage return)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: Any) -> bool:
    """Whether `value` is text that a spreadsheet would take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def safe_cell(value: Any) -> Any:
    """A CSV cell: text that looks like a formula gets OWASP's leading `'` (shown as text, never run); numbers,
    dates and other non-text values are returned unchanged, so that -3.5 in a numeric column stays a number."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    """`safe_cell` over one row."""
    return [("'" + v) if isinstance(v, str) and v.startswith(FORMULA_START) else v for v in row]


def xlsx_cell(ws: Any, value: Any) -> Any:
    """An XLSX cell for openpyxl's write-only sheet `ws`: formula-like text is stored as a text cell with Excel's
    quote prefix (what Excel itself stores when a user types a leading `'`): shown as text, never evaluated, and
    still text after the cell is edited. Other values are returned for openpyxl to type."""
    if not formula_like(value):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # text, never a formula from data
    cell.quotePrefix = True
    return cell
