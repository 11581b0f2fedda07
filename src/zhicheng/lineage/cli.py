"""`zhicheng lineage show RESOURCE`: a resource's upstream and downstream on the command line."""

from __future__ import annotations

from dataclasses import replace

import typer
from rich.console import Console


def show(
    resource: str = typer.Argument(..., help="资源编号或资源代码 / resource id or code"),
    direction: str = typer.Option("both", help="up | down | both"),
    depth: int = typer.Option(3, help="层数 / depth"),
) -> None:
    """显示资源的数据血缘 / show a resource's lineage."""
    from zhicheng.catalog import service as catalog
    from zhicheng.cli import open_instance
    from zhicheng.core.actor import SYSTEM
    from zhicheng.lineage import service

    _settings, engine, factory = open_instance()
    try:
        with factory() as db:
            rid = int(resource) if resource.isdigit() else catalog.get_by_code(db, resource).id
            view = service.graph(
                db, actor=replace(SYSTEM, via="cli"), resource_id=rid, direction=direction, depth=depth
            )
    finally:
        engine.dispose()
    console = Console()
    labels = {n["id"]: n["label"] for n in view["nodes"]}
    for layer, nodes in service.layers(view):
        where = "上游 up" if layer < 0 else ("下游 down" if layer > 0 else "本资源 this")
        console.print(f"[bold]{where} {abs(layer) or ''}[/]")
        for n in nodes:
            console.print(f"  [{n['kind']}] {n['label']}", markup=False)
    for e in view["edges"]:
        console.print(f"{labels.get(e['source'])} → {labels.get(e['target'])} ({e['kind']})", markup=False)
    if not view["nodes"]:
        console.print("没有血缘记录 / no lineage recorded")


def register(app: typer.Typer) -> None:
    """Add `zhicheng lineage show` to the command line."""
    group = typer.Typer(help="数据血缘 / lineage", no_args_is_help=True)
    group.command("show")(show)
    app.add_typer(group, name="lineage")
