"""Delivery of granted data (按授权交付): one page of rows through the API, or the whole grant as a CSV file;
only the grant's items and rows leave, masked as the grant and the masking rules say, every delivery audited."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from zhicheng.catalog.datasets import rowstore
from zhicheng.catalog.datasets import service as datasets
from zhicheng.catalog.items import ItemSpec, Sensitivity
from zhicheng.core.actor import SYSTEM, Actor
from zhicheng.core.db import MAX_ID
from zhicheng.core.errors import Forbidden, not_found
from zhicheng.exchange import grants, masking_rules
from zhicheng.exchange.query import RowQuery, build_select, cursor_for, parse, row_filter_conditions
from zhicheng.policy.audit import record

EXPORT_BATCH = 5000


@lru_cache(maxsize=256)
def _version_table(name: str, specs: tuple[ItemSpec, ...]) -> sa.Table:
    # a version's columns never change: one Table per version lets SQLAlchemy reuse its compiled statements
    return rowstore.build_table(name, specs)


@dataclass
class Plan:
    """What a consumer may have of one resource right now: the live grant, the newest version, columns, masks."""

    grant: Any
    version: Any
    specs: dict[str, ItemSpec]
    granted: list[str]
    masked: dict[str, str]  # item → masking kind
    rules: dict[str, dict[str, Any]]
    table: sa.Table


@dataclass
class RowsPage:
    """One delivered page: the fields, the rows (masked), the cursor of the next page, what was masked."""

    resource_id: int
    version: int
    grant_id: int
    fields: list[str]
    rows: list[list[Any]]
    next: str | None
    masked: list[str] = field(default_factory=list)
    size: int = 0


def needs_masking(spec: ItemSpec) -> bool:
    """A personal item, or one graded 重要/核心, is masked unless a grant says plain."""
    return bool(spec.personal) or Sensitivity(spec.sensitivity) is not Sensitivity.GENERAL


def plan(db: Session, *, actor: Actor, resource_id: int, delivery: str = "api") -> Plan:
    """The live grant (checked now, never cached: a revocation stops the very next call) and what it lets out."""
    if not isinstance(resource_id, int) or not 0 < resource_id <= MAX_ID:
        raise not_found("数据资源", "data resource", resource_id)
    grant = grants.check_grant(db, actor=actor, resource_id=resource_id)
    dv = datasets.get_version(db, actor=SYSTEM, resource_id=resource_id)  # the grant authorised the read
    spec_list = datasets.specs_of(dv)
    specs = {s.name: s for s in spec_list}
    allowed = set(grant.items or ())
    granted = [s.name for s in spec_list if s.name in allowed]
    plain = set(grant.plain_items or ())
    masked = {n: masking_rules.kind_of(specs[n]) for n in granted if needs_masking(specs[n]) and n not in plain}
    if delivery == "file":
        _check_file_export(grant, [specs[n] for n in granted])
    return Plan(grant=grant, version=dv, specs=specs, granted=granted, masked=masked,
                rules=masking_rules.current_rules(db), table=_version_table(dv.table_name, tuple(spec_list)))


def _check_file_export(grant: Any, specs: list[ItemSpec]) -> None:
    personal = [s.name for s in specs if s.personal]
    if personal and not grant.file_export_approved:  # GB/T 35273: bulk personal data needs explicit approval
        raise Forbidden(f"授权含个人信息（{'、'.join(personal)}），文件导出须经提供部门明确同意",
                        f"the grant holds personal information ({', '.join(personal)}); file export needs the "
                        "provider's explicit approval", code="export_not_approved", field="delivery")
    if not (grant.delivery == "file" or grant.file_export_approved):
        raise Forbidden("该授权的交付方式为接口，不允许文件导出", "this grant is for API delivery; file export is "
                        "not allowed", code="export_not_approved", field="delivery")


def _maskers(p: Plan, fields: list[str]) -> list[tuple[int, Any]]:
    kinds = {i: p.masked[n] for i, n in enumerate(fields) if n in p.masked}
    return sorted(masking_rules.maskers(p.rules, kinds).items())


def query_rows(db: Session, *, actor: Actor, resource_id: int, params: Iterable[tuple[str, str]],
               ip: str | None = None) -> tuple[RowsPage, RowQuery]:
    """One page of the granted rows: filtered, sorted, the fields asked for, after the cursor; audited."""
    p = plan(db, actor=actor, resource_id=resource_id)
    q = parse(params, specs=p.specs, granted=p.granted, masked=set(p.masked))
    stmt = build_select(p.table, q, row_filter_conditions(p.table, p.grant.row_filter, p.specs))
    result = db.connection().execute(stmt).fetchall()
    more = len(result) > q.size
    result = result[:q.size]
    width = len(q.fields)
    masks = _maskers(p, q.fields)
    rows = []
    for r in result:
        values = list(r[:width])
        for i, fn in masks:
            values[i] = fn(values[i])
        rows.append(values)
    positions = {name: width + i for i, (name, _) in enumerate(q.sort)}
    next_cursor = cursor_for(result[-1], q, positions) if more and result else None
    masked = [n for n in q.fields if n in p.masked]
    _audit(db, actor, p, action="exchange.delivery", rows=len(rows), fields=q.fields, masked=masked, ip=ip,
           extra={"filters": [[n, op, str(v)] for n, op, v in q.filters], "sort": q.sort,
                  "after": q.after is not None, "format": q.format})
    db.commit()
    return RowsPage(resource_id=resource_id, version=p.version.version, grant_id=p.grant.id, fields=q.fields,
                    rows=rows, next=next_cursor, masked=masked, size=q.size), q


def _audit(db: Session, actor: Actor, p: Plan, *, action: str, rows: int, fields: list[str], masked: list[str],
           ip: str | None, extra: dict[str, Any]) -> None:
    record(db, actor=actor, action=action, target_kind="exchange.grant", target_id=p.grant.id, ip=ip,
           detail={"resource_id": p.grant.resource_id, "version": p.version.version, "grant_id": p.grant.id,
                   "department_id": actor.department_id, "items": fields, "rows": rows, "masked": masked,
                   "masking": {n: p.masked[n] for n in masked}, "row_filter": p.grant.row_filter, **extra})
    grants.note_use(db, p.grant, rows=rows)


def open_export(db: Session, *, actor: Actor, resource_id: int, ip: str | None = None) -> Plan:
    """Authorise and audit a bulk CSV export of everything the grant covers (rows then come from `export_rows`)."""
    p = plan(db, actor=actor, resource_id=resource_id, delivery="file")
    conds = row_filter_conditions(p.table, p.grant.row_filter, p.specs)
    count = db.connection().execute(sa.select(sa.func.count()).select_from(p.table).where(*conds)).scalar_one()
    _audit(db, actor, p, action="exchange.export", rows=int(count), fields=p.granted,
           masked=[n for n in p.granted if n in p.masked], ip=ip, extra={"format": "csv"})
    db.commit()
    return p


def export_rows(factory: sessionmaker[Session], p: Plan) -> Iterator[list[Any]]:
    """Every granted row of an opened export, masked, in keyset batches on a session of its own."""
    q = RowQuery(fields=p.granted, size=EXPORT_BATCH)
    masks = _maskers(p, p.granted)
    width = len(p.granted)
    with factory() as db:
        conds = row_filter_conditions(p.table, p.grant.row_filter, p.specs)
        while True:
            batch = db.connection().execute(build_select(p.table, q, conds)).fetchall()
            for r in batch[:EXPORT_BATCH]:
                values = list(r[:width])
                for i, fn in masks:
                    values[i] = fn(values[i])
                yield values
            if len(batch) <= EXPORT_BATCH:
                return
            q.after = [batch[EXPORT_BATCH - 1][-1]]
