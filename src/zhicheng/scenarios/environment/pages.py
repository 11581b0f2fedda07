"""The calculators page `/environment/calculators` (物联感知 › 环境计算器): AQI of an hour or a day, surface water class
and noise compliance, each a GET form answered on the same page (its JSON twin: POST /api/v1/environment/…)."""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request

from zhicheng.core.errors import AppError
from zhicheng.scenarios.environment import aqi, noise, water
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
CALCULATORS = ("aqi-hour", "aqi-day", "water", "noise")
# the parameters an automatic water-quality station measures: the page's form (the API and CLI take all of Table 1)
STATION_WATER = ("ph", "do", "codmn", "cod", "bod5", "nh3n", "tp", "tn")


def _aqi_fields(kind: str) -> list[dict[str, str]]:
    return [{"key": p.key, "name": p.name, "name_en": p.name_en, "unit": aqi.TABLE[p.column].unit}
            for p in aqi.accepted(kind).values()]


def _compute(calc: str, params: Any) -> dict[str, Any]:
    """The result of the calculator `calc` for the submitted form (its keys as the API's), as the template uses it."""
    if calc in ("aqi-hour", "aqi-day"):
        kind = calc.removeprefix("aqi-")
        result = aqi.calculate(kind, {k: params.get(k) for k in aqi.accepted(kind)})
        return {"aqi": result}
    if calc == "water":
        target = params.get("target") or None
        result = water.classify({k: params.get(k) for k in STATION_WATER},
                                water_body=params.get("water_body") or "river", target=target)
        return {"water": result}
    result = noise.assess(zone=params.get("zone") or "", leq=params.get("leq"),
                          period=params.get("period") or None, at=params.get("time") or None,
                          lmax=params.get("lmax"))
    return {"noise": result}


@router.get("/environment/calculators")
def calculators(request: Request, calc: str = Query("", max_length=10)):
    """环境计算器 / the environment calculators (open to anyone: they read and store nothing)."""
    lang = request_language(request)
    ctx: dict[str, Any] = {
        "calc": calc if calc in CALCULATORS else "", "form": dict(request.query_params), "error": None,
        "error_field": None, "aqi": None, "water": None, "noise": None,
        "hour_fields": _aqi_fields("hour"), "day_fields": _aqi_fields("day"),
        "water_fields": [water.PARAMETERS[k] for k in STATION_WATER], "zones": list(noise.ZONES.values()),
        "levels": aqi.LEVELS, "breadcrumbs": [("物联感知", None), ("环境计算器", None)]}
    if ctx["calc"]:
        try:
            ctx.update(_compute(calc, request.query_params))
        except AppError as exc:
            ctx["error"], ctx["error_field"] = exc.message(lang), exc.field
    return render(request, "environment/calculators.html", ctx)
