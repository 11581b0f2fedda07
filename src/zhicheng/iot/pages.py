"""Device pages (物联感知 › 设备): the device list with filters, one device (datastreams with their latest value, a 24 h
chart, its place on a map, enable/disable, a new token shown once), registering one device or a CSV of them, and
the quarantine of refused observations."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhicheng.accounts import departments as accounts_departments
from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.db import MAX_ID
from zhicheng.core.errors import AppError, Conflict, Forbidden, Invalid, NotFound
from zhicheng.iot import access, device_types, service
from zhicheng.iot.ingest import REASONS
from zhicheng.iot.models import Thing
from zhicheng.policy import audit
from zhicheng.policy.service import Target, across_departments, decide
from zhicheng.web.deps import get_db
from zhicheng.web.flash import flash
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
STATUSES = ("online", "offline", "disabled")
DeviceId = Annotated[int, Path(ge=1, le=MAX_ID, description="设备编号 / device id")]
NO_STORE = {"Cache-Control": "no-store"}  # a page showing a token is never kept by the browser or a proxy
CRUMB = ("物联感知", None)


def _departments(db: Session) -> dict[int, Any]:
    return {d.id: d for d in accounts_departments.list_departments(db)}


def _type_names(lang: str) -> dict[str, str]:
    return {k: (t.name_en if lang == "en" else t.name) for k, t in device_types.device_types().items()}


def _dept_name(dept: Any, lang: str) -> str:
    if dept is None:
        return "—"
    return (dept.name_en or dept.name) if lang == "en" else dept.name


def may_register(actor: Actor) -> bool:
    """Whether the actor may register devices for their department (or any, the admin)."""
    if not actor.is_authenticated:
        return False
    return (decide(actor, "create", Target(access.DEVICE, department_id=actor.department_id)).allowed
            or across_departments(actor, "create", access.DEVICE))


def _registrable_departments(db: Session, actor: Actor, lang: str) -> list[tuple[int, str]]:
    """The departments the actor may register devices for (the admin: every active one)."""
    out = []
    for d in accounts_departments.list_departments(db, active_only=True):
        if decide(actor, "create", Target(access.DEVICE, department_id=d.id)).allowed:
            out.append((d.id, _dept_name(d, lang)))
    return out


def _int_or_none(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_ID else None


# -- the list ------------------------------------------------------------------------------------------------------

@router.get("/iot/devices")
def devices_list(request: Request, q: str = Query("", max_length=100), department: str = Query("", max_length=12),
                 type: str = Query("", max_length=64), status: str = Query("", max_length=10),
                 page: int = Query(1, ge=1, le=100_000), actor: Actor = Depends(require_user),
                 db: Session = Depends(get_db)):
    """设备列表：部门、类型、在线/离线、启用，可筛选分页 / the devices, filtered and paged."""
    lang = request_language(request)
    status = status if status in STATUSES else ""
    department_id = _int_or_none(department)
    found, total = service.find_devices(
        db, actor=actor, department_id=department_id, device_type=type or None, q=q.strip() or None,
        enabled=False if status == "disabled" else (True if status else None),
        online={"online": True, "offline": False}.get(status), offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    depts, types = _departments(db), _type_names(lang)
    rows = [{"id": t.id, "code": t.code, "name": t.name, "department": _dept_name(depts.get(t.department_id), lang),
             "type": types.get(t.device_type, t.device_type), "enabled": t.enabled, "open": t.open,
             "online": service.is_online(t.last_seen, interval), "last_seen": t.last_seen}
            for t, interval in found]
    params = [(k, v) for k, v in (("q", q), ("department", department), ("type", type), ("status", status)) if v]

    def page_url(n: int) -> str:
        return "/iot/devices?" + urlencode(params + [("page", n)])

    return render(request, "iot_devices.html", {
        "rows": rows, "total": total, "page": page, "size": PAGE_SIZE, "page_url": page_url,
        "filters": {"q": q, "department": department, "type": type, "status": status},
        "departments": [(d.id, _dept_name(d, lang)) for d in depts.values() if d.active],
        "types": sorted(types.items()), "can_register": may_register(actor),
        "breadcrumbs": [CRUMB, ("设备", None)]})


# -- one device ----------------------------------------------------------------------------------------------------

def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.6g}"


def _latest_text(obs: Any) -> str:
    if obs is None:
        return "—"
    if obs.result_number is not None:
        return _number(obs.result_number)
    if obs.result_text is not None:
        return obs.result_text[:100]
    return str(obs.result_json)[:100] if obs.result_json is not None else "—"


def device_context(db: Session, actor: Actor, thing: Thing, lang: str) -> dict[str, Any]:
    """What the device page shows (one audit entry: it holds the latest observations)."""
    streams = service.datastreams_of(db, thing.id)
    latest = service.latest_observations(db, actor=actor, datastream_ids=[d.id for d in streams])
    audit.record(db, actor=actor, action="iot.observations.read", target_kind=access.DEVICE, target_id=thing.id,
                 detail={"view": "device page", "datastreams": [d.id for d in streams][:100]})
    db.commit()
    interval = min((d.sampling_interval for d in streams), default=None)
    location = service.positions_of(db, [thing.id]).get(thing.id)
    charted = [d for d in streams if d.observation_type.endswith("OM_Measurement")]
    now = clock.now()
    chart = {"api": "/api/v1/iot/aggregates?" + urlencode({
        "datastreams": ",".join(str(d.id) for d in charted), "interval": "hour", "function": "mean",
        "from": clock.local(now - timedelta(hours=24)).replace(minute=0, second=0, microsecond=0).isoformat(),
        "to": clock.local(now).isoformat()}) if charted else None,
        "empty": "最近 24 小时没有数据", "failed": "图表数据读取失败"}
    dept = _departments(db).get(thing.department_id)
    return {
        "thing": thing, "department": _dept_name(dept, lang),
        "type_name": _type_names(lang).get(thing.device_type, thing.device_type),
        "online": service.is_online(thing.last_seen, interval), "interval": interval,
        "streams": [{"id": d.id, "key": d.key, "name": d.name,
                     "unit": (d.unit_of_measurement or {}).get("symbol") or "",
                     "latest": _latest_text(latest.get(d.id)),
                     "at": latest[d.id].phenomenon_time if d.id in latest else None,
                     "range": (f"{_number(d.valid_min)} – {_number(d.valid_max)}"
                               if d.valid_min is not None or d.valid_max is not None else "—"),
                     "interval": d.sampling_interval} for d in streams],
        "location": {"lon": location[0], "lat": location[1], "name": thing.name} if location else None,
        "chart": chart, "may_manage": decide(actor, "update", access.target(thing)).allowed,
        "breadcrumbs": [CRUMB, ("设备", "/iot/devices"), (thing.name, None)]}


@router.get("/iot/devices/new")
def register_form(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """登记一台设备的表单 / the form to register one device."""
    return _register_page(request, db, actor, {"department_id": actor.department_id or ""})


def _register_page(request: Request, db: Session, actor: Actor, values: dict, error: AppError | None = None):
    lang = request_language(request)
    choices = _registrable_departments(db, actor, lang)
    if not choices:
        raise access_denied()
    errors = {}
    if error is not None:
        errors[error.field or "_form"] = error.message(lang)
    return render(request, "iot_devices_new.html", {
        "values": values, "errors": errors, "departments": choices, "types": sorted(_type_names(lang).items()),
        "breadcrumbs": [CRUMB, ("设备", "/iot/devices"), ("登记设备", None)]},
        status_code=422 if error is not None else 200)


def access_denied() -> AppError:
    return Forbidden("只有部门数据管理员和管理员可以登记设备", "only data officers and admins register devices",
                     field="department_id")


@router.post("/iot/devices/new", dependencies=[Depends(csrf_protect)])
def register(request: Request, department_id: str = Form(""), device_type: str = Form(""), code: str = Form(""),
             name: str = Form(""), lon: str = Form(""), lat: str = Form(""), description: str = Form(""),
             open: str = Form(""), actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """登记设备并一次性显示其令牌 / register the device and show its token this once."""
    values = {"department_id": department_id, "device_type": device_type, "code": code, "name": name, "lon": lon,
              "lat": lat, "description": description, "open": bool(open)}
    try:
        dept = _int_or_none(department_id)
        if dept is None:
            raise Invalid("请选择部门", "choose a department", field="department_id")
        if not device_type:
            raise Invalid("请选择设备类型", "choose a device type", field="device_type")
        for key, text in (("lon", lon), ("lat", lat)):
            try:
                float(text)
            except ValueError:
                raise Invalid("坐标须为数字", "coordinates must be numbers", field=key) from None
        if len(description) > 2000:
            raise Invalid("说明最多 2000 字", "the description has at most 2000 characters", field="description")
        done = service.register_device(db, actor=actor, department_id=dept, device_type=device_type, code=code,
                                       name=name, lon=float(lon), lat=float(lat), description=description,
                                       open=bool(open))
    except AppError as exc:
        if exc.status in (401, 403):
            raise
        db.rollback()
        return _register_page(request, db, actor, values, exc)
    return _token_page(request, db, done, "设备已登记")


def _token_page(request: Request, db: Session, done: service.Registered, title: str):
    lang = request_language(request)
    return _no_store(render(request, "iot_devices_token.html", {
        "title": title, "devices": [_issued(done, lang)],
        "breadcrumbs": [CRUMB, ("设备", "/iot/devices"), (done.thing.name, f"/iot/devices/{done.thing.id}"),
                        (title, None)]}))


def _no_store(response):
    response.headers.update(NO_STORE)
    return response


def _issued(done: service.Registered, lang: str) -> dict[str, Any]:
    t = done.thing
    return {"id": t.id, "code": t.code, "name": t.name, "type": _type_names(lang).get(t.device_type, t.device_type),
            "token": done.token}


@router.get("/iot/devices/bulk")
def bulk_form(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """从 CSV 批量登记设备的表单 / the form to register devices from a CSV."""
    return _bulk_page(request, db, actor, {"department_id": actor.department_id or ""})


def _bulk_page(request: Request, db: Session, actor: Actor, values: dict, *, error: AppError | None = None,
               row_errors: list[dict] | None = None):
    lang = request_language(request)
    choices = _registrable_departments(db, actor, lang)
    if not choices:
        raise access_denied()
    errors = {}
    if error is not None:
        errors[error.field or "_form"] = error.message(lang)
    failed = error is not None or bool(row_errors)
    return render(request, "iot_devices_bulk.html", {
        "values": values, "errors": errors, "row_errors": row_errors or [], "departments": choices,
        "types": sorted(device_types.device_types().items()), "columns": service.CSV_COLUMNS,
        "breadcrumbs": [CRUMB, ("设备", "/iot/devices"), ("批量登记", None)]}, status_code=422 if failed else 200)


def row_errors(rows: list[dict], lang: str, known_codes: set[str]) -> list[dict]:
    """Every row's problems at once (the service stops at the first): line, field, message."""
    types = device_types.device_types()
    seen: dict[str, int] = {}
    out = []
    for line, row in enumerate(rows, start=2):
        problems: list[AppError] = []
        code, name = (row.get("code") or "").strip(), (row.get("name") or "").strip()
        if not code or len(code) > 64:
            problems.append(Invalid("设备编码须为 1 到 64 个字符", "the device code must be 1 to 64 characters",
                                    field="code"))
        elif code in seen:
            problems.append(Conflict(f"设备编码 {code} 与第 {seen[code]} 行重复",
                                     f"device code {code} repeats line {seen[code]}", field="code"))
        elif code in known_codes:
            problems.append(Conflict(f"设备编码 {code} 已存在", f"device code {code} already exists", field="code"))
        seen.setdefault(code, line)
        if not name or len(name) > 200:
            problems.append(Invalid("设备名称须为 1 到 200 个字符", "the device name must be 1 to 200 characters",
                                    field="name"))
        if row.get("device_type", "") not in types:
            problems.append(NotFound(f"设备类型 {row.get('device_type')} 不存在",
                                     f"device type {row.get('device_type')} not found", field="device_type"))
        try:
            service.point(row.get("lon"), row.get("lat"))
        except Invalid as exc:
            problems.append(exc)
        out.extend({"line": line, "code": code, "field": p.field, "message": p.message(lang)} for p in problems)
    return out


