"""JSON calculators under /api/v1/environment: AQI (HJ 633), surface water class (GB 3838), noise (GB 3096).

Public: they read no stored data and change nothing, so a visitor, a logged-in user and a token holder get the same
answer; a bad value is a 422 problem+json naming its field (zhicheng.web.errors)."""

from __future__ import annotations

from typing import Any

from zhicheng.scenarios.environment import aqi, noise, water
from zhicheng.scenarios.environment.schemas import (
    AqiOut,
    AqiRequest,
    NoiseOut,
    NoiseRequest,
    WaterOut,
    WaterRequest,
)
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/environment", tags=["environment 智慧环保"])
PROBLEM = {422: {"description": "输入有误（problem+json，field 指出字段）/ invalid input (problem+json naming the field)"}}


@router.post("/aqi", response_model=AqiOut, responses=PROBLEM,
             summary="空气质量指数（HJ 633-2012）/ air quality index")
def air_quality_index(body: AqiRequest) -> dict[str, Any]:
    """IAQI per pollutant, AQI, primary pollutants (AQI > 50), level, category, colour, health advice and the
    pollutants above IAQI 100, for an hour (实时报) or a day (日报), as CNEMC publishes them."""
    given = body.model_dump(exclude={"kind"}, exclude_none=True)
    return aqi.calculate(body.kind, given).as_dict()


@router.post("/water-class", response_model=WaterOut, responses=PROBLEM,
             summary="地表水水质类别（GB 3838-2002）/ surface water class")
def water_class(body: WaterRequest) -> dict[str, Any]:
    """The class (I–V, 劣V) by the worst parameter, the deciding parameters and those worse than the target."""
    given = body.model_dump(exclude={"water_body", "target"}, exclude_none=True)
    return water.classify(given, water_body=body.water_body, target=body.target).as_dict()


@router.post("/noise", response_model=NoiseOut, responses=PROBLEM,
             summary="声环境功能区达标（GB 3096-2008）/ noise compliance")
def noise_compliance(body: NoiseRequest) -> dict[str, Any]:
    """Whether an equivalent sound level meets its zone's day or night limit, and by how many dB(A) it is over."""
    return noise.assess(zone=body.zone, leq=body.leq, period=body.period, at=body.time, lmax=body.lmax).as_dict()
