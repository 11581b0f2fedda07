"""`zhicheng user add / list / passwd / roles / unlock / deactivate`: accounts at the command line."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from zhicheng.accounts.roles import ROLE_NAMES, Role
from zhicheng.core.actor import Actor

user_app = typer.Typer(help="用户管理 / users: add, list, passwords, roles, unlock", no_args_is_help=True)
console = Console()

# the operator at the console of the server is the system administrator (三员分立): the accounts of the security
# admin and the auditor are theirs only with `--as` a security admin (whose password is asked)
CLI_ACTOR = Actor(kind="system", username="cli", roles=frozenset({Role.ADMIN}), via="cli")
ROLES_HELP = "角色 / role: " + ", ".join(f"{r}（{zh}）" for r, (zh, _en) in ROLE_NAMES.items())
_acting: dict[str, str | None] = {"as": None, "password": None}


@user_app.callback()
def acting_as(
    as_: str | None = typer.Option(None, "--as", help="以此用户身份操作（如安全管理员），需其密码 / act as this user "
                                   "(e.g. a security admin), with their password"),
    as_password: str | None = typer.Option(None, "--as-password", envvar="ZHICHENG_AS_PASSWORD",
                                           help="--as 用户的密码（不填则提示）/ its password (prompted when omitted)"),
) -> None:
    """Who the following command acts as: the console's system administrator, or `--as` a named user."""
    _acting["as"], _acting["password"] = as_, as_password


def _actor(db) -> Actor:
    """The console's system administrator, or the `--as` user once their password is checked (a wrong one is audited
    and refused like a failed login)."""
    from zhicheng.accounts import service

    if not _acting["as"]:
        return CLI_ACTOR
    secret = _acting["password"] or typer.prompt(f"{_acting['as']} 的密码 / password", hide_input=True)
    return service.actor_for(service.authenticate(db, username=_acting["as"], password=secret), via="cli")


def _factory():
    from zhicheng.cli import open_instance

    return open_instance()[2]


def _ask_password(password: str | None) -> str:
    if password:
        return password
    return typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True)


@user_app.command("add")
def add(
    username: str = typer.Argument(..., help="用户名 / username"),
    department: str = typer.Option(..., "--department", "-d", help="部门编码 / department code, e.g. 430100-001"),
    role: list[str] = typer.Option([], "--role", "-r", help=ROLES_HELP),
    name: str | None = typer.Option(None, "--name", help="姓名 / display name (default: the username)"),
    password: str | None = typer.Option(None, "--password", envvar="ZHICHENG_USER_PASSWORD",
                                        help="密码（不填则提示输入）/ password (prompted when omitted)"),
) -> None:
    """新建用户 / add a user to a department with roles."""
    from zhicheng.accounts import service

    with _factory()() as db:
        dept = service.get_department_by_code(db, department)
        secret = _ask_password(password)
        user = service.create_user(db, actor=_actor(db), username=username, password=secret,
                                   display_name=name or username, department_id=dept.id, roles=role)
        console.print(f"[green]已创建 / created[/] {user.username} · {dept.name} ({dept.code}) · "
                      f"{', '.join(sorted(user.roles)) or '—'}", highlight=False)


@user_app.command("list")
def list_users(department: str | None = typer.Option(None, "--department", "-d", help="部门编码 / department code")
               ) -> None:
    """列出用户 / list users."""
    from zhicheng.accounts import service

    with _factory()() as db:
        dept_id = service.get_department_by_code(db, department).id if department else None
        users, total = service.list_users(db, department_id=dept_id, limit=100_000)
        table = Table("用户名 / username", "姓名 / name", "部门 / department", "角色 / roles", "状态 / state")
        for u in users:
            state = "停用 / inactive" if not u.active else ("锁定 / locked" if service.is_locked(u) else "正常 / active")
            table.add_row(u.username, u.display_name, u.department.code, ", ".join(sorted(u.roles)), state)
        console.print(table)
        console.print(f"共 {total} 个用户 / {total} users", highlight=False)


@user_app.command("passwd")
def passwd(
    username: str = typer.Argument(..., help="用户名 / username"),
    password: str | None = typer.Option(None, "--password", envvar="ZHICHENG_USER_PASSWORD",
                                        help="新密码（不填则提示输入）/ new password (prompted when omitted)"),
) -> None:
    """重置用户密码（并解锁、结束其会话）/ set a user's password (unlocks, ends their sessions)."""
    from zhicheng.accounts import service

    with _factory()() as db:
        user = service.get_user_by_username(db, username)
        service.reset_password(db, actor=_actor(db), id=user.id, new_password=_ask_password(password))
        console.print(f"[green]密码已重置 / password set[/] {username}", highlight=False)


@user_app.command("roles")
def roles(
    username: str = typer.Argument(..., help="用户名 / username"),
    set_: list[str] = typer.Option(..., "--set", help=ROLES_HELP + "（可重复 / repeatable）"),
) -> None:
    """设置用户角色 / replace a user's roles."""
    from zhicheng.accounts import service

    with _factory()() as db:
        user = service.get_user_by_username(db, username)
        values = [r for item in set_ for r in item.replace("，", ",").split(",") if r.strip()]
        user = service.set_roles(db, actor=_actor(db), id=user.id, roles=[r.strip() for r in values])
        console.print(f"[green]角色已更新 / roles set[/] {username}: {', '.join(sorted(user.roles)) or '—'}",
                      highlight=False)


@user_app.command("unlock")
def unlock(username: str = typer.Argument(..., help="用户名 / username")) -> None:
    """解除登录锁定 / clear a lock-out after failed logins."""
    from zhicheng.accounts import service

    with _factory()() as db:
        user = service.get_user_by_username(db, username)
        service.unlock_user(db, actor=_actor(db), id=user.id)
        console.print(f"[green]已解锁 / unlocked[/] {username}", highlight=False)


@user_app.command("deactivate")
def deactivate(username: str = typer.Argument(..., help="用户名 / username")) -> None:
    """停用用户 / deactivate a user (their sessions, tokens and keys stop working)."""
    from zhicheng.accounts import service

    with _factory()() as db:
        user = service.get_user_by_username(db, username)
        service.deactivate_user(db, actor=_actor(db), id=user.id)
        console.print(f"[green]已停用 / deactivated[/] {username}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add `zhicheng user ...` to the main command line."""
    app.add_typer(user_app, name="user")
