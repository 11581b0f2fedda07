"""Benchmark of vector tiles over a 100,000-feature point layer, zooms 10–16: zhicheng's uncached tiles (the tile
service: layer read through policy, clip, encode with mapbox-vector-tile) against PostGIS `ST_AsMVT`/`ST_AsMVTGeom`
over the same rows in a PostGIS table of a temporary database on the local server (the floor), and zhicheng's cached
tiles per second over HTTP.

The layer: ZHICHENG_BENCH_FEATURES (100,000) seeded points inside Changsha's districts (the same generator and
instance as `bench_geo`: a published, openly readable resource in a fresh SQLite instance). The tiles: every
WebMercatorQuad tile over the layer's extent at zooms 10–12 and ZHICHENG_BENCH_TILES_PER_ZOOM (40) seeded ones per
zoom at 13–16, the same list for both sides. Uncached: ours in-process through `geo.tiles.service.layer_tile`
(use_cache=False, as the system actor), PostGIS as one `ST_AsMVT` query per tile (GIST index, geometry stored in
EPSG:3857, buffer 64, extent 4096). Cached: the same tiles over HTTP (anonymous open reader, audit on), first filled,
then read ZHICHENG_BENCH_CACHED_ROUNDS (5) times. Skips PostGIS with a printed reason when the server or the
extension is absent. Peak memory is our server's (VmHWM).
Run: `zhicheng bench tiles` or `python bench/bench_tiles.py`; the last line is the BENCH line.
"""

from __future__ import annotations

import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("ZHICHENG_OPEN_RATE_PER_MINUTE", "1000000")  # the bench's one anonymous client is not limited
from bench_geo import FEATURES, build_instance, features  # noqa: E402 - the bench folder is not a package
from bench_sharing import our_server, peak_mb  # noqa: E402

PER_ZOOM = int(os.environ.get("ZHICHENG_BENCH_TILES_PER_ZOOM", "40"))
ROUNDS = int(os.environ.get("ZHICHENG_BENCH_CACHED_ROUNDS", "5"))
PG = os.environ.get("ZHICHENG_BENCH_PG", "host=127.0.0.1 port=5432 user=postgres")


def tile_list(bounds: list[float]) -> list[tuple[int, int, int]]:
    """(z, y, x) over the extent: all at z10–12, PER_ZOOM seeded ones at z13–16."""
    from zhicheng.geo.tiles.matrix import matrix_set

    tms = matrix_set("WebMercatorQuad")
    rnd = random.Random(16)
    out = []
    for z in range(10, 17):
        n = 2 ** z

        def col(lon, n=n):
            return min(n - 1, int((lon + 180) / 360 * n))

        def row(lat, n=n):
            r = math.radians(lat)
            return min(n - 1, int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n))

        xs, ys = range(col(bounds[0]), col(bounds[2]) + 1), range(row(bounds[3]), row(bounds[1]) + 1)
        every = [(z, y, x) for y in ys for x in xs]
        out.extend(every if z <= 12 else rnd.sample(every, min(PER_ZOOM, len(every))))
    assert tms.id == "WebMercatorQuad"
    return out


def ours_uncached(data: Path, code: str, tiles) -> tuple[float, int]:
    from zhicheng.core.actor import SYSTEM
    from zhicheng.core.db import make_engine, make_sessionmaker
    from zhicheng.core.settings import Settings
    from zhicheng.geo.layers import service as layers
    from zhicheng.geo.tiles import service
    from zhicheng.policy.anchor import attach

    settings = Settings(data=data)
    engine = make_engine(settings.db_url)
    attach(engine, settings)
    size = 0
    with make_sessionmaker(engine)() as db:
        kw = {"actor": SYSTEM, "request": None, "code": layers.code_of(code), "tms_id": "WebMercatorQuad",
              "use_cache": False}
        z, y, x = tiles[0]
        service.layer_tile(db, settings, z=z, y=y, x=x, **kw)  # warm: imports, the layer's index
        start = time.perf_counter()
        for z, y, x in tiles:
            size += len(service.layer_tile(db, settings, z=z, y=y, x=x, **kw).data)
        seconds = time.perf_counter() - start
    engine.dispose()
    return seconds, size


