"""`zhicheng iot types / register / provision / list / disable / enable / rotate / replay / mqtt / mqtt-acl /
mqtt-passwd`: devices from the console (`zhicheng replay` is the same replay at the top level)."""

from __future__ import annotations

import csv
import sys
from datetime import datetime, timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from zhicheng.core.actor import cli_operator

console = Console(highlight=False, soft_wrap=True)
iot_app = typer.Typer(help="物联设备：类型、登记、批量开通、停用、轮换令牌 / IoT devices", no_args_is_help=True)


def _instance():
    from zhicheng.cli import open_instance

    return open_instance()


@iot_app.command("types")
def list_types() -> None:
    """列出插件提供的设备类型 / list the device types the plugins bring."""
    from zhicheng.iot import device_types

    table = Table("key", "名称 name", "数据流 datastreams")
    for t in device_types.device_types().values():
        table.add_row(t.key, f"{t.name} / {t.name_en}", ", ".join(f"{d.name} ({d.unit.code})" for d in t.datastreams))
    console.print(table)


@iot_app.command("register")
def register_device(
    department_id: int = typer.Option(..., "--department", help="所属部门编号 / department id"),
    device_type: str = typer.Option(..., "--type", help="设备类型键 / device type key"),
    code: str = typer.Option(..., "--code", help="设备编码 / device code"),
    name: str = typer.Option(..., "--name", help="设备名称 / device name"),
    lon: float = typer.Option(..., "--lon"),
    lat: float = typer.Option(..., "--lat"),
    open_data: bool = typer.Option(False, "--open", help="数据向所有人开放 / open to everyone"),
) -> None:
    """登记一台设备并显示其令牌（仅此一次）/ register a device and show its token (this once)."""
    from zhicheng.iot import service

    _settings, engine, factory = _instance()
    try:
        with factory() as db:
            done = service.register_device(db, actor=cli_operator(), department_id=department_id,
                                           device_type=device_type, code=code, name=name, lon=lon, lat=lat,
                                           open=open_data)
            console.print(f"设备 device {done.thing.id} {done.thing.code}")
            console.print(f"令牌 token（仅显示一次 shown once）: {done.token}")
    finally:
        engine.dispose()


@iot_app.command("provision")
def provision(
    file: Path = typer.Argument(..., help="CSV: code,name,device_type,lon,lat[,description,open]"),
    department_id: int = typer.Option(..., "--department", help="所属部门编号 / department id"),
    tokens_out: Path = typer.Option(None, "--tokens", help="令牌写入此 CSV（默认标准输出）/ write tokens here"),
) -> None:
    """从 CSV 批量登记设备，显示进度；令牌写出一次 / register devices in bulk from a CSV, with progress."""
    from zhicheng.core.errors import Invalid
    from zhicheng.iot import service

    try:
        rows = service.parse_csv(file.read_bytes())
    except OSError as exc:
        raise Invalid(f"无法读取文件 {file}", f"cannot read {file}", field="file") from exc
    _settings, engine, factory = _instance()
    try:
        with factory() as db, Progress(console=console, transient=True) as progress:
            task = progress.add_task("登记设备 registering", total=len(rows))
            done = service.register_many(db, actor=cli_operator(), department_id=department_id, rows=rows,
                                         progress=lambda n: progress.advance(task, n))
            out = tokens_out.open("w", newline="", encoding="utf-8") if tokens_out else sys.stdout
            try:
                writer = csv.writer(out)
                writer.writerow(["id", "code", "token"])
                for d in done:
                    writer.writerow([d.thing.id, d.thing.code, d.token])
            finally:
                if tokens_out:
                    out.close()
        console.print(f"已登记 registered {len(done)}", style="green")
    finally:
        engine.dispose()


@iot_app.command("list")
def list_devices(department_id: int = typer.Option(None, "--department")) -> None:
    """列出设备及在线状态 / list devices with online/offline."""
    from zhicheng.iot import service

    _settings, engine, factory = _instance()
    try:
        with factory() as db:
            table = Table("id", "code", "名称 name", "类型 type", "启用 enabled", "在线 online", "最后上报 last seen")
            for t in service.list_devices(db, actor=cli_operator(), department_id=department_id):
                online = service.is_online(t.last_seen, service.sampling_interval(db, t.id))
                table.add_row(str(t.id), t.code, t.name, t.device_type, "是" if t.enabled else "否",
                              "在线" if online else "离线", str(t.last_seen or "-"))
            console.print(table)
    finally:
        engine.dispose()


