"""The demo city's IoT: the environment and flood scenarios' demo step registers their devices as the bureaus' data
officers at generated sites inside Changsha's real districts (labelled), seeds three days of history through ingest
and makes the alarm rules from the scenarios' templates, once; the replay thread streams the bundled real series
into them, raises a PM2.5 exceedance and a waterlogging alarm within its first hours, reports its status and stops
cleanly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from zhicheng.core import clock
from zhicheng.core.db import make_sessionmaker
from zhicheng.demo import iot_replay
from zhicheng.demo.context import DemoContext
from zhicheng.demo.loader import ensure_departments, ensure_users
from zhicheng.hookspecs import installed
from zhicheng.iot.models import Alarm, Datastream, Location, Observation, Rule, Thing, ThingLocation


@pytest.fixture
def factory(engine):
    return make_sessionmaker(engine)


@pytest.fixture
def context(settings, factory, monkeypatch):
    monkeypatch.setenv("ZHICHENG_DEMO_PASSWORD", "Changsha2026demo")
    with factory() as db:
        depts = ensure_departments(db)
        users = ensure_users(db, depts)
        yield DemoContext(db=db, settings=settings, departments=depts, users=users, resource_ids={})


def _observations(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Observation))


@pytest.mark.slow
def test_the_demo_step_registers_labelled_devices_inside_changsha_once(context):
    db = context.db
    installed().hook.zhicheng_demo_data(context=context)  # the scenarios' hooks, as the loader calls them
    things = {t.code: t for t in db.scalars(select(Thing).where(Thing.code.startswith("DEMO-")))}
    kinds = {}
    for thing in things.values():
        kinds[thing.device_type] = kinds.get(thing.device_type, 0) + 1
    assert kinds == {"air_station": 12, "water_quality_station": 4, "noise_station": 4, "rain_gauge": 5,
                     "water_level_station": 3, "waterlogging_sensor": 6}
    assert {t.properties["feed"]["series"] for t in things.values() if t.device_type == "air_station"} == set(
        iot_replay.replay.STATIONS)
    for thing in things.values():
        location = db.scalar(select(Location).join(ThingLocation).where(ThingLocation.thing_id == thing.id))
        lon, lat = location.location["coordinates"]
        district = iot_replay.district_of(lon, lat)
        assert district is not None, thing.code  # inside the real geography
        assert thing.properties.get("district_code", district) == district, thing.code
        assert thing.properties["generated"] is True and "生成" in thing.description and "生成" in thing.properties["site"]
        assert thing.properties["replayed"]
    eco, water, housing = (context.departments[k].id for k in ("eco", "water", "housing"))
    assert {t.department_id for t in things.values() if t.device_type == "air_station"} == {eco}
    assert {t.department_id for t in things.values() if t.device_type == "rain_gauge"} == {water}
    assert {t.department_id for t in things.values() if t.device_type == "waterlogging_sensor"} == {housing}
    level = things["DEMO-LEVEL-01"]
    assert level.properties["warning_level"] == 36.0 and level.properties["guarantee_level"] == 38.37
    assert "UCI" in things["DEMO-AIR-01"].description and "CC BY 4.0" in things["DEMO-RAIN-01"].description

    # three days of history, through ingest, ending where the replay starts (REPLAY_HOURS before now)
    seeded = _observations(db)
    assert seeded == context.counts["environment_observations"] + context.counts["flood_observations"] > 5000
    pm25 = db.scalar(select(Datastream).where(Datastream.thing_id == things["DEMO-AIR-04"].id,
                                              Datastream.key == "pm25"))
    first, last = clock.aware(pm25.phenomenon_time_start), clock.aware(pm25.phenomenon_time_end)
    assert last - first <= timedelta(hours=iot_replay.HISTORY_HOURS - 1)
    assert last <= clock.now() - timedelta(hours=iot_replay.REPLAY_HOURS - 1)
    templates = set(db.scalars(select(Rule.template)))
    assert {"env_pm25_2h", "flood_waterlogging_15cm", "flood_waterlogging_30cm",
            "flood_river_warning_level"} <= templates
    river_rule = db.scalar(select(Rule).where(Rule.thing_id == level.id))
    assert river_rule.params["value"] == 36.0
    rules = db.scalar(select(func.count()).select_from(Rule))

    # a second load (an interrupted one resuming) adds nothing
    installed().hook.zhicheng_demo_data(context=context)
    assert db.scalar(select(func.count()).select_from(Thing).where(Thing.code.startswith("DEMO-"))) == 34
    assert _observations(db) == seeded and db.scalar(select(func.count()).select_from(Rule)) == rules
    assert context.counts["environment_devices"] == context.counts["flood_devices"] == 0


@pytest.mark.slow
def test_the_replay_streams_the_series_raises_alarms_and_stops(context, factory):
    db = context.db
    installed().hook.zhicheng_demo_data(context=context)
    seeded = _observations(db)
    runner = iot_replay.DemoReplay(factory, seconds_per_hour=0, steps=6).start()
    runner.stop(timeout=120)  # stop() between hours: with no pause it may already be done
    assert not runner.alive
    status = iot_replay.replay_status()
    assert status["state"] in ("finished", "stopped") and status["error"] is None, status
    assert {s["series"] for s in status["series"]} >= {"air", "rain"}
    assert any("Zhang" in s["source"] for s in status["series"])

    done = iot_replay.DemoReplay(factory, seconds_per_hour=0, steps=6)
    done._run()  # the whole six hours in this thread
    status = iot_replay.replay_status()
    assert status["state"] == "finished" and status["step"] == 6 and status["error"] is None
    assert status["air_recorded_at"].startswith("2016-11-19T20:00")
    db.expire_all()
    assert _observations(db) > seeded
    replayed = db.scalars(select(Observation.parameters).where(Observation.parameters.is_not(None))).all()
    assert any(p.get("replayed_from") == iot_replay.replay.SOURCE for p in replayed)
    assert any(p.get("replayed_from") == iot_replay.replay.RAIN_SOURCE for p in replayed)
    # the last replayed hour is stamped REPLAY_HOURS - 6 hours before the current hour, never in the future
    latest = clock.aware(db.scalar(select(func.max(Observation.phenomenon_time))))
    assert latest <= clock.now()
    # within six recorded hours: PM2.5 above 75 for two hours, and standing water of 15 cm at an underpass
    alarms = {(a.rule_name, db.get(Thing, a.thing_id).device_type) for a in db.scalars(select(Alarm))}
    assert any(kind == "air_station" for _name, kind in alarms), alarms
    assert any(kind == "waterlogging_sensor" for _name, kind in alarms), alarms


def test_a_long_pause_is_cut_short_by_stop(factory):
    runner = iot_replay.DemoReplay(factory, seconds_per_hour=3600, steps=3).start()
    runner.stop(timeout=120)
    assert not runner.alive and iot_replay.replay_status()["state"] == "stopped"


def test_the_replay_is_on_by_default_and_can_be_paced_or_turned_off(monkeypatch):
    monkeypatch.delenv("ZHICHENG_DEMO_REPLAY", raising=False)
    monkeypatch.delenv("ZHICHENG_DEMO_REPLAY_SECONDS", raising=False)
    assert iot_replay.replay_settings() == (True, 10.0)
    monkeypatch.setenv("ZHICHENG_DEMO_REPLAY", "off")
    monkeypatch.setenv("ZHICHENG_DEMO_REPLAY_SECONDS", "2.5")
    assert iot_replay.replay_settings() == (False, 2.5)
    monkeypatch.setenv("ZHICHENG_DEMO_REPLAY_SECONDS", "nan")
    assert iot_replay.replay_settings()[1] == 10.0


def test_the_bundled_slices_hold_an_exceedance_and_heavy_rain_early():
    tables = iot_replay.tables()
    first = iot_replay.HISTORY_HOURS
    over = [s for s, hours in tables.air.items()
            if all((hours[o].get("pm25") or 0) > 75 for o in (first + 2, first + 3))]
    assert len(over) >= 6
    assert max(tables.rain["Guangzhou"][first:first + 6]) > 30
    depths = iot_replay.values_at({"kind": "waterlogging", "series": "Guangzhou", "drain_mm_h": 8}, "x", first + 4)[0]
    assert depths["water_depth"] > 30
