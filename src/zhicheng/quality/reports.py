"""Quality reports: a run's report (audited), history across versions, the dashboard, the task inbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhicheng.catalog import service as catalog
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Forbidden, NotFound
from zhicheng.policy import audit
from zhicheng.policy.service import across_departments, authorize_audited
from zhicheng.quality import rules as R
from zhicheng.quality import samples, tasks
from zhicheng.quality.access import REPORT, resource_of, target_of
from zhicheng.quality.models import QualityFinding, QualityRule, QualityRun, QualityTask
from zhicheng.quality.service import TREND


def run_view(r: QualityRun) -> dict[str, Any]:
    return {
        "id": r.id,
        "resource_id": r.resource_id,
        "department_id": r.department_id,
        "version": r.version,
        "trigger": r.trigger,
        "rows": r.rows,
        "score": r.score,
        "scores": r.scores,
        "started_at": clock.aware(r.started_at),
        "duration_ms": r.duration_ms,
        "run_by": r.run_by_name,
    }


def history(db: Session, *, actor: Actor, resource_id: int, limit: int = TREND) -> list[dict[str, Any]]:
    """The resource's runs, newest first (the trend across versions)."""
    res = resource_of(db, resource_id)
    authorize_audited(db, actor, "read", target_of(REPORT, res))
    runs = db.scalars(
        select(QualityRun).where(QualityRun.resource_id == res.id).order_by(QualityRun.id.desc()).limit(limit)
    )
    return [run_view(r) for r in runs]


def item_labels(db: Session, resource_id: int) -> dict[str, str]:
    """The resource's data items: identifier → Chinese name (what rule descriptions show on Chinese pages)."""
    doc = catalog.document(db, catalog.get_resource(db, resource_id))
    return {i["name"]: i.get("label") or i["name"] for i in doc.get("items") or []}


def report(
    db: Session, *, actor: Actor, resource_id: int, run_id: int | None = None, lang: str = "zh-CN"
) -> dict[str, Any] | None:
    """A run's report (the newest by default): scores, each rule's failing count and sample; the read is audited."""
    res = resource_of(db, resource_id)
    authorize_audited(db, actor, "read", target_of(REPORT, res))
    query = select(QualityRun).where(QualityRun.resource_id == res.id)
    query = query.where(QualityRun.id == run_id) if run_id else query.order_by(QualityRun.id.desc()).limit(1)
    found = db.scalar(query)
    if found is None:
        if run_id:
            raise NotFound(f"质量检测 {run_id} 不存在", f"quality run {run_id} not found", field="run_id")
        return None
    rules = {r.id: r for r in db.scalars(select(QualityRule).where(QualityRule.resource_id == res.id))}
    labels = item_labels(db, res.id)
    findings = []
    stored = list(
        db.scalars(select(QualityFinding).where(QualityFinding.run_id == found.id).order_by(QualityFinding.id))
    )
    pairs = [(rules.get(f.rule_id), f) for f in stored]
    now = samples.shown(db, resource_id=res.id, version=found.version, found=pairs)  # masked under the rules now
    for f in stored:
        rule = rules.get(f.rule_id)
        findings.append(
            {
                "rule_id": f.rule_id,
                "item": f.item,
                "kind": f.kind,
                "dimension": f.dimension,
                "text": R.describe(f.kind, f.item, rule.params if rule else {}, lang, labels),
                "checked": f.checked,
                "failed": f.failed,
                "samples": now.get(f.id, f.samples),
                "rate": round(100 * f.failed / f.checked, 2) if f.checked else 0.0,
            }
        )
    sampled = sum(len(f["samples"]) for f in findings)
    audit.record(
        db,
        actor=actor,
        action=f"{REPORT}.read",
        target_kind=REPORT,
        target_id=found.id,
        detail={"resource_id": res.id, "version": found.version, "samples": sampled},
    )
    db.commit()
    return {
        "resource": {"id": res.id, "code": res.code, "name": res.name, "department_id": res.department_id},
        "run": run_view(found),
        "findings": findings,
        "trend": history(db, actor=actor, resource_id=res.id)[::-1],
    }


