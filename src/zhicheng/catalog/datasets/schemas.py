"""API shapes of the datasets domain: import jobs with their error report, versions, pages of rows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from zhicheng.core.clock import ApiDatetime


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
    created_at: ApiDatetime
    finished_at: ApiDatetime | None = None

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
    imported_at: ApiDatetime
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


class HeaderCandidate(BaseModel):
    """One of a file's first non-empty rows: its line (sheet row), its cells, how many data items it names."""

    line: int
    cells: list[str]
    matched: int


class PreviewColumn(BaseModel):
    """A column of the file (1-based) by its header text, and the data item it feeds (None: not imported)."""

    index: int
    name: str
    item: str | None = None


class PreviewRow(BaseModel):
    """A data row as text, in the file's column order."""

    line: int
    cells: list[str]


class ImportPreviewOut(BaseModel):
    """What an import of the file would take: the header row (found, or chosen), columns, mapping, first rows.

    `exact` is true when the header is the file's first row and every column names a data item: the file can be
    imported as it is. Otherwise send `header_row` and `mapping` ({item: file column or null}) with the import.
    """

    resource_id: int
    filename: str
    sheet: str | None = None
    format: str
    encoding: str | None = None
    header_row: int | None = None
    detected_row: int | None = None
    candidates: list[HeaderCandidate]
    columns: list[PreviewColumn]
    mapping: dict[str, str | None]
    items: list[dict[str, Any]]
    rows: list[PreviewRow]
    unmatched_columns: list[str]
    missing_required: list[str]
    exact: bool
