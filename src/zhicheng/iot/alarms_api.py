"""Rules and alarms API (物联感知 › 告警): rules CRUD (validated, problem+json naming the field), rule templates,
alarms list/filter, acknowledge/clear/close with a comment, history, the live stream (SSE) fed from the event bus,
and on_startup: the bus subscriptions and the no-data sweep."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import weakref
from typing import Any

from fastapi import Depends, Query, Request, Response
from sqlalchemy.orm import Session
from sse_starlette.sse import EventSourceResponse

from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid
from zhicheng.core.events import bus, same_database
from zhicheng.iot import alarms, rule_engine, rules
from zhicheng.iot.device_auth import json_body
from zhicheng.iot.models import Thing
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/iot", tags=["iot 物联感知"])
QUEUE_SIZE = 200  # transitions held per live client; past it the client is told to reload (event `lagged`)
PING_SECONDS = 15
SWEEP_SECONDS = 60


def _rule_out(rule) -> dict:
    return rules.as_dict(rule)


def _body(body: Any) -> dict:
    if not isinstance(body, dict):
        raise Invalid("请求内容须为 JSON 对象", "the body must be a JSON object", code="invalid_rule", field="body")
    return body


@router.get("/rules")
def list_rules(kind: str | None = Query(default=None, description="threshold | rate | no_data | composite"),
               enabled: bool | None = None, thing_id: int | None = None, db: Session = Depends(get_db),
               actor: Actor = Depends(require_user)):
    """告警规则（本部门与全市通用）/ alarm rules: your department's and the city-wide ones."""
    return [_rule_out(r) for r in rules.list_rules(db, actor=actor, kind=kind, enabled=enabled, thing_id=thing_id)]


