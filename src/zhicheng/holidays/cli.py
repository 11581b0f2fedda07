"""`zhicheng holidays import / list`: the State Council's holiday schedule that working days count on."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from zhicheng.core.actor import cli_operator

console = Console(highlight=False, soft_wrap=True)
_operator = cli_operator

holidays_app = typer.Typer(help="放假安排：录入、查看（答复期限按工作日计算）/ holiday schedules deadlines count on",
                           no_args_is_help=True)


@holidays_app.command("import")
def import_holidays(
    file: Path = typer.Argument(..., help="每行：日期 名称 休/班，或 CSV 日期,名称,休/班 / lines or CSV"),
    year: int = typer.Option(..., "--year", help="放假安排的年份 / the schedule's year"),
    source: str = typer.Option("", "--source", help="依据，如 国办发明电〔2026〕N号 / where it was published"),
) -> None:
    """录入（或替换）一年的放假安排 / enter (or replace) a year's holiday schedule."""
    from zhicheng.cli import open_instance
    from zhicheng.core.errors import Invalid
    from zhicheng.core.workdays import schedule
    from zhicheng.holidays import flows

    try:
        data = file.read_bytes()[: schedule.MAX_BYTES + 1]
    except OSError as exc:
        raise Invalid(f"无法读取文件 {file}", f"cannot read {file}", field="file") from exc
    entries = schedule.parse_upload(data)
    _settings, engine, factory = open_instance()
    try:
        with factory() as db:
            flows.enter_year(db, actor=_operator(), year=year, entries=entries, source=source)
    finally:
        engine.dispose()
    off = sum(e.kind == "holiday" for e in entries)
    console.print(f"{year}: 放假 holidays {off}, 调休上班 workdays {len(entries) - off}")


@holidays_app.command("list")
def list_holidays() -> None:
    """列出已录入的年份和缺少安排的年份 / the years entered and the years missing."""
    from zhicheng.cli import open_instance
    from zhicheng.holidays import service

    _settings, engine, factory = open_instance()
    try:
        with factory() as db:
            view = service.overview(db, actor=_operator())
    finally:
        engine.dispose()
    for y in view["entered"]:
        console.print(f"{y['year']}  放假 holidays {y['holidays']}  调休上班 workdays {y['workdays']}  "
                      f"{y['source'] or ''}  {y['entered_by_name'] or ''}")
    console.print(f"软件包自带 package: {', '.join(map(str, view['package_years'])) or '-'}")
    if view["missing_years"]:
        console.print(f"缺少放假安排 missing: {', '.join(map(str, view['missing_years']))} "
                      "（期限只按周末计算，标为暂定 / deadlines count weekends only, marked provisional）")


def register(app: typer.Typer) -> None:
    """Add `zhicheng holidays ...` to the main command line."""
    app.add_typer(holidays_app, name="holidays")
