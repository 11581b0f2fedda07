"""The page 物联感知 › 防汛监测 (`/flood`): gauges, level stations and waterlogging points on a MapLibre map coloured by
class or state, their tables and a 24-hour chart per station (its JSON twins: GET /api/v1/flood/rain, /levels,
/waterlogging; the chart reads /api/v1/iot/datastreams/{id}/aggregates)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import current_actor
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError
from zhicheng.scenarios.flood import levels, rain, waterlogging
from zhicheng.web.deps import get_db
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/flood"
SCRIPT = Path(__file__).parent / "static" / "flood.js"


def _features(report: dict, items: str, kind: str, colour) -> list[dict[str, Any]]:
    return [{"type": "Feature", "geometry": {"type": "Point", "coordinates": s["position"]},
             "properties": {"id": s["id"], "kind": kind, "name": s["name"], "code": s["code"], "colour": colour(s)}}
            for s in report[items] if s["position"]]


@router.get(PAGE)
def flood_page(request: Request, at: str | None = Query(default=None, max_length=40), db: Session = Depends(get_db),
               actor: Actor = Depends(current_actor)):
    """防汛监测 / flood monitoring: what the visitor may see (open stations; staff also their department's)."""
    lang = request_language(request)
    ctx: dict[str, Any] = {"breadcrumbs": [("物联感知", None), ("防汛监测", None)], "error": None, "at": at or ""}
    try:
        ctx["rain"] = rain.gauge_rain(db, actor=actor, at=at)
        ctx["levels"] = levels.station_levels(db, actor=actor, at=at)
        ctx["waterlogging"] = waterlogging.points_depth(db, actor=actor, at=at)
    except AppError as exc:
        ctx["error"] = exc.message(lang)
        ctx["rain"] = rain.gauge_rain(db, actor=actor)
        ctx["levels"] = levels.station_levels(db, actor=actor)
        ctx["waterlogging"] = waterlogging.points_depth(db, actor=actor)
        ctx["at"] = ""
    features = (_features(ctx["rain"], "gauges", "rain", lambda s: (s["class"] or {}).get("colour", "#94a3b8"))
                + _features(ctx["levels"], "stations", "level", lambda s: s["colour"])
                + _features(ctx["waterlogging"], "points", "waterlogging", lambda s: s["colour"]))
    ctx["geojson"] = {"type": "FeatureCollection", "features": features}
    ctx["rain_classes"] = rain.CLASSES
    ctx["level_states"] = levels.STATES
    ctx["waterlogging_grades"] = waterlogging.GRADES
    return render(request, "flood/monitor.html", ctx)


@router.get("/flood/static/flood.js")
def flood_script() -> FileResponse:
    """The page's script (the Content-Security-Policy allows scripts from this site only)."""
    return FileResponse(SCRIPT, media_type="text/javascript", headers={"Cache-Control": "public, max-age=300"})
