"""Several workers, one platform: `zhicheng serve --workers 2` on one database, without a broker (SQLite, the change
counters) and with the real one (Redis); a change made through one worker (a withdrawal, a republication, a
masking rule) is seen through the other on the next call, a burst to both leaves the audit chain intact, and a fact crosses to every worker's broadcast handlers only."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.helpers.accounts import DEFAULT_PASSWORD
from tests.helpers.served import environ, serve_workers
from tests.opendata_api.helpers import open_catalog  # noqa: F401 - fixture
from zhicheng.core.events import bus

REDIS = "redis://127.0.0.1:6379/15"


def redis_or_skip() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        reason = f"Redis not reachable at {REDIS}: {exc}"
        print(reason)
        pytest.skip(reason)
    return REDIS


def many(base: str, n: int, call) -> list:
    """`call(client)` n times at once, each on a connection of its own (so the calls land on every worker)."""

    def one(_i: int):
        with httpx.Client(base_url=base, timeout=60) as c:
            return call(c)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(n)))


def package_names(c: httpx.Client) -> list[str]:
    r = c.get("/api/3/action/package_list")
    assert r.status_code == 200, r.text
    return r.json()["result"]


def search_count(c: httpx.Client) -> int:
    r = c.get("/api/3/action/package_search", params={"rows": 0})
    assert r.status_code == 200, r.text
    return r.json()["result"]["count"]


def contact_column(c: httpx.Client, resource: str) -> list[str]:
    """The masked mobile numbers of the air-quality table, through CKAN's datastore_search."""
    r = c.get("/api/3/action/datastore_search", params={"resource_id": resource, "limit": 5})
    assert r.status_code == 200, r.text
    return [rec["contact"] for rec in r.json()["result"]["records"]]


def ckan_name(c: httpx.Client, title: str) -> str:
    r = c.get("/api/3/action/package_search", params={"q": title, "rows": 5})
    return next(d["name"] for d in r.json()["result"]["results"] if d["title"] == title)


@pytest.mark.parametrize("broker", ["none", "redis"])
def test_a_change_through_one_worker_is_seen_through_every_worker_on_the_next_call(
        db, settings, open_catalog, make_user, broker):  # noqa: F811 - open_catalog is a fixture
    env = {"ZHICHENG_BUS_URL": redis_or_skip()} if broker == "redis" else {}
    make_user("workers_admin", roles=["admin"])
    with serve_workers(environ(settings, **env)) as (base, pids):
        print(f"broker={broker}: workers {pids}")
        assert len(pids) == 2
        with httpx.Client(base_url=base, timeout=60) as c:
            air = ckan_name(c, open_catalog.air.name)
            r = c.post("/api/v1/auth/token", json={"username": "workers_admin", "password": DEFAULT_PASSWORD})
            admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        before = many(base, 24, package_names)  # every worker now holds the listing in its cache
        assert all(air in names for names in before)
        counts = set(many(base, 24, search_count))
        assert len(counts) == 1

        with httpx.Client(base_url=base, timeout=60) as c:  # through one worker
            r = c.post(f"/api/v1/catalog/resources/{open_catalog.air.id}/withdraw", headers=admin,
                       json={"reason": "数据源调整"})
            assert r.status_code == 200, r.text
        after = many(base, 24, package_names)
        assert not [names for names in after if air in names], "a worker still lists the withdrawn dataset"
        assert set(many(base, 24, search_count)) == {counts.pop() - 1}

        with httpx.Client(base_url=base, timeout=60) as c:  # a new revision, published again
            assert c.post(f"/api/v1/catalog/resources/{open_catalog.air.id}/revise", headers=admin,
                          json={}).status_code == 200
            assert c.post(f"/api/v1/catalog/resources/{open_catalog.air.id}/submit", headers=admin,
                          json={}).status_code == 200
            r = c.post(f"/api/v1/catalog/resources/{open_catalog.air.id}/review", headers=admin,
                       json={"decision": "publish"})
            assert r.status_code == 200, r.text
        assert all(air in names for names in many(base, 24, package_names))

        with httpx.Client(base_url=base, timeout=60) as c:  # the admin's masking rule, edited through one worker
            package = c.get("/api/3/action/package_show", params={"id": air}).json()["result"]
            resource = package["resources"][0]["id"]
            contacts = contact_column(c, resource)
            assert contacts and all("****" in v for v in contacts), contacts
            r = c.put("/api/v1/exchange/masking-rules/mobile", headers=admin,
                      json={"params": {"keep_first": 3, "keep_last": 2, "char": "#"}})
            assert r.status_code == 200, r.text
        seen = many(base, 24, lambda c: contact_column(c, resource))
        assert all(v.startswith("138") and v.endswith("#" * 6 + v[-2:]) for values in seen for v in values), seen[:2]

        def audited(c: httpx.Client) -> int:  # a burst of audited calls to both workers
            return c.get(f"/api/v1/catalog/resources/{open_catalog.air.id}", headers=admin).status_code

        assert set(many(base, 80, audited)) == {200}
    verify = subprocess.run([sys.executable, "-m", "zhicheng", "audit", "verify"], env=environ(settings),
                            capture_output=True, text=True, timeout=120)
    print(verify.stdout.strip().splitlines()[-1:] if verify.stdout else verify.stderr[-300:])
    assert verify.returncode == 0, verify.stdout + verify.stderr


