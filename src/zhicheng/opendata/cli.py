"""`zhicheng open stats / keys / limit / applications`: the open-data portal at the command line."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from zhicheng.core.actor import cli_operator

open_app = typer.Typer(
    help="数据开放平台：统计、API 密钥、访问限额 / open-data portal: statistics, keys, limits",
    no_args_is_help=True,
)
keys_app = typer.Typer(help="开放平台 API 密钥 / portal API keys", no_args_is_help=True)
open_app.add_typer(keys_app, name="keys")
console = Console(highlight=False, soft_wrap=True)


_operator = cli_operator


def _session():
    from zhicheng.cli import open_instance

    _settings, engine, factory = open_instance()
    return engine, factory


@open_app.command("stats")
def stats_cmd(days: int = typer.Option(30, help="统计天数 / days (1–366)")) -> None:
    """开放率、单位覆盖率与使用量 / KPIs and usage (views, downloads, API calls)."""
    from zhicheng.opendata.stats import service as stats

    engine, factory = _session()
    try:
        with factory() as db:
            k = stats.kpis(db)
            totals = stats.totals(db)
            top = stats.by_resource(db, days=days, limit=10)
            daily = stats.daily(db, days=days)
    finally:
        engine.dispose()
    mark = lambda ok: "[green]达标 met[/]" if ok else "[yellow]未达标 not met[/]"  # noqa: E731
    console.print(
        f"开放率 open rate: {k['open_rate'] * 100:.1f}% ({k['open']}/{k['catalogued']}, "
        f"目标 target {k['open_rate_target'] * 100:.0f}%) {mark(k['open_rate_met'])}"
    )
    console.print(
        f"开放单位覆盖率 coverage: {k['coverage'] * 100:.1f}% ({k['open_departments']}/{k['departments']}, "
        f"目标 target {k['coverage_target'] * 100:.0f}%) {mark(k['coverage_met'])}"
    )
    recent = {key: sum(d[key] for d in daily) for key in ("views", "downloads", "api_calls")}
    console.print(
        f"累计 total: 浏览 views {totals['views']}  下载 downloads {totals['downloads']}  "
        f"调用 API calls {totals['api_calls']}"
    )
    console.print(
        f"近 {days} 天 last {days} days: 浏览 views {recent['views']}  下载 downloads "
        f"{recent['downloads']}  调用 API calls {recent['api_calls']}"
    )
    if top:
        table = Table("id", "数据集 dataset", "浏览 views", "下载 downloads", "调用 API calls")
        for t in top:
            table.add_row(
                str(t["resource_id"]), t["name"], str(t["views"]), str(t["downloads"]), str(t["api_calls"])
            )
        console.print(table)


@keys_app.command("list")
def keys_list(user: str | None = typer.Option(None, help="开放平台用户名 / portal username")) -> None:
    """列出开放平台 API 密钥（不显示密钥本身）/ list portal keys (never the keys themselves)."""
    from sqlalchemy import select

    from zhicheng.opendata import service
    from zhicheng.opendata.models import PortalKey
    from zhicheng.opendata.users.models import PortalUser

    engine, factory = _session()
    try:
        with factory() as db:
            q = (
                select(PortalKey, PortalUser.username)
                .join(PortalUser, PortalUser.id == PortalKey.user_id)
                .order_by(PortalKey.id)
            )
            if user:
                q = q.where(PortalUser.username == user)
            rows = [(service.key_out(k), name) for k, name in db.execute(q)]
    finally:
        engine.dispose()
    for k, name in rows:
        console.print(
            f"#{k['id']}  {name}  {k['name']}  {k['prefix']}  {k['state']}  "
            f"{k['rate_per_minute']}/min  expires {k['expires_at'] or '—'}"
        )
    console.print(f"共 total {len(rows)}")


@keys_app.command("revoke")
def keys_revoke(key_id: int = typer.Argument(..., help="密钥编号 / key id")) -> None:
    """吊销一个开放平台密钥（下一次调用即拒绝）/ revoke a portal key (refused from the next call)."""
    from zhicheng.opendata import service

    engine, factory = _session()
    try:
        with factory() as db:
            row = service.revoke_key(db, user=None, key_id=key_id, actor=_operator())
            console.print(f"已吊销 revoked #{row.id} ({row.prefix})")
    finally:
        engine.dispose()


@keys_app.command("limit")
def keys_limit(
    key_id: int = typer.Argument(..., help="密钥编号 / key id"),
    rate: int | None = typer.Option(None, help="每分钟次数；不填为默认 / per minute; omit for default"),
) -> None:
    """设置密钥自己的限额 / set a key's own limit (per resource and minute)."""
    from zhicheng.opendata import service

    engine, factory = _session()
    try:
        with factory() as db:
            row = service.set_key_limit(db, actor=_operator(), key_id=key_id, rate_per_minute=rate)
            console.print(f"#{row.id}: {service.key_out(row)['rate_per_minute']} /min")
    finally:
        engine.dispose()


@open_app.command("limit")
def resource_limit(
    resource_id: int = typer.Argument(..., help="资源编号 / resource id"),
    rate: int | None = typer.Option(None, help="每分钟次数；不填为清除 / per minute; omit to clear"),
) -> None:
    """设置开放数据集的访问限额（每个客户端每分钟）/ set a dataset's limit per client and minute."""
    from zhicheng.opendata import service

    engine, factory = _session()
    try:
        with factory() as db:
            service.set_resource_limit(db, actor=_operator(), resource_id=resource_id, rate_per_minute=rate)
    finally:
        engine.dispose()
    console.print(f"#{resource_id}: {rate if rate else '默认 default'}")


@open_app.command("applications")
def applications(state: str = typer.Option("pending", help="pending | approved | refused")) -> None:
    """列出有条件开放申请 / list applications for 有条件开放 data."""
    from zhicheng.opendata import service

    engine, factory = _session()
    try:
        with factory() as db:
            rows = service.staff_applications(db, actor=_operator(), state=state)
            for a in rows:
                console.print(f"#{a.id}  {a.state}  {a.resource_name}  {a.purpose[:40]}")
            console.print(f"共 total {len(rows)}")
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    """Add `zhicheng open ...` to the main command line."""
    app.add_typer(open_app, name="open")
