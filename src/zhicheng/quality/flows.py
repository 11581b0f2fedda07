"""Quality processes that reach into the catalog: the demo city's quality dashboard (rules proposed and accepted
on every resource with data, and a defective sample registered and imported twice)."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from zhicheng.catalog import service as catalog
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.actor import SYSTEM, Actor
from zhicheng.core.errors import AppError, NotFound
from zhicheng.quality import seed, service

PAGE = 200


def seed_demo(
    db: Session, *, department_id: int | None = None, actor: Actor = SYSTEM, sample_rows_count: int = 300
) -> dict[str, Any]:
    """Give the demo city a quality dashboard with real findings; safe to call again (nothing is duplicated
    except new runs). `department_id` provides the defective sample (default: the provider of the first resource
    with data); returns what was done."""
    existing = _resources_with_data(db)
    counts: dict[str, Any] = {"resources": 0, "rules": 0, "runs": 0}
    for rid in existing:
        counts["rules"] += _adopt(db, actor, rid)
        service.run(db, actor=actor, resource_id=rid)
        counts["resources"] += 1
        counts["runs"] += 1
    if department_id is None and existing:
        department_id = catalog.get_resource(db, existing[0]).department_id
    if department_id is not None and not _has_sample(db, department_id):
        counts["sample_resource_id"] = _seed_sample(db, actor, department_id, sample_rows_count, counts)
    board = service.dashboard(db, actor=SYSTEM)
    counts["open_tasks"] = len(board["open_tasks"])
    counts["failing_rules"] = len(board["worst_rules"])
    return counts


def _resources_with_data(db: Session) -> list[int]:
    ids, page = [], 1
    while True:
        items, total = catalog.list_resources(db, actor=SYSTEM, page=page, size=PAGE)
        ids += [int(doc["id"]) for doc in items]
        if page * PAGE >= total or not items:
            break
        page += 1
    out = []
    for rid in sorted(set(ids)):
        try:
            datasets.get_version(db, actor=SYSTEM, resource_id=rid)
        except NotFound:
            continue
        out.append(rid)
    return out


def _adopt(db: Session, actor: Actor, resource_id: int) -> int:
    """Accept every rule proposed for the resource; how many."""
    made = service.propose(db, actor=actor, resource_id=resource_id)
    for rule in made:
        service.set_rule_state(db, actor=actor, rule_id=rule.id, state="active")
    return len(made)


def _has_sample(db: Session, department_id: int) -> bool:
    listed = catalog.list_resources(db, actor=SYSTEM, department_id=department_id, size=PAGE)[0]
    return any(r["name"] == seed.SAMPLE_NAME for r in listed)


def _seed_sample(db: Session, actor: Actor, department_id: int, rows: int, counts: dict[str, Any]) -> int:
    """Register the defective sample, import it, adopt its rules, check it, import it again partly fixed."""
    res = catalog.create_resource(db, actor=actor, data=seed.sample_resource(department_id))
    with tempfile.TemporaryDirectory(prefix="zhicheng-quality-demo-") as tmp:
        _import(db, actor, res.id, seed.sample_rows(rows), Path(tmp), "sample_v1.csv")
        counts["rules"] += _adopt(db, actor, res.id)
        service.run(db, actor=actor, resource_id=res.id)
        _import(db, actor, res.id, seed.sample_rows(rows, fixed=True), Path(tmp), "sample_v2.csv")
        # a running app has already checked the new version (it listens to imports); else check it now
        if service.history(db, actor=actor, resource_id=res.id, limit=1)[0]["version"] != 2:
            service.run(db, actor=actor, resource_id=res.id)
    counts["resources"] += 1
    counts["runs"] += 2
    return res.id


def _import(db: Session, actor: Actor, resource_id: int, rows: list[dict], folder: Path, name: str) -> None:
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[i["name"] for i in seed.SAMPLE_ITEMS])
        writer.writeheader()
        writer.writerows(rows)
    report = datasets.import_file(db, actor=actor, resource_id=resource_id, path=path, filename=name)
    if not report.ok:
        raise AppError(f"示例数据导入失败：{report.message_zh}", f"sample import failed: {report.message_en}")
