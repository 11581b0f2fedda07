"""`zhicheng quality rules|propose|run|report|run-due|schedule`: quality rules and runs at the command line."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from zhicheng.core.actor import cli_operator

quality_app = typer.Typer(
    help="数据质量：规则、检测、报告 / data quality: rules, runs, reports", no_args_is_help=True
)
console = Console(highlight=False, soft_wrap=True)


_operator = cli_operator


def _resource_id(db, ref: str) -> int:
    from zhicheng.catalog import service as catalog

    return int(ref) if ref.isdigit() else catalog.get_by_code(db, ref).id


def _open():
    from zhicheng.cli import open_instance

    _settings, engine, factory = open_instance()
    return engine, factory


@quality_app.command("rules")
def rules(
    resource: str = typer.Argument(..., help="资源代码或编号 / resource code or id"),
    add: str = typer.Option(
        None, "--add", help='新增规则 JSON / add a rule, e.g. {"kind":"unique","item":"sfzh"}'
    ),
) -> None:
    """列出（或新增）资源的质量规则 / list (or add) a resource's rules."""
    from zhicheng.core.errors import Invalid
    from zhicheng.quality import service

    engine, factory = _open()
    try:
        with factory() as db:
            rid = _resource_id(db, resource)
            if add:
                try:
                    data = json.loads(add)
                except ValueError:
                    raise Invalid(
                        "--add 应为 JSON 对象", "--add must be a JSON object", field="add"
                    ) from None
                service.define_rule(db, actor=_operator(), resource_id=rid, data=data)
            table = Table("#", "规则 rule", "维度 dimension", "状态 state")
            for r in service.list_rules(db, actor=_operator(), resource_id=rid):
                view = service.rule_view(r)
                table.add_row(str(r.id), view["text"], r.dimension, r.state)
            console.print(table)
    finally:
        engine.dispose()


@quality_app.command("propose")
def propose(
    resource: str = typer.Argument(..., help="资源代码或编号 / resource code or id"),
    accept: bool = typer.Option(False, "--accept", help="全部采纳 / accept them all"),
) -> None:
    """根据信息项和数据画像生成规则建议 / propose rules from the items and a profile of the data."""
    from zhicheng.quality import service

    engine, factory = _open()
    try:
        with factory() as db:
            made = service.propose(db, actor=_operator(), resource_id=_resource_id(db, resource))
            for r in made:
                if accept:
                    service.set_rule_state(db, actor=_operator(), rule_id=r.id, state="active")
                console.print(f"#{r.id}  {service.rule_view(r)['text']}  — {r.reason}")
    finally:
        engine.dispose()
    console.print(f"建议 proposed {len(made)}{'，已采纳 accepted' if accept else ''}")


def _print_report(report: dict) -> None:
    run = report["run"]
    console.print(
        f"{report['resource']['name']}  v{run['version']}  rows={run['rows']}  score={run['score']}  "
        + " ".join(f"{k}={v}" for k, v in run["scores"].items())
    )
    table = Table("规则 rule", "不合格 failed", "样例 samples (row: value)")
    for f in report["findings"]:
        table.add_row(
            f["text"],
            f"{f['failed']}/{f['checked']}",
            "; ".join(f"{s['row']}: {s['value']}" for s in f["samples"][:5]),
        )
    console.print(table)


@quality_app.command("run")
def run(
    resource: str = typer.Argument(..., help="资源代码或编号 / resource code or id"),
    version: int = typer.Option(None, help="版本号，默认最新 / version, the newest by default"),
) -> None:
    """立即运行质量检测并打印报告 / run the rules now and print the report."""
    from zhicheng.quality import service

    engine, factory = _open()
    try:
        with factory() as db:
            rid = _resource_id(db, resource)
            done = service.run(db, actor=_operator(), resource_id=rid, version=version)
            _print_report(service.report(db, actor=_operator(), resource_id=rid, run_id=done.id))
    finally:
        engine.dispose()


@quality_app.command("report")
def report(
    resource: str = typer.Argument(..., help="资源代码或编号 / resource code or id"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
) -> None:
    """最近一次质量报告 / the newest quality report."""
    from fastapi.encoders import jsonable_encoder

    from zhicheng.core.errors import NotFound
    from zhicheng.quality import service

    engine, factory = _open()
    try:
        with factory() as db:
            found = service.report(db, actor=_operator(), resource_id=_resource_id(db, resource))
    finally:
        engine.dispose()
    if found is None:
        raise NotFound("该资源还没有质量检测", "the resource has not been checked yet", field="resource")
    if as_json:
        console.print_json(json.dumps(jsonable_encoder(found), ensure_ascii=False))
    else:
        _print_report(found)


@quality_app.command("run-due")
def run_due() -> None:
    """运行到期的定时检测（供 cron 调用）/ run the scheduled checks that are due (for cron)."""
    from zhicheng.quality import schedules

    engine, factory = _open()
    try:
        with factory() as db:
            made = schedules.run_due(db)
    finally:
        engine.dispose()
    console.print(f"已检测 runs {len(made)}")


@quality_app.command("schedule")
def schedule(
    resource: str = typer.Argument(..., help="资源代码或编号 / resource code or id"),
    hours: int = typer.Argument(..., help="间隔小时数，0 取消 / hours between runs, 0 removes it"),
) -> None:
    """设置定时检测 / run a resource's rules every N hours."""
    from zhicheng.quality import schedules

    engine, factory = _open()
    try:
        with factory() as db:
            schedules.set_schedule(
                db, actor=_operator(), resource_id=_resource_id(db, resource), interval_hours=hours
            )
    finally:
        engine.dispose()
    console.print(f"已设置 scheduled: every {hours} h" if hours else "已取消 removed")


def register(app: typer.Typer) -> None:
    app.add_typer(quality_app, name="quality")
