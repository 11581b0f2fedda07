"""`zhicheng import RESOURCE_CODE FILE`: import a file as a new dataset version, with a progress bar."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from zhicheng.core.errors import AppError

SHOWN_ERRORS = 20


def _message(zh: str | None, en: str | None, lang: str) -> str:
    return (en if lang.startswith("en") else zh) or ""


def error_line(e: dict, lang: str) -> str:
    """One bad row as the CLI prints it: 第 5 行「身份证号」列：reason (the column as the file names it)."""
    reason = _message(e["zh"], e["en"], lang)
    if lang.startswith("en"):
        where = ", ".join(p for p in (f"line {e['line']}" if e.get("line") else "",
                                      f"column “{e['column']}”" if e.get("column") else "") if p)
        return f"{where}: {reason}" if where else reason
    where = (f"第 {e['line']} 行" if e.get("line") else "") + (f"「{e['column']}」列" if e.get("column") else "")
    return f"{where}：{reason}" if where else reason


def import_command(
    resource_code: str = typer.Argument(..., help="资源代码 / resource code"),
    file: Path = typer.Argument(..., help="CSV / XLSX / JSON / GeoJSON / Shapefile（.zip）/ GPKG / KML 文件 / file"),
    sheet: str | None = typer.Option(None, help="XLSX 工作表名称 / sheet name (default: the first)"),
    header_row: int | None = typer.Option(None, "--header-row", min=1,
                                          help="表头所在行（默认自动识别）/ the header's line or sheet row "
                                               "(default: found among the first rows)"),
    map_: list[str] = typer.Option([], "--map", help="信息项标识=文件列名或列号，可重复；留空表示不导入该项 / "
                                                      "ITEM=COLUMN (name or number), repeatable; ITEM= skips it"),
    as_: str | None = typer.Option(None, "--as", help="以此用户身份导入（需其密码）/ import as this user "
                                                       "(with their password)"),
    as_password: str | None = typer.Option(None, "--as-password", envvar="ZHICHENG_AS_PASSWORD",
                                           help="--as 用户的密码（不填则提示）/ its password (prompted when omitted)"),
    crs: str | None = typer.Option(None, "--crs", help="图层：源坐标系（默认读自文件）/ layer: source CRS "
                                                        "(default: the file's), e.g. EPSG:4547, GCJ02, BD09"),
    lon_column: str | None = typer.Option(None, "--lon", help="经度列（CSV/XLSX）/ longitude column"),
    lat_column: str | None = typer.Option(None, "--lat", help="纬度列（CSV/XLSX）/ latitude column"),
    wkt_column: str | None = typer.Option(None, "--wkt", help="WKT 列（CSV/XLSX）/ WKT column"),
    layer: str | None = typer.Option(None, "--layer", help="图层名（多图层文件）/ layer name"),
    repair: bool = typer.Option(False, "--repair-geometry", help="修复无效几何（默认拒绝）/ repair invalid "
                                                                  "geometries with make_valid (default: refuse)"),
) -> None:
    """导入数据文件为资源的新版本 / import a data file as a new version of a resource."""
    from zhicheng.catalog import service as catalog
    from zhicheng.catalog.datasets import service
    from zhicheng.catalog.datasets.geo_readers import GeoOptions
    from zhicheng.catalog.datasets.headers import mapping_from_pairs
    from zhicheng.cli import acting_user, open_instance, record_lineage
    from zhicheng.core.events import bus

    if not file.is_file():
        raise AppError(f"文件不存在：{file}", f"no such file: {file}", field="file")
    mapping = mapping_from_pairs(map_)
    geo = GeoOptions.of(crs=crs, lon_column=lon_column, lat_column=lat_column, wkt_column=wkt_column, layer=layer,
                        invalid_geometry="repair" if repair else None)
    settings, engine, factory = open_instance()
    lang = settings.language
    console = Console()
    subscribed = bus.registrations()
    record_lineage(factory)  # as the server does: the new version enters the lineage graph
    try:
        with factory() as db:
            actor = acting_user(db, as_, as_password)
            resource = catalog.get_by_code(db, resource_code)
            with Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                          TextColumn("{task.fields[rows]} 行/rows"), TimeRemainingColumn(),
                          console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task(file.name, total=file.stat().st_size, rows=0)

                def progress(rows: int, done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total, rows=rows)

                report = service.import_file(db, actor=actor, resource_id=resource.id,
                                             path=file, filename=file.name, sheet=sheet, progress=progress,
                                             max_upload_mb=settings.max_upload_mb, via="cli",
                                             header_row=header_row, mapping=mapping, geo=geo)
    finally:
        bus.unsubscribe_added_since(subscribed)
        engine.dispose()
    by = actor.display_name or actor.username
    if report.ok:
        console.print(f"{_message(report.message_zh, report.message_en, lang)}  "
                      f"version={report.version} rows={report.row_count} header_row={report.header_row} "
                      f"by={by}", style="green", markup=False, highlight=False)
        if report.geo:
            console.print(f"crs={report.geo['source_crs']} ({report.geo['crs_from']}) → {report.geo['storage_crs']} "
                          f"repaired={report.geo['repaired_count']}", markup=False, highlight=False)
            for fixed in report.geo["repaired"][:SHOWN_ERRORS]:
                console.print(f"  {error_line(fixed, lang)}", markup=False, highlight=False)
        return
    err = Console(stderr=True, soft_wrap=True)  # one line per error, whatever the terminal's width
    err.print(escape(_message(report.message_zh, report.message_en, lang)), style="red", highlight=False)
    if report.header_row:
        err.print(f"表头：第 {report.header_row} 行（可用 --header-row 指定）" if lang.startswith("zh") else
                  f"header: line {report.header_row} (choose another with --header-row)", highlight=False)
    for e in report.errors[:SHOWN_ERRORS]:
        err.print(f"  {error_line(e, lang)}", markup=False, highlight=False)
    if report.error_count > SHOWN_ERRORS:
        rest = report.error_count - SHOWN_ERRORS
        err.print(f"  … 另有 {rest} 处错误" if lang.startswith("zh") else f"  … and {rest} more errors")
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `zhicheng import` to the command line."""
    app.command("import")(import_command)
