"""`zhicheng geo geocode TEXT`, `zhicheng geo reverse LON LAT`, `zhicheng geo geocode-file FILE --column …`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from zhicheng.core.errors import AppError, Invalid


def _open():
    from zhicheng.cli import open_instance

    _settings, engine, factory = open_instance()
    return engine, factory


def _actor():
    from zhicheng.core.actor import cli_operator

    return cli_operator()


def geocode_command(
    text: str = typer.Argument(..., help="地址文本 / address text, e.g. 岳麓区麓山南路932号附近"),
    layer: str | None = typer.Option(None, "--layer", help="地址图层的资源代码 / address layer code"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
) -> None:
    """地址解析：文本 → 坐标、级别、得分、行政区划代码 / geocode one address."""
    from zhicheng.geo.addresses import service

    engine, factory = _open()
    try:
        with factory() as db:
            answer, _layer = service.geocode(db, actor=_actor(), q=text, layer=layer)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(answer.as_dict(), ensure_ascii=False))
        return
    typer.echo(f"{answer.level}  {answer.score:.2f}  {answer.lon:.6f} {answer.lat:.6f}  {answer.address}")
    typer.echo(f"区县 {answer.district_code} {answer.district_name}  街道 {answer.street_code} {answer.street_name}  "
               f"社区 {answer.community_name}" + ("  （按门牌插值 / interpolated）" if answer.interpolated else ""))


def reverse_command(
    lon: float = typer.Argument(..., help="经度（CGCS2000）/ longitude"),
    lat: float = typer.Argument(..., help="纬度（CGCS2000）/ latitude"),
    layer: str | None = typer.Option(None, "--layer", help="地址图层的资源代码 / address layer code"),
    grid_layer: str | None = typer.Option(None, "--grid-layer", help="网格图层 / a unit grid layer (optional)"),
) -> None:
    """逆地理编码：坐标 → 区县、街道、社区、最近地址 / reverse geocode a point."""
    from zhicheng.geo.addresses import service

    engine, factory = _open()
    try:
        with factory() as db:
            out, _layer = service.reverse_geocode(db, actor=_actor(), lon=lon, lat=lat, layer=layer,
                                                  grid_layer=grid_layer)
    finally:
        engine.dispose()
    typer.echo(json.dumps(out, ensure_ascii=False))


def geocode_file_command(
    path: Path = typer.Argument(..., help="CSV 文件（UTF-8）/ a UTF-8 CSV file"),
    column: str = typer.Option(..., "--column", help="地址所在列 / the column holding the addresses"),
    out: Path | None = typer.Option(None, "--out", help="输出 CSV / output CSV (default: FILE.geocoded.csv)"),
    layer: str | None = typer.Option(None, "--layer", help="地址图层的资源代码 / address layer code"),
) -> None:
    """批量地址解析：CSV 文件的一列 → 加上坐标、级别与代码的 CSV / geocode a CSV file's column."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from zhicheng.geo.addresses import service

    if not path.is_file():
        raise AppError(f"文件不存在：{path}", f"no such file: {path}", field="path")
    target = out or path.with_name(path.stem + ".geocoded.csv")
    if target.resolve() == path.resolve():
        raise Invalid("输出文件不能与输入相同", "the output must not be the input file", field="--out")
    with path.open("rb") as fh:
        total = max(0, sum(1 for _ in fh) - 1)  # lines (a quoted line break makes this an estimate)
    part = target.with_name(target.name + ".part")
    engine, factory = _open()
    try:
        with factory() as db, Progress(TextColumn("地址解析 / geocoding"), BarColumn(), MofNCompleteColumn(),
                                       TimeRemainingColumn()) as bar:
            task = bar.add_task("geocode", total=total)
            counts = service.geocode_file(db, actor=_actor(), path=path, column=column, out=part, layer=layer,
                                          progress=lambda n: bar.advance(task, n))
        part.replace(target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    summary = "  ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
    typer.echo(f"{sum(counts.values())} 条 / rows → {target}  {summary}")


def geocode_column_command(
    resource: str = typer.Argument(..., help="数据资源代码或编号 / the dataset's resource code or id"),
    column: str = typer.Option(..., "--column", help="地址所在的信息项 / the data item holding the addresses"),
    out: Path = typer.Option(..., "--out", help="输出 CSV / output CSV"),
    version: int | None = typer.Option(None, "--version", help="数据版本（默认最新）/ version (default: newest)"),
    layer: str | None = typer.Option(None, "--layer", help="地址图层的资源代码 / address layer code"),
) -> None:
    """批量地址解析：数据集的一个信息项 → 每行加上坐标、级别与代码的 CSV / geocode a dataset column."""
    import csv

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from zhicheng.catalog import service as catalog
    from zhicheng.catalog.datasets import service as datasets
    from zhicheng.core.spreadsheet import safe_row
    from zhicheng.geo.addresses import service

    part = out.with_name(out.name + ".part")
    engine, factory = _open()
    counts: dict[str, int] = {}
    try:
        with factory() as db:
            rid = int(resource) if resource.isdigit() else catalog.get_by_code(db, resource).id
            dv = datasets.get_version(db, actor=_actor(), resource_id=rid, version=version)
            names = [s.name for s in datasets.specs_of(dv)]
            with part.open("w", encoding="utf-8-sig", newline="") as fh, \
                    Progress(TextColumn("地址解析 / geocoding"), BarColumn(), MofNCompleteColumn(),
                             TimeRemainingColumn()) as bar:
                task = bar.add_task("geocode", total=dv.row_count)
                writer = csv.writer(fh)
                writer.writerow([*names, *service.ANSWER_COLUMNS])
                for row, answer in service.geocode_column(db, actor=_actor(), resource_id=rid, column=column,
                                                          version=version, layer=layer,
                                                          progress=lambda n: bar.advance(task, n)):
                    counts[answer.level or "未匹配"] = counts.get(answer.level or "未匹配", 0) + 1
                    writer.writerow(safe_row([*row, *service.answer_cells(answer)]))
        part.replace(out)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    summary = "  ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
    typer.echo(f"{sum(counts.values())} 条 / rows → {out}  {summary}")


def register(geo: typer.Typer) -> None:
    """Add the address commands to `zhicheng geo`."""
    geo.command("geocode")(geocode_command)
    geo.command("reverse")(reverse_command)
    geo.command("geocode-file")(geocode_file_command)
    geo.command("geocode-column")(geocode_column_command)
