"""The API documentation (vendored Swagger UI, no CDN), the OpenAPI document, the favicon, the navigation as JSON."""

from __future__ import annotations

from fastapi import Query, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from zhicheng.web.i18n import request_language, translate
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import static_dir, templates

router = APIRouter()
OPENAPI_URL = "/api/openapi.json"


class NavLink(BaseModel):
    label: str = Field(description="名称（按请求语言）/ label in the request's language")
    href: str
    current: bool = Field(description="是否为 path 所在的页面 / whether `path` is this entry's page")


class NavEntry(NavLink):
    href: str | None = None  # type: ignore[assignment]  # a group has none
    key: str | None = Field(None, description="分组键 / group key: data map iot governance operations system")
    entries: list[NavLink] | None = Field(None, description="分组的菜单项 / a group's entries")


@router.get("/api/v1/navigation", response_model=list[NavEntry], tags=["system"],
            summary="导航（按角色）/ the app shell's navigation for the caller")
def navigation(request: Request, path: str = Query("/", max_length=2000, description="当前页面路径 / page path")):
    """The bar the pages show this caller: links and groups with the entries the caller's roles may use."""
    lang = request_language(request)
    bar = request.app.state.navigation.visible(getattr(request.state, "actor", None), path)

    def named(link: dict) -> dict:
        return {**link, "label": translate(link["label"], lang)}

    return [{**named(e), "entries": [named(x) for x in e["entries"]]} if "entries" in e else named(e) for e in bar]


@router.get("/api/docs", include_in_schema=False)
def api_docs(request: Request):
    """Swagger UI over the OpenAPI document: scripts and styles from /static, its initialiser a static file (the
    Content-Security-Policy allows no inline script)."""
    return templates().TemplateResponse(request, "api_docs.html", {
        "lang": request_language(request), "openapi_url": OPENAPI_URL, "title": request.app.title})


@router.get("/openapi.json", include_in_schema=False)
def openapi_document(request: Request) -> JSONResponse:
    """The OpenAPI document at the root as well, where generic clients (schemathesis, Postman) look first."""
    return JSONResponse(request.app.openapi())


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    """Browsers ask for /favicon.ico whatever the page says: the site's SVG mark."""
    return FileResponse(static_dir() / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})
