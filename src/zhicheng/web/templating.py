"""Jinja2 templates from every domain's templates/ folder, with the language and the current user in context."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader

from zhicheng.core import clock
from zhicheng.web import flash
from zhicheng.web.i18n import LANGUAGES, PKG, request_language, translate
from zhicheng.web.navigation import Navigation


@lru_cache
def templates() -> Jinja2Templates:
    dirs = [PKG / "web" / "templates"] + sorted(
        p for p in PKG.glob("*/templates") if p.parent.name != "web"
    ) + sorted(PKG.glob("*/*/templates"))
    from zhicheng.hookspecs import collected, installed  # the plugins' page templates, after ours

    dirs += [Path(d) for d in collected(installed().hook.zhicheng_template_dirs)]
    t = Jinja2Templates(directory=str(dirs[0]))
    t.env.loader = ChoiceLoader([FileSystemLoader(str(d)) for d in dirs])
    t.env.autoescape = True
    t.env.filters["fmt_time"] = fmt_time
    t.env.filters["fmt_value"] = fmt_value
    return t


LOCAL_TZ = clock.LOCAL_TZ  # the one zone every page shows (zhicheng.core.clock)


def fmt_time(value: Any, seconds: bool = False) -> str:
    """A timestamp (datetime or ISO text) as Beijing time 'YYYY-MM-DD HH:MM' (':SS' too with `seconds`, as the
    audit log shows it); naive values are UTC. The one way a page shows a moment."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


ISO_DATETIME = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?$")


def fmt_value(value: Any) -> Any:
    """A data cell as a page shows it: timestamps as 'YYYY-MM-DD HH:MM' (seconds only when there are any), those
    with a zone in Beijing time, those without as recorded (a data value's wall clock); None as ''."""
    if value is None:
        return ""
    if isinstance(value, str) and ISO_DATETIME.match(value):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(LOCAL_TZ)
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second or value.microsecond else "%Y-%m-%d %H:%M")
    return value


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200):
    """Render a page: `_()` translates; `lang`, `languages`, `actor`, `csrf_token`, `nav`, `flashes` are there.

    A page may pass `breadcrumbs` as a list of (label, href or None) pairs; labels are Chinese source strings.
    """
    lang = request_language(request)
    actor = getattr(request.state, "actor", None)
    # an htmx fragment does not show flashes, so it must not use them up
    flashes = [] if request.headers.get("HX-Request") else flash.pending(request)
    ctx: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "languages": LANGUAGES,
        "_": lambda s, **kw: (translate(s, lang) % kw) if kw else translate(s, lang),
        "actor": actor,
        "csrf_token": getattr(request.state, "csrf_token", "") or "",
        "settings": request.app.state.settings,
        "nav": getattr(request.app.state, "navigation", Navigation()).visible(actor, request.url.path),
        "flashes": flashes,
        "breadcrumbs": [],
        # punctuation between a label and its value differs: 全角 in Chinese, ASCII in English
        "colon": ": " if lang == "en" else "：",
        "lp": " (" if lang == "en" else "（",
        "rp": ")" if lang == "en" else "）",
    }
    ctx.update(context or {})
    response = templates().TemplateResponse(request, name, ctx, status_code=status_code)
    if flashes:
        flash.clear(response)
    return response


def static_dir() -> Path:
    return PKG / "web" / "static"
