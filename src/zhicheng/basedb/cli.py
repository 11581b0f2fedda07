"""`zhicheng basedb templates|define|run|conflicts`: base databases from the command line."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from zhicheng.core.errors import AppError


def _actor():
    from zhicheng.core.actor import SYSTEM

    return replace(SYSTEM, via="cli")


def templates() -> None:
    """列出基础库模板及其标准字段 / list the base database templates and their fields."""
    from zhicheng.basedb.templates import TEMPLATES

    console = Console()
    for t in TEMPLATES.values():
        table = Table(title=f"{t.code} · {t.name} / {t.name_en}", title_justify="left")
        for col in ("field", "label", "type", "key", "check"):
            table.add_column(col)
        for f in t.fields:
            table.add_row(f.name, f.label, f.type, "✓" if f.key else "", f.check or "")
        console.print(table)


def define(file: Path = typer.Argument(..., help="基础库定义 JSON / the definition as JSON")) -> None:
    """按定义文件创建基础库 / define a base database from a JSON file."""
    from zhicheng.basedb import flows
    from zhicheng.cli import open_instance

    if not file.is_file():
        raise AppError(f"文件不存在：{file}", f"no such file: {file}", field="file")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise AppError(
            f"定义文件不是有效的 JSON：{exc}", f"the definition is not valid JSON: {exc}", field="file"
        ) from None
    _settings, engine, factory = open_instance()
    try:
        with factory() as db:
            asm = flows.define_assembly(db, actor=_actor(), data=data)
            Console().print(
                f"已定义 / defined: {asm.id} {asm.name} (resource {asm.resource_id})", markup=False
            )
    finally:
        engine.dispose()


def run(assembly_id: int = typer.Argument(..., help="基础库编号 / assembly id")) -> None:
    """运行汇聚，生成新版本 / run an assembly (a new version of the base database)."""
    from zhicheng.basedb import flows
    from zhicheng.cli import open_instance, record_lineage

    _settings, engine, factory = open_instance()
    record_lineage(factory)
    try:
        with factory() as db:
            r = flows.run_assembly(db, actor=_actor(), assembly_id=assembly_id)
            s = r.stats
            Console().print(
                f"version={r.version} records={r.record_count} conflicts={r.conflict_count} "
                f"by_key={s['by_key']} by_er={s['by_er']} keyless={s['keyless']} "
                f"clusters={s['clusters']} duplicates={s['duplicates']}",
                markup=False,
            )
    finally:
        engine.dispose()


def conflicts(all: bool = typer.Option(False, "--all", help="包括已办结 / include closed tasks")) -> None:
    """列出数据冲突核查任务 / list the conflict tasks."""
    from zhicheng.basedb import service
    from zhicheng.cli import open_instance

    _settings, engine, factory = open_instance()
    try:
        with factory() as db:
            tasks = service.list_tasks(db, actor=_actor(), state=None if all else "open")
    finally:
        engine.dispose()
    table = Table(title="数据冲突核查 / conflict tasks", title_justify="left")
    for col in ("#", "assembly", "resource", "department", "conflicts", "due", "state"):
        table.add_column(col)
    for t in tasks:
        table.add_row(
            str(t["id"]),
            t["assembly_name"] or "",
            t["resource_name"],
            str(t["department_id"]),
            str(t["conflicts"]),
            t["due_date"],
            t["state"] + (" (overdue)" if t["overdue"] else ""),
        )
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add `zhicheng basedb …` to the command line."""
    group = typer.Typer(help="基础库 / base databases", no_args_is_help=True)
    group.command("templates")(templates)
    group.command("define")(define)
    group.command("run")(run)
    group.command("conflicts")(conflicts)
    app.add_typer(group, name="basedb")
