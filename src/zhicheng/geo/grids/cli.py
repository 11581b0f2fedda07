"""`zhicheng geo grids generate|import|export`: unit grids on the command line, with progress bars."""

from __future__ import annotations

from pathlib import Path

import typer

from zhicheng.core.errors import AppError, Invalid

grids = typer.Typer(help="万米单元网格 / unit grids (GB/T 30428.1)", no_args_is_help=True)


def _open():
    from zhicheng.cli import open_instance

    return open_instance()


def _resource_id(db, code: str | None, field: str) -> int | None:
    from zhicheng.geo.grids import service

    if not code:
        return None
    try:
        return service.any_layer(db, code, field=field).id
    except AppError:
        raise Invalid(f"图层 {code} 不存在", f"no layer {code}", field=field) from None


@grids.command("generate")
def generate_command(
    layer: str = typer.Argument(..., help="网格图层（资源代码）/ the grid layer's resource code"),
    communities: str | None = typer.Option(None, help="社区（村）边界图层 / community boundary layer"),
    streets: str | None = typer.Option(None, help="街道（乡镇）边界图层（无社区处）/ street layer, where no community"),
    roads: str | None = typer.Option(None, help="道路图层（沿路划分）/ road layer to cut along"),
    target_area: float = typer.Option(10_000, "--target-area", help="目标面积 m² / target cell area"),
    urban_core_only: bool = typer.Option(False, "--urban-core-only", help="只划主城区（111）/ urban core only"),
) -> None:
    """生成单元网格（新版本）/ generate the grid as the layer's next version."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from zhicheng.core.actor import cli_operator
    from zhicheng.geo.grids import service

    if not communities and not streets:
        raise Invalid("请给出 --communities 或 --streets", "give --communities or --streets", field="--communities")
    settings, engine, factory = _open()
    try:
        with factory() as db:
            actor = cli_operator()
            res = service.layer_resource(db, layer)
            parents = service.parents_from_layers(db, actor=actor, communities=_resource_id(db, communities,
                                                  "--communities"), streets=_resource_id(db, streets, "--streets"),
                                                  urban_core_only=urban_core_only)
            road = service.road_lines(db, actor=actor, resource_id=_resource_id(db, roads, "--roads")) \
                if roads else None
            with Progress(TextColumn("[bold]网格 / grids"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                          console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("grids", total=len(parents))
                done = service.generate(db, actor=actor, resource_id=res.id, parents=parents,
                                        target_m2=target_area, roads=road,
                                        progress=lambda n, total: bar.update(task, completed=n, total=total))
    finally:
        engine.dispose()
    typer.echo(f"{done['cells']} 个网格，{done['communities']} 个社区/街道，第 {done['version']} 版 / cells, units, "
               f"version ({done['roads']})")


@grids.command("import")
def import_command(
    layer: str = typer.Argument(..., help="网格图层（资源代码）/ the grid layer's resource code"),
    file: Path = typer.Argument(..., help="GeoJSON / GeoPackage / Shapefile zip / CSV"),
) -> None:
    """导入已有网格（新版本）/ import a city's existing grid as the layer's next version."""
    from zhicheng.core.actor import cli_operator
    from zhicheng.geo.grids import service

    if not file.is_file():
        raise Invalid(f"文件不存在：{file}", f"no such file: {file}", field="file")
    settings, engine, factory = _open()
    try:
        with factory() as db:
            res = service.layer_resource(db, layer)
            done = service.import_grids(db, actor=cli_operator(), resource_id=res.id, path=file)
    finally:
        engine.dispose()
    typer.echo(f"{done['cells']} 个网格，第 {done['version']} 版 / cells, version")


@grids.command("export")
def export_command(
    layer: str = typer.Argument(..., help="网格图层（资源代码）/ the grid layer's resource code"),
    out: Path = typer.Argument(..., help="输出文件 / output file (.geojson, .csv, .xlsx)"),
    version: int | None = typer.Option(None, min=1, help="版本（默认最新）/ version (default: newest)"),
) -> None:
    """导出网格 / export the grid (GeoJSON, CSV, XLSX by the file's suffix)."""
    from zhicheng.core.actor import cli_operator
    from zhicheng.geo.grids import service

    fmt = out.suffix.lower().lstrip(".")
    settings, engine, factory = _open()
    try:
        with factory() as db:
            res = service.layer_resource(db, layer)
            content, _ = service.export(db, actor=cli_operator(), resource_id=res.id, fmt=fmt, version=version)
    finally:
        engine.dispose()
    out.write_bytes(content)
    typer.echo(f"{len(content)} 字节 / bytes → {out}")


def register(geo: typer.Typer) -> None:
    """Add `zhicheng geo grids …`."""
    geo.add_typer(grids, name="grids")
