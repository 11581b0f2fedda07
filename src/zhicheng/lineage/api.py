"""Lineage API: the graph up- and downstream of a resource."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import require_user
from zhicheng.core.actor import Actor
from zhicheng.lineage import flows, service
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/lineage", tags=["lineage 数据血缘"])


@router.get("/resources")
def resources(db: Session = Depends(get_db), actor: Actor = Depends(require_user)) -> list[dict[str, Any]]:
    """出现在血缘图中的数据资源 / resources in the lineage graph."""
    return service.list_resources(db, actor=actor)


@router.get("/resources/{resource_id}")
def resource_graph(
    resource_id: int,
    direction: str = Query("both", pattern="^(up|down|both)$"),
    depth: int = Query(3, ge=1, le=service.MAX_DEPTH),
    db: Session = Depends(get_db),
    actor: Actor = Depends(require_user),
) -> dict[str, Any]:
    """一个资源的上游（来源）和下游（去向）/ a resource's upstream and downstream."""
    return service.graph(db, actor=actor, resource_id=resource_id, direction=direction, depth=depth)


def on_startup(app) -> None:
    """Record lineage from this app's bus events into its database (after catching up on what happened before)."""
    import logging

    try:
        with app.state.sessionmaker() as db:
            flows.catch_up(db)
    except Exception:  # noqa: BLE001 - lineage must never keep the platform from starting
        logging.getLogger(__name__).exception("lineage catch-up failed")
    service.attach(app.state.sessionmaker)
