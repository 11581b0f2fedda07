"""Base database logic without HTTP: define an assembly, run it, read its records and their provenance.

An assembly's output is a catalog resource (created, submitted and published through the catalog's service,
with share and open attributes) and each run imports a new dataset version of it through the datasets
service. Every read is authorised by policy and audited; personal fields come back masked unless allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhicheng.basedb import assembly as engine
from zhicheng.basedb import conflicts as conflict_tasks
from zhicheng.basedb.definition import check_cycles, validate_definition
from zhicheng.basedb.inbox import list_tasks, read_task, resolve_task, task_target, task_view  # noqa: F401
from zhicheng.basedb.matching import DEFAULT_THRESHOLD
from zhicheng.basedb.models import Assembly, AssemblyRun
from zhicheng.basedb.provenance import provenance  # noqa: F401
from zhicheng.basedb.templates import TEMPLATES, Template, get_template
from zhicheng.catalog import service as catalog
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.db import get_or_404
from zhicheng.core.errors import Conflict as ConflictError
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.core.events import bus, database_of
from zhicheng.policy.audit import record
from zhicheng.policy.rules import (
    ACTION_NAMES,
    KIND_NAMES,
    add_rule,
    admin,
    leader,
    member_of_target_department,
)
from zhicheng.policy.service import Target, decide
from zhicheng.policy.service import authorize_audited as _authorize

KIND = "basedb.assembly"
add_rule(KIND, "read", "admin", admin)
add_rule(KIND, "read", "leader", leader)
add_rule(KIND, "read", "member of the owning department", member_of_target_department)
for _action in ("create", "update", "run"):
    add_rule(KIND, _action, "admin", admin)
KIND_NAMES[KIND] = ("基础库", "base database")
ACTION_NAMES.setdefault("run", ("运行", "run"))


def _target(asm: Assembly) -> Target:
    return Target(KIND, id=asm.id, department_id=asm.department_id)


def get_assembly(db: Session, assembly_id: int) -> Assembly:
    """The assembly `assembly_id` (no policy check), or NotFound."""
    return get_or_404(db, Assembly, assembly_id, "基础库", "base database")


def templates() -> list[dict[str, Any]]:
    """Every base database template with its standard fields."""
    return [t.as_dict() for t in TEMPLATES.values()]


# ---------------------------------------------------------------- defining


def _name(data: dict[str, Any]) -> str:
    name = str(data.get("name") or "").strip()
    if not 2 <= len(name) <= 200:
        raise Invalid("基础库名称须为 2 至 200 字", "name must be 2 to 200 characters", field="name")
    return name


def _threshold(value: Any) -> float:
    if value in (None, ""):
        return DEFAULT_THRESHOLD
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if not 0.5 <= number <= 1.0:
        raise Invalid("匹配阈值须在 0.5 至 1 之间", "threshold must be between 0.5 and 1", field="threshold")
    return number


def _resource_data(template: Template, name: str, data: dict[str, Any], department_id: int) -> dict[str, Any]:
    share_type = data.get("share_type") or "conditional"
    return {
        "name": name,
        "catalog_class": template.catalog_class,
        "subclass": template.subclass,
        "summary": data.get("summary")
        or f"按“一数一源”由各部门权威数据汇聚而成的{template.name}，每个值可追溯来源。",
        "format": "database",
        "file_formats": ["csv"],
        "share_type": share_type,
        "share_condition": data.get("share_condition")
        or ("用于政务服务和城市治理，经数据资源局审批后共享" if share_type == "conditional" else None),
        "share_basis": data.get("share_basis"),
        "share_method": "api",
        "open_type": data.get("open_type") or "none",
        "open_condition": data.get("open_condition"),
        "update_cycle": data.get("update_cycle") or "irregular",
        "tags": ["基础库", template.name],
        "items": [f.item() for f in template.fields],
        "department_id": department_id,
    }


@dataclass(frozen=True)
class NewAssembly:
    """A checked definition of a base database, before its catalog resource exists."""

    name: str
    template: Template
    department_id: int
    threshold: float
    definition: list[dict[str, Any]]
    resource_data: dict[str, Any]  # the catalog resource its records are published as


def find_assembly(db: Session, name: str) -> Assembly | None:
    """The assembly named `name` (no policy check), or None."""
    return db.scalar(select(Assembly).where(Assembly.name == name))


def check_new_assembly(db: Session, *, actor: Actor, data: dict[str, Any]) -> NewAssembly:
    """May `actor` define this base database, and is its definition sound (the field at fault if not)?"""
    data = dict(data or {})
    department_id = catalog.provider_department(db, actor, data)
    _authorize(db, actor, "create", Target(KIND, department_id=department_id))
    name = _name(data)
    template = get_template(data.get("template") or "")
    threshold = _threshold(data.get("threshold"))
    definition = validate_definition(db, template, data.get("fields"))
    if find_assembly(db, name) is not None:
        raise ConflictError(
            f"已有名为“{name}”的基础库", f"a base database named '{name}' exists", field="name"
        )
    return NewAssembly(
        name, template, department_id, threshold, definition, _resource_data(template, name, data, department_id)
    )


def save_assembly(db: Session, *, actor: Actor, checked: NewAssembly, resource_id: int) -> Assembly:
    """Store a checked assembly whose records go to catalog resource `resource_id`; audited and announced."""
    now = clock.now()
    asm = Assembly(
        name=checked.name,
        template=checked.template.code,
        department_id=checked.department_id,
        resource_id=resource_id,
        threshold=checked.threshold,
        definition=checked.definition,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    db.add(asm)
    db.flush()
    record(
        db,
        actor=actor,
        action=f"{KIND}.create",
        target_kind=KIND,
        target_id=asm.id,
        detail={"name": checked.name, "template": checked.template.code, "resource_id": resource_id},
    )
    db.commit()
    bus.publish(
        "basedb.assembly.defined",
        {"id": asm.id, "name": checked.name, "resource_id": resource_id, "sources": _source_ids(asm)},
    )
    return asm


def update_assembly(db: Session, *, actor: Actor, assembly_id: int, data: dict[str, Any]) -> Assembly:
    """Change the sources (and threshold) of an assembly; circular references are refused."""
    asm = get_assembly(db, assembly_id)
    _authorize(db, actor, "update", _target(asm))
    template = get_template(asm.template)
    if "threshold" in data:
        asm.threshold = _threshold(data.get("threshold"))
    if data.get("fields") is not None:
        definition = validate_definition(db, template, data.get("fields"), own_resource_id=asm.resource_id)
        check_cycles(db, assembly_id=asm.id, resource_id=asm.resource_id, definition=definition)
        asm.definition = definition
    asm.updated_at = clock.now()
    record(
        db,
        actor=actor,
        action=f"{KIND}.update",
        target_kind=KIND,
        target_id=asm.id,
        detail={"sources": _source_ids(asm), "threshold": asm.threshold},
    )
    db.commit()
    return asm


def _source_ids(asm: Assembly) -> list[int]:
    out: list[int] = []
    for entry in asm.definition:
        for src in entry["sources"]:
            if src["resource_id"] not in out:
                out.append(src["resource_id"])
    return out


# ---------------------------------------------------------------- running


@dataclass(frozen=True)
class StartedRun:
    """A run that has begun: its assembly, template, opened sources and the `running` row."""

    assembly: Assembly
    template: Template
    sources: list[engine.Source]
    run: AssemblyRun


def start_run(db: Session, *, actor: Actor, assembly_id: int) -> StartedRun:
    """May `actor` run the assembly; open its sources at their newest versions and record a `running` run."""
    asm = get_assembly(db, assembly_id)
    _authorize(db, actor, "run", _target(asm))
    template = get_template(asm.template)
    try:
        sources = engine.open_sources(db, actor=actor, template=template, definition=asm.definition)
    except NotFound as exc:
        raise Invalid(
            f"来源资源还没有数据：{exc.zh}", f"a source has no data yet: {exc.en}", field="fields"
        ) from exc
    run = AssemblyRun(
        assembly_id=asm.id,
        state="running",
        sources=[s.ref() for s in sources],
        stats={},
        started_by=actor.user_id,
        started_at=clock.now(),
    )
    db.add(run)
    db.commit()
    return StartedRun(asm, template, sources, run)


def refuse_run(db: Session, run: AssemblyRun, report: Any) -> NoReturn:
    """The import refused the assembled records (`report`, the datasets' ImportReport): the run fails, naming why."""
    first = report.errors[0] if report.errors else {}
    fail_run(db, run, f"{report.message_zh} {first.get('zh', '')}".strip())
    raise Invalid(
        f"基础库写入失败：{report.message_zh}；{first.get('zh', '')}",
        f"the assembled records were refused: {report.message_en}; {first.get('en', '')}",
        field="fields",
    )


def finish_run(
    db: Session, *, actor: Actor, assembly: Assembly, run: AssemblyRun, version: int, outcome: engine.Outcome
) -> AssemblyRun:
    """The run succeeded with dataset version `version`: its statistics, conflict tasks, audit entry, event."""
    asm = assembly
    run = db.get(AssemblyRun, run.id)
    run.state, run.version, run.stats = "succeeded", version, outcome.stats
    run.record_count, run.conflict_count = outcome.records, outcome.stats["conflicts"]
    run.finished_at = clock.now()
    tasks = conflict_tasks.open_tasks(db, run_id=run.id, assembly_id=asm.id, sources=run.sources)
    record(
        db,
        actor=actor,
        action=f"{KIND}.run",
        target_kind=KIND,
        target_id=asm.id,
        detail={
            "run": run.id,
            "version": run.version,
            "records": run.record_count,
            "conflicts": run.conflict_count,
            "tasks": [t.id for t in tasks],
        },
    )
    db.commit()
    bus.publish(
        "basedb.assembly.completed",
        {
            "assembly_id": asm.id,
            "database": database_of(db),
            "name": asm.name,
            "run_id": run.id,
            "resource_id": asm.resource_id,
            "version": run.version,
            "records": run.record_count,
            "conflicts": run.conflict_count,
            "sources": [{"resource_id": s["resource_id"], "version": s["version"]} for s in run.sources],
        },
    )
    return run


def fail_run(db: Session, run: AssemblyRun, message: str) -> None:
    """The run failed with `message`; what it wrote before the import (provenance, conflicts) goes with it."""
    from sqlalchemy import delete

    from zhicheng.basedb.models import Conflict, Provenance

    found = db.get(AssemblyRun, run.id)
    if found is not None:
        found.state, found.message, found.finished_at = "failed", message[:2000], clock.now()
        # the import commits what the run wrote before it stages the rows: a refused import leaves none of it
        db.execute(delete(Provenance).where(Provenance.run_id == run.id))
        db.execute(delete(Conflict).where(Conflict.run_id == run.id))
        db.commit()


# ---------------------------------------------------------------- reading


def _last_runs(db: Session, ids: list[int]) -> dict[int, AssemblyRun]:
    if not ids:
        return {}
    latest = (
        select(AssemblyRun.assembly_id, func.max(AssemblyRun.id).label("id"))
        .where(AssemblyRun.assembly_id.in_(ids), AssemblyRun.state == "succeeded")
        .group_by(AssemblyRun.assembly_id)
        .subquery()
    )
    runs = db.scalars(select(AssemblyRun).join(latest, AssemblyRun.id == latest.c.id))
    return {r.assembly_id: r for r in runs}


def run_view(run: AssemblyRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "id": run.id,
        "state": run.state,
        "version": run.version,
        "records": run.record_count,
        "conflicts": run.conflict_count,
        "stats": run.stats,
        "sources": run.sources,
        "message": run.message,
        "started_at": clock.aware(run.started_at).isoformat(),
        "finished_at": clock.aware(run.finished_at).isoformat() if run.finished_at else None,
    }


def assembly_view(asm: Assembly, last: AssemblyRun | None) -> dict[str, Any]:
    template = TEMPLATES[asm.template]
    return {
        "id": asm.id,
        "name": asm.name,
        "template": asm.template,
        "template_name": template.name,
        "key": template.key.name,
        "department_id": asm.department_id,
        "resource_id": asm.resource_id,
        "threshold": asm.threshold,
        "definition": asm.definition,
        "last_run": run_view(last),
    }


def list_assemblies(db: Session, *, actor: Actor) -> list[dict[str, Any]]:
    """The base databases `actor` may read, each with its last successful run and match statistics."""
    found = [
        a
        for a in db.scalars(select(Assembly).order_by(Assembly.id))
        if decide(actor, "read", _target(a)).allowed
    ]
    last = _last_runs(db, [a.id for a in found])
    record(db, actor=actor, action=f"{KIND}.list", target_kind=KIND, detail={"count": len(found)})
    db.commit()
    return [assembly_view(a, last.get(a.id)) for a in found]


def read_assembly(db: Session, *, actor: Actor, assembly_id: int) -> dict[str, Any]:
    """One base database with its definition and last run (audited)."""
    asm = get_assembly(db, assembly_id)
    _authorize(db, actor, "read", _target(asm))
    record(db, actor=actor, action=f"{KIND}.read", target_kind=KIND, target_id=asm.id)
    db.commit()
    return assembly_view(asm, _last_runs(db, [asm.id]).get(asm.id))


def list_runs(db: Session, *, actor: Actor, assembly_id: int) -> list[dict[str, Any]]:
    """Every run of an assembly, newest first."""
    asm = get_assembly(db, assembly_id)
    _authorize(db, actor, "read", _target(asm))
    runs = list(
        db.scalars(
            select(AssemblyRun).where(AssemblyRun.assembly_id == asm.id).order_by(AssemblyRun.id.desc())
        )
    )
    record(
        db,
        actor=actor,
        action=f"{KIND}.runs",
        target_kind=KIND,
        target_id=asm.id,
        detail={"count": len(runs)},
    )
    db.commit()
    return [run_view(r) for r in runs]


def read_records(
    db: Session, *, actor: Actor, assembly_id: int, limit: int = 20, offset: int = 0
) -> tuple[list[str], list[tuple]]:
    """Assembled records of the newest version (masked and audited by the datasets service)."""
    asm = get_assembly(db, assembly_id)
    _authorize(db, actor, "read", _target(asm))
    return datasets.read_rows(db, actor=actor, resource_id=asm.resource_id, limit=limit, offset=offset)


def completed_runs(db: Session) -> list[dict[str, Any]]:
    """Every successful run as the "basedb.assembly.completed" event carried it (for lineage to catch up)."""
    names = {a.id: a.name for a in db.scalars(select(Assembly))}
    runs = db.scalars(select(AssemblyRun).where(AssemblyRun.state == "succeeded").order_by(AssemblyRun.id))
    return [
        {
            "assembly_id": r.assembly_id,
            "name": names.get(r.assembly_id),
            "run_id": r.id,
            "resource_id": db.get(Assembly, r.assembly_id).resource_id,
            "version": r.version,
            "records": r.record_count,
            "conflicts": r.conflict_count,
            "sources": [{"resource_id": s["resource_id"], "version": s["version"]} for s in r.sources],
        }
        for r in runs
    ]

