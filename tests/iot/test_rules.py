"""Rules turn telemetry into alarms as it is ingested: a threshold held for a minimum duration, cleared only past its
hysteresis level; a rate of change; a composite over several datastreams; active windows in Beijing time; no data
found by the periodic sweep; templates from the scenario plugins; a bad rule refused naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from zhicheng.accounts.service import actor_for
from zhicheng.core import clock
from zhicheng.core.errors import Forbidden, Invalid
from zhicheng.core.events import bus
from zhicheng.iot import ingest, rule_engine, rules
from zhicheng.iot.models import Alarm, AlarmHistory

BASE = (datetime.now(UTC) - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


def at(hours: float) -> datetime:
    return BASE + timedelta(hours=hours)


def send(db, registered, key: str, when: datetime, value) -> None:
    ingest.ingest(db, thing=registered.thing, items=[ingest.Incoming(key, when.isoformat(), value)], channel="batch")


def alarms_of(db, rule) -> list[Alarm]:
    db.expire_all()
    return list(db.scalars(select(Alarm).where(Alarm.rule_id == rule.id).order_by(Alarm.id)))


def make(db, actor, **body):
    return rules.create(db, actor=actor, body={"name": "r", "severity": "major", **body})


@pytest.fixture
def officer(world):
    return actor_for(world.officer)


def test_threshold_waits_for_the_minimum_duration_and_clears_past_the_hysteresis(db, world, officer):
    rule = make(db, officer, kind="threshold", scope="device", thing_id=world.air.thing.id,
                params={"datastream": "pm25", "op": ">", "value": 75, "clear": 65, "for_seconds": 7200})
    send(db, world.air, "pm25", at(0), 80)
    send(db, world.air, "pm25", at(1), 90)
    assert alarms_of(db, rule) == []  # one hour over: not yet two
    send(db, world.air, "pm25", at(2), 85)
    [alarm] = alarms_of(db, rule)
    assert (alarm.state, alarm.value, alarm.severity, alarm.count) == ("raised", 85, "major", 1)
    send(db, world.air, "pm25", at(3), 70)  # under 75 but above 65: the episode goes on
    assert alarms_of(db, rule)[0].state == "raised"
    send(db, world.air, "pm25", at(4), 60)
    [alarm] = alarms_of(db, rule)
    assert alarm.state == "cleared" and alarm.cleared_at is not None
    send(db, world.air, "pm25", at(1.5), 500)  # late data is not evaluated again
    assert alarms_of(db, rule)[0].state == "cleared"


def test_a_condition_broken_before_the_duration_starts_again(db, world, officer):
    rule = make(db, officer, kind="threshold", scope="device", thing_id=world.air.thing.id,
                params={"datastream": "pm25", "op": ">", "value": 75, "for_seconds": 7200})
    for hour, value in ((0, 80), (1, 80), (2, 50), (3, 80), (4, 80)):
        send(db, world.air, "pm25", at(hour), value)
    assert alarms_of(db, rule) == []
    send(db, world.air, "pm25", at(5), 80)
    assert len(alarms_of(db, rule)) == 1


def test_a_repeat_while_open_is_counted_on_one_alarm(db, world, officer):
    rule = make(db, officer, kind="threshold", scope="device", thing_id=world.air.thing.id,
                params={"datastream": "pm25", "op": ">=", "value": 100})
    for hour, value in ((0, 120), (1, 10), (2, 130), (3, 10), (4, 140)):
        send(db, world.air, "pm25", at(hour), value)
    [alarm] = alarms_of(db, rule)
    assert alarm.count == 3 and alarm.state == "raised" and alarm.value == 140
    actions = [h.action for h in db.scalars(select(AlarmHistory).where(AlarmHistory.alarm_id == alarm.id)
                                            .order_by(AlarmHistory.id))]
    assert actions == ["raised", "cleared", "raised", "cleared", "raised"]


def test_rate_of_change(db, world, officer):
    rule = make(db, officer, kind="rate", scope="device", thing_id=world.air.thing.id,
                params={"datastream": "pm25", "direction": "rise", "amount": 50, "per": 3600})
    send(db, world.air, "pm25", at(0), 10)
    send(db, world.air, "pm25", at(1), 40)  # +30 an hour
    assert alarms_of(db, rule) == []
    send(db, world.air, "pm25", at(1.5), 80)  # +40 in half an hour: 80 an hour
    [alarm] = alarms_of(db, rule)
    assert alarm.state == "raised" and alarm.value == pytest.approx(80)
    send(db, world.air, "pm25", at(2.5), 70)
    assert alarms_of(db, rule)[0].state == "cleared"


def test_composite_all_over_two_datastreams(db, world, officer):
    rule = make(db, officer, kind="composite", scope="device_type", device_type="test_air",
                params={"mode": "all", "conditions": [{"datastream": "pm25", "op": ">", "value": 75},
                                                      {"datastream": "o3", "op": ">", "value": 160}]})
    send(db, world.air, "pm25", at(0), 100)
    assert alarms_of(db, rule) == []
    send(db, world.air, "o3", at(0.5), 200)
    [alarm] = alarms_of(db, rule)
    assert alarm.source == f"thing:{world.air.thing.id}" and alarm.department_id == world.air.thing.department_id
    send(db, world.air, "o3", at(1), 100)
    assert alarms_of(db, rule)[0].state == "cleared"


def test_time_windows_in_beijing_time(db, world, officer):
    rule = make(db, officer, kind="threshold", scope="device", thing_id=world.air.thing.id,
                params={"datastream": "o3", "op": ">", "value": 50},
                windows=[{"start": "22:00", "end": "06:00"}])
    day = clock.local(BASE).replace(hour=0) - timedelta(days=1)
    send(db, world.air, "o3", day.replace(hour=12), 90)  # noon in Beijing: outside the window
    assert alarms_of(db, rule) == []
    send(db, world.air, "o3", day.replace(hour=23), 90)
    assert alarms_of(db, rule)[0].state == "raised"
    send(db, world.air, "o3", (day + timedelta(days=1)).replace(hour=7), 90)  # morning: the window has ended
    assert alarms_of(db, rule)[0].state == "cleared"
    compiled = rule_engine.ruleset(db).by_thing[world.air.thing.id][0]
    assert compiled.active_at((day + timedelta(days=1)).replace(hour=5, minute=59))


def test_no_data_sweep_raises_and_data_clears(db, world, officer):
    rule = make(db, officer, kind="no_data", scope="device", thing_id=world.air.thing.id,
                params={"datastream": "pm25", "after": 3 * 3600})
    assert rule_engine.sweep(db, clock.now()) == 0  # registered just now: not silent yet
    assert rule_engine.sweep(db, clock.now() + timedelta(hours=4)) == 1
    [alarm] = alarms_of(db, rule)
    assert alarm.state == "raised" and alarm.value >= 4 * 3600 - 5
    assert rule_engine.sweep(db, clock.now() + timedelta(hours=5)) == 1
    assert alarms_of(db, rule)[0].count == 1  # still the same silence
    send(db, world.air, "pm25", datetime.now(UTC) - timedelta(minutes=1), 20)
    assert alarms_of(db, rule)[0].state == "cleared"


def test_offline_rule_without_datastream_reads_last_seen(db, world, officer):
    rule = make(db, officer, kind="no_data", scope="device_type", device_type="test_air", params={"after": 600})
    assert rule_engine.sweep(db, clock.now() + timedelta(hours=1)) == 1
    [alarm] = alarms_of(db, rule)
    assert alarm.source == f"thing:{world.air.thing.id}" and alarm.datastream_id is None


def test_device_type_rule_of_a_department_reaches_only_its_devices(db, world, departments):
    admin = actor_for(world.admin)
    rule = make(db, admin, kind="threshold", scope="device_type", device_type="test_rain",
                department_id=departments["police"].id, params={"datastream": "rain", "op": ">", "value": 10})
    send(db, world.rain, "rain", at(0), 50)  # the rain gauge is the housing bureau's
    assert alarms_of(db, rule) == []


def test_rules_are_recompiled_when_changed(db, world, officer):
    rule = make(db, officer, kind="threshold", scope="device", thing_id=world.air.thing.id,
                params={"datastream": "pm25", "op": ">", "value": 75})
    assert rule_engine.ruleset(db).by_thing[world.air.thing.id][0].params.value == 75
    rules.update(db, actor=officer, rule_id=rule.id, body={
        "name": "r", "kind": "threshold", "scope": "device", "thing_id": world.air.thing.id,
        "params": {"datastream": "pm25", "op": ">", "value": 150}})
    assert rule_engine.ruleset(db).by_thing[world.air.thing.id][0].params.value == 150
    rules.set_enabled(db, actor=officer, rule_id=rule.id, enabled=False)
    assert not rule_engine.ruleset(db).by_thing.get(world.air.thing.id)


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "threshold", "scope": "device", "params": {"datastream": "pm25", "op": ">", "value": 1}}, "thing_id"),
    ({"kind": "threshold", "scope": "device", "params": {"datastream": "pm25", "op": "~", "value": 1}},
     "params.op"),
    ({"kind": "threshold", "scope": "device", "params": {"datastream": "pm25", "op": ">", "value": 75,
                                                         "clear": 80}}, "params.clear"),
    ({"kind": "threshold", "scope": "device", "params": {"datastream": "nope", "op": ">", "value": 1}},
     "params.datastream"),
    ({"kind": "composite", "scope": "device", "params": {"mode": "all", "conditions": [
        {"datastream": "pm25", "op": ">", "value": 1}, {"datastream": "x", "op": ">", "value": 1}]}},
     "params.conditions.1.datastream"),
    ({"kind": "threshold", "scope": "device", "params": {"datastream": "pm25", "op": ">", "value": 1},
      "windows": [{"start": "25:00", "end": "06:00"}]}, "windows.0.start"),
    ({"kind": "loud", "scope": "device", "params": {}}, "kind"),
    ({"kind": "threshold", "scope": "device_type", "device_type": "nope", "params": {"datastream": "pm25",
                                                                                    "op": ">", "value": 1}},
     "device_type"),
])
def test_a_bad_rule_is_refused_naming_the_field(db, world, officer, body, field):
    if field != "thing_id":
        body = {"thing_id": world.air.thing.id, **body}
    with pytest.raises(Invalid) as bad:
        make(db, officer, **body)
    assert bad.value.field == field, bad.value.en


def test_only_the_departments_officer_or_the_admin_manages_its_rules(db, world):
    body = {"kind": "threshold", "scope": "device", "thing_id": world.air.thing.id,
            "params": {"datastream": "pm25", "op": ">", "value": 1}}
    for who in (world.other_officer, world.staff):
        with pytest.raises(Forbidden):
            make(db, actor_for(who), **body)
    with pytest.raises(Forbidden):  # another department's rule
        make(db, actor_for(world.officer), kind="no_data", scope="device_type", device_type="test_air",
             department_id=world.rain.thing.department_id, params={"after": 600})
    mine = make(db, actor_for(world.officer), kind="no_data", scope="device_type", device_type="test_air",
                params={"after": 600})
    assert mine.department_id == world.air.thing.department_id  # an officer's rule is its department's
    assert make(db, actor_for(world.admin), **body).department_id == world.air.thing.department_id


def test_scenario_templates_fit_their_device_types(db, make_user):
    admin = actor_for(make_user("tpl_admin", roles=["admin"]))
    found = rules.templates()
    assert {"env_pm25_2h", "env_noise_night", "flood_waterlogging_30cm", "flood_pipe_pressure_drop"} <= set(found)
    for key in found:
        rule = rules.create(db, actor=admin, body=rules.from_template(key))
        assert rule.template == key and rule.scope == "device_type"
    assert found["env_noise_night"].windows[0].start == "22:00"


def test_evaluation_publishes_each_transition(db, world, officer):
    heard = []

    def hear(name, payload):
        heard.append((name, payload))

    for name in ("iot.alarm.raised", "iot.alarm.cleared"):
        bus.subscribe(name, hear)
    try:
        make(db, officer, kind="threshold", scope="device", thing_id=world.air.thing.id,
             params={"datastream": "pm25", "op": ">", "value": 75})
        send(db, world.air, "pm25", at(0), 99)
        send(db, world.air, "pm25", at(1), 9)
    finally:
        for name in ("iot.alarm.raised", "iot.alarm.cleared"):
            bus.unsubscribe(name, hear)
    assert [n for n, _p in heard] == ["iot.alarm.raised", "iot.alarm.cleared"]
    payload = heard[0][1]
    assert payload["thing"] == "AIR-001" and payload["severity"] == "major" and payload["value"] == 99
    assert payload["rule"] == "r" and payload["alarm_id"]
