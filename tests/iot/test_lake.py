"""The data lake: a station's hourly series goes to Parquet (device_type=…/date=… in Beijing dates), a rerun writes
nothing twice, late data becomes an extra part that compaction merges, a crashed run's files are ignored and then
removed, old partitions expire per device type and the hot store is pruned behind the watermark. History answers
over lake + hot exactly as the rollups do, pages raw observations without a duplicate at the watermark, and the
API keeps the visibility rule (404 for a closed device) and audits each read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow.dataset as pads
import pytest
from sqlalchemy import func, select

from tests.iot.conftest import bearer, stream
from zhicheng.accounts.service import actor_for
from zhicheng.core.actor import ANONYMOUS
from zhicheng.iot import device_types, history, lake, rollups
from zhicheng.iot.models import LakePart, Observation
from zhicheng.policy.models import AuditEntry

T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)  # 18:00 in Beijing: the first Beijing midnight comes 6 hours in


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _send(client, token: str, ds: int, rows: list[list]) -> None:
    answer = client.post("/api/v1/iot/ingest", headers=bearer(token), json={"datastream": ds, "observations": rows})
    assert answer.status_code == 200 and answer.json()["stored"] == len(rows), answer.text


def _hourly(first: int, last: int) -> list[list]:
    return [[_iso(T0 + timedelta(hours=i)), float((i * 7) % 50) + 0.25] for i in range(first, last)]


def _lake_ids(where: lake.Lake) -> list[int]:
    data = pads.dataset(where.path(lake.TABLE), filesystem=where.fs, format="parquet", partitioning="hive")
    return sorted(data.to_table(columns=["id"]).column("id").to_pylist())


def _parts(db) -> list[tuple[str, str]]:
    db.expire_all()
    return [(p.device_type, p.day) for p in db.scalars(select(LakePart).order_by(LakePart.day, LakePart.id))]


@pytest.fixture
def where(settings) -> lake.Lake:
    return lake.open_lake(settings)


def test_export_is_incremental_idempotent_and_compacts_late_data(client, db, world, where):
    pm25 = stream(db, world.air, "pm25")
    _send(client, world.air.token, pm25, _hourly(0, 72))
    first = lake.export(db, where)
    assert first.rows == 72 and first.files == 4  # Beijing days 03-01 (from 18:00) … 03-04 (to 17:00)
    assert sorted(set(_parts(db))) == [("test_air", f"2026-03-0{d}") for d in (1, 2, 3, 4)]
    assert (where.fs.get_file_info(where.path("observations/device_type=test_air/date=2026-03-01")).type
            == lake.pafs.FileType.Directory)
    stored = sorted(db.scalars(select(Observation.id)))
    assert _lake_ids(where) == stored and lake.watermark(db) == stored[-1]

    again = lake.export(db, where)
    assert (again.rows, again.files) == (0, 0) and _lake_ids(where) == stored

    _send(client, world.air.token, pm25, [[_iso(T0 + timedelta(hours=2, minutes=30)), 999.0]])  # late, day one
    late = lake.export(db, where)
    assert (late.rows, late.files) == (1, 1)
    assert _parts(db).count(("test_air", "2026-03-01")) == 2
    assert lake.compact(db, where) == 1
    assert _parts(db).count(("test_air", "2026-03-01")) == 1 and len(_parts(db)) == 4
    ids = _lake_ids(where)
    assert ids == sorted(db.scalars(select(Observation.id))) and len(ids) == len(set(ids)) == 73
    assert lake.compact(db, where) == 0


def test_a_crashed_run_leaves_nothing_visible(client, db, world, where):
    pm25 = stream(db, world.air, "pm25")
    _send(client, world.air.token, pm25, _hourly(0, 24))
    lake.export(db, where)
    folder = where.path("observations/device_type=test_air/date=2026-03-02")
    where.fs.create_dir(folder)
    with where.fs.open_output_stream(f"{folder}/.part-crashed.parquet.tmp") as out:
        out.write(b"half a file")
    import shutil

    listed = db.scalar(select(LakePart.path).where(LakePart.day == "2026-03-02"))
    shutil.copy(where.path(listed), f"{folder}/part-unlisted.parquet")  # renamed, but the run died before commit
    admin = actor_for(world.admin)
    span = history.parse_span(interval="hour", function="count", start="2026-03-01", end="2026-03-03")
    counts = [v for _t, v in history.series(db, where, actor=admin, datastream_ids=[pm25], span=span)[0]["values"]]
    assert sum(counts) == 24  # the unlisted copy is not read
    assert lake.export(db, where).orphans_removed == 2
    names = sorted(i.base_name for i in where.fs.get_file_info(lake.pafs.FileSelector(folder)))
    assert names == [listed.rsplit("/", 1)[1]]


def _same(got: list[dict], want: list[dict]) -> None:
    assert [s["id"] for s in got] == [s["id"] for s in want]
    for g, w in zip(got, want, strict=True):
        assert [t for t, _v in g["values"]] == [t for t, _v in w["values"]]
        assert [v for _t, v in g["values"]] == pytest.approx([v for _t, v in w["values"]], rel=1e-12)


@pytest.mark.parametrize("interval", ["hour", "day"])
def test_history_over_lake_and_hot_equals_the_rollups(client, db, world, where, interval):
    pm25, o3 = stream(db, world.air, "pm25"), stream(db, world.air, "o3")
    _send(client, world.air.token, pm25, _hourly(0, 40))
    _send(client, world.air.token, o3, _hourly(0, 30))
    lake.export(db, where)  # the first part in the lake, the rest stays hot
    _send(client, world.air.token, pm25, _hourly(40, 72))
    _send(client, world.air.token, o3, _hourly(30, 60) + [[_iso(T0 + timedelta(hours=3, minutes=10)), 1.0]])
    admin = actor_for(world.admin)
    for function in rollups.FUNCTIONS:
        kwargs = {"interval": interval, "function": function, "start": "2026-03-01", "end": "2026-03-05",
                  "datastreams": 2}
        want = rollups.series(db, actor=admin, datastream_ids=[pm25, o3], span=rollups.parse_span(**kwargs))
        got = history.series(db, where, actor=admin, datastream_ids=[pm25, o3], span=history.parse_span(**kwargs))
        _same(got, want)
        assert sum(len(s["values"]) for s in got) > 0


def test_months_and_the_api_keep_visibility_and_audit(client, db, world, where, auth_headers):
    pm25 = stream(db, world.air, "pm25")
    _send(client, world.air.token, pm25, _hourly(0, 72))
    lake.export(db, where)
    audits = db.scalar(select(func.count()).select_from(AuditEntry))
    url = f"/api/v1/iot/history/aggregates?datastreams={pm25}&interval=month&function=count&from=2026-01-01&to=2026-05-01"
    assert client.get(url).status_code == 404  # a closed device, anonymous: as if it did not exist
    assert client.get(url, headers=auth_headers(world.outsider)).status_code == 404
    answer = client.get(url, headers=auth_headers(world.staff))
    assert answer.status_code == 200, answer.text
    assert answer.json()["datastreams"][0]["values"] == [["2026-03-01T00:00:00+08:00", 72]]
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(AuditEntry)) > audits
    bad = client.get(f"/api/v1/iot/history/aggregates?datastreams={pm25}&interval=week", headers=auth_headers(world.staff))
    assert bad.status_code == 400 and bad.json()["field"] == "interval"
    assert client.get("/api/v1/iot/history/observations?datastream=0").status_code in (400, 422)


def test_raw_pages_have_no_duplicate_at_the_watermark(client, db, world, where, auth_headers):
    rain = stream(db, world.rain, "rain")  # the open rain gauge: anyone reads it
    _send(client, world.rain.token, rain, [[_iso(T0 + timedelta(minutes=5 * i)), 0.5] for i in range(30)])
    lake.export(db, where)
    _send(client, world.rain.token, rain, [[_iso(T0 + timedelta(minutes=5 * i)), 1.5] for i in range(30, 55)])
    seen, after = [], None
    while True:
        query = f"datastream={rain}&from=2026-03-01&to=2026-03-03&limit=7" + (f"&after={after}" if after else "")
        page = client.get(f"/api/v1/iot/history/observations?{query}".replace("+", "%2B"))
        assert page.status_code == 200, page.text
        body = page.json()
        seen += body["values"]
        after = body["next"]
        if after is None:
            break
    times = [t for t, _v, _q in seen]
    assert len(times) == len(set(times)) == 55 and times == sorted(times)
    assert [v for _t, v, _q in seen] == [0.5] * 30 + [1.5] * 25


def test_retention_and_hot_pruning_keep_history_whole(client, db, world, where):
    pm25 = stream(db, world.air, "pm25")
    _send(client, world.air.token, pm25, _hourly(0, 72))
    lake.export(db, where)
    _send(client, world.air.token, pm25, _hourly(72, 80))  # newer than the watermark: stays hot
    admin = actor_for(world.admin)
    span = history.parse_span(interval="day", function="count", start="2026-03-01", end="2026-03-06")
    before = history.series(db, where, actor=admin, datastream_ids=[pm25], span=span)[0]["values"]

    types = {k: v.model_copy(update={"hot_days": 1, "retention_days": 2})
             for k, v in device_types.device_types().items()}
    pruned = lake.prune_hot(db, now=T0 + timedelta(days=3), types=types)
    assert pruned == 48  # older than a day and in the lake; the hot rows above the watermark stay
    assert history.series(db, where, actor=admin, datastream_ids=[pm25], span=span)[0]["values"] == before

    assert lake.apply_retention(db, where, today=date(2026, 3, 4), types=types) == 1  # 03-01 is past two days
    assert ("test_air", "2026-03-01") not in _parts(db)
    gone = where.fs.get_file_info(where.path("observations/device_type=test_air/date=2026-03-01"))
    assert gone.type == lake.pafs.FileType.NotFound
    after = history.series(db, where, actor=admin, datastream_ids=[pm25], span=span)[0]["values"]
    assert after == before[1:]


def test_anonymous_reads_open_device_history(client, db, world, where):
    rain = stream(db, world.rain, "rain")
    _send(client, world.rain.token, rain, [[_iso(T0 + timedelta(minutes=5 * i)), 0.5] for i in range(12)])
    lake.export(db, where)
    span = history.parse_span(interval="hour", function="sum", start="2026-03-01", end="2026-03-02")
    values = history.series(db, where, actor=ANONYMOUS, datastream_ids=[rain], span=span)[0]["values"]
    assert [v for _t, v in values] == [6.0]


def test_an_export_that_dies_before_its_commit_is_redone_once(client, db, world, where, monkeypatch):
    pm25 = stream(db, world.air, "pm25")
    _send(client, world.air.token, pm25, _hourly(0, 48))

    def die(*_args, **_kwargs):
        raise RuntimeError("killed between the rename and the commit")

    monkeypatch.setattr(lake, "_set_state", die)
    with pytest.raises(RuntimeError):
        lake.export(db, where)
    monkeypatch.undo()
    db.rollback()
    assert lake.watermark(db) == 0 and _parts(db) == []
    renamed = [i for i in where.fs.get_file_info(lake.pafs.FileSelector(where.path(lake.TABLE), recursive=True))
               if i.base_name.endswith(".parquet")]
    assert renamed  # the files were in place, unlisted
    admin = actor_for(world.admin)
    span = history.parse_span(interval="day", function="count", start="2026-03-01", end="2026-03-05")
    assert sum(v for _t, v in history.series(db, where, actor=admin, datastream_ids=[pm25], span=span)[0]["values"]) == 48

    done = lake.export(db, where)
    assert done.rows == 48 and done.orphans_removed == len(renamed)
    ids = _lake_ids(where)
    assert len(ids) == len(set(ids)) == 48


def test_one_writer_at_a_time(db, world, where):
    with lake.leased(db), pytest.raises(lake.Busy):
        lake.export(db, where)
    assert lake.export(db, where).rows == 0  # the lease was given back


def test_the_cli_exports_compacts_prunes_and_reports(client, settings, db, world, where, monkeypatch):
    from typer.testing import CliRunner

    from zhicheng.cli import app
    from zhicheng.core.settings import get_settings

    pm25 = stream(db, world.air, "pm25")
    _send(client, world.air.token, pm25, _hourly(0, 30))
    for name, value in (("ZHICHENG_DATA", str(settings.data)), ("ZHICHENG_DATABASE_URL", settings.db_url),
                        ("ZHICHENG_SECRET_KEY", settings.secret_key)):
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        exported = runner.invoke(app, ["iot", "lake", "export"])
        assert exported.exit_code == 0 and "30" in exported.output, exported.output
        _send(client, world.air.token, pm25, [[_iso(T0 + timedelta(minutes=20)), 5.0]])
        assert runner.invoke(app, ["iot", "lake", "export"]).exit_code == 0
        compacted = runner.invoke(app, ["iot", "lake", "compact"])
        assert compacted.exit_code == 0 and "1" in compacted.output, compacted.output
        assert runner.invoke(app, ["iot", "lake", "prune"]).exit_code == 0
        shown = runner.invoke(app, ["iot", "lake", "status"])
        assert shown.exit_code == 0 and "test_air" in shown.output and "31" in shown.output, shown.output
        with lake.leased(db):
            busy = runner.invoke(app, ["iot", "lake", "export"])
        assert busy.exit_code == 1 and "another process" in busy.output
    finally:
        get_settings.cache_clear()


def test_the_servers_pass_exports_and_compacts_but_deletes_nothing(client, db, world, where):
    pm25 = stream(db, world.air, "pm25")
    _send(client, world.air.token, pm25, _hourly(0, 6))
    lake.export(db, where)
    _send(client, world.air.token, pm25, [[_iso(T0 + timedelta(minutes=30)), 3.0]])
    assert lake.run_pass(db, where) == {"exported": 1, "compacted": 1}
    assert db.scalar(select(func.count()).select_from(Observation)) == 7
    # March is past the default 90 hot days: pruned from the hot store (but the newest row), kept in the lake
    assert lake.run_pass(db, where, prune=True) == {"exported": 0, "compacted": 0, "expired": 0, "pruned": 6}
    span = history.parse_span(interval="day", function="count", start="2026-03-01", end="2026-03-03")
    counts = history.series(db, where, actor=actor_for(world.admin), datastream_ids=[pm25], span=span)[0]["values"]
    assert sum(v for _t, v in counts) == 7


def test_the_lake_may_be_a_url(client, db, world, settings, tmp_path):
    where = lake.open_lake(settings.model_copy(update={"lake_url": f"file://{tmp_path}/elsewhere/lake"}))
    assert where.local and where.root == f"{tmp_path}/elsewhere/lake"
    rain = stream(db, world.rain, "rain")
    _send(client, world.rain.token, rain, [[_iso(T0 + timedelta(minutes=5 * i)), 0.5] for i in range(12)])
    assert lake.export(db, where).rows == 12
    assert (tmp_path / "elsewhere/lake/observations/device_type=test_rain/date=2026-03-01").is_dir()
    span = history.parse_span(interval="hour", function="count", start="2026-03-01", end="2026-03-02")
    assert history.series(db, where, actor=ANONYMOUS, datastream_ids=[rain], span=span)[0]["values"][0][1] == 12
