"""Two processes (server workers, a cron `run-due`) that find one schedule due run it once: the run is claimed."""

import threading
from datetime import timedelta

from sqlalchemy import func, select

from zhicheng.core import clock
from zhicheng.core.db import make_sessionmaker
from zhicheng.quality import schedules, service
from zhicheng.quality.models import QualityRun


def test_a_due_schedule_found_by_two_schedulers_at_once_runs_once(db, engine, people_resource, quality_actors):
    res, _ = people_resource()
    officer = quality_actors["officer"]
    service.define_rule(db, actor=officer, resource_id=res.id, data={"kind": "required", "item": "xm"})
    schedules.set_schedule(db, actor=officer, resource_id=res.id, interval_hours=24)
    clock.advance(timedelta(hours=25))
    factory = make_sessionmaker(engine)
    start, made, failed = threading.Barrier(4), [], []

    def scheduler() -> None:
        with factory() as session:
            start.wait()
            try:
                made.extend(schedules.run_due(session))
            except Exception as exc:  # noqa: BLE001 - reported below
                failed.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failed, failed
    runs = db.scalar(select(func.count()).select_from(QualityRun).where(QualityRun.trigger == "schedule"))
    print(f"4 schedulers racing: runs made {made}, scheduled runs stored {runs}")
    assert len(made) == 1 and runs == 1
    clock.advance(timedelta(hours=25))  # the next period is due again, and again once
    assert len(schedules.run_due(db)) == 1


def test_two_processes_running_due_schedules_at_once_run_each_once(db, settings, people_resource, quality_actors):
    """Two `zhicheng quality run-due` processes (two workers' schedulers, or cron beside a server) at once; the
    tight race itself is held by the threads above (processes start a second apart)."""
    import os
    import subprocess
    import sys

    from sqlalchemy import update

    from zhicheng.quality.models import QualitySchedule

    officer = quality_actors["officer"]
    resources = [people_resource()[0] for _ in range(3)]
    for res in resources:
        service.define_rule(db, actor=officer, resource_id=res.id, data={"kind": "required", "item": "xm"})
        schedules.set_schedule(db, actor=officer, resource_id=res.id, interval_hours=24)
    db.execute(update(QualitySchedule).values(next_run_at=clock.now() - timedelta(hours=1)))  # due now, for real
    db.commit()
    env = {**os.environ, "ZHICHENG_DATA": str(settings.data), "ZHICHENG_DATABASE_URL": settings.db_url}
    procs = [subprocess.Popen([sys.executable, "-m", "zhicheng", "quality", "run-due"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    db.expire_all()
    per_resource = dict(db.execute(select(QualityRun.resource_id, func.count()).where(
        QualityRun.trigger == "schedule").group_by(QualityRun.resource_id)).all())
    print(f"two processes: scheduled runs per resource {per_resource}")
    assert per_resource == {res.id: 1 for res in resources}
