"""Pages of the web shell: the home page, the language switch and the about page."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from zhicheng.core.errors import Invalid
from zhicheng.policy.service import Target, decide
from zhicheng.web.deps import get_db
from zhicheng.web.i18n import COOKIE, LANGUAGES, normalise, request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.summary import about_sources, home_summary
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def safe_next(target: str | None, fallback: str = "/") -> str:
    """`target` when it is a path on this site, else `fallback`: never an open redirect."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


def without_lang(target: str) -> str:
    """`target` without a `lang=` query parameter, which would override the language just chosen."""
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    return parts.path + (f"?{urlencode(query)}" if query else "")


@router.get("/")
def home(request: Request, db: Session = Depends(get_db)):
    """Staff see their workbench (catalog counts, newest resources, their queue); visitors a welcome."""
    actor = getattr(request.state, "actor", None)
    ctx: dict = {}
    if actor is not None and actor.is_authenticated:
        ctx["summary"] = home_summary(db, actor=actor, lang=request_language(request))
        ctx["can_register"] = decide(actor, "create", Target("catalog.resource", department_id=actor.department_id)).allowed
        if decide(actor, "update", Target("exchange.holidays")).allowed:  # the years whose holidays nobody entered: their deadlines are provisional
            from zhicheng.core.workdays import service as deadlines

            ctx["missing_years"] = deadlines.missing_years(db)
    return render(request, "home.html", ctx)


@router.get("/lang/{code}")
def switch_language(code: str, request: Request, next: str | None = None):  # noqa: A002 - the query name
    """Remember the chosen language in a cookie and go back to the page the user came from."""
    lang = normalise(code)
    if lang not in LANGUAGES:
        raise Invalid(f"不支持的语言：{code}（可选 zh-CN、en）",
                      f"Unsupported language: {code} (choose zh-CN or en)", field="code")
    referer = request.headers.get("referer")
    back = next
    if not back and referer:
        ref = urlsplit(referer)
        if ref.netloc == request.url.netloc:
            back = ref.path + (f"?{ref.query}" if ref.query else "")
    response = RedirectResponse(without_lang(safe_next(back)), status_code=303)
    response.set_cookie(COOKIE, lang, max_age=LANG_COOKIE_MAX_AGE, samesite="lax", httponly=False,
                        secure=request.app.state.settings.secure_cookies, path="/")
    return response


@router.get("/about")
def about(request: Request):
    """What the platform is, where the demo city's data comes from and under which licences."""
    return render(request, "about.html", {"sources": about_sources(lang=request_language(request)),
                                          "breadcrumbs": [("关于本平台", None)]})


def nav_entries(nav) -> None:
    """This domain's entries in the app shell's navigation (`nav` is a web.navigation.Navigation)."""
    nav.register_nav(None, "首页", "/", public=True, order=0)
    nav.register_nav(None, "关于", "/about", public=True, order=90)
