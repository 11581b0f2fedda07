"""The rain replay: the UCI five cities' hourly precipitation (UCI's per-city files, or a slice with a `city` column)
streamed into a rain gauge's hourly datastream through ingest: NA and sentinel cells are gaps, a second replay
stores nothing new, `zhicheng iot replay --source five-cities` says where it came from, a bad --source is one line
and a non-zero exit; the Beijing replay is unchanged."""

from __future__ import annotations

import gzip
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

RAW = """No,year,month,day,hour,season,PM_City Station,PM_5th Middle School,PM_US Post,DEWP,HUMI,PRES,TEMP,cbwd,Iws,precipitation,Iprec
1,2015,8,14,12,3,NA,NA,30,25,80,1005,29,SE,3,0,0
2,2015,8,14,13,3,NA,NA,31,25,81,1005,29,SE,4,NA,NA
3,2015,8,14,14,3,NA,NA,32,25,90,1004,27,SE,5,36.29999924,36.3
4,2015,8,14,15,3,NA,NA,20,25,95,1004,26,SE,2,22.29999924,58.6
5,2015,8,14,16,3,NA,NA,18,25,95,1004,26,SE,2,999990,58.6
6,2015,8,14,17,3,NA,NA,18,25,95,1004,26,SE,2,0.3,58.9
"""
SLICE = Path(__file__).parents[2] / "src/zhicheng/demo/data/five_cities_rain_2015-08-11_20.csv.gz"


@pytest.fixture
def raw_file(tmp_path) -> Path:
    path = tmp_path / "GuangzhouPM20150814_20150814.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(RAW)
    return path


@pytest.fixture
def officer(make_user, departments):
    return make_user("water_officer", roles=["data_officer"], department=departments["housing"])


@pytest.fixture
def gauge(db, officer, departments):
    return service.register_device(db, actor=actor_for(officer), department_id=departments["housing"].id,
                                   device_type="rain_gauge", code="RAIN-GZ", name="广州 Guangzhou 雨量站",
                                   lon=112.98, lat=28.19).thing


def _values(db, thing) -> list[float]:
    db.expire_all()
    return list(db.scalars(select(Observation.result_number).join(Datastream).where(
        Datastream.thing_id == thing.id, Datastream.key == replay.RAIN_KEY).order_by(Observation.phenomenon_time)))


def test_read_rain_hours_reads_uci_files_and_the_bundled_slice(raw_file):
    hours = list(replay.read_rain_hours(raw_file, "Guangzhou"))
    assert [h.at.hour for h in hours] == [12, 13, 14, 15, 16, 17]
    assert [h.values.get(replay.RAIN_KEY) for h in hours] == [0.0, None, 36.3, 22.3, None, 0.3]
    assert [h.gaps for h in hours] == [0, 1, 0, 0, 1, 0]  # NA and the 999990 sentinel
    assert hours[0].at == datetime(2015, 8, 14, 12, tzinfo=clock.LOCAL_TZ)
    since, until = datetime(2015, 8, 14, 10, tzinfo=clock.LOCAL_TZ), datetime(2015, 8, 14, 16, tzinfo=clock.LOCAL_TZ)
    window = list(replay.read_rain_hours(SLICE, "Guangzhou", since, until))
    assert len(window) == 6 and {h.station for h in window} == {"Guangzhou"}
    assert max(h.values.get(replay.RAIN_KEY, 0) for h in window) == 36.3
    chengdu = list(replay.read_rain_hours(SLICE, "Chengdu", since, until))  # a slice holds every city
    assert len(chengdu) == 6 and chengdu[0].values[replay.RAIN_KEY] == 19.5


def test_the_rain_replays_once_into_a_gauge(db, officer, gauge, raw_file):
    series = replay.series_kind("five-cities")
    devices = replay.resolve_devices(db, actor=actor_for(officer), mapping={"Guangzhou": "RAIN-GZ"},
                                     names=series.names)
    sources = series.sources_for(raw_file.parent, ["Guangzhou"])
    done = replay.replay(db, devices=devices, sources=sources, reader=series.reader, source_name=series.source)
    assert (done.rows, done.stored, done.gaps, done.quarantined) == (6, 4, 2, 0)
    assert _values(db, gauge) == [0.0, 36.3, 22.3, 0.3]
    again = replay.replay(db, devices=devices, sources=sources, reader=series.reader, source_name=series.source)
    assert (again.stored, again.duplicates) == (0, 4)
    db.expire_all()
    params = db.scalars(select(Observation.parameters).join(Datastream).where(Datastream.thing_id == gauge.id)).first()
    assert params == {"replayed_from": replay.RAIN_SOURCE}


def test_shift_to_now_ends_the_rain_at_the_current_hour(db, officer, gauge, raw_file):
    devices = {"Guangzhou": gauge}
    done = replay.replay(db, devices=devices, sources={"Guangzhou": raw_file}, shift_to_now=True,
                         reader=replay.read_rain_hours, source_name=replay.RAIN_SOURCE)
    db.expire_all()
    last = db.scalar(select(func.max(Observation.phenomenon_time)).join(Datastream)
                     .where(Datastream.thing_id == gauge.id))
    hour = clock.now().replace(minute=0, second=0, microsecond=0)
    assert clock.aware(last) == hour and done.stored == 4


def test_bad_cities_and_sources_are_refused(db, officer, gauge, tmp_path):
    with pytest.raises(AppError) as bad:
        replay.parse_mapping(["Atlantis=RAIN-GZ"], replay.CITIES)
    assert bad.value.field == "map"
    with pytest.raises(AppError) as bad:
        replay.series_kind("tokyo")
    assert bad.value.field == "source"
    with pytest.raises(AppError) as bad:
        replay.rain_sources_for(tmp_path, ["Chengdu"])
    assert bad.value.field == "source"
    broken = tmp_path / "broken.csv"
    broken.write_text("city,year,month\nGuangzhou,2015,8\n", encoding="utf-8")
    with pytest.raises(AppError) as bad:
        list(replay.read_rain_hours(broken, "Guangzhou"))
    assert bad.value.field == "source"


@pytest.fixture
def instance(settings, monkeypatch):
    from zhicheng.core.settings import get_settings

    monkeypatch.setenv("ZHICHENG_DATA", str(settings.data))
    monkeypatch.setenv("ZHICHENG_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("ZHICHENG_SECRET_KEY", settings.secret_key)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_zhicheng_iot_replay_source_five_cities(db, gauge, raw_file, instance, monkeypatch, capsys):
    from zhicheng import cli
    from zhicheng.cli import app

    done = CliRunner().invoke(app, ["iot", "replay", str(raw_file), "--source", "five-cities", "--map",
                                    "guangzhou=RAIN-GZ"])
    assert done.exit_code == 0, done.output
    assert "新存 stored 4" in done.output and "Five Chinese Cities" in done.output
    assert _values(db, gauge) == [0.0, 36.3, 22.3, 0.3]
    monkeypatch.setattr("sys.argv", ["zhicheng", "iot", "replay", str(raw_file), "--source", "tokyo"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("错误 / error:"), err
