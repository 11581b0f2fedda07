"""`zhicheng iot rules list|templates|add|add-template|enable|disable|delete` and `zhicheng iot alarms
list|ack|clear|close|sweep`: rules and alarms from the command line (as the system operator, audited)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from zhicheng.core.actor import cli_operator
from zhicheng.core.errors import Invalid

rules_app = typer.Typer(help="告警规则 / alarm rules", no_args_is_help=True)
alarms_app = typer.Typer(help="告警 / alarms", no_args_is_help=True)
console = Console()


def _run(work):
    from zhicheng.cli import open_instance

    _settings, engine, factory = open_instance()
    try:
        with factory() as db:
            return work(db)
    finally:
        engine.dispose()


@rules_app.command("list")
def list_rules() -> None:
    """列出规则 / list the rules."""
    from zhicheng.iot import rules

    def work(db):
        table = Table("id", "名称 name", "类型 kind", "级别 severity", "范围 scope", "启用 enabled")
        for r in rules.list_rules(db, actor=cli_operator()):
            table.add_row(str(r.id), r.name, r.kind, r.severity,
                          f"{r.scope} {r.datastream_id or r.thing_id or r.device_type}", "是" if r.enabled else "否")
        console.print(table)

    _run(work)


@rules_app.command("templates")
def list_templates() -> None:
    """列出场景插件的规则模板 / list the scenario plugins' rule templates."""
    from zhicheng.iot import rules

    table = Table("key", "名称 name", "设备类型 device type", "类型 kind")
    for t in rules.templates().values():
        table.add_row(t.key, t.name, t.device_type, t.kind)
    console.print(table)


@rules_app.command("add")
def add_rule(path: Path = typer.Argument(..., help="规则 JSON 文件 / a rule as JSON")) -> None:
    """由 JSON 文件新建规则（校验失败时指明字段）/ add a rule from a JSON file."""
    from zhicheng.iot import rules

    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Invalid(f"无法读取规则文件：{exc}", f"cannot read the rule file: {exc}", field="path") from None
    rule = _run(lambda db: rules.create(db, actor=cli_operator(), body=body))
    console.print(f"规则 rule {rule.id}: {rule.name}")


@rules_app.command("add-template")
def add_template(key: str = typer.Argument(...),
                 thing_id: int = typer.Option(None, "--device", help="设备编号 / one device"),
                 department_id: int = typer.Option(None, "--department", help="部门（缺省全部）/ department")) -> None:
    """由模板建规则（一台设备或一类设备）/ a rule from a template, for a device or a device type."""
    from zhicheng.iot import rules

    body = rules.from_template(key, thing_id=thing_id, department_id=department_id)
    rule = _run(lambda db: rules.create(db, actor=cli_operator(), body=body))
    console.print(f"规则 rule {rule.id}: {rule.name}")


def _toggle(rule_id: int, enabled: bool) -> None:
    from zhicheng.iot import rules

    _run(lambda db: rules.set_enabled(db, actor=cli_operator(), rule_id=rule_id, enabled=enabled))
    console.print(f"规则 rule {rule_id}: {'enabled' if enabled else 'disabled'}")


@rules_app.command("enable")
def enable(rule_id: int) -> None:
    """启用规则 / enable a rule."""
    _toggle(rule_id, True)


@rules_app.command("disable")
def disable(rule_id: int) -> None:
    """停用规则 / disable a rule."""
    _toggle(rule_id, False)


@rules_app.command("delete")
def delete(rule_id: int) -> None:
    """删除规则 / delete a rule."""
    from zhicheng.iot import rules

    _run(lambda db: rules.delete(db, actor=cli_operator(), rule_id=rule_id))
    console.print(f"规则 rule {rule_id}: deleted")


@alarms_app.command("list")
def list_alarms(state: str = typer.Option("open", help="open | raised | acknowledged | cleared | closed | all"),
                severity: str = typer.Option(None), limit: int = typer.Option(100)) -> None:
    """列出告警 / list alarms."""
    from zhicheng.iot import alarms

    def work(db):
        table = Table("id", "级别 severity", "规则 rule", "设备 device", "值 value", "次数 count", "状态 state",
                      "最近 last")
        for a, t in alarms.list_alarms(db, actor=cli_operator(), state=None if state == "all" else state,
                                       severity=severity, limit=limit):
            table.add_row(str(a.id), a.severity, a.rule_name, t.code, "" if a.value is None else f"{a.value:g}",
                          str(a.count), a.state, str(a.last_raised_at))
        console.print(table)

    _run(work)


def _act(alarm_id: int, action: str, comment: str) -> None:
    from zhicheng.iot import alarms

    alarm = _run(lambda db: alarms.act(db, actor=cli_operator(), alarm_id=alarm_id, action=action, comment=comment))
    console.print(f"告警 alarm {alarm.id}: {alarm.state}")


@alarms_app.command("ack")
def ack(alarm_id: int, comment: str = typer.Option("", "--comment", "-m")) -> None:
    """确认告警 / acknowledge an alarm."""
    _act(alarm_id, "acknowledge", comment)


@alarms_app.command("clear")
def clear(alarm_id: int, comment: str = typer.Option("", "--comment", "-m")) -> None:
    """恢复告警 / clear an alarm."""
    _act(alarm_id, "clear", comment)


@alarms_app.command("close")
def close(alarm_id: int, comment: str = typer.Option("", "--comment", "-m")) -> None:
    """关闭告警 / close an alarm."""
    _act(alarm_id, "close", comment)


@alarms_app.command("sweep")
def sweep() -> None:
    """立即检查无数据/离线规则（服务运行时每分钟自动检查）/ check the no-data rules now (the server does every
    minute)."""
    from zhicheng.iot import rule_engine

    silent = _run(rule_engine.sweep)
    console.print(f"无数据的来源 silent sources: {silent}")


def register(iot_app: typer.Typer) -> None:
    """`zhicheng iot rules …` and `zhicheng iot alarms …`."""
    iot_app.add_typer(rules_app, name="rules")
    iot_app.add_typer(alarms_app, name="alarms")
