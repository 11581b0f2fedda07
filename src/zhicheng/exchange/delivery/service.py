"""Delivery of granted data (按授权交付): one page of rows through the API, or the whole grant as a CSV file;
only the grant's items and rows leave, masked as the grant and the masking rules say, every delivery audited.
A page of every item, all masked, no filter (the common case) is read from the version's materialised masked copy
(`exchange.masked_copy`) when it exists for the rules in force; the grant check (`grants.check_grant`, the one
used by route, fast lane, export and subscriptions) and the audit are the same."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from zhicheng.catalog.datasets import fastread
from zhicheng.catalog.datasets.rowquery import cursor
from zhicheng.catalog.items import ItemSpec
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.db import MAX_ID
from zhicheng.core.errors import Invalid, NotFound, not_found
from zhicheng.exchange import grants, masked_copy
from zhicheng.exchange.models import Grant
from zhicheng.exchange.query import RowQuery, parse, row_filter_conditions, where_of
from zhicheng.policy import masking
from zhicheng.policy.audit import record

EXPORT_BATCH = 5000
GRANT_PARAMS = ("grant", "grant_id")  # the caller names the grant to read under (default: the newest live one)


@dataclass
class GrantedVersion:
    """What a consumer may have of one resource right now: the live grant, the newest version, columns, masks."""

    grant: Any
    version: Any
    specs: dict[str, ItemSpec]
    granted: list[str]
    masked: dict[str, str]  # item → masking kind
    rules: masking.Rules
    table: sa.Table


@dataclass
class DeliveredPage:
    """One delivered page: the fields, the rows (masked) as JSON or CSV bytes, the cursor of the next page."""

    resource_id: int
    version: int
    grant_id: int
    fields: list[str]
    body: bytes  # a JSON array of objects, or CSV with its header line
    count: int
    next: str | None
    masked: list[str] = field(default_factory=list)
    size: int = 0
    source: str = "table"  # "copy" when read from the materialised masked copy


_G = Grant.__table__
_RESOURCE_GRANTS = (
    sa.select(_G.c.id, _G.c["items"], _G.c.row_filter, _G.c.plain_items, _G.c.starts_on, _G.c.expires_at)
    .add_columns(_G.c.revoked_at)
    .where(_G.c.resource_id == sa.bindparam("resource_id"), _G.c.revoked_at.is_(None))
    .where(_G.c.expires_at > sa.bindparam("at"))
)


def grant_param(params: list[tuple[str, str]]) -> tuple[int | None, list[tuple[str, str]]]:
    """The grant the caller names (`grant=` or `grant_id=`, once), and the other parameters; Invalid naming
    `grant` when it is not a positive whole number."""
    named = [v for k, v in params if k in GRANT_PARAMS]
    rest = [(k, v) for k, v in params if k not in GRANT_PARAMS]
    if not named:
        return None, rest
    if len(named) > 1:
        raise Invalid("只能指定一个授权（grant 或 grant_id）", "name one grant only (grant or grant_id)", field="grant")
    text = named[0].strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise Invalid("grant 须为授权编号（正整数）", "grant must be a grant number (a positive integer)",
                      field="grant")
    return int(text), rest


def granted_version(db: Session, *, actor: Actor, resource_id: int, delivery: str = "api", grant_id: int | None = None) -> GrantedVersion:
    """The live grant (checked now, never cached: a revocation stops the very next call; the one named by
    `grant_id`, else the newest) and what it lets out."""
    if not isinstance(resource_id, int) or not 0 < resource_id <= MAX_ID:
        raise not_found("数据资源", "data resource", resource_id)
    grant = grants.check_grant(db, actor=actor, resource_id=resource_id, grant_id=grant_id)
    dv = fastread.newest_version(db.connection(), resource_id)  # the grant authorised the read
    if dv is None:
        raise NotFound("该资源还没有导入数据", "no data has been imported into this resource yet")
    specs = {s.name: s for s in dv.specs}
    allowed = set(grant.items or ())
    granted = [s.name for s in dv.specs if s.name in allowed]
    plain = set(grant.plain_items or ())
    masked = masking.field_masks(actor, None, [specs[n] for n in granted], plain=plain)
    if delivery == "file":
        grants.check_export(grant, [specs[n] for n in granted])
    return GrantedVersion(
        grant=grant,
        version=dv,
        specs=specs,
        granted=granted,
        masked=masked,
        rules=masking.rules_in_force(db),
        table=dv.table,
    )


def query_rows(
    db: Session,
    *,
    actor: Actor,
    resource_id: int,
    params: Iterable[tuple[str, str]],
    ip: str | None = None,
    copies: bool = True,
) -> tuple[DeliveredPage, RowQuery]:
    """One page of the granted rows: filtered, sorted, the fields asked for, after the cursor; masked; audited.
    The page comes as JSON (or CSV) bytes from the masked copy when the request qualifies (`copies`), else from
    `catalog.datasets.fastread`, masked column by column."""
    params = list(params)
    if not isinstance(resource_id, int) or not 0 < resource_id <= MAX_ID:
        raise not_found("数据资源", "data resource", resource_id)
    grant_id, rest = grant_param(params)
    p = granted_version(db, actor=actor, resource_id=resource_id, grant_id=grant_id)
    q = parse(rest, specs=p.specs, granted=p.granted, masked=set(p.masked))
    masked = [n for n in q.fields if n in p.masked]
    copy = _copy_for(db, p, q) if copies else None
    source = "table"
    if copy is not None:
        try:
            body, count, next_key = masked_copy.read_page(
                db.connection(), copy, q.after[-1] if q.after else None, q.size
            )
        except masked_copy.CopyGone:  # dropped meanwhile by another process: read the table instead
            db.rollback()
            masked_copy.forget(db.get_bind(), copy)
            return query_rows(db, actor=actor, resource_id=resource_id, params=params, ip=ip, copies=False)
        page = fastread.PageBytes(body=body, count=count, next_key=next_key)
        source = "copy"
    else:
        masks = p.rules.column_maskers({n: p.masked[n] for n in masked})
        page = fastread.page_bytes(
            db.connection(),
            p.table,
            q.fields,
            masks=masks,
            where=where_of(p.table, q, row_filter_conditions(p.table, p.grant.row_filter, p.specs)),
            order=q.sort,
            after=q.after,
            limit=q.size,
            fmt=q.format,
        )
    _audit(
        db,
        actor,
        p,
        action="exchange.delivery",
        rows=page.count,
        fields=q.fields,
        masked=masked,
        ip=ip,
        extra={
            "filters": [[n, op, str(v)] for n, op, v in q.filters],
            "sort": q.sort,
            "after": q.after is not None,
            "format": q.format,
        },
    )
    db.commit()
    return DeliveredPage(
        resource_id=resource_id,
        version=p.version.version,
        grant_id=p.grant.id,
        fields=q.fields,
        body=page.body,
        count=page.count,
        next=cursor.encode(page.next_key) if page.next_key else None,
        masked=masked,
        size=q.size,
        source=source,
    ), q


def all_masked(version: fastread.VersionInfo) -> dict[str, str]:
    """Every item of `version` that is masked unless a grant says plain, with its masking kind."""
    return masking.field_masks(None, None, version.specs)


def copy_serves(grant: Any, version: fastread.VersionInfo) -> bool:
    """Whether the grant's all-items, all-masked pages are what the masked copy of `version` holds."""
    names = [s.name for s in version.specs]
    plain = set(grant.plain_items or ())
    return (
        not grant.row_filter
        and set(names) <= set(grant.items or ())
        and not any(n in plain for n in all_masked(version))
    )


