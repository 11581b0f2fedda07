"""SensorThings MQTT receiving updates (OGC 18-088 §14.2): each new Observation, once committed, sent to the broker
as its SensorThings entity on v1.1/Datastreams(id)/Observations and v1.1/Observations, marked as the server's own."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import deque
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from zhicheng.core.actor import ANONYMOUS
from zhicheng.core.events import bus, same_database
from zhicheng.iot.models import Datastream, Observation, Thing

log = logging.getLogger(__name__)

STORED = "iot.observations.stored"  # published by ingest.ingest after its commit
ORIGIN = ("zhicheng-origin", "server")  # the MQTT 5 user property the ingest worker skips
CHUNK = 200  # observations read and sent per pass


def marked(properties: Any) -> bool:
    """Whether a PUBLISH carries the server's origin marker (a notification, not a device's create)."""
    return ORIGIN in (getattr(properties, "UserProperty", None) or [])


def default_root(settings) -> str:
    return (settings.mqtt_updates_root or f"http://{settings.host}:{settings.port}/sta/v1.1").rstrip("/")


class Publisher:
    """One persistent, reconnecting MQTT connection sending the observations `iot.observations.stored` names; the
    ids wait in a bounded queue (the oldest dropped and counted when the broker is slow or away), so the ingest that
    published the fact never waits."""

    def __init__(self, factory: sessionmaker[Session], *, url: str, prefix: str = "", root: str,
                 closed: bool = False, qos: int = 0, maxlen: int = 10_000, window: int = 1000,
                 keepalive: int = 30) -> None:
        from zhicheng.iot.mqtt import Broker

        self.factory, self.broker, self.prefix, self.root = factory, Broker.parse(url), prefix, root.rstrip("/")
        self.closed, self.qos, self.maxlen, self.window, self.keepalive = closed, qos, maxlen, window, keepalive
        self.pending: deque[int] = deque()
        self.dropped = self.sent = 0
        self.in_flight = 0  # handed to paho, not yet written (QoS 0) or acknowledged (QoS 1)
        self.lock = threading.Lock()
        self.wake, self.stopping, self.connected = threading.Event(), threading.Event(), threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"zhicheng-updates-{uuid.uuid4().hex[:12]}",
                                  protocol=paho.MQTTv5)
        if self.broker.username:
            self.client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            self.client.tls_set()
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self._thread = threading.Thread(target=self._loop, name="zhicheng-mqtt-updates", daemon=True)

    def start(self) -> Publisher:
        bus.subscribe(STORED, self.heard)
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=self.keepalive)
        self.client.loop_start()
        self._thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        bus.unsubscribe(STORED, self.heard)
        self.stopping.set()
        self.wake.set()
        self._thread.join(timeout)
        self.client.disconnect()
        self.client.loop_stop()

    def heard(self, _name: str, payload: dict[str, Any]) -> None:
        """The bus handler: queue the ids (never blocks, never touches the database or the network)."""
        if not (payload.get("open") or self.closed) or not same_database(payload, self.factory.kw.get("bind")):
            return
        with self.lock:
            self.pending.extend(int(i) for i in payload.get("ids") or ())
            over = len(self.pending) - self.maxlen
            for _ in range(over):
                self.pending.popleft()
            self.dropped += max(over, 0)
        if over > 0:
            log.warning("mqtt updates: the broker is slow or away; %d dropped so far", self.dropped)
        self.wake.set()

    def _on_connect(self, _client, _userdata, _flags, reason, _properties) -> None:
        if reason.is_failure:
            log.warning("mqtt updates: %s:%s refused the connection: %s", self.broker.host, self.broker.port, reason)
            return
        with self.lock:
            self.in_flight = 0  # what the last connection had in hand is gone (QoS 0) or resent by paho (QoS 1)
        self.connected.set()
        self.wake.set()

    def _on_disconnect(self, _client, _userdata, _flags, reason, _properties) -> None:
        self.connected.clear()
        if not self.stopping.is_set():
            log.warning("mqtt updates: disconnected (%s); reconnecting", reason)

    def _on_publish(self, _client, _userdata, _mid, _reason, _properties) -> None:
        with self.lock:
            self.in_flight = max(self.in_flight - 1, 0)
            self.sent += 1
        self.wake.set()

    def _take(self) -> list[int]:
        with self.lock:
            room = min(CHUNK, self.window - self.in_flight)
            if room <= 0 or not self.connected.is_set():
                return []
            return [self.pending.popleft() for _ in range(min(room, len(self.pending)))]

    def _loop(self) -> None:
        while not self.stopping.is_set():
            self.wake.wait(0.5)
            self.wake.clear()
            while not self.stopping.is_set() and (ids := self._take()):
                try:
                    self._send(ids)
                except Exception:  # noqa: BLE001 - a bad pass loses its updates, never the thread
                    log.exception("mqtt updates: %d observations could not be sent", len(ids))

    def messages(self, db: Session, ids: list[int]) -> list[tuple[str, bytes]]:
        """(topic, payload) of each observation of `ids` that may go out: its entity as GET Observations(id)."""
        from zhicheng.iot.sensorthings import query, read
        from zhicheng.iot.sensorthings.entities import SETS

        entity, links, opts = SETS["Observations"], read.Links(self.root), query.Options()
        rows = db.execute(select(Observation, Thing.open).join(Datastream, Datastream.id == Observation.datastream_id)
                          .join(Thing, Thing.id == Datastream.thing_id).where(Observation.id.in_(ids))
                          .order_by(Observation.id)).all()
        out = []
        for row, is_open in rows:
            if not (is_open or self.closed):
                continue
            body = json.dumps(read.serialise(db, entity, row, opts, links, ANONYMOUS), ensure_ascii=False).encode()
            out.append((f"{self.prefix}v1.1/Datastreams({row.datastream_id})/Observations", body))
            if is_open:  # the collection of all observations: the public's only
                out.append((f"{self.prefix}v1.1/Observations", body))
        return out

    def _send(self, ids: list[int]) -> None:
        with self.factory() as db:
            messages = self.messages(db, ids)
        props = Properties(PacketTypes.PUBLISH)
        props.UserProperty = [ORIGIN]
        for topic, body in messages:
            with self.lock:
                self.in_flight += 1
            info = self.client.publish(topic, body, qos=self.qos, properties=props)
            if info.rc != paho.MQTT_ERR_SUCCESS:
                with self.lock:
                    self.in_flight = max(self.in_flight - 1, 0)
                    self.dropped += 1


# -- one publisher per process, broker and database, shared by the server and the ingest workers in it -----------

_shared: dict[tuple, list] = {}  # key -> [publisher, users]
_shared_lock = threading.Lock()


def acquire(factory: sessionmaker[Session], *, url: str, prefix: str, root: str, closed: bool = False) -> tuple:
    """Start (or join) this process's publisher for `url` and `factory`'s database; give the key to `release`."""
    bind = factory.kw.get("bind")
    key = (url, prefix, None if bind is None else bind.url.render_as_string(hide_password=True))
    with _shared_lock:
        entry = _shared.get(key)
        if entry is None:
            entry = _shared[key] = [Publisher(factory, url=url, prefix=prefix, root=root, closed=closed).start(), 0]
        entry[1] += 1
    return key


def release(key: tuple) -> None:
    with _shared_lock:
        entry = _shared.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        del _shared[key]
    entry[0].stop()


def publisher(key: tuple) -> Publisher | None:
    entry = _shared.get(key)
    return entry[0] if entry else None


def start_in_app(app, settings):
    """In the server's lifespan: the update publisher when mqtt_url is set, and the ingest worker too when
    mqtt_in_process is; returns what stops them."""
    app.state.mqtt_worker = app.state.mqtt_updates = None
    if not settings.mqtt_url:
        return lambda: None
    import os
    import socket

    from zhicheng.iot.mqtt import Worker

    factory = app.state.sessionmaker
    key = acquire(factory, url=settings.mqtt_url, prefix=settings.mqtt_topic_prefix, root=default_root(settings),
                  closed=settings.mqtt_updates_closed)
    worker = None
    if settings.mqtt_in_process:
        # one session per server process, ending with it (a pid is not stable: a kept session would be orphaned with
        # its share of the messages); the shared subscription splits the load between the processes
        worker = Worker(factory, url=settings.mqtt_url, group=settings.mqtt_group,
                        client_id=f"zhicheng-ingest-{socket.gethostname()}-{settings.mqtt_group}-p{os.getpid()}",
                        prefix=settings.mqtt_topic_prefix, receive_maximum=settings.mqtt_receive_maximum,
                        session_expiry=0, updates=False).start()
    app.state.mqtt_worker, app.state.mqtt_updates = worker, publisher(key)

    def stop() -> None:
        if worker is not None:
            worker.stop(keep_session=False)
        release(key)

    return stop
