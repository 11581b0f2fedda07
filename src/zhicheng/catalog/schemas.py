"""Shapes of the catalog: a resource as registered, updated and read (and the checks of a description);
reviews, revisions, search results.

Enumerated fields are plain strings here and checked by the service (one place, one clear error with the
field); they accept the key (e.g. "conditional") or the Chinese name (e.g. "有条件共享").
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from zhicheng.catalog import codes
from zhicheng.catalog.items import validate_items
from zhicheng.core.clock import ApiDatetime
from zhicheng.core.errors import Invalid

ITEM_EXAMPLE = {
    "name": "sfzh", "label": "公民身份号码", "type": "string", "length": 18, "required": True,
    "personal": True, "sensitivity": "important", "check": "citizen_id", "description": "GB 11643",
}
RESOURCE_EXAMPLE = {
    "name": "常住人口基本信息",
    "catalog_class": "base",
    "subclass": "population",
    "summary": "全市常住人口的身份、户籍与居住信息，由公安部门按日更新。",
    "format": "database",
    "file_formats": ["csv"],
    "share_type": "conditional",
    "share_condition": "用于政务服务身份核验，需经数据资源局审批",
    "share_method": "api",
    "open_type": "none",
    "update_cycle": "daily",
    "tags": ["人口", "户籍"],
    "spatial": False,
    "items": [ITEM_EXAMPLE, {"name": "xm", "label": "姓名", "type": "string", "length": 50, "personal": True}],
}


class ItemIn(BaseModel):
    """A data item (信息项) as registered."""

    model_config = ConfigDict(json_schema_extra={"examples": [ITEM_EXAMPLE]})

    name: str = Field(description="标识 / identifier: ^[a-z][a-z0-9_]{0,62}$")
    label: str = Field(description="中文名称 / Chinese label")
    type: str = Field("string", description="string text integer decimal date datetime boolean geometry")
    length: int | None = None
    scale: int | None = None
    required: bool = False
    description: str | None = None
    personal: bool = Field(False, description="个人信息 / personal information")
    sensitivity: str = Field("general", description="general 一般 / important 重要 / core 核心 (GB/T 43697)")
    check: str | None = Field(None, description="citizen_id credit_code region_code mobile email postcode")


class ItemOut(ItemIn):
    pass


class ResourceCreate(BaseModel):
    """A new data resource; the provider is the actor's department unless an admin names another."""

    model_config = ConfigDict(json_schema_extra={"examples": [RESOURCE_EXAMPLE]})

    name: str
    catalog_class: str = Field(description="base 基础 / theme 主题 / department 部门")
    subclass: str | None = Field(None, description="基础类的人口/法人/…，或主题类的主题 / base subclass or theme")
    detail_code: str = Field("001", description="细目 / 3-digit sub-category")
    department_id: int | None = None
    department_code: str | None = Field(None, description="provider by code (instead of department_id)")
    summary: str
    format: str = Field(description="database spreadsheet file image stream self_describing")
    file_formats: list[str] = []
    share_type: str = Field(description="unconditional 无条件共享 / conditional 有条件共享 / none 不予共享")
    share_condition: str | None = None
    share_basis: str | None = Field(None, description="不予共享的法律依据 / legal basis, required for none")
    share_method: str = Field("api", description="api 接口 / file 文件")
    open_type: str = Field("none", description="unconditional 无条件开放 / conditional 有条件开放 / none 不予开放")
    open_condition: str | None = None
    update_cycle: str = Field(description="realtime daily weekly monthly quarterly yearly irregular")
    related_codes: list[str] = []
    tags: list[str] = []
    spatial: bool = False
    items: list[ItemIn] = []


