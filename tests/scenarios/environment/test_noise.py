"""GB 3096-2008: the day and night limits of the acoustic functional zones, compliance and exceedance in dB(A)."""

from __future__ import annotations

from datetime import time

import pytest

from zhicheng.core.errors import Invalid
from zhicheng.scenarios.environment import noise

TABLE_1 = {"0": (50, 40), "1": (55, 45), "2": (60, 50), "3": (65, 55), "4a": (70, 55), "4b": (70, 60)}


@pytest.mark.parametrize("zone", sorted(TABLE_1))
def test_table_1_day_and_night_limits(zone):
    day, night = TABLE_1[zone]
    assert noise.assess(zone=zone, leq=day, period="day").compliant
    assert noise.assess(zone=zone, leq=night, period="night").compliant
    over = noise.assess(zone=zone, leq=day + 0.1, period="day")
    assert not over.compliant and over.exceedance_db == pytest.approx(0.1) and over.limit == day
    assert noise.assess(zone=zone, leq=night + 5, period="night").exceedance_db == 5


@pytest.mark.parametrize(("clock", "period"), [
    ("05:59", "night"), ("06:00", "day"), ("12:00", "day"), ("21:59", "day"), ("22:00", "night"), ("00:00", "night")])
def test_day_is_06_00_to_22_00(clock, period):
    assert noise.assess(zone="2", leq=52, at=clock).period == period
    assert noise.period_at(time.fromisoformat(clock)) == period


def test_a_night_sudden_noise_may_pass_the_limit_by_15_db():
    ok = noise.assess(zone="1", leq=44, period="night", lmax=60)
    assert ok.compliant and ok.lmax_limit == 60 and ok.lmax_compliant
    loud = noise.assess(zone="1", leq=44, period="night", lmax=63.5)
    assert loud.compliant and not loud.lmax_compliant and loud.lmax_exceedance_db == 3.5
    by_day = noise.assess(zone="1", leq=50, period="day", lmax=90)
    assert by_day.lmax_compliant is None and by_day.notes


def test_zone_names_and_4b_note():
    r = noise.assess(zone="4B类", leq=61, period="night")
    assert r.zone == "4b" and r.limit == 60 and r.exceedance_db == 1 and "铁路" in r.area and r.notes
    assert noise.assess(zone=" 4a ", leq=69, period="day").compliant


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"zone": "4", "leq": 60, "period": "day"}, "zone"), ({"zone": "5", "leq": 60, "period": "day"}, "zone"),
    ({"zone": "2", "leq": -1, "period": "day"}, "leq"), ({"zone": "2", "leq": float("nan"), "period": "day"}, "leq"),
    ({"zone": "2", "leq": 500, "period": "day"}, "leq"), ({"zone": "2", "leq": 50}, "period"),
    ({"zone": "2", "leq": 50, "period": "dusk"}, "period"), ({"zone": "2", "leq": 50, "at": "24:00"}, "time"),
    ({"zone": "2", "leq": 50, "period": "day", "at": "23:00"}, "period"), ({"zone": "2", "leq": None, "period": "day"}, "leq"),
    ({"zone": "2", "leq": 50, "period": "night", "lmax": -3}, "lmax"),
])
def test_bad_input_names_the_field(kwargs, field):
    with pytest.raises(Invalid) as exc:
        noise.assess(**kwargs)
    assert exc.value.field == field
