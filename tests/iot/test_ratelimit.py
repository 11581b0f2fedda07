"""A flood from one device is answered 429 with Retry-After on every device write route while the other devices'
writes go on; when the process already handles its bound of device writes, the next one is answered 503 with
Retry-After at once (never queued), and once a place is free writes are accepted again."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.iot.conftest import bearer, hours_ago, stream
from zhicheng.iot import ingest
from zhicheng.iot.models import Observation


@pytest.fixture
def limited_app(settings, engine):
    from zhicheng.web.app import create_app

    def make(**changes):
        application = create_app(settings.model_copy(update=changes))
        made.append(application)
        return application

    made: list = []
    yield make
    for application in made:
        application.state.lane_workers.close()
        application.state.engine.dispose()


def _count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Observation))


def test_a_flooding_device_gets_429_and_the_others_are_unaffected(limited_app, db, world):
    pm25, rain = stream(db, world.air, "pm25"), stream(db, world.rain, "rain")
    with TestClient(limited_app(iot_device_rate_per_minute=5)) as client:
        for i in range(5):
            ok = client.post("/api/v1/iot/ingest", headers=bearer(world.air.token),
                             json={"datastream": pm25, "observations": [[hours_ago(10 - i), 30 + i]]})
            assert ok.status_code == 200, ok.text
        routes = [
            ("/api/v1/iot/ingest", {"json": {"datastream": pm25, "observations": [[hours_ago(3), 1]]}}),
            ("/api/v1/iot/ingest/senml", {"json": [{"n": "pm25", "bt": -60, "v": 1}]}),
            ("/sta/v1.1/Observations", {"json": {"phenomenonTime": hours_ago(2), "result": 1,
                                                 "Datastream": {"@iot.id": pm25}}}),
            (f"/sta/v1.1/Datastreams({pm25})/Observations", {"json": {"phenomenonTime": hours_ago(2), "result": 1}}),
            ("/sta/v1.1/CreateObservations", {"json": [{"Datastream": {"@iot.id": pm25},
                                                        "components": ["phenomenonTime", "result"],
                                                        "dataArray": [[hours_ago(1), 1]]}]}),
        ]
        for path, body in routes:
            refused = client.post(path, headers=bearer(world.air.token), **body)
            assert refused.status_code == 429, (path, refused.text)
            assert int(refused.headers["retry-after"]) >= 1 and refused.json()["code"] == "device_rate_limited"
        assert _count(db) == 5
        for i in range(5):  # the other device has its own count
            other = client.post("/api/v1/iot/ingest", headers=bearer(world.rain.token),
                                json={"datastream": rain, "observations": [[hours_ago(5 - i), 1.0]]})
            assert other.status_code == 200, other.text
        assert _count(db) == 10
        unknown = client.post("/api/v1/iot/ingest", headers=bearer("zcd_unknown"), json={})
        assert unknown.status_code == 401  # an unknown token is refused before any count


def test_past_the_in_flight_bound_writes_are_answered_503_at_once(limited_app, db, world, monkeypatch):
    pm25, rain = stream(db, world.air, "pm25"), stream(db, world.rain, "rain")
    entered, release = threading.Event(), threading.Event()
    real = ingest.ingest

    def held(db, **kwargs):  # the first write holds its place until the test lets it go
        if kwargs["thing"].id == world.air.thing.id:
            entered.set()
            release.wait(timeout=60)
        return real(db, **kwargs)

    monkeypatch.setattr(ingest, "ingest", held)
    with TestClient(limited_app(iot_ingest_max_in_flight=1)) as client:
        answers: list = []
        first = threading.Thread(target=lambda: answers.append(client.post(
            "/api/v1/iot/ingest", headers=bearer(world.air.token),
            json={"datastream": pm25, "observations": [[hours_ago(1), 30]]})))
        first.start()
        try:
            assert entered.wait(timeout=60)
            busy = client.post("/api/v1/iot/ingest", headers=bearer(world.rain.token),
                               json={"datastream": rain, "observations": [[hours_ago(1), 1.0]]})
            assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
            assert busy.json()["code"] == "ingest_busy"
            senml = client.post("/api/v1/iot/ingest/senml", headers=bearer(world.rain.token),
                                json=[{"n": "rain", "bt": -60, "v": 1}])
            assert senml.status_code == 503
        finally:
            release.set()
            first.join(timeout=60)
        assert answers[0].status_code == 200 and answers[0].json()["stored"] == 1
        again = client.post("/api/v1/iot/ingest", headers=bearer(world.rain.token),
                            json={"datastream": rain, "observations": [[hours_ago(1), 1.0]]})
        assert again.status_code == 200 and again.json()["stored"] == 1
        assert _count(db) == 2