def _copy_for(db: Session, p: GrantedVersion, q: RowQuery) -> str | None:
    """The name of the complete masked copy serving this request, or None (normal path). A missing copy is
    built: now for a small version (then served), in the background for a large one (not served this time)."""
    if q.format != "json" or q.filters or q.sort or p.grant.row_filter:
        return None
    names = [s.name for s in p.version.specs]
    if q.fields != names or p.granted != names or p.masked != all_masked(p.version):
        return None
    name = masked_copy.copy_name(p.version, p.masked, p.rules)
    if masked_copy.ready(db.connection(), name):
        return name
    if masked_copy.ensure(db.get_bind().engine, p.version, p.masked, p.rules):
        db.commit()  # nothing written yet: a fresh snapshot that sees the new copy
        return name if masked_copy.ready(db.connection(), name) else None
    return None


def build_copy(factory: sessionmaker[Session], resource_id: int, *, version: int | None = None) -> str | None:
    """Build the masked copy of the resource's newest version (when it is `version`, if given) under the rules
    in force, when a live grant it would serve exists; its name, or None. Run after an import."""
    with factory() as db:
        conn = db.connection()
        dv = fastread.newest_version(conn, resource_id)
        if dv is None or (version is not None and dv.version != version):
            return None
        params = {"resource_id": resource_id, "at": clock.now()}
        found = [SimpleNamespace(**r._mapping) for r in conn.execute(_RESOURCE_GRANTS, params)]
        if not any(grants.is_live(g) and copy_serves(g, dv) for g in found):
            return None
        rules = masking.rules_in_force(db)
        engine = db.get_bind()
    return masked_copy.build(engine, dv, all_masked(dv), rules)


