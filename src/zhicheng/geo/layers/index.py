"""The spatial index of a layer version: SQLite — `geo_<rid>_v<n>` (fid, bbox, WKB) plus an R*Tree, exact predicates
by Shapely 2 through SQL functions; PostgreSQL — PostGIS, a geometry(Geometry,4490) column with a GIST index.

A version's index is built from its dataset table (`ds_<rid>_v<n>`, the geometry item's GeoJSON text) into a staging
table, then renamed into place in the transaction that registers it (`geo_layer_index`), so a half-built index is
never read and two builders cannot both register one. Queries ask `spatial_condition` for a bound SQL condition on
the dataset table's `_row`: every other filter, the order, paging and counting stay in SQL.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
import weakref
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import shapely
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from zhicheng.catalog.items import ItemSpec, ItemType
from zhicheng.core import clock
from zhicheng.geo.layers.models import LayerIndex

log = logging.getLogger(__name__)
SRID = 4490
BATCH = 2_000
TABLE = re.compile(r"^geo_[0-9]{1,12}_v[0-9]{1,9}$")
STAGING = re.compile(r"^geo_stage_[0-9a-f]{32}$")
# CQL2 spatial operators → Shapely / PostGIS predicate names
PREDICATES = {"intersects": "ST_Intersects", "within": "ST_Within", "contains": "ST_Contains",
              "disjoint": "ST_Disjoint", "equals": "ST_Equals", "touches": "ST_Touches",
              "crosses": "ST_Crosses", "overlaps": "ST_Overlaps"}
_postgis: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_build_lock = threading.Lock()


def index_name(resource_id: int, version: int) -> str:
    """The index table of one layer version."""
    name = f"geo_{int(resource_id)}_v{int(version)}"
    if not TABLE.match(name):
        raise ValueError(f"bad index table name {name!r}")
    return name


def geometry_item(specs) -> ItemSpec | None:
    """The first geometry item of a version's specs (what makes a dataset a layer), or None."""
    return next((s for s in specs if ItemType(s.type) is ItemType.GEOMETRY), None)


# -- back ends ------------------------------------------------------------------------------------------------------

def has_postgis(engine: sa.Engine) -> bool:
    """Whether the PostgreSQL server has PostGIS in this database (created here when the server has it)."""
    if engine.dialect.name != "postgresql":
        return False
    found = _postgis.get(engine)
    if found is None:
        found = False
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
                found = True
        except (OperationalError, ProgrammingError) as exc:  # not installed on the server, or no right to create
            log.warning("PostGIS is not available: %s", exc)
        _postgis[engine] = found
    return found


def backend_of(engine: sa.Engine) -> str:
    """rtree (SQLite) | postgis."""
    if engine.dialect.name == "sqlite":
        return "rtree"
    if has_postgis(engine):
        return "postgis"
    from zhicheng.core.errors import AppError

    raise AppError("数据库未安装 PostGIS，无法建立空间索引", "PostGIS is not installed in the database: no spatial index",
                   code="postgis_missing", status=503)


@lru_cache(maxsize=64)
def _prepared(wkb: bytes):
    geom = shapely.from_wkb(wkb)
    shapely.prepare(geom)
    return geom


def _relate(op: str, wkb: bytes | None, other: bytes | None) -> int | None:
    if wkb is None or other is None:
        return None
    func = getattr(shapely, op, None)
    if op not in PREDICATES or func is None:
        return None
    return int(bool(func(shapely.from_wkb(wkb), _prepared(bytes(other)))))


def prepare_connection(conn: Connection) -> None:
    """Give a SQLite connection the exact predicate function `zc_geo_relate(op, wkb, other_wkb)` (once per
    DB-API connection)."""
    if conn.dialect.name != "sqlite":
        return
    fairy = conn.connection
    if fairy.info.get("zc_geo"):
        return
    fairy.driver_connection.create_function("zc_geo_relate", 3, _relate, deterministic=True)
    fairy.info["zc_geo"] = True


