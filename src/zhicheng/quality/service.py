"""Quality logic without HTTP: define and propose rules, run them over a version, reports, tasks, schedules."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from zhicheng.catalog import service as catalog
from zhicheng.catalog.datasets import rowstore
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core import clock
from zhicheng.core.actor import SYSTEM, Actor
from zhicheng.core.errors import Conflict, Invalid, NotFound
from zhicheng.policy import audit, masking
from zhicheng.policy.service import authorize_audited
from zhicheng.quality import compile as plans
from zhicheng.quality import profile as profiling
from zhicheng.quality import propose as proposing
from zhicheng.quality import rules as R
from zhicheng.quality import runner, samples, tasks
from zhicheng.quality.access import RULE, RUN, actor_name, resource_of, target_of
from zhicheng.quality.models import QualityFinding, QualityRule, QualityRun

TREND = 20


def _latest(db: Session, resource_id: int):
    """The newest version of a resource's data, or None."""
    try:
        return datasets.get_version(db, actor=SYSTEM, resource_id=resource_id)
    except NotFound:
        return None


# -- rules -----------------------------------------------------------------------------------------------------


def rule_view(rule: QualityRule, lang: str = "zh-CN", labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A rule as plain data with its description (`labels` from item_labels names the items in Chinese)."""
    return {
        "id": rule.id,
        "resource_id": rule.resource_id,
        "item": rule.item,
        "kind": rule.kind,
        "dimension": rule.dimension,
        "params": rule.params,
        "state": rule.state,
        "source": rule.source,
        "reason": rule.reason,
        "text": R.describe(rule.kind, rule.item, rule.params or {}, lang, labels),
        "created_at": clock.aware(rule.created_at),
    }


def _reference_edges(db: Session) -> dict[int, set[int]]:
    edges: dict[int, set[int]] = {}
    for rule in db.scalars(
        select(QualityRule).where(QualityRule.kind == "reference", QualityRule.state == "active")
    ):
        edges.setdefault(rule.resource_id, set()).add(int(rule.params["resource_id"]))
    return edges


def _check_reference(db: Session, res: Any, params: dict[str, Any]) -> None:
    target = resource_of(db, params["resource_id"], field="params.resource_id")
    names = [s.name for s in catalog.item_specs(db, target.id)]
    if params["item"] not in names:
        raise Invalid(
            f"资源“{target.name}”没有信息项“{params['item']}”",
            f"resource '{target.name}' has no data item '{params['item']}'",
            field="params.item",
        )
    cycle = R.find_cycle(_reference_edges(db), res.id, target.id)
    if cycle:
        path = " → ".join(f"#{n}" for n in [res.id, *cycle])
        raise Invalid(
            f"参照规则形成循环：{path}",
            f"the reference rules would form a cycle: {path}",
            field="params.resource_id",
        )


def _same(rule: QualityRule, norm: dict[str, Any]) -> bool:
    return rule.item == norm["item"] and rule.kind == norm["kind"] and (rule.params or {}) == norm["params"]


def define_rule(
    db: Session,
    *,
    actor: Actor,
    resource_id: int,
    data: dict[str, Any],
    state: str = "active",
    reason: str | None = None,
    commit: bool = True,
) -> QualityRule:
    """Add a rule to a resource; Invalid (with the field at fault) when it does not compile or fit the items."""
    res = resource_of(db, resource_id)
    authorize_audited(db, actor, "define", target_of(RULE, res))
    norm = R.validate(data, catalog.item_specs(db, res.id))
    if norm["kind"] == "reference":
        _check_reference(db, res, norm["params"])
    if norm["kind"] == "timely" and res.update_cycle not in R.CYCLE_LIMITS:
        raise Invalid(
            "该资源的更新周期为不定期，无法检查及时性",
            "the resource has no regular update cycle to check",
            field="kind",
        )
    existing = db.scalars(
        select(QualityRule).where(
            QualityRule.resource_id == res.id, QualityRule.state.in_(("active", "proposed"))
        )
    )
    if state == "active" and any(r.state == "active" and _same(r, norm) for r in existing):
        raise Conflict("该资源已有相同的质量规则", "the resource already has this rule", field="kind")
    rule = QualityRule(
        resource_id=res.id,
        item=norm["item"],
        kind=norm["kind"],
        dimension=norm["dimension"],
        params=norm["params"],
        state=state,
        source="proposed" if state == "proposed" else "manual",
        reason=reason,
        created_by_name=actor_name(actor),
        created_at=clock.now(),
    )
    db.add(rule)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action=f"{RULE}.define",
        target_kind=RULE,
        target_id=rule.id,
        detail={"resource_id": res.id, "kind": rule.kind, "item": rule.item, "state": state},
    )
    if commit:
        db.commit()
    return rule


def list_rules(
    db: Session, *, actor: Actor, resource_id: int, states: tuple[str, ...] = ("active", "proposed")
) -> list[QualityRule]:
    """A resource's rules in the given states, oldest first."""
    res = resource_of(db, resource_id)
    authorize_audited(db, actor, "read", target_of(RULE, res))
    return list(
        db.scalars(
            select(QualityRule)
            .where(QualityRule.resource_id == res.id, QualityRule.state.in_(states))
            .order_by(QualityRule.id)
        )
    )


def set_rule_state(db: Session, *, actor: Actor, rule_id: int, state: str) -> QualityRule:
    """Accept a proposal (active) or dismiss a proposal or rule (dismissed)."""
    if state not in ("active", "dismissed"):
        raise Invalid("状态应为 active 或 dismissed", "state must be active or dismissed", field="state")
    rule = db.get(QualityRule, int(rule_id))
    if rule is None:
        raise NotFound(f"质量规则 {rule_id} 不存在", f"quality rule {rule_id} not found", field="rule_id")
    res = resource_of(db, rule.resource_id)
    authorize_audited(db, actor, "define", target_of(RULE, res))
    if state == "active" and rule.kind == "reference" and rule.state != "active":
        _check_reference(db, res, rule.params)
    before, rule.state = rule.state, state
    audit.record(
        db,
        actor=actor,
        action=f"{RULE}.{'accept' if state == 'active' else 'dismiss'}",
        target_kind=RULE,
        target_id=rule.id,
        detail={"resource_id": res.id, "from": before},
    )
    db.commit()
    return rule


def profile(db: Session, *, actor: Actor, resource_id: int) -> dict[str, Any] | None:
    """A profile of the newest version's data (None when nothing was imported yet)."""
    res = resource_of(db, resource_id)
    authorize_audited(db, actor, "read", target_of(RULE, res))
    dv = _latest(db, res.id)
    if dv is None:
        return None
    specs = datasets.specs_of(dv)
    return profiling.profile(db.connection(), rowstore.build_table(dv.table_name, specs), specs)


def propose(db: Session, *, actor: Actor, resource_id: int) -> list[QualityRule]:
    """Store proposals made from the data items and a profile of the newest data, skipping known rules."""
    res = resource_of(db, resource_id)
    authorize_audited(db, actor, "define", target_of(RULE, res))
    prof = profile(db, actor=actor, resource_id=res.id)
    known = list(db.scalars(select(QualityRule).where(QualityRule.resource_id == res.id)))
    made = []
    for raw in proposing.propose(catalog.item_specs(db, res.id), prof, res.update_cycle):
        norm = R.validate(raw, catalog.item_specs(db, res.id))
        if any(_same(r, norm) for r in known + made):
            continue
        made.append(
            define_rule(
                db,
                actor=actor,
                resource_id=res.id,
                data=raw,
                state="proposed",
                reason=raw["reason"],
                commit=False,
            )
        )
    db.commit()
    return made


# -- runs ------------------------------------------------------------------------------------------------------


def _references(db: Session, rules: list[QualityRule]) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for rule in rules:
        if rule.kind != "reference":
            continue
        dv = _latest(db, int(rule.params["resource_id"]))
        specs = datasets.specs_of(dv) if dv else []
        if dv is not None and rule.params["item"] in {s.name for s in specs}:
            out[rule.id] = rowstore.build_table(dv.table_name, specs).c[rule.params["item"]]
    return out


def scores_of(findings: list[QualityFinding]) -> tuple[dict[str, float], float | None]:
    """Score per dimension (share of passing checks, 0-100) and overall (the mean of the dimensions)."""
    totals: dict[str, list[int]] = {}
    for f in findings:
        if f.checked:
            pair = totals.setdefault(f.dimension, [0, 0])
            pair[0] += f.checked
            pair[1] += min(f.failed, f.checked)
    scores = {d: round(100 * (c - bad) / c, 2) for d, (c, bad) in totals.items()}
    return scores, (round(sum(scores.values()) / len(scores), 2) if scores else None)


def run(
    db: Session, *, actor: Actor, resource_id: int, version: int | None = None, trigger: str = "manual"
) -> QualityRun:
    """Run the resource's active rules over one version (the newest by default), store the report, sync tasks."""
    res = resource_of(db, resource_id)
    authorize_audited(db, actor, "run", target_of(RUN, res))
    dv = datasets.get_version(db, actor=SYSTEM, resource_id=res.id, version=version)
    latest = _latest(db, res.id)
    specs = datasets.specs_of(dv)
    table = rowstore.build_table(dv.table_name, specs)
    active = list(
        db.scalars(
            select(QualityRule)
            .where(QualityRule.resource_id == res.id, QualityRule.state == "active")
            .order_by(QualityRule.id)
        )
    )
    started, at = time.perf_counter(), clock.now()
    plan = plans.build(active, table, specs, db.get_bind().dialect.name, _references(db, active))
    rows, outcomes = runner.execute(db.connection(), table, plan, engine=db.get_bind().engine)
    limit = R.CYCLE_LIMITS.get(res.update_cycle)
    for rule_id in plan.timely:
        imported = clock.aware(latest.imported_at)
        stale = limit is not None and clock.now() - imported > limit
        outcomes[rule_id] = runner.Outcome(
            checked=1, failed=int(stale), samples=[(None, imported.isoformat())] if stale else []
        )
    kinds, rules = samples.mask_kinds(specs), masking.rules_in_force(db)
    record = QualityRun(
        resource_id=res.id,
        department_id=res.department_id,
        version=dv.version,
        trigger=trigger,
        rows=rows,
        started_at=at,
        run_by_name=actor_name(actor),
    )
    db.add(record)
    db.flush()
    findings = []
    for rule in active:
        got = outcomes.get(rule.id) or runner.Outcome()
        findings.append(
            QualityFinding(
                run_id=record.id,
                rule_id=rule.id,
                item=rule.item,
                kind=rule.kind,
                dimension=rule.dimension,
                checked=got.checked,
                failed=got.failed,
                samples=[
                    {"row": row, "value": samples.masked(rule, value, kinds, rules)} for row, value in got.samples
                ],
            )
        )
    db.add_all(findings)
    record.scores, record.score = scores_of(findings)
    record.duration_ms = int((time.perf_counter() - started) * 1000)
    counts = tasks.sync(db, run=record, findings=findings) if latest.version == dv.version else {}
    audit.record(
        db,
        actor=actor,
        action=f"{RUN}.run",
        target_kind=RUN,
        target_id=record.id,
        detail={
            "resource_id": res.id,
            "version": dv.version,
            "trigger": trigger,
            "rows": rows,
            "score": record.score,
            "tasks": counts,
        },
    )
    db.commit()
    tasks.announce(record, counts)
    return record


def run_after_import(factory: sessionmaker[Session], payload: dict[str, Any]) -> int | None:
    """The run that follows an import (event "catalog.dataset.imported"); None when the resource has no rule."""
    with factory() as db:
        has_rules = db.scalar(
            select(func.count())
            .select_from(QualityRule)
            .where(QualityRule.resource_id == payload["resource_id"], QualityRule.state == "active")
        )
        if not has_rules:
            return None
        return run(
            db, actor=SYSTEM, resource_id=payload["resource_id"], version=payload["version"], trigger="import"
        ).id


# -- reports (in reports.py; here so that callers need one module) -----------------------------------------------


def run_view(r: QualityRun) -> dict[str, Any]:
    """A run as plain data."""
    from zhicheng.quality import reports

    return reports.run_view(r)


def history(db: Session, **options: Any) -> list[dict[str, Any]]:
    """The resource's runs, newest first (see reports.history)."""
    from zhicheng.quality import reports

    return reports.history(db, **options)


def report(db: Session, **options: Any) -> dict[str, Any] | None:
    """A run's report, audited (see reports.report)."""
    from zhicheng.quality import reports

    return reports.report(db, **options)


def dashboard(db: Session, **options: Any) -> dict[str, Any]:
    """The quality dashboard's data (see reports.dashboard)."""
    from zhicheng.quality import reports

    return reports.dashboard(db, **options)


def inbox(db: Session, **options: Any) -> list[dict[str, Any]]:
    """Correction tasks of the actor's department (see reports.inbox)."""
    from zhicheng.quality import reports

    return reports.inbox(db, **options)
