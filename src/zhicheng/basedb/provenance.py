"""Where a value came from: the source resource, version and row of each field of an assembled record."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhicheng.basedb.access import value_masker
from zhicheng.basedb.matching import normalise_key
from zhicheng.basedb.models import Assembly, AssemblyRun, Conflict, Provenance
from zhicheng.basedb.templates import TEMPLATES
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.actor import Actor
from zhicheng.core.db import get_or_404
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.policy.audit import record
from zhicheng.policy.service import Target
from zhicheng.policy.service import authorize_audited as _authorize

KIND = "basedb.assembly"


def _target(asm: Assembly) -> Target:
    return Target(KIND, id=asm.id, department_id=asm.department_id)


def _run_for(db: Session, asm: Assembly, run_id: int | None) -> AssemblyRun:
    query = select(AssemblyRun).where(AssemblyRun.assembly_id == asm.id, AssemblyRun.state == "succeeded")
    query = (
        query.where(AssemblyRun.id == run_id) if run_id else query.order_by(AssemblyRun.id.desc()).limit(1)
    )
    run = db.scalar(query)
    if run is None:
        raise NotFound(
            "该基础库还没有成功的运行", "this base database has no successful run yet", field="run_id"
        )
    return run


def provenance(
    db: Session,
    *,
    actor: Actor,
    assembly_id: int,
    row: int | None = None,
    key: str | None = None,
    field: str | None = None,
    run_id: int | None = None,
) -> dict[str, Any]:
    """Where the values of one assembled record came from: per field the source resource, version and row,
    and the conflicting values other sources hold (by row number or key; one field or all)."""
    asm = get_or_404(db, Assembly, assembly_id, "基础库", "base database")
    _authorize(db, actor, "read", _target(asm))
    template = TEMPLATES[asm.template]
    if field is not None and template.field(field) is None:
        raise Invalid(f"模板没有字段“{field}”", f"the template has no field '{field}'", field="field")
    run = _run_for(db, asm, run_id)
    prov = _record_of(db, run, row, key)
    columns, rows = datasets.read_rows(
        db, actor=actor, resource_id=asm.resource_id, version=run.version, limit=1, offset=prov.row - 1
    )
    values = dict(zip(columns, rows[0], strict=False)) if rows else {}
    conflicts: dict[str, list[Conflict]] = {}
    for c in db.scalars(select(Conflict).where(Conflict.run_id == run.id, Conflict.row == prov.row)):
        conflicts.setdefault(c.field, []).append(c)
    maskers = {
        i: value_masker(db, actor, s["resource_id"], s["department_id"], template)
        for i, s in enumerate(run.sources)
    }
    kept_mask = value_masker(db, actor, asm.resource_id, asm.department_id, template)  # the base database's value
    out_fields = [
        {
            "field": f.name,
            "label": f.label,
            "value": values.get(f.name),
            "source": _source_of(run, prov, pos),
            "conflicts": [
                _conflict_view(run, c, kept_mask[f.name], maskers[c.other_index][f.name])
                for c in conflicts.get(f.name, [])
            ],
        }
        for pos, f in enumerate(template.fields)
        if field is None or f.name == field
    ]
    record(
        db,
        actor=actor,
        action=f"{KIND}.provenance",
        target_kind=KIND,
        target_id=asm.id,
        detail={"run": run.id, "row": prov.row, "field": field},
    )
    db.commit()
    return {
        "assembly_id": asm.id,
        "run_id": run.id,
        "version": run.version,
        "row": prov.row,
        "key": prov.key,
        "method": prov.method,
        "score": prov.score,
        "fields": out_fields,
    }


def _record_of(db: Session, run: AssemblyRun, row: int | None, key: str | None) -> Provenance:
    """The provenance of the record at `row` (1-based) or with `key`, or NotFound."""
    if row is not None:
        prov = db.get(Provenance, (run.id, row)) if 0 < row <= run.record_count else None
    elif key:
        prov = db.scalar(
            select(Provenance)
            .where(Provenance.run_id == run.id, Provenance.key == normalise_key(key))
            .limit(1)
        )
    else:
        raise Invalid("请指定记录行号或主键", "give a record row or key", field="row")
    if prov is None:
        raise NotFound("没有这条记录", "no such record", field="row" if row is not None else "key")
    return prov


def _source_of(run: AssemblyRun, prov: Provenance, pos: int) -> dict[str, Any] | None:
    """The source whose value the record kept for the template's field at `pos` (None: no source gave one)."""
    index = prov.fields[pos] if pos < len(prov.fields) else "-"
    if index == "-":
        return None
    s = run.sources[int(index)]
    return {
        "index": int(index),
        "resource_id": s["resource_id"],
        "name": s["name"],
        "version": s["version"],
        "row": int(prov.rows.split(",")[int(index)] or 0) or None,
    }


def _conflict_view(run: AssemblyRun, c: Conflict, kept_mask, other_mask) -> dict[str, Any]:
    """A value another source holds for the field, beside the kept one, each masked by its owner's policy."""
    other = run.sources[c.other_index]
    return {
        "value": kept_mask(c.value),
        "other_value": other_mask(c.other_value),
        "source": {
            "resource_id": other["resource_id"],
            "name": other["name"],
            "version": other["version"],
            "row": c.other_row,
        },
    }
