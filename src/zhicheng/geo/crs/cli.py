"""`zhicheng geo convert`: coordinates on the command line, or a CSV file's lon/lat columns, from one CRS to another."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import typer

from zhicheng.core.errors import AppError, Invalid

CHUNK_ROWS = 10_000  # rows converted at a time: memory stays flat in the file's size


def convert_command(
    coords: list[float] = typer.Argument(None, help="x y [x y …]，经度在前 / longitude first"),
    from_: str = typer.Option(..., "--from", help="源坐标系 / source CRS: EPSG:4490, CRS84, GCJ02, BD09, EPSG:4547…"),
    to: str = typer.Option(..., "--to", help="目标坐标系 / target CRS"),
    csv_in: Path | None = typer.Option(None, "--csv", help="转换 CSV 文件的经纬度列 / convert a CSV file's columns"),
    out: Path | None = typer.Option(None, "--out", help="输出 CSV 文件（UTF-8）/ output CSV, UTF-8 (required with --csv)"),
    lon: str = typer.Option("lon", "--lon", help="经度（x）列名 / longitude (x) column"),
    lat: str = typer.Option("lat", "--lat", help="纬度（y）列名 / latitude (y) column"),
) -> None:
    """坐标转换 / convert coordinates between CGCS2000, WGS 84, Web Mercator, Gauss-Krüger, GCJ-02 and BD-09."""
    from zhicheng.geo.crs import service

    src = service.parse_crs(from_, field="--from")
    dst = service.parse_crs(to, field="--to")
    if csv_in is not None:
        if out is None:
            raise Invalid("使用 --csv 时须给出 --out", "--csv needs --out", field="--out")
        count = convert_csv(csv_in, out, src, dst, lon_column=lon, lat_column=lat)
        typer.echo(f"{count} 行已转换 / rows converted: {src.key} → {dst.key} → {out}")
        return
    if not coords or len(coords) % 2:
        raise Invalid("请给出成对的坐标：x y [x y …]", "give coordinates in pairs: x y [x y …]", field="coords")
    x, y = service.convert_points(coords[0::2], coords[1::2], src, dst)
    digits = 9 if dst.geographic else 4
    for a, b in zip(x.tolist(), y.tolist(), strict=True):
        typer.echo(f"{a:.{digits}f} {b:.{digits}f}")


def convert_csv(path: Path, out: Path, src, dst, *, lon_column: str, lat_column: str) -> int:
    """Convert `path`'s lon/lat columns chunk by chunk into `out`, with a progress bar; the row count."""

    if not path.is_file():
        raise AppError(f"文件不存在：{path}", f"no such file: {path}", field="--csv")
    if out.resolve() == path.resolve():
        raise Invalid("输出文件不能与输入相同", "the output must not be the input file", field="--out")
    total = path.stat().st_size
    tmp = out.with_name(out.name + ".part")
    try:
        count = _convert_csv_into(path, tmp, total, src, dst, lon_column, lat_column)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    return count


def _convert_csv_into(path: Path, tmp: Path, total: int, src, dst, lon_column: str, lat_column: str) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    count = 0
    with path.open("rb") as raw, tmp.open("w", encoding="utf-8", newline="") as sink, \
            Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                     console=Console(stderr=True), transient=True) as bar:
        from zhicheng.catalog.datasets.readers import SAMPLE_BYTES, detect_encoding

        encoding = detect_encoding(raw.read(SAMPLE_BYTES))  # UTF-8 or GBK/GB18030, as imports read CSV
        raw.seek(0)
        reader = csv.reader(io.TextIOWrapper(raw, encoding=encoding, newline=""))
        writer = csv.writer(sink)
        header = next(reader, None)
        if header is None:
            raise Invalid("CSV 文件为空", "the CSV file is empty", field="--csv")
        try:
            ix, iy = header.index(lon_column), header.index(lat_column)
        except ValueError:
            raise Invalid(f"CSV 中没有列 {lon_column} 或 {lat_column}（表头：{', '.join(header)}）",
                          f"no column {lon_column} or {lat_column} in the CSV (header: {', '.join(header)})",
                          field="--lon") from None
        writer.writerow(header)
        task = bar.add_task(path.name, total=total)
        chunk: list[list[str]] = []
        for row in reader:
            chunk.append(row)
            if len(chunk) >= CHUNK_ROWS:
                count += _write_chunk(writer, chunk, ix, iy, src, dst, first_line=count + 2)
                chunk = []
                bar.update(task, completed=raw.tell())
        count += _write_chunk(writer, chunk, ix, iy, src, dst, first_line=count + 2)
        bar.update(task, completed=total)
    return count


def _write_chunk(writer, rows: list[list[str]], ix: int, iy: int, src, dst, *, first_line: int) -> int:
    from zhicheng.geo.crs import service

    if not rows:
        return 0
    xs, ys = [], []
    for n, row in enumerate(rows):
        try:
            xs.append(float(row[ix]))
            ys.append(float(row[iy]))
        except (ValueError, IndexError):
            line = first_line + n
            raise Invalid(f"第 {line} 行的坐标不是数字", f"line {line}: the coordinates are not numbers",
                          field="--csv") from None
    try:
        x, y = service.convert_points(xs, ys, src, dst)
    except Invalid as exc:
        i = int(exc.field.rsplit(".", 1)[1]) if exc.field and exc.field.startswith("points.") else 0
        line = first_line + i
        raise Invalid(f"第 {line} 行：{exc.zh}", f"line {line}: {exc.en}", field="--csv") from None
    digits = 9 if dst.geographic else 4
    for row, a, b in zip(rows, x.tolist(), y.tolist(), strict=True):
        row[ix], row[iy] = f"{a:.{digits}f}", f"{b:.{digits}f}"
        writer.writerow(row)
    return len(rows)


def register(geo: typer.Typer) -> None:
    """Add `zhicheng geo convert`."""
    geo.command("convert")(convert_command)
