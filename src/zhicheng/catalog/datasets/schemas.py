"""API shapes of the datasets domain: import jobs with their error report, versions, pages of rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RowError(BaseModel):
    """One problem found: the line (record number for JSON), the column, the value and the reason."""

    line: int | None = Field(None, description="行号（JSON 为记录序号）/ line (record number for JSON)")
    column: str | None = Field(None, description="文件中的列名 / the column as the file names it")
    item: str | None = Field(None, description="信息项标识 / the data item's identifier")
    value: str | None = None
    zh: str
    en: str


class JobOut(BaseModel):
    """An import job: state queued / running / succeeded / failed, progress and the report."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    resource_id: int
    state: str
    filename: str
    size_bytes: int
    rows_read: int
    rows_total_estimate: int | None = None
    error_count: int
    errors: list[RowError] = []
    message: str | None = None
    message_zh: str | None = None
    message_en: str | None = None
    version: int | None = None
    created_by_name: str | None = None
    created_at: datetime
    finished_at: datetime | None = None

    @classmethod
    def of(cls, job: Any, lang: str = "zh-CN") -> JobOut:
        out = cls.model_validate(job)
        out.message = job.message_en if lang.startswith("en") else job.message_zh
        return out


class VersionOut(BaseModel):
    """One version of a resource's data."""

    model_config = ConfigDict(from_attributes=True)

    version: int
    row_count: int
    filename: str
    format: str
    encoding: str | None = None
    size_bytes: int
    sha256: str
    imported_by_name: str | None = None
    imported_at: datetime
    columns: list[dict[str, Any]]


class RowsOut(BaseModel):
    """A page of rows of one version: column names and rows as lists in that order."""

    resource_id: int
    version: int
    row_count: int
    limit: int
    offset: int
    columns: list[str]
    rows: list[list[Any]]