def _audit(
    db: Session,
    actor: Actor,
    p: GrantedVersion,
    *,
    action: str,
    rows: int,
    fields: list[str],
    masked: list[str],
    ip: str | None,
    extra: dict[str, Any],
) -> None:
    record(
        db,
        actor=actor,
        action=action,
        target_kind="exchange.grant",
        target_id=p.grant.id,
        ip=ip,
        detail={
            "resource_id": p.grant.resource_id,
            "version": p.version.version,
            "grant_id": p.grant.id,
            "department_id": actor.department_id,
            "items": fields,
            "rows": rows,
            "masked": masked,
            "masking": {n: p.masked[n] for n in masked},
            "row_filter": p.grant.row_filter,
            **extra,
        },
    )
    grants.note_use(db, p.grant, rows=rows)


def open_export(db: Session, *, actor: Actor, resource_id: int, ip: str | None = None,
                grant_id: int | None = None) -> GrantedVersion:
    """Authorise and audit a bulk CSV export of everything the grant covers (rows then come from `export_rows`)."""
    p = granted_version(db, actor=actor, resource_id=resource_id, delivery="file", grant_id=grant_id)
    conds = row_filter_conditions(p.table, p.grant.row_filter, p.specs)
    count = (
        db.connection().execute(sa.select(sa.func.count()).select_from(p.table).where(*conds)).scalar_one()
    )
    _audit(
        db,
        actor,
        p,
        action="exchange.export",
        rows=int(count),
        fields=p.granted,
        masked=[n for n in p.granted if n in p.masked],
        ip=ip,
        extra={"format": "csv"},
    )
    db.commit()
    return p


def export_rows(factory: sessionmaker[Session], p: GrantedVersion) -> Iterator[Any]:
    """Every granted row of an opened export, masked, in keyset batches on a session of its own."""
    masks = p.rules.column_maskers({n: p.masked[n] for n in p.granted if n in p.masked})
    after = None
    with factory() as db:
        conds = row_filter_conditions(p.table, p.grant.row_filter, p.specs)
        while True:
            rows, after = fastread.fetch_page(
                db.connection(), p.table, p.granted, where=conds, after=after, limit=EXPORT_BATCH
            )
            yield from fastread.mask_columns(rows, p.granted, masks)
            if after is None:
                return
