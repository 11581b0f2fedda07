"""`zhicheng env aqi / water / noise`: the environment calculators at the command line (a Rich table, or --json).

A bad value raises the calculator's Invalid: zhicheng.cli.main prints it as one line and exits with code 1."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

env_app = typer.Typer(help="智慧环保计算器：AQI（HJ 633）、地表水类别（GB 3838）、噪声达标（GB 3096）/ environment "
                           "calculators", no_args_is_help=True)
console = Console(soft_wrap=True)

JSON_OPT = typer.Option(False, "--json", help="以 JSON 输出 / print JSON")


def _opt(help_text: str) -> Any:
    return typer.Option(None, help=help_text, show_default=False)


def _print_json(data: dict) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _notes(notes: list[dict[str, str]]) -> None:
    for note in notes:
        console.print(f"  · {note['zh']} / {note['en']}", markup=False, highlight=False)


@env_app.command("aqi")
def aqi_command(
    so2: float = _opt("SO2 µg/m³（实时报 1小时；--day 为 24小时平均）"),
    no2: float = _opt("NO2 µg/m³"),
    co: float = _opt("CO mg/m³"),
    o3: float = _opt("O3 1小时平均 µg/m³（实时报）"),
    pm10: float = _opt("PM10 µg/m³"),
    pm25: float = _opt("PM2.5 µg/m³"),
    so2_24h: float = _opt("SO2 24小时平均 µg/m³（实时报：SO2 1小时高于 800 时使用）"),
    o3_1h: float = _opt("O3 日最大1小时平均 µg/m³（--day）"),
    o3_8h: float = _opt("O3 日最大8小时滑动平均 µg/m³（--day）"),
    day: bool = typer.Option(False, "--day", help="日报（24小时值）；默认实时报（1小时值）/ daily report"),
    as_json: bool = JSON_OPT,
) -> None:
    """空气质量指数（HJ 633-2012）/ air quality index of an hour or (--day) a day."""
    from zhicheng.scenarios.environment import aqi

    given = {"so2": so2, "no2": no2, "co": co, "o3": o3, "pm10": pm10, "pm25": pm25, "so2_24h": so2_24h,
             "o3_1h": o3_1h, "o3_8h": o3_8h}
    result = aqi.calculate("day" if day else "hour", {k: v for k, v in given.items() if v is not None})
    data = result.as_dict()
    if as_json:
        _print_json(data)
        return
    table = Table(title=f"{'日报' if day else '实时报'} AQI（{result.standard}）", title_justify="left")
    for heading in ("污染物 / pollutant", "浓度 / concentration", "单位 / unit", "平均时间 / averaging", "IAQI"):
        table.add_column(heading, justify="right" if heading in ("IAQI",) else "left")
    for sub in result.pollutants.values():
        index = "—" if sub.iaqi is None else str(sub.iaqi) + (" ↑" if sub.above_table else "")
        table.add_row(sub.name, str(sub.concentration), sub.unit, sub.averaging or "—", index)
    console.print(table)
    swatch = f"[black on {result.hex}]  {result.category}  [/]" if result.level <= 3 else \
        f"[white on {result.hex}]  {result.category}  [/]"
    console.print(f"[bold]AQI {result.aqi}[/]  {result.level_name} {swatch} {result.category_en}"
                  f"  （{result.colour} {result.hex}）", highlight=False)
    primary = "、".join(result.primary_names) or "—"
    console.print(f"首要污染物 / primary: {primary}", highlight=False)
    exceeding = "、".join(result.pollutants[k].name for k in result.exceedances) or "—"
    console.print(f"超标污染物 / above IAQI 100: {exceeding}", highlight=False)
    console.print(f"健康影响 / health effect: {result.health_effect}", markup=False, highlight=False)
    console.print(f"建议措施 / advice: {result.advice}", markup=False, highlight=False)
    _notes(result.notes)


@env_app.command("water")
def water_command(
    ph: float = _opt("pH"), do: float = _opt("溶解氧 mg/L"), codmn: float = _opt("高锰酸盐指数 mg/L"),
    cod: float = _opt("化学需氧量 mg/L"), bod5: float = _opt("五日生化需氧量 mg/L"), nh3n: float = _opt("氨氮 mg/L"),
    tp: float = _opt("总磷 mg/L"), tn: float = _opt("总氮 mg/L（湖泊、水库）"), cu: float = _opt("铜 mg/L"),
    zn: float = _opt("锌 mg/L"), fluoride: float = _opt("氟化物 mg/L"), se: float = _opt("硒 mg/L"),
    arsenic: float = _opt("砷 mg/L"), hg: float = _opt("汞 mg/L"), cd: float = _opt("镉 mg/L"),
    cr6: float = _opt("六价铬 mg/L"), pb: float = _opt("铅 mg/L"), cyanide: float = _opt("氰化物 mg/L"),
    volatile_phenol: float = _opt("挥发酚 mg/L"), petroleum: float = _opt("石油类 mg/L"),
    las: float = _opt("阴离子表面活性剂 mg/L"), sulfide: float = _opt("硫化物 mg/L"),
    fecal_coliform: float = _opt("粪大肠菌群 个/L"),
    body: str = typer.Option("river", "--body", help="river 河流 / lake 湖泊、水库"),
    target: str = typer.Option("III", "--target", help="目标类别 I–V，none 不比较 / target class"),
    as_json: bool = JSON_OPT,
) -> None:
    """地表水水质类别（GB 3838-2002）/ surface water class by the worst parameter."""
    from zhicheng.scenarios.environment import water

    given = {k: v for k, v in locals().items() if k in water.PARAMETERS and v is not None}
    result = water.classify(given, water_body=body, target=None if target.lower() == "none" else target.upper())
    if as_json:
        _print_json(result.as_dict())
        return
    table = Table(title=f"地表水水质（{result.standard}，{water.WATER_BODIES[result.water_body][0]}）",
                  title_justify="left")
    for heading in ("参数 / parameter", "数值 / value", "单位 / unit", "类别 / class", "该类限值 / limit",
                    f"超过 {result.target or '—'} 类 / over target"):
        table.add_column(heading)
    for row in result.parameters.values():
        over = "—"
        if row.exceeds_target:
            over = f"{row.target_limit}" + (f"，超标 {row.exceedance_multiple} 倍" if row.exceedance_multiple
                                            is not None else "")
        cls = row.water_class + ("" if row.counted else "（不参与定类）")
        table.add_row(row.name, str(row.value), row.unit, cls, row.limit or "—", over)
    console.print(table, markup=False)
    deciding = "、".join(result.parameters[k].name for k in result.deciding)
    console.print(f"[bold]水质类别 / class: {result.water_class}[/] （{result.water_class_en}）  定类参数 / deciding: "
                  f"{deciding}", highlight=False)
    if result.target:
        verdict = "达到" if result.meets_target else "未达到"
        console.print(f"{verdict} {result.target} 类目标 / target {'met' if result.meets_target else 'not met'}",
                      highlight=False)
    console.print(f"适用 / use: {result.use}", markup=False, highlight=False)
    _notes(result.notes)


@env_app.command("noise")
def noise_command(
    zone: str = typer.Option(..., "--zone", help="声环境功能区 0 1 2 3 4a 4b / acoustic zone"),
    leq: float = typer.Option(..., "--leq", help="等效声级 LAeq dB(A)"),
    night: bool = typer.Option(False, "--night", help="夜间 22:00–06:00（默认昼间，或用 --time）"),
    at: str = typer.Option(None, "--time", help="测量时间 HH:MM，决定昼间或夜间 / time of the measurement",
                           show_default=False),
    lmax: float = _opt("夜间突发噪声最大声级 dB(A)"),
    as_json: bool = JSON_OPT,
) -> None:
    """声环境功能区达标（GB 3096-2008）/ noise compliance by day (06:00–22:00) or night."""
    from zhicheng.scenarios.environment import noise

    period = "night" if night else (None if at else "day")
    result = noise.assess(zone=zone, leq=leq, period=period, at=at, lmax=lmax)
    if as_json:
        _print_json(result.as_dict())
        return
    verdict = "[green]达标 / compliant[/]" if result.compliant else \
        f"[red]超标 {result.exceedance_db} dB(A) / over the limit[/]"
    console.print(f"{result.zone_name}（{result.area}）", markup=False, highlight=False)
    console.print(f"{result.period_name} {result.hours}：Leq {result.leq} dB(A)，限值 / limit {result.limit} dB(A)  "
                  f"{verdict}", highlight=False)
    if result.lmax_compliant is not None:
        lmax_verdict = "达标 / within" if result.lmax_compliant else f"超出 {result.lmax_exceedance_db} dB(A) / over"
        console.print(f"突发噪声最大声级 / Lmax {result.lmax} dB(A)，上限 {result.lmax_limit} dB(A)：{lmax_verdict}",
                      highlight=False)
    _notes(result.notes)
