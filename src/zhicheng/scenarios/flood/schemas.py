"""API shapes of the flood scenario: the rain-class calculator and a level station's thresholds."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RainClassRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    amount: float = Field(ge=0, le=10_000, description="时段降雨量（毫米）/ rainfall over the period (mm)")
    period: str = Field(max_length=8, description="时段 1h | 12h | 24h / period")


class RainClassOut(BaseModel):
    amount: float = Field(description="修约到 0.1 毫米的降雨量（GB/T 8170）/ rainfall rounded to 0.1 mm")
    period: str
    rain_class: dict = Field(alias="class", description="等级：key, name, name_en, rank, colour / the class")
    short_duration_heavy: bool = Field(description="短时强降水（1 小时 ≥ 20 毫米）/ ≥ 20 mm in one hour")
    standard: str


class ThresholdsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    warning_level: float | None = Field(description="警戒水位（米，1985国家高程基准）/ warning level (m)")
    guarantee_level: float | None = Field(description="保证水位（米）/ guaranteed level (m)")
