"""Crashes under sustained ingest: a real server process killed with SIGKILL 20 times while a device sends batches
over HTTP, an MQTT worker (`zhicheng iot mqtt`) killed likewise while a device publishes with QoS 1, and a private
Mosquitto restarted under a worker. Afterwards every observation that was acknowledged (HTTP 2xx, broker PUBACK) is
stored exactly once with its value, nothing is stored that was not sent, and the hourly and daily rollups equal a
recomputation from the stored observations."""

from __future__ import annotations

import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from tests.helpers.served import environ, free_port
from tests.iot.conftest import stream
from zhicheng.core import clock
from zhicheng.core.db import make_sessionmaker
from zhicheng.iot.models import DailyRollup, HourlyRollup, Observation
from zhicheng.iot.mqtt import Worker, device_topic

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # 20 server starts: minutes on a busy machine

CYCLES = 20
BROKER = ("127.0.0.1", 1883)


def _answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError(f"not reached within {timeout:.0f} s: {what}")


class Sender:
    """A device's observations: one every 10 s of phenomenon time from two days ago, values 0–999 (valid on the test
    air station), each (datastream, time) sent with one value only, so that a redelivery is a repeat."""

    def __init__(self, streams: list[int]) -> None:
        self.streams = streams
        self.start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
        self.next = 0
        self.sent: dict[tuple[int, datetime], float] = {}
        self.acked: set[tuple[int, datetime]] = set()

    def batch(self, size: int) -> list[tuple[int, datetime, float]]:
        out = []
        for _ in range(size):
            n = self.next
            self.next += 1
            key = (self.streams[n % len(self.streams)], self.start + timedelta(seconds=10 * (n // len(self.streams))))
            self.sent[key] = float((n * 37) % 1000)
            out.append((*key, self.sent[key]))
        return out

    @staticmethod
    def body(batch: list[tuple[int, datetime, float]]) -> list[dict]:
        groups: dict[int, list] = defaultdict(list)
        for sid, at, value in batch:
            groups[sid].append([at.isoformat().replace("+00:00", "Z"), value])
        return [{"datastream": sid, "observations": obs} for sid, obs in groups.items()]


def check_stored(engine, sender: Sender) -> None:
    """Each acknowledged observation stored once with its value; nothing that was not sent; rollups exact."""
    with make_sessionmaker(engine)() as db:
        rows = db.execute(select(Observation.datastream_id, Observation.phenomenon_time, Observation.result_number)
                          .where(Observation.datastream_id.in_(sender.streams))).all()
        stored: dict[tuple[int, datetime], list[float]] = defaultdict(list)
        for sid, at, value in rows:
            stored[(sid, clock.aware(at).astimezone(UTC))].append(value)
        assert sender.acked, "nothing was acknowledged: the test did not exercise ingest"
        lost = sender.acked - stored.keys()
        assert not lost, f"{len(lost)} acknowledged observations lost, e.g. {sorted(lost)[:3]}"
        twice = {k: v for k, v in stored.items() if len(v) > 1}
        assert not twice, f"stored more than once: {list(twice.items())[:3]}"
        phantom = stored.keys() - sender.sent.keys()
        assert not phantom, f"stored but never sent: {sorted(phantom)[:3]}"
        wrong = {k: v for k, v in stored.items() if v[0] != sender.sent[k]}
        assert not wrong, f"stored with another value: {list(wrong.items())[:3]}"
        for model, bucket_of in ((HourlyRollup, lambda at: at.replace(minute=0, second=0)),
                                 (DailyRollup, lambda at: at.astimezone(clock.LOCAL_TZ).replace(
                                     hour=0, minute=0, second=0).astimezone(UTC))):
            expected: dict[tuple[int, datetime], list[float]] = defaultdict(list)
            for (sid, at), values in stored.items():
                expected[(sid, bucket_of(at))].append(values[0])
            found = {(sid, clock.aware(b).astimezone(UTC)): (c, lo, hi, s) for sid, b, c, lo, hi, s in db.execute(
                select(model.datastream_id, model.bucket, model.count, model.min, model.max, model.sum)
                .where(model.datastream_id.in_(sender.streams)))}
            assert found.keys() == expected.keys(), f"{model.__tablename__}: buckets differ"
            for key, values in expected.items():
                count, lo, hi, total = found[key]
                assert (count, lo, hi) == (len(values), min(values), max(values)), (model.__tablename__, key)
                assert total == pytest.approx(sum(values)), (model.__tablename__, key)


# ----------------------------------------------------------------------------------------- HTTP: kill -9 the server

def test_server_killed_20_times_under_http_ingest_loses_and_duplicates_nothing(settings, engine, db, world):
    db.commit()
    sender = Sender([stream(db, world.air, "pm25"), stream(db, world.air, "o3")])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "uvicorn", "--factory", "zhicheng.web.app:create_app", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "critical", "--no-access-log"]
    env = environ(settings)
    stop = threading.Event()
    answers: dict[int, int] = defaultdict(int)

    def device() -> None:
        """Sends batches of 20 back to back; a batch without a 2xx answer is sent again (as a device retries) until
        one comes, so that a batch stored before the crash but not answered is a repeat."""
        headers = {"Authorization": f"Bearer {world.air.token}"}
        with httpx.Client(base_url=base, timeout=10, headers=headers) as http:
            batch = sender.batch(20)
            while not stop.is_set():
                try:
                    r = http.post("/api/v1/iot/ingest", json=Sender.body(batch))
                except httpx.HTTPError:
                    time.sleep(0.02)
                    continue
                answers[r.status_code] += 1
                if 200 <= r.status_code < 300:
                    assert r.json()["quarantined"] == 0, r.text
                    sender.acked.update((sid, at) for sid, at, _v in batch)
                    batch = sender.batch(20)
                elif r.status_code >= 500:
                    time.sleep(0.02)

    client = threading.Thread(target=device, daemon=True)
    client.start()
    try:
        for _cycle in range(CYCLES):
            proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                before = len(sender.acked)
                wait_for(lambda before=before, proc=proc: len(sender.acked) > before or proc.poll() is not None, 240,
                         "the restarted server acknowledged a batch")
                assert proc.poll() is None, f"the server exited with {proc.returncode}"
                time.sleep(0.5)  # sustained ingest, then the crash lands wherever the server is
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
    finally:
        stop.set()
        client.join(30)
    assert not [s for s in answers if s >= 500 and s != 503], f"answers: {dict(answers)}"
    assert len(sender.acked) >= 20 * CYCLES
    check_stored(engine, sender)


# ------------------------------------------------------------------------------------------------------------ MQTT

class Publisher:
    """A device's MQTT client publishing batches with QoS 1; a batch counts as acknowledged once the broker's
    PUBACK came (paho: is_published)."""

    def __init__(self, port: int, topic: str, sender: Sender) -> None:
        self.topic, self.sender = topic, sender
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"dev-{uuid.uuid4().hex[:10]}")
        self.client.connect(BROKER[0], port)
        self.client.loop_start()

    def publish(self, size: int = 10) -> None:
        batch = self.sender.batch(size)
        info = self.client.publish(self.topic, json.dumps(Sender.body(batch)), qos=1)
        info.wait_for_publish(10)
        if info.is_published():
            self.sender.acked.update((sid, at) for sid, at, _v in batch)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def stored_count(engine, streams: list[int]) -> int:
    with make_sessionmaker(engine)() as db:
        return len(db.execute(select(Observation.id).where(Observation.datastream_id.in_(streams))).all())


@pytest.mark.skipif(not _answers(*BROKER), reason="no MQTT broker answers on 127.0.0.1:1883")
def test_mqtt_worker_killed_20_times_while_publishing_loses_and_duplicates_nothing(settings, engine, db, world):
    db.commit()
    streams = [stream(db, world.air, "pm25"), stream(db, world.air, "o3")]
    sender = Sender(streams)
    tag = uuid.uuid4().hex[:10]
    prefix = f"test/{tag}/"
    env = environ(settings, ZHICHENG_MQTT_TOPIC_PREFIX=prefix, ZHICHENG_MQTT_SESSION_EXPIRY_SECONDS="300",
                  ZHICHENG_MQTT_RECEIVE_MAXIMUM="20")
    argv = [sys.executable, "-m", "zhicheng", "iot", "mqtt", "--broker", f"mqtt://{BROKER[0]}:{BROKER[1]}",
            "--group", f"g{tag}", "--client-id", f"zhicheng-test-{tag}"]
    publisher = Publisher(BROKER[1], device_topic(world.air.thing.code, prefix), sender)
    stop = threading.Event()

    def device() -> None:
        """About 50 messages a second of 10 observations, pausing while more than 300 messages wait: while the
        worker is down its session queues them, and Mosquitto's default max_queued_messages (1,000) drops what is
        beyond (logged as "Outgoing messages are being dropped"), though it acknowledged them to the publisher."""
        sent = 0
        while not stop.is_set():
            if sent % 20 == 0:
                while not stop.is_set() and len(sender.acked) - stored_count(engine, streams) > 3000:
                    time.sleep(0.1)
            publisher.publish()
            sent += 1
            time.sleep(0.02)

    try:
        # the first start subscribes the session: until then the broker would drop what is published (no
        # subscriber), so the probes (a day earlier, never counted as acknowledged) go until one is stored
        probe = Sender(streams)
        probe.start -= timedelta(days=1)
        prober = Publisher.__new__(Publisher)
        prober.client, prober.topic, prober.sender = publisher.client, publisher.topic, probe
        first = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            def probed() -> bool:
                prober.publish(1)
                return stored_count(engine, streams) > 0 or first.poll() is not None

            wait_for(probed, 240, "the worker subscribed")
            assert first.poll() is None, f"the worker exited with {first.returncode}"
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        sender.sent.update(probe.sent)  # sent, so not phantom; left out of acked (the first ones had no subscriber)
        client = threading.Thread(target=device, daemon=True)
        client.start()
        for _cycle in range(CYCLES):
            proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                before = stored_count(engine, streams)
                wait_for(lambda before=before, proc=proc: stored_count(engine, streams) > before
                         or proc.poll() is not None, 240,
                         "the restarted worker stored something")
                assert proc.poll() is None, f"the worker exited with {proc.returncode}"
                time.sleep(0.5)
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
        stop.set()
        client.join(30)
        final = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:  # the last session's queue drains into a worker that stays
            wait_for(lambda: sender.acked <= stored_keys(engine, streams), 120, "every PUBACKed observation stored")
        finally:
            final.terminate()
            final.wait(60)
    finally:
        stop.set()
        publisher.close()
    assert len(sender.acked) >= 10 * CYCLES
    check_stored(engine, sender)


def stored_keys(engine, streams: list[int]) -> set[tuple[int, datetime]]:
    with make_sessionmaker(engine)() as db:
        return {(sid, clock.aware(at).astimezone(UTC)) for sid, at in db.execute(
            select(Observation.datastream_id, Observation.phenomenon_time)
            .where(Observation.datastream_id.in_(streams)))}


# ---------------------------------------------------------------------------------------------- broker restart

class PrivateBroker:
    """A Mosquitto of this test's own on a free port, persisting its sessions and queues in `folder` (no limit on
    queued messages), restarted with SIGTERM (it saves its state on the way out, as a service restart does)."""

    def __init__(self, binary: str, folder: Path) -> None:
        self.binary, self.port = binary, free_port()
        self.conf = folder / "mosquitto.conf"
        (folder / "db").mkdir()
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                             f"persistence_location {folder / 'db'}/\nmax_queued_messages 0\nlog_type all\n"
                             f"log_dest file {folder / 'mosquitto.log'}\n"
                             # run as root, Mosquitto switches to the user `mosquitto`, who could not write here
                             f"user {getpass.getuser()}\n", encoding="utf-8")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(lambda: _answers("127.0.0.1", self.port), 20, "the private broker listens")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


