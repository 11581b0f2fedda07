"""Two processes (server workers, a cron `run-due`) that find one schedule due run it once: the run is claimed."""

import threading
from datetime import timedelta

from sqlalchemy import func, select

from zhicheng.core import clock
from zhicheng.core.db import make_sessionmaker
from zhicheng.quality import service
from zhicheng.quality.models import QualityRun


def test_a_due_schedule_found_by_two_schedulers_at_once_runs_once(db, engine, people_resource, quality_actors):
    res, _ = people_resource()
    officer = quality_actors["officer"]
    service.define_rule(db, actor=officer, resource_id=res.id, data={"kind": "required", "item": "xm"})
    service.set_schedule(db, actor=officer, resource_id=res.id, interval_hours=24)
    clock.advance(timedelta(hours=25))
    factory = make_sessionmaker(engine)
    start, made, failed = threading.Barrier(4), [], []

    def scheduler() -> None:
        with factory() as session:
            start.wait()
            try:
                made.extend(service.run_due(session))
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
    assert len(service.run_due(db)) == 1
