"""`zhicheng geo layers` (the layers and their spatial indexes) and `zhicheng geo index rebuild` (with a progress bar)."""

from __future__ import annotations

import typer

from zhicheng.core.errors import NotFound


def layers_command() -> None:
    """图层及其空间索引 / the layers and their spatial indexes."""
    from zhicheng.cli import open_instance
    from zhicheng.core.actor import SYSTEM
    from zhicheng.geo.layers import service

    _settings, engine, factory = open_instance()
    with factory() as db:
        entries = service.list_layers(db, actor=SYSTEM)
    if not entries:
        typer.echo("没有图层 / no layers")
    for e in entries:
        ix = e["index"]
        state = (f"{ix.backend} {ix.feature_count} 个要素 / features {','.join(ix.geometry_types)}" if ix
                 else "未建索引 / not indexed")
        typer.echo(f"{service.collection_id(e['code'])}  {e['name']}  v{e['version']}  {state}")
    engine.dispose()


def rebuild_command(code: str = typer.Argument(None, help="图层（资源代码）；省略则全部 / a layer's code; all when left out"),
                    ) -> None:
    """重建空间索引 / rebuild the spatial index of a layer's newest version (or of every layer)."""
    from rich.progress import Progress

    from zhicheng.cli import open_instance
    from zhicheng.core.actor import SYSTEM
    from zhicheng.geo.layers import index, service

    _settings, engine, factory = open_instance()
    with factory() as db:
        entries = service.list_layers(db, actor=SYSTEM)
    if code:
        wanted = service.code_of(code) if "/" not in code else code
        entries = [e for e in entries if e["code"] == wanted]
        if not entries:
            raise NotFound(f"图层 {code} 不存在", f"no layer {code}", field="code")
    with Progress() as progress, factory() as db:
        task = progress.add_task("重建空间索引 / rebuilding", total=len(entries))
        for e in entries:
            from zhicheng.catalog.datasets import fastread

            dv = fastread.version_info(db.connection(), e["resource_id"], e["version"])
            db.commit()
            index.drop(engine, e["resource_id"], e["version"])
            ix = index.ensure(db, resource_id=e["resource_id"], version=e["version"], ds_table=dv.table,
                              specs=dv.specs)
            progress.console.print(f"{service.collection_id(e['code'])} v{e['version']}: "
                                   f"{ix.feature_count if ix else 0} 个要素 / features")
            progress.advance(task)
    engine.dispose()


def register(geo: typer.Typer) -> None:
    """Add `zhicheng geo layers` and `zhicheng geo index rebuild`."""
    geo.command("layers")(layers_command)
    index_app = typer.Typer(help="空间索引 / spatial indexes", no_args_is_help=True)
    index_app.command("rebuild")(rebuild_command)
    geo.add_typer(index_app, name="index")
