"""API shapes of requests and grants, and the checks on their values (items, row filter, period)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from zhicheng.core.clock import ApiDatetime
from zhicheng.core.errors import Forbidden, Invalid

PREFIX_RE = re.compile(r"^[0-9A-Za-z]{1,18}$")
MAX_PERIOD_DAYS = 366 * 5
MAX_TEXT = 2000


class RequestIn(BaseModel):
    """A department user's request for a resource."""

    model_config = ConfigDict(extra="forbid")
    resource_id: int = Field(gt=0, le=2**31 - 1)
    purpose: str = Field(min_length=1, max_length=MAX_TEXT)
    basis: str = Field(min_length=1, max_length=MAX_TEXT)
    items: list[str] = Field(min_length=1, max_length=500)
    row_filter: dict[str, dict[str, str]] | None = None
    period_start: date
    period_end: date
    delivery: Literal["api", "file"] = "api"


class ApproveIn(BaseModel):
    """The provider's approval, possibly narrowing what was asked."""

    model_config = ConfigDict(extra="forbid")
    items: list[str] | None = Field(default=None, max_length=500)
    row_filter: dict[str, dict[str, str]] | None = None
    period_start: date | None = None
    period_end: date | None = None
    plain_items: list[str] = Field(default_factory=list, max_length=500)
    file_export_approved: bool = False
    note: str | None = Field(default=None, max_length=MAX_TEXT)


class ReasonIn(BaseModel):
    """A refusal or a revocation, with its reason."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=MAX_TEXT)


class EventOut(BaseModel):
    action: str
    actor_name: str | None
    note: str | None
    at: ApiDatetime


class GrantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    request_id: int
    resource_id: int
    consumer_department_id: int
    provider_department_id: int
    items: list[str]
    row_filter: dict[str, Any] | None
    plain_items: list[str]
    purpose: str
    starts_on: date
    expires_at: ApiDatetime
    revoked_at: ApiDatetime | None
    revoke_reason: str | None
    delivery: str
    file_export_approved: bool
    use_count: int
    rows_delivered: int
    last_used_at: ApiDatetime | None
    created_at: ApiDatetime
    state: str


class RequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    resource_id: int
    resource_name: str
    share_type: str
    provider_department_id: int
    consumer_department_id: int
    requester_name: str | None
    purpose: str
    basis: str
    items: list[str]
    row_filter: dict[str, Any] | None
    period_start: date
    period_end: date
    delivery: str
    state: str
    submitted_at: ApiDatetime
    due_date: date
    overdue: bool
    working_days_left: int | None
    deadline_provisional: bool = Field(False, description="期限暂定：期间某年尚无放假安排，仅按周末计算 / the deadline "
                                       "runs through a year without a holiday schedule (weekends only)")
    unscheduled_years: list[int] = Field(default_factory=list, description="期限内尚无放假安排的年份")
    escalated_at: ApiDatetime | None
    decided_at: ApiDatetime | None
    decided_by_name: str | None
    reason: str | None
    grant_id: int | None = None
    grant_state: str | None = None
    events: list[EventOut] = []


# -- value checks --------------------------------------------------------------------------------------------

def check_items(items: list[str], known: list[str], field: str = "items") -> list[str]:
    """`items` without duplicates, each a data item of the resource, or Invalid naming the first unknown."""
    out: list[str] = []
    for name in items:
        if name not in known:
            raise Invalid(f"数据项 {name!r} 不属于该资源", f"{name!r} is not a data item of this resource",
                          field=field)
        if name not in out:
            out.append(name)
    if not out:
        raise Invalid("至少选择一个数据项", "choose at least one data item", field=field)
    return out


def check_row_filter(row_filter: dict[str, Any] | None, known: list[str],
                     field: str = "row_filter") -> dict[str, dict[str, str]] | None:
    """A row filter {item: {"prefix": "430104"}}: items of the resource, prefixes of letters and digits."""
    if not row_filter:
        return None
    out: dict[str, dict[str, str]] = {}
    for name, cond in row_filter.items():
        if name not in known:
            raise Invalid(f"行过滤的数据项 {name!r} 不属于该资源", f"row filter item {name!r} is not in this resource",
                          field=f"{field}.{name}")
        if not isinstance(cond, dict) or set(cond) != {"prefix"}:
            raise Invalid("行过滤条件只支持 prefix（前缀，如行政区划代码 430104）",
                          "a row filter condition is {\"prefix\": ...} (e.g. region code 430104)",
                          field=f"{field}.{name}")
        prefix = cond["prefix"]
        if not isinstance(prefix, str) or not PREFIX_RE.match(prefix):
            raise Invalid("前缀须为 1 至 18 位字母或数字", "the prefix must be 1 to 18 letters or digits",
                          field=f"{field}.{name}.prefix")
        out[name] = {"prefix": prefix}
    return out


def check_period(start: date, end: date, today: date) -> None:
    """The period runs forward, has not ended, and lasts at most five years."""
    if end < start:
        raise Invalid("使用期限的结束日期早于开始日期", "the period ends before it starts", field="period_end")
    if end < today:
        raise Invalid("使用期限已经结束", "the period has already ended", field="period_end")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise Invalid("使用期限最长五年", "the period may last at most five years", field="period_end")


def narrower_filter(asked: dict[str, dict[str, str]] | None, given: dict[str, dict[str, str]] | None) -> bool:
    """True when `given` lets through no row that `asked` would not (each asked prefix kept or lengthened)."""
    if not asked:
        return True
    given = given or {}
    return all(k in given and given[k]["prefix"].startswith(v["prefix"]) for k, v in asked.items())


def refuse_widening(what_zh: str, what_en: str, field: str) -> Forbidden:
    """The refusal when an answer would give more than was asked."""
    return Forbidden(f"审批只能缩小申请范围：{what_zh}超出了申请", f"an approval may only narrow the request: {what_en}",
                     code="beyond_request", field=field)
