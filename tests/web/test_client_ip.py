"""An anonymous harvester cannot reset its rate limit by sending a made-up X-Forwarded-For; behind a configured
reverse proxy, the address the proxy saw is the client's (rate limit and audit alike)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.opendata_api.helpers import open_catalog  # noqa: F401 - a fixture, used by name
from zhicheng.policy.models import AuditEntry
from zhicheng.web.app import create_app
from zhicheng.web.client_ip import client_ip, networks


def serve(settings, peer: str, **overrides):
    for name, value in {"open_rate_per_minute": 3, **overrides}.items():
        setattr(settings, name, value)
    app = create_app(settings)
    return app, TestClient(app, client=(peer, 40000))


def last_ip(db) -> str | None:
    db.expire_all()
    return db.scalars(select(AuditEntry.ip).order_by(AuditEntry.seq.desc()).limit(1)).first()


def test_spoofed_forwarded_for_does_not_reset_the_anonymous_limit(settings, db, open_catalog):  # noqa: F811
    app, client = serve(settings, "203.0.113.9")
    url = f"/api/v1/open/datasets/{open_catalog.air.id}/rows"
    with client:
        assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
        assert client.get(url).status_code == 429
        for n in range(5):  # a new "client" each time, as the attacker claims
            r = client.get(url, headers={"X-Forwarded-For": f"198.51.100.{n}"})
            assert r.status_code == 429, r.text
    app.state.engine.dispose()


def test_zhicheng_serve_does_not_believe_a_local_clients_forwarded_for(settings, open_catalog):  # noqa: F811
    """Through a real uvicorn as `zhicheng serve` configures it (uvicorn's own proxy_headers trusted 127.0.0.1)."""
    import threading

    import httpx
    import uvicorn

    from tests.helpers.browser import LiveServer
    from zhicheng.cli import server_options

    app, _ = serve(settings, "127.0.0.1")
    server = LiveServer(app)
    options = {k: v for k, v in server_options(settings).items() if k not in ("host", "port")}
    server.server = uvicorn.Server(uvicorn.Config(app, lifespan="on", access_log=False, **options))
    server.thread = threading.Thread(target=server.server.run, kwargs={"sockets": [server.sock]}, daemon=True)
    server.start()
    try:
        url = f"{server.url}/api/v1/open/datasets/{open_catalog.air.id}/rows"
        with httpx.Client() as http:
            assert [http.get(url).status_code for _ in range(3)] == [200, 200, 200]
            spoofed = [http.get(url, headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(4)]
        assert spoofed == [429] * 4
    finally:
        server.stop()
        app.state.engine.dispose()


def test_a_trusted_proxys_forwarded_for_is_the_client(settings, db, open_catalog):  # noqa: F811
    app, client = serve(settings, "10.0.0.2", trusted_proxies=["10.0.0.0/24"])
    url = f"/api/v1/open/datasets/{open_catalog.air.id}/rows"
    with client:
        # the proxy appends the address it saw; what the client wrote before it is not believed
        seen = {"X-Forwarded-For": "6.6.6.6, 198.51.100.20"}
        assert [client.get(url, headers=seen).status_code for _ in range(3)] == [200, 200, 200]
        assert last_ip(db) == "198.51.100.20"
        assert client.get(url, headers=seen).status_code == 429
        other = client.get(url, headers={"X-Forwarded-For": "198.51.100.21"})  # another citizen behind the proxy
        assert other.status_code == 200 and last_ip(db) == "198.51.100.21"
    app.state.engine.dispose()


def test_client_ip_reads_the_chain_from_the_right():
    proxies = networks(["10.0.0.0/8", "192.0.2.1"])
    assert client_ip("203.0.113.1", "1.2.3.4", proxies) == "203.0.113.1"  # not a proxy: its header is ignored
    assert client_ip("10.1.1.1", "1.2.3.4, 5.6.7.8", proxies) == "5.6.7.8"
    assert client_ip("10.1.1.1", "1.2.3.4, 5.6.7.8, 192.0.2.1", proxies) == "5.6.7.8"  # two proxies in a row
    assert client_ip("10.1.1.1", "10.2.2.2", proxies) == "10.2.2.2"  # only proxies: the farthest
    assert client_ip("10.1.1.1", "not-an-ip", proxies) == "10.1.1.1"
    assert client_ip("10.1.1.1", "[2001:db8::1]:443", proxies) == "2001:db8::1"
    assert client_ip("10.1.1.1", "1.2.3.4", networks([])) == "10.1.1.1"  # none configured: never believed