def _seen(db: Session, actor: Actor, column: Any) -> Any:
    """A filter limiting `column` (a department id) to what `actor` may see; None for the data bureau."""
    if actor.kind == "system" or across_departments(actor, "read", "quality.report"):
        return None
    return column == (actor.department_id or -1)


def dashboard(db: Session, *, actor: Actor, lang: str = "zh-CN") -> dict[str, Any]:
    """Scores per department and resource (each resource's newest run), worst rules, open tasks, trend."""
    if not actor.is_authenticated:
        raise Forbidden("请先登录", "log in first")
    newest = select(func.max(QualityRun.id)).group_by(QualityRun.resource_id)
    limit = _seen(db, actor, QualityRun.department_id)
    if limit is not None:
        newest = newest.where(limit)
    runs = list(db.scalars(select(QualityRun).where(QualityRun.id.in_(newest)).order_by(QualityRun.score)))
    names = {r.resource_id: catalog.get_resource(db, r.resource_id).name for r in runs}
    resources = [{**run_view(r), "name": names[r.resource_id]} for r in runs]
    by_dept: dict[int, list[float]] = {}
    for r in runs:
        if r.score is not None:
            by_dept.setdefault(r.department_id, []).append(r.score)
    departments = [
        {"department_id": d, "resources": len(s), "score": round(sum(s) / len(s), 2)}
        for d, s in sorted(by_dept.items())
    ]
    worst = []
    if runs:
        rules = {
            r.id: r
            for r in db.scalars(
                select(QualityRule).where(QualityRule.resource_id.in_([r.resource_id for r in runs]))
            )
        }
        found = db.scalars(
            select(QualityFinding)
            .where(QualityFinding.run_id.in_([r.id for r in runs]), QualityFinding.failed > 0)
            .order_by(QualityFinding.failed.desc())
            .limit(10)
        )
        by_run = {r.id: r for r in runs}
        for f in found:
            rule = rules.get(f.rule_id)
            worst.append(
                {
                    "resource_id": by_run[f.run_id].resource_id,
                    "name": names[by_run[f.run_id].resource_id],
                    "rule_id": f.rule_id,
                    "dimension": f.dimension,
                    "failed": f.failed,
                    "checked": f.checked,
                    "text": R.describe(f.kind, f.item, rule.params if rule else {}, lang,
                                       item_labels(db, by_run[f.run_id].resource_id)),
                }
            )
    trend_q = select(QualityRun).order_by(QualityRun.id.desc()).limit(50)
    if limit is not None:
        trend_q = trend_q.where(limit)
    trend = [
        {
            "resource_id": r.resource_id,
            "name": names.get(r.resource_id, f"#{r.resource_id}"),
            "version": r.version,
            "score": r.score,
            "started_at": clock.aware(r.started_at),
        }
        for r in db.scalars(trend_q)
    ][::-1]
    return {
        "resources": resources,
        "departments": departments,
        "worst_rules": worst,
        "open_tasks": inbox(db, actor=actor, state="open"),
        "trend": trend,
    }


def inbox(
    db: Session, *, actor: Actor, state: str | None = "open", lang: str = "zh-CN"
) -> list[dict[str, Any]]:
    """Correction tasks of the actor's department (the data bureau: every department's), overdue first."""
    if not actor.is_authenticated:
        raise Forbidden("请先登录", "log in first")
    query = select(QualityTask).order_by(QualityTask.due_date, QualityTask.id)
    limit = _seen(db, actor, QualityTask.department_id)
    if limit is not None:
        query = query.where(limit)
    if state:
        query = query.where(QualityTask.state == state)
    out = []
    for task in db.scalars(query.limit(500)):
        rule = db.get(QualityRule, task.rule_id)
        res = catalog.get_resource(db, task.resource_id)
        out.append(
            {
                **tasks.view(task),
                "resource_name": res.name,
                "rule": R.describe(rule.kind, rule.item, rule.params or {}, lang, item_labels(db, res.id))
                if rule else "",
            }
        )
    return out
