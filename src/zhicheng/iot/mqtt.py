"""MQTT ingest: a worker that takes SensorThings MQTT creates and per-device batches from a shared subscription (QoS 1)
and acknowledges each message only once `ingest.ingest` has committed what it carried."""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from zhicheng.core.errors import AppError, Forbidden
from zhicheng.iot import ingest
from zhicheng.iot.models import Datastream, Thing
from zhicheng.iot.mqtt_updates import marked

log = logging.getLogger(__name__)

# `+` must fill a whole topic level, so the SensorThings create is subscribed as v1.1/+/Observations and read here
STA_FILTER = "v1.1/+/Observations"
DEVICE_FILTER = "zhicheng/v1/devices/+/observations"
STA_TOPIC = re.compile(r"v1\.1/Datastreams\((\d{1,18})\)/Observations")
DEVICE_TOPIC = re.compile(r"zhicheng/v1/devices/([^/]+)/observations")
RAW_KEPT = 2000  # characters of an unreadable payload kept in quarantine


def device_topic(code: str, prefix: str = "") -> str:
    """The topic a device publishes its plain JSON batches to."""
    return f"{prefix}zhicheng/v1/devices/{code}/observations"


def sta_topic(datastream_id: int, prefix: str = "") -> str:
    """The SensorThings MQTT create topic of a datastream."""
    return f"{prefix}v1.1/Datastreams({datastream_id})/Observations"


@dataclass(frozen=True)
class Broker:
    """Where the broker is, from mqtt://[user:password@]host[:port] (mqtts:// for TLS)."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> Broker:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(f"not an mqtt:// or mqtts:// URL: {url!r}")
        tls = parts.scheme == "mqtts"
        return cls(parts.hostname, parts.port or (8883 if tls else 1883), tls,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None)


@dataclass
class Received:
    """One PUBLISH as the network thread handed it over (not yet acknowledged)."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    generation: int  # the connection it came on: an ack is only valid on that one
    own: bool = False  # the server's own update (iot.mqtt_updates) on a create topic: acknowledged, not stored


@dataclass
class Sent:
    """What one message carried: its sender, its observations (or why it has none to store), where it came in."""

    message: Received
    thing: Thing | None = None
    channel: str = "mqtt"
    items: list[ingest.Incoming] = field(default_factory=list)
    dropped: str | None = None  # why it is acknowledged with nothing to store or quarantine


def _json(payload: bytes) -> tuple[Any, str | None]:
    """The payload's JSON, or why it is not JSON (NaN and infinities read as numbers, to be quarantined)."""
    try:
        return json.loads(payload), None
    except UnicodeDecodeError:
        return None, "payload is not UTF-8"
    except json.JSONDecodeError as exc:
        return None, f"payload is not valid JSON (line {exc.lineno}, column {exc.colno})"
    except RecursionError:
        return None, "payload JSON is nested too deeply"


def _raw(payload: bytes) -> str:
    return payload[:RAW_KEPT * 4].decode("utf-8", "replace")[:RAW_KEPT]


def sta_item(body: Any, datastream_id: int) -> ingest.Incoming:
    """The Observation a SensorThings MQTT create carries (as the HTTP create takes it), or one marked malformed."""
    if not isinstance(body, dict):
        return ingest.Incoming(datastream_id, None, None, raw=body, malformed="an Observation must be a JSON object")
    if "result" not in body:
        return ingest.Incoming(datastream_id, None, None, raw=body, malformed="result is missing")
    foi = body.get("FeatureOfInterest")
    foi = foi.get("@iot.id") if isinstance(foi, dict) else foi
    if foi is not None and (isinstance(foi, bool) or not isinstance(foi, int)):
        return ingest.Incoming(datastream_id, None, None, raw=body, malformed="FeatureOfInterest must be "
                               '{"@iot.id": id}')
    return ingest.Incoming(datastream_id, body.get("phenomenonTime"), body.get("result"), body.get("resultTime"),
                           body.get("resultQuality"), body.get("parameters"), foi, raw=body)


def batch_items(body: Any) -> list[ingest.Incoming]:
    """The observations of a plain batch, as `POST /api/v1/iot/ingest` reads them (a wrong shape: one malformed)."""
    from zhicheng.iot.api import batch_items as read_batch  # the HTTP door's reading, not a second one

    try:
        return read_batch(body)
    except AppError as exc:
        where = f" ({exc.field})" if exc.field else ""
        return [ingest.Incoming(None, None, None, raw=body, malformed=f"{exc.en}{where}")]


