"""JSON under /api/v1/flood: rain at the gauges, river and lake levels, waterlogging, the rain-class calculator and a
level station's thresholds.

The readings follow the IoT domain's visibility rule (an open device to everyone, a department's own to its staff,
all to the admin) and each request is one audit entry; the calculator reads nothing and is open to all."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, current_actor, require_user
from zhicheng.core.actor import Actor
from zhicheng.scenarios.flood import levels, rain, waterlogging
from zhicheng.scenarios.flood.schemas import RainClassOut, RainClassRequest, ThresholdsIn
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/flood", tags=["flood 防汛"])
PROBLEM = {422: {"description": "输入有误（problem+json，field 指出字段）/ invalid input (problem+json naming the field)"}}
AT_Q = Query(default=None, max_length=40, description="时刻（ISO 8601，无时区为北京时间；默认现在）/ instant, default now")
DEPT_Q = Query(default=None, description="部门 / department")


@router.get("/rain", responses=PROBLEM, summary="雨量站累计雨量与降雨等级 / rain at the gauges")
def gauge_rain(at: str | None = AT_Q, department_id: int | None = DEPT_Q, db: Session = Depends(get_db),
               actor: Actor = Depends(current_actor)) -> dict[str, Any]:
    """每个可查看的雨量站近 1、3、6、12、24 小时累计雨量及其等级（GB/T 28592-2012）/ each gauge's accumulations
    over the last 1, 3, 6, 12 and 24 hours and their classes."""
    return rain.gauge_rain(db, actor=actor, at=at, department_id=department_id)


@router.get("/levels", responses=PROBLEM, summary="江河湖库水位 / river and lake levels")
def station_levels(at: str | None = AT_Q, department_id: int | None = DEPT_Q, db: Session = Depends(get_db),
                   actor: Actor = Depends(current_actor)) -> dict[str, Any]:
    """每个水位站的最新水位、距警戒/保证水位、3 小时涨落趋势和状态（正常/超警戒/超保证）/ each level station's latest
    level, margins to its warning and guaranteed levels, 3-hour trend and state."""
    return levels.station_levels(db, actor=actor, at=at, department_id=department_id)


@router.put("/levels/{thing_id}/thresholds", responses=PROBLEM, dependencies=[Depends(csrf_protect)],
            summary="设定警戒水位与保证水位 / set a station's warning and guaranteed levels")
def set_thresholds(thing_id: int, body: ThresholdsIn, db: Session = Depends(get_db),
                   actor: Actor = Depends(require_user)) -> dict[str, Any]:
    """部门数据管理员设定本部门水位站的警戒水位和保证水位（米）；null 清除 / the department's data officer sets them."""
    return levels.set_thresholds(db, actor=actor, thing_id=thing_id, warning_level=body.warning_level,
                                 guarantee_level=body.guarantee_level)


@router.get("/waterlogging", responses=PROBLEM, summary="道路与下穿通道渍水 / waterlogging")
def waterlogging_points(at: str | None = AT_Q, department_id: int | None = DEPT_Q, db: Session = Depends(get_db),
                        actor: Actor = Depends(current_actor)) -> dict[str, Any]:
    """每个渍水监测点的最新积水深度、通行等级和 3 小时趋势 / each point's latest depth, traffic grade and trend."""
    return waterlogging.points_depth(db, actor=actor, at=at, department_id=department_id)


@router.post("/rain-class", response_model=RainClassOut, responses=PROBLEM,
             summary="降雨量等级（GB/T 28592-2012）/ rain class of a total")
def rain_class(body: RainClassRequest) -> dict[str, Any]:
    """时段降雨量（1、12 或 24 小时）的等级；1 小时另判短时强降水 / the class of a total over 1, 12 or 24 hours."""
    graded = rain.grade(body.amount, body.period)
    out = graded.as_dict()
    return out
