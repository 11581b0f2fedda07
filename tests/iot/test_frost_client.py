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