# -- building ---------------------------------------------------------------------------------------------------------

def _geometries(engine: sa.Engine, ds_table: sa.Table, item: str) -> Iterator[list[tuple[int, str]]]:
    col = ds_table.c[item]
    query = sa.select(ds_table.c["_row"], col).where(col.is_not(None)).order_by(ds_table.c["_row"])
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(query)
        for part in result.partitions(BATCH):
            yield [(int(r[0]), r[1]) for r in part]


def _create_sqlite(conn: Connection, name: str) -> None:
    conn.exec_driver_sql(f"CREATE TABLE {name} (fid INTEGER PRIMARY KEY, minx REAL, miny REAL, maxx REAL, "
                         "maxy REAL, wkb BLOB NOT NULL)")
    conn.exec_driver_sql(f"CREATE VIRTUAL TABLE {name}_rtree USING rtree(id, minx, maxx, miny, maxy)")


def _create_postgis(conn: Connection, name: str) -> None:
    conn.exec_driver_sql(f"CREATE TABLE {name} (fid bigint PRIMARY KEY, geom geometry(Geometry,{SRID}) NOT NULL)")


def _write_batch(conn: Connection, backend: str, name: str, rows: list[tuple[int, str]]) -> tuple[Any, set[str]]:
    fids = [r[0] for r in rows]
    geoms = shapely.from_geojson([r[1] for r in rows], on_invalid="ignore")
    keep = [i for i, g in enumerate(geoms) if g is not None and not shapely.is_empty(g)]
    fids = [fids[i] for i in keep]
    geoms = geoms[keep]
    if not len(fids):
        return None, set()
    bounds = shapely.bounds(geoms)
    wkbs = shapely.to_wkb(geoms)
    types = set(shapely.get_type_id(geoms).tolist())
    cursor = conn.connection.driver_connection.cursor()
    try:
        if backend == "rtree":
            cursor.executemany(f"INSERT INTO {name} VALUES (?, ?, ?, ?, ?, ?)",  # noqa: S608 - our table name
                               [(f, *map(float, b), w) for f, b, w in zip(fids, bounds, wkbs, strict=True)])
            cursor.executemany(f"INSERT INTO {name}_rtree VALUES (?, ?, ?, ?, ?)",  # noqa: S608
                               [(f, float(b[0]), float(b[2]), float(b[1]), float(b[3]))
                                for f, b in zip(fids, bounds, strict=True)])
        else:
            cursor.executemany(f"INSERT INTO {name} (fid, geom) VALUES (%s, ST_GeomFromWKB(%s, {SRID}))",  # noqa: S608
                               list(zip(fids, wkbs, strict=True)))
    finally:
        cursor.close()
    box = (float(bounds[:, 0].min()), float(bounds[:, 1].min()), float(bounds[:, 2].max()), float(bounds[:, 3].max()))
    return (box, len(fids)), {_TYPE_NAMES[t] for t in types if t in _TYPE_NAMES}


_TYPE_NAMES = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon",
               7: "GeometryCollection"}


