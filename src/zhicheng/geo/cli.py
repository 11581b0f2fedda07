"""`zhicheng geo …`: one command group; each geo sub-domain adds its commands through its own `register(geo)`."""

from __future__ import annotations

import importlib

import typer

# each sub-domain's cli module exposes register(geo_app); a sub-domain still being written is left out
SUBDOMAIN_CLIS = ["zhicheng.geo.crs.cli", "zhicheng.geo.layers.cli", "zhicheng.geo.tiles.cli",
                  "zhicheng.geo.addresses.cli", "zhicheng.geo.grids.cli", "zhicheng.geo.components.cli",
                  "zhicheng.geo.changes.cli", "zhicheng.geo.stats.cli"]


def register(app: typer.Typer) -> None:
    geo = typer.Typer(help="一张图：坐标、图层、地址、网格 / the map: coordinates, layers, addresses, grids",
                      no_args_is_help=True)
    for name in SUBDOMAIN_CLIS:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if not (exc.name and name.startswith(exc.name)):
                raise
            continue
        mod.register(geo)
    app.add_typer(geo, name="geo")
