"""Running an assembly in bounded memory: match the sources on the key in key order (SQL ORDER BY, k-way merge),
join key-less rows by entity resolution, keep the authoritative value, record conflicts and provenance, and
write the assembled records as a new version of the base database's resource.

Three passes over each source: (1) its keys, to find the rows whose key is missing or invalid (the pool);
(2) the names, dates and addresses of the keyed rows that share a block with a pooled row, to score them;
(3) every row in key order, merged across sources. Only the pool (key-less rows) is held in memory.
"""

from __future__ import annotations

import csv
import heapq
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhicheng.basedb import matching
from zhicheng.basedb.conflicts import ConflictWriter, differs, text_of
from zhicheng.basedb.models import Provenance
from zhicheng.basedb.templates import Template
from zhicheng.catalog.datasets import rowstore
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid
from zhicheng.policy.audit import record

BATCH = 5000
MAX_POOL = 300_000  # key-less rows per source entity resolution holds in memory (about 1.5 KB each)
STREAM = {"stream_results": True, "yield_per": 5000}


@dataclass
class Source:
    """One source resource as a run reads it: its version's table and the columns it gives each field."""

    index: int
    resource_id: int
    version: int
    name: str
    department_id: int
    table: sa.Table
    key: str  # the column holding the key
    columns: list[str]  # the columns read in pass 3, in order
    pos: dict[str, int] = field(default_factory=dict)  # template field -> position in `columns`
    match: dict[str, str] = field(default_factory=dict)  # role (name/date/address) -> column
    row_count: int = 0

    def ref(self) -> dict[str, Any]:
        return {
            "resource_id": self.resource_id,
            "version": self.version,
            "name": self.name,
            "department_id": self.department_id,
            "rows": self.row_count,
        }


def open_sources(
    db: Session, *, actor: Actor, template: Template, definition: list[dict[str, Any]]
) -> list[Source]:
    """The sources of a definition, each at its newest version (read authorised by policy, and audited)."""
    from zhicheng.catalog import service as catalog

    key = template.key.name
    order = [s["resource_id"] for s in next(e for e in definition if e["field"] == key)["sources"]]
    sources = []
    for index, rid in enumerate(order):
        dv = datasets.get_version(db, actor=actor, resource_id=rid)
        specs = datasets.specs_of(dv)
        names = {s.name for s in specs}
        res = catalog.get_resource(db, rid)
        columns: list[str] = []
        pos: dict[str, int] = {}
        key_col = ""
        for entry in definition:
            for src in entry["sources"]:
                if src["resource_id"] != rid:
                    continue
                if src["item"] not in names:
                    raise Invalid(
                        f"来源资源“{res.name}”第 {dv.version} 版没有信息项 {src['item']}",
                        f"version {dv.version} of source '{res.name}' has no item {src['item']}",
                        field=f"fields.{entry['field']}",
                    )
                if src["item"] not in columns:
                    columns.append(src["item"])
                pos[entry["field"]] = columns.index(src["item"])
                if entry["field"] == key:
                    key_col = src["item"]
        match = {role: columns[pos[f]] for role, f in template.match.items() if f in pos}
        sources.append(
            Source(
                index,
                rid,
                dv.version,
                res.name,
                res.department_id,
                rowstore.build_table(dv.table_name, specs),
                key_col,
                columns,
                pos,
                match,
                dv.row_count,
            )
        )
    return sources


