"""A server that stops in the middle of an import leaves no half-stored data and no job stuck 'running'."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from zhicheng.catalog.datasets.models import ImportJob
from zhicheng.core import clock


def test_job_left_running_by_a_stopped_process_is_closed_at_start(settings, engine, db, people, officers):
    job = ImportJob(id=uuid.uuid4().hex, resource_id=people.id, state="running", filename="人口.csv",
                    size_bytes=10, rows_read=500, error_count=0, errors=[], created_by=None,
                    created_by_name="公安数据员", created_at=clock.now())
    db.add(job)
    db.commit()

    from zhicheng.web.app import create_app

    with TestClient(create_app(settings)) as c:  # start-up runs the recovery
        assert c.get("/api/v1/health").status_code == 200
    db.expire_all()
    stored = db.get(ImportJob, job.id)
    assert stored.state == "failed"
    assert "重新导入" in stored.message_zh
    assert stored.finished_at is not None
