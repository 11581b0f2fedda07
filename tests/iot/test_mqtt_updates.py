"""SensorThings MQTT receiving updates against the real Mosquitto (127.0.0.1:1883): a new observation, however it came
in, reaches the subscribers of its datastream's topic as its SensorThings entity; the server's own updates are not
ingested again; a closed device's data is not published; the in-process ingest worker lives and dies with the app."""

from __future__ import annotations

import json
import queue
import uuid

import paho.mqtt.client as paho
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from tests.iot.conftest import bearer, hours_ago, stream
from tests.iot.test_mqtt import BROKER, Device, _broker_answers, wait_for
from zhicheng.core.db import make_sessionmaker
from zhicheng.iot import mqtt_updates
from zhicheng.iot.models import Observation, Quarantined
from zhicheng.iot.mqtt import sta_topic

pytestmark = pytest.mark.skipif(not _broker_answers(), reason="no MQTT broker answers on 127.0.0.1:1883")


class Listener:
    """A plain MQTT 5 client, as a SensorThings client receiving updates."""

    def __init__(self, *topics: str) -> None:
        self.got: queue.Queue[tuple[str, dict, list]] = queue.Queue()
        self.subscribed = queue.Queue()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"sub-{uuid.uuid4().hex[:10]}",
                                  protocol=paho.MQTTv5)
        self.client.on_message = lambda _c, _u, m: self.got.put(
            (m.topic, json.loads(m.payload), getattr(m.properties, "UserProperty", [])))
        self.client.on_subscribe = lambda *_: self.subscribed.put(True)
        self.client.connect(*BROKER)
        self.client.loop_start()
        self.client.subscribe([(t, 1) for t in topics])
        assert self.subscribed.get(timeout=10)

    def next(self) -> tuple[str, dict, list]:
        return self.got.get(timeout=15)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def mqtt_app(settings, engine):
    """An app of this test's own topic prefix and shared subscription group; in_process: with the ingest worker."""
    from zhicheng.web.app import create_app

    tag = uuid.uuid4().hex[:10]
    made, listeners = [], []

    def make(*, in_process: bool = False):
        application = create_app(settings.model_copy(update={
            "mqtt_url": f"mqtt://{BROKER[0]}:{BROKER[1]}", "mqtt_in_process": in_process, "mqtt_group": f"g{tag}",
            "mqtt_topic_prefix": f"test/{tag}/", "mqtt_updates_root": "http://testserver/sta/v1.1"}))
        made.append(application)
        return application

    def listen(*topics: str) -> Listener:
        listeners.append(Listener(*(f"test/{tag}/{t}" for t in topics)))
        return listeners[-1]

    yield make, listen, f"test/{tag}/"
    for listener in listeners:
        listener.close()
    for application in made:
        application.state.lane_workers.close()
        application.state.engine.dispose()


def counted(engine, model) -> int:
    with make_sessionmaker(engine)() as check:
        return check.scalar(select(func.count()).select_from(model))


def test_an_observation_posted_over_http_arrives_as_its_entity_and_closed_devices_stay_unpublished(
        db, engine, world, mqtt_app):
    make, listen, _prefix = mqtt_app
    rain, pm25 = stream(db, world.rain, "rain"), stream(db, world.air, "pm25")  # open and closed devices
    listener = listen(f"v1.1/Datastreams({rain})/Observations", f"v1.1/Datastreams({pm25})/Observations",
                      "v1.1/Observations")
    with TestClient(make()) as client:
        assert client.app.state.mqtt_worker is None  # mqtt_in_process is off: only the updates
        assert client.app.state.mqtt_updates.connected.wait(10)
        closed = client.post(f"/sta/v1.1/Datastreams({pm25})/Observations", headers=bearer(world.air.token),
                             json={"phenomenonTime": hours_ago(2), "result": 30})
        assert closed.status_code == 201
        made = client.post(f"/sta/v1.1/Datastreams({rain})/Observations", headers=bearer(world.rain.token),
                           json={"phenomenonTime": hours_ago(1), "result": 4.5})
        assert made.status_code == 201
        first, second = listener.next(), listener.next()
        entity = client.get(f"/sta/v1.1/Observations({first[1]['@iot.id']})").json()
    topics = sorted(t for t, _, _ in (first, second))
    assert topics == sorted([f"{_prefix}v1.1/Datastreams({rain})/Observations", f"{_prefix}v1.1/Observations"])
    assert first[1] == second[1] == entity  # the same shape as GET Observations(id), @iot.selfLink and all
    assert entity["result"] == 4.5 and entity["@iot.selfLink"].startswith("http://testserver/sta/v1.1/Observations(")
    assert mqtt_updates.ORIGIN in first[2]  # marked as the server's own
    assert listener.got.empty()  # nothing of the closed device's came, before or after


