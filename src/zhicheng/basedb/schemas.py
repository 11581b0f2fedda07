"""API shapes of the base databases: a definition in, assemblies, runs, provenance and conflict tasks out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class SourceIn(BaseModel):
    resource_id: int | None = Field(None, description="来源资源 / source resource id")
    resource_code: str | None = Field(None, description="或资源代码 / or its resource code")
    assembly_id: int | None = Field(None, description="或另一个基础库的成果 / or another assembly's output")
    item: str = Field(..., description="信息项 / data item (name or label)")


class FieldIn(BaseModel):
    field: str = Field(..., description="模板字段 / template field")
    source: SourceIn | list[SourceIn] = Field(
        ..., description="权威来源（唯一）/ the one authoritative source"
    )
    fallbacks: list[SourceIn] = Field(
        default_factory=list, description="备选来源（按顺序）/ ordered fallbacks"
    )


class AssemblyIn(BaseModel):
    name: str
    template: str = Field(
        ..., description="population | legal_entity | geo | credit | license | housing | city_component"
    )
    department_id: int | None = None
    department_code: str | None = None
    threshold: float | None = Field(None, description="实体匹配阈值 / entity resolution threshold (0.5-1)")
    fields: list[FieldIn]
    share_type: str | None = None
    share_condition: str | None = None
    share_basis: str | None = None
    open_type: str | None = None
    open_condition: str | None = None
    summary: str | None = None
    publish: bool = True

    def as_data(self) -> dict[str, Any]:
        data = self.model_dump(exclude_none=True)
        data["fields"] = [{**f, "source": f["source"]} for f in data["fields"]]
        return data


class AssemblyUpdate(BaseModel):
    threshold: float | None = None
    fields: list[FieldIn] | None = None


class ResolveIn(BaseModel):
    note: str | None = None


class RecordsOut(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    limit: int
    offset: int
