"""`zhicheng demo`: create (or reuse) the demo city 长沙市 in the data folder, load it once, and serve it."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from zhicheng.accounts.roles import ROLE_NAMES
from zhicheng.core.errors import Invalid
from zhicheng.core.settings import Settings
from zhicheng.demo import city

console = Console()


def reset_database(settings: Settings) -> bool:
    """Delete the data folder's SQLite database (and the demo marker); False when there was none."""
    from zhicheng.demo.marker import remove_marker

    if not settings.is_sqlite:
        raise Invalid("--reset 只删除数据目录中的 SQLite 演示数据库；已配置外部数据库（ZHICHENG_DATABASE_URL），"
                      "请由数据库管理员清理", "--reset only deletes the data folder's SQLite demo database; an external "
                      "database is configured (ZHICHENG_DATABASE_URL): ask its administrator to clear it",
                      field="reset")
    path = settings.data / "zhicheng.db"
    existed = path.exists()
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    # the old chain's checkpoints go with it (they would name its entries as removed from the new one)
    from zhicheng.policy.anchor import checkpoint_file

    checkpoint_file(settings).unlink(missing_ok=True)
    remove_marker(settings)
    return existed


def logins_table(password: str) -> Table:
    """One demo login per role: role, username, password, name and unit (usernames never truncated)."""
    table = Table(title="演示账号 / demo logins", title_justify="left")
    table.add_column("角色 role")
    table.add_column("用户名 username", no_wrap=True)
    table.add_column("密码 password", no_wrap=True)
    table.add_column("姓名 name", no_wrap=True)
    table.add_column("单位 unit")
    for user in city.USERS:
        if user.shown:
            table.add_row(ROLE_NAMES[user.roles[0]][0], user.username, password, user.display_name, user.unit)
    return table


def register(app: typer.Typer) -> None:
    """Add the `demo` command to the zhicheng CLI."""

    @app.command()
    def demo(
        host: str | None = typer.Option(None, help="监听地址 / host (default 127.0.0.1)"),
        port: int | None = typer.Option(None, help="端口 / port (ZHICHENG_PORT, default 8000)"),
        load_only: bool = typer.Option(False, "--load-only", help="只装载演示数据，不启动服务 / load and exit"),
        reset: bool = typer.Option(False, "--reset", help="先删除数据目录中的演示数据库 / delete the demo database first"),
        yes: bool = typer.Option(False, "--yes", "-y", help="不再确认 / do not ask for confirmation"),
    ) -> None:
        """启动演示城市长沙市（首次运行时装载演示数据）/ run the demo city 长沙市 (loading it on first run)."""
        from zhicheng.cli import open_instance, run_server
        from zhicheng.demo.loader import check_demo_password, load_demo

        settings = Settings()
        if port is not None and not 0 < port < 65536:
            raise Invalid(f"端口 {port} 无效，应在 1–65535 之间", f"invalid port {port}: use 1-65535", field="port")
        check_demo_password()
        if reset:
            target = settings.data.resolve() / "zhicheng.db"
            if not yes and not typer.confirm(f"删除演示数据库 {target} 及其中的全部数据？/ delete it and all its data?"):
                raise typer.Abort()
            if reset_database(settings):
                console.print(f"[yellow]已删除 / deleted[/] {target}")
        settings, _engine, factory = open_instance(settings)
        with console.status("正在装载演示城市 长沙市 / loading the demo city…") as status:
            result = load_demo(settings, factory, progress=lambda msg: status.update(f"装载 / loading: {msg}"))
        if result.loaded:
            counts = result.counts
            console.print(f"[green]演示城市已装载 / demo loaded[/] in {result.seconds:.1f} s: "
                          f"{counts.get('departments', 0)} 个部门 departments, {counts.get('users', 0)} 个用户 users, "
                          f"{counts.get('resources', 0)} 个数据资源 resources")
        else:
            console.print("演示城市已存在，沿用现有数据 / the demo city is already loaded: keeping its data")
        console.print(f"数据目录 / data folder: {settings.data.resolve()}")
        console.print(logins_table(city.demo_password()))
        if load_only:
            return
        bind_host, bind_port = host or settings.host, port or settings.port
        console.print(f"[bold]打开 / open[/] http://{bind_host}:{bind_port}/  （Ctrl+C 停止 / to stop）")
        from zhicheng.demo.iot_replay import running_replay  # the IoT replay runs while the demo serves

        with running_replay(factory):
            run_server(settings, bind_host, bind_port)
