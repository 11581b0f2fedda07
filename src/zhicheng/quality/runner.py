"""Executes a compiled plan over a version table in bounded memory: one SQL aggregate for what SQL judges,
duplicates by GROUP BY … HAVING (PostgreSQL) or a bounded hash filter over the stream (SQLite, see dupes.py),
and one streamed pass (fetched in batches) for the Python value tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zhicheng.quality.compile import CompiledChecks

ROW = "_row"
BATCH = 5_000
SAMPLES = 20
IN_CHUNK = 5_000  # bound parameters per IN list (SQLite allows 32,766)
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


def _aggregate(conn: Connection, table: sa.Table, plan: CompiledChecks, out: dict[int, Outcome], limit: int) -> int:
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


def _stream(
    conn: Connection, table: sa.Table, plan: CompiledChecks, out: dict[int, Outcome], limit: int, unique: dict[str, Any]
) -> int:
    """One pass over the columns of the value tests (and, pass 1, of the unique rules); returns the row count."""
    names = sorted({v.column for v in plan.values} | set(unique))
    index = {name: i + 1 for i, name in enumerate(names)}
    checks = [(out.setdefault(v.rule_id, Outcome()), index[v.column], v.failing) for v in plan.values]
    feeds = [(index[name], found.add) for name, found in unique.items()]
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
        for i, feed in feeds:
            feed(columns[i])
    for outcome, _i, _failing in checks:
        outcome.checked = rows
    return rows


def _exact_duplicates(
    conn: Connection, table: sa.Table, name: str, found: Any, rows: int, limit: int
) -> Outcome:
    """The database counts the candidate values of the bounded search (see dupes.py) exactly: GROUP BY over the
    rows `IN (candidates)` only; the whole column's GROUP BY … HAVING when the candidates overflowed."""
    if found.overflow:
        return _duplicates(conn, table, 0, name, rows, limit)
    col = table.c[name]
    outcome = Outcome(checked=rows)
    candidates = sorted(found.values, key=str)
    repeated: list[Any] = []
    for at in range(0, len(candidates), IN_CHUNK):
        query = (
            sa.select(col, sa.func.count())
            .where(col.in_(candidates[at : at + IN_CHUNK]))
            .group_by(col)
            .having(sa.func.count() > 1)
        )
        for value, count in conn.execute(query):
            outcome.failed += int(count)
            repeated.append(value)
    if repeated:
        values = sorted(repeated)[:limit]
        sample = sa.select(table.c[ROW], col).where(col.in_(values)).order_by(col, table.c[ROW]).limit(limit)
        outcome.samples = [(r[0], r[1]) for r in conn.execute(sample)]
    return outcome


def _sql_part(
    conn: Connection, table: sa.Table, plan: CompiledChecks, limit: int, unique: list[tuple[int, str]]
) -> tuple[int, dict[int, Outcome]]:
    out: dict[int, Outcome] = {}
    rows = _aggregate(conn, table, plan, out, limit)
    for rule_id, name in unique:
        out[rule_id] = _duplicates(conn, table, rule_id, name, rows, limit)
    return rows, out


def _bounded_unique(conn: Connection, plan: CompiledChecks) -> bool:
    """Duplicates found by hashing in Python (SQLite, whose GROUP BY sorts the whole table) or by SQL."""
    if conn.dialect.name != "sqlite" or not plan.unique:
        return False
    try:
        import numpy  # noqa: F401 - a dependency of shapely, here in every install
    except ImportError:
        return False
    return True


def execute(
    conn: Connection, table: sa.Table, plan: CompiledChecks, *, limit: int = SAMPLES, engine: Engine | None = None
) -> tuple[int, dict[int, Outcome]]:
    """(rows in the table, rule id -> Outcome) for every SQL, uniqueness and value rule of the plan.

    With an `engine`, the SQL part runs on a connection of its own in a second thread while this one streams
    the rows through the Python tests: the database works (without the GIL) while Python does."""
    out: dict[int, Outcome] = {}
    unique: dict[str, Any] = {}
    if _bounded_unique(conn, plan):
        from zhicheng.quality import dupes

        hint = conn.execute(sa.select(sa.func.max(table.c[ROW]))).scalar() or 0
        unique = {name: dupes.Candidates(hint) for _rule_id, name in plan.unique}
    sql_unique = [] if unique else plan.unique
    streaming = bool(plan.values or unique)
    if engine is None or not streaming:
        rows, found = _sql_part(conn, table, plan, limit, sql_unique)
        out.update(found)
        if streaming:
            _stream(conn, table, plan, out, limit, unique)
    else:
        result: dict[str, Any] = {}

        def work() -> None:
            try:
                with engine.connect() as other:
                    result["value"] = _sql_part(other, table, plan, limit, sql_unique)
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
                result["error"] = exc

        thread = threading.Thread(target=work, name="zhicheng-quality-sql", daemon=True)
        thread.start()
        try:
            _stream(conn, table, plan, out, limit, unique)
        finally:
            thread.join()
        if "error" in result:
            raise result["error"]
        rows, found = result["value"]
        out.update(found)
    if unique:
        out.update(_count_candidates(conn, engine, table, plan.unique, unique, rows, limit))
    return rows, out


def _count_candidates(
    conn: Connection,
    engine: Engine | None,
    table: sa.Table,
    rules: list[tuple[int, str]],
    unique: dict[str, Any],
    rows: int,
    limit: int,
) -> dict[int, Outcome]:
    """Each unique rule's exact count, the columns side by side on connections of their own when there are
    several (each is a scan the database does without the GIL)."""
    if engine is None or len(rules) < 2:
        return {
            rule_id: _exact_duplicates(conn, table, name, unique[name], rows, limit)
            for rule_id, name in rules
        }

    def count(name: str) -> Outcome:
        with engine.connect() as other:
            return _exact_duplicates(other, table, name, unique[name], rows, limit)

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="zhicheng-quality-dupes") as pool:
        futures = {rule_id: pool.submit(count, name) for rule_id, name in rules}
        return {rule_id: future.result() for rule_id, future in futures.items()}