def device_named(db: Session, name: str) -> Thing | None:
    """The device a topic names: by code, else by id."""
    thing = db.scalar(select(Thing).where(Thing.code == name))
    if thing is None and name.isdigit() and len(name) < 18:
        thing = db.get(Thing, int(name))
    return thing


def read_message(db: Session, message: Received, prefix: str = "") -> Sent:
    """Who sent `message` (the topic says it; the broker's ACL vouched for it) and what it carries."""
    topic = message.topic[len(prefix):] if message.topic.startswith(prefix) else message.topic
    sent = Sent(message)
    if found := DEVICE_TOPIC.fullmatch(topic):
        thing = device_named(db, found[1])
        if thing is None or not thing.enabled:
            sent.dropped = f"{'disabled' if thing else 'unknown'} device {found[1]!r}"
            return sent
        sent.thing = thing
        body, why = _json(message.payload)
        sent.items = ([ingest.Incoming(None, None, None, raw=_raw(message.payload), malformed=why)] if why
                      else batch_items(body))
        return sent
    if found := STA_TOPIC.fullmatch(topic):
        ds_id = int(found[1])
        row = db.execute(select(Datastream.id, Thing).join(Thing, Thing.id == Datastream.thing_id)
                         .where(Datastream.id == ds_id)).first()
        if row is None or not row[1].enabled:
            sent.dropped = f"{'datastream of a disabled device' if row else 'unknown datastream'} {ds_id}"
            return sent
        sent.thing, sent.channel = row[1], "mqtt-sta"
        body, why = _json(message.payload)
        sent.items = [ingest.Incoming(ds_id, None, None, raw=_raw(message.payload), malformed=why) if why
                      else sta_item(body, ds_id)]
        return sent
    sent.dropped = "topic is neither a SensorThings create nor a device topic"
    return sent


def store(db: Session, group: list[Sent]) -> None:
    """Ingest the messages of one device and channel in one call; when one of them names another device's datastream
    (the whole call is refused), each alone, that one quarantined as not the sender's."""
    thing, channel = group[0].thing, group[0].channel
    try:
        ingest.ingest(db, thing=thing, items=[i for s in group for i in s.items], channel=channel)
        return
    except Forbidden:
        db.rollback()
    for sent in group:
        try:
            ingest.ingest(db, thing=thing, items=sent.items, channel=channel)
        except Forbidden as exc:
            db.rollback()
            log.warning("mqtt: %s on %s", exc.en, sent.message.topic)
            ingest.ingest(db, thing=thing, channel=channel, items=[ingest.Incoming(
                None, None, None, raw=[i.raw for i in sent.items], malformed=exc.en)])


TRANSIENT = (OperationalError, DBAPIError)  # the database away or busy: try again; anything else is a bug