def build(engine: sa.Engine, *, resource_id: int, version: int, ds_table: sa.Table, specs) -> LayerIndex | None:
    """Build and register the index of one layer version (None when the version has no geometry item); an index
    another builder registered first is the one kept."""
    item = geometry_item(specs)
    if item is None:
        return None
    backend = backend_of(engine)
    staging = f"geo_stage_{uuid.uuid4().hex}"
    final = index_name(resource_id, version)
    box: list[float] | None = None
    count = 0
    types: set[str] = set()
    try:
        with engine.begin() as conn:
            (_create_sqlite if backend == "rtree" else _create_postgis)(conn, staging)
        for rows in _geometries(engine, ds_table, item.name):
            with engine.begin() as conn:
                found, kinds = _write_batch(conn, backend, staging, rows)
            if found is None:
                continue
            (b, n) = found
            box = list(b) if box is None else [min(box[0], b[0]), min(box[1], b[1]), max(box[2], b[2]),
                                               max(box[3], b[3])]
            count += n
            types |= kinds
        if backend == "postgis":
            with engine.begin() as conn:
                conn.exec_driver_sql(f"CREATE INDEX {staging}_gix ON {staging} USING GIST (geom)")
                conn.exec_driver_sql(f"ANALYZE {staging}")
        with engine.begin() as conn:
            conn.execute(sa.insert(LayerIndex.__table__).values(
                resource_id=resource_id, version=version, item=item.name, table_name=final, backend=backend,
                feature_count=count, minx=box[0] if box else None, miny=box[1] if box else None,
                maxx=box[2] if box else None, maxy=box[3] if box else None, geometry_types=sorted(types),
                built_at=clock.now()))
            conn.exec_driver_sql(f"ALTER TABLE {staging} RENAME TO {final}")
            if backend == "rtree":
                conn.exec_driver_sql(f"ALTER TABLE {staging}_rtree RENAME TO {final}_rtree")
    except IntegrityError:  # another builder registered it first
        _drop(engine, staging, backend)
    except BaseException:
        _drop(engine, staging, backend)
        raise
    with engine.connect() as conn:
        return registered(conn, resource_id, version)


def _drop(engine: sa.Engine, name: str, backend: str) -> None:
    try:
        with engine.begin() as conn:
            if backend == "rtree":
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}_rtree")
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    except Exception:  # noqa: BLE001 - the builder's own error is the one to report
        log.warning("could not drop the index table %s", name, exc_info=True)


def registered(conn: Connection, resource_id: int, version: int) -> LayerIndex | None:
    """The registered index of a version, or None (a plain object, detached from any session)."""
    t = LayerIndex.__table__
    row = conn.execute(sa.select(t).where(t.c.resource_id == resource_id, t.c.version == version)).first()
    if row is None:
        return None
    return LayerIndex(**row._mapping)


def ensure(db: Session, *, resource_id: int, version: int, ds_table: sa.Table, specs) -> LayerIndex | None:
    """The version's index, built now when missing (lazily, on first use)."""
    found = registered(db.connection(), resource_id, version)
    if found is not None:
        return found
    db.commit()  # no transaction of the caller stays open while the index is built
    with _build_lock:  # one builder per process at a time; another process's is caught by the unique key
        found = registered(db.connection(), resource_id, version)
        if found is None:
            found = build(db.get_bind().engine, resource_id=resource_id, version=version, ds_table=ds_table,
                          specs=specs)
    db.commit()
    return found


def drop(engine: sa.Engine, resource_id: int, version: int) -> bool:
    """Drop a version's index and its registration (a version that disappeared); True when there was one."""
    with engine.begin() as conn:
        found = registered(conn, resource_id, version)
        if found is None:
            return False
        t = LayerIndex.__table__
        conn.execute(sa.delete(t).where(t.c.id == found.id))
        if found.backend == "rtree":
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {found.table_name}_rtree")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {found.table_name}")
    return True


def list_indexes(conn: Connection) -> list[LayerIndex]:
    """Every registered index, by resource and version."""
    t = LayerIndex.__table__
    return [LayerIndex(**r._mapping) for r in conn.execute(sa.select(t).order_by(t.c.resource_id, t.c.version))]


# -- querying ---------------------------------------------------------------------------------------------------------

def spatial_condition(ix: LayerIndex, row_col: sa.ColumnElement, op: str, geom) -> sa.ColumnElement:
    """A bound condition on the dataset table's `_row`: rows whose geometry `op`s (a key of PREDICATES) the Shapely
    geometry `geom` (in CGCS2000 lon/lat)."""
    return row_col.in_(sa.select(spatial_rows(ix, op, geom).c.fid))


