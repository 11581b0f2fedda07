"""`zhicheng exchange escalate / requests`: overdue share requests at the command line (cron or the operator)."""

from __future__ import annotations

import typer
from rich.console import Console

from zhicheng.core.actor import cli_operator

exchange_app = typer.Typer(help="共享交换：督办逾期申请、查看申请 / sharing: escalate overdue requests, list them",
                           no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)


_operator = cli_operator


@exchange_app.command()
def escalate() -> None:
    """督办超过答复期限的共享申请（提交平台管理员）/ escalate requests past their deadline to the admin."""
    from zhicheng.cli import open_instance
    from zhicheng.exchange import service

    _settings, engine, factory = open_instance()
    try:
        with factory() as db:
            found = service.escalate_overdue(db, actor=_operator())
            for req in found:
                console.print(f"#{req.id}  {req.resource_name}  期限/due {req.due_date.isoformat()}")
    finally:
        engine.dispose()
    console.print(f"已督办 escalated {len(found)}")


@exchange_app.command("requests")
def list_requests(state: str = typer.Option("pending", help="pending | granted | refused | all")) -> None:
    """列出共享申请及其期限 / list share requests with their deadlines."""
    from sqlalchemy import select

    from zhicheng.cli import open_instance
    from zhicheng.core.errors import Invalid
    from zhicheng.core.workdays import service as workdays
    from zhicheng.exchange.models import ShareRequest

    if state not in ("pending", "granted", "refused", "all"):
        raise Invalid("state 须为 pending、granted、refused 或 all", "state must be pending, granted, refused or all",
                      field="state")
    _settings, engine, factory = open_instance()
    try:
        with factory() as db:
            q = select(ShareRequest).order_by(ShareRequest.due_date, ShareRequest.id)
            if state != "all":
                q = q.where(ShareRequest.state == state)
            for req in db.scalars(q):
                flag = " 逾期/overdue" if req.state == "pending" and workdays.is_overdue(req.due_date) else ""
                console.print(f"#{req.id}  {req.state}  {req.resource_name}  期限/due {req.due_date.isoformat()}"
                              f"{flag}")
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    """Add `zhicheng exchange ...` to the main command line."""
    app.add_typer(exchange_app, name="exchange")
