"""`zhicheng audit verify / export / purge`: the audit log at the command line (run by the server's operator)."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy import func, select

from zhicheng.core import clock
from zhicheng.core.actor import cli_operator
from zhicheng.core.errors import AppError, Invalid
from zhicheng.policy import audit
from zhicheng.policy.audit_query import AuditFilter, export_csv, local_time
from zhicheng.policy.models import AuditEntry

audit_app = typer.Typer(help="审计日志：校验、导出、清理 / audit log: verify, export, purge", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


_operator = cli_operator


def _open():
    from zhicheng.cli import open_instance

    return open_instance()


def _time(value: str | None, field: str) -> datetime | None:
    """A time typed on the command line: 2026-11-01, 2026-11-01T08:00 or with an offset; naive is Beijing time."""
    if value is None or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"--{field} 不是有效时间：{value}（例如 2026-11-01 或 2026-11-01T08:00）",
                      f"--{field} is not a valid time: {value} (e.g. 2026-11-01 or 2026-11-01T08:00)",
                      field=field) from None


@audit_app.command("verify")
def verify_cmd() -> None:
    """校验审计链及其检查点 / verify the HMAC-SM3 chain against its key and signed checkpoints (exit 1 naming the
    first bad entry)."""
    _settings, _engine, factory = _open()
    with factory() as db:
        result = audit.verify(db)
        audit.record(db, actor=_operator(), action="audit.log.verify", target_kind="audit.log",
                     outcome="ok" if result.ok else "failed", detail=result.as_dict())
        db.commit()
    if result.ok:
        console.print(f"[green]完整 / intact[/], {result.entries} entries"
                      + (f"（清理锚点 / purge anchor: {result.anchor_seq}）" if result.anchor_seq else ""))
        console.print(f"链头 / head: seq {result.last_seq}, HMAC-SM3 {result.head_hash}")
        console.print(f"检查点 / checkpoint: seq {result.checkpoint_seq}" if result.checkpoint_seq is not None
                      else "检查点 / checkpoint: 尚无 / none yet")
        return
    when = local_time(result.bad_at) if result.bad_at else "—"
    err_console.print(f"[red]审计链已损坏 / audit chain broken:[/] seq {result.bad_seq}, {when}, {result.problem}: "
                      f"{result.message_zh} / {result.message_en}")
    sys.exit(1)


@audit_app.command("export")
def export_cmd(
    file: Path = typer.Argument(..., help="输出的 CSV 文件 / CSV file to write"),
    since: str | None = typer.Option(None, help="起始时间（含），无时区按北京时间 / from (naive: Beijing time)"),
    until: str | None = typer.Option(None, help="结束时间（含）/ until, inclusive"),
    actor: str | None = typer.Option(None, help="用户名或用户ID / username or user id"),
    action: str | None = typer.Option(None, help="操作或其前缀 / action or dotted prefix"),
    outcome: str | None = typer.Option(None, help="ok | denied | failed | error"),
    lang: str = typer.Option("zh-CN", help="表头语言 / header language: zh-CN or en"),
) -> None:
    """导出审计日志为 CSV / export the audit log (or part of it) to a CSV file."""
    filt = AuditFilter(since=_time(since, "since"), until=_time(until, "until"), actor=actor, action=action,
                       outcome=outcome).cleaned()
    if file.is_dir():
        raise Invalid(f"{file} 是一个目录，请给出文件名", f"{file} is a directory; give a file name", field="file")
    _settings, _engine, factory = _open()
    partial = file.with_name(f".{file.name}.partial")
    rows = -1  # the first chunk is the header
    try:
        with factory() as db, partial.open("w", encoding="utf-8", newline="") as out:
            audit.record(db, actor=_operator(), action="audit.log.export", target_kind="audit.log",
                         detail={"filter": filt.as_params(), "file": str(file.resolve())})
            db.commit()
            for chunk in export_csv(db, filt=filt, lang=lang):
                out.write(chunk)
                rows += 1
        os.replace(partial, file)  # a reader never sees half an export
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise AppError(f"无法写入 {file}：{exc.strerror}", f"cannot write {file}: {exc.strerror}",
                       field="file") from None
    console.print(f"已导出 {rows} 条 / exported {rows} entries → {file}")


@audit_app.command("purge")
def purge_cmd(
    dry_run: bool = typer.Option(False, "--dry-run", help="只统计，不删除 / count only, delete nothing"),
) -> None:
    """清理超过保留期的审计记录，保留校验锚点 / delete entries past retention, keeping the chain verifiable."""
    settings, _engine, factory = _open()
    days = audit.retention_days(settings)
    with factory() as db:
        if dry_run:
            cutoff = clock.now() - timedelta(days=days)
            n = db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.at < cutoff))
            console.print(f"将清理 {n} 条（早于 {local_time(cutoff)}，保留 {days} 天）/ "
                          f"would purge {n} entries older than {days} days")
            return
        result = audit.purge(db, settings=settings, actor=_operator())
    console.print(f"已清理 {result.purged} 条（早于 {local_time(result.cutoff)}，保留 {days} 天）/ "
                  f"purged {result.purged} entries older than {days} days; anchor at seq {result.anchor_seq}")


def register(app: typer.Typer) -> None:
    """Add `zhicheng audit ...` to the main command line."""
    app.add_typer(audit_app, name="audit")