PUBLISHER = """
import sys
from zhicheng.core.events import bus
remote = bus.connect(sys.argv[1])
bus.subscribe("catalog.resource.updated", lambda n, p: None, broadcast=True)
bus.publish("catalog.resource.updated", {"id": 7, "from": "the other worker"})
bus.publish("opendata.used", {"resource_id": 7})
bus.disconnect(remote)
"""


def test_a_fact_from_another_process_reaches_broadcast_handlers_only():
    url = redis_or_skip()
    heard: dict[str, list] = {"broadcast": [], "local": []}

    def broadcast(name, payload):
        heard["broadcast"].append((name, payload))

    def local(name, payload):
        heard["local"].append((name, payload))

    bus.subscribe("catalog.resource.updated", broadcast, broadcast=True)
    bus.subscribe("catalog.resource.updated", local)
    bus.subscribe("opendata.used", local)
    remote = bus.connect(url)
    try:
        done = subprocess.run([sys.executable, "-c", PUBLISHER, url], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 30
        while not heard["broadcast"] and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        bus.disconnect(remote)
        bus.unsubscribe("catalog.resource.updated", broadcast)
        bus.unsubscribe("catalog.resource.updated", local)
        bus.unsubscribe("opendata.used", local)
    print(heard)
    assert heard["broadcast"] == [("catalog.resource.updated", {"id": 7, "from": "the other worker"})]
    assert heard["local"] == []  # once-only work (usage counts, lineage, webhooks) stays where it was published


def test_a_bus_url_that_is_not_redis_is_refused_in_one_line(settings, engine):
    done = subprocess.run([sys.executable, "-m", "zhicheng", "serve", "--workers", "2"], capture_output=True,
                          text=True, timeout=120, env=environ(settings, ZHICHENG_BUS_URL="nats://127.0.0.1:4222"))
    print(done.stderr.strip())
    assert done.returncode != 0
    assert "ZHICHENG_BUS_URL" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_broker_that_is_down_costs_a_warning_not_the_publisher():
    heard = []

    def handler(_name, payload):
        heard.append(payload)

    bus.subscribe("catalog.resource.updated", handler, broadcast=True)
    remote = bus.connect("redis://127.0.0.1:1/0")  # nothing listens there
    try:
        bus.publish("catalog.resource.updated", {"id": 1})
    finally:
        bus.disconnect(remote)
        bus.unsubscribe("catalog.resource.updated", handler)
    assert heard == [{"id": 1}]  # the local handlers ran; the other workers' caches rest on the counters