def _stream(conn, query) -> Iterator[tuple]:
    """The rows of a SELECT (whose only parameters are our own integers) straight from the driver (no Row objects): a server-side cursor on
    PostgreSQL, SQLite's lazy cursor otherwise."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})  # ints only
    driver = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        import uuid

        cursor = driver.cursor(name=f"bdb_{uuid.uuid4().hex[:12]}")
        cursor.itersize = STREAM["yield_per"]
    else:
        cursor = driver.cursor()
    try:
        cursor.execute(str(compiled))
        while True:
            chunk = cursor.fetchmany(STREAM["yield_per"])
            if not chunk:
                return
            yield from chunk
    finally:
        cursor.close()


def _pool_rows(conn, src: Source, valid) -> set[int]:
    """Pass 1: the rows of `src` whose key is missing or fails its check."""
    t = src.table
    out: set[int] = set()
    norm = matching.normalise_key
    for row, key in _stream(conn, sa.select(t.c["_row"], t.c[src.key])):
        if key is None or not valid(norm(key)):
            out.add(row)
    return out


def _profile_columns(src: Source) -> list:
    t = src.table
    return [t.c[src.match[r]] if r in src.match else sa.literal(None) for r in ("name", "date", "address")]


def _load_pool(conn, src: Source, rows: set[int], pool: matching.Pool, values: dict) -> None:
    """The pooled rows' profiles and full values (fetched by row number in batches)."""
    t = src.table
    wanted = sorted(rows)
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        query = sa.select(t.c["_row"], *_profile_columns(src), *[t.c[c] for c in src.columns]).where(
            t.c["_row"].in_(chunk)
        )
        for r in _stream(conn, query):
            pool.add(matching.profile(src.index, r[0], r[1], r[2], r[3]))
            values[(src.index, r[0])] = tuple(r[4:])


def _offer_keyed(conn, src: Source, pool: matching.Pool, pooled: set[int]) -> int:
    """Pass 2: score the keyed rows of `src` that share a block with a pooled row; returns rows compared."""
    t = src.table
    blocks = pool.blocks
    by_address = any(b[0] == "a" for b in blocks)
    norm_key, norm_text, norm_date = matching.normalise_key, matching.normalise_text, matching.normalise_date
    compared = 0
    query = sa.select(t.c["_row"], t.c[src.key], *_profile_columns(src))
    for row, key, name, when, address in _stream(conn, query):
        if row in pooled:
            continue
        n = norm_text(name)
        d = norm_date(when) if when is not None else ""
        if ("n", n) not in blocks and ("dn", d + n[:1]) not in blocks:
            if not by_address or address is None or ("a", norm_text(address)) not in blocks:
                continue
        a = norm_text(address) if address is not None else ""
        compared += 1
        pool.offer(matching.Profile(src.index, row, n, d, a), norm_key(key))
    return compared


def _keyed_stream(conn, src: Source, pooled: set[int]) -> Iterator[tuple]:
    """Pass 3: (key, source index, row, values) of the keyed rows in key order."""
    t = src.table
    order = sa.func.upper(sa.func.trim(t.c[src.key]))
    if conn.dialect.name == "postgresql":
        order = order.collate("C")  # byte order, as Python compares strings
    query = sa.select(t.c["_row"], t.c[src.key], *[t.c[c] for c in src.columns]).order_by(order, t.c["_row"])
    norm = matching.normalise_key
    index = src.index
    for r in _stream(conn, query):
        if r[0] in pooled:
            continue
        yield norm(r[1]), index, r[0], r[2:]


@dataclass
class Outcome:
    """What a run produced before its import: the file, the counts, the statistics."""

    path: Path
    records: int = 0
    stats: dict[str, Any] = field(default_factory=dict)


def insert_many(conn, table: sa.Table, rows: list[tuple]) -> None:
    """Append `rows` (tuples in the table's column order) in the connection's transaction: COPY on
    PostgreSQL, the driver's executemany on SQLite."""
    if not rows:
        return
    driver = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns)
        )
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    cursor = driver.cursor()
    try:
        cursor.executemany(str(table.insert().compile(dialect=conn.dialect)), rows)
    finally:
        cursor.close()


def staging(conn, table: sa.Table, run_id: int) -> sa.Table:
    """Where a run's rows wait until the import: on SQLite a temporary table, written without taking the
    database's write lock for the whole run; on PostgreSQL the table itself."""
    if conn.dialect.name != "sqlite":
        return table
    columns = [sa.Column(c.name, c.type) for c in table.columns]
    temp = sa.Table(f"bdb_{table.name}_{int(run_id)}", sa.MetaData(), *columns, prefixes=["TEMPORARY"])
    temp.create(conn)
    return temp


