"""OGC SensorThings API 1.1 at /sta/v1.1: the service root, reading every entity set (with the query options),
creating Observations (one, by Datastream, or many with the Data Array extension) with a device token, and
create/update/delete of every entity by the staff who manage it (`write`)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, current_actor, require_user
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError
from zhicheng.iot import ingest
from zhicheng.iot.device_auth import (
    csrf_unless_device,
    device_or_staff,
    field_error,
    json_body,
    writing_device,
)
from zhicheng.iot.models import Thing
from zhicheng.iot.sensorthings import owners, query, read, write
from zhicheng.iot.sensorthings.entities import SETS
from zhicheng.policy import audit
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter

PREFIX = "/sta/v1.1"
router = APIRouter(prefix=PREFIX, tags=["SensorThings 传感器接口"])
CONFORMANCE = [
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-observations-via-dataarray",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete",
]
MAX_ARRAY = 10_000
JSON_PATCH = "application/json-patch+json"


class Quarantined(AppError):
    status, code = 400, "quarantined"


def _root(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


@router.get("", include_in_schema=False)
@router.get("/")
def service_root(request: Request) -> dict:
    """服务根：实体集合与一致性类 / the service root: entity sets and conformance classes."""
    root = _root(request)
    return {"value": [{"name": name, "url": f"{root}/{name}"} for name in SETS],
            "serverSettings": {"conformance": CONFORMANCE}}


@router.get("/{path:path}", summary="读取实体、集合、属性 / read an entity, a collection or a property")
def read_resource(path: str, request: Request, db: Session = Depends(get_db),
                  actor: Actor = Depends(current_actor)):
    """SensorThings 资源路径，如 Things(1)/Datastreams；支持 $top $skip $count $orderby $select $expand $filter /
    a SensorThings resource path with the query options."""
    target = read.resolve(db, path, actor)
    params = query.all_params(request.query_params)
    links = read.Links(_root(request))
    if target.property is not None:
        value = read.property_value(db, target, links)
        if target.raw_value:
            return PlainTextResponse("" if value is None else str(value))
        return {target.property: value}
    opts = query.parse(params, target.entity)
    if target.id is not None:
        answer = read.entity(db, target, opts, links, actor)
    else:
        base = str(request.url).split("?", 1)[0]
        collect = read.data_array if opts.data_array else read.collection
        answer = collect(db, target, opts, links, actor, base, params)
    if read.touches_observations(target, opts):
        audit.record(db, actor=actor, action="iot.observations.read", target_kind="iot.observation",
                     detail={"path": path[:300], "query": str(request.url.query)[:500]})
        db.commit()
    return answer


def _reference(value: Any, field: str) -> int | None:
    """The id of a `{"@iot.id": n}` link (None when absent); 400 naming `field` when it is not one."""
    if value is None:
        return None
    ident = value.get("@iot.id") if isinstance(value, dict) else value
    if isinstance(ident, bool) or not isinstance(ident, int):
        raise field_error(field, f"{field} 须为 {{\"@iot.id\": 编号}}", f"{field} must be {{\"@iot.id\": id}}")
    return ident


def _sta_item(body: Any, datastream: int | None) -> ingest.Incoming:
    if not isinstance(body, dict):
        raise field_error("body", "观测须为 JSON 对象", "an Observation must be a JSON object")
    if datastream is None:
        datastream = _reference(body.get("Datastream", body.get("Datastream@iot.id")), "Datastream")
        if datastream is None:
            raise field_error("Datastream", "缺少 Datastream", "Datastream is missing")
    if "result" not in body:
        raise field_error("result", "缺少 result", "result is missing")
    return ingest.Incoming(datastream, body.get("phenomenonTime"), body.get("result"), body.get("resultTime"),
                           body.get("resultQuality"), body.get("parameters"),
                           _reference(body.get("FeatureOfInterest"), "FeatureOfInterest"), raw=body)


def _created(request: Request, db: Session, thing: Thing, item: ingest.Incoming):
    outcome = ingest.ingest(db, thing=thing, items=[item], channel="sta")
    if outcome.quarantined:
        reason, message = outcome.quarantined[0]
        raise Quarantined(f"观测被隔离：{ingest.REASONS[reason][0]}", f"observation quarantined: {message}",
                          field=reason, errors=[{"reason": reason, "message": message}])
    ident = outcome.stored.get(0) or outcome.duplicates.get(0)
    location = f"{_root(request)}/Observations({ident})"
    return JSONResponse({"@iot.id": ident, "@iot.selfLink": location}, status_code=201,
                        headers={"Location": location})


@router.post("/Observations", status_code=201, dependencies=[Depends(csrf_unless_device)])
def create_observation(request: Request, thing: Thing | None = Depends(device_or_staff),
                       body: Any = Depends(json_body), db: Session = Depends(get_db),
                       actor: Actor = Depends(current_actor)):
    """设备（设备令牌）或管理该设备的人员创建一条观测 / a device (its token) or who manages it creates an
    Observation."""
    if thing is None:
        return _staff_created(request, db, actor, "Observations", body)
    return _created(request, db, thing, _sta_item(body, None))


@router.post("/Datastreams({datastream_id})/Observations", status_code=201,
             dependencies=[Depends(csrf_unless_device)])
def create_observation_in(datastream_id: int, request: Request, thing: Thing | None = Depends(device_or_staff),
                          body: Any = Depends(json_body), db: Session = Depends(get_db),
                          actor: Actor = Depends(current_actor)):
    """设备向其数据流创建一条观测 / a device (or who manages it) creates an Observation in a Datastream."""
    if thing is None:
        if isinstance(body, dict):
            body = {**body, "Datastream": {"@iot.id": datastream_id}}
        return _staff_created(request, db, actor, "Observations", body)
    return _created(request, db, thing, _sta_item(body, datastream_id))


def _array_items(body: Any) -> list[ingest.Incoming]:
    if not isinstance(body, list):
        raise field_error("body", "须为数组", "the body must be an array of Data Array objects")
    items: list[ingest.Incoming] = []
    for g, group in enumerate(body):
        if not isinstance(group, dict):
            raise field_error(f"[{g}]", "须为 JSON 对象", "must be a JSON object")
        datastream = _reference(group.get("Datastream"), f"[{g}].Datastream")
        if datastream is None:
            raise field_error(f"[{g}].Datastream", "缺少 Datastream", "Datastream is missing")
        components = group.get("components")
        if not (isinstance(components, list) and all(isinstance(c, str) for c in components)
                and "phenomenonTime" in components and "result" in components):
            raise field_error(f"[{g}].components", "components 须包含 phenomenonTime 与 result",
                              "components must name phenomenonTime and result")
        rows = group.get("dataArray")
        if not isinstance(rows, list):
            raise field_error(f"[{g}].dataArray", "dataArray 须为数组", "dataArray must be an array")
        for row in rows:
            if not (isinstance(row, list) and len(row) == len(components)):
                items.append(ingest.Incoming(datastream, None, None, raw=row, malformed="row does not match "
                                             "components"))
                continue
            v = dict(zip(components, row, strict=True))
            foi = v.get("FeatureOfInterest/id")
            items.append(ingest.Incoming(datastream, v.get("phenomenonTime"), v.get("result"), v.get("resultTime"),
                                         v.get("resultQuality"), v.get("parameters"),
                                         foi if isinstance(foi, int) and not isinstance(foi, bool) else None,
                                         raw=row, malformed=None if foi is None or isinstance(foi, int)
                                         else "FeatureOfInterest/id must be an id"))
        if len(items) > MAX_ARRAY:
            raise field_error("dataArray", f"一次最多 {MAX_ARRAY} 条观测", f"at most {MAX_ARRAY} observations")
    return items


@router.post("/CreateObservations", status_code=201)
def create_observations(request: Request, thing: Thing = Depends(writing_device), body: Any = Depends(json_body),
                        db: Session = Depends(get_db)):
    """数据数组扩展：批量创建观测；逐条答复其链接或 error / the Data Array extension: each observation's link or
    "error"."""
    items = _array_items(body)
    outcome = ingest.ingest(db, thing=thing, items=items, channel="dataArray")
    root = _root(request)
    answer = []
    for pos in range(len(items)):
        ident = outcome.stored.get(pos) or outcome.duplicates.get(pos)
        answer.append(f"{root}/Observations({ident})" if ident else "error")
    return JSONResponse(answer, status_code=201)


# staff Create-Update-Delete: after the device routes, whose paths these would otherwise take

def _entity_answer(request: Request, db: Session, actor: Actor, set_name: str, ident: int,
                   status: int) -> JSONResponse:
    entity = SETS[set_name]
    row = db.get(entity.model, ident)
    links = read.Links(_root(request))
    location = links.entity(entity, ident)
    return JSONResponse(read.serialise(db, entity, row, query.Options(), links, actor), status_code=status,
                        headers={"Location": location} if status == 201 else {})


def _staff_created(request: Request, db: Session, actor: Actor, set_name: str, body: Any) -> JSONResponse:
    if not actor.is_authenticated:
        require_user(request)
    set_name, ident = write.create(db, actor, set_name, body)
    return _entity_answer(request, db, actor, set_name, ident, 201)


def _entity_path(db: Session, path: str, actor: Actor) -> read.Target:
    """The one entity a write path names (it must exist and be visible: else 404)."""
    target = read.resolve(db, path, actor)
    if target.id is None or target.property is not None:
        raise read._missing(f"实体 {path}")
    return target


@router.post("/{set_name}", status_code=201, dependencies=[Depends(csrf_protect)],
             summary="创建实体 / create an entity (Things deep with Locations and Datastreams)")
def create_entity(set_name: str, request: Request, body: Any = Depends(json_body), db: Session = Depends(get_db),
                  actor: Actor = Depends(require_user)):
    """管理设备的人员创建实体（Things 可内嵌 Locations 与 Datastreams）/ who manages devices creates an entity."""
    if set_name not in SETS:
        raise read._missing(f"资源 {set_name}")
    return _staff_created(request, db, actor, set_name, body)


def _update(path: str, request: Request, body: Any, db: Session, actor: Actor, *, replace: bool) -> JSONResponse:
    target = _entity_path(db, path, actor)
    if replace and isinstance(body, dict):  # PUT: the updatable properties of the whole entity sent
        body = {k: v for k, v in body.items() if k in write.UPDATABLE.get(target.entity.name, ())}
    elif request.headers.get("content-type", "").split(";")[0].strip() == JSON_PATCH:
        row = db.get(target.entity.model, target.id)
        body = write.merge_of_patch(target.entity.properties(row), body)
        if not body:  # a patch that changes nothing (still only for who may change it)
            owners.check_may_change(db, actor, target.entity.name, target.id, "update")
            return _entity_answer(request, db, actor, target.entity.name, target.id, 200)
    write.update(db, actor, target.entity.name, target.id, body)
    return _entity_answer(request, db, actor, target.entity.name, target.id, 200)


@router.patch("/{path:path}", dependencies=[Depends(csrf_protect)], summary="修改实体 / update an entity")
def patch_entity(path: str, request: Request, body: Any = Depends(json_body), db: Session = Depends(get_db),
                 actor: Actor = Depends(require_user)):
    """修改实体的属性（其余不变）/ change the properties sent, the others stay."""
    return _update(path, request, body, db, actor, replace=False)


@router.put("/{path:path}", dependencies=[Depends(csrf_protect)], summary="替换实体 / replace an entity")
def put_entity(path: str, request: Request, body: Any = Depends(json_body), db: Session = Depends(get_db),
               actor: Actor = Depends(require_user)):
    """以所发实体的可修改属性替换 / the updatable properties of the entity sent."""
    return _update(path, request, body, db, actor, replace=True)


@router.delete("/{path:path}", status_code=200, dependencies=[Depends(csrf_protect)],
               summary="删除实体 / delete an entity")
def delete_entity(path: str, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """删除实体及依赖它的实体 / delete an entity and what depends on it."""
    target = _entity_path(db, path, actor)
    write.remove(db, actor, target.entity.name, target.id)
    return JSONResponse(None, status_code=200)
