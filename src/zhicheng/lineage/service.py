"""Lineage logic: record the graph from bus events, and walk it up- or downstream of a resource.

Nodes are resources, dataset versions ("<resource>/v<n>") and assemblies; edges say how data flows:
dataset version → its resource (version_of), source resource → assembly (source), the source version read
→ assembly (input), assembly → the resource it produces (produces) and the version it wrote (output).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from zhicheng.catalog import service as catalog
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.core.events import bus, same_database
from zhicheng.lineage.models import LineageEdge, LineageNode
from zhicheng.policy.audit import record
from zhicheng.policy.rules import KIND_NAMES, add_rule, authenticated
from zhicheng.policy.service import Target, authorize, decide

log = logging.getLogger(__name__)
KIND = "lineage.graph"
MAX_DEPTH = 10
add_rule(KIND, "read", "authenticated", authenticated)
KIND_NAMES[KIND] = ("数据血缘", "lineage")


# ---------------------------------------------------------------- recording


def _node(db: Session, kind: str, ref: str, label: str, resource_id: int | None = None) -> LineageNode:
    node = db.scalar(select(LineageNode).where(LineageNode.kind == kind, LineageNode.ref == ref))
    if node is None:
        node = LineageNode(kind=kind, ref=ref, label=label[:200], resource_id=resource_id)
        db.add(node)
        db.flush()
    elif node.label != label[:200]:
        node.label = label[:200]
    return node


def _edge(
    db: Session, source: LineageNode, target: LineageNode, kind: str, detail: dict | None = None
) -> None:
    found = db.scalar(
        select(LineageEdge.id).where(
            LineageEdge.source_id == source.id, LineageEdge.target_id == target.id, LineageEdge.kind == kind
        )
    )
    if found is None:
        db.add(LineageEdge(source_id=source.id, target_id=target.id, kind=kind, detail=detail))
        db.flush()


def resource_node(db: Session, resource_id: int) -> LineageNode:
    res = catalog.get_resource(db, resource_id)
    return _node(db, "resource", str(res.id), res.name, res.id)


def dataset_node(db: Session, resource_id: int, version: int) -> LineageNode:
    res = catalog.get_resource(db, resource_id)
    return _node(db, "dataset", f"{resource_id}/v{version}", f"{res.name} 第 {version} 版", resource_id)


def record_import(
    db: Session, *, resource_id: int, version: int, rows: int | None = None, by: str | None = None,
    via: str | None = None,
) -> None:
    """A dataset version was imported into a resource (by whom, through the pages, the API or the CLI)."""
    detail: dict[str, Any] = {"rows": rows}
    if by or via:
        detail.update(by=by, via=via)
    _edge(db, dataset_node(db, resource_id, version), resource_node(db, resource_id), "version_of", detail)
    db.commit()


def record_assembly(db: Session, payload: dict[str, Any]) -> None:
    """An assembly ran: its sources (and the versions read) flow into it, it produces its resource's version."""
    asm = _node(
        db, "assembly", str(payload["assembly_id"]), str(payload.get("name") or payload["assembly_id"])
    )
    for src in payload.get("sources", []):
        _edge(db, resource_node(db, src["resource_id"]), asm, "source")
        _edge(
            db,
            dataset_node(db, src["resource_id"], src["version"]),
            asm,
            "input",
            {"run_id": payload.get("run_id")},
        )
    out = resource_node(db, payload["resource_id"])
    _edge(db, asm, out, "produces")
    if payload.get("version"):
        version = dataset_node(db, payload["resource_id"], payload["version"])
        _edge(
            db, asm, version, "output", {"run_id": payload.get("run_id"), "records": payload.get("records")}
        )
        _edge(db, version, out, "version_of", {"rows": payload.get("records")})
    db.commit()


def _handler(factory: sessionmaker[Session], engine_pool):
    engine = factory.kw.get("bind")

    def handle(name: str, payload: dict[str, Any]) -> None:
        if engine is not None and engine.pool is not engine_pool:  # that instance was shut down
            return
        if not same_database(payload, engine):  # another app's database (several apps in one process)
            return
        for attempt in range(2):  # two writers may add the same node at once: the second try finds it
            with factory() as db:
                try:
                    if name == "catalog.dataset.imported":
                        record_import(
                            db,
                            resource_id=payload["resource_id"],
                            version=payload["version"],
                            rows=payload.get("rows"),
                            by=payload.get("by"),
                            via=payload.get("via"),
                        )
                    else:
                        record_assembly(db, payload)
                    return
                except IntegrityError:
                    db.rollback()
                    if attempt:
                        raise

    return handle


def attach(factory: sessionmaker[Session]) -> None:
    """Record lineage from the bus into the database of `factory` (while its engine is not disposed)."""
    engine = factory.kw.get("bind")
    handle = _handler(factory, engine.pool if engine is not None else None)
    bus.subscribe("catalog.dataset.imported", handle)
    bus.subscribe("basedb.assembly.completed", handle)


