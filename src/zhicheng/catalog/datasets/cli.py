"""`zhicheng import RESOURCE_CODE FILE`: import a file as a new dataset version, with a progress bar."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from zhicheng.core.errors import AppError

SHOWN_ERRORS = 20


def _message(zh: str | None, en: str | None, lang: str) -> str:
    return (en if lang.startswith("en") else zh) or ""


def import_command(
    resource_code: str = typer.Argument(..., help="资源代码 / resource code"),
    file: Path = typer.Argument(..., help="CSV / XLSX / JSON / GeoJSON 文件 / file"),
    sheet: str | None = typer.Option(None, help="XLSX 工作表名称 / sheet name (default: the first)"),
) -> None:
    """导入数据文件为资源的新版本 / import a data file as a new version of a resource."""
    from zhicheng.catalog import service as catalog
    from zhicheng.catalog.datasets import service
    from zhicheng.cli import open_instance
    from zhicheng.core.actor import SYSTEM

    if not file.is_file():
        raise AppError(f"文件不存在：{file}", f"no such file: {file}", field="file")
    settings, engine, factory = open_instance()
    lang = settings.language
    console = Console()
    try:
        with factory() as db:
            resource = catalog.get_by_code(db, resource_code)
            with Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                          TextColumn("{task.fields[rows]} 行/rows"), TimeRemainingColumn(),
                          console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task(file.name, total=file.stat().st_size, rows=0)

                def progress(rows: int, done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total, rows=rows)

                report = service.import_file(db, actor=replace(SYSTEM, via="cli"), resource_id=resource.id,
                                             path=file, filename=file.name, sheet=sheet, progress=progress,
                                             max_upload_mb=settings.max_upload_mb, via="cli")
    finally:
        engine.dispose()
    if report.ok:
        console.print(f"{_message(report.message_zh, report.message_en, lang)}  "
                      f"version={report.version} rows={report.row_count}", style="green", markup=False,
                      highlight=False)
        return
    err = Console(stderr=True)
    err.print(escape(_message(report.message_zh, report.message_en, lang)), style="red", highlight=False)
    for e in report.errors[:SHOWN_ERRORS]:
        where = f"第 {e['line']} 行" if lang.startswith("zh") else f"line {e['line']}"
        column = f" [{e['column']}]" if e.get("column") else ""
        err.print(f"  {where if e['line'] else '-'}{column}: {_message(e['zh'], e['en'], lang)}", markup=False,
                  highlight=False)
    if report.error_count > SHOWN_ERRORS:
        rest = report.error_count - SHOWN_ERRORS
        err.print(f"  … 另有 {rest} 处错误" if lang.startswith("zh") else f"  … and {rest} more errors")
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `zhicheng import` to the command line."""
    app.command("import")(import_command)