class ResourceUpdate(BaseModel):
    """Changes to a draft or returned resource; fields left out stay; `items`, when given, replaces them all."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"summary": "更新后的摘要", "tags": ["人口"]}]})

    name: str | None = None
    catalog_class: str | None = None
    subclass: str | None = None
    detail_code: str | None = None
    summary: str | None = None
    format: str | None = None
    file_formats: list[str] | None = None
    share_type: str | None = None
    share_condition: str | None = None
    share_basis: str | None = None
    share_method: str | None = None
    open_type: str | None = None
    open_condition: str | None = None
    update_cycle: str | None = None
    related_codes: list[str] | None = None
    tags: list[str] | None = None
    spatial: bool | None = None
    items: list[ItemIn] | None = None


class DepartmentRef(BaseModel):
    id: int
    code: str | None = None
    name: str | None = None


class ResourceOut(BaseModel):
    """A resource as the reader may see it: the working copy (`view` work) or its live published revision."""

    id: int
    code: str
    name: str
    catalog_class: str
    subclass: str | None
    detail_code: str
    department: DepartmentRef
    summary: str
    format: str
    file_formats: list[str]
    share_type: str
    share_condition: str | None
    share_basis: str | None
    share_method: str
    open_type: str
    open_condition: str | None
    update_cycle: str
    publish_date: date | None
    related_codes: list[str]
    tags: list[str]
    spatial: bool
    state: str
    revision: int
    live: bool = Field(description="a published revision is visible to everyone")
    view: str = Field(description="work: the working copy; pub: the live published revision")
    withdrawn_reason: str | None = None
    created_at: ApiDatetime | None = None
    updated_at: ApiDatetime | None = None
    items: list[ItemOut]
    labels: dict[str, str] = Field({}, description="Chinese names of the enumerated values")
    labels_en: dict[str, str] = Field({}, description="English names of the enumerated values")


class SubmitIn(BaseModel):
    comment: str | None = None


class ReviewIn(BaseModel):
    """The admin's decision on a submitted resource."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"decision": "return", "comment": "请补充共享条件"}]})

    decision: str = Field(description="publish 发布 / return 退回")
    comment: str | None = Field(None, description="required when returning")


class WithdrawIn(BaseModel):
    reason: str = Field(description="撤销原因 / why the resource is withdrawn")


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    action: str
    from_state: str | None
    to_state: str
    comment: str | None
    actor_id: int | None
    actor_name: str | None
    at: ApiDatetime


class RevisionOut(BaseModel):
    revision: int
    published_at: ApiDatetime
    published_by: int | None
    published_by_name: str | None
    snapshot: dict[str, Any]


class FacetValue(BaseModel):
    value: str | int
    label: str
    label_en: str
    count: int


class SearchOut(BaseModel):
    items: list[ResourceOut]
    total: int
    page: int
    size: int
    facets: dict[str, list[FacetValue]]


# ---------------------------------------------------------------- checks of a resource description

TEXT_LIMITS = {"name": 200, "summary": 4000, "share_condition": 2000, "share_basis": 2000, "open_condition": 2000}


def _text(data: dict[str, Any], field: str, *, required: bool = False) -> str | None:
    value = data.get(field)
    value = str(value).strip() if value is not None else ""
    if not value:
        if required:
            zh = codes.FIELD_NAMES.get(field, ({"name": "资源名称", "summary": "资源摘要"}.get(field, field),))[0]
            raise Invalid(f"{zh}必填", f"{field} is required", field=field)
        return None
    if len(value) > TEXT_LIMITS.get(field, 2000):
        raise Invalid(f"内容过长（最多 {TEXT_LIMITS[field]} 字）", f"{field} is too long (max {TEXT_LIMITS[field]})",
                      field=field)
    return value


def _list_of_text(value: Any, field: str, *, max_len: int, max_count: int) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [v for v in re.split(r"[,，;；\s]+", value) if v]
    if not isinstance(value, list):
        raise Invalid("应为列表", f"{field} must be a list", field=field)
    out: list[str] = []
    for i, v in enumerate(value):
        text = str(v).strip()
        if not text or len(text) > max_len:
            raise Invalid(f"第 {i + 1} 项为空或过长（最多 {max_len} 字）",
                          f"entry {i + 1} is empty or too long (max {max_len})", field=f"{field}.{i}")
        if text not in out:
            out.append(text)
    if len(out) > max_count:
        raise Invalid(f"最多 {max_count} 项", f"at most {max_count} entries", field=field)
    return out