def record_versions(db: Session, versions: list[tuple[int, int, int | None]]) -> int:
    """Dataset versions `(resource_id, version, rows)` exist (idempotent, one commit); returns how many."""
    for resource_id, version, rows in versions:
        _edge(db, dataset_node(db, resource_id, version), resource_node(db, resource_id), "version_of", {"rows": rows})
    db.commit()
    return len(versions)


# ---------------------------------------------------------------- reading


def _visible(actor: Actor, db: Session, node: LineageNode) -> bool:
    if node.resource_id is None:
        return True
    try:
        res = catalog.get_resource(db, node.resource_id)
    except NotFound:
        return False
    return catalog.can_see_working_copy(actor, res) or (
        catalog.is_live(res)
        and decide(
            actor,
            "read",
            Target(
                "catalog.resource", id=res.id, department_id=res.department_id, attrs={"state": "published"}
            ),
        ).allowed
    )


def node_view(node: LineageNode, visible: bool, depth: int) -> dict[str, Any]:
    return {
        "id": node.id,
        "kind": node.kind,
        "ref": node.ref,
        "label": node.label if visible else "（无权查看）",
        "resource_id": node.resource_id if visible else None,
        "depth": depth,
    }


def graph(
    db: Session, *, actor: Actor, resource_id: int, direction: str = "both", depth: int = 3
) -> dict[str, Any]:
    """The lineage around a resource: nodes with their signed depth (upstream < 0 < downstream) and edges."""
    if direction not in ("up", "down", "both"):
        raise Invalid(
            "direction 应为 up、down 或 both", "direction must be up, down or both", field="direction"
        )
    if not 1 <= depth <= MAX_DEPTH:
        raise Invalid(f"depth 须在 1 至 {MAX_DEPTH} 之间", f"depth must be 1 to {MAX_DEPTH}", field="depth")
    catalog.read_resource(db, actor=actor, resource_id=resource_id)  # policy: may the actor see the resource
    authorize(actor, "read", Target(KIND, id=resource_id))
    root = db.scalar(
        select(LineageNode).where(LineageNode.kind == "resource", LineageNode.ref == str(resource_id))
    )
    nodes: dict[int, tuple[LineageNode, int]] = {}
    edges: dict[int, LineageEdge] = {}
    if root is not None:
        nodes[root.id] = (root, 0)
        for sign, want in ((-1, "up"), (1, "down")):
            if direction not in (want, "both"):
                continue
            frontier = [root.id]
            for level in range(1, depth + 1):
                if not frontier:
                    break
                col_from = LineageEdge.target_id if sign < 0 else LineageEdge.source_id
                found = list(db.scalars(select(LineageEdge).where(col_from.in_(frontier))))
                nxt = []
                for e in found:
                    edges[e.id] = e
                    other = e.source_id if sign < 0 else e.target_id
                    if other not in nodes:
                        nxt.append(other)
                        nodes[other] = (None, sign * level)  # type: ignore[assignment]
                for n in db.scalars(select(LineageNode).where(LineageNode.id.in_(nxt))) if nxt else ():
                    nodes[n.id] = (n, nodes[n.id][1])
                frontier = nxt
    out_nodes = [node_view(n, _visible(actor, db, n), d) for n, d in nodes.values() if n is not None]
    keep = {n["id"] for n in out_nodes}
    out_edges = [
        {"id": e.id, "source": e.source_id, "target": e.target_id, "kind": e.kind, "detail": e.detail}
        for e in edges.values()
        if e.source_id in keep and e.target_id in keep
    ]
    record(
        db,
        actor=actor,
        action=f"{KIND}.read",
        target_kind="catalog.resource",
        target_id=resource_id,
        detail={"direction": direction, "depth": depth, "nodes": len(out_nodes)},
    )
    db.commit()
    return {
        "resource_id": resource_id,
        "root": root.id if root else None,
        "direction": direction,
        "depth": depth,
        "nodes": sorted(out_nodes, key=lambda n: (n["depth"], n["kind"], n["label"])),
        "edges": out_edges,
    }


def list_resources(db: Session, *, actor: Actor, limit: int = 200) -> list[dict[str, Any]]:
    """Resources that appear in the lineage graph (those the actor may see), with their edge counts."""
    authorize(actor, "read", Target(KIND))
    out = []
    for node in db.scalars(
        select(LineageNode).where(LineageNode.kind == "resource").order_by(LineageNode.id).limit(limit)
    ):
        if not _visible(actor, db, node):
            continue
        count = len(
            db.scalars(
                select(LineageEdge.id).where(
                    or_(LineageEdge.source_id == node.id, LineageEdge.target_id == node.id)
                )
            ).all()
        )
        out.append({"resource_id": node.resource_id, "label": node.label, "edges": count})
    record(db, actor=actor, action=f"{KIND}.list", target_kind=KIND, detail={"count": len(out)})
    db.commit()
    return out


def layers(view: dict[str, Any]) -> list[tuple[int, list[dict[str, Any]]]]:
    """The graph's nodes by depth, upstream first: what the page draws as columns."""
    by: dict[int, list[dict[str, Any]]] = {}
    for n in view["nodes"]:
        by.setdefault(n["depth"], []).append(n)
    return sorted(by.items())
