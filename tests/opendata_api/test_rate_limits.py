"""A dataset's call limit holds across workers: two app instances on one database count in one Redis (a caller
cannot get the limit once per worker); without Redis each instance counts on its own in memory, as before."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from zhicheng.core.actor import SYSTEM
from zhicheng.core.ratelimit import NAMESPACE, scope_of
from zhicheng.opendata import service
from zhicheng.web.app import create_app

REDIS = "redis://127.0.0.1:6379/0"
CKAN = "/api/3/action/datastore_search"


def _redis_or_skip():
    import redis

    client = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS}: {exc}")
    return client


def _instances(settings, storage: str):
    """Two apps as two workers start them: the same settings, the same database, their own engines."""
    configured = settings.model_copy(update={"rate_limit_storage": storage})
    return [create_app(configured) for _ in range(2)]


def _close(apps):
    for application in apps:
        application.state.lane_workers.close()
        application.state.engine.dispose()


def _calls(client: TestClient, air) -> list[int]:
    """One CKAN datastore_search and one REST rows call (both fast lanes): their status codes."""
    ckan = client.get(CKAN, params={"resource_id": _ckan_id(client, air), "limit": 1})
    rest = client.get(f"/api/v1/open/datasets/{air.id}/rows", params={"size": 1})
    return [ckan.status_code, rest.status_code]


_ids: dict[int, str] = {}


def _ckan_id(client: TestClient, air) -> str:
    if air.id not in _ids:
        shown = client.get("/api/3/action/package_show", params={"id": air.code}).json()["result"]
        _ids[air.id] = shown["resources"][0]["id"]
    return _ids[air.id]


def test_two_workers_share_one_limit_in_redis(db, settings, open_catalog):
    store = _redis_or_skip()
    for key in store.scan_iter(f"LIMITER/{NAMESPACE}/{scope_of(settings.db_url)}/*"):
        store.delete(key)  # a previous run on this database's URL
    _ids.clear()
    service.set_resource_limit(db, actor=SYSTEM, resource_id=open_catalog.air.id, rate_per_minute=4)
    apps = _instances(settings, REDIS)
    try:
        with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
            _ckan_id(first, open_catalog.air)  # package_show is not a limited call
            assert _calls(first, open_catalog.air) == [200, 200]
            assert _calls(second, open_catalog.air) == [200, 200]
            # the fifth call in the minute, whichever worker answers it, is over the dataset's limit of 4
            for client in (first, second):
                refused = client.get(f"/api/v1/open/datasets/{open_catalog.air.id}/rows")
                assert refused.status_code == 429, refused.text
                assert int(refused.headers["Retry-After"]) >= 1
                assert refused.headers["content-type"].startswith("application/problem+json")
                ckan = client.get(CKAN, params={"resource_id": _ckan_id(client, open_catalog.air)})
                assert ckan.status_code == 429 and int(ckan.headers["Retry-After"]) >= 1
    finally:
        _close(apps)


def test_without_redis_each_worker_counts_in_memory(db, settings, open_catalog):
    assert settings.rate_limit_storage == "memory://"  # the embedded default
    _ids.clear()
    service.set_resource_limit(db, actor=SYSTEM, resource_id=open_catalog.air.id, rate_per_minute=2)
    apps = _instances(settings, "memory://")
    try:
        with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
            _ckan_id(first, open_catalog.air)
            assert _calls(first, open_catalog.air) == [200, 200]
            assert _calls(first, open_catalog.air) == [429, 429]
            assert _calls(second, open_catalog.air) == [200, 200]  # its own count: no broker, no sharing
    finally:
        _close(apps)


def test_a_lost_redis_serves_callers_rather_than_failing_them(db, settings, open_catalog):
    service.set_resource_limit(db, actor=SYSTEM, resource_id=open_catalog.air.id, rate_per_minute=1)
    apps = _instances(settings, "redis://127.0.0.1:1/0")  # nothing listens there
    try:
        with TestClient(apps[0]) as client:
            for _ in range(3):
                r = client.get(f"/api/v1/open/datasets/{open_catalog.air.id}/rows", params={"size": 1})
                assert r.status_code == 200, r.text
    finally:
        _close(apps)


def test_an_unknown_rate_limit_store_is_refused_at_start(settings):
    from pydantic import ValidationError

    from zhicheng.core.settings import Settings

    with pytest.raises(ValidationError, match="rate_limit_storage"):
        Settings(data=settings.data, rate_limit_storage="memcached://127.0.0.1:11211")
