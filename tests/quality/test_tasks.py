"""After an import the rules run; failing rules become correction tasks for the providing department with a
deadline in working days; the provider re-imports fixed data and the next run closes them; scheduled runs."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from tests.helpers.quality import defective_people, import_rows, person
from zhicheng.core import clock
from zhicheng.core.workdays import service as deadlines
from zhicheng.policy.models import AuditEntry
from zhicheng.quality import schedules, service
from zhicheng.quality.models import QualityRun


def test_import_runs_the_rules_and_tasks_follow_the_data(
    client, db, people_resource, quality_actors, tmp_path
):
    res, _ = people_resource(rows=False)
    officer, admin = quality_actors["officer"], quality_actors["admin"]
    check = service.define_rule(
        db,
        actor=officer,
        resource_id=res.id,
        data={"kind": "check", "item": "sfzh", "params": {"scheme": "citizen_id"}},
    )
    name = service.define_rule(db, actor=officer, resource_id=res.id, data={"kind": "required", "item": "xm"})
    service.define_rule(
        db,
        actor=officer,
        resource_id=res.id,
        data={"kind": "allowed", "item": "xb", "params": {"table": "gb2261.1"}},
    )

    # the app (client) listens for imports: the run happens before the import returns
    import_rows(db, admin, res.id, defective_people(), tmp_path)
    runs = list(db.scalars(select(QualityRun).where(QualityRun.resource_id == res.id)))
    assert [(r.version, r.trigger) for r in runs] == [(1, "import")]
    inbox = service.inbox(db, actor=officer)
    assert sorted(t["rule_id"] for t in inbox) == sorted([check.id, name.id])
    due = deadlines.add_working_days(deadlines.china_today(), 5)
    assert all(
        t["due_date"] == due and not t["overdue"] and t["department_id"] == res.department_id for t in inbox
    )
    assert service.inbox(db, actor=quality_actors["housing"]) == []
    assert len(service.inbox(db, actor=admin)) == 2

    # past the deadline the tasks are overdue
    clock.advance(timedelta(days=20))
    assert all(t["overdue"] and t["working_days_left"] < 0 for t in service.inbox(db, actor=officer))

    # the provider fixes one defect and re-imports: that task closes, the other stays open
    rows = defective_people()
    rows[4] = person(4)
    import_rows(db, officer, res.id, rows, tmp_path)
    open_now = service.inbox(db, actor=officer)
    assert [t["rule_id"] for t in open_now] == [name.id]
    closed = service.inbox(db, actor=officer, state="closed")
    assert [t["rule_id"] for t in closed] == [check.id] and closed[0]["closed_run_id"] is not None

    # trend across versions
    history = service.history(db, actor=officer, resource_id=res.id)
    assert [h["version"] for h in history] == [2, 1] and history[0]["score"] > history[1]["score"]

    # the API and pages show the same
    r = client.get("/api/v1/quality/tasks", headers=auth(db, client, quality_actors["users"]["officer"]))
    assert r.status_code == 200 and [t["rule_id"] for t in r.json()] == [name.id]


def auth(db, client, user):
    from zhicheng.accounts import service as accounts

    return {
        "Authorization": f"Bearer {accounts.issue_token(db, user=user, settings=client.app.state.settings)}"
    }


def test_a_run_over_an_old_version_leaves_the_tasks_alone(db, people_resource, quality_actors, tmp_path):
    res, _ = people_resource()
    officer = quality_actors["officer"]
    service.define_rule(db, actor=officer, resource_id=res.id, data={"kind": "required", "item": "xm"})
    service.run(db, actor=officer, resource_id=res.id)
    assert len(service.inbox(db, actor=officer)) == 1
    import_rows(db, officer, res.id, [person(i) for i in range(5)], tmp_path)
    service.run(db, actor=officer, resource_id=res.id, version=1)
    assert len(service.inbox(db, actor=officer)) == 1
    service.run(db, actor=officer, resource_id=res.id)
    assert service.inbox(db, actor=officer) == []


def test_runs_and_sample_reads_are_audited(db, people_resource, quality_actors):
    res, _ = people_resource()
    service.define_rule(
        db, actor=quality_actors["officer"], resource_id=res.id, data={"kind": "unique", "item": "sfzh"}
    )
    service.run(db, actor=quality_actors["officer"], resource_id=res.id)
    service.report(db, actor=quality_actors["police_user"], resource_id=res.id)
    actions = [a for (a,) in db.execute(select(AuditEntry.action).where(AuditEntry.action.like("quality.%")))]
    assert "quality.run.run" in actions and "quality.report.read" in actions
    import pytest

    from zhicheng.core.errors import Forbidden

    with pytest.raises(Forbidden):
        service.report(db, actor=quality_actors["housing"], resource_id=res.id)
    denied = db.scalar(
        select(AuditEntry).where(AuditEntry.action == "quality.report.read", AuditEntry.outcome == "denied")
    )
    assert denied is not None


def test_scheduled_runs_happen_when_due(db, people_resource, quality_actors):
    res, _ = people_resource()
    officer = quality_actors["officer"]
    service.define_rule(db, actor=officer, resource_id=res.id, data={"kind": "required", "item": "xm"})
    schedules.set_schedule(db, actor=officer, resource_id=res.id, interval_hours=24)
    assert schedules.run_due(db) == []
    clock.advance(timedelta(hours=25))
    made = schedules.run_due(db)
    assert len(made) == 1 and db.get(QualityRun, made[0]).trigger == "schedule"
    assert schedules.run_due(db) == []
    clock.advance(timedelta(hours=25))
    assert len(schedules.run_due(db)) == 1


def cli(settings, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "ZHICHENG_DATA": str(settings.data),
        "ZHICHENG_DATABASE_URL": settings.db_url,
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "zhicheng", "quality", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_cli_propose_run_report_run_due(db, settings, people_resource):
    res, _ = people_resource()
    r = cli(settings, "rules", res.code, "--add", '{"kind": "unique", "item": "sfzh"}')
    assert r.returncode == 0, r.stderr
    assert "sfzh" in r.stdout
    r = cli(
        settings, "rules", res.code, "--add", '{"kind": "pattern", "item": "sfzh", "params": {"regex": "("}}'
    )
    assert r.returncode == 1 and "正则表达式无法编译" in r.stderr
    r = cli(settings, "propose", str(res.id), "--accept")
    assert r.returncode == 0, r.stderr
    assert "proposed" in r.stdout
    r = cli(settings, "run", res.code)
    assert r.returncode == 0, r.stderr
    assert "uniqueness=" in r.stdout and "14:" in r.stdout
    r = cli(settings, "report", res.code, "--json")
    assert r.returncode == 0 and '"findings"' in r.stdout
    r = cli(settings, "run-due")
    assert r.returncode == 0 and "runs 0" in r.stdout
