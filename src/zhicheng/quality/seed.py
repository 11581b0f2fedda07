"""Quality for the demo city: proposed rules accepted and run on every resource with data, and a sample of
floating-population registrations with known defects, imported twice (the second partly fixed) so that the
dashboard shows real findings, a trend and both open and closed correction tasks."""

from __future__ import annotations

import csv
import random
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from zhicheng.catalog import service as catalog
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.actor import SYSTEM, Actor
from zhicheng.core.errors import AppError, NotFound
from zhicheng.core.ids.citizen_id import make

SAMPLE_NAME = "流动人口登记抽查样本（数据质量示例）"
SAMPLE_ITEMS = [  # registered without identifier checks, as many legacy systems were: the import lets defects in
    {
        "name": "sfzh",
        "label": "公民身份号码",
        "type": "string",
        "length": 18,
        "personal": True,
        "sensitivity": "important",
    },
    {"name": "xm", "label": "姓名", "type": "string", "length": 50, "personal": True},
    {"name": "xb", "label": "性别", "type": "string", "length": 1, "description": "GB/T 2261.1：1 男，2 女"},
    {"name": "csrq", "label": "出生日期", "type": "date", "personal": True},
    {"name": "hjdqdm", "label": "户籍地行政区划代码", "type": "string", "length": 6},
    {"name": "djrq", "label": "登记日期", "type": "date"},
]
REGIONS = ["430102", "430103", "430104", "430105", "430111", "430112", "430121", "430181", "430182"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def sample_rows(count: int = 300, *, fixed: bool = False, seed: int = 2026) -> list[dict[str, Any]]:
    """Generated registrations (演示数据，系统生成); unless `fixed`, every 37th has a wrong check digit, every
    53rd a retired region code (430124 宁乡县, retired 2017-04-09), every 61st a birth date that differs from its
    ID number, every 71st repeats the ID of the row before; with `fixed`, only the check digits are corrected."""
    rnd = random.Random(seed)
    rows = []
    for n in range(1, count + 1):
        male = rnd.random() < 0.5
        born = date(1950, 1, 1) + timedelta(days=rnd.randrange(0, 365 * 55))
        region = rnd.choice(REGIONS)
        row = {
            "sfzh": make(region, born, rnd.randrange(0, 500), "M" if male else "F"),
            "xm": rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN),
            "xb": "1" if male else "2",
            "csrq": born.isoformat(),
            "hjdqdm": region,
            "djrq": (date(2024, 1, 1) + timedelta(days=rnd.randrange(0, 600))).isoformat(),
        }
        if n % 37 == 0 and not fixed:
            last = row["sfzh"][17]
            row["sfzh"] = row["sfzh"][:17] + ("0" if last != "0" else "1")
        if n % 53 == 0:
            row["hjdqdm"] = "430124"
        if n % 61 == 0:
            row["csrq"] = (born + timedelta(days=31)).isoformat()
        if n % 71 == 0:
            row["sfzh"] = rows[-1]["sfzh"]
        rows.append(row)
    return rows


def _import(db: Session, actor: Actor, resource_id: int, rows: list[dict], folder: Path, name: str) -> None:
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[i["name"] for i in SAMPLE_ITEMS])
        writer.writeheader()
        writer.writerows(rows)
    report = datasets.import_file(db, actor=actor, resource_id=resource_id, path=path, filename=name)
    if not report.ok:
        raise AppError(f"示例数据导入失败：{report.message_zh}", f"sample import failed: {report.message_en}")


def _resources_with_data(db: Session) -> list[int]:
    ids, page = [], 1
    while True:
        items, total = catalog.list_resources(db, actor=SYSTEM, page=page, size=200)
        ids += [int(doc["id"]) for doc in items]
        if page * 200 >= total or not items:
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
    from zhicheng.quality import service

    made = service.propose(db, actor=actor, resource_id=resource_id)
    for rule in made:
        service.set_rule_state(db, actor=actor, rule_id=rule.id, state="active")
    return len(made)


def seed_demo(
    db: Session, *, department_id: int | None = None, actor: Actor = SYSTEM, sample_rows_count: int = 300
) -> dict[str, Any]:
    """Give the demo city a quality dashboard with real findings; safe to call again (nothing is duplicated
    except new runs). `department_id` provides the defective sample (default: the provider of the first resource
    with data); returns what was done."""
    from zhicheng.quality import service

    existing = _resources_with_data(db)
    counts: dict[str, Any] = {"resources": 0, "rules": 0, "runs": 0}
    for rid in existing:
        counts["rules"] += _adopt(db, actor, rid)
        service.run(db, actor=actor, resource_id=rid)
        counts["resources"] += 1
        counts["runs"] += 1
    if department_id is None and existing:
        department_id = catalog.get_resource(db, existing[0]).department_id
    if department_id is not None:
        found = [
            r
            for r in catalog.list_resources(db, actor=SYSTEM, department_id=department_id, size=200)[0]
            if r["name"] == SAMPLE_NAME
        ]
        if not found:
            res = catalog.create_resource(
                db,
                actor=actor,
                data={
                    "name": SAMPLE_NAME,
                    "catalog_class": "base",
                    "subclass": "population",
                    "department_id": department_id,
                    "summary": "从流动人口登记信息中抽取的样本，用于演示数据质量规则、检测报告与整改任务（演示数据，系统生成）。",
                    "format": "database",
                    "file_formats": ["csv"],
                    "share_type": "conditional",
                    "share_condition": "仅用于数据质量核查",
                    "share_method": "api",
                    "open_type": "none",
                    "update_cycle": "monthly",
                    "tags": ["人口", "数据质量"],
                    "items": SAMPLE_ITEMS,
                },
            )
            with tempfile.TemporaryDirectory(prefix="zhicheng-quality-demo-") as tmp:
                _import(db, actor, res.id, sample_rows(sample_rows_count), Path(tmp), "sample_v1.csv")
                counts["rules"] += _adopt(db, actor, res.id)
                service.run(db, actor=actor, resource_id=res.id)
                _import(
                    db, actor, res.id, sample_rows(sample_rows_count, fixed=True), Path(tmp), "sample_v2.csv"
                )
                # a running app has already checked the new version (it listens to imports); else check it now
                if service.history(db, actor=actor, resource_id=res.id, limit=1)[0]["version"] != 2:
                    service.run(db, actor=actor, resource_id=res.id)
            counts["sample_resource_id"] = res.id
            counts["resources"] += 1
            counts["runs"] += 2
    board = service.dashboard(db, actor=SYSTEM)
    counts["open_tasks"] = len(board["open_tasks"])
    counts["failing_rules"] = len(board["worst_rules"])
    return counts
