"""Benchmark of OGC API - Features items over a 100,000-feature point layer: zhicheng's `/ogc/features` against
pygeoapi serving the same features, like with like, on this machine in the same run (issue #13): first our SQLite
against its SQLite (a GeoPackage through its SQLiteGPKG provider, SQLite + SpatiaLite), then our PostGIS against its
PostGIS (our PostgreSQL back end against its PostgreSQL provider) where a PostgreSQL server with PostGIS answers.

The layer: ZHICHENG_BENCH_FEATURES (100,000) seeded points inside Changsha's districts (real boundaries, bundled in
the demo), each with a name, a kind, a count and a date; imported as GeoJSON through the catalog import service into
a fresh SQLite instance (a published, openly readable resource: the anonymous client reads it, with the access check
and audit on), and written with pyogrio to a GeoPackage for pygeoapi. Both servers run as processes of their own
under uvicorn (pygeoapi's Starlette app, installed with pip into a virtual environment of its own under /tmp on first
use, from the system's Python, whose sqlite3 can load Debian's SpatiaLite `mod_spatialite`; pygeoapi would install
into our venv too, but our pyenv Python refuses loadable extensions); one httpx client reads one side, then the other:

(a) 50 random bbox pages of limit=1000 (boxes of 0.02°–0.2°, the same boxes for both sides);
(b) a full walk following `next` links with limit=1000 (pygeoapi's walk is capped at ZHICHENG_BENCH_REF_PAGES pages,
    40 by default, offset paging: its later pages only get slower, so the cap flatters it).

The PostGIS pair, after the SQLite pair's servers have stopped: a database zhicheng_bench_geo_<pid> (with PostGIS) is
created on the server of ZHICHENG_BENCH_PG and dropped at the end. Our instance there is migrated and gets the same
GeoJSON through the same catalog import (its spatial index is then PostGIS's); our server runs with
ZHICHENG_DATABASE_URL pointing at it. pygeoapi's PostgreSQL provider reads a table `points` of the same rows (fid
1…N, geometry(Point, 4326), loaded with COPY, a GIST index, ANALYZE) in the same database; its psycopg2-binary and
GeoAlchemy2 are installed with pip into pygeoapi's venv on first use. The same reads (a) and (b), same boxes, same
cap. When the server does not answer, has no PostGIS, or pygeoapi's provider cannot be imported, the pair is skipped
with the reason printed; the bench never fails for it.

Features per second count the features in the answers over the seconds from sending each request to holding its whole
body. The BENCH line gives the SQLite pair's full walk (ours vs pygeoapi's), as before, plus `ratio_postgis` (the
PostGIS pair's full-walk ratio) when that pair ran; the bbox pages and the PostGIS pair's features per second are
printed above it. Peak memory (peak_mb) is our SQLite server's (VmHWM); the PostgreSQL server's is printed. Our
servers run with ZHICHENG_OPEN_RATE_PER_MINUTE=1000000 unless it is set (the one anonymous client reads 151 pages a
side in less than a minute, past the default 120; the limiter is still consulted on every page).
Run: `zhicheng bench geo` or `python bench/bench_geo.py`.
Env: ZHICHENG_BENCH_FEATURES (100,000), ZHICHENG_BENCH_BBOX_PAGES (50), ZHICHENG_BENCH_REF_PAGES (40),
ZHICHENG_BENCH_SYSTEM_PYTHON (/usr/bin/python3, the interpreter of pygeoapi's own venv),
ZHICHENG_BENCH_PG (postgresql+psycopg://postgres@127.0.0.1:5432/postgres, the PostgreSQL server's maintenance
database, where the bench database is created and dropped), ZHICHENG_BENCH_POSTGIS (1; 0 skips the PostGIS pair).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sharing import free_port, our_server, peak_mb, running  # noqa: E402 - the bench folder is not a package

FEATURES = int(os.environ.get("ZHICHENG_BENCH_FEATURES", "100000"))
BBOX_PAGES = int(os.environ.get("ZHICHENG_BENCH_BBOX_PAGES", "50"))
REF_PAGES = int(os.environ.get("ZHICHENG_BENCH_REF_PAGES", "40"))
PAGE = 1000
PYGEOAPI_ENV = Path(tempfile.gettempdir()) / "zhicheng-bench-pygeoapi"
SYSTEM_PYTHON = os.environ.get("ZHICHENG_BENCH_SYSTEM_PYTHON", "/usr/bin/python3")
# the PostGIS pair: the server's maintenance database (the bench creates and drops zhicheng_bench_geo_<pid> there)
PG_ADMIN_URL = os.environ.get("ZHICHENG_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
POSTGIS = os.environ.get("ZHICHENG_BENCH_POSTGIS", "1") != "0"
# our servers inherit this: the bench's one anonymous client reads 151 pages a side in well under a minute, past the
# open-data limit of 120 a minute per IP and dataset (the limiter is still consulted on every page), as bench_tiles
os.environ.setdefault("ZHICHENG_OPEN_RATE_PER_MINUTE", "1000000")
ITEMS = [
    {"name": "mc", "label": "名称", "type": "string", "length": 100, "required": True},
    {"name": "lx", "label": "类型", "type": "string", "length": 20},
    {"name": "sl", "label": "数量", "type": "integer"},
    {"name": "rq", "label": "日期", "type": "date"},
    {"name": "wz", "label": "位置", "type": "geometry"},
]
KINDS = ["路灯", "消防栓", "井盖", "垃圾桶", "公交站", "监控", "充电桩", "公厕"]


def features() -> list[dict]:
    """FEATURES seeded points inside Changsha's districts, as GeoJSON features."""
    import numpy as np
    import shapely

    import zhicheng.demo

    bundled = Path(zhicheng.demo.__file__).parent / "data" / "changsha_districts.geojson"
    districts = json.loads(bundled.read_text("utf-8"))
    city = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in districts["features"]])
    shapely.prepare(city)
    minx, miny, maxx, maxy = city.bounds
    rnd = np.random.default_rng(20261207)
    xs, ys = [], []
    while len(xs) < FEATURES:
        x, y = rnd.uniform(minx, maxx, FEATURES), rnd.uniform(miny, maxy, FEATURES)
        inside = shapely.contains_xy(city, x, y)
        xs.extend(x[inside].round(6).tolist())
        ys.extend(y[inside].round(6).tolist())
    pick = random.Random(7)
    return [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [xs[i], ys[i]]},
             "properties": {"mc": f"设施{i + 1:06d}", "lx": pick.choice(KINDS), "sl": pick.randrange(1, 500),
                            "rq": f"20{pick.randrange(10, 26)}-{pick.randrange(1, 13):02d}-{pick.randrange(1, 29):02d}"}}
            for i in range(FEATURES)]


