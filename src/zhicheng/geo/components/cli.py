"""`zhicheng geo components classes|import|assign`: the class table, inventory import and bulk grid assignment."""

from __future__ import annotations

from pathlib import Path

import typer

from zhicheng.core.errors import Invalid

components = typer.Typer(help="城市部件 / city components (GB/T 30428.2)", no_args_is_help=True)


@components.command("classes")
def classes_command() -> None:
    """列出部件分类表 / list the class table."""
    from zhicheng.geo.components.classes import default_table

    for c in default_table():
        typer.echo(f"{c.code}  {c.class_name}  {c.subclass_name}  ({c.source})")


def _bar(label: str):
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    return Progress(TextColumn(f"[bold]{label}"), BarColumn(pulse_style="cyan"), TextColumn("{task.completed} 个"),
                    console=Console(stderr=True), transient=True)


@components.command("import")
def import_command(
    layer: str = typer.Argument(..., help="部件图层（资源代码）/ the component layer's resource code"),
    file: Path = typer.Argument(..., help="CSV / GeoJSON / GeoPackage"),
    grids: str | None = typer.Option(None, help="网格图层：导入时落格 / grid layer to assign on import"),
) -> None:
    """导入部件普查清单（新版本）/ import an inventory as the layer's next version."""
    from zhicheng.cli import open_instance
    from zhicheng.core.actor import cli_operator
    from zhicheng.geo.components import service
    from zhicheng.geo.grids import service as grid_service

    if not file.is_file():
        raise Invalid(f"文件不存在：{file}", f"no such file: {file}", field="file")
    settings, engine, factory = open_instance()
    try:
        with factory() as db, _bar("部件 / components") as bar:
            actor = cli_operator()
            res = grid_service.any_layer(db, layer)
            index = None
            if grids:
                index = grid_service.grid_index(db, actor=actor, resource_id=grid_service.layer_resource(db, grids).id)
            task = bar.add_task("import", total=None)
            done = service.import_inventory(db, actor=actor, resource_id=res.id, path=file, grids=index,
                                            progress=lambda n: bar.update(task, completed=n))
    finally:
        engine.dispose()
    typer.echo(f"{done['components']} 个部件，第 {done['version']} 版 / components, version")


@components.command("assign")
def assign_command(
    layer: str = typer.Argument(..., help="部件图层 / the component layer"),
    grids: str = typer.Option(..., help="网格图层 / the grid layer"),
) -> None:
    """部件批量落格（新版本）/ assign every component its grid (a new version)."""
    from zhicheng.cli import open_instance
    from zhicheng.core.actor import cli_operator
    from zhicheng.geo.components import service
    from zhicheng.geo.grids import service as grid_service

    settings, engine, factory = open_instance()
    try:
        with factory() as db, _bar("落格 / assigning") as bar:
            actor = cli_operator()
            res = grid_service.any_layer(db, layer)
            index = grid_service.grid_index(db, actor=actor, resource_id=grid_service.layer_resource(db, grids).id)
            task = bar.add_task("assign", total=None)
            done = service.assign_layer(db, actor=actor, resource_id=res.id, grids=index,
                                        progress=lambda n: bar.update(task, completed=n))
    finally:
        engine.dispose()
    typer.echo(f"{done['components']} 个部件，{done['outside_grids']} 个不在网格内，第 {done['version']} 版 / "
               "components, outside any grid, version")


def register(geo: typer.Typer) -> None:
    """Add `zhicheng geo components …`."""
    geo.add_typer(components, name="components")
