"""The air quality page `/environment/air` (物联感知 › 空气质量): the air stations on a MapLibre map coloured by their AQI
level (HJ 633 colours), the city's report of the latest hour, the ranking of stations and of districts, and the daily
AQI trend (ECharts); its data is the JSON of /api/v1/environment/stations, /ranking and /trend."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import require_user
from zhicheng.core.actor import Actor
from zhicheng.core.db import MAX_ID
from zhicheng.scenarios.environment import aqi, stations
from zhicheng.web.deps import get_db
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/environment/air"
SCRIPT = Path(__file__).parent / "static" / "air.js"
TREND_DAYS = (7, 14, 30)


def _demo_sources(view: stations.Overview) -> list[str]:
    """What the demo's replayed stations say of their source (shown on the page: which series, from where)."""
    return sorted({str(s.properties["replayed"]) for s in view.stations if s.properties.get("replayed")})


@router.get(PAGE)
def air_quality(request: Request, days: int = Query(7, ge=1, le=stations.MAX_DAYS),
                department_id: int | None = Query(None, ge=1, le=MAX_ID), actor: Actor = Depends(require_user),
                db: Session = Depends(get_db)):
    """空气质量：站点地图、全市实时 AQI、站点与区县排名、逐日趋势 / air quality: the stations' map, the city's
    latest AQI, rankings of stations and districts, the daily trend."""
    lang = request_language(request)
    view = stations.overview(db, actor=actor, department_id=department_id)
    data = stations.overview_out(view)
    ranking = stations.ranking_out(view)
    en = lang == "en"
    query = {"days": days, **({"department_id": department_id} if department_id else {})}
    config: dict[str, Any] = {
        "stations": [{k: s[k] for k in ("id", "code", "name", "lon", "lat", "current")}
                     | {"district": s["district"]["name"], "aqi": (s["report"] or {}).get("aqi"),
                        "level": (s["report"] or {}).get("level"), "colour": (s["report"] or {}).get("colour"),
                        "category": (s["report"] or {}).get("category_en" if en else "category")}
                     for s in data["stations"] if s["lon"] is not None],
        "levels": data["levels"], "trend": "/api/v1/environment/trend?" + urlencode(query), "lang": lang}
    return render(request, "environment/air.html", {
        "data": data, "ranking": ranking, "config": config, "days": days, "trend_days": TREND_DAYS,
        "levels": aqi.LEVELS, "sources": _demo_sources(view), "department_id": department_id,
        "breadcrumbs": [("物联感知", None), ("空气质量", None)]})


@router.get("/environment/static/air.js")
def air_script() -> FileResponse:
    """The page's script (the Content-Security-Policy allows scripts from this site only)."""
    return FileResponse(SCRIPT, media_type="text/javascript", headers={"Cache-Control": "public, max-age=300"})