def unstage(conn, temp: sa.Table, table: sa.Table) -> None:
    """Copy a staged table into its real one (in the caller's transaction) and drop it."""
    if temp is table:
        return
    names = [c.name for c in temp.columns]
    conn.execute(sa.insert(table).from_select(names, sa.select(*[temp.c[n] for n in names])))
    temp.drop(conn)


class Assembler:
    """Builds the records: authoritative value first, fallbacks in order, every disagreement a conflict."""

    def __init__(
        self,
        db: Session,
        template: Template,
        definition: list[dict[str, Any]],
        sources: list[Source],
        run_id: int,
        writer,
    ) -> None:
        self.conn, self.run_id, self.writer = db.connection(), run_id, writer
        by_id = {s.resource_id: s for s in sources}
        plan = {
            e["field"]: tuple(
                (by_id[s["resource_id"]].index, by_id[s["resource_id"]].pos[e["field"]]) for s in e["sources"]
            )
            for e in definition
        }
        self.plan = [(f.name, f.key, plan.get(f.name, ())) for f in template.fields]
        self.n_sources = len(sources)
        self.conflicts = ConflictWriter(db, run_id, [s.ref() for s in sources])
        self.prov: list[tuple] = []
        self.row = 0
        self.table = staging(self.conn, Provenance.__table__, run_id)

    def emit(self, key: str, rows: dict[int, tuple[int, tuple]], method: str, score: float | None) -> None:
        """Write one record from `rows` (source index -> (row, values))."""
        self.row += 1
        out, prov = [], []
        for name, is_key, plan in self.plan:
            kept_index = -1
            kept_row = 0
            kept = None
            for index, pos in plan:
                got = rows.get(index)
                if got is None:
                    continue
                if is_key:  # the matched key, checked and normalised (an invalid one is never written)
                    if key:
                        kept_index, kept = index, key
                    break
                value = got[1][pos]
                if value is None or value == "":
                    continue
                if kept_index < 0:
                    kept_index, kept_row, kept = index, got[0], value
                elif value != kept and differs(kept, value):
                    self.conflicts.add(
                        row=self.row,
                        key=key,
                        field=name,
                        value=kept,
                        kept=(kept_index, kept_row),
                        other_value=value,
                        other=(index, got[0]),
                    )
            if kept_index < 0:
                out.append("")
                prov.append("-")
            else:
                out.append(kept if type(kept) is str else text_of(kept))
                prov.append(str(kept_index))
        self.writer.writerow(out)
        refs = ",".join(str(rows[i][0]) if i in rows else "" for i in range(self.n_sources))
        self.prov.append((self.run_id, self.row, key or None, method, score, "".join(prov), refs))
        if len(self.prov) >= BATCH:
            self.flush()

    def flush(self) -> None:
        insert_many(self.conn, self.table, self.prov)
        self.prov = []
        self.conflicts.flush()

    def publish(self) -> None:
        """Move the staged provenance and conflicts into their tables (the run's import transaction)."""
        self.flush()
        unstage(self.conn, self.table, Provenance.__table__)
        self.conflicts.publish()


