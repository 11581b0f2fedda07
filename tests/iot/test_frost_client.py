"""The real SensorThings client, frost-sta-client (PyPI), against a live server: a device creates observations with
its token, and a department user reads Things, Datastreams and Observations with a filter, an order and paging."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import frost_sta_client as frost
import pytest
import requests
from frost_sta_client.service.auth_handler import AuthHandler

from tests.helpers.served import environ, free_port, healthy, running
from tests.iot.conftest import stream


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class Handler(AuthHandler):
    """frost-sta-client's auth door (it speaks HTTP Basic): a bearer token instead."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def add_auth_header(self):
        return BearerAuth(self.token)


@pytest.fixture
def live(settings, world, db):
    db.commit()
    base = f"http://127.0.0.1:{free_port()}"
    argv = [sys.executable, "-m", "uvicorn", "--factory", "zhicheng.web.app:create_app", "--host", "127.0.0.1",
            "--port", base.rsplit(":", 1)[1], "--log-level", "warning", "--no-access-log"]
    with running(argv, env=environ(settings), ready=lambda _p: healthy(base), timeout=240):
        yield base + "/sta/v1.1"


def test_frost_client_creates_and_reads_observations(live, db, world, auth_headers):
    pm25 = stream(db, world.air, "pm25")
    device = frost.SensorThingsService(live, auth_handler=Handler(world.air.token))
    datastream = frost.Datastream(id=pm25)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=12)
    for i in range(12):
        observation = frost.Observation(result=10 + i, phenomenon_time=(t0 + timedelta(hours=i)).isoformat(),
                                        datastream=datastream)
        device.create(observation)
        assert isinstance(observation.id, int)

    token = auth_headers(world.staff)["Authorization"].split(" ", 1)[1]
    reader = frost.SensorThingsService(live, auth_handler=Handler(token))
    things = reader.things().query().list()
    assert {t.name for t in things} == {"五一广场空气站", "湘江雨量站"}
    streams = reader.datastreams().query().filter(f"id eq {pm25}").list()
    assert [s.id for s in streams] == [pm25]
    high = reader.observations().query().filter("result ge 18").orderby("phenomenonTime", "desc").list()
    assert [o.result for o in high] == [21, 20, 19, 18]
    everything = list(reader.observations().query().top(5).list())  # the client follows @iot.nextLink
    assert len(everything) == 12

    anonymous = frost.SensorThingsService(live)
    assert {t.name for t in anonymous.things().query().list()} == {"湘江雨量站"}


@pytest.mark.slow
def test_frost_client_creates_updates_and_deletes_a_thing(live, db, world, auth_headers):
    import geojson

    token = auth_headers(world.officer)["Authorization"].split(" ", 1)[1]
    officer = frost.SensorThingsService(live, auth_handler=Handler(token))
    level = frost.Datastream(
        name="水位", description="岳麓山水位", observation_type="http://www.opengis.net/def/observationType/OGC-OM/2.0/"
        "OM_Measurement", unit_of_measurement=frost.UnitOfMeasurement(name="米", symbol="m", definition="ucum:m"),
        sensor=frost.Sensor(name="雷达水位计", description="", encoding_type="text/plain", metadata="radar"),
        observed_property=frost.ObservedProperty(name="水位", definition="urn:test:frost:level", description=""))
    place = frost.Location(name="岳麓山", description="", encoding_type="application/geo+json",
                           location=geojson.Point((112.93, 28.18)))
    thing = frost.Thing(name="岳麓山水位站", description="frost-sta-client", properties={"code": "FROST-1"},
                        locations=[place], datastreams=[level])
    officer.create(thing)
    assert isinstance(thing.id, int)
    streams = list(officer.datastreams().query().filter("name eq '水位'").list())
    assert [s.name for s in streams] == ["水位"]
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    officer.create(frost.Observation(result=3.25, phenomenon_time=at, datastream=frost.Datastream(id=streams[0].id)))
    thing.name = "岳麓山水位站（改）"
    officer.update(thing)
    assert officer.things().find(thing.id).name == "岳麓山水位站（改）"
    officer.delete(thing)
    with pytest.raises(Exception):  # noqa: B017 (the client raises its own error for a 404)
        officer.things().find(thing.id)