def spatial_count(conn: Connection, ix: LayerIndex, op: str, geom) -> int:
    """How many rows `spatial_condition` selects, counted in the index alone (every indexed fid is a row of the
    version; rows without a geometry are in neither): a spatial-only query's count needs no join."""
    return int(conn.execute(sa.select(sa.func.count()).select_from(spatial_rows(ix, op, geom))).scalar_one())


def spatial_page(ix: LayerIndex, row_col: sa.ColumnElement, op: str, geom, *, after: int | None, limit: int,
                 offset: int) -> sa.ColumnElement:
    """`spatial_condition` for a query with no other condition and in row order, with the page taken in the index:
    rows after `after` (else past `offset`), at most `limit`. PostGIS then looks up only the page's rows by key; the
    whole condition (`_row IN (every match)`) led its planner to scan the whole table and hash-join it."""
    rows = spatial_rows(ix, op, geom)
    page = sa.select(rows.c.fid)
    if after is not None:
        page = page.where(rows.c.fid > after)
    page = page.order_by(rows.c.fid).limit(limit).offset(offset)
    if ix.backend == "postgis":  # one array, computed once (an InitPlan), then an index scan of the key
        taken = page.subquery()
        fids = sa.select(sa.func.array_agg(taken.c.fid)).scalar_subquery()
        return row_col == sa.any_(sa.cast(fids, postgresql.ARRAY(sa.BigInteger)))  # ANY(array), not ANY(rows)
    return row_col.in_(page)


def spatial_rows(ix: LayerIndex, op: str, geom) -> sa.Subquery:
    """The index's fids whose geometry `op`s `geom`, as a subquery with one column `fid`. Built of SQLAlchemy Core
    with anonymous bound values, so the compiled statement is cached per layer and shape (names of our own per call
    made every query a new statement, compiled afresh: ~1.5 ms each)."""
    if op not in PREDICATES:
        raise ValueError(op)
    if not TABLE.match(ix.table_name):
        raise ValueError(ix.table_name)
    wkb = sa.bindparam(None, shapely.to_wkb(geom), type_=sa.LargeBinary)
    name = ix.table_name
    if ix.backend == "postgis":
        g = sa.table(name, sa.column("fid", sa.BigInteger), sa.column("geom"))
        test = getattr(sa.func, PREDICATES[op])(g.c.geom, sa.func.ST_GeomFromWKB(wkb, sa.literal_column(str(SRID))))
        return sa.select(g.c.fid).where(test).subquery()
    g = sa.table(name, *(sa.column(c) for c in ("minx", "miny", "maxx", "maxy", "wkb")), sa.column("fid", sa.BigInteger))
    exact = sa.func.zc_geo_relate(sa.bindparam(None, op), g.c.wkb, wkb) == 1
    if op == "disjoint":  # the only predicate the bounding boxes cannot narrow
        return sa.select(g.c.fid).where(exact).subquery()
    r = sa.table(f"{name}_rtree", *(sa.column(c) for c in ("id", "minx", "maxx", "miny", "maxy")))
    x1, y1, x2, y2 = (sa.bindparam(None, float(v)) for v in shapely.bounds(geom))
    if op == "intersects" and geom.geom_type == "Polygon" and geom.equals(shapely.envelope(geom)):
        # a box (every bbox query): a row whose exact bounds lie inside it intersects it, no Shapely call needed (all
        # points, most small features); SQLite's OR stops at the first true term
        exact = sa.or_(sa.and_(g.c.minx >= x1, g.c.maxx <= x2, g.c.miny >= y1, g.c.maxy <= y2), exact)
    return (sa.select(g.c.fid).select_from(r.join(g, g.c.fid == r.c.id))
            .where(r.c.maxx >= x1, r.c.minx <= x2, r.c.maxy >= y1, r.c.miny <= y2, exact).subquery())
