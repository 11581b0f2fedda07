"""Devices report over MQTT to the real Mosquitto (127.0.0.1:1883): a worker on a shared subscription stores
SensorThings MQTT creates and per-device batches once, acknowledges after the commit, quarantines or drops what is
bad and stays up, and takes the QoS 1 messages published while it was stopped when it comes back. The broker's ACL
file confines each device to its own topics."""

from __future__ import annotations

import json
import socket
import time
import uuid

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from tests.iot.conftest import hours_ago, stream
from zhicheng.core.db import make_sessionmaker
from zhicheng.iot.models import Observation, Quarantined
from zhicheng.iot.mqtt import Worker, device_topic, sta_topic
from zhicheng.iot.mqtt_acl import acl_text

BROKER = ("127.0.0.1", 1883)


def _broker_answers() -> bool:
    try:
        socket.create_connection(BROKER, timeout=2).close()
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _broker_answers(), reason="no MQTT broker answers on 127.0.0.1:1883")


def wait_for(check, timeout: float = 15.0):
    """Poll until `check()` is truthy (the worker stores in its own thread)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError(f"not reached within {timeout} s: {check.__doc__ or check}")


@pytest.fixture
def space():
    """A topic namespace, a shared subscription group and a client id of this test's own."""
    tag = uuid.uuid4().hex[:10]
    return {"prefix": f"test/{tag}/", "group": f"g{tag}", "client_id": f"zhicheng-test-{tag}"}


@pytest.fixture
def start_worker(engine, space):
    started: list[Worker] = []

    def start() -> Worker:
        worker = Worker(make_sessionmaker(engine), url=f"mqtt://{BROKER[0]}:{BROKER[1]}", group=space["group"],
                        client_id=space["client_id"], prefix=space["prefix"], receive_maximum=20).start()
        started.append(worker)
        assert worker.ready.wait(10), "the worker did not subscribe"
        return worker

    yield start
    for worker in started:
        if not worker.stopping.is_set():
            worker.stop(keep_session=False)


class Device:
    """A device's own MQTT client (user = its code, password = its token), publishing with QoS 1."""

    def __init__(self, registered) -> None:
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"dev-{uuid.uuid4().hex[:10]}")
        self.client.username_pw_set(registered.thing.code, registered.token)
        self.client.connect(*BROKER)
        self.client.loop_start()

    def publish(self, topic: str, payload) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.client.publish(topic, body, qos=1).wait_for_publish(10)  # the broker has it (PUBACK)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def devices(world):
    made: list[Device] = []

    def device(registered) -> Device:
        made.append(Device(registered))
        return made[-1]

    yield device
    for d in made:
        d.close()


def counted(engine, model, **where) -> int:
    with make_sessionmaker(engine)() as db:
        stmt = select(func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return db.scalar(stmt)


def test_both_topic_forms_are_stored_once_and_bad_messages_do_not_stop_the_worker(
        db, engine, world, space, start_worker, devices):
    pm25, o3 = stream(db, world.air, "pm25"), stream(db, world.air, "o3")
    rain = stream(db, world.rain, "rain")
    worker = start_worker()
    air = devices(world.air)
    p = space["prefix"]
    three, two = hours_ago(3), hours_ago(2)
    air.publish(sta_topic(pm25, p), {"phenomenonTime": three, "result": 35})
    air.publish(device_topic(world.air.thing.code, p), {"datastream": "o3", "observations": [[three, 80], [two, 81]]})
    wait_for(lambda: counted(engine, Observation) == 3)

    # the same messages again (a redelivery) and a batch by device id: stored once each
    air.publish(sta_topic(pm25, p), {"phenomenonTime": three, "result": 35})
    air.publish(device_topic(str(world.air.thing.id), p), {"datastream": o3, "observations": [[two, 81]]})
    # another device's datastream on this device's topic, malformed JSON, an unknown datastream: nothing stored
    air.publish(device_topic(world.air.thing.code, p), {"datastream": rain, "observations": [[two, 5]]})
    air.publish(device_topic(world.air.thing.code, p), b'{"datastream": "pm25", "observations": [[')
    air.publish(sta_topic(999_999, p), {"phenomenonTime": two, "result": 1})
    air.publish(sta_topic(pm25, p), {"phenomenonTime": two, "result": -5})  # out of range: quarantined
    wait_for(lambda: counted(engine, Quarantined, thing_id=world.air.thing.id) == 3)
    assert counted(engine, Observation, datastream_id=rain) == 0
    with make_sessionmaker(engine)() as check:
        reasons = sorted(check.scalars(select(Quarantined.reason).where(
            Quarantined.thing_id == world.air.thing.id)))
        assert reasons == ["malformed", "malformed", "out_of_range"]
        channels = set(check.scalars(select(Quarantined.channel)))
        assert channels == {"mqtt", "mqtt-sta"}

    # still alive: a later good message is stored
    air.publish(sta_topic(pm25, p), {"phenomenonTime": hours_ago(1), "result": 37, "parameters": {"via": "mqtt"}})
    wait_for(lambda: counted(engine, Observation) == 4)
    assert worker.queue.qsize() == 0 and counted(engine, Observation, datastream_id=pm25) == 2


def test_messages_published_while_the_worker_is_away_are_stored_when_it_returns(
        db, engine, world, start_worker, devices, space):
    pm25 = stream(db, world.air, "pm25")
    first = start_worker()
    first.stop(keep_session=True)  # the broker keeps the session and queues QoS 1 messages for it
    air = devices(world.air)
    times = [hours_ago(h) for h in (6, 5, 4)]
    for at in times:
        air.publish(sta_topic(pm25, space["prefix"]), {"phenomenonTime": at, "result": 20})
    air.publish(device_topic(world.air.thing.code, space["prefix"]),
                {"datastream": "pm25", "observations": [[times[0], 20], [hours_ago(3), 21]]})
    assert counted(engine, Observation) == 0
    start_worker()  # the same client id: the session resumes
    wait_for(lambda: counted(engine, Observation) == 4)


def test_the_acl_confines_each_enabled_device_to_its_own_topics(db, world):
    from zhicheng.core.actor import cli_operator
    from zhicheng.iot import service

    air, rain = world.air.thing, world.rain.thing
    text = acl_text(db, prefix="city/")
    block = text.split(f"user {air.code}\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert block == [f"topic write city/zhicheng/v1/devices/{air.code}/observations",
                     f"topic write city/zhicheng/v1/devices/{air.id}/observations",
                     *(f"topic readwrite city/v1.1/Datastreams({d.id})/Observations"
                       for d in service.datastreams_of(db, air.id))]
    assert "user zhicheng-ingest\ntopic read city/v1.1/+/Observations\n" in text
    service.set_enabled(db, actor=cli_operator(), thing_id=rain.id, enabled=False)
    assert f"user {rain.code}" not in acl_text(db)
