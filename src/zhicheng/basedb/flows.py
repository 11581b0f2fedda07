"""Base-database processes that reach into other domains: defining one (its catalog resource), running one (a new
dataset version of that resource), and the demo's generated sources.

The steps that belong to the base databases themselves stay in `basedb.service`; a flow strings them together
with the catalog's and the datasets' services (Dispatch's `flows.py`). API, pages, CLI and demo call these.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from zhicheng.basedb import assembly as engine
from zhicheng.basedb import sample, service
from zhicheng.basedb.models import Assembly, AssemblyRun
from zhicheng.catalog import service as catalog
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError, Invalid
from zhicheng.policy.service import Target, decide


def define_assembly(db: Session, *, actor: Actor, data: dict[str, Any]) -> Assembly:
    """Define a base database: check the definition (field at fault), register and publish its catalog
    resource, save the assembly."""
    checked = service.check_new_assembly(db, actor=actor, data=data)
    resource_id = _register_output(db, actor=actor, data=checked.resource_data, publish=data.get("publish", True))
    return service.save_assembly(db, actor=actor, checked=checked, resource_id=resource_id)


def _register_output(db: Session, *, actor: Actor, data: dict[str, Any], publish: bool) -> int:
    """The catalog resource a base database's records are published as; submitted and, where the actor may
    review, published at once."""
    res = catalog.create_resource(db, actor=actor, data=data)
    if publish:
        res = catalog.submit(db, actor=actor, resource_id=res.id, comment="基础库成果资源")
        if decide(
            actor, "review", Target("catalog.resource", id=res.id, department_id=res.department_id)
        ).allowed:
            res = catalog.review(db, actor=actor, resource_id=res.id, decision="publish")
    return res.id


def run_assembly(db: Session, *, actor: Actor, assembly_id: int) -> AssemblyRun:
    """Assemble the records from the sources' newest versions and import them as a new version."""
    started = service.start_run(db, actor=actor, assembly_id=assembly_id)
    asm, run = started.assembly, started.run
    try:
        with engine.workdir() as tmp:
            outcome = engine.assemble(
                db,
                actor=actor,
                template=started.template,
                definition=asm.definition,
                sources=started.sources,
                run_id=run.id,
                threshold=asm.threshold,
                workdir=Path(tmp),
            )
            report = datasets.import_file(
                db,
                actor=actor,
                resource_id=asm.resource_id,
                path=outcome.path,
                filename=f"basedb-{asm.id}-run-{run.id}.csv",
                via="basedb",
            )
    except BaseException as exc:
        db.rollback()
        service.fail_run(db, run, exc.zh if isinstance(exc, AppError) else "运行出错，未生成新版本")
        raise
    if not report.ok:
        service.refuse_run(db, run, report)
    return service.finish_run(db, actor=actor, assembly=asm, run=run, version=report.version, outcome=outcome)


def make_sources(
    db: Session,
    *,
    actor: Actor,
    departments: tuple[int, int],
    rows: int,
    seed: int = 7,
    names: tuple[str, str] = ("户籍人口信息（演示）", "卫生健康服务对象（演示）"),
    publish: bool = True,
    **rates: float,
) -> tuple[int, int, dict[str, Any]]:
    """Register the two generated source resources, import their rows; (resource a, resource b, truth)."""
    ids = []
    with tempfile.TemporaryDirectory(prefix="zhicheng-sample-") as tmp:
        pa, pb = Path(tmp) / "a.csv", Path(tmp) / "b.csv"
        truth = sample.generate(pa, pb, rows, seed=seed, **rates)
        for name, items, dept, path in (
            (names[0], sample.SOURCE_A_ITEMS, departments[0], pa),
            (names[1], sample.SOURCE_B_ITEMS, departments[1], pb),
        ):
            res = catalog.create_resource(db, actor=actor, data=sample.source_resource(name, items, dept))
            if publish:
                catalog.submit(db, actor=actor, resource_id=res.id)
                catalog.review(db, actor=actor, resource_id=res.id, decision="publish")
            report = datasets.import_file(db, actor=actor, resource_id=res.id, path=path, filename=path.name)
            if not report.ok:
                raise Invalid(
                    f"演示数据导入失败：{report.errors[:1]}", f"sample import failed: {report.errors[:1]}"
                )
            ids.append(res.id)
    return ids[0], ids[1], truth


def seed_demo(
    db: Session,
    *,
    actor: Actor,
    source_departments: tuple[int, int],
    owner_department_id: int,
    rows: int = 200,
    seed: int = 7,
) -> Assembly:
    """A demo 人口基础库: two generated sources (labelled as generated), defined and run once; the existing one
    when the demo was seeded before."""
    existing = service.find_assembly(db, sample.DEMO_NAME)
    if existing is not None:
        return existing
    try:
        a, b, _truth = make_sources(db, actor=actor, departments=source_departments, rows=rows, seed=seed)
        asm = define_assembly(
            db,
            actor=actor,
            data={
                "name": sample.DEMO_NAME,
                "template": "population",
                "department_id": owner_department_id,
                "fields": sample.population_fields(a, b),
            },
        )
        run_assembly(db, actor=actor, assembly_id=asm.id)
    except AppError:
        db.rollback()
        raise
    return asm