def postgis(feats_path: Path, tiles) -> tuple[float, int] | str:
    """Seconds and bytes for the tiles by ST_AsMVT, or the reason it was skipped."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    name = f"zhicheng_bench_tiles_{os.getpid()}"
    try:
        admin = psycopg.connect(PG + " dbname=postgres", autocommit=True, connect_timeout=5)
    except psycopg.Error as err:
        return f"no PostgreSQL server at {PG}: {str(err).strip()[:120]}"
    try:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            with psycopg.connect(PG + f" dbname={name}", autocommit=True) as conn:
                try:
                    conn.execute("CREATE EXTENSION postgis")
                except psycopg.Error as err:
                    return f"PostGIS is absent: {str(err).strip()[:120]}"
                conn.execute("CREATE TABLE pts (id integer PRIMARY KEY, mc text, lx text, sl integer, rq date, "
                             "geom geometry(Point, 4490))")
                feats = orjson.loads(feats_path.read_bytes())["features"]
                with conn.cursor().copy("COPY pts (id, mc, lx, sl, rq, geom) FROM STDIN") as copy:
                    for i, f in enumerate(feats, 1):
                        lon, lat = f["geometry"]["coordinates"]
                        p = f["properties"]
                        copy.write_row((i, p["mc"], p["lx"], p["sl"], p["rq"], f"SRID=4490;POINT({lon} {lat})"))
                del feats
                conn.execute("ALTER TABLE pts ALTER COLUMN geom TYPE geometry(Point, 3857) "
                             "USING ST_Transform(geom, 3857)")
                conn.execute("CREATE INDEX ON pts USING gist (geom)")
                conn.execute("ANALYZE pts")
                sql = ("WITH b AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env), "
                       "t AS (SELECT ST_AsMVTGeom(p.geom, b.env, 4096, 64, true) AS geom, p.id, p.mc, p.lx, p.sl, "
                       "p.rq::text AS rq FROM pts p, b WHERE p.geom && ST_Expand(b.env, "
                       "(ST_XMax(b.env) - ST_XMin(b.env)) * 64 / 4096)) "
                       "SELECT ST_AsMVT(t.*, 'points', 4096, 'geom', 'id') FROM t")
                size = 0
                start = time.perf_counter()
                for z, y, x in tiles:
                    size += len(conn.execute(sql, {"z": z, "x": x, "y": y}).fetchone()[0] or b"")
                return time.perf_counter() - start, size
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
    finally:
        admin.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="zhicheng-bench-tiles-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        feats = features()
        geojson = folder / "points.geojson"
        geojson.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": feats}))
        xs = [f["geometry"]["coordinates"][0] for f in feats]
        ys = [f["geometry"]["coordinates"][1] for f in feats]
        bounds = [min(xs), min(ys), max(xs), max(ys)]
        del feats, xs, ys
        print(f"data: {FEATURES:,} points in {bounds} ({time.perf_counter() - started:.1f} s)", flush=True)
        code = build_instance(folder / "data", geojson)
        tiles = tile_list(bounds)
        print(f"tiles: {len(tiles)} over zooms 10–16", flush=True)
        ours_s, ours_bytes = ours_uncached(folder / "data", code, tiles)
        print(f"zhicheng uncached: {len(tiles)} tiles in {ours_s:.2f} s = {len(tiles) / ours_s:.1f}/s, "
              f"{ours_bytes / 1e6:.1f} MB", flush=True)
        ref = postgis(geojson, tiles)
        if isinstance(ref, str):
            print(f"PostGIS ST_AsMVT skipped: {ref}")
            ref_tps = None
        else:
            ref_tps = len(tiles) / ref[0]
            print(f"PostGIS ST_AsMVT: {len(tiles)} tiles in {ref[0]:.2f} s = {ref_tps:.1f}/s, {ref[1] / 1e6:.1f} MB",
                  flush=True)
        with our_server(folder / "data") as (base, proc), httpx.Client(timeout=600) as client:
            urls = [f"{base}/ogc/tiles/collections/{code}/tiles/WebMercatorQuad/{z}/{y}/{x}" for z, y, x in tiles]
            for url in urls:  # fill the cache
                client.get(url).raise_for_status()
            hits = 0
            start = time.perf_counter()
            for _ in range(ROUNDS):
                for url in urls:
                    r = client.get(url)
                    hits += r.headers.get("x-tile-cache") == "hit"
            cached_s = time.perf_counter() - start
            peak = peak_mb(proc.pid)
        cached_tps = ROUNDS * len(urls) / cached_s
        print(f"zhicheng cached over HTTP: {ROUNDS * len(urls)} requests ({hits} hits) in {cached_s:.2f} s = "
              f"{cached_tps:.1f}/s; our server's peak memory {peak:.0f} MB")
        ours_tps = len(tiles) / ours_s
        ratio = f"{ours_tps / ref_tps:.2f}" if ref_tps else "n/a"
        ref_text = f"{ref_tps:.1f}" if ref_tps else "skipped"
        print(f"cached: zhicheng cached_tiles_per_s={cached_tps:.1f} over HTTP")
        print(f"BENCH tiles tiles_per_s={ours_tps:.1f} st_asmvt_tiles_per_s={ref_text} ratio={ratio} "
              f"peak_mb={peak:.0f}")


if __name__ == "__main__":
    main()
