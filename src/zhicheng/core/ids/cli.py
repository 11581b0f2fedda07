"""`zhicheng id check VALUE` and `zhicheng id region CODE`: identifiers at the command line."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from zhicheng.core.errors import Invalid, NotFound
from zhicheng.core.ids import identify, regions

id_app = typer.Typer(help="证件号码与区划代码 / identifiers: citizen ID, credit code, region code",
                     no_args_is_help=True)
console = Console()


def _fail(zh: str, en: str, field: str) -> None:
    """A user error: zhicheng.cli.main prints it as one line on stderr and exits with code 1."""
    raise Invalid(zh, en, field=field)


def _region_text(path: list[str], retired: bool) -> str:
    text = " › ".join(path) or "—"
    return text + (" [yellow]（已撤销 / retired）[/]" if retired else "")


def _details_table(result: dict) -> Table:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    d = result["details"]
    table.add_row("类型 / kind", f"{result['kind_zh']} / {result['kind_en']}")
    table.add_row("结果 / result", "[green]有效 / valid[/]")
    if result["kind"] == "citizen_id":
        table.add_row("号码 / number", d["number"] + (f"（由 15 位 {d['legacy']} 转换 / converted）" if d["legacy"] else ""))
        table.add_row("出生日期 / birth date", d["birth_date"])
        table.add_row("性别 / sex", f"{d['sex_zh']} / {'male' if d['sex'] == 'M' else 'female'}")
        table.add_row("地区 / region", f"{d['region_code']} {_region_text(d['region_path'], d['region_retired'])}")
        if not d["region_valid_at_birth"]:
            table.add_row("", "[yellow]出生时该代码尚未启用或已停用 / code not in force at birth[/]")
    elif result["kind"] == "credit_code":
        table.add_row("代码 / code", d["code"])
        table.add_row("登记管理部门 / authority", f"{d['authority']} {d['authority_zh']} / {d['authority_en']}")
        table.add_row("机构类别 / type", f"{d['org_type']} {d['org_type_zh']} / {d['org_type_en']}")
        table.add_row("地区 / region", f"{d['region_code']} {_region_text(d['region_path'], d['region_retired'])}")
        table.add_row("组织机构代码 / org code", d["org_code"])
        for warning in d["warnings"]:
            table.add_row("[yellow]警告 / warning[/]", f"{warning['zh']} / {warning['en']}")
    else:
        _region_rows(table, d)
    return table


def _region_rows(table: Table, d: dict) -> None:
    table.add_row("代码 / code", d["code"])
    table.add_row("名称 / name", d["name"])
    table.add_row("级别 / level", f"{d['level_zh']} / {d['level']}")
    table.add_row("路径 / path", _region_text(d["path"], d["retired"]))
    span = f"{d['valid_from'] or '—'} → {d['valid_to'] or '今 / now'}"
    table.add_row("有效期 / valid", span)
    if d["successors"]:
        table.add_row("现为 / now part of", "、".join(f"{s['code']} {s['name']}" for s in d["successors"]))


@id_app.command("check")
def check(
    value: str = typer.Argument(..., help="身份证号码、统一社会信用代码或区划代码 / citizen ID, credit code or region code"),
    strict: bool = typer.Option(False, "--strict", help="信用代码校验码错误视为错误 / legacy checksum faults are errors"),
) -> None:
    """识别并校验一个号码 / identify and check a number."""
    result = identify(value, legacy="error" if strict else "warn")
    if not result["valid"]:
        err = result["error"]
        if result["kind"] == "unknown":
            _fail(err["zh"], err["en"], "value")
        _fail(f"{result['kind_zh']}无效：{err['zh']}", f"invalid {result['kind_en']}: {err['en']}", "value")
    console.print(_details_table(result))


@id_app.command("region")
def region(
    code: str = typer.Argument(..., help="GB/T 2260 区划代码 / region code (2, 4, 6, 9 or 12 digits)"),
    children: bool = typer.Option(False, "--children", help="列出下级区划 / list the regions under it"),
) -> None:
    """查询行政区划代码 / look up a region code."""
    norm = regions.normalise(code)
    if norm is None:
        _fail(f"区划代码应为 2、4、6、9 或 12 位数字，收到“{code}”", f"a region code has 2, 4, 6, 9 or 12 digits, got '{code}'", "code")
    found = regions.lookup(norm)
    if found is None:
        raise NotFound(f"行政区划代码 {norm} 不存在", f"region code {norm} does not exist", field="code")
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    _region_rows(table, found.to_dict())
    console.print(table)
    if children:
        sub = Table("代码 / code", "名称 / name", "级别 / level")
        for child in regions.children(norm):
            sub.add_row(child.code, child.name, regions.LEVEL_NAMES[child.level][0])
        console.print(sub)


def register(app: typer.Typer) -> None:
    """Add the `id` sub-command group to the main CLI."""
    app.add_typer(id_app, name="id")
