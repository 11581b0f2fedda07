"""IoT API (物联感知): device types, devices (register, bulk from CSV, enable/disable, rotate token, status), the
plain JSON and SenML ingest batches, the quarantine and the hourly/daily aggregates for charts."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, File, Form, Query, Request, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, current_actor, require_user
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError, Invalid
from zhicheng.iot import device_types, ingest, rollups, senml, service
from zhicheng.iot.access import readable_things
from zhicheng.iot.device_auth import field_error, json_body, writing_device
from zhicheng.iot.models import Quarantined, Thing
from zhicheng.iot.schemas import (
    BulkOut,
    DeviceCreate,
    DeviceOut,
    DeviceTypeOut,
    DeviceWithToken,
    IngestOut,
    QuarantinedOut,
)
from zhicheng.policy import audit
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/iot", tags=["iot 物联感知"])
MAX_BATCH = 10_000


def device_out(db: Session, thing: Thing, token: str | None = None) -> dict:
    """A device as the API shows it (its token only when just issued)."""
    streams = service.datastreams_of(db, thing.id)
    interval = min((d.sampling_interval for d in streams), default=None)
    out = {"id": thing.id, "code": thing.code, "name": thing.name, "department_id": thing.department_id,
           "device_type": thing.device_type, "enabled": thing.enabled, "open": thing.open,
           "online": service.is_online(thing.last_seen, interval), "last_seen": thing.last_seen,
           "created_at": thing.created_at, "token_rotated_at": thing.token_rotated_at,
           "datastreams": [{"id": d.id, "key": d.key, "name": d.name, "unit_of_measurement": d.unit_of_measurement,
                            "observation_type": d.observation_type, "valid_min": d.valid_min,
                            "valid_max": d.valid_max, "sampling_interval": d.sampling_interval} for d in streams]}
    if token is not None:
        out["token"] = token
    return out


@router.get("/device-types", response_model=list[DeviceTypeOut])
def list_device_types(actor: Actor = Depends(require_user)):
    """插件提供的设备类型 / the device types the plugins bring."""
    return [{"key": t.key, "name": t.name, "name_en": t.name_en, "description": t.description,
             "datastreams": [d.model_dump() for d in t.datastreams]} for t in device_types.device_types().values()]


@router.get("/devices", response_model=list[DeviceOut])
def list_devices(department_id: int | None = Query(default=None, description="部门 / department"),
                 db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """可查看的设备及其在线状态 / the devices you may see, with online/offline."""
    return [device_out(db, t) for t in service.list_devices(db, actor=actor, department_id=department_id)]


@router.post("/devices", response_model=DeviceWithToken, status_code=201, dependencies=[Depends(csrf_protect)])
def register_device(body: DeviceCreate, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """登记设备（部门数据管理员），令牌仅显示一次 / register a device (the department's data officer); the token is
    shown this once."""
    done = service.register_device(db, actor=actor, **body.model_dump())
    return device_out(db, done.thing, done.token)


@router.post("/devices/bulk", response_model=BulkOut, status_code=201, dependencies=[Depends(csrf_protect)])
def register_devices(file: UploadFile = File(..., description="CSV: code,name,device_type,lon,lat[,description,open]"),
                     department_id: int = Form(...), db: Session = Depends(get_db),
                     actor: Actor = Depends(require_user)):
    """从 CSV 批量登记设备（全部成功或全部不登记）/ register devices in bulk from a CSV (all or none)."""
    rows = service.parse_csv(file.file.read(service.MAX_CSV_BYTES + 1))  # one byte over: refused, not cut
    done = service.register_many(db, actor=actor, department_id=department_id, rows=rows)
    return {"count": len(done), "devices": [device_out(db, d.thing, d.token) for d in done]}


@router.get("/devices/{thing_id}", response_model=DeviceOut)
def read_device(thing_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """一台设备及其数据流、最后上报时间、在线状态 / one device, its datastreams, last seen, online."""
    return device_out(db, service.get_device(db, actor=actor, thing_id=thing_id))


@router.post("/devices/{thing_id}/disable", response_model=DeviceOut, dependencies=[Depends(csrf_protect)])
def disable_device(thing_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """停用设备：其令牌不再被接受 / disable a device: its token is refused."""
    return device_out(db, service.set_enabled(db, actor=actor, thing_id=thing_id, enabled=False))


@router.post("/devices/{thing_id}/enable", response_model=DeviceOut, dependencies=[Depends(csrf_protect)])
def enable_device(thing_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """启用设备 / enable a device."""
    return device_out(db, service.set_enabled(db, actor=actor, thing_id=thing_id, enabled=True))


@router.post("/devices/{thing_id}/rotate-token", response_model=DeviceWithToken,
             dependencies=[Depends(csrf_protect)])
def rotate_token(thing_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """轮换设备令牌，旧令牌立即失效 / a new device token; the old one stops working at once."""
    done = service.rotate_token(db, actor=actor, thing_id=thing_id)
    return device_out(db, done.thing, done.token)


@router.get("/quarantine", response_model=list[QuarantinedOut])
def list_quarantine(thing_id: int | None = Query(default=None), limit: int = Query(default=100, ge=1, le=1000),
                    db: Session = Depends(get_db), actor: Actor = Depends(current_actor)):
    """被隔离的观测（原因、设备、时间）/ quarantined observations: why, which device, when."""
    stmt = (select(Quarantined).join(Thing, Thing.id == Quarantined.thing_id).where(readable_things(actor))
            .order_by(Quarantined.id.desc()).limit(limit))
    if thing_id is not None:
        stmt = stmt.where(Quarantined.thing_id == thing_id)
    return list(db.scalars(stmt))


def batch_items(body: Any) -> list[ingest.Incoming]:
    """The observations of a plain batch {"datastream": id or name, "observations": [[time, value], ...]} (or a
    list of such), each read or marked malformed; a wrong shape overall is 400 naming the field."""
    groups = body if isinstance(body, list) else [body]
    items: list[ingest.Incoming] = []
    for g, group in enumerate(groups):
        where = f"[{g}]." if isinstance(body, list) else ""
        if not isinstance(group, dict):
            raise field_error(f"{where}datastream".rstrip("."), "批次须为 JSON 对象", "a batch must be a JSON object")
        ref = group.get("datastream")
        if isinstance(ref, bool) or not isinstance(ref, int | str):
            raise field_error(f"{where}datastream", "datastream 须为数据流编号或名称",
                              "datastream must be a datastream id or name")
        observations = group.get("observations")
        if not isinstance(observations, list):
            raise field_error(f"{where}observations", "observations 须为 [[时间, 值], ...] 数组",
                              "observations must be an array of [time, value]")
        for obs in observations:
            if isinstance(obs, list) and len(obs) == 2:
                items.append(ingest.Incoming(ref, obs[0], obs[1], raw=obs))
            else:
                items.append(ingest.Incoming(ref, None, None, raw=obs, malformed="expected [time, value]"))
        if len(items) > MAX_BATCH:
            raise Invalid(f"一次最多 {MAX_BATCH} 条观测", f"at most {MAX_BATCH} observations a request",
                          code="batch_too_large", field="observations")
    return items


@router.post("/ingest", response_model=IngestOut)
def ingest_batch(thing: Thing = Depends(writing_device), body: Any = Depends(json_body), db: Session = Depends(get_db)):
    """设备上报一批观测（设备令牌认证）；按（数据流, 时间）幂等，越界等数据被隔离并说明原因 / a device's batch of
    observations (device token); idempotent per (datastream, time); bad values quarantined with a reason."""
    return ingest.ingest(db, thing=thing, items=batch_items(body), channel="batch").as_dict()


class UnsupportedMedia(AppError):
    status, code = 415, "unsupported_media_type"


def senml_pack(request: Request) -> None:
    """415 unless the body is declared SenML JSON (application/senml+json) or plain JSON."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind not in (senml.MEDIA_TYPE, "application/json"):
        raise UnsupportedMedia(f"Content-Type 须为 {senml.MEDIA_TYPE}", f"Content-Type must be {senml.MEDIA_TYPE}",
                               field="Content-Type")


@router.post("/ingest/senml", response_model=IngestOut, dependencies=[Depends(senml_pack)],
             openapi_extra={"requestBody": {"content": {senml.MEDIA_TYPE: {"schema": {"type": "array"}}}}})
def ingest_senml(thing: Thing = Depends(writing_device), body: Any = Depends(json_body),
                 db: Session = Depends(get_db)):
    """设备上报 SenML JSON（RFC 8428）：按名称对应设备的数据流，单位须与数据流的 UCUM 单位一致 / a device's SenML
    JSON pack (RFC 8428): records mapped to its datastreams by name; a unit must be the datastream's UCUM unit."""
    records = senml.resolve(body, clock.now().timestamp())
    return ingest.ingest(db, thing=thing, items=senml.incoming(db, thing, records), channel="senml").as_dict()


INTERVAL_Q = Query(default="hour", description="hour（整点）| day（北京时间自然日）")
FUNCTION_Q = Query(default="mean", description="mean | min | max | sum | count")
FROM_Q = Query(default=None, alias="from", description="起（ISO 8601，无时区为北京时间；默认 to 前 7 天）/ from")
TO_Q = Query(default=None, description="止（不含；默认现在）/ to (exclusive; default now)")


def _aggregates(db: Session, actor: Actor, ids: list[int], span: rollups.Span, field: str) -> list[dict]:
    streams = rollups.series(db, actor=actor, datastream_ids=ids, span=span, field=field)
    audit.record(db, actor=actor, action="iot.aggregates.read", target_kind="iot.datastream",
                 target_id=ids[0] if len(ids) == 1 else None,
                 detail={"datastreams": ids, "interval": span.interval.name, "function": span.function,
                         "from": span.start.isoformat(), "to": span.end.isoformat()})
    db.commit()
    return streams


def _span_out(span: rollups.Span) -> dict:
    return {"interval": span.interval.name, "function": span.function, "from": clock.local(span.start),
            "to": clock.local(span.end)}


@router.get("/datastreams/{datastream_id}/aggregates")
def datastream_aggregates(datastream_id: int, interval: str = INTERVAL_Q, function: str = FUNCTION_Q,
                          start: str | None = FROM_Q, to: str | None = TO_Q, db: Session = Depends(get_db),
                          actor: Actor = Depends(current_actor)):
    """一个数据流的整点或逐日统计（均值、最小、最大、总和、个数），供图表使用；时间为北京时间 / one datastream's
    hourly or daily aggregate for charts: values as [time, value], times in Beijing time."""
    span = rollups.parse_span(interval=interval, function=function, start=start, end=to)
    stream = _aggregates(db, actor, [datastream_id], span, "datastream_id")[0]
    values = stream.pop("values")
    return {**_span_out(span), "datastream": stream, "values": values}


@router.get("/aggregates")
def aggregates(datastreams: str | None = Query(default=None, description="数据流编号，逗号分隔 / ids: 1,2,3"),
               interval: str = INTERVAL_Q, function: str = FUNCTION_Q, start: str | None = FROM_Q,
               to: str | None = TO_Q, db: Session = Depends(get_db), actor: Actor = Depends(current_actor)):
    """多个数据流的整点或逐日统计（一张图多条曲线）/ several datastreams' aggregates at once (one chart, many
    series)."""
    ids = rollups.parse_ids(datastreams)
    span = rollups.parse_span(interval=interval, function=function, start=start, end=to, datastreams=len(ids))
    return {**_span_out(span), "datastreams": _aggregates(db, actor, ids, span, "datastreams")}
