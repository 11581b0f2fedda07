"""Air stations' AQI by API under /api/v1/environment: the stations with their latest hourly report and the city's,
the ranking of stations and districts, and the daily AQI trend (the JSON twins of the 空气质量 page).

Who reads what is the IoT domain's rule: a visitor sees the open stations, staff their department's and the open
ones, the admin all; every answer is one audit entry."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import current_actor
from zhicheng.core.actor import Actor
from zhicheng.core.db import MAX_ID
from zhicheng.scenarios.environment import stations
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/environment", tags=["environment 智慧环保"])
DEPARTMENT_Q = Query(default=None, ge=1, le=MAX_ID, description="部门 / department")


@router.get("/stations", summary="空气站与最新小时 AQI / air stations and their latest hourly AQI")
def air_stations(department_id: int | None = DEPARTMENT_Q, db: Session = Depends(get_db),
                 actor: Actor = Depends(current_actor)) -> dict[str, Any]:
    """Each air station you may see with its place, district, the latest hour it reported, that hour's
    concentrations and its HJ 633 real-time report (AQI, level, colour, primary pollutants); the city's report of
    the latest hour (HJ 663: each pollutant the mean over the stations of that hour); the levels' colours."""
    return stations.overview_out(stations.overview(db, actor=actor, department_id=department_id))


@router.get("/ranking", summary="站点与区县空气质量排名 / ranking of stations and districts")
def ranking(department_id: int | None = DEPARTMENT_Q, db: Session = Depends(get_db),
            actor: Actor = Depends(current_actor)) -> dict[str, Any]:
    """The stations of the latest hour and the districts (the mean over each district's stations of that hour),
    best AQI first; equal AQIs share a rank."""
    return stations.ranking_out(stations.overview(db, actor=actor, department_id=department_id))


@router.get("/trend", summary="逐日 AQI 趋势 / daily AQI trend")
def trend(days: str = Query("7", max_length=4, description=f"天数 1–{stations.MAX_DAYS} / days"),
          station: int | None = Query(default=None, ge=1, le=MAX_ID, description="空气站（默认全市）/ one station"),
          department_id: int | None = DEPARTMENT_Q, db: Session = Depends(get_db),
          actor: Actor = Depends(current_actor)) -> dict[str, Any]:
    """The daily report's AQI of each of the last `days` days (Beijing days, today included), of the city or of one
    station, from the hourly values (GB 3095 validity: at least 20 hours a day)."""
    return stations.daily_trend(db, actor=actor, days=stations.parse_days(days), station_id=station,
                                department_id=department_id)
