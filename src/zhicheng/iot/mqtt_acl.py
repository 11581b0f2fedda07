"""The broker's side of MQTT ingest and updates: a Mosquitto ACL file confining each enabled device to its own topics
(the public to the open devices' updates), and a device's entry in a Mosquitto password file (tokens are kept only as
hashes, so entries are added when issued)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhicheng.core.errors import Invalid, NotFound
from zhicheng.iot import tokens
from zhicheng.iot.models import Datastream, Thing
from zhicheng.iot.mqtt import DEVICE_FILTER, STA_FILTER, device_topic, sta_topic

UPDATES_ALL = "v1.1/Observations"  # every new observation of the open devices (iot.mqtt_updates)
UNFIT = re.compile(r"[\s/+#\x00]")  # a code with these cannot be an MQTT user and a topic level at once


def acl_text(db: Session, *, prefix: str = "", worker_user: str | None = "zhicheng-ingest") -> str:
    """Mosquitto ACL lines: anonymous clients may read the updates of open devices' datastreams and of all
    observations (only open devices' go there); each enabled device may write its device topic and write and read
    its datastreams' SensorThings topics, nothing else; the server's user (ingest workers and the update publisher)
    may read both ingest filters and write the updates."""
    lines = ["# zhicheng MQTT ACL (zhicheng iot mqtt-acl); regenerate after registering, disabling, opening or",
             "# removing devices, then reload the broker (kill -HUP). Disabled devices have no entry.", ""]
    streams: dict[int, list[int]] = {}
    for thing_id, ds_id in db.execute(select(Datastream.thing_id, Datastream.id).order_by(Datastream.id)):
        streams.setdefault(thing_id, []).append(ds_id)
    # the lines before the first `user` line are the anonymous clients' (SensorThings receiving updates)
    lines += ["# anonymous: the updates of open devices", f"topic read {prefix}{UPDATES_ALL}"]
    for thing_id in db.scalars(select(Thing.id).where(Thing.open.is_(True)).order_by(Thing.id)):
        lines += [f"topic read {sta_topic(ds, prefix)}" for ds in streams.get(thing_id, [])]
    lines.append("")
    if worker_user:
        lines += [f"user {worker_user}", f"topic read {prefix}{STA_FILTER}", f"topic read {prefix}{DEVICE_FILTER}",
                  f"topic write {prefix}{STA_FILTER}", f"topic write {prefix}{UPDATES_ALL}", ""]
    for thing in db.scalars(select(Thing).where(Thing.enabled.is_(True)).order_by(Thing.id)):
        if UNFIT.search(thing.code):
            lines += [f"# skipped device {thing.id}: its code has a space, '/', '+' or '#'", ""]
            continue
        lines += [f"user {thing.code}", f"topic write {device_topic(thing.code, prefix)}",
                  f"topic write {device_topic(str(thing.id), prefix)}"]
        lines += [f"topic readwrite {sta_topic(ds, prefix)}" for ds in streams.get(thing.id, [])]
        lines.append("")
    return "\n".join(lines)


def write_acl(db: Session, out: Path, *, prefix: str = "", worker_user: str | None = "zhicheng-ingest") -> Path:
    """Write the ACL file as `out`/zhicheng.acl (readable by its owner and group only); return its path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "zhicheng.acl"
    tmp = path.with_suffix(".acl.tmp")
    tmp.write_text(acl_text(db, prefix=prefix, worker_user=worker_user), encoding="utf-8")
    tmp.chmod(0o640)
    tmp.replace(path)  # the broker never reads half a file
    return path


def add_password(db: Session, *, code: str, token: str, password_file: Path) -> None:
    """Put device `code`'s token in a Mosquitto password file (mosquitto_passwd), after checking it is its token."""
    thing = tokens.thing_of_token(db, token)
    if thing is None or thing.code != code:
        raise NotFound(f"令牌不属于设备 {code}", f"the token is not device {code}'s", field="token")
    if UNFIT.search(code):
        raise Invalid("设备编码不能用作 MQTT 用户名", "the device code cannot be an MQTT user name", field="code")
    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        raise NotFound("未找到 mosquitto_passwd（随 Mosquitto 安装）", "mosquitto_passwd (installed with "
                       "Mosquitto) is not on the PATH", field="mosquitto_passwd")
    create = [] if password_file.exists() else ["-c"]
    subprocess.run([tool, *create, "-b", str(password_file), code, token], check=True, capture_output=True)