def _change(thing_id: int, what: str) -> None:
    from zhicheng.iot import service

    _settings, engine, factory = _instance()
    try:
        with factory() as db:
            if what == "rotate":
                done = service.rotate_token(db, actor=cli_operator(), thing_id=thing_id)
                console.print(f"新令牌 new token（仅显示一次 shown once）: {done.token}")
            else:
                service.set_enabled(db, actor=cli_operator(), thing_id=thing_id, enabled=what == "enable")
                console.print(f"设备 {thing_id}: {what}d")
    finally:
        engine.dispose()


@iot_app.command("disable")
def disable(thing_id: int = typer.Argument(...)) -> None:
    """停用设备 / disable a device."""
    _change(thing_id, "disable")


@iot_app.command("enable")
def enable(thing_id: int = typer.Argument(...)) -> None:
    """启用设备 / enable a device."""
    _change(thing_id, "enable")


@iot_app.command("rotate")
def rotate(thing_id: int = typer.Argument(...)) -> None:
    """轮换设备令牌 / rotate a device's token."""
    _change(thing_id, "rotate")


def _bound(text: str | None, *, end: bool) -> datetime | None:
    """A --since/--until as Beijing time (a date alone: its start, or for --until the next day's start)."""
    from zhicheng.core import clock
    from zhicheng.core.errors import Invalid

    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        option = "--until" if end else "--since"
        raise Invalid(f"{option} 须为 ISO 8601 日期或时间：{text}", f"{option} must be an ISO 8601 date or time, not "
                      f"{text!r}", field=option.lstrip("-")) from None
    if end and len(text) <= 10:
        at += timedelta(days=1)
    return at if at.tzinfo else at.replace(tzinfo=clock.LOCAL_TZ)


@iot_app.command("replay")
def replay(
    source: Path = typer.Argument(..., help="UCI 北京多站点 CSV(.gz) 文件或其目录 / a UCI Beijing CSV(.gz) or its folder"),
    mapping: list[str] = typer.Option(None, "--map", help="站点=设备编号或编码 / STATION=DEVICE (id or code), "
                                      "repeatable; default: devices whose name names a station"),
    speed: float = typer.Option(0.0, "--speed", min=0, help="倍速：1 实时，3600 每秒一小时，0 尽快 / 1 real time, "
                                "3600 an hour a second, 0 as fast as possible"),
    since: str = typer.Option(None, "--since", help="起始（北京时间，含）/ from (Beijing time, inclusive)"),
    until: str = typer.Option(None, "--until", help="截止（北京时间，不含；仅日期则含当天）/ until (exclusive; a "
                              "date includes that day)"),
    shift_to_now: bool = typer.Option(False, "--shift-to-now", help="时间平移使最后一小时为当前小时 / move times so "
                                      "the last hour is now"),
    kind: str = typer.Option("beijing", "--source", help="beijing（北京多站点空气质量）| five-cities（五城市逐时降水，"
                             "回放到雨量站）/ beijing (multi-site air quality) | five-cities (hourly rain to gauges)"),
) -> None:
    """回放录制的小时序列到已登记设备（经 ingest，channel=replay）/ replay a recorded hourly series into devices."""
    from zhicheng.core.actor import cli_operator
    from zhicheng.iot import replay as replaying

    start, end = _bound(since, end=False), _bound(until, end=True)
    series = replaying.series_kind(kind)
    pairs = replaying.parse_mapping(mapping or [], series.names)
    if not source.exists():
        from zhicheng.core.errors import NotFound

        raise NotFound(f"文件 {source} 不存在", f"file {source} not found", field="source")
    _settings, engine, factory = _instance()
    try:
        with factory() as db:
            devices = replaying.resolve_devices(db, actor=cli_operator(), mapping=pairs, names=series.names)
            sources = series.sources_for(source, list(devices))
            total, _first, _last = replaying.survey(sources, start, end, series.reader)
            console.print(f"回放 replaying {total} 站时 station-hours: "
                          + ", ".join(f"{s} → {t.code}" for s, t in devices.items()))
            console.print(f"来源 source: {series.source}")
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=console) as progress:
                task = progress.add_task("回放 replay", total=total)
                done = replaying.replay(db, devices=devices, sources=sources, speed=speed, since=start, until=end,
                                        shift_to_now=shift_to_now, progress=lambda n: progress.advance(task, n),
                                        reader=series.reader, source_name=series.source)
            shifted = f", 平移 shifted {done.shift}" if shift_to_now else ""
            console.print(f"{'已中断 interrupted' if done.interrupted else '完成 done'}: 新存 stored {done.stored}, "
                          f"重复 duplicates {done.duplicates}, 隔离 quarantined {done.quarantined}, "
                          f"缺测跳过 NA skipped {done.gaps}{shifted}")
            if done.interrupted:
                raise typer.Exit(130)
    finally:
        engine.dispose()


