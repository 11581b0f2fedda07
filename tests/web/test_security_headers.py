"""Every kind of answer — page, API, fast lane, static file, error, API docs — carries the security headers (CSP,
no framing, referrer policy, nosniff); the public APIs answer other sites' scripts (CORS), staff APIs never."""

from __future__ import annotations

import pytest

from tests.exchange.test_delivery import world  # noqa: F401 - a fixture, used by name
from tests.opendata_api.helpers import open_catalog  # noqa: F401 - a fixture, used by name
from zhicheng.web.security_headers import CSP

EXPECTED = {
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-content-type-options": "nosniff",
}


def check(r) -> None:
    csp = r.headers.get("content-security-policy", "")
    assert csp == CSP, (r.request.url, r.status_code, csp)
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    for name, value in EXPECTED.items():
        assert r.headers.get(name) == value, (r.request.url, name, r.headers.get(name))
    assert len(r.headers.get_list("x-content-type-options")) == 1  # never doubled by a route that sets it too


def test_every_kind_of_answer_carries_the_security_headers(client, world, auth_headers, open_catalog):  # noqa: F811
    world["make_grant"]()
    lane = client.get(world["url"], params={"size": 2}, headers=auth_headers(world["consumer"]))
    assert lane.status_code == 200, lane.text
    answers = [
        client.get("/login", headers={"Accept": "text/html"}),  # page
        client.get("/open", headers={"Accept": "text/html"}),  # portal page
        client.get("/api/v1/health"),  # API
        lane,  # sharing fast lane (bearer token)
        client.get("/api/3/action/datastore_search", params={"resource_id": open_catalog.air.id}),  # CKAN lane
        client.get(world["url"]),  # 401 problem+json
        client.get("/no/such/page", headers={"Accept": "text/html"}),  # 404 page
        client.get("/api/v1/no-such-api"),  # 404 problem
        client.get("/static/zhicheng.css"),  # static file
        client.get("/api/docs"),  # Swagger UI
        client.get(f"/open/datasets/{open_catalog.air.id}/download.csv"),  # a download that sets nosniff itself
    ]
    for r in answers:
        check(r)


def test_pages_hold_no_inline_script(client, open_catalog):  # noqa: F811
    """The CSP allows scripts from 'self' only: no page may rely on an inline script or event handler."""
    import re

    for path in ("/login", "/open", f"/open/datasets/{open_catalog.air.id}", "/open/stats", "/api/docs"):
        html = client.get(path, headers={"Accept": "text/html"}).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"\son[a-z]+\s*=", html), path


@pytest.mark.parametrize("prefix", ["/api/3/action", "/api/action"])
def test_public_apis_answer_other_sites_scripts(client, open_catalog, prefix):  # noqa: F811
    origin = {"Origin": "https://apps.example.org"}
    r = client.get(f"{prefix}/package_list", headers=origin)
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers
    r = client.get(f"{prefix}/datastore_search", params={"resource_id": open_catalog.air.id}, headers=origin)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"  # the lane too
    assert "X-Total-Count" in r.headers["access-control-expose-headers"]
    pre = client.options(f"{prefix}/package_search", headers={
        **origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-api-key"})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == "*"
    assert "GET" in pre.headers["access-control-allow-methods"]
    assert "X-API-Key" in pre.headers["access-control-allow-headers"]
    check(pre)
    for path in (f"/api/v1/open/datasets/{open_catalog.air.id}/rows", "/catalog.ttl",
                 f"/open/datasets/{open_catalog.air.id}/download.csv"):
        r = client.get(path, headers=origin)
        assert r.headers.get("access-control-allow-origin") == "*", (path, r.status_code)
    pre = client.options("/api/3/action/package_search", headers={**origin, "Access-Control-Request-Method": "DELETE"})
    assert "access-control-allow-origin" not in pre.headers  # read-only


def test_staff_apis_get_no_cors(client, world, auth_headers):  # noqa: F811
    world["make_grant"]()
    origin = {"Origin": "https://evil.example"}
    for r in (
        client.get(world["url"], headers={**origin, **auth_headers(world["consumer"])}),  # lane
        client.get("/api/v1/catalog/resources", headers={**origin, **auth_headers(world["consumer"])}),
        client.get("/api/v1/health", headers=origin),
        client.options("/api/v1/catalog/resources", headers={**origin, "Access-Control-Request-Method": "GET"}),
    ):
        assert not any(h.startswith("access-control-") for h in r.headers), (r.request.url, dict(r.headers))


def test_cors_origins_are_configurable(settings, open_catalog):  # noqa: F811
    from fastapi.testclient import TestClient

    from zhicheng.web.app import create_app

    settings.cors_origins = ["https://maps.example.org"]
    app = create_app(settings)
    with TestClient(app) as c:
        ok = c.get("/api/3/action/package_list", headers={"Origin": "https://maps.example.org"})
        assert ok.headers["access-control-allow-origin"] == "https://maps.example.org"
        assert "Origin" in ok.headers["vary"]
        other = c.get("/api/3/action/package_list", headers={"Origin": "https://other.example"})
        assert "access-control-allow-origin" not in other.headers and "Origin" in other.headers["vary"]
    app.state.engine.dispose()
