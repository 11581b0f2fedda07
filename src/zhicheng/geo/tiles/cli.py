"""`zhicheng geo tiles seed LAYER --zooms 10-14` (fill the tile cache, with a progress bar) and
`zhicheng geo tiles export LAYER out.pmtiles` (a PMTiles archive for offline use, by the `pmtiles` writer). Both
read the layer as a reader sees it: the public view (what a visitor may see of an open layer, masked) unless
`--as USER` names whose view, after their password; never the system's unmasked one."""

from __future__ import annotations

from pathlib import Path

import typer

from zhicheng.core.errors import Invalid

MAX_TILES = 200_000


def parse_zooms(text: str) -> list[int]:
    """`10-14` or `12` as a list of zooms within the matrix set's range."""
    from zhicheng.geo.tiles.matrix import MAX_ZOOM

    parts = (text or "").split("-")
    try:
        lo, hi = (int(parts[0]), int(parts[-1])) if len(parts) <= 2 else (None, None)
    except ValueError:
        lo = hi = None
    if lo is None or hi is None or not 0 <= lo <= hi <= MAX_ZOOM:
        raise Invalid(f"--zooms 须形如 10-14（0–{MAX_ZOOM}）", f"--zooms must look like 10-14 (0–{MAX_ZOOM})",
                      field="zooms")
    return list(range(lo, hi + 1))


AS_HELP = "以此用户的视图生成（需其密码；默认为公众视图）/ whose view: this user's (with their password); default: the public view"
AS_PASSWORD_HELP = "--as 用户的密码（不填则提示）/ its password (prompted when omitted)"


def reader(db, username: str | None, password: str | None):
    """Whose view the tiles show: the named user's, else a visitor's (open layers only, masked)."""
    from zhicheng.cli import acting_user
    from zhicheng.core.actor import ANONYMOUS

    return acting_user(db, username, password) if username else ANONYMOUS


def _plan(db, actor, code: str, zooms: list[int], tms_id: str):
    """The layer (as `actor` may read it) and the (z, y, x) of every tile over its extent."""
    from zhicheng.geo.layers import service as layers
    from zhicheng.geo.tiles.matrix import matrix_set

    tms = matrix_set(tms_id)
    layer = layers.open_layer(db, actor=actor, request=None, code=layers.code_of(code))
    extent = layers.extent_of(layer.index)
    db.commit()
    if not extent:
        return layer, []
    tiles = [(z, y, x) for z in zooms for y, x in tms.tiles_over(extent, z)]
    if len(tiles) > MAX_TILES:
        raise Invalid(f"瓦片过多（{len(tiles)} 个，上限 {MAX_TILES}），请缩小缩放级别范围",
                      f"too many tiles ({len(tiles)}, at most {MAX_TILES}): narrow --zooms", field="zooms")
    return layer, tiles


def seed_command(layer: str = typer.Argument(..., help="图层（集合标识或资源代码）/ the layer (collection id or code)"),
                 zooms: str = typer.Option("10-14", "--zooms", help="缩放级别范围 / zoom range, e.g. 10-14"),
                 tms: str = typer.Option("WebMercatorQuad", "--tms", help="瓦片矩阵集 / tile matrix set"),
                 as_: str | None = typer.Option(None, "--as", help=AS_HELP),
                 as_password: str | None = typer.Option(None, "--as-password", envvar="ZHICHENG_AS_PASSWORD",
                                                        help=AS_PASSWORD_HELP)) -> None:
    """预生成瓦片缓存（默认公众视图）/ fill the tile cache of a layer over its extent (the public view by default)."""
    from rich.progress import Progress

    from zhicheng.cli import open_instance
    from zhicheng.geo.tiles import service

    levels = parse_zooms(zooms)
    settings, engine, factory = open_instance()
    try:
        with factory() as db:
            actor = reader(db, as_, as_password)
            found, tiles = _plan(db, actor, layer, levels, tms)
            made = hits = 0
            with Progress() as progress:
                task = progress.add_task(f"生成瓦片 / seeding {layer}", total=len(tiles))
                for z, y, x in tiles:
                    tile = service.layer_tile(db, settings, actor=actor, request=None, code=found.code, tms_id=tms,
                                              z=z, y=y, x=x)
                    hits += tile.cached
                    made += not tile.cached
                    progress.advance(task)
        typer.echo(f"{layer} v{found.version.version}: {made} 个新瓦片 / new tiles, {hits} 个已缓存 / cached")
    finally:
        engine.dispose()


