"""Prepared statements for the few statements that every request runs (the credential, the grant, the version,
the masking rules, the audit append, the usage counters).

SQLAlchemy spends about 25 µs per execution building its execution context around a statement it has already
compiled and cached; on a call that runs nine of them that is a fifth of the work. A `Prepared` statement is
compiled once per dialect by SQLAlchemy and run on the DB-API cursor of the caller's connection, inside the
caller's transaction, its parameters and results converted by the column types' own processors
(`TypeEngine.bind_processor` / `result_processor`, as SQLAlchemy itself does). A statement with parameters that
SQLAlchemy renders at execution (an expanding `IN` list, a literal-execute constant) is refused when first run.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement, Select


class _Plan:
    __slots__ = ("sql", "compiled", "binds", "order", "columns", "results", "row")

    def __init__(self, stmt: ClauseElement, dialect: Dialect, column_keys: list[str] | None) -> None:
        compiled = stmt.compile(dialect=dialect, column_keys=column_keys)
        if compiled.post_compile_params or compiled.literal_execute_params:
            raise ValueError("a statement with parameters rendered at execution cannot be prepared")
        self.sql = str(compiled)
        self.compiled = compiled
        binds = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in compiled.binds.items()
        }
        escaped = getattr(compiled, "escaped_bind_names", None) or {}
        self.binds = {escaped.get(name, name): proc for name, proc in binds.items() if proc is not None}
        self.order = tuple(escaped.get(n, n) for n in compiled.positiontup) if compiled.positional else None
        self.columns = list(stmt.selected_columns) if isinstance(stmt, Select) else []
        self.results: list | None = None  # per column, set from the first cursor description
        self.row = (
            namedtuple("Row", [c.key or f"c{i}" for i, c in enumerate(self.columns)], rename=True)
            if self.columns
            else None
        )


class Prepared:
    """A Core statement run straight on the caller's DB-API cursor (see the module's docstring)."""

    def __init__(self, stmt: ClauseElement, *, column_keys: list[str] | None = None) -> None:
        """`column_keys`: for an INSERT or UPDATE given its values at execution, the columns they set."""
        self.stmt = stmt
        self.column_keys = column_keys
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _Plan(self.stmt, dialect, self.column_keys)
        return plan

    def _cursor(self, conn: Connection, params: dict[str, Any] | None):
        plan = self._plan(conn.dialect)
        values = plan.compiled.construct_params(params or {})
        for name, proc in plan.binds.items():
            if name in values:
                values[name] = proc(values[name])
        args: Any = tuple(values[n] for n in plan.order) if plan.order is not None else values
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(plan.sql, args)
        except BaseException:
            cursor.close()
            raise
        return plan, cursor

    def rows(self, conn: Connection, params: dict[str, Any] | None = None) -> list:
        """Every row, as named tuples with the statement's column keys and the types' Python values."""
        plan, cursor = self._cursor(conn, params)
        try:
            raw = cursor.fetchall()
            if plan.row is None:
                return raw
            if plan.results is None:
                plan.results = [
                    col.type.dialect_impl(conn.dialect).result_processor(conn.dialect, desc[1])
                    for col, desc in zip(plan.columns, cursor.description, strict=True)
                ]
        finally:
            cursor.close()
        procs = plan.results
        if not any(procs):
            return [plan.row._make(r) for r in raw]
        return [plan.row._make([p(v) if p else v for p, v in zip(procs, r, strict=True)]) for r in raw]

    def first(self, conn: Connection, params: dict[str, Any] | None = None) -> Any:
        """The first row (or None)."""
        found = self.rows(conn, params)
        return found[0] if found else None

    def scalar(self, conn: Connection, params: dict[str, Any] | None = None) -> Any:
        """The first column of the first row (or None)."""
        row = self.first(conn, params)
        return None if row is None else row[0]

    def run(self, conn: Connection, params: dict[str, Any] | None = None) -> int:
        """Execute a statement without results to read; the number of rows it changed."""
        _plan, cursor = self._cursor(conn, params)
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    def returning(self, conn: Connection, params: dict[str, Any] | None = None) -> tuple | None:
        """Execute an INSERT/UPDATE … RETURNING of plain values (numbers, text): its first row, as returned."""
        _plan, cursor = self._cursor(conn, params)
        try:
            return cursor.fetchone()
        finally:
            cursor.close()
