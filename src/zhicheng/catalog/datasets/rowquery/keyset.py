"""The one keyset SELECT of the row APIs: a page after a key, in (sort keys, `_row`) order, bound values only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from zhicheng.catalog.datasets.rowstore import ROW_COLUMN


def keyset_after(table: sa.Table, order: Sequence[tuple[str, bool]], after: Sequence[Any]) -> sa.ColumnElement:
    """Rows after `after` (the values of the `order` keys then `_row`) in the keyset order: ascending keys put
    NULLs first, descending keys NULLs last, `_row` breaks ties; well defined for NULL keys too."""
    keys = [(table.c[name], desc) for name, desc in order] + [(table.c[ROW_COLUMN], False)]
    ors = []
    for i, (col, desc) in enumerate(keys):
        v = after[i]
        equal = [c.is_(None) if after[j] is None else c == after[j] for j, (c, _) in enumerate(keys[:i])]
        if v is None:
            beyond = sa.false() if desc else col.is_not(None)
        else:
            beyond = sa.or_(col < v, col.is_(None)) if desc else col > v
        ors.append(sa.and_(*equal, beyond))
    return sa.or_(*ors)


def select_page(
    table: sa.Table,
    columns: Sequence[str],
    where: Sequence[Any],
    order: Sequence[tuple[str, bool]],
    after: Sequence[Any] | None,
    limit: int,
) -> sa.Select:
    """SELECT `columns`, the sort keys and `_row`, filtered by `where`, after the key `after`, in keyset order,
    one page and one row more (to see whether a next page exists)."""
    sort_cols = [table.c[name] for name, _ in order]
    stmt = sa.select(*[table.c[n] for n in columns], *sort_cols, table.c[ROW_COLUMN])
    conds = list(where)
    if after is not None:
        conds.append(keyset_after(table, order, after))
    if conds:
        stmt = stmt.where(*conds)
    ordering = [
        c.desc().nulls_last() if desc else c.asc().nulls_first() for c, (_, desc) in zip(sort_cols, order, strict=True)
    ]
    return stmt.order_by(*ordering, table.c[ROW_COLUMN].asc()).limit(limit + 1)
