"""Benchmark of the open-data machine APIs through a real uvicorn server, on a fresh SQLite instance:

1. CKAN `package_search` over 10,000 published datasets (ZHICHENG_BENCH_DATASETS; ~75 % 无条件开放, 15 %
   有条件开放, 10 % 不予开放, registered and published through the catalog service): Chinese queries, facet
   filters and facet counts, latency percentiles p50/p95/p99;
2. CKAN `datastore_search` rows per second walking a 1,000,000-row hourly air-quality table (ZHICHENG_BENCH_ROWS;
   a typical open dataset: 11 columns, no personal ones) in pages of 1,000 (offset paging as CKAN clients do),
   with access check, audit and the usage event on, the pages read from the open copy the server builds after
   an import (`opendata.open_copy`; its build is timed and printed); against Datasette serving the same SQLite table with
   `_size=1000` and `_next` (set up as bench_sharing does). Both servers run at once and are read in turn
   (bench_sharing's `interleaved`), so the machine's changing load falls on both alike. This gives the BENCH line.
3. The same on bench_sharing's people table (ZHICHENG_BENCH_PEOPLE_ROWS, 200,000 by default), 无条件开放 here
   so that 4 of its 7 columns (citizen ID, name, mobile, address) are masked on every row: the worst case.

The portal's per-client rate limit is switched off in the benchmark server (it would otherwise, rightly, stop
a client reading a million rows in a minute); its check still runs on every call.
Run: `zhicheng bench opendata` or `python bench/bench_opendata.py`; the last line is the BENCH line.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sharing import (  # noqa: E402 - the bench folder is not a package
    ITEMS,
    PAGE,
    datasette_server,
    datasette_walk,
    interleaved,
    our_server,
    pages,
    peak_mb,
    write_people,
)

THEMES = [
    "environment",
    "transport",
    "public_service",
    "health",
    "education",
    "economy",
    "urban_rural",
    "city_management",
    "employment",
    "civil_affairs",
    "emergency",
    "community",
]
TOPICS = [
    "空气质量",
    "公交线路",
    "停车场",
    "医疗机构",
    "学校名录",
    "企业登记",
    "建设工程",
    "垃圾分类",
    "就业岗位",
    "养老机构",
    "应急避难场所",
    "社区服务",
    "水质监测",
    "路灯设施",
    "公共厕所",
    "体育场馆",
    "图书馆",
    "充电桩",
]
PLACES = ["长沙市", "芙蓉区", "天心区", "岳麓区", "开福区", "雨花区", "望城区", "长沙县", "浏阳市", "宁乡市"]
KINDS = ["统计", "名录", "监测数据", "分布", "年度报告", "实时数据", "信息"]
QUERIES = [
    {"q": "空气质量"},
    {"q": "公交线路 岳麓区"},
    {"q": "医疗机构名录"},
    {"q": "停车场"},
    {"q": "养老", "fq": "open_type:unconditional"},
    {"q": "", "fq": "update_cycle:daily"},
    {"q": "学校", "facet.field": '["organization","open_type","update_cycle"]'},
    {"q": "充电桩 分布", "rows": "50"},
    {"q": "", "start": "500"},
    {"q": "社区服务", "facet.field": '["organization"]', "fq": "catalog_class:theme"},
]
# what a harvester or CKAN's own front end sends, decided document by document (`opendata.ckan_fq`): timed apart
HARVEST_QUERIES = [
    {"fq": "-organization:430100-001 metadata_modified:[2020-01-01T00:00:00Z TO *]", "rows": "100"},
    {"fq": "organization:430100-002 OR organization:430100-003", "rows": "100", "start": "100"},
    {"q": "", "facet.field": '["organization","groups","tags","res_format","license_id"]', "rows": "20"},
    {"q": "空气质量", "fq": "-update_cycle:daily", "facet.field": '["tags"]'},
]
AIR_ITEMS = [
    {"name": "station", "label": "监测站点", "type": "string", "length": 20, "required": True},
    {"name": "rq", "label": "监测日期", "type": "date", "required": True},
    {"name": "hour", "label": "小时", "type": "integer"},
    {"name": "aqi", "label": "空气质量指数", "type": "integer"},
    {"name": "pm25", "label": "PM2.5浓度", "type": "integer"},
    {"name": "pm10", "label": "PM10浓度", "type": "integer"},
    {"name": "so2", "label": "二氧化硫浓度", "type": "integer"},
    {"name": "no2", "label": "二氧化氮浓度", "type": "integer"},
    {"name": "o3", "label": "臭氧浓度", "type": "integer"},
    {"name": "level", "label": "空气质量级别", "type": "string", "length": 10},
    {"name": "primary_pollutant", "label": "首要污染物", "type": "string", "length": 10},
]
AIR_STATIONS = [
    "湘江中路",
    "岳麓山",
    "火车新站",
    "马坡岭",
    "经开区环保局",
    "天心区环保局",
    "雨花区环保局",
    "高开区环保局",
    "伍家岭",
    "沙坪",
    "望城区环保局",
    "浏阳市环保局",
]
LEVELS = [(50, "优"), (100, "良"), (150, "轻度污染"), (200, "中度污染"), (300, "重度污染"), (999, "严重污染")]
SMALL_ITEMS = [
    {"name": "mc", "label": "名称", "type": "string", "length": 100, "required": True},
    {"name": "dz", "label": "地址", "type": "string", "length": 200},
    {"name": "sl", "label": "数量", "type": "integer"},
]


def write_air(path: Path, rows: int) -> None:
    """`rows` hourly readings of 12 Changsha monitoring stations, as UTF-8 CSV."""
    import csv
    from datetime import date, timedelta

    rnd = random.Random(3_2026)
    start = date(2014, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([i["name"] for i in AIR_ITEMS])
        for n in range(rows):
            hour_no, station = divmod(n, len(AIR_STATIONS))
            day, hour = divmod(hour_no, 24)
            pm25 = rnd.randrange(5, 250)
            aqi = min(500, int(pm25 * 1.3) + rnd.randrange(0, 20))
            level = next(name for top, name in LEVELS if aqi <= top)
            writer.writerow(
                [
                    AIR_STATIONS[station],
                    (start + timedelta(days=day)).isoformat(),
                    hour,
                    aqi,
                    pm25,
                    pm25 + rnd.randrange(5, 80),
                    rnd.randrange(2, 40),
                    rnd.randrange(5, 90),
                    rnd.randrange(10, 200),
                    level,
                    "" if aqi <= 50 else "PM2.5",
                ]
            )


def bench_app():
    """The app the benchmark serves (uvicorn --factory): as `zhicheng serve`, the rate limit off."""
    from zhicheng.web.app import create_app

    app = create_app()

    class Unlimited:
        def take(self, key, per_minute):
            return 0

    app.state.open_rate_limiter = Unlimited()
    return app


def build_instance(data: Path, air_csv: Path, people_csv: Path, datasets: int) -> dict[str, tuple[int, str]]:
    """A fresh SQLite instance: `datasets` published resources over 20 departments, and the air-quality and
    people tables as open resources; {"air"|"people": (resource id, version table)}."""
    from zhicheng.accounts import service as accounts
    from zhicheng.catalog import service as catalog
    from zhicheng.catalog.datasets import service as ds
    from zhicheng.core.actor import SYSTEM
    from zhicheng.core.db import make_engine, make_sessionmaker, migrate
    from zhicheng.core.settings import Settings
    from zhicheng.opendata.rows import open_copy

    settings = Settings(data=data)
    settings.ensure_data_dir()
    engine = make_engine(settings.db_url)
    migrate(engine)
    from zhicheng.policy.anchor import attach

    attach(engine, settings)  # the audit key of this data folder, which the server will use too
    rnd = random.Random(4_2026)
    with make_sessionmaker(engine)() as db:
        depts = [
            accounts.create_department(
                db, actor=SYSTEM, name=f"长沙市{name}", kind="bureau", region_code="430100"
            )
            for name in (
                "生态环境局",
                "交通运输局",
                "卫生健康委员会",
                "教育局",
                "市场监督管理局",
                "住房和城乡建设局",
                "城市管理和综合执法局",
                "人力资源和社会保障局",
                "民政局",
                "应急管理局",
                "水利局",
                "公安局",
                "文化旅游广电局",
                "体育局",
                "发展和改革委员会",
                "自然资源和规划局",
                "商务局",
                "统计局",
                "财政局",
                "数据资源局",
            )
        ]
        started = time.perf_counter()
        for n in range(datasets):
            topic = TOPICS[n % len(TOPICS)]
            open_type = rnd.choices(["unconditional", "conditional", "none"], [75, 15, 10])[0]
            res = catalog.create_resource(
                db,
                actor=SYSTEM,
                data={
                    "name": f"{PLACES[n % len(PLACES)]}{topic}{KINDS[n % len(KINDS)]}（{n:05d}）",
                    "catalog_class": "theme",
                    "subclass": THEMES[n % len(THEMES)],
                    "summary": f"{PLACES[(n * 7) % len(PLACES)]}{topic}的{KINDS[(n * 3) % len(KINDS)]}，按"
                    f"{rnd.choice(['日', '月', '年'])}更新，供公众查询与开发利用。",
                    "format": "database",
                    "share_type": "unconditional",
                    "share_method": "api",
                    "open_type": open_type,
                    "open_condition": "注册并申请后使用" if open_type == "conditional" else None,
                    "update_cycle": rnd.choice(["daily", "monthly", "yearly", "irregular"]),
                    "tags": [topic, PLACES[n % len(PLACES)]],
                    "department_id": depts[n % len(depts)].id,
                    "items": SMALL_ITEMS,
                },
            )
            catalog.submit(db, actor=SYSTEM, resource_id=res.id)
            catalog.review(db, actor=SYSTEM, resource_id=res.id, decision="publish")
            if (n + 1) % 1000 == 0:
                print(f"  {n + 1} datasets published ({time.perf_counter() - started:.0f}s)", flush=True)
        tables = {}
        for key, name, subclass, items, path in (
            ("air", "长沙市空气质量小时监测数据（开放测试）", "environment", AIR_ITEMS, air_csv),
            ("people", "常住人口基本信息（开放测试，个人信息全部脱敏）", "population", ITEMS, people_csv),
        ):
            res = catalog.create_resource(
                db,
                actor=SYSTEM,
                data={
                    "name": name,
                    "catalog_class": "theme" if key == "air" else "base",
                    "subclass": subclass,
                    "summary": f"基准测试用的{name}",
                    "format": "database",
                    "share_type": "unconditional",
                    "share_method": "api",
                    "open_type": "unconditional",
                    "update_cycle": "daily",
                    "department_id": depts[0 if key == "air" else 11].id,
                    "items": items,
                },
            )
            catalog.submit(db, actor=SYSTEM, resource_id=res.id)
            catalog.review(db, actor=SYSTEM, resource_id=res.id, decision="publish")
            started = time.perf_counter()
            report = ds.import_file(db, actor=SYSTEM, resource_id=res.id, path=path, filename=path.name)
            if not report.ok:
                raise SystemExit(f"import failed: {report.message_en} {report.errors[:3]}")
            import_s = time.perf_counter() - started
            # what the server does after the import of an open resource's version (opendata.open_copy), timed
            started = time.perf_counter()
            copy = open_copy.build(make_sessionmaker(engine), res.id)
            print(
                f"  {key}: import {import_s:.1f}s; open copy {copy} built in {time.perf_counter() - started:.1f}s",
                flush=True,
            )
            tables[key] = (res.id, ds.get_version(db, actor=SYSTEM, resource_id=res.id).table_name)
    engine.dispose()
    return tables


def start_server(data: Path):
    """Our app with the benchmark's settings (bench_app), under uvicorn, as bench_sharing starts it."""
    return our_server(data, "bench_opendata:bench_app", Path(__file__).resolve().parent)


