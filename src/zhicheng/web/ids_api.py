"""HTTP API for identifiers: check a number, look up and search GB/T 2260 region codes."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import Query

from zhicheng.core.errors import Invalid, NotFound
from zhicheng.core.ids import identify, regions
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/ids", tags=["ids"])


@router.get("/check")
def check(
    value: str = Query(..., max_length=64, description="身份证号码、统一社会信用代码或区划代码"),
    legacy: Literal["error", "warn"] = Query("warn", description="信用代码校验码错误：error 或 warn"),
) -> dict:
    """Identify a number; 422 problem+json saying what is wrong when it is invalid."""
    result = identify(value, legacy=legacy)
    if not result["valid"]:
        err = result["error"]
        if result["kind"] == "unknown":
            raise Invalid(err["zh"], err["en"], code="unrecognised_id", field="value")
        raise Invalid(f"{result['kind_zh']}无效：{err['zh']}", f"invalid {result['kind_en']}: {err['en']}",
                      code=f"invalid_{result['kind']}", field="value")
    return result


def _code(code: str) -> str:
    norm = regions.normalise(code)
    if norm is None:
        raise Invalid(f"区划代码应为 2、4、6、9 或 12 位数字，收到“{code}”",
                      f"a region code has 2, 4, 6, 9 or 12 digits, got '{code}'", field="code")
    return norm


@router.get("/regions/{code}")
def region(code: str, on: date | None = Query(None, description="在该日期有效的名称 / as of this date")) -> dict:
    """One region code: name, level, path, validity and (if retired) successors; with its current children."""
    norm = _code(code)
    found = regions.lookup(norm, on)
    if found is None:
        if on is not None and regions.known(norm):
            raise NotFound(f"行政区划代码 {norm} 在 {on} 无效", f"region code {norm} was not in force on {on}")
        raise NotFound(f"行政区划代码 {norm} 不存在", f"region code {norm} does not exist")
    body = found.to_dict()
    body["history"] = [{"name": r.name, "valid_from": r.valid_from.isoformat() if r.valid_from else None,
                        "valid_to": r.valid_to.isoformat() if r.valid_to else None} for r in regions.history(norm)]
    body["children"] = [{"code": c.code, "name": c.name, "level": c.level} for c in regions.children(norm)]
    return body


@router.get("/regions")
def search_regions(
    q: str = Query("", max_length=50, description="名称中包含的文字 / text in the name"),
    parent: str | None = Query(None, description="只列此代码下的区划 / only under this code"),
    retired: bool = Query(False, description="包括已撤销的代码 / include retired codes"),
    limit: int = Query(50, ge=1, le=200),
) -> dict:
    """Search regions by name, optionally under a parent; with no text, the parent's current children (or the
    provinces when no parent is given)."""
    if parent is not None:
        parent = _code(parent)
        if regions.lookup(parent) is None:
            raise NotFound(f"上级区划代码 {parent} 不存在", f"parent region code {parent} does not exist")
    if not q.strip() and parent is None:
        items = regions.provinces()
    elif not q.strip():
        items = regions.children(parent)[:limit]
    else:
        items = regions.search(q, parent=parent, include_retired=retired, limit=limit)
    return {"items": [{"code": r.code, "name": r.name, "level": r.level, "path": regions.path(r.code, on=r.last_valid_day()),
                       "retired": r.retired} for r in items[:limit]],
            "count": len(items[:limit])}