def test_workers_reconnect_after_a_broker_restart_and_nothing_acknowledged_is_lost(engine, db, world, tmp_path):
    binary = shutil.which("mosquitto") or next((p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")
                                                if os.access(p, os.X_OK)), None)
    if binary is None:
        pytest.skip("no mosquitto binary to run a private broker (command -v mosquitto)")
    db.commit()
    streams = [stream(db, world.air, "pm25"), stream(db, world.air, "o3")]
    sender = Sender(streams)
    broker = PrivateBroker(binary, tmp_path)
    broker.start()
    tag = uuid.uuid4().hex[:10]
    worker = Worker(make_sessionmaker(engine), url=f"mqtt://127.0.0.1:{broker.port}", group=f"g{tag}",
                    client_id=f"zhicheng-test-{tag}", receive_maximum=20).start()
    publisher = None
    try:
        assert worker.ready.wait(20), "the worker did not subscribe"
        for _restart in range(3):
            publisher = Publisher(broker.port, device_topic(world.air.thing.code), sender)
            for _ in range(100):
                publisher.publish(20)
            publisher.close()
            connected = worker.generation
            broker.stop()  # the worker is still storing what came: the rest waits in the broker's saved session
            broker.start()
            wait_for(lambda connected=connected: worker.generation > connected and worker.ready.is_set(), 60,
                     "the worker reconnected and subscribed again")
        try:
            wait_for(lambda: sender.acked <= stored_keys(engine, streams), 60, "every PUBACKed observation stored")
        except AssertionError:
            missing = sender.acked - stored_keys(engine, streams)
            first = min(at for _sid, at in missing)
            log = (tmp_path / "mosquitto.log").read_text(encoding="utf-8", errors="replace").splitlines()
            raise AssertionError(f"{len(missing)} of {len(sender.acked)} PUBACKed observations not stored, the first "
                                 f"at {first}; broker log: {[ln for ln in log if 'PUB' not in ln][-40:]}") from None
    finally:
        worker.stop(keep_session=False)
        broker.stop()
    assert len(sender.acked) == 3 * 100 * 20
    check_stored(engine, sender)
