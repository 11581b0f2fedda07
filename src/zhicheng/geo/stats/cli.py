"""`zhicheng geo stats LAYER --zones ZONES --measure count|sum:<item>|area|length`: thematic statistics per zone,
printed or written as CSV, XLSX or GeoJSON."""

from __future__ import annotations

from pathlib import Path

import typer

from zhicheng.core.errors import Invalid


def stats_command(
    layer: str = typer.Argument(..., help="图层（资源代码）/ the layer's resource code"),
    zones: str = typer.Option(..., "--zones", help="分区图层（区、街道、社区、网格）/ the zone layer"),
    measure: str = typer.Option("count", "--measure", help="count | sum:<数据项> | area | length"),
    out: Path | None = typer.Option(None, "--out", help="输出文件 / output (.csv, .xlsx, .geojson, .json)"),
) -> None:
    """专题统计 / a layer's count, sum, area or length per zone."""
    import orjson
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from zhicheng.cli import open_instance
    from zhicheng.core.actor import cli_operator
    from zhicheng.geo.layers.service import code_of
    from zhicheng.geo.stats import service

    fmt = out.suffix.lower().lstrip(".") if out is not None else None
    if fmt not in (None, "csv", "xlsx", "geojson", "json"):
        raise Invalid(f"不支持的输出格式：{fmt}", f"unsupported output format: {fmt}", field="--out")
    settings, engine, factory = open_instance()
    try:
        with factory() as db, Progress(TextColumn("[bold]要素 / features"), BarColumn(), MofNCompleteColumn(),
                                       console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("features", total=None)
            result = service.compute(db, actor=cli_operator(), request=None, layer=code_of(layer), zones=code_of(zones),
                                     measure=measure, progress=lambda n, t: bar.update(task, completed=n, total=t))
    finally:
        engine.dispose()
    if out is not None:
        content = {"csv": service.as_csv, "xlsx": service.as_xlsx}.get(fmt)
        if content is not None:
            out.write_bytes(content(result))
        elif fmt == "geojson":
            out.write_bytes(orjson.dumps(service.as_geojson(result)))
        else:
            out.write_bytes(orjson.dumps(service.as_json(result)))
        typer.echo(f"{len(result['rows'])} 个分区 / zones → {out}")
        return
    for r in result["rows"]:
        label = " ".join(v for k, v in r.items() if k != "zone_id" and isinstance(v, str))
        typer.echo(f"{r['zone_id']}\t{label}\t{r['value']}")
    typer.echo(f"合计 / total\t{result['total']} {result['unit']}")


def register(geo: typer.Typer) -> None:
    """Add `zhicheng geo stats`."""
    geo.command("stats")(stats_command)