@router.post("/rules", status_code=201, dependencies=[Depends(csrf_protect)])
def create_rule(body: Any = Depends(json_body), db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """新建规则（校验后保存，错误指明字段）/ create a rule (validated; an error names the field)."""
    return _rule_out(rules.create(db, actor=actor, body=_body(body)))


@router.get("/rules/{rule_id}")
def read_rule(rule_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """一条规则 / one rule."""
    return _rule_out(rules.get(db, actor=actor, rule_id=rule_id))


@router.put("/rules/{rule_id}", dependencies=[Depends(csrf_protect)])
def replace_rule(rule_id: int, body: Any = Depends(json_body), db: Session = Depends(get_db),
                 actor: Actor = Depends(require_user)):
    """修改规则（整体替换，状态重新计算）/ replace a rule (its evaluation starts afresh)."""
    return _rule_out(rules.update(db, actor=actor, rule_id=rule_id, body=_body(body)))


@router.delete("/rules/{rule_id}", status_code=204, dependencies=[Depends(csrf_protect)])
def delete_rule(rule_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """删除规则（其告警保留）/ delete a rule (its alarms stay)."""
    rules.delete(db, actor=actor, rule_id=rule_id)
    return Response(status_code=204)


@router.get("/rule-templates")
def rule_templates(actor: Actor = Depends(require_user)):
    """场景插件提供的规则模板 / the rule templates the scenario plugins bring."""
    return [t.model_dump() for t in rules.templates().values()]


@router.post("/rule-templates/{key}/instantiate", status_code=201, dependencies=[Depends(csrf_protect)])
def instantiate(key: str, body: Any = Depends(json_body), db: Session = Depends(get_db),
                actor: Actor = Depends(require_user)):
    """由模板建规则：{"thing_id": 设备} 或 {"department_id": 部门（缺省为全部）}，可选 name、severity、enabled /
    a rule from a template, for one device or every device of the template's type."""
    body = _body(body or {})
    made = rules.from_template(key, thing_id=body.get("thing_id"), department_id=body.get("department_id"),
                               name=body.get("name"), severity=body.get("severity"),
                               enabled=body.get("enabled", True))
    return _rule_out(rules.create(db, actor=actor, body=made))


def _alarm_out(alarm, thing: Thing | None = None) -> dict:
    return alarms.as_dict(alarm, thing)


@router.get("/alarms")
def list_alarms(state: str | None = Query(default="open", description="open | raised | acknowledged | cleared | "
                                                                       "closed | all"),
                severity: str | None = None, thing_id: int | None = None, rule_id: int | None = None,
                before_id: int | None = Query(default=None, description="分页：此编号之前 / page: ids below"),
                limit: int = Query(default=100, ge=1, le=1000), db: Session = Depends(get_db),
                actor: Actor = Depends(require_user)):
    """告警（本部门设备的；管理员全部），新的在前 / the alarms of your department's devices, newest first."""
    found = alarms.list_alarms(db, actor=actor, state=None if state == "all" else state, severity=severity,
                               thing_id=thing_id, rule_id=rule_id, before_id=before_id, limit=limit)
    return [_alarm_out(a, t) for a, t in found]


@router.get("/alarms/stream", include_in_schema=False)  # an endless stream: not for clients that walk the API
async def alarm_stream(request: Request, actor: Actor = Depends(require_user)):
    """告警实时推送（SSE）：事件 raised / repeated / acknowledged / cleared / closed，data 为 JSON；其他工作进程
    的告警经事件总线到达 / live alarm transitions as Server-Sent Events, from every worker process via the bus."""
    hub: Hub = request.app.state.alarm_hub
    client = hub.join(actor, asyncio.get_running_loop())

    async def events():
        try:
            yield {"event": "ready", "data": "{}", "retry": 3000}
            while True:
                name, payload = await client.queue.get()
                if name == "lagged":
                    yield {"event": "lagged", "data": "{}"}
                    return
                yield {"event": name.removeprefix("iot.alarm."), "id": str(payload.get("alarm_id")),
                       "data": json.dumps({k: v for k, v in payload.items() if k != "database"}, default=str,
                                          ensure_ascii=False)}
        finally:
            hub.leave(client)

    return EventSourceResponse(events(), ping=PING_SECONDS, send_timeout=30,
                               headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/alarms/{alarm_id}")
def read_alarm(alarm_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """一条告警及其处理记录 / one alarm with its history."""
    alarm = alarms.get(db, actor=actor, alarm_id=alarm_id)
    out = _alarm_out(alarm, db.get(Thing, alarm.thing_id))
    out["history"] = [alarms.history_dict(h) for h in alarms.history(db, actor=actor, alarm_id=alarm_id)]
    return out


@router.get("/alarms/{alarm_id}/history")
def alarm_history(alarm_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """告警的每次状态变化（谁、何时、说明）/ each transition of an alarm: who, when, why."""
    return [alarms.history_dict(h) for h in alarms.history(db, actor=actor, alarm_id=alarm_id)]


@router.post("/alarms/{alarm_id}/{action}", dependencies=[Depends(csrf_protect)])
def act_on_alarm(alarm_id: int, action: str, body: Any = Depends(json_body), db: Session = Depends(get_db),
                 actor: Actor = Depends(require_user)):
    """确认（acknowledge）、恢复（clear）或关闭（close）告警，附说明 {"comment": "..."} / acknowledge, clear or
    close an alarm with a comment."""
    comment = body.get("comment", "") if isinstance(body, dict) else ""
    if not isinstance(comment, str):
        raise Invalid("comment 须为文本", "comment must be a string", field="comment")
    alarm = alarms.act(db, actor=actor, alarm_id=alarm_id, action=action, comment=comment)
    return _alarm_out(alarm, db.get(Thing, alarm.thing_id))


# -- the live hub and the background work --------------------------------------------------------------------------


class Client:
    def __init__(self, actor: Actor, loop: asyncio.AbstractEventLoop) -> None:
        self.actor, self.loop = actor, loop
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_SIZE + 1)
        self.lagged = False

    def offer(self, item: tuple[str, dict]) -> None:
        """On the client's loop: keep the transition, or (full) tell the client to reload, once."""
        if self.lagged:
            return
        if self.queue.qsize() >= QUEUE_SIZE:
            self.lagged = True
            self.queue.put_nowait(("lagged", {}))
            return
        self.queue.put_nowait(item)


class Hub:
    """The live clients of one app: each bus fact about an alarm goes to the clients who may see it."""

    def __init__(self, engine) -> None:
        self._engine_ref = weakref.ref(engine)
        self._clients: set[Client] = set()
        self._lock = threading.Lock()

    def join(self, actor: Actor, loop: asyncio.AbstractEventLoop) -> Client:
        client = Client(actor, loop)
        with self._lock:
            self._clients.add(client)
        return client

    def leave(self, client: Client) -> None:
        with self._lock:
            self._clients.discard(client)

    def __len__(self) -> int:
        return len(self._clients)

    def deliver(self, name: str, payload: dict[str, Any]) -> None:
        """A bus handler (any thread): hand the fact to each client's loop."""
        if not same_database(payload, self._engine_ref()):
            return
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            if alarms.may_see(client.actor, payload.get("department_id")):
                try:
                    client.loop.call_soon_threadsafe(client.offer, (name, payload))
                except RuntimeError:  # its loop has closed: the client is gone
                    self.leave(client)


def _sweeper(app_ref: weakref.ReferenceType, pool: Any, stop: threading.Event) -> None:
    while not stop.wait(SWEEP_SECONDS):
        app = app_ref()
        if app is None or app.state.engine.pool is not pool:
            return
        factory = app.state.sessionmaker
        del app
        try:
            with factory() as db:
                rule_engine.sweep(db)
        except Exception:  # noqa: BLE001 - the sweep must outlive a bad pass
            log.exception("iot no-data sweep failed")


def on_startup(app) -> None:
    """The live hub (fed by the bus, other workers' facts included), the rule cache's invalidation and the no-data
    sweep thread (each worker runs one; the open-alarm key keeps their alarms single)."""
    hub = Hub(app.state.engine)
    app.state.alarm_hub = hub
    for name in alarms.EVENTS:
        bus.subscribe(name, hub.deliver, broadcast=True)
    bus.subscribe(rules.CHANGED, rule_engine.forget, broadcast=True)
    stop = threading.Event()
    app.state.alarm_sweep_stop = stop
    threading.Thread(target=_sweeper, args=(weakref.ref(app), app.state.engine.pool, stop),
                     name="zhicheng-iot-sweep", daemon=True).start()