def export_command(layer: str = typer.Argument(..., help="图层（集合标识或资源代码）/ the layer"),
                   out: Path = typer.Argument(..., help="输出的 .pmtiles 文件 / the .pmtiles file to write"),
                   zooms: str = typer.Option("10-14", "--zooms", help="缩放级别范围 / zoom range"),
                   as_: str | None = typer.Option(None, "--as", help=AS_HELP),
                   as_password: str | None = typer.Option(None, "--as-password", envvar="ZHICHENG_AS_PASSWORD",
                                                          help=AS_PASSWORD_HELP)) -> None:
    """导出 PMTiles 离线瓦片包（WebMercatorQuad，默认公众视图）/ export a layer's tiles as a PMTiles archive for
    offline use (the public view by default)."""
    import json

    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer
    from rich.progress import Progress

    from zhicheng.cli import open_instance
    from zhicheng.geo.layers import service as layers
    from zhicheng.geo.tiles import service

    levels = parse_zooms(zooms)
    settings, engine, factory = open_instance()
    tmp = out.with_name(out.name + ".part")
    try:
        with factory() as db:
            actor = reader(db, as_, as_password)
            found, tiles = _plan(db, actor, layer, levels, "WebMercatorQuad")
            if not tiles:
                raise Invalid(f"图层 {layer} 没有要素", f"the layer {layer} holds no features", field="layer")
            ordered = sorted(tiles, key=lambda t: zxy_to_tileid(t[0], t[2], t[1]))  # tile ids ascending: clustered
            extent = layers.extent_of(found.index)
            cid = layers.collection_id(found.code)
            with open(tmp, "wb") as f, Progress() as progress:
                writer = Writer(f)
                task = progress.add_task(f"导出 / exporting {layer}", total=len(ordered))
                for z, y, x in ordered:
                    tile = service.layer_tile(db, settings, actor=actor, request=None, code=found.code,
                                              tms_id="WebMercatorQuad", z=z, y=y, x=x)
                    writer.write_tile(zxy_to_tileid(z, x, y), tile.data)
                    progress.advance(task)
                header = {"tile_type": TileType.MVT, "tile_compression": Compression.NONE,
                          "min_lon_e7": int(extent[0] * 1e7), "min_lat_e7": int(extent[1] * 1e7),
                          "max_lon_e7": int(extent[2] * 1e7), "max_lat_e7": int(extent[3] * 1e7),
                          "center_zoom": levels[0], "center_lon_e7": int((extent[0] + extent[2]) / 2 * 1e7),
                          "center_lat_e7": int((extent[1] + extent[3]) / 2 * 1e7)}
                metadata = {"name": found.resource.name, "attribution": "智城 / zhicheng",
                            "vector_layers": [{"id": cid, "fields": {}, "minzoom": levels[0],
                                               "maxzoom": levels[-1]}],
                            "version": str(found.version.version),
                            "view": "public" if actor.kind == "anonymous" else f"user:{actor.username}"}
                writer.finalize(header, json.loads(json.dumps(metadata)))
        tmp.replace(out)
        typer.echo(f"{out}: {len(ordered)} 个瓦片 / tiles, {out.stat().st_size} 字节 / bytes")
    finally:
        tmp.unlink(missing_ok=True)
        engine.dispose()


def register(geo: typer.Typer) -> None:
    """Add `zhicheng geo tiles seed|export`."""
    tiles = typer.Typer(help="矢量瓦片 / vector tiles", no_args_is_help=True)
    tiles.command("seed")(seed_command)
    tiles.command("export")(export_command)
    geo.add_typer(tiles, name="tiles")