@iot_app.command("mqtt")
def mqtt_worker(
    broker: str = typer.Option(None, "--broker", help="mqtt://[用户:密码@]主机[:端口]（默认 ZHICHENG_MQTT_URL）/ "
                               "the broker (default ZHICHENG_MQTT_URL)"),
    group: str = typer.Option(None, "--group", help="共享订阅组（默认 ZHICHENG_MQTT_GROUP）/ shared subscription group"),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="本进程内的订阅者数 / subscribers in this process"),
    client_id: str = typer.Option(None, "--client-id", help="客户端编号前缀，须稳定以续接会话（默认 主机名-组）/ "
                                  "client id prefix, stable so sessions resume (default host-group)"),
) -> None:
    """MQTT 接入：共享订阅 SensorThings 与设备主题（QoS 1），入库提交后才确认 / MQTT ingest: shared subscription to
    the SensorThings and device topics (QoS 1), each message acknowledged after its commit."""
    import signal
    import socket
    import threading

    from zhicheng.core.errors import Invalid
    from zhicheng.iot.mqtt import Worker

    settings, engine, factory = _instance()
    url, group = broker or settings.mqtt_url, group or settings.mqtt_group
    if not url:
        raise Invalid("请用 --broker 或 ZHICHENG_MQTT_URL 指定 MQTT 代理", "give the broker with --broker or "
                      "ZHICHENG_MQTT_URL", field="broker")
    base = client_id or f"zhicheng-ingest-{socket.gethostname()}-{group}"
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        running = [Worker(factory, url=url, group=group, client_id=f"{base}-{n}", prefix=settings.mqtt_topic_prefix,
                          receive_maximum=settings.mqtt_receive_maximum,
                          session_expiry=settings.mqtt_session_expiry_seconds).start() for n in range(1, workers + 1)]
    except ValueError as exc:
        raise Invalid(f"MQTT 代理地址无效：{url}", str(exc), field="broker") from None
    console.print(f"MQTT 接入 ingest: {url}, 组 group {group}, {workers} × {base}-N; Ctrl-C 停止 to stop")
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for worker in running:
            worker.stop()
        engine.dispose()


@iot_app.command("mqtt-acl")
def mqtt_acl(out: Path = typer.Option(..., "--out", help="写入此目录的 zhicheng.acl / write zhicheng.acl here"),
             worker_user: str = typer.Option("zhicheng-ingest", "--worker-user",
                                             help="接入进程的 MQTT 用户名 / the ingest workers' MQTT user")) -> None:
    """生成 Mosquitto ACL：每台启用的设备只能写自己的主题 / a Mosquitto ACL: each enabled device writes only its own
    topics."""
    from zhicheng.iot.mqtt_acl import write_acl

    settings, engine, factory = _instance()
    try:
        with factory() as db:
            path = write_acl(db, out, prefix=settings.mqtt_topic_prefix, worker_user=worker_user or None)
        console.print(f"已写入 written {path}; 让代理重新读取 reload the broker: kill -HUP <mosquitto pid>")
    finally:
        engine.dispose()


@iot_app.command("mqtt-passwd")
def mqtt_passwd(code: str = typer.Argument(..., help="设备编码 / device code"),
                token: str = typer.Option(..., "--token", help="刚签发的设备令牌 / the token just issued"),
                password_file: Path = typer.Option(..., "--file", help="Mosquitto 密码文件 / password file")) -> None:
    """把设备令牌写入 Mosquitto 密码文件（签发或轮换后）/ put a device's token in the broker's password file."""
    from zhicheng.iot.mqtt_acl import add_password

    _settings, engine, factory = _instance()
    try:
        with factory() as db:
            add_password(db, code=code, token=token, password_file=password_file)
        console.print(f"已写入 written {code} → {password_file}; reload the broker: kill -HUP <mosquitto pid>")
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    """Add `zhicheng iot ...` and its alias `zhicheng replay` to the main command line."""
    from zhicheng.iot.lake_cli import lake_app

    iot_app.add_typer(lake_app, name="lake")
    from zhicheng.iot import alarms_cli

    alarms_cli.register(iot_app)
    app.add_typer(iot_app, name="iot")
    app.command("replay")(replay)