class Worker:
    """One MQTT client (a stable client id, a persistent session) feeding one database writer thread through a
    bounded queue; a message is acknowledged after its observations were committed (or quarantined)."""

    def __init__(self, factory: sessionmaker[Session], *, url: str, group: str = "zhicheng", client_id: str,
                 prefix: str = "", receive_maximum: int = 100, batch_max: int = 1000,
                 session_expiry: int = 7 * 86400, keepalive: int = 30, updates: bool = True) -> None:
        self.factory, self.broker, self.group, self.prefix = factory, Broker.parse(url), group, prefix
        self.url = url
        self.receive_maximum, self.batch_max, self.session_expiry = receive_maximum, batch_max, session_expiry
        self.keepalive, self.updates, self._updates_key = keepalive, updates, None
        # the broker sends at most receive_maximum unacknowledged messages; after a reconnect the old connection's
        # may still wait here beside the resent ones, hence twice that. A full queue blocks the network thread.
        self.queue: queue.Queue[Received] = queue.Queue(maxsize=2 * receive_maximum)
        self.generation = 0
        self.skipped = 0  # the server's own updates heard on the create topics (not stored again)
        self.ready = threading.Event()  # subscribed on the current connection
        self.stopping = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5,
                                  manual_ack=True)
        if self.broker.username:
            self.client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            self.client.tls_set()
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self._writer = threading.Thread(target=self._write_loop, name=f"mqtt-writer-{client_id}", daemon=True)

    @property
    def filters(self) -> list[str]:
        return [f"$share/{self.group}/{self.prefix}{STA_FILTER}", f"$share/{self.group}/{self.prefix}{DEVICE_FILTER}"]

    def start(self) -> Worker:
        """Connect (retrying with backoff until the broker answers) and start the network and writer threads."""
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.session_expiry
        props.ReceiveMaximum = self.receive_maximum
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=self.keepalive, clean_start=False,
                                  properties=props)
        self.client.loop_start()
        self._writer.start()
        if self.updates:  # what this worker stores goes out as SensorThings MQTT updates (one publisher a process)
            from zhicheng.core.settings import get_settings
            from zhicheng.iot import mqtt_updates

            settings = get_settings()
            self._updates_key = mqtt_updates.acquire(
                self.factory, url=self.url, prefix=self.prefix, root=mqtt_updates.default_root(settings),
                closed=settings.mqtt_updates_closed)
        return self

    def stop(self, *, keep_session: bool = True, timeout: float = 10) -> None:
        """Finish the batch in hand and disconnect; messages not yet acknowledged come again to the next session
        (or, with keep_session=False, the broker forgets this worker's session)."""
        self.stopping.set()
        self._writer.join(timeout)
        props = None
        if not keep_session:
            props = Properties(PacketTypes.DISCONNECT)
            props.SessionExpiryInterval = 0
        self.client.disconnect(properties=props)
        self.client.loop_stop()
        if self._updates_key is not None:
            from zhicheng.iot import mqtt_updates

            mqtt_updates.release(self._updates_key)
            self._updates_key = None

    def _on_connect(self, client, _userdata, _flags, reason, _properties) -> None:
        if reason.is_failure:
            log.warning("mqtt: %s:%s refused the connection: %s", self.broker.host, self.broker.port, reason)
            return
        self.generation += 1
        # what came on the previous connection can never be acknowledged and the broker sends it again: drop it, so
        # that the new connection's messages never wait behind it (a full queue would block this network thread,
        # which then misses its keepalive and is disconnected again)
        while True:
            try:
                self.queue.get_nowait()
            except queue.Empty:
                break
        log.info("mqtt: connected to %s:%s, subscribing %s", self.broker.host, self.broker.port, self.filters)
        client.subscribe([(f, SubscribeOptions(qos=1)) for f in self.filters])

    def _on_subscribe(self, _client, _userdata, _mid, reasons, _properties) -> None:
        if all(not r.is_failure for r in reasons):
            self.ready.set()
        else:
            log.error("mqtt: subscription refused (%s): check the broker's ACL for this worker", reasons)

    def _on_disconnect(self, _client, _userdata, _flags, reason, _properties) -> None:
        self.ready.clear()
        if not self.stopping.is_set():
            log.warning("mqtt: disconnected (%s); reconnecting", reason)

    def _on_message(self, _client, _userdata, message: paho.MQTTMessage) -> None:
        own = marked(message.properties)  # No Local is not allowed on a shared subscription: the marker instead
        if own:
            self.skipped += 1
            if message.qos == 0:
                return
        self.queue.put(Received(message.topic, b"" if own else bytes(message.payload), message.mid, message.qos,
                                self.generation, own))

    def _write_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                batch = [self.queue.get(timeout=0.2)]
            except queue.Empty:
                continue
            while len(batch) < self.batch_max:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            if self._settle(batch):
                for message in batch:  # PUBACKs in the order the PUBLISHes came, all after the commits
                    if message.generation == self.generation and message.qos > 0:
                        self.client.ack(message.mid, message.qos)

    def _settle(self, batch: list[Received]) -> bool:
        """Store the batch (one ingest call per device and channel); False when it must stay unacknowledged."""
        pending, done, delay = [m for m in batch if not m.own], set(), 0.5
        while True:
            try:
                with self.factory() as db:
                    groups: dict[tuple[int, str], list[Sent]] = {}
                    for message in pending:
                        sent = read_message(db, message, self.prefix)
                        if sent.dropped:
                            log.warning("mqtt: dropped a message on %s: %s", message.topic, sent.dropped)
                        else:
                            groups.setdefault((sent.thing.id, sent.channel), []).append(sent)
                    db.rollback()
                    for group in groups.values():
                        store(db, group)
                        done.update(id(s.message) for s in group)  # committed: a retry leaves these be
                    return True
            except TRANSIENT:
                log.exception("mqtt: the database failed; retrying in %.1f s", delay)
                if self.stopping.wait(delay):
                    return False
                delay = min(delay * 2, 30)
                pending = [m for m in pending if id(m) not in done]
            except Exception:
                log.exception("mqtt: a batch of %d could not be stored; left unacknowledged", len(batch))
                return False
