"""Lineage pages: resources in the graph (/lineage) and one resource's upstream and downstream as layers."""

from __future__ import annotations

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import require_user
from zhicheng.core.actor import Actor
from zhicheng.lineage import service
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
KINDS = {"resource": "数据资源", "dataset": "数据集版本", "assembly": "基础库汇聚"}
EDGES = {"version_of": "版本", "source": "来源", "input": "输入", "produces": "产出", "output": "输出"}


@router.get("/lineage")
def lineage_index(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    rows = service.list_resources(db, actor=actor)
    return render(request, "lineage/index.html", {"rows": rows, "breadcrumbs": [("数据血缘", None)]})


@router.get("/lineage/resources/{resource_id}")
def lineage_resource(
    request: Request,
    resource_id: int,
    direction: str = Query("both", pattern="^(up|down|both)$"),
    depth: int = Query(3, ge=1, le=service.MAX_DEPTH),
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
):
    view = service.graph(db, actor=actor, resource_id=resource_id, direction=direction, depth=depth)
    labels = {n["id"]: n["label"] for n in view["nodes"]}
    root = next((n for n in view["nodes"] if n["depth"] == 0), None)
    return render(
        request,
        "lineage/resource.html",
        {
            "g": view,
            "layers": service.layers(view),
            "labels": labels,
            "kinds": KINDS,
            "edge_names": EDGES,
            "root": root,
            "breadcrumbs": [("数据血缘", "/lineage"), (root["label"] if root else f"#{resource_id}", None)],
        },
    )


def nav_entries(nav) -> None:
    """This domain's entries in the app shell's navigation (`nav` is a web.navigation.Navigation)."""
    nav.register_nav("data", "数据血缘", "/lineage", roles=("admin", "data_officer"), order=100)