@router.post("/iot/devices/bulk", dependencies=[Depends(csrf_protect)])
def bulk_register(request: Request, department_id: str = Form(""), file: UploadFile | None = File(None),
                  actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """登记 CSV 中的全部设备（有错误时一台也不登记，按行列出错误）；每台设备的令牌只显示这一次 / register every
    row of the CSV (none when a row is wrong: the errors are listed by row); each token is shown this once."""
    lang = request_language(request)
    values = {"department_id": department_id}
    try:
        dept = _int_or_none(department_id)
        if dept is None:
            raise Invalid("请选择部门", "choose a department", field="department_id")
        if file is None or not file.filename:
            raise Invalid("请选择 CSV 文件", "choose a CSV file", field="file")
        rows = service.parse_csv(file.file.read(service.MAX_CSV_BYTES + 1))  # over the limit: refused there
        problems = row_errors(rows, lang, _existing(db, {(r.get("code") or "").strip() for r in rows}))
        if problems:
            if not decide(actor, "create", Target(access.DEVICE, department_id=dept)).allowed:
                raise access_denied()
            return _bulk_page(request, db, actor, values, row_errors=problems)
        done = service.register_many(db, actor=actor, department_id=dept, rows=rows)
    except AppError as exc:
        if exc.status in (401, 403):
            raise
        db.rollback()
        return _bulk_page(request, db, actor, values, error=exc)
    return _no_store(render(request, "iot_devices_token.html", {
        "title": "批量登记完成", "devices": [_issued(d, lang) for d in done],
        "breadcrumbs": [CRUMB, ("设备", "/iot/devices"), ("批量登记", None)]}))


def _existing(db: Session, codes: set[str]) -> set[str]:
    """Which of `codes` are already devices' codes (whoever's: codes are unique across the city)."""
    known: set[str] = set()
    listed = sorted(c for c in codes if c)
    for first in range(0, len(listed), 500):
        known.update(db.scalars(select(Thing.code).where(Thing.code.in_(listed[first:first + 500]))))
    return known


@router.get("/iot/devices/{thing_id}")
def device_detail(thing_id: DeviceId, request: Request, actor: Actor = Depends(require_user),
                  db: Session = Depends(get_db)):
    """一台设备：数据流与最新值、24 小时曲线、位置、启停与令牌 / one device: datastreams with their latest value, a
    24-hour chart, its place, enable/disable and its token."""
    thing = service.get_device(db, actor=actor, thing_id=thing_id)
    return render(request, "iot_devices_detail.html", device_context(db, actor, thing, request_language(request)))


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.post("/iot/devices/{thing_id}/enable", dependencies=[Depends(csrf_protect)])
def enable(thing_id: DeviceId, request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """启用设备 / enable the device."""
    service.set_enabled(db, actor=actor, thing_id=thing_id, enabled=True)
    return flash(request, _see_other(f"/iot/devices/{thing_id}"), "设备已启用，其令牌重新有效。")


@router.post("/iot/devices/{thing_id}/disable", dependencies=[Depends(csrf_protect)])
def disable(thing_id: DeviceId, request: Request, actor: Actor = Depends(require_user),
            db: Session = Depends(get_db)):
    """停用设备：其令牌不再被接受 / disable the device: its token is refused."""
    service.set_enabled(db, actor=actor, thing_id=thing_id, enabled=False)
    return flash(request, _see_other(f"/iot/devices/{thing_id}"), "设备已停用，其上报将被拒绝。", "warning")


@router.post("/iot/devices/{thing_id}/rotate-token", dependencies=[Depends(csrf_protect)])
def rotate(thing_id: DeviceId, request: Request, actor: Actor = Depends(require_user),
           db: Session = Depends(get_db)):
    """轮换令牌并一次性显示新令牌，旧令牌立即失效 / a new token, shown this once; the old one stops at once."""
    return _token_page(request, db, service.rotate_token(db, actor=actor, thing_id=thing_id), "新令牌")


# -- the quarantine ------------------------------------------------------------------------------------------------

@router.get("/iot/quarantine")
def quarantine(request: Request, device: str = Query("", max_length=64), reason: str = Query("", max_length=32),
               page: int = Query(1, ge=1, le=100_000), actor: Actor = Depends(require_user),
               db: Session = Depends(get_db)):
    """被隔离的观测：原因、设备、内容、接收时间；可按设备和原因筛选 / refused observations: why, which device,
    what came and when; filtered by device and reason."""
    lang = request_language(request)
    device = device.strip()
    reason = reason if reason in REASONS else ""
    thing_id: int | None = None
    unknown_device = False
    if device:
        matches, _n = service.find_devices(db, actor=actor, q=device, limit=50)
        exact = [t for t, _iv in matches if t.code == device or str(t.id) == device]
        thing_id = exact[0].id if exact else None
        unknown_device = thing_id is None
    rows: list = []
    total = 0
    if not unknown_device:
        found, total = service.find_quarantined(db, actor=actor, thing_id=thing_id, reason=reason or None,
                                                offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        rows = [{"id": q.id, "received_at": q.received_at, "reason": q.reason,
                 "reason_text": REASONS.get(q.reason, (q.reason, q.reason))[1 if lang == "en" else 0],
                 "message": local_times(q.message), "channel": q.channel, "datastream": q.datastream_ref,
                 "payload": _payload(q.payload), "thing": {"id": t.id, "code": t.code, "name": t.name}}
                for q, t in found]
        if rows:
            audit.record(db, actor=actor, action="iot.quarantine.read", target_kind=access.DEVICE,
                         target_id=thing_id, detail={"reason": reason or None, "page": page, "rows": len(rows)})
            db.commit()
    params = [(k, v) for k, v in (("device", device), ("reason", reason)) if v]

    def page_url(n: int) -> str:
        return "/iot/quarantine?" + urlencode(params + [("page", n)])

    return render(request, "iot_quarantine.html", {
        "rows": rows, "total": total, "page": page, "size": PAGE_SIZE, "page_url": page_url,
        "filters": {"device": device, "reason": reason}, "unknown_device": unknown_device,
        "reasons": [(k, v[1] if lang == "en" else v[0]) for k, v in REASONS.items()],
        "breadcrumbs": [CRUMB, ("隔离数据", None)]})


ISO_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?")


def local_times(text: str) -> str:
    """A refusal's message with its ISO 8601 instants in Beijing time, as every page shows a moment (a time
    without offset is Beijing time already, as ingest reads it)."""
    def one(m: re.Match) -> str:
        try:
            at = datetime.fromisoformat(m.group(0).replace("Z", "+00:00"))
        except ValueError:
            return m.group(0)
        at = at.replace(tzinfo=clock.LOCAL_TZ) if at.tzinfo is None else at.astimezone(clock.LOCAL_TZ)
        return at.strftime("%Y-%m-%d %H:%M:%S")

    return ISO_INSTANT.sub(one, text or "")


def _payload(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 300 else text[:300] + "…"


def nav_entries(nav) -> None:
    """物联感知: the devices and the quarantine."""
    nav.register_nav("iot", "设备", "/iot/devices", order=10)
    nav.register_nav("iot", "隔离数据", "/iot/quarantine", order=60)
