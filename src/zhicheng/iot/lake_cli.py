"""`zhicheng iot lake export / compact / prune / status`: the Parquet data lake from the console."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console(highlight=False, soft_wrap=True)
lake_app = typer.Typer(help="物联网数据湖（Parquet）：导出、合并、保留与清理 / the IoT data lake", no_args_is_help=True)


def _open():
    from zhicheng.cli import open_instance
    from zhicheng.iot import lake

    settings, engine, factory = open_instance()
    return lake.open_lake(settings), engine, factory


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True)


def _busy() -> None:
    console.print("湖正被另一进程写入，请稍后再试 / the lake is being written by another process; try again later",
                  style="red")
    raise typer.Exit(1)


@lake_app.command("export")
def export() -> None:
    """把水位线之后的观测写入湖（增量、幂等）/ write the observations above the watermark to the lake."""
    from zhicheng.iot import lake

    where, engine, factory = _open()
    try:
        with factory() as db, _progress() as progress:
            task = progress.add_task("导出 exporting", total=lake.pending(db))
            try:
                done = lake.export(db, where, progress=lambda n: progress.advance(task, n))
            except lake.Busy:
                _busy()
        console.print(f"已导出 exported {done.rows} 条 rows, {done.files} 个文件 files; watermark {done.watermark}"
                      + (f"; removed {done.orphans_removed} leftover files" if done.orphans_removed else ""),
                      style="green")
    finally:
        engine.dispose()


@lake_app.command("compact")
def compact() -> None:
    """把每个分区的多个文件合并为一个 / merge each partition's part files into one."""
    from sqlalchemy import func, select

    from zhicheng.iot import lake
    from zhicheng.iot.models import LakePart

    where, engine, factory = _open()
    try:
        with factory() as db, _progress() as progress:
            several = db.scalar(select(func.count()).select_from(
                select(LakePart.device_type, LakePart.day).group_by(LakePart.device_type, LakePart.day)
                .having(func.count() > 1).subquery()))
            task = progress.add_task("合并 compacting", total=several)
            try:
                merged = lake.compact(db, where, progress=lambda n: progress.advance(task, n))
            except lake.Busy:
                _busy()
        console.print(f"已合并 compacted {merged} 个分区 partitions", style="green")
    finally:
        engine.dispose()


@lake_app.command("prune")
def prune() -> None:
    """删除超过保留期的分区，清理热库中已入湖的旧观测 / delete partitions past their retention and hot rows past
    their hot window that are in the lake."""
    from zhicheng.iot import lake

    where, engine, factory = _open()
    try:
        with factory() as db:
            try:
                expired = lake.apply_retention(db, where)
            except lake.Busy:
                _busy()
            with console.status("清理热库 pruning the hot store"):
                pruned = lake.prune_hot(db)
        console.print(f"已删除分区文件 expired files {expired}; 热库删除 hot rows pruned {pruned}", style="green")
    finally:
        engine.dispose()


@lake_app.command("status")
def status() -> None:
    """湖的位置、水位线、待导出条数、各设备类型的文件 / where the lake is, watermark, pending rows, files."""
    from zhicheng.iot import lake

    where, engine, factory = _open()
    try:
        with factory() as db:
            info = lake.status(db, where)
        console.print(f"湖 lake: {info['lake']}")
        console.print(f"水位线 watermark: {info['watermark']} / newest id {info['newest_id']}; "
                      f"待导出 pending: {info['pending']}")
        table = Table("设备类型 device type", "文件 files", "分区 partitions", "行 rows", "MB", "起 first", "止 last")
        for t in info["device_types"]:
            table.add_row(t["device_type"], str(t["files"]), str(t["partitions"]), str(t["rows"]),
                          f"{(t['bytes'] or 0) / 1e6:.1f}", t["first_day"], t["last_day"])
        console.print(table)
    finally:
        engine.dispose()
