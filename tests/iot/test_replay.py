"""A department registers a national air station of the environment type and replays a recorded week of the UCI
Beijing series into it through the one write path: every value that is not NA is stored once (CO in mg/m³), a
second replay stores nothing new, --shift-to-now makes the week end at the current hour and says where it came from,
and bad input is one line and a non-zero exit."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from zhicheng.accounts.service import actor_for
from zhicheng.core import clock
from zhicheng.core.errors import AppError
from zhicheng.iot import replay, service
from zhicheng.iot.models import Datastream, Observation

FIXTURE = Path("/work/shared/data/sensors/beijing_multisite_aq/fixture_2017-02-01_to_07_all12stations.csv")
GAPS = ("", "NA")  # the week's file leaves gaps empty; the full files write NA
REPLAYED = ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3", "TEMP", "PRES", "WSPM")

pytestmark = pytest.mark.skipif(not FIXTURE.exists(), reason=f"{FIXTURE} not present")


def _rows(station: str) -> list[dict]:
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["station"] == station]


def _values(station: str) -> int:
    return sum(row[c] not in GAPS for row in _rows(station) for c in REPLAYED)


@pytest.fixture
def officer(make_user, departments):
    return make_user("env_officer", roles=["data_officer"], department=departments["police"])


@pytest.fixture
def dongsi(db, officer, departments):
    return service.register_device(db, actor=actor_for(officer), department_id=departments["police"].id,
                                   device_type="air_station", code="BJ-DONGSI", name="东四 Dongsi 国控站",
                                   lon=116.417, lat=39.929).thing


def _count(db, thing) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Observation).join(Datastream)
                     .where(Datastream.thing_id == thing.id))


def test_a_week_replays_once_with_co_in_mg_and_gaps_skipped(db, officer, dongsi):
    actor = actor_for(officer)
    devices = replay.resolve_devices(db, actor=actor, mapping={"Dongsi": "BJ-DONGSI"})
    sources = replay.sources_for(FIXTURE, list(devices))
    seen: list[int] = []
    done = replay.replay(db, devices=devices, sources=sources, speed=0, progress=seen.append)
    expected = _values("Dongsi")
    assert expected < 168 * len(REPLAYED)  # the week has gaps at Dongsi
    assert (done.rows, done.stored, done.duplicates, done.quarantined) == (168, expected, 0, 0)
    assert done.gaps == 168 * len(REPLAYED) - expected and sum(seen) == 168
    assert _count(db, dongsi) == expected
    first = _rows("Dongsi")[0]
    co = db.scalars(select(Observation.result_number).join(Datastream).where(
        Datastream.thing_id == dongsi.id, Datastream.key == "co").order_by(Observation.phenomenon_time)).first()
    assert co == pytest.approx(float(first["CO"]) / 1000)
    stored = db.scalars(select(Observation).join(Datastream).where(Datastream.thing_id == dongsi.id)
                        .order_by(Observation.phenomenon_time)).first()
    assert clock.local(stored.phenomenon_time) == datetime(2017, 2, 1, 0, tzinfo=clock.LOCAL_TZ)
    assert stored.parameters == {"replayed_from": replay.SOURCE}

    again = replay.replay(db, devices=devices, sources=sources, speed=0)
    assert (again.stored, again.duplicates) == (0, expected)
    assert _count(db, dongsi) == expected


def test_shift_to_now_ends_the_week_at_the_current_hour(db, officer, dongsi):
    devices = replay.resolve_devices(db, actor=actor_for(officer))  # found by the station in its name
    assert list(devices) == ["Dongsi"]
    sources = replay.sources_for(FIXTURE, ["Dongsi"])
    since = datetime(2017, 2, 7, 20, tzinfo=clock.LOCAL_TZ)
    done = replay.replay(db, devices=devices, sources=sources, since=since, shift_to_now=True)
    assert done.rows == 4 and done.stored == sum(
        row[c] not in GAPS for row in _rows("Dongsi")[-4:] for c in REPLAYED)
    hour = clock.now().astimezone(clock.LOCAL_TZ).replace(minute=0, second=0, microsecond=0)
    assert done.shift == hour - datetime(2017, 2, 7, 23, tzinfo=clock.LOCAL_TZ)
    db.expire_all()
    latest = db.scalars(select(Observation).join(Datastream).where(Datastream.thing_id == dongsi.id)
                        .order_by(Observation.phenomenon_time.desc())).first()
    assert clock.aware(latest.phenomenon_time) == hour
    assert latest.parameters == {"replayed_from": replay.SOURCE, "recorded_at": "2017-02-07T23:00:00+08:00"}


def test_speed_paces_the_hours(db, officer, dongsi):
    devices = replay.resolve_devices(db, actor=actor_for(officer))
    waits: list[float] = []
    done = replay.replay(db, devices=devices, sources=replay.sources_for(FIXTURE, ["Dongsi"]), speed=3600,
                         since=datetime(2017, 2, 3, tzinfo=clock.LOCAL_TZ),
                         until=datetime(2017, 2, 3, 4, tzinfo=clock.LOCAL_TZ), sleep=waits.append)
    assert done.rows == 4 and waits == [1.0, 1.0, 1.0]


def test_bad_stations_devices_and_files_are_refused(db, officer, dongsi, tmp_path):
    actor = actor_for(officer)
    with pytest.raises(AppError) as bad_station:
        replay.parse_mapping(["Atlantis=BJ-DONGSI"])
    assert bad_station.value.field == "map" and "Atlantis" in bad_station.value.en
    with pytest.raises(AppError) as no_device:
        replay.resolve_devices(db, actor=actor, mapping={"Dongsi": "NOPE"})
    assert "NOPE" in no_device.value.en
    with pytest.raises(AppError) as no_file:
        replay.sources_for(tmp_path / "missing.csv.gz", ["Dongsi"])
    assert no_file.value.field == "source"
    service.set_enabled(db, actor=actor, thing_id=dongsi.id, enabled=False)
    with pytest.raises(AppError, match="disabled"):
        replay.resolve_devices(db, actor=actor, mapping={"Dongsi": str(dongsi.id)})


@pytest.fixture
def instance(settings, monkeypatch):
    from zhicheng.core.settings import get_settings

    monkeypatch.setenv("ZHICHENG_DATA", str(settings.data))
    monkeypatch.setenv("ZHICHENG_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("ZHICHENG_SECRET_KEY", settings.secret_key)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_zhicheng_iot_replay_and_its_alias(db, dongsi, instance):
    from zhicheng.cli import app

    day = [row for row in _rows("Dongsi") if row["day"] == "1"]
    done = CliRunner().invoke(app, ["iot", "replay", str(FIXTURE), "--map", "dongsi=BJ-DONGSI", "--speed", "0",
                                    "--until", "2017-02-01"])
    assert done.exit_code == 0, done.output
    expected = sum(row[c] not in GAPS for row in day for c in REPLAYED)
    assert f"新存 stored {expected}" in done.output and "UCI Beijing" in done.output
    assert _count(db, dongsi) == expected
    alias = CliRunner().invoke(app, ["replay", str(FIXTURE), "--until", "2017-02-01"])
    assert alias.exit_code == 0, alias.output
    assert f"重复 duplicates {expected}" in alias.output and _count(db, dongsi) == expected


@pytest.mark.parametrize("args", [
    ["missing.csv.gz"],
    [str(FIXTURE), "--map", "Atlantis=BJ-DONGSI"],
    [str(FIXTURE), "--map", "Dongsi=NO-SUCH-DEVICE"],
    [str(FIXTURE), "--since", "yesterday"],
])
def test_bad_input_is_one_line_and_a_non_zero_exit(args, dongsi, instance, monkeypatch, capsys):
    from zhicheng import cli

    monkeypatch.setattr("sys.argv", ["zhicheng", "replay", *args])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("错误 / error:"), err


def test_read_hours_streams_one_stations_window_in_beijing_time():
    hours = replay.read_hours(FIXTURE, "Dongsi", since=datetime(2017, 2, 6, 23, tzinfo=clock.LOCAL_TZ),
                              until=datetime(2017, 2, 7, 1, tzinfo=clock.LOCAL_TZ))
    assert [h.at.isoformat() for h in hours] == ["2017-02-06T23:00:00+08:00", "2017-02-07T00:00:00+08:00"]
