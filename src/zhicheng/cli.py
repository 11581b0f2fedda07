"""The command line: `zhicheng init / demo / serve / import / id / user / audit / bench`, and the plugins' groups."""

from __future__ import annotations

import importlib
import runpy
import sys
from pathlib import Path

import typer
from rich.console import Console

from zhicheng.core.errors import AppError
from zhicheng.core.settings import Settings, get_settings

app = typer.Typer(help="智城 zhicheng — 城市大脑数据平台 / city data platform", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)

# each domain's cli module exposes register(app)
DOMAIN_CLIS = ["zhicheng.core.ids.cli", "zhicheng.accounts.cli", "zhicheng.policy.cli",
               "zhicheng.catalog.cli", "zhicheng.catalog.datasets.cli", "zhicheng.exchange.cli", "zhicheng.holidays.cli",
               "zhicheng.demo.cli", "zhicheng.opendata.cli", "zhicheng.quality.cli", "zhicheng.basedb.cli",
               "zhicheng.lineage.cli", "zhicheng.plugins.cli", "zhicheng.geo.cli",
               "zhicheng.exchange.subscriptions.cli", "zhicheng.iot.cli"]
BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"


def open_instance(settings: Settings | None = None):
    """Settings, engine and sessionmaker of a migrated instance (creating the data folder if needed)."""
    from zhicheng.core.db import make_engine, make_sessionmaker, migrate

    settings = settings or get_settings()
    settings.ensure_data_dir()
    engine = make_engine(settings.db_url)
    migrate(engine)
    _anchor_audit(engine, settings)
    return settings, engine, make_sessionmaker(engine)


def acting_user(db, username: str | None, password: str | None):
    """The actor of a console command: `--as` a named user once their password is checked (a wrong one is audited
    and refused like a failed login), or else the console operator, recorded as cli:<OS account>."""
    from zhicheng.core.actor import cli_operator

    if not username:
        return cli_operator()
    from zhicheng.accounts import service as accounts

    secret = password or typer.prompt(f"{username} 的密码 / password", hide_input=True)
    return accounts.actor_for(accounts.authenticate(db, username=username, password=secret), via="cli")


def record_lineage(factory) -> None:
    """As the server's start-up does: what this command imports or assembles enters the lineage graph. The command
    line wires lineage as the app does, so that the domains it observes (catalog, basedb) never import it."""
    from zhicheng.lineage.service import attach

    attach(factory)


def _anchor_audit(engine, settings: Settings) -> None:
    """The audit chain's key for this command, and a checkpoint of the head when the command ends (when its click
    context closes: a command run in-process, as tests do, leaves nothing behind for interpreter exit)."""
    import atexit

    import click

    from zhicheng.policy.anchor import attach

    anchor = attach(engine, settings)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(lambda: anchor.stop(engine))
    else:
        atexit.register(anchor.stop, engine)


def server_options(settings: Settings, host: str | None = None, port: int | None = None) -> dict:
    """uvicorn's options for `zhicheng serve`. Forwarded headers are believed only from ZHICHENG_TRUSTED_PROXIES,
    by the app itself (zhicheng.web.client_ip): uvicorn's own proxy_headers would believe any local client."""
    return {"host": host or settings.host, "port": port or settings.port, "log_level": "info",
            "proxy_headers": False}


def run_server(settings: Settings, host: str | None, port: int | None, workers: int | None = None) -> None:
    """One process, or `workers` processes sharing the port (each builds its app from the environment's settings:
    uvicorn starts them from the import string; each has its own fast lanes and background threads)."""
    import uvicorn

    from zhicheng.web.app import create_app

    workers = workers or settings.workers
    if settings.bus_url:
        from zhicheng.core.bus_redis import check_url

        check_url(settings.bus_url)
    if workers > 1:
        uvicorn.run("zhicheng.web.app:create_app", factory=True, workers=workers,
                    **server_options(settings, host, port))
        return
    uvicorn.run(create_app(settings), **server_options(settings, host, port))