def validate(data: dict[str, Any]) -> dict[str, Any]:
    """Check a complete resource description; returns the normalised fields (Invalid names the field at fault)."""
    out: dict[str, Any] = {"name": _text(data, "name", required=True), "summary": _text(data, "summary", required=True)}
    if len(out["name"]) < 2:
        raise Invalid("资源名称至少 2 个字", "name must be at least 2 characters", field="name")
    for field in ("catalog_class", "format", "share_type", "share_method", "open_type", "update_cycle"):
        out[field] = codes.normalise(field, data.get(field))
    sub_vocab = codes.subclasses_of(out["catalog_class"])
    if sub_vocab:
        out["subclass"] = codes.normalise("subclass", data.get("subclass"), sub_vocab)
    elif data.get("subclass"):
        raise Invalid("部门信息资源不设分类项", "department resources take no subclass", field="subclass")
    else:
        out["subclass"] = None
    detail = str(data.get("detail_code") or "001").strip()
    if not re.fullmatch(r"\d{3}", detail):
        raise Invalid("细目代码应为 3 位数字", "detail_code must be 3 digits", field="detail_code")
    out["detail_code"] = detail
    formats = _list_of_text(data.get("file_formats"), "file_formats", max_len=10, max_count=20)
    out["file_formats"] = []
    for i, f in enumerate(formats):
        f = f.lower().lstrip(".")
        if f not in codes.FILE_FORMATS:
            raise Invalid(f"文件格式“{f}”不受支持", f"file format '{f}' is not supported", field=f"file_formats.{i}")
        out["file_formats"].append(f)
    out["share_condition"] = _text(data, "share_condition")
    out["share_basis"] = _text(data, "share_basis")
    out["open_condition"] = _text(data, "open_condition")
    if out["share_type"] == "conditional" and not out["share_condition"]:
        raise Invalid("有条件共享须填写共享条件", "conditional sharing needs a share condition",
                      field="share_condition")
    if out["share_type"] == "none" and not out["share_basis"]:
        raise Invalid("不予共享须填写法律、行政法规或政策依据", "'not shared' needs its legal basis",
                      field="share_basis")
    if out["open_type"] == "conditional" and not out["open_condition"]:
        raise Invalid("有条件开放须填写开放条件", "conditional opening needs an open condition", field="open_condition")
    if out["share_type"] == "none" and out["open_type"] != "none":
        raise Invalid("不予共享的资源不能向社会开放", "a resource not shared cannot be open", field="open_type")
    related = _list_of_text(data.get("related_codes"), "related_codes", max_len=40, max_count=50)
    for i, code in enumerate(related):
        try:
            codes.parse_code(code)
        except Invalid as exc:
            raise Invalid(exc.zh, exc.en, field=f"related_codes.{i}") from None
    out["related_codes"] = related
    out["tags"] = _list_of_text(data.get("tags"), "tags", max_len=32, max_count=20)
    spatial = data.get("spatial", False)
    if not isinstance(spatial, bool):
        raise Invalid("空间属性应为是或否", "spatial must be true or false", field="spatial")
    out["spatial"] = spatial
    out["items"] = validate_items(data.get("items"))
    return out


def as_dict(data: Any) -> dict[str, Any]:
    if isinstance(data, BaseModel):
        return data.model_dump(exclude_unset=True)
    if not isinstance(data, dict):
        raise Invalid("资源描述应为对象", "a resource description must be an object", field=None)
    return dict(data)


class IdentifierOut(BaseModel):
    """A data item identifier proposed for a Chinese name (the register form fills it in; the user may edit it)."""

    name: str = Field(description="中文名称 / the Chinese name, e.g. 身份证号")
    identifier: str = Field(description="建议的标识 / the proposed identifier, e.g. sfzh")
    style: str = Field(description="initials (sfzh) | full (shen_fen_zheng_hao)")
