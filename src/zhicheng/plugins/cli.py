"""`zhicheng plugins [--json]`: the installed plugins and what each contributes per hook."""

from __future__ import annotations

import json

import typer
from rich.console import Console


def plugins(as_json: bool = typer.Option(False, "--json", help="以 JSON 输出 / print JSON")) -> None:
    """列出已安装的插件及其在各扩展点的贡献 / list installed plugins and what each contributes per hook."""
    from zhicheng.plugins import service

    found = service.describe()
    if as_json:
        typer.echo(json.dumps({"plugins": found, "hooks": service.CONSUMERS}, ensure_ascii=False, indent=2))
        return
    console = Console(soft_wrap=True)
    for p in found:
        origin = "内置 built-in" if p["builtin"] else f"{p['distribution']} {p['version']}"
        console.print(f"[bold]{p['name']}[/]  ({origin})", highlight=False)
        for hook, given in p["hooks"].items():
            shown = "、".join(given[:5]) + (f" … (+{len(given) - 5})" if len(given) > 5 else "")
            console.print(f"  {hook}: {len(given)}  {shown}", markup=False, highlight=False)
    console.print("[bold]扩展点 hooks[/]", highlight=False)
    for hook, consumer in service.CONSUMERS.items():
        console.print(f"  {hook} → {consumer}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("plugins")(plugins)
