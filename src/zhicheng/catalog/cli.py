"""`zhicheng catalog list / show / load / reindex`: the data resource catalog at the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError, Invalid

catalog_app = typer.Typer(help="数据资源目录 / data resource catalog: list, show, load", no_args_is_help=True)
console = Console()

# the operator at the server's console acts with the platform's own authority (as an admin)
CLI_ACTOR = Actor(kind="system", username="cli", display_name="命令行 / cli",
                  roles=frozenset({"system", "admin"}), via="cli")
LOAD_STATES = ("draft", "submitted", "published")


def _factory():
    from zhicheng.cli import open_instance

    return open_instance()[2]


@catalog_app.command("list")
def list_resources(
    q: str | None = typer.Option(None, "--q", "-q", help="检索词 / words to search, e.g. 人口"),
    state: str | None = typer.Option(None, "--state", help="draft submitted returned published withdrawn"),
    size: int = typer.Option(50, "--size", min=1, max=1000, help="最多显示条数 / how many to show"),
) -> None:
    """列出或检索数据资源 / list or search resources."""
    from zhicheng.catalog import codes, search

    with _factory()() as db:
        result = search.search(db, actor=CLI_ACTOR, q=q, filters={"state": [state]} if state else {}, size=size)
        table = Table(title=f"数据资源 / resources: {result.total}")
        for col in ("资源代码 code", "名称 name", "提供部门 provider", "分类 class", "共享 share", "状态 state"):
            table.add_column(col)
        for d in result.items:
            table.add_row(d["code"], d["name"], d["department"]["name"], codes.label("catalog_class",
                          d["catalog_class"]), codes.label("share_type", d["share_type"]),
                          codes.label("state", d["state"]))
        console.print(table)


@catalog_app.command("show")
def show(code: str = typer.Argument(..., help="资源代码 / resource code, e.g. 101015001/000001"),
         as_json: bool = typer.Option(False, "--json", help="以 JSON 输出 / print JSON")) -> None:
    """显示一个数据资源 / show one resource with its data items."""
    from zhicheng.catalog import codes, service

    codes.parse_code(code)
    with _factory()() as db:
        doc = service.read_by_code(db, actor=CLI_ACTOR, code=code)
    if as_json:
        console.print_json(json.dumps(doc, ensure_ascii=False, default=str))
        return
    labels = doc["labels"]
    console.print(f"[bold]{doc['name']}[/]  {doc['code']}  [{labels.get('state')}] 第 {doc['revision']} 版",
                  highlight=False)
    for zh, value in (("提供部门", doc["department"]["name"]), ("分类", labels.get("catalog_class")),
                      ("摘要", doc["summary"]), ("格式", labels.get("format")),
                      ("共享", f"{labels.get('share_type')} {doc.get('share_condition') or doc.get('share_basis') or ''}"),
                      ("开放", labels.get("open_type")), ("更新周期", labels.get("update_cycle")),
                      ("发布日期", doc.get("publish_date") or "—"), ("标签", "、".join(doc["tags"]) or "—")):
        console.print(f"  {zh}: {value}", highlight=False)
    table = Table(title="信息项 / data items")
    for col in ("标识 name", "名称 label", "类型 type", "长度 length", "必填", "个人信息", "级别", "校验"):
        table.add_column(col)
    for i in doc["items"]:
        table.add_row(i["name"], i["label"], i["type"], str(i["length"] or ""), "是" if i["required"] else "",
                      "是" if i["personal"] else "", i["sensitivity"], i["check"] or "")
    console.print(table)


def load_entries(db: Session, *, actor: Actor, entries: Any, publish: bool = False,
                 skip_existing: bool = False) -> dict[str, int]:
    """Register resources from a list of descriptions; every entry is checked before any is stored.

    An entry is shaped like ResourceCreate, with the provider as `department_code` (or `department_id`) and
    optionally `state` (draft, submitted, published). `publish` publishes every entry.
    """
    from zhicheng.catalog import service
    from zhicheng.catalog.models import Resource

    if not isinstance(entries, list):
        raise Invalid("文件内容应为数据资源的 JSON 数组", "the file must hold a JSON array of resources",
                      field="file")
    planned: list[tuple[dict[str, Any], str, int]] = []
    seen: set[tuple[int, str]] = set()
    skipped = 0
    for n, entry in enumerate(entries, start=1):
        try:
            if not isinstance(entry, dict):
                raise Invalid("应为对象", "must be an object", field=None)
            dept_id = service.provider_department(db, actor, entry)
            fields = service.validate(entry)
            state = "published" if publish else str(entry.get("state") or "draft")
            if state not in LOAD_STATES:
                raise Invalid(f"状态应为 {'/'.join(LOAD_STATES)}", f"state must be one of {LOAD_STATES}",
                              field="state")
            key = (dept_id, fields["name"])
            if key in seen:
                raise Invalid("文件中名称重复", "duplicate name in the file", field="name")
            seen.add(key)
            exists = db.query(Resource.id).filter_by(department_id=dept_id, name=fields["name"]).first()
            if exists and skip_existing:
                skipped += 1
                continue
            if exists:
                raise Invalid("该部门已有同名数据资源（可用 --skip-existing 跳过）",
                              "the department already has a resource of this name (--skip-existing skips it)",
                              field="name")
        except AppError as exc:
            where = f"{exc.field}: " if exc.field else ""
            name = entry.get("name") if isinstance(entry, dict) else ""
            raise Invalid(f"第 {n} 条（{name}）{where}{exc.zh}", f"entry {n} ({name}) {where}{exc.en}",
                          field=f"{n - 1}.{exc.field}" if exc.field else str(n - 1)) from None
        planned.append(({**entry, "department_id": dept_id, "department_code": None}, state, n))
    counts = {"draft": 0, "submitted": 0, "published": 0, "skipped": skipped}
    for entry, state, _n in planned:
        res = service.create_resource(db, actor=actor, data=entry)
        if state != "draft":
            service.submit(db, actor=actor, resource_id=res.id, comment="批量登记 / bulk load")
        if state == "published":
            service.review(db, actor=actor, resource_id=res.id, decision="publish", comment="批量登记 / bulk load")
        counts[state] += 1
    return counts


@catalog_app.command("load")
def load(
    file: Path = typer.Argument(..., help="数据资源 JSON 数组文件 / JSON file with a list of resources"),
    publish: bool = typer.Option(False, "--publish", help="登记后直接发布 / publish every resource"),
    skip_existing: bool = typer.Option(False, "--skip-existing", help="跳过已登记的同名资源 / skip existing"),
) -> None:
    """批量登记数据资源 / bulk register resources from a JSON file (all are checked before any is stored)."""
    if not file.is_file():
        raise Invalid(f"找不到文件 {file}", f"no such file: {file}", field="file")
    try:
        entries = json.loads(file.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Invalid(f"不是有效的 UTF-8 JSON 文件：{exc}", f"not a valid UTF-8 JSON file: {exc}", field="file") from None
    with _factory()() as db:
        counts = load_entries(db, actor=CLI_ACTOR, entries=entries, publish=publish, skip_existing=skip_existing)
    console.print(f"[green]已登记 / loaded[/] 草稿 draft {counts['draft']}, 待审核 submitted {counts['submitted']}, "
                  f"已发布 published {counts['published']}, 跳过 skipped {counts['skipped']}", highlight=False)


@catalog_app.command("reindex")
def reindex() -> None:
    """重建检索索引 / rebuild the search index."""
    from zhicheng.catalog import search

    with _factory()() as db:
        n = search.reindex_all(db)
    console.print(f"[green]已重建索引 / reindexed[/] {n}")


def register(app: typer.Typer) -> None:
    """Add `zhicheng catalog ...` to the command line."""
    app.add_typer(catalog_app, name="catalog")