def assemble(
    db: Session,
    *,
    actor: Actor,
    template: Template,
    definition: list[dict[str, Any]],
    sources: list[Source],
    run_id: int,
    threshold: float,
    workdir: Path,
) -> Outcome:
    """Match, merge and write the records of a run to a CSV file in `workdir` (provenance and conflicts into
    the session's open transaction); the caller imports the file and commits."""
    conn = db.connection()
    stats: dict[str, Any] = {"sources": len(sources), "source_rows": sum(s.row_count for s in sources)}
    pooled = _keyless_rows(conn, template, sources)
    pool, pool_values = matching.Pool(), {}
    for s in sources:
        _load_pool(conn, s, pooled[s.index], pool, pool_values)
    stats["keyless"] = len(pool)
    stats["compared"] = sum(_offer_keyed(conn, s, pool, pooled[s.index]) for s in sources) if len(pool) else 0
    matched = pool.matched(threshold)
    path = workdir / "assembled.csv"
    counts = {"by_key": 0, "by_er": 0, "single": 0, "clusters": 0, "duplicates": 0}
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([f.name for f in template.fields])
        asm = Assembler(db, template, definition, sources, run_id, writer)
        taken = _merge_keyed(conn, asm, sources, pooled, matched, pool_values, counts)
        taken.update((p.source, p.row) for ps in matched.values() for p in ps)  # matched to a vanished key
        for cluster in pool.clusters(threshold, taken):
            rows = {p.source: (p.row, pool_values[(p.source, p.row)]) for p in cluster}
            counts["clusters" if len(cluster) > 1 else "single"] += 1
            best = max(p.best for p in cluster) if len(cluster) > 1 else None
            asm.emit("", rows, "pool", round(best, 4) if best else None)
        asm.publish()
    stats.update(
        counts, records=asm.row, conflicts=asm.conflicts.count, conflicts_by_field=asm.conflicts.by_field
    )
    for s in sources:
        record(
            db,
            actor=actor,
            action="dataset.read",
            target_kind="catalog.dataset",
            target_id=s.resource_id,
            detail={"version": s.version, "rows": s.row_count, "purpose": f"basedb run {run_id}"},
        )
    return Outcome(path=path, records=asm.row, stats=stats)


def _keyless_rows(conn, template: Template, sources: list[Source]) -> dict[int, set[int]]:
    """Pass 1: per source, the rows without a valid key (entity resolution holds them in memory: a source with
    more than MAX_POOL of them is refused, naming the key field)."""
    valid = matching.key_validator(template.key.check)
    key_len = template.key.length or 64

    def check(k: str) -> bool:
        return len(k) <= key_len and valid(k)

    pooled = {s.index: _pool_rows(conn, s, check) for s in sources}
    for s in sources:
        if len(pooled[s.index]) > MAX_POOL:
            raise Invalid(
                f"来源“{s.name}”有 {len(pooled[s.index])} 行没有有效的{template.key.label}（上限 {MAX_POOL}）："
                "请检查主键信息项的映射",
                f"source '{s.name}' has {len(pooled[s.index])} rows without a valid key (at most {MAX_POOL}): "
                "check which item gives the key",
                field=f"fields.{template.key.name}",
            )
    return pooled


def _merge_keyed(
    conn, asm: Assembler, sources: list[Source], pooled: dict[int, set[int]], matched: dict[str, list],
    pool_values: dict, counts: dict[str, int],
) -> set[tuple[int, int]]:
    """Pass 3: the keyed rows of every source merged in key order, with the pooled rows matched to each key;
    one record a key. Returns the pooled rows taken."""
    streams = [_keyed_stream(conn, s, pooled[s.index]) for s in sources]
    taken: set[tuple[int, int]] = set()
    for key, group in groupby(heapq.merge(*streams), key=lambda t: t[0]):
        rows: dict[int, tuple[int, tuple]] = {}
        for _k, index, row, values in group:
            if index in rows:
                counts["duplicates"] += 1
            else:
                rows[index] = (row, values)
        method, score = "key", None
        for p in matched.pop(key, ()):
            if p.source in rows:
                counts["duplicates"] += 1
                continue
            rows[p.source] = (p.row, pool_values[(p.source, p.row)])
            taken.add((p.source, p.row))
            method, score = "er", min(p.best, score if score is not None else 1.0)
        if method == "er":
            counts["by_er"] += 1
        elif len(rows) > 1:
            counts["by_key"] += 1
        else:
            counts["single"] += 1
        asm.emit(key, rows, method, round(score, 4) if score is not None else None)
    return taken


def workdir() -> tempfile.TemporaryDirectory:
    """A temporary folder for a run's assembled file."""
    return tempfile.TemporaryDirectory(prefix="zhicheng-basedb-")