def bench_search(client: httpx.Client, rounds: int, queries: list[dict] = QUERIES) -> list[float]:
    """Latencies (ms) of package_search over the query mix, `rounds` times each (after one warm-up round)."""
    for params in queries:
        r = client.get("/api/3/action/package_search", params=params)
        r.raise_for_status()
    out = []
    for _ in range(rounds):
        for params in queries:
            started = time.perf_counter()
            r = client.get("/api/3/action/package_search", params=params)
            out.append((time.perf_counter() - started) * 1000)
            if r.status_code != 200 or not r.json()["success"]:
                raise SystemExit(f"package_search failed: {r.text[:300]}")
    return out


def bench_rows(ours: httpx.Client, ref: httpx.Client, resource: str, db_name: str, table: str) -> dict:
    """Every row of one table from both servers, read in turn: {"ours": (rows, s, s with the client's parse),
    "datasette": (…)} (bench_sharing's `interleaved`)."""
    path = "/api/3/action/datastore_search"
    sample = ours.get(path, params={"resource_id": resource, "limit": 1}).json()["result"]["records"][0]
    print(f"  a row: {sample}", flush=True)

    def next_of(body):
        result = body["result"]
        return len(result["records"]), result["_links"].get("next")

    first = f"/{db_name}/{table}.json?_size={PAGE}&_shape=objects&_nocount=1"
    return interleaved(
        {
            "ours": pages(ours, f"{path}?resource_id={resource}&limit={PAGE}&include_total=false", next_of),
            "datasette": datasette_walk(ref, first),
        }
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main() -> None:
    rows = int(os.environ.get("ZHICHENG_BENCH_ROWS", "1000000"))
    people_rows = int(os.environ.get("ZHICHENG_BENCH_PEOPLE_ROWS", "200000"))
    datasets = int(os.environ.get("ZHICHENG_BENCH_DATASETS", "10000"))
    rounds = int(os.environ.get("ZHICHENG_BENCH_ROUNDS", "20"))
    with tempfile.TemporaryDirectory(prefix="zhicheng-bench-opendata-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        write_air(folder / "air.csv", rows)
        write_people(folder / "people.csv", people_rows)
        tables = build_instance(folder / "data", folder / "air.csv", folder / "people.csv", datasets)
        print(
            f"prepared {datasets} datasets, {rows} air-quality rows and {people_rows} people rows in "
            f"{time.perf_counter() - started:.1f}s",
            flush=True,
        )
        db_path = folder / "data" / "zhicheng.db"
        done = {}
        with (
            start_server(folder / "data") as (base, proc),
            datasette_server(str(db_path)) as ref_base,
            httpx.Client(base_url=base, timeout=120) as ours,
            httpx.Client(base_url=ref_base, timeout=120) as ref,
        ):
            latencies = bench_search(ours, rounds)
            harvest = bench_search(ours, rounds, HARVEST_QUERIES)
            for key, (resource_id, table) in tables.items():
                pkg = ours.get("/api/3/action/package_show", params={"id": str(resource_id)}).json()["result"]
                done[key] = bench_rows(ours, ref, pkg["resources"][0]["id"], db_path.stem, table)
            ours_mb = peak_mb(proc.pid)
    ours = {key: d["ours"] for key, d in done.items()}
    ref = {key: d["datasette"] for key, d in done.items()}
    for key, n in (("air", rows), ("people", people_rows)):
        assert ours[key][0] == ref[key][0] == n, (key, ours[key][0], ref[key][0], n)
    p50, p95, p99 = (percentile(latencies, p) for p in (50, 95, 99))
    print(
        f"package_search over {datasets} datasets ({len(latencies)} calls, {len(QUERIES)} query shapes): "
        f"p50 {p50:.1f} ms  p95 {p95:.1f} ms  p99 {p99:.1f} ms  mean {statistics.mean(latencies):.1f} ms"
    )
    print(
        f"package_search as harvesters ask ({len(harvest)} calls, {len(HARVEST_QUERIES)} shapes: OR, negation, "
        f"date ranges, CKAN's default facets): p50 {percentile(harvest, 50):.1f} ms  "
        f"p95 {percentile(harvest, 95):.1f} ms  p99 {percentile(harvest, 99):.1f} ms"
    )
    for n, params in enumerate(HARVEST_QUERIES):
        print(f"  p50 {percentile(harvest[n :: len(HARVEST_QUERIES)], 50):6.1f} ms  {params}")
    rates = {}
    for key, n, what in (
        ("air", rows, "air quality, 11 columns, none masked"),
        ("people", people_rows, "people, 7 columns, 4 masked"),
    ):
        rates[key] = (n / ours[key][1], n / ref[key][1])
        print(
            f"datastore_search limit={PAGE} ({what}): ours {n / ours[key][1]:,.0f} rows/s, Datasette _size={PAGE} "
            f"_next {n / ref[key][1]:,.0f} rows/s, ratio {rates[key][0] / rates[key][1]:.2f} (with the client's "
            f"parse: {ours[key][2]:.2f}s against {ref[key][2]:.2f}s, ratio {ref[key][2] / ours[key][2]:.2f})"
        )
    print(f"server peak RSS {ours_mb:.1f} MB")
    ours_rate, ref_rate = rates["air"]
    print(
        f"BENCH opendata rows_per_s={ours_rate:.0f} datasette_rows_per_s={ref_rate:.0f} "
        f"ratio={ours_rate / ref_rate:.2f} peak_mb={ours_mb:.0f}"
    )


if __name__ == "__main__":
    main()
