"""The 专题统计 page `/geo/stats`: pick a layer, the zones and a measure; the table per zone (largest first, the
whole table as XLSX/CSV/GeoJSON from the API) and a choropleth of the zones on an offline MapLibre map."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import require_user
from zhicheng.catalog.items import ItemType
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError
from zhicheng.geo.layers import service as layers
from zhicheng.geo.map_pages import map_layers
from zhicheng.geo.stats import service
from zhicheng.web.deps import get_db
from zhicheng.web.i18n import request_language, translate
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
SHOWN = 200  # rows on the page; the downloads hold them all
NAME_KEYS = ("name", "mc", "qhmc", "名称", "street_name", "community_name", "district_name", "grid_code", "code")
CODE_KEYS = ("code", "qhdm", "grid_code", "street_code", "district_code", "community_code", "bm", "dm")


def _zone_label(row: dict[str, Any]) -> tuple[str, str]:
    """(name, code) of a zone row, from the first of the usual name and code items it has."""
    name = next((str(row[k]) for k in NAME_KEYS if row.get(k) not in (None, "")), str(row.get("zone_id", "")))
    code = next((str(row[k]) for k in CODE_KEYS if row.get(k) not in (None, "") and str(row[k]) != name), "")
    return name, code


def _measures(entry: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(value, label to translate, item label) of the measures for a layer: count, area, length and a sum per
    numeric item."""
    out = [("count", "要素个数", ""), ("area", "面积（平方米）", ""), ("length", "长度（米）", "")]
    for spec in (entry or {}).get("items") or []:
        if ItemType(spec.type) in service.NUMERIC:
            out.append((f"sum:{spec.name}", "合计", spec.label))
    return out


@router.get("/geo/stats")
def stats_page(request: Request, layer: str = Query("", max_length=100), zones: str = Query("", max_length=100),
               measure: str = Query("count", max_length=80), db: Session = Depends(get_db),
               actor: Actor = Depends(require_user)):
    """专题统计 / thematic statistics per zone."""
    lang = request_language(request)
    listed = layers.list_layers(db, actor=actor, build_index=True)  # read once: the form's lists and the measures
    shown = map_layers(db, actor, listed)
    entries = {layers.collection_id(e["code"]): e for e in listed}
    chosen = entries.get(layer) if layer else None
    ctx: dict[str, Any] = {
        "layers": shown, "zone_layers": [e for e in shown if e["kind"] == "polygon"], "layer": layer,
        "zones": zones, "measure": measure, "measures": _measures(chosen), "result": None, "rows": [],
        "error": None, "breadcrumbs": [("一张图", "/map"), ("专题统计", None)],
        # the measure list follows the layer picked (the page's script swaps the options)
        "measure_options": {lid: [(v, translate(label, lang) + (f"：{item}" if item else "")) for v, label, item in
                                  _measures(e)] for lid, e in entries.items()}}
    if layer and zones:
        try:
            result = service.compute(db, actor=actor, request=request, layer=layers.code_of(layer),
                                     zones=layers.code_of(zones), measure=measure,
                                     ip=request.client.host if request.client else None)
        except AppError as exc:
            db.rollback()
            ctx["error"] = exc.message(lang)
        else:
            rows = sorted(result["rows"], key=lambda r: r["value"], reverse=True)
            ctx["result"] = service.as_json(result) | {"rows": None, "zone_count": len(rows)}
            ctx["rows"] = [(*_zone_label(r), r["value"]) for r in rows[:SHOWN]]
            query = urlencode({"layer": layer, "zones": zones, "measure": measure})
            ctx["downloads"] = {f: f"/api/v1/geo/stats?{query}&format={f}" for f in ("xlsx", "csv", "geojson")}
            ctx["shown"] = min(SHOWN, len(rows))
    return render(request, "stats/stats.html", ctx)


def nav_entries(nav) -> None:
    """专题统计 in the map group."""
    nav.register_nav("map", "专题统计", "/geo/stats", order=50)