@app.command()
def init(
    admin: str = typer.Option("admin", help="第一个平台管理员的用户名 / first admin's username"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                                 envvar="ZHICHENG_ADMIN_PASSWORD", help="管理员密码 / admin password"),
    security_admin: str = typer.Option("secadmin", help="安全管理员的用户名 / security admin's username"),
    security_admin_password: str | None = typer.Option(
        None, envvar="ZHICHENG_SECURITY_ADMIN_PASSWORD", help="安全管理员密码（终端上不填则提示）/ security admin "
        "password (prompted on a terminal)"),
    auditor: str = typer.Option("auditor", help="审计员的用户名 / auditor's username"),
    auditor_password: str | None = typer.Option(
        None, envvar="ZHICHENG_AUDITOR_PASSWORD", help="审计员密码（终端上不填则提示）/ auditor password"),
) -> None:
    """创建一个空实例、第一个系统管理员，以及安全管理员和审计员（三员分立）/ create an empty instance with its first
    system admin, security admin and auditor (separation of the three duties)."""
    from zhicheng.accounts import service as accounts

    settings, _engine, factory = open_instance()
    city = {"city_name": settings.city_name, "city_code": settings.city_code}
    duties = (("security_admin", security_admin, security_admin_password), ("auditor", auditor, auditor_password))
    with factory() as db:
        made = []
        # an instance initialised before the three duties: init again creates the missing security admin and auditor
        if not (any(d[2] for d in duties) and accounts.has_active_duty(db, "admin")):
            accounts.bootstrap_admin(db, username=admin, password=password, **city)
            made.append(f"admin: {admin}")
        for role, name, secret in duties:
            if accounts.has_active_duty(db, role) and secret is None:
                continue
            if secret is None and sys.stdin.isatty():
                secret = typer.prompt(f"{role} {name} 的密码 / password", hide_input=True, confirmation_prompt=True)
            if secret is None:
                console.print(f"[yellow]未创建 {role}（设置 ZHICHENG_{role.upper()}_PASSWORD）/ no {role} created[/]")
                continue
            accounts.bootstrap_duty(db, role=role, username=name, password=secret, **city)
            made.append(f"{role}: {name}")
    console.print(f"[green]已初始化 / initialised[/] {settings.data.resolve()}  {'  '.join(made)}")


@app.command()
def serve(
    host: str | None = typer.Option(None, help="监听地址 / host"),
    port: int | None = typer.Option(None, help="端口 / port (ZHICHENG_PORT)"),
    workers: int | None = typer.Option(None, min=1, max=64,
                                       help="工作进程数 / worker processes (ZHICHENG_WORKERS, default 1)"),
) -> None:
    """运行已配置的实例 / run a configured instance."""
    settings, _engine, _factory = open_instance()
    run_server(settings, host, port, workers)


@app.command()
def bench(name: str = typer.Argument(..., help="基准名称 / benchmark name, e.g. import")) -> None:
    """运行一个基准测试 / run one benchmark from bench/ (ends with a BENCH line)."""
    script = BENCH_DIR / f"bench_{name}.py"
    if not script.exists():
        known = sorted(p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))
        raise AppError(f"没有名为 {name} 的基准；可用：{', '.join(known)}",
                       f"no benchmark named {name}; known: {', '.join(known)}", field="name")
    runpy.run_path(str(script), run_name="__main__")


def _register_domains() -> None:
    for name in DOMAIN_CLIS:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if not (exc.name and name.startswith(exc.name)):
                raise
            continue
        mod.register(app)


def _command_names() -> set[str]:
    """The names the command line already answers to (commands and command groups)."""
    names = {c.name or (c.callback.__name__.replace("_", "-") if c.callback else "") for c in app.registered_commands}
    return names | {g.name or "" for g in app.registered_groups}


def _mount_plugin_commands(plugins=None) -> None:
    """Each plugin's command groups (hook zhicheng_commands) as `zhicheng <name> …`, after the domains': a name
    already taken is left to its owner and the plugin's group skipped with a warning."""
    from zhicheng.hookspecs import by_plugin, installed

    taken = _command_names()
    pm = plugins if plugins is not None else installed()
    for plugin, given in by_plugin(pm.hook.zhicheng_commands):
        for entry in given or ():
            name, group = entry if isinstance(entry, tuple) else (getattr(entry.info, "name", None), entry)
            if not (isinstance(name, str) and name and isinstance(group, typer.Typer)):
                raise TypeError(f"plugin {plugin}: zhicheng_commands must give (name, typer.Typer) pairs, not {entry!r}")
            if name in taken:
                err_console.print(f"[yellow]插件 {plugin} 的命令 {name} 与已有命令重名，未加载 / plugin {plugin}: "
                                  f"command {name} is taken, skipped[/]", highlight=False)
                continue
            app.add_typer(group, name=name)
            taken.add(name)


_register_domains()
_mount_plugin_commands()


def main() -> None:
    """Entry point: a user error is one line on stderr and exit code 1, never a traceback."""
    try:
        code = app(standalone_mode=False)
    except AppError as exc:
        lang = get_settings().language
        err_console.print(f"[red]错误 / error:[/] {exc.message(lang)}", highlight=False)
        sys.exit(1)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("已取消 / aborted")
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors come through here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        err_console.print(f"[red]错误 / error:[/] {type(exc).__name__}: {exc}", highlight=False)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
