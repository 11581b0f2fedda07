"""Executes a compiled plan over a version table in bounded memory: one SQL aggregate for what SQL judges,
GROUP BY … HAVING for duplicates, and one streamed pass (fetched in batches) for the Python value tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zhicheng.quality.compile import Plan

ROW = "_row"
BATCH = 5_000
SAMPLES = 20
# per statement: Connection.execution_options() would change the session's connection for good
STREAM = {"stream_results": True, "yield_per": BATCH}


@dataclass
class Outcome:
    """One rule's result: rows checked, rows failing, and up to SAMPLES failing (row number, value) pairs."""

    checked: int = 0
    failed: int = 0
    samples: list[tuple[int | None, Any]] = field(default_factory=list)

    def add(self, row: int | None, value: Any, limit: int) -> None:
        self.failed += 1
        if len(self.samples) < limit:
            self.samples.append((row, value))


def _shown(values: tuple) -> Any:
    return values[0] if len(values) == 1 else " / ".join("" if v is None else str(v) for v in values)


def _aggregate(conn: Connection, table: sa.Table, plan: Plan, out: dict[int, Outcome], limit: int) -> int:
    counts = [sa.func.count()] + [sa.func.count().filter(c.fails) for c in plan.sql]
    totals = conn.execute(sa.select(*counts).select_from(table)).one()
    rows = int(totals[0])
    for check, failed in zip(plan.sql, totals[1:], strict=True):
        outcome = out[check.rule_id] = Outcome(checked=rows, failed=int(failed))
        if failed:
            query = (
                sa.select(table.c[ROW], *check.shown).where(check.fails).order_by(table.c[ROW]).limit(limit)
            )
            outcome.samples = [(r[0], _shown(tuple(r[1:]))) for r in conn.execute(query)]
    return rows


def _duplicates(conn: Connection, table: sa.Table, rule_id: int, name: str, rows: int, limit: int) -> Outcome:
    """Rows whose value is shared with another row: counted by the database, only duplicated values fetched."""
    col = table.c[name]
    outcome = Outcome(checked=rows)
    query = (
        sa.select(col, sa.func.count())
        .where(col.is_not(None))
        .group_by(col)
        .having(sa.func.count() > 1)
        .order_by(col)
    )
    values: list[Any] = []
    result = conn.execute(query, execution_options=STREAM)
    for part in result.partitions():
        for value, count in part:
            outcome.failed += int(count)
            if len(values) < limit:
                values.append(value)
    if values:
        sample = sa.select(table.c[ROW], col).where(col.in_(values)).order_by(col, table.c[ROW]).limit(limit)
        outcome.samples = [(r[0], r[1]) for r in conn.execute(sample)]
    return outcome


def _batches(conn: Connection, query: Any) -> Iterator[list]:
    """Lists of row tuples, BATCH at a time: the driver's own cursor on SQLite (no per-row wrapping), a
    server-side cursor through SQLAlchemy elsewhere."""
    if conn.dialect.name == "sqlite":
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(str(query.compile(dialect=conn.dialect)))  # no parameters: names are checked
            while batch := cursor.fetchmany(BATCH):
                yield batch
        finally:
            cursor.close()
        return
    for part in conn.execute(query, execution_options=STREAM).partitions():
        yield [tuple(r) for r in part]


def _stream(conn: Connection, table: sa.Table, plan: Plan, out: dict[int, Outcome], limit: int) -> None:
    names = sorted({v.column for v in plan.values})
    index = {name: i + 1 for i, name in enumerate(names)}
    checks = [(out.setdefault(v.rule_id, Outcome()), index[v.column], v.failing) for v in plan.values]
    query = sa.select(table.c[ROW], *[table.c[n] for n in names]).order_by(table.c[ROW])
    rows = 0
    for part in _batches(conn, query):
        rows += len(part)
        columns = list(zip(*part, strict=True))
        for outcome, i, failing in checks:
            bad = failing(columns[i])
            if bad:
                outcome.failed += len(bad)
                for k in bad[: max(limit - len(outcome.samples), 0)]:
                    outcome.samples.append((part[k][0], part[k][i]))
    for outcome, _i, _failing in checks:
        outcome.checked = rows


def _sql_part(conn: Connection, table: sa.Table, plan: Plan, limit: int) -> tuple[int, dict[int, Outcome]]:
    out: dict[int, Outcome] = {}
    rows = _aggregate(conn, table, plan, out, limit)
    for rule_id, name in plan.unique:
        out[rule_id] = _duplicates(conn, table, rule_id, name, rows, limit)
    return rows, out


def execute(
    conn: Connection, table: sa.Table, plan: Plan, *, limit: int = SAMPLES, engine: Engine | None = None
) -> tuple[int, dict[int, Outcome]]:
    """(rows in the table, rule id -> Outcome) for every SQL, uniqueness and value rule of the plan.

    With an `engine`, the SQL part runs on a connection of its own in a second thread while this one streams
    the rows through the Python tests: the database works (without the GIL) while Python does."""
    out: dict[int, Outcome] = {}
    if engine is None or not plan.values:
        rows, found = _sql_part(conn, table, plan, limit)
        out.update(found)
        if plan.values:
            _stream(conn, table, plan, out, limit)
        return rows, out
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            with engine.connect() as other:
                result["value"] = _sql_part(other, table, plan, limit)
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            result["error"] = exc

    thread = threading.Thread(target=work, name="zhicheng-quality-sql", daemon=True)
    thread.start()
    try:
        _stream(conn, table, plan, out, limit)
    finally:
        thread.join()
    if "error" in result:
        raise result["error"]
    rows, found = result["value"]
    out.update(found)
    return rows, out
