"""The domains' router skips a branch whose routes cannot match the path, and changes nothing else: every route,
405 for a known path with another method, 404 for an unknown one, path parameters at any place."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from zhicheng.web.routing import APIRouter, literal_prefix


def test_literal_prefix_stops_at_the_first_parameter():
    assert literal_prefix(["/api/v1/exchange/resources/{rid}/rows", "/api/v1/exchange/requests"]) == "/api/v1/exchange/re"
    assert literal_prefix(["/{page}", "/about"]) == "/"
    assert literal_prefix(["/catalog"]) == "/catalog"
    assert literal_prefix([]) == ""


def test_routes_answer_as_before():
    app = FastAPI()
    a = APIRouter(prefix="/api/v1/a")
    b = APIRouter()
    pages = APIRouter()

    @a.get("/items/{n}")
    def item(n: int) -> dict:
        return {"n": n}

    @a.post("/items")
    def create() -> dict:
        return {"created": True}

    @b.get("/api/v1/b/{name}/rows")
    def rows(name: str) -> dict:
        return {"name": name}

    @pages.get("/{slug}")
    def page(slug: str) -> dict:
        return {"slug": slug}

    for router in (a, b, pages):
        app.include_router(router)
    with TestClient(app) as c:
        assert c.get("/api/v1/a/items/7").json() == {"n": 7}
        assert c.post("/api/v1/a/items").json() == {"created": True}
        assert c.get("/api/v1/a/items").status_code == 405
        assert c.get("/api/v1/b/x/rows").json() == {"name": "x"}
        assert c.get("/about").json() == {"slug": "about"}
        assert c.get("/api/v1/c/nothing").status_code == 404
        assert c.get("/api/v1/a/items/not-a-number").status_code == 422


def test_a_branch_that_cannot_match_is_not_walked(monkeypatch):
    app = FastAPI()
    a = APIRouter(prefix="/api/v1/a")
    walked = []

    @a.get("/x/{n}")
    def x(n: int) -> dict:
        return {"n": n}

    app.include_router(a)
    import fastapi.routing as fr  # FastAPI's walk over an included router's routes, counted

    real = fr._IncludedRouter._match

    def counting(self, scope):
        walked.append(scope["path"])
        return real(self, scope)

    monkeypatch.setattr(fr._IncludedRouter, "_match", counting)
    with TestClient(app) as c:
        assert c.get("/api/v1/a/x/1").json() == {"n": 1}
        assert c.get("/elsewhere").status_code == 404
    assert "/api/v1/a/x/1" in walked and "/elsewhere" not in walked
