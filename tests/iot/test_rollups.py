"""Hourly and daily rollups: a station reports hourly over three days (across Beijing midnights), out of order, then
late values into an earlier hour and a repeat; the rollups always equal the same groups computed in Python from
what was stored, random batches included; a rebuild gives the same rows. Charts read them by API: anyone for an open
device, the department and the admin for a closed one (else 404, as SensorThings), bad parameters 400 naming the
field, one audit entry a request."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from tests.iot.conftest import bearer, hours_ago, stream
from zhicheng.core import clock
from zhicheng.iot import ingest, rollups
from zhicheng.iot.models import DailyRollup, HourlyRollup, Observation
from zhicheng.policy.models import AuditEntry

BEIJING = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)  # 18:00 in Beijing: the first Beijing midnight comes 6 hours in


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _expected(db, ds: int) -> dict[str, dict[datetime, tuple]]:
    """The rollups of `ds` computed in Python from its stored observations: hours in UTC, days of Beijing time."""
    db.expire_all()
    groups: dict[str, dict[datetime, list[float]]] = {"hour": defaultdict(list), "day": defaultdict(list)}
    for at, value in db.execute(select(Observation.phenomenon_time, Observation.result_number)
                                .where(Observation.datastream_id == ds, Observation.result_number.is_not(None))):
        at = clock.aware(at).astimezone(UTC)
        groups["hour"][at.replace(minute=0, second=0, microsecond=0)].append(value)
        day = at.astimezone(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
        groups["day"][day.astimezone(UTC)].append(value)
    return {kind: {b: (len(v), min(v), max(v), sum(v)) for b, v in buckets.items()} for kind, buckets in groups.items()}


def _stored(db, ds: int) -> dict[str, dict[datetime, tuple]]:
    db.expire_all()
    out = {}
    for kind, model in (("hour", HourlyRollup), ("day", DailyRollup)):
        out[kind] = {clock.aware(r.bucket): (r.count, r.min, r.max, r.sum)
                     for r in db.scalars(select(model).where(model.datastream_id == ds))}
    return out


def _assert_same(got: dict, want: dict) -> None:
    for kind in ("hour", "day"):
        assert set(got[kind]) == set(want[kind]), kind
        for bucket, (count, low, high, total) in want[kind].items():
            g = got[kind][bucket]
            assert (g[0], g[1], g[2]) == (count, low, high), (kind, bucket)
            assert g[3] == pytest.approx(total, rel=1e-12, abs=1e-9), (kind, bucket)


def _send(client, world, ds: int, rows: list[list]) -> dict:
    answer = client.post("/api/v1/iot/ingest", headers=bearer(world.air.token),
                         json={"datastream": ds, "observations": rows})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_rollups_follow_ingest_out_of_order_late_and_repeated(client, db, world):
    pm25 = stream(db, world.air, "pm25")
    hourly = [[_iso(T0 + timedelta(hours=i)), float((i * 7) % 50) + 0.5] for i in range(72)]
    assert _send(client, world, pm25, hourly[36:])["stored"] == 36  # the later half first
    assert _send(client, world, pm25, hourly[:36])["stored"] == 36
    got = _stored(db, pm25)
    assert len(got["hour"]) == 72 and len(got["day"]) == 4  # 18:00 day one … 17:00 day four, Beijing time
    first_day = T0.astimezone(BEIJING).replace(hour=0).astimezone(UTC)
    assert got["day"][first_day][0] == 6  # 18:00–23:00 Beijing on the first day
    _assert_same(got, _expected(db, pm25))

    late = [[_iso(T0 + timedelta(hours=5, minutes=30)), 999.0],  # into an earlier hour, after its neighbours
            [_iso(T0 - timedelta(minutes=10)), 1.25],  # before everything: a new hour (17:50 Beijing, the same day)
            [_iso(T0 + timedelta(hours=3)), 500.0]]  # a repeat of a stored time: the first value stays
    out = _send(client, world, pm25, late)
    assert (out["stored"], out["duplicates"]) == (2, 1)
    got = _stored(db, pm25)
    _assert_same(got, _expected(db, pm25))
    hour5 = T0 + timedelta(hours=5)
    assert got["hour"][hour5] == (2, 35.5, 999.0, pytest.approx(1034.5))
    assert got["hour"][T0][3] == 0.5 and got["hour"][T0 - timedelta(hours=1)][0] == 1
    assert _send(client, world, pm25, hourly)["duplicates"] == 72  # redelivery changes nothing
    assert _stored(db, pm25) == got

    door = stream(db, world.rain, "door_open")  # a truth datastream has no rollups
    client.post("/api/v1/iot/ingest", headers=bearer(world.rain.token),
                json={"datastream": door, "observations": [[_iso(T0), True]]})
    assert _stored(db, door) == {"hour": {}, "day": {}}

    db.execute(update(HourlyRollup).where(HourlyRollup.datastream_id == pm25).values(count=0, sum=-1))
    db.execute(update(DailyRollup).values(max=-1))
    db.commit()
    counts = rollups.rebuild(db, datastream_id=pm25)
    assert counts == {"hour": 73, "day": 4}
    assert _stored(db, pm25) == got
    rollups.rebuild(db)
    assert _stored(db, pm25) == got


day_minutes = st.integers(min_value=0, max_value=3 * 24 * 60 - 1)
batches = st.lists(st.tuples(day_minutes, st.floats(min_value=0, max_value=1000, allow_nan=False)),
                   min_size=1, max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=batches)
def test_random_batches_keep_rollups_exact(db, world, batch):
    """Each batch adds to what the earlier examples stored (on the same station): repeats, late and scattered times."""
    pm25 = stream(db, world.air, "pm25")
    items = [ingest.Incoming(pm25, _iso(T0 + timedelta(minutes=m)), v) for m, v in batch]
    outcome = ingest.ingest(db, thing=world.air.thing, items=items, channel="batch")
    assert not outcome.quarantined
    _assert_same(_stored(db, pm25), _expected(db, pm25))


def _audits(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "iot.aggregates.read"))


def test_charts_read_aggregates_by_api(client, db, world, auth_headers):
    pm25, o3 = stream(db, world.air, "pm25"), stream(db, world.air, "o3")
    _send(client, world, pm25, [[_iso(T0 + timedelta(hours=i)), float(i)] for i in range(48)])
    _send(client, world, o3, [[_iso(T0 + timedelta(hours=i)), 2.0 * i] for i in range(48)])
    rain = stream(db, world.rain, "rain")  # the open rain gauge
    client.post("/api/v1/iot/ingest", headers=bearer(world.rain.token), json={"datastream": rain, "observations": [
        [_iso(T0 + timedelta(minutes=5 * i)), 0.5] for i in range(36)]})
    window = "from=2026-03-01&to=2026-03-04"  # Beijing dates

    before = _audits(db)
    public = client.get(f"/api/v1/iot/datastreams/{rain}/aggregates?interval=hour&function=sum&{window}")
    assert public.status_code == 200, public.text
    body = public.json()
    assert body["datastream"]["id"] == rain and body["datastream"]["unit_of_measurement"]["symbol"] == "mm"
    assert body["from"] == "2026-03-01T00:00:00+08:00" and body["values"] == [
        ["2026-03-01T18:00:00+08:00", 6.0], ["2026-03-01T19:00:00+08:00", 6.0], ["2026-03-01T20:00:00+08:00", 6.0]]
    assert _audits(db) == before + 1

    for headers in ({}, auth_headers(world.outsider)):
        closed = client.get(f"/api/v1/iot/datastreams/{pm25}/aggregates?{window}", headers=headers)
        assert closed.status_code == 404 and closed.headers["content-type"].startswith("application/problem+json")
    staff = auth_headers(world.staff)
    daily = client.get(f"/api/v1/iot/datastreams/{pm25}/aggregates?interval=day&function=mean&{window}",
                       headers=staff).json()
    # Beijing days: 18:00–23:00 of 1 March (i = 0…5), all of 2 March (6…29), 00:00–17:00 of 3 March (30…47)
    assert daily["values"] == [["2026-03-01T00:00:00+08:00", 2.5], ["2026-03-02T00:00:00+08:00", 17.5],
                               ["2026-03-03T00:00:00+08:00", 38.5]]
    counts = client.get(f"/api/v1/iot/datastreams/{pm25}/aggregates?interval=day&function=count&{window}",
                        headers=auth_headers(world.admin)).json()["values"]
    assert [v for _t, v in counts] == [6, 24, 18]

    both = client.get(f"/api/v1/iot/aggregates?datastreams={pm25},{o3}&interval=day&function=max&{window}",
                      headers=staff).json()
    assert [s["id"] for s in both["datastreams"]] == [pm25, o3]
    assert [v for _t, v in both["datastreams"][1]["values"]] == [10.0, 58.0, 94.0]
    mixed = client.get(f"/api/v1/iot/aggregates?datastreams={rain},{pm25}&{window}")
    assert mixed.status_code == 404 and mixed.json()["field"] == "datastreams"
    assert client.get(f"/api/v1/iot/aggregates?datastreams={rain},99999999999&{window}").status_code == 404
    assert client.get(f"/api/v1/iot/datastreams/99999999999/aggregates?{window}").status_code == 404
    assert client.get(f"/api/v1/iot/aggregates?datastreams={rain}&{window}").status_code == 200

    recent = _send(client, world, pm25, [[hours_ago(2), 7.0]])
    assert recent["stored"] == 1
    default = client.get(f"/api/v1/iot/datastreams/{pm25}/aggregates", headers=staff).json()  # the last 7 days
    assert default["interval"] == "hour" and default["function"] == "mean" and [v for _t, v in default["values"]] == [7.0]


@pytest.mark.parametrize(("query", "field"), [
    ("interval=week", "interval"),
    ("function=median", "function"),
    ("from=yesterday", "from"),
    ("to=2026-13-01", "to"),
    ("from=2026-03-02&to=2026-03-01", "from"),
    ("interval=hour&from=2024-01-01&to=2026-01-01", "from"),  # 17,544 hours: more than 10,000 buckets
    ("from=0001-01-01", "from"),
    ("to=0001-01-03", "to"),
])
def test_bad_parameters_are_400_naming_the_field(client, db, world, query, field):
    rain = stream(db, world.rain, "rain")
    answer = client.get(f"/api/v1/iot/datastreams/{rain}/aggregates?{query}")
    assert answer.status_code == 400 and answer.json()["field"] == field
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_bad_datastream_lists_are_400(client, db, world):
    rain = stream(db, world.rain, "rain")
    for value in ("", "abc", "1,,x", ",".join(str(i) for i in range(101))):
        answer = client.get(f"/api/v1/iot/aggregates?datastreams={value}")
        assert answer.status_code == 400 and answer.json()["field"] == "datastreams", value
    many = ",".join([str(rain)] * 3)  # the same id thrice counts once
    assert client.get(f"/api/v1/iot/aggregates?datastreams={many}").status_code == 200
    too_long = client.get(f"/api/v1/iot/aggregates?datastreams={rain},{rain + 1000}&interval=hour"
                          "&from=2026-01-01&to=2026-08-01")
    assert too_long.status_code == 400 and too_long.json()["field"] == "from"  # 2 × 5,088 hours


def test_concurrent_batches_into_the_same_hours_stay_exact(engine, db, world):
    """Two writers (their own sessions, as two requests or two MQTT workers) fill the same hours at once."""
    import threading

    from zhicheng.core.db import make_sessionmaker
    from zhicheng.iot.models import Thing

    pm25, thing_id = stream(db, world.air, "pm25"), world.air.thing.id
    factory = make_sessionmaker(engine)
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            with factory() as session:
                thing = session.get(Thing, thing_id)
                for batch in range(15):
                    items = [ingest.Incoming(pm25, _iso(T0 + timedelta(hours=h, minutes=2 * batch + offset)),
                                             float(batch * 10 + offset + h)) for h in range(3)]
                    ingest.ingest(session, thing=thing, items=items, channel="batch")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(offset,)) for offset in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    got = _stored(db, pm25)
    assert [got["hour"][T0 + timedelta(hours=h)][0] for h in range(3)] == [30, 30, 30]
    _assert_same(got, _expected(db, pm25))