def build_instance(data: Path, geojson: Path, database_url: str | None = None) -> str:
    """A fresh instance holding the layer, published and open (SQLite in `data`, or the database at `database_url`,
    migrated here); the layer's collection id (its code)."""
    from zhicheng.accounts import service as accounts
    from zhicheng.catalog import service as catalog
    from zhicheng.catalog.datasets import service as datasets
    from zhicheng.core.actor import SYSTEM
    from zhicheng.core.db import make_engine, make_sessionmaker, migrate
    from zhicheng.core.settings import Settings
    from zhicheng.geo.layers import service as layers
    from zhicheng.policy.anchor import attach

    settings = Settings(data=data, database_url=database_url)  # None: SQLite, whatever ZHICHENG_DATABASE_URL says
    settings.ensure_data_dir()
    engine = make_engine(settings.db_url)
    migrate(engine)
    attach(engine, settings)
    with make_sessionmaker(engine)() as db:
        bureau = accounts.create_department(db, actor=SYSTEM, name="长沙市城市管理局", kind="bureau",
                                            region_code="430100")
        data_bureau = accounts.create_department(db, actor=SYSTEM, name="长沙市数据资源局", kind="bureau",
                                                 region_code="430100")
        officer = accounts.actor_for(accounts.create_user(
            db, actor=SYSTEM, username="cgj_officer", password="Zhicheng2026", display_name="城管数据员",
            department_id=bureau.id, roles=["data_officer"]))
        admin = accounts.actor_for(accounts.create_user(
            db, actor=SYSTEM, username="sjj_admin", password="Zhicheng2026", display_name="审核员",
            department_id=data_bureau.id, roles=["admin"]))
        res = catalog.create_resource(db, actor=officer, data={
            "name": "城市部件点位", "catalog_class": "theme", "subclass": "city_management",
            "summary": "基准测试用的城市部件点位（系统生成的演示数据）。", "format": "database",
            "file_formats": ["geojson"], "share_type": "unconditional", "share_method": "api",
            "open_type": "unconditional", "update_cycle": "daily", "tags": ["部件"], "spatial": True,
            "department_id": bureau.id, "items": ITEMS})
        catalog.submit(db, actor=officer, resource_id=res.id)
        res = catalog.review(db, actor=admin, resource_id=res.id, decision="publish")
        started = time.perf_counter()
        report = datasets.import_file(db, actor=officer, resource_id=res.id, path=geojson, filename="points.geojson")
        if not report.ok:
            raise SystemExit(f"import failed: {report.message_en} {report.errors[:3]}")
        print(f"  import of {FEATURES:,} features through the catalog ({engine.dialect.name}): "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        code = layers.collection_id(res.code)
        db.commit()
    engine.dispose()
    return code


def write_gpkg(path: Path, feats: list[dict]) -> None:
    """The same features (same order: fid 1…N) as a GeoPackage layer `points` in EPSG:4490, with pyogrio."""
    import geopandas as gpd
    import shapely

    frame = gpd.GeoDataFrame(
        {k: [f["properties"][k] for f in feats] for k in ("mc", "lx", "sl", "rq")},
        geometry=shapely.points([f["geometry"]["coordinates"] for f in feats]), crs="EPSG:4490")
    frame.to_file(path, layer="points", driver="GPKG", engine="pyogrio", spatial_index=True)


def pygeoapi_env() -> Path:
    """pygeoapi with uvicorn and Starlette in a virtual environment of its own (pip on first use), made from the
    system's Python (SYSTEM_PYTHON): SQLiteGPKG loads SpatiaLite (`mod_spatialite`, Debian's
    libsqlite3-mod-spatialite) into sqlite3, which a Python built without loadable extensions (pyenv's) refuses."""
    python = PYGEOAPI_ENV / "bin" / "python"
    if not (PYGEOAPI_ENV / "bin" / "pygeoapi").exists():
        print(f"  installing pygeoapi into {PYGEOAPI_ENV} …", flush=True)
        subprocess.run([SYSTEM_PYTHON, "-m", "venv", str(PYGEOAPI_ENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "pygeoapi", "starlette", "uvicorn"], check=True)
    probe = ("import sqlite3; c = sqlite3.connect(':memory:'); c.enable_load_extension(True); "
             "c.load_extension('mod_spatialite')")
    if subprocess.run([str(python), "-c", probe], capture_output=True).returncode:
        raise SystemExit(f"{python} cannot load mod_spatialite into sqlite3 (pygeoapi's SQLiteGPKG needs it): "
                         "apt-get install libsqlite3-mod-spatialite, and a Python built with loadable extensions")
    return python


def pygeoapi_config(folder: Path, provider: dict, port: int, bounds: list[float],
                    name: str = "pygeoapi") -> tuple[Path, Path]:
    """(config, OpenAPI document) of a pygeoapi serving the layer as collection `points` through `provider` (its
    provider entry: SQLiteGPKG over the GeoPackage, PostgreSQL over the PostGIS table); files `name`.yml and
    `name`-openapi.yml in `folder`."""
    import yaml

    base = f"http://127.0.0.1:{port}"
    x = "bench"
    config = {
        "server": {"bind": {"host": "127.0.0.1", "port": port}, "url": base,
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8", "language": "en-US",
                   "gzip": False, "pretty_print": False, "cors": False,
                   "limits": {"default_items": 10, "max_items": PAGE}, "limit": PAGE,
                   "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "attribution": x}},
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {"title": x, "description": x, "keywords": [x], "keywords_type": "theme",
                               "terms_of_service": "https://example.org", "url": "https://example.org"},
            "license": {"name": "CC-BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "provider": {"name": x, "url": "https://example.org"},
            "contact": {"name": x, "position": x, "address": x, "city": "长沙", "stateorprovince": "湖南",
                        "postalcode": "410000", "country": "CN", "phone": "+86", "fax": "+86",
                        "email": "bench@example.org", "url": "https://example.org", "hours": x,
                        "instructions": x, "role": "pointOfContact"}},
        "resources": {"points": {
            "type": "collection", "title": "points", "description": "points", "keywords": ["points"],
            "links": [],
            "extents": {"spatial": {"bbox": bounds, "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": [provider]}},
    }
    cfg = folder / f"{name}.yml"
    cfg.write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    oas = folder / f"{name}-openapi.yml"
    env = {**os.environ, "PYGEOAPI_CONFIG": str(cfg), "PYGEOAPI_OPENAPI": str(oas)}
    subprocess.run([str(PYGEOAPI_ENV / "bin" / "pygeoapi"), "openapi", "generate", str(cfg),
                    "--output-file", str(oas)], check=True, env=env, stdout=subprocess.DEVNULL)
    return cfg, oas


def pygeoapi_server(cfg: Path, oas: Path, port: int):
    python = pygeoapi_env()
    env = {**os.environ, "PYGEOAPI_CONFIG": str(cfg), "PYGEOAPI_OPENAPI": str(oas)}
    proc = subprocess.Popen([str(python), "-m", "uvicorn", "pygeoapi.starlette_app:APP", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning", "--no-access-log"], env=env)
    return running(proc, port, "/collections/points")


def fetch(client: httpx.Client, url: str, params: dict | None = None) -> tuple[int, float, str | None]:
    """(features, seconds to the whole body, next link) of one items page."""
    started = time.perf_counter()
    r = client.get(url, params=params)
    took = time.perf_counter() - started
    r.raise_for_status()
    body = orjson.loads(r.content)
    nxt = next((link["href"] for link in body.get("links", []) if link.get("rel") == "next"), None)
    return len(body["features"]), took, nxt


def bbox_pages(client: httpx.Client, url: str, boxes: list[tuple[float, ...]]) -> tuple[int, float]:
    got = seconds = 0.0
    for box in boxes:
        n, took, _ = fetch(client, url, {"bbox": ",".join(f"{v:.6f}" for v in box), "limit": PAGE, "f": "json"})
        got += n
        seconds += took
    return int(got), seconds


def walk(client: httpx.Client, url: str, cap: int | None = None) -> tuple[int, float, int]:
    got, seconds, pages, nxt = 0, 0.0, 0, None
    n, took, nxt = fetch(client, url, {"limit": PAGE, "f": "json"})
    got, seconds, pages = n, took, 1
    while nxt and (cap is None or pages < cap):
        n, took, nxt = fetch(client, nxt)
        got, seconds, pages = got + n, seconds + took, pages + 1
    return got, seconds, pages


# -- the PostGIS pair: our PostgreSQL back end against pygeoapi's PostgreSQL provider --------------------------------

def pg_connect(dbname: str | None = None):
    """A psycopg connection (autocommit) to the server of PG_ADMIN_URL, to its database or to `dbname`."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(PG_ADMIN_URL)
    return psycopg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username,
                           password=url.password, dbname=dbname or url.database, connect_timeout=5, autocommit=True)


def pg_url(dbname: str) -> str:
    """Our SQLAlchemy URL of `dbname` on PG_ADMIN_URL's server (the form ZHICHENG_DATABASE_URL takes)."""
    from sqlalchemy.engine import make_url

    return make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg", database=dbname).render_as_string(
        hide_password=False)


def postgis_unavailable() -> str | None:
    """None when the PostGIS pair can run, else why not: the PostgreSQL server of PG_ADMIN_URL does not answer or
    lacks PostGIS, or pygeoapi's PostgreSQL provider cannot be imported in its venv (its psycopg2 and GeoAlchemy2 are
    installed with pip on first use)."""
    if not POSTGIS:
        return "ZHICHENG_BENCH_POSTGIS=0"
    try:
        with pg_connect() as conn:
            found = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure to connect is a reason to skip
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    if not found:
        return f"the PostgreSQL server at {PG_ADMIN_URL} has no PostGIS extension available"
    python = str(PYGEOAPI_ENV / "bin" / "python")
    probe = [python, "-c", "import psycopg2, geoalchemy2, pygeoapi.provider.sql"]
    if subprocess.run(probe, capture_output=True).returncode:
        print(f"  installing pygeoapi's PostgreSQL provider dependencies into {PYGEOAPI_ENV} …", flush=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "psycopg2-binary", "GeoAlchemy2", "SQLAlchemy"],
                       capture_output=True)
        done = subprocess.run(probe, capture_output=True, text=True)
        if done.returncode:
            return f"pygeoapi's PostgreSQL provider cannot be imported: {done.stderr.strip().splitlines()[-1:]}"
    return None


@contextmanager
def bench_database() -> Iterator[str]:
    """A fresh database zhicheng_bench_geo_<pid> with PostGIS; dropped on leaving (only this one)."""
    name = f"zhicheng_bench_geo_{os.getpid()}"
    with pg_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with pg_connect(name) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        yield name
    finally:
        with pg_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"  dropped database {name}", flush=True)


def load_postgis(dbname: str, rows: list[tuple]) -> None:
    """The same features (same order: fid 1…N) as table `points` for pygeoapi: COPY, geometry(Point, 4326) (its
    default storage CRS, CRS84), a GIST index, ANALYZE."""
    started = time.perf_counter()
    with pg_connect(dbname) as conn:
        conn.execute("CREATE TABLE points (fid integer PRIMARY KEY, mc varchar(100) NOT NULL, lx varchar(20), "
                     "sl integer, rq date, geom geometry(Point, 4326) NOT NULL)")
        with conn.cursor() as cur, cur.copy("COPY points (fid, mc, lx, sl, rq, geom) FROM STDIN") as copy:
            for fid, mc, lx, sl, rq, x, y in rows:
                copy.write_row((fid, mc, lx, sl, rq, f"SRID=4326;POINT({x} {y})"))
        conn.execute("CREATE INDEX points_geom_gist ON points USING gist (geom)")
        conn.execute("ANALYZE points")
    print(f"  PostGIS table for pygeoapi ({len(rows):,} rows, COPY, GIST, ANALYZE): "
          f"{time.perf_counter() - started:.1f} s", flush=True)


@contextmanager
def our_pg_server(data: Path, database_url: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """Our app under uvicorn on PostgreSQL: bench_sharing.our_server's process, but with ZHICHENG_DATABASE_URL set
    (our_server removes it, so that its instance is the data folder's SQLite)."""
    port = free_port()
    env = {**os.environ, "ZHICHENG_DATA": str(data), "ZHICHENG_LANGUAGE": "zh-CN",
           "ZHICHENG_DATABASE_URL": database_url}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "zhicheng.web.app:create_app",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                             "--no-access-log"], env=env)
    with running(proc, port, "/api/v1/health") as base:
        yield base, proc


def measure(ours_url: str, ref_url: str, boxes: list[tuple[float, ...]]) -> dict[str, tuple]:
    """Both sides warmed, then the bbox pages and the full walk, one side after the other."""
    with httpx.Client(timeout=600) as client:
        for url in (ours_url, ref_url):  # warm both: first imports, caches, the OpenAPI document
            fetch(client, url, {"limit": 10, "f": "json"})
        ours_bbox = bbox_pages(client, ours_url, boxes)
        ref_bbox = bbox_pages(client, ref_url, boxes)
        ours_walk = walk(client, ours_url)
        ref_walk = walk(client, ref_url, cap=REF_PAGES)
    return {"ours_bbox": ours_bbox, "ref_bbox": ref_bbox, "ours_walk": ours_walk, "ref_walk": ref_walk}


def report(label: str, ref_name: str, m: dict[str, tuple]) -> tuple[float, float]:
    """Print the bbox and walk lines of one pair; (our walk features/s, the reference's)."""
    (ob, os_), (rb, rs) = m["ours_bbox"], m["ref_bbox"]
    ow, rw = m["ours_walk"], m["ref_walk"]
    print(f"{label}bbox pages ({BBOX_PAGES} of limit={PAGE}): zhicheng {ob:,} features in {os_:.2f} s "
          f"= {ob / os_:,.0f}/s; {ref_name} {rb:,} in {rs:.2f} s = {rb / rs:,.0f}/s; "
          f"ratio {ob / os_ / (rb / rs):.2f}")
    print(f"{label}full walk (limit={PAGE}): zhicheng {ow[0]:,} features, {ow[2]} pages in {ow[1]:.2f} s "
          f"= {ow[0] / ow[1]:,.0f}/s; {ref_name} {rw[0]:,} features, {rw[2]} pages (capped at {REF_PAGES}) in "
          f"{rw[1]:.2f} s = {rw[0] / rw[1]:,.0f}/s")
    return ow[0] / ow[1], rw[0] / rw[1]


def postgis_pair(folder: Path, geojson: Path, rows: list[tuple], bounds: list[float],
                 boxes: list[tuple[float, ...]]) -> float | None:
    """The PostGIS pair, after the SQLite pair: our instance on PostgreSQL (migrated, the same GeoJSON imported
    through the catalog) and pygeoapi's PostgreSQL provider over a PostGIS table of the same rows, both in one fresh
    database. The walk ratio, or None (with the reason printed) when the pair cannot run."""
    from sqlalchemy.engine import make_url

    reason = postgis_unavailable()
    if reason:
        print(f"postgis: skipped ({reason})", flush=True)
        return None
    try:
        with bench_database() as dbname:
            url = pg_url(dbname)
            print(f"postgis: database {dbname}", flush=True)
            code = build_instance(folder / "data_pg", geojson, database_url=url)
            load_postgis(dbname, rows)
            port = free_port()
            server = make_url(PG_ADMIN_URL)
            cfg, oas = pygeoapi_config(folder, {
                "type": "feature", "name": "PostgreSQL", "id_field": "fid", "table": "points", "geom_field": "geom",
                "data": {"host": server.host or "127.0.0.1", "port": server.port or 5432, "dbname": dbname,
                         "user": server.username, "password": server.password, "search_path": ["public"]}},
                port, bounds, name="pygeoapi-postgresql")
            with our_pg_server(folder / "data_pg", url) as (base, proc), pygeoapi_server(cfg, oas, port) as ref:
                m = measure(f"{base}/ogc/features/collections/{code}/items", f"{ref}/collections/points/items",
                            boxes)
                peak = peak_mb(proc.pid)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the PostGIS pair never fails the bench
        print(f"postgis: skipped (failed: {type(exc).__name__}: {' '.join(str(exc).split())[:300]})", flush=True)
        return None
    ours_fps, ref_fps = report("postgis ", "pygeoapi PostgreSQL", m)
    print(f"postgis: zhicheng {ours_fps:,.0f} features/s, pygeoapi {ref_fps:,.0f} features/s, "
          f"ratio {ours_fps / ref_fps:.2f}; our PostgreSQL server's peak memory: {peak:.0f} MB", flush=True)
    return ours_fps / ref_fps


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="zhicheng-bench-geo-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        feats = features()
        geojson = folder / "points.geojson"
        geojson.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": feats}))
        gpkg = folder / "points.gpkg"
        write_gpkg(gpkg, feats)
        xs = [f["geometry"]["coordinates"][0] for f in feats]
        ys = [f["geometry"]["coordinates"][1] for f in feats]
        bounds = [min(xs), min(ys), max(xs), max(ys)]
        rows = [(i + 1, f["properties"]["mc"], f["properties"]["lx"], f["properties"]["sl"], f["properties"]["rq"],
                 *f["geometry"]["coordinates"]) for i, f in enumerate(feats)]  # for the PostGIS table
        del feats
        print(f"data: {FEATURES:,} points in {bounds} ({time.perf_counter() - started:.1f} s)", flush=True)
        code = build_instance(folder / "data", geojson)
        pygeoapi_env()
        port = free_port()
        cfg, oas = pygeoapi_config(folder, {"type": "feature", "name": "SQLiteGPKG", "data": str(gpkg),
                                            "id_field": "fid", "table": "points"}, port, bounds)
        rnd = random.Random(50)
        boxes = []
        for _ in range(BBOX_PAGES):
            w = rnd.uniform(0.02, 0.2)
            x0, y0 = rnd.uniform(bounds[0], bounds[2] - w), rnd.uniform(bounds[1], bounds[3] - w)
            boxes.append((x0, y0, x0 + w, y0 + w))
        with our_server(folder / "data") as (base, proc), pygeoapi_server(cfg, oas, port) as ref:
            m = measure(f"{base}/ogc/features/collections/{code}/items", f"{ref}/collections/points/items", boxes)
            peak = peak_mb(proc.pid)
        ours_fps, ref_fps = report("", "pygeoapi", m)
        print(f"our server's peak memory: {peak:.0f} MB", flush=True)
        ratio_postgis = postgis_pair(folder, geojson, rows, bounds, boxes)
        extra = "" if ratio_postgis is None else f" ratio_postgis={ratio_postgis:.2f}"
        print(f"BENCH geo walk_features_per_s={ours_fps:.0f} pygeoapi_sqlitegpkg_features_per_s={ref_fps:.0f} "
              f"ratio={ours_fps / ref_fps:.2f}{extra} peak_mb={peak:.0f}")


if __name__ == "__main__":
    main()