def test_an_observation_sent_over_mqtt_is_stored_once_and_announced(db, engine, world, mqtt_app):
    make, listen, prefix = mqtt_app
    rain = stream(db, world.rain, "rain")
    listener = listen(f"v1.1/Datastreams({rain})/Observations")
    device = Device(world.rain)
    try:
        with TestClient(make(in_process=True)) as client:
            worker = client.app.state.mqtt_worker
            assert worker.ready.wait(10) and client.app.state.mqtt_updates.connected.wait(10)
            at = hours_ago(1)
            device.publish(sta_topic(rain, prefix), {"phenomenonTime": at, "result": 2})
            create = listener.next()  # the device's own create, as any subscriber of the topic sees it
            assert mqtt_updates.ORIGIN not in create[2]
            update = listener.next()  # the server's update: the stored entity
            assert mqtt_updates.ORIGIN in update[2] and update[1]["result"] == 2.0 and "@iot.id" in update[1]
            wait_for(lambda: worker.skipped == 1)  # the worker heard its own update on the create topic: skipped
            device.publish(sta_topic(rain, prefix), {"phenomenonTime": hours_ago(0.5), "result": 3})
            listener.next(), listener.next()
            wait_for(lambda: worker.skipped == 2)
            assert worker.queue.qsize() == 0
    finally:
        device.close()
    assert counted(engine, Observation) == 2 and counted(engine, Quarantined) == 0


def test_the_in_process_worker_starts_and_stops_with_the_app(engine, mqtt_app, settings):
    make, _listen, _prefix = mqtt_app
    with TestClient(make(in_process=True)) as client:
        worker, publisher = client.app.state.mqtt_worker, client.app.state.mqtt_updates
        assert worker.ready.wait(10) and publisher.connected.wait(10)
        assert worker.group == client.app.state.settings.mqtt_group and worker.updates is False
    assert worker.stopping.is_set() and not worker.ready.is_set() and not worker.client.is_connected()
    assert publisher.stopping.is_set() and not publisher._thread.is_alive()
    assert publisher not in [entry[0] for entry in mqtt_updates._shared.values()]
    # without mqtt_url nothing MQTT starts
    from zhicheng.web.app import create_app

    plain = create_app(settings)
    with TestClient(plain):
        assert plain.state.mqtt_worker is None and plain.state.mqtt_updates is None
    plain.state.lane_workers.close()
    plain.state.engine.dispose()


def test_the_acl_lets_the_public_read_open_devices_updates_and_each_device_its_own(db, world):
    from zhicheng.iot.mqtt_acl import acl_text

    rain, pm25 = stream(db, world.rain, "rain"), stream(db, world.air, "pm25")
    text = acl_text(db, prefix="city/")
    anonymous = text.split("\nuser ", 1)[0].splitlines()  # the lines before the first user: anonymous clients
    assert "topic read city/v1.1/Observations" in anonymous
    assert f"topic read city/v1.1/Datastreams({rain})/Observations" in anonymous
    assert not any(f"Datastreams({pm25})" in line for line in anonymous)  # a closed device's: not the public's
    air = text.split(f"user {world.air.thing.code}\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert f"topic readwrite city/v1.1/Datastreams({pm25})/Observations" in air
    assert not any(f"Datastreams({rain})" in line for line in air)
    server = text.split("user zhicheng-ingest\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert {"topic write city/v1.1/+/Observations", "topic write city/v1.1/Observations"} <= set(server)
