"""`zhicheng geo changes LAYER --from 1 --to 2`: the changes between two layer versions, with a progress bar."""

from __future__ import annotations

from pathlib import Path

import typer


def changes_command(
    layer: str = typer.Argument(..., help="图层（资源代码）/ the layer's resource code"),
    from_: int = typer.Option(..., "--from", min=1, help="旧版本 / the old version"),
    to: int = typer.Option(..., "--to", min=1, help="新版本 / the new version"),
    threshold: float = typer.Option(1.0, min=0, help="位移阈值（米）/ distance threshold in metres"),
    id_item: str | None = typer.Option(None, "--id-item", help="要素标识数据项 / the feature id item"),
    out: Path | None = typer.Option(None, "--out", help="写出变化图层 GeoJSON / write the changes as GeoJSON"),
) -> None:
    """两版之间的变化提取 / extract the changes between two versions of a layer."""
    import orjson
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from zhicheng.cli import open_instance
    from zhicheng.core.actor import cli_operator
    from zhicheng.geo.changes import service
    from zhicheng.geo.layers.service import code_of

    settings, engine, factory = open_instance()
    try:
        with factory() as db, Progress(TextColumn("[bold]要素 / features"), BarColumn(), MofNCompleteColumn(),
                                       TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("features", total=None)
            report = service.extract(db, actor=cli_operator(), request=None, code=code_of(layer), from_version=from_,
                                     to_version=to, threshold=threshold, id_item=id_item,
                                     progress=lambda n, total: bar.update(task, completed=n, total=total))
    finally:
        engine.dispose()
    if out is not None:
        out.write_bytes(orjson.dumps(service.as_geojson(report)))
    c = report["counts"]
    typer.echo(f"v{report['from']}→v{report['to']}（{report['matched_by']}）：新增 {c['added']}，删除 {c['removed']}，"
               f"属性变化 {c['changed']}，位移 {c['moved']}，未变 {c['unchanged']} / added, removed, changed, moved, "
               f"unchanged")
    for e in report["changes"][:50]:
        attrs = ", ".join(f"{k}: {v[0]!r}→{v[1]!r}" for k, v in e["attributes"].items())
        dist = f" {e['distance_m']} m" if e["change"] == "moved" else ""
        typer.echo(f"  {e['change']:8} {e['from_id'] or '-'}→{e['to_id'] or '-'}{dist} {attrs}".rstrip())
    if len(report["changes"]) > 50:
        typer.echo(f"  … {len(report['changes']) - 50} more (--out for all)")


def register(geo: typer.Typer) -> None:
    """Add `zhicheng geo changes`."""
    geo.command("changes")(changes_command)
