"""Benchmark of IoT ingest and reading: HTTP batches (`POST /api/v1/iot/ingest`, SensorThings `CreateObservations`)
against a live uvicorn server and MQTT through the real broker and `zhicheng iot mqtt`, in observations/s per
process, against the floor of inserting the same rows straight into `iot_observations` in the same run (sqlite3
`executemany` / PostgreSQL `COPY`, one transaction per batch as the server commits once per request); then
SensorThings `$count` and a deep page over N generated observations. Each rate is given per wall-clock second and
per CPU second of the process doing the work (the server, the MQTT worker, the floor's own process): the aims of
issue #14 are per core used, and on a shared machine CPU seconds stay steady where wall-clock seconds measure the
other sessions' load. The BENCH line holds the HTTP batch per core used against the floor per core used.

Environment: ZHICHENG_BENCH_DB=postgres (a throw-away database on ZHICHENG_BENCH_PG, default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres; default SQLite), ZHICHENG_BENCH_ROWS (observations per ingest
side, default 100,000), ZHICHENG_BENCH_OBSERVATIONS (for $count and the deep page, default 10,000,000),
ZHICHENG_BENCH_QUICK=1 (20,000 and 500,000: a few minutes), ZHICHENG_BENCH_BATCH (500), ZHICHENG_BENCH_PER_MESSAGE
(observations an MQTT message, 10), ZHICHENG_BENCH_CLIENTS (HTTP client threads, 2), ZHICHENG_MQTT_BENCH_URL (mqtt://127.0.0.1:1883; empty: MQTT part skipped),
ZHICHENG_BENCH_PROFILE=1 (cProfile of `ingest.ingest` in this process, top functions printed). Run:
`zhicheng bench iot` or `python bench/bench_iot.py [--quick]`; the last line is the BENCH line.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.helpers.served import environ, free_port, healthy, memory_mb, running  # noqa: E402

QUICK = "--quick" in sys.argv or os.environ.get("ZHICHENG_BENCH_QUICK") == "1"
ROWS = int(os.environ.get("ZHICHENG_BENCH_ROWS", "20000" if QUICK else "100000"))
OBSERVATIONS = int(os.environ.get("ZHICHENG_BENCH_OBSERVATIONS", "500000" if QUICK else "10000000"))
BATCH = int(os.environ.get("ZHICHENG_BENCH_BATCH", "500"))
CLIENTS = int(os.environ.get("ZHICHENG_BENCH_CLIENTS", "2"))
USE_PG = os.environ.get("ZHICHENG_BENCH_DB", "sqlite") == "postgres"
PG_ADMIN_URL = os.environ.get("ZHICHENG_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MQTT_URL = os.environ.get("ZHICHENG_MQTT_BENCH_URL", "mqtt://127.0.0.1:1883")
PROFILE = os.environ.get("ZHICHENG_BENCH_PROFILE") == "1"
PER_MESSAGE = int(os.environ.get("ZHICHENG_BENCH_PER_MESSAGE", "10"))  # observations in one MQTT message
STALL_S = 180  # no MQTT progress for this long: reported and the part given up
THINGSBOARD_PER_CORE = 3333 / 4  # ThingsBoard's published 3,333 data points/s on 4 vCPU
GEN_CHUNK = 1_000_000  # generated rows per transaction


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------------- the instance

def database_url(data: Path) -> tuple[str, object]:
    """(URL, drop()) of a fresh database: a SQLite file in `data`, or a throw-away PostgreSQL database."""
    if not USE_PG:
        return f"sqlite:///{data / 'zhicheng.db'}", lambda: None
    from sqlalchemy import create_engine, text

    name = f"zhicheng_bench_iot_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, drop


def build(data: Path, url: str) -> tuple[object, dict]:
    """Settings and five air stations of one department (open, so the anonymous reader sees them): for the HTTP
    batch, CreateObservations, the floor, MQTT and the generated read set; each {code, token, thing_id, foi,
    streams: [(id, lo, hi)]}."""
    from zhicheng.accounts import service as accounts
    from zhicheng.core.actor import SYSTEM
    from zhicheng.core.db import make_engine, make_sessionmaker, migrate
    from zhicheng.core.settings import Settings
    from zhicheng.iot import ingest, service
    from zhicheng.iot.device_types import MEASUREMENT
    from zhicheng.policy.anchor import attach

    settings = Settings(data=data, database_url=url, secret_key="bench-secret-key", language="zh-CN")
    settings.ensure_data_dir()
    engine = make_engine(settings.db_url)
    migrate(engine)
    attach(engine, settings)
    devices = {}
    with make_sessionmaker(engine)() as db:
        dept = accounts.create_department(db, actor=SYSTEM, name="长沙市生态环境局", kind="bureau",
                                          region_code="430100")
        for n, role in enumerate(("batch", "array", "floor", "mqtt", "read")):
            done = service.register_device(db, actor=SYSTEM, department_id=dept.id, device_type="air_station",
                                           code=f"BENCH-{role.upper()}", name=f"基准测试空气站 {n + 1}",
                                           lon=112.9 + n / 100, lat=28.2, open=True)
            foi = ingest.default_feature(db, done.thing)
            db.commit()
            streams = [(d.id, d.valid_min or 0.0, d.valid_max if d.valid_max is not None else 100.0)
                       for d in service.datastreams_of(db, done.thing.id) if d.observation_type == MEASUREMENT]
            devices[role] = {"code": done.thing.code, "token": done.token, "thing_id": done.thing.id, "foi": foi,
                             "streams": streams}
    engine.dispose()
    return settings, devices


def series(streams: list[tuple[int, float, float]], rows: int, start: datetime) -> list[tuple[int, int, datetime,
                                                                                                    float]]:
    """`rows` hourly observations over the datastreams, stream by stream in blocks of the batch size, as
    (stream index, datastream id, time, value): the values inside each stream's valid range."""
    out = []
    hours = -(-rows // len(streams))
    for k, (sid, lo, hi) in enumerate(streams):
        for h in range(hours):
            if len(out) == rows:
                break
            out.append((k, sid, start + timedelta(hours=h), round(lo + (hi - lo) * (0.1 + 0.5 * ((h * 37) % 101)
                                                                                     / 101), 3)))
    return out


def batches(rows: list, size: int) -> list[list]:
    return [rows[i:i + size] for i in range(0, len(rows), size)]


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def plain_body(chunk: list) -> bytes:
    groups: dict[int, list] = {}
    for _k, sid, at, value in chunk:
        groups.setdefault(sid, []).append([stamp(at), value])
    return json.dumps([{"datastream": sid, "observations": obs} for sid, obs in groups.items()]).encode()


def array_body(chunk: list) -> bytes:
    groups: dict[int, list] = {}
    for _k, sid, at, value in chunk:
        groups.setdefault(sid, []).append([stamp(at), value])
    return json.dumps([{"Datastream": {"@iot.id": sid}, "components": ["phenomenonTime", "result"],
                        "dataArray": rows} for sid, rows in groups.items()]).encode()


def count_rows(url: str, thing_id: int | None = None) -> int:
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    sql = "SELECT count(*) FROM iot_observations"
    if thing_id is not None:
        sql += " o JOIN iot_datastreams d ON d.id = o.datastream_id WHERE d.thing_id = :t"
    with eng.connect() as conn:
        n = conn.execute(text(sql), {"t": thing_id}).scalar_one()
    eng.dispose()
    return n


# --------------------------------------------------------------------------------------------------------- the floor

def floor(url: str, device: dict, rows: list) -> tuple[float, float]:
    """The same rows straight into iot_observations (sqlite3 executemany with the app's pragmas / COPY), one
    transaction per batch; (seconds, CPU seconds of this process)."""
    values = [(device["streams"][k][0], device["foi"], at.replace(tzinfo=None), value) for k, _sid, at, value in rows]
    if USE_PG:
        import psycopg

        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as conn:
            started, cpu = time.perf_counter(), time.process_time()
            for chunk in batches(values, BATCH):
                with conn.cursor() as cur, cur.copy("COPY iot_observations (datastream_id, feature_of_interest_id, "
                                                    "phenomenon_time, result_number) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row(row)
                conn.commit()
            return time.perf_counter() - started, time.process_time() - cpu
    import sqlite3

    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL", "busy_timeout=30000"):
        conn.execute(f"PRAGMA {pragma}")
    texts = [(s, f, at.strftime("%Y-%m-%d %H:%M:%S.%f"), v) for s, f, at, v in values]  # as SQLAlchemy stores it
    started, cpu = time.perf_counter(), time.process_time()
    for chunk in batches(texts, BATCH):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO iot_observations (datastream_id, feature_of_interest_id, phenomenon_time, "
                         "result_number) VALUES (?, ?, ?, ?)", chunk)
        conn.execute("COMMIT")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return seconds, cpu


# ---------------------------------------------------------------------------------------------------------- HTTP

def server(settings):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "uvicorn", "--factory", "zhicheng.web.app:create_app", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "warning", "--no-access-log"]
    return base, running(argv, env=environ(settings), ready=lambda _p: healthy(base), timeout=240)


def post_all(base: str, path: str, token: str, bodies: list[bytes]) -> float:
    """POST every body with CLIENTS threads; seconds. Any answer but 2xx stops the benchmark."""
    todo = list(enumerate(bodies))
    lock = threading.Lock()
    failed: list[str] = []

    def client() -> None:
        with httpx.Client(base_url=base, timeout=120, headers={"Authorization": f"Bearer {token}",
                                                                "Content-Type": "application/json"}) as http:
            while not failed:
                with lock:
                    if not todo:
                        return
                    _i, body = todo.pop(0)
                r = http.post(path, content=body)
                if r.status_code >= 300 or (path.endswith("ingest") and r.json()["quarantined"]):
                    failed.append(f"{path}: {r.status_code} {r.text[:300]}")

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failed:
        raise SystemExit(failed[0])
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------------------- MQTT

def mqtt_part(settings, device: dict, rows: list) -> tuple[float, float, float] | None:
    """(seconds, worker CPU seconds, worker peak MB) for `rows` published as device-topic batches of PER_MESSAGE
    observations with QoS 1 through the broker to a `zhicheng iot mqtt` process; None when no broker answers."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    from zhicheng.iot.mqtt import Broker, device_topic

    broker = Broker.parse(MQTT_URL) if MQTT_URL else None
    try:
        if broker is None:
            raise OSError("ZHICHENG_MQTT_BENCH_URL is empty")
        socket.create_connection((broker.host, broker.port), timeout=2).close()
    except OSError as exc:
        print(f"mqtt: skipped, no broker at {MQTT_URL}: {exc}")
        return None
    tag = uuid.uuid4().hex[:8]
    prefix = f"bench/{tag}/"
    env = environ(settings, ZHICHENG_MQTT_TOPIC_PREFIX=prefix, ZHICHENG_MQTT_SESSION_EXPIRY_SECONDS="30")
    argv = [sys.executable, "-m", "zhicheng", "iot", "mqtt", "--broker", MQTT_URL, "--group", f"bench{tag}",
            "--client-id", f"zhicheng-bench-{tag}"]
    topic = device_topic(device["code"], prefix)
    publisher = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-dev-{tag}")
    publisher.max_inflight_messages_set(100)
    publisher.connect(broker.host, broker.port)
    publisher.loop_start()
    messages = [plain_body(chunk) for chunk in batches(rows, PER_MESSAGE)]
    thing = device["thing_id"]
    probe = json.dumps({"datastream": device["streams"][0][0],
                        "observations": [[stamp(rows[0][2]), rows[0][3]]]}).encode()

    def subscribed(_proc) -> bool:  # the probe (the first row again, idempotent) is stored once the worker listens
        publisher.publish(topic, probe, qos=1).wait_for_publish(10)
        time.sleep(0.5)
        return count_rows(settings.db_url, thing) > 0

    with running(argv, env=env, ready=subscribed, timeout=240, stdout=subprocess.DEVNULL) as proc:
        cpu0 = cpu_seconds(proc.pid)
        started = time.perf_counter()
        for n, body in enumerate(messages):
            publisher.publish(topic, body, qos=1)
            if n % 200 == 199:  # Mosquitto keeps at most 1,000 messages queued for a session: stay well under
                while (n + 1 - 500) * PER_MESSAGE > count_rows(settings.db_url, thing):
                    time.sleep(0.05)
        last, moved = -1, time.monotonic()
        while (done := count_rows(settings.db_url, thing)) < len(rows):
            if done != last:
                last, moved = done, time.monotonic()
            elif time.monotonic() - moved > STALL_S:
                print(f"mqtt: stalled, {done:,} of {len(rows):,} stored and none more for {STALL_S} s")
                return None
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(proc.pid) - cpu0
        worker_peak = memory_mb(proc.pid, "VmHWM")
    publisher.disconnect()
    publisher.loop_stop()
    return seconds, cpu, worker_peak


# ---------------------------------------------------------------------------------------------------- $count, deep

def generate(url: str, device: dict, n: int) -> float:
    """`n` observations, one a minute, in the read device's first datastream, by INSERT … SELECT in the database
    (recursive CTE on SQLite, generate_series on PostgreSQL), GEN_CHUNK a transaction; seconds."""
    from sqlalchemy import create_engine, text

    sid, lo, hi = device["streams"][0]
    start = (datetime.now(UTC) - timedelta(minutes=n + 60)).replace(second=0, microsecond=0, tzinfo=None)
    epoch = int(start.replace(tzinfo=UTC).timestamp())
    eng = create_engine(url)
    started = time.perf_counter()
    with eng.connect() as conn:
        for first in range(0, n, GEN_CHUNK):
            last = min(n, first + GEN_CHUNK) - 1
            if USE_PG:
                conn.execute(text(
                    "INSERT INTO iot_observations (datastream_id, feature_of_interest_id, phenomenon_time, "
                    "result_number) SELECT :s, :f, :t + i * interval '1 minute', :lo + (i % 97) "
                    "FROM generate_series(CAST(:a AS bigint), CAST(:b AS bigint)) AS i"),
                    {"s": sid, "f": device["foi"], "t": start, "lo": lo, "a": first, "b": last})
            else:
                conn.execute(text(
                    "WITH RECURSIVE g(i) AS (SELECT :a UNION ALL SELECT i + 1 FROM g WHERE i < :b) "
                    "INSERT INTO iot_observations (datastream_id, feature_of_interest_id, phenomenon_time, "
                    "result_number) SELECT :s, :f, strftime('%Y-%m-%d %H:%M:%S', :e + i * 60, 'unixepoch') "
                    "|| '.000000', :lo + (i % 97) FROM g"),
                    {"s": sid, "f": device["foi"], "e": epoch, "lo": lo, "a": first, "b": last})
            conn.commit()
        conn.execute(text("ANALYZE"))
        conn.commit()
    eng.dispose()
    return time.perf_counter() - started


def timed_get(http: httpx.Client, path: str, params: dict) -> tuple[float, dict]:
    """The fastest of three calls (seconds) and its answer."""
    best, answer = float("inf"), {}
    for _ in range(3):
        started = time.perf_counter()
        r = http.get(path, params=params)
        took = time.perf_counter() - started
        if r.status_code != 200:
            raise SystemExit(f"{path} {params}: {r.status_code} {r.text[:300]}")
        best, answer = min(best, took), r.json()
    return best, answer


# ------------------------------------------------------------------------------------------------------- profile

def profile(settings, device: dict, rows: list) -> None:
    """cProfile of `ingest.ingest` in this process (the HTTP layer left out): the top functions by own time."""
    from zhicheng.core.db import make_engine, make_sessionmaker
    from zhicheng.iot import api, ingest
    from zhicheng.iot.models import Thing

    engine = make_engine(settings.db_url)
    factory = make_sessionmaker(engine)
    bodies = [json.loads(plain_body(chunk)) for chunk in batches(rows, BATCH)]
    prof = cProfile.Profile()
    started = time.perf_counter()
    for body in bodies:
        with factory() as db:
            thing = db.get(Thing, device["thing_id"])
            items = api.batch_items(body)
            prof.enable()
            ingest.ingest(db, thing=thing, items=items, channel="batch")
            prof.disable()
    seconds = time.perf_counter() - started
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(18)
    stats.sort_stats("cumulative").print_stats(r"zhicheng|sqlalchemy/orm/session|execute", 25)
    print(f"profile: {len(rows):,} observations through ingest.ingest in-process in {seconds:.2f} s "
          f"({len(rows) / seconds:,.0f} obs/s under cProfile)")
    print(out.getvalue())
    engine.dispose()


# ---------------------------------------------------------------------------------------------------------- main

def main() -> None:
    label = "postgresql" if USE_PG else "sqlite"
    with tempfile.TemporaryDirectory(prefix="zhicheng-bench-iot-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        url, drop = database_url(data)
        try:
            run(label, data, url)
        finally:
            drop()


def run(label: str, data: Path, url: str) -> None:
    settings, devices = build(data, url)
    start = (datetime.now(UTC) - timedelta(hours=ROWS + 48)).replace(minute=0, second=0, microsecond=0)
    rows_batch = series(devices["batch"]["streams"], ROWS, start)
    rows_array = series(devices["array"]["streams"], ROWS, start)
    rows_floor = series(devices["floor"]["streams"], ROWS, start)
    print(f"iot bench on {label}: {ROWS:,} observations a side, batches of {BATCH}, {CLIENTS} HTTP client "
          f"threads, {os.cpu_count()} cores")

    floor_s, floor_cpu = floor(url, devices["floor"], rows_floor)
    floor_rate, floor_core = ROWS / floor_s, ROWS / floor_cpu
    print(f"floor ({'COPY' if USE_PG else 'sqlite3 executemany'}, a transaction per {BATCH}): {floor_s:.2f} s, "
          f"{floor_rate:,.0f} obs/s; CPU {floor_cpu:.2f} s -> {floor_core:,.0f} obs/s per core used")

    base, serving = server(settings)
    with serving as proc:
        cpu0 = cpu_seconds(proc.pid)
        batch_s = post_all(base, "/api/v1/iot/ingest", devices["batch"]["token"],
                           [plain_body(c) for c in batches(rows_batch, BATCH)])
        cpu_batch = cpu_seconds(proc.pid) - cpu0
        cpu0 = cpu_seconds(proc.pid)
        array_s = post_all(base, "/sta/v1.1/CreateObservations", devices["array"]["token"],
                           [array_body(c) for c in batches(rows_array, BATCH)])
        cpu_array = cpu_seconds(proc.pid) - cpu0
        server_peak = memory_mb(proc.pid, "VmHWM")
    for name, thing in (("batch", devices["batch"]), ("array", devices["array"])):
        stored = count_rows(url, thing["thing_id"])
        if stored != ROWS:
            raise SystemExit(f"{name}: {stored} observations stored, {ROWS} sent")
    batch_rate, array_rate = ROWS / batch_s, ROWS / array_s
    per_core = ROWS / cpu_batch
    aim = THINGSBOARD_PER_CORE * 30
    print(f"http /api/v1/iot/ingest: {batch_s:.2f} s, {batch_rate:,.0f} obs/s, ratio to the floor "
          f"{batch_rate / floor_rate:.2f}; server CPU {cpu_batch:.2f} s -> {per_core:,.0f} obs/s per core used "
          f"= {per_core / THINGSBOARD_PER_CORE:.1f}x ThingsBoard's {THINGSBOARD_PER_CORE:,.0f}/core "
          f"(aim 30x = {aim:,.0f}); per core, ratio to the floor {per_core / floor_core:.2f}")
    print(f"http /sta/v1.1/CreateObservations: {array_s:.2f} s, {array_rate:,.0f} obs/s, ratio to the floor "
          f"{array_rate / floor_rate:.2f}; server CPU {cpu_array:.2f} s -> {ROWS / cpu_array:,.0f} obs/s per core "
          f"used = {ROWS / cpu_array / THINGSBOARD_PER_CORE:.1f}x ThingsBoard's; per core, ratio to the floor "
          f"{ROWS / cpu_array / floor_core:.2f}")
    print(f"http server peak RSS: {server_peak:.1f} MB")

    mqtt = mqtt_part(settings, devices["mqtt"], series(devices["mqtt"]["streams"], ROWS, start))
    if mqtt is not None:
        seconds, cpu, worker_peak = mqtt
        print(f"mqtt device topic ({PER_MESSAGE} obs a message, QoS 1, one worker process): {seconds:.2f} s, "
              f"{ROWS / seconds:,.0f} obs/s, ratio to the floor {ROWS / seconds / floor_rate:.2f}; worker CPU "
              f"{cpu:.2f} s -> {ROWS / cpu:,.0f} obs/s per core used (ratio to the floor {ROWS / cpu / floor_core:.2f})"
              f"; worker peak RSS {worker_peak:.1f} MB")

    if PROFILE:
        profile(settings, devices["floor"], series(devices["floor"]["streams"], min(ROWS, 20000),
                                                   start - timedelta(hours=ROWS + 24)))

    gen_s = generate(url, devices["read"], OBSERVATIONS)
    print(f"generated {OBSERVATIONS:,} observations in one datastream in {gen_s:.1f} s "
          f"({OBSERVATIONS / gen_s:,.0f} rows/s, INSERT … SELECT in the database)")
    sid = devices["read"]["streams"][0][0]
    base, serving = server(settings)
    with serving as proc, httpx.Client(base_url=base, timeout=600) as http:
        total = count_rows(url)
        count_s, answer = timed_get(http, "/sta/v1.1/Observations", {"$count": "true", "$top": "1"})
        if answer["@iot.count"] != total:
            raise SystemExit(f"$count said {answer['@iot.count']}, the table holds {total}")
        ds_count_s, answer = timed_get(http, f"/sta/v1.1/Datastreams({sid})/Observations",
                                       {"$count": "true", "$top": "1"})
        skip = OBSERVATIONS - 100
        deep_s, answer = timed_get(http, f"/sta/v1.1/Datastreams({sid})/Observations",
                                   {"$skip": str(skip), "$top": "100"})
        if len(answer["value"]) != 100:
            raise SystemExit(f"deep page: {len(answer['value'])} observations")
        deep_all_s, answer = timed_get(http, "/sta/v1.1/Observations", {"$skip": str(total - 100), "$top": "100"})
        read_peak = memory_mb(proc.pid, "VmHWM")
    print(f"sta $count over all {total:,} observations: {count_s * 1000:.0f} ms; over the datastream's "
          f"{OBSERVATIONS:,}: {ds_count_s * 1000:.0f} ms (FROST-Server issue #2096: 109 s)")
    print(f"sta deep page $skip={skip:,}&$top=100 in the datastream: {deep_s * 1000:.0f} ms; in /Observations "
          f"($skip={total - 100:,}): {deep_all_s * 1000:.0f} ms; server peak RSS {read_peak:.1f} MB")
    print(f"bench process peak RSS: {peak_mb():.1f} MB")
    # per core used (CPU seconds of the server process / of the floor's process): what the aims are stated in, and
    # steady on a shared machine, where wall-clock seconds measure the other sessions' load as much as ours
    print(f"BENCH iot http_obs_per_core_s={per_core:.0f} floor_obs_per_core_s={floor_core:.0f} "
          f"ratio={per_core / floor_core:.2f} peak_mb={max(server_peak, read_peak):.0f}")


if __name__ == "__main__":
    main()
