"""Base database API: templates, assemblies (define, run, records, provenance) and the conflicts inbox."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.basedb import flows, service
from zhicheng.basedb.schemas import AssemblyIn, AssemblyUpdate, RecordsOut, ResolveIn
from zhicheng.core.actor import Actor
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/basedb", tags=["base databases 基础库"])


@router.get("/templates")
def templates(actor: Actor = Depends(require_user)) -> list[dict[str, Any]]:
    """基础库模板及其标准字段 / the base database templates and their standard fields."""
    return service.templates()


@router.get("/assemblies")
def assemblies(db: Session = Depends(get_db), actor: Actor = Depends(require_user)) -> list[dict[str, Any]]:
    """基础库列表（含最近一次运行）/ base databases with their last run."""
    return service.list_assemblies(db, actor=actor)


@router.post("/assemblies", status_code=201, dependencies=[Depends(csrf_protect)])
def define(
    body: AssemblyIn, db: Session = Depends(get_db), actor: Actor = Depends(require_user)
) -> dict[str, Any]:
    """定义基础库：每个字段一个权威来源和备选来源 / define an assembly (one source per field)."""
    asm = flows.define_assembly(db, actor=actor, data=body.as_data())
    return service.read_assembly(db, actor=actor, assembly_id=asm.id)


@router.get("/assemblies/{assembly_id}")
def read(
    assembly_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)
) -> dict[str, Any]:
    """一个基础库 / one base database."""
    return service.read_assembly(db, actor=actor, assembly_id=assembly_id)


@router.patch("/assemblies/{assembly_id}", dependencies=[Depends(csrf_protect)])
def update(
    assembly_id: int,
    body: AssemblyUpdate,
    db: Session = Depends(get_db),
    actor: Actor = Depends(require_user),
) -> dict[str, Any]:
    """修改来源或阈值（拒绝循环引用）/ change the sources or threshold (circular references refused)."""
    data = body.model_dump(exclude_none=True)
    service.update_assembly(db, actor=actor, assembly_id=assembly_id, data=data)
    return service.read_assembly(db, actor=actor, assembly_id=assembly_id)


@router.post("/assemblies/{assembly_id}/runs", status_code=201, dependencies=[Depends(csrf_protect)])
def run(
    assembly_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)
) -> dict[str, Any]:
    """运行汇聚，生成新版本 / run the assembly: a new version of the base database."""
    return service.run_view(flows.run_assembly(db, actor=actor, assembly_id=assembly_id))


@router.get("/assemblies/{assembly_id}/runs")
def runs(assembly_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)) -> list[dict]:
    """运行记录 / the runs, newest first."""
    return service.list_runs(db, actor=actor, assembly_id=assembly_id)


@router.get("/assemblies/{assembly_id}/records", response_model=RecordsOut)
def records(
    assembly_id: int,
    limit: int = Query(20, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    db: Session = Depends(get_db),
    actor: Actor = Depends(require_user),
) -> dict[str, Any]:
    """汇聚结果（个人信息按授权脱敏）/ the assembled records (personal fields masked unless granted)."""
    columns, rows = service.read_records(db, actor=actor, assembly_id=assembly_id, limit=limit, offset=offset)
    return {"columns": columns, "rows": [list(r) for r in rows], "limit": limit, "offset": offset}


@router.get("/assemblies/{assembly_id}/provenance")
def provenance(
    assembly_id: int,
    row: int | None = Query(None, ge=1),
    key: str | None = Query(None, max_length=64),
    field: str | None = Query(None, max_length=63),
    run_id: int | None = Query(None, ge=1),
    db: Session = Depends(get_db),
    actor: Actor = Depends(require_user),
) -> dict[str, Any]:
    """这个值从哪里来：来源资源、版本、行，以及冲突值 / where a value came from (source, version, row)."""
    return service.provenance(
        db, actor=actor, assembly_id=assembly_id, row=row, key=key, field=field, run_id=run_id
    )


@router.get("/conflicts")
def conflict_tasks(
    state: str | None = Query("open", max_length=16),
    db: Session = Depends(get_db),
    actor: Actor = Depends(require_user),
) -> list[dict[str, Any]]:
    """本部门待核查的数据冲突任务 / conflict tasks sent to my department."""
    return service.list_tasks(db, actor=actor, state=state or None)


@router.get("/conflicts/{task_id}")
def conflict_task(
    task_id: int,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
    db: Session = Depends(get_db),
    actor: Actor = Depends(require_user),
) -> dict[str, Any]:
    """一项冲突核查任务及其冲突 / one conflict task with its conflicts."""
    return service.read_task(db, actor=actor, task_id=task_id, limit=limit, offset=offset)


@router.post("/conflicts/{task_id}/resolve", dependencies=[Depends(csrf_protect)])
def resolve(
    task_id: int, body: ResolveIn, db: Session = Depends(get_db), actor: Actor = Depends(require_user)
) -> dict[str, Any]:
    """办结冲突核查任务 / mark a conflict task as checked."""
    return service.resolve_task(db, actor=actor, task_id=task_id, note=body.note)
