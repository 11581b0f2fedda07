"""API shapes of the quality domain: a rule as written by its author, a schedule, a run request."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class RuleIn(BaseModel):
    """A rule: kind, the data item it applies to (none for timeliness), optional dimension, parameters."""

    kind: str = Field(description="required unique pattern range allowed check reference cross timely")
    item: str | None = Field(None, description="信息项标识 / data item name")
    dimension: str | None = Field(None, description="completeness validity uniqueness consistency timeliness")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="regex | min,max | values | table,on | scheme | resource_id,item | relation,other",
    )


class RunIn(BaseModel):
    version: int | None = Field(None, description="版本号，默认最新 / version, the newest by default")


class ScheduleIn(BaseModel):
    interval_hours: int = Field(description="间隔小时数，0 取消 / hours between runs, 0 removes the schedule")
