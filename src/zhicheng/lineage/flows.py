"""Lineage processes that read other domains: catching up on the catalog's dataset versions and the base
databases' runs that happened while nobody was listening to the bus (a demo loaded before the server started)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhicheng.basedb import service as basedb
from zhicheng.catalog import service as catalog
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.actor import SYSTEM
from zhicheng.lineage import service

PAGE = 100


def catch_up(db: Session) -> int:
    """Record every dataset version of every resource and every successful assembly run; idempotent.
    Returns the versions seen."""
    seen, page = 0, 1
    while True:
        items, total = catalog.list_resources(db, actor=SYSTEM, page=page, size=PAGE)
        seen += service.record_versions(
            db,
            [
                (dv.resource_id, dv.version, dv.row_count)
                for item in items
                for dv in datasets.list_versions(db, actor=SYSTEM, resource_id=item["id"])
            ],
        )
        if not items or page * PAGE >= total:
            break
        page += 1
    for payload in basedb.completed_runs(db):
        service.record_assembly(db, payload)
    return seen
