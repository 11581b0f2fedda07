"""`zhicheng flood rain / levels / rain-class`: rain at the gauges, river and lake levels, and the rain-class
calculator at the command line (a Rich table, or --json).

A bad value raises Invalid: zhicheng.cli.main prints it as one line and exits with code 1."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from zhicheng.core.actor import cli_operator

flood_app = typer.Typer(help="防汛监测：雨量、水位、降雨等级（GB/T 28592）/ flood monitoring", no_args_is_help=True)


def console() -> Console:
    """A console sized to the terminal now (one made at import keeps the width of whatever imported it)."""
    return Console(soft_wrap=True, highlight=False)

JSON_OPT = typer.Option(False, "--json", help="以 JSON 输出 / print JSON")
AT_OPT = typer.Option(None, "--at", help="时刻（ISO 8601，无时区为北京时间；默认现在）/ instant", show_default=False)


def _print_json(data: dict) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _read(report):
    """Run `report(db, actor=…)` on the configured instance as the CLI operator."""
    from zhicheng.cli import open_instance

    _settings, engine, factory = open_instance()
    try:
        with factory() as db:
            return report(db, actor=cli_operator())
    finally:
        engine.dispose()


def _mm(value: Any, fmt: str = "{:.1f}") -> str:
    return "—" if value is None else fmt.format(value)


@flood_app.command("rain")
def rain_command(at: str = AT_OPT, as_json: bool = JSON_OPT) -> None:
    """雨量站近 1、3、6、12、24 小时累计雨量与降雨等级 / each gauge's accumulations and class."""
    from zhicheng.scenarios.flood import rain

    data = _read(lambda db, actor: rain.gauge_rain(db, actor=actor, at=at))
    if as_json:
        _print_json(data)
        return
    table = Table(title=f"雨量站 / rain gauges（{data['at']:%Y-%m-%d %H:%M} 北京时间，{rain.STANDARD}）",
                  title_justify="left")
    table.add_column("站点 / gauge")
    for w in data["windows"]:
        table.add_column(f"{w} mm", justify="right")
    table.add_column("等级 / class")
    table.add_column("1h")
    for g in data["gauges"]:
        one = g["classes"]["1h"]
        table.add_row(f"{g['name']} {g['code']}", *(_mm(g["accumulations"].get(w, {}).get("mm")) for w in data["windows"]),
                      g["class"]["name"] if g["class"] else "—",
                      (one["class"]["name"] + (" 短时强降水" if one["short_duration_heavy"] else "")) if one else "—")
    console().print(table, markup=False)
    if not data["gauges"]:
        console().print("没有雨量站 / no rain gauges")


@flood_app.command("levels")
def levels_command(at: str = AT_OPT, as_json: bool = JSON_OPT) -> None:
    """水位站最新水位、距警戒/保证水位、趋势与状态 / each level station's level, margins, trend and state."""
    from zhicheng.scenarios.flood import levels

    data = _read(lambda db, actor: levels.station_levels(db, actor=actor, at=at))
    if as_json:
        _print_json(data)
        return
    table = Table(title=f"江河湖库水位 / water levels（{data['at']:%Y-%m-%d %H:%M} 北京时间，米 m）",
                  title_justify="left")
    for heading in ("站点 / station", "水位 level", "警戒 warning", "保证 guarantee", "超警戒 over warning",
                    "趋势 trend", "状态 state"):
        table.add_column(heading, justify="left" if heading.startswith(("站点", "趋势", "状态")) else "right")
    for s in data["stations"]:
        t = s["trend"]
        table.add_row(f"{s['name']} {s['code']}", _mm(s["level_m"], "{:.2f}"), _mm(s["warning_level_m"], "{:.2f}"),
                      _mm(s["guarantee_level_m"], "{:.2f}"), _mm(s["over_warning_m"], "{:+.2f}"),
                      f"{t['name']} {t['rate_cm_per_h']:+.1f} cm/h" if t else "—", s["state_name"])
    console().print(table, markup=False)
    if not data["stations"]:
        console().print("没有水位站 / no level stations")


@flood_app.command("rain-class")
def rain_class_command(
    amount: float = typer.Argument(..., help="时段降雨量（毫米）/ rainfall (mm)"),
    period: str = typer.Option("24h", "--period", help="时段 1h | 12h | 24h / period"),
    as_json: bool = JSON_OPT,
) -> None:
    """降雨量等级（GB/T 28592-2012；1 小时另判短时强降水）/ the rain class of a total."""
    from zhicheng.scenarios.flood import rain

    graded = rain.grade(amount, period)
    if as_json:
        _print_json(graded.as_dict())
        return
    cls = graded.rain_class
    amount = "不足 0.1" if cls.key == "trace" else graded.amount
    console().print(f"{rain.PERIOD_NAMES[graded.period][0]}降雨量 {amount} 毫米：{cls.name} / {cls.name_en}"
                  f"（{graded.standard}）", markup=False)
    if graded.short_duration_heavy:
        console().print("短时强降水（1 小时 ≥ 20 毫米）/ short-duration heavy rain", markup=False)
