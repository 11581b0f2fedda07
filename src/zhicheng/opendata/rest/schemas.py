"""Shapes of the open REST API (/api/v1/open): dataset summaries, details, facets and pages of rows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

AIR_EXAMPLE = {
    "id": 12,
    "code": "211004001/000001",
    "name": "长沙市空气质量日报",
    "summary": "长沙市各国控监测站点每日空气质量指数与PM2.5浓度。",
    "department": {"id": 4, "code": "430100-004", "name": "长沙市生态环境局"},
    "theme": {"key": "environment", "label": "生态环保", "label_en": "Ecology and environment"},
    "tags": ["空气质量", "环境"],
    "open_type": "unconditional",
    "open_type_label": "无条件开放",
    "update_cycle": "daily",
    "update_cycle_label": "每日",
    "publish_date": "2026-11-20",
    "updated_at": "2026-11-20T09:30:00+08:00",
    "spatial": False,
}


class Department(BaseModel):
    id: int
    code: str
    name: str
    name_en: str | None = None


class Theme(BaseModel):
    key: str
    label: str
    label_en: str


class Item(BaseModel):
    name: str = Field(description="字段名 / column name")
    label: str = Field(description="中文名称 / Chinese label")
    type: str
    description: str | None = None
    masked: bool = Field(
        description="个人信息或分级字段：开放数据中始终脱敏 / personal or graded: always masked"
    )


class DatasetSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": AIR_EXAMPLE})

    id: int = Field(description="数据资源 id / resource id")
    code: str = Field(description="信息资源代码 / resource code")
    name: str
    summary: str | None = None
    department: Department
    theme: Theme | None = None
    tags: list[str] = []
    open_type: str = Field(description="unconditional 无条件开放 | conditional 有条件开放 (API key)")
    open_type_label: str
    update_cycle: str
    update_cycle_label: str
    publish_date: str | None = None
    updated_at: str | None = None
    spatial: bool = False


class Facet(BaseModel):
    value: Any
    label: str
    label_en: str | None = None
    count: int


class DatasetPage(BaseModel):
    items: list[DatasetSummary]
    total: int
    page: int
    size: int
    facets: dict[str, list[Facet]]


class Version(BaseModel):
    version: int
    rows: int
    imported_at: str
    format: str


class DatasetDetail(DatasetSummary):
    open_condition: str | None = None
    items: list[Item]
    versions: list[Version]
    downloads: dict[str, str] = Field(description="下载地址 / download URLs by format")
    links: dict[str, str] = Field(description="rows, CKAN package_show and DCAT views of the dataset")


class DatasetRowsPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "dataset_id": 12,
                "version": 3,
                "fields": ["station", "day", "aqi", "contact"],
                "masked": ["contact"],
                "count": 2,
                "total": 30,
                "next": "WzI0XQ",
                "items": [
                    {
                        "_id": 1,
                        "station": "湘江中路站",
                        "day": "2026-11-01",
                        "aqi": 40,
                        "contact": "138****0000",
                    },
                    {
                        "_id": 2,
                        "station": "岳麓山站",
                        "day": "2026-11-02",
                        "aqi": 41,
                        "contact": "138****0001",
                    },
                ],
            }
        }
    )

    dataset_id: int
    version: int
    fields: list[str]
    masked: list[str] = Field(description="已脱敏字段 / masked fields")
    count: int
    total: int | None = Field(
        None, description="符合条件的总行数 / matching rows (total=false skips the count)"
    )
    next: str | None = Field(
        None, description="下一页游标，作为 after= 传回 / cursor of the next page, pass as after="
    )
    items: list[dict[str, Any]]
