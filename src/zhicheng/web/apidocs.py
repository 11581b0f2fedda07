"""The API documentation pages, served from vendored Swagger UI (no CDN), the OpenAPI document and the favicon."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import FileResponse, JSONResponse

from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import static_dir, templates

router = APIRouter(include_in_schema=False)
OPENAPI_URL = "/api/openapi.json"


@router.get("/api/docs")
def api_docs(request: Request):
    """Swagger UI over the OpenAPI document: scripts and styles from /static, its initialiser a static file (the
    Content-Security-Policy allows no inline script)."""
    return templates().TemplateResponse(request, "api_docs.html", {
        "lang": request_language(request), "openapi_url": OPENAPI_URL, "title": request.app.title})


@router.get("/openapi.json")
def openapi_document(request: Request) -> JSONResponse:
    """The OpenAPI document at the root as well, where generic clients (schemathesis, Postman) look first."""
    return JSONResponse(request.app.openapi())


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """Browsers ask for /favicon.ico whatever the page says: the site's SVG mark."""
    return FileResponse(static_dir() / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})
