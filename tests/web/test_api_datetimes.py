"""Every datetime an API answers with says its offset (Beijing time, +08:00): a walk over the OpenAPI document's
GET operations as a department user and as the platform admin finds no datetime without a zone; and a page shows
Beijing time for a known UTC instant."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.exchange.test_delivery import world  # noqa: F401 - a fixture, used by name
from tests.opendata_api.helpers import open_catalog  # noqa: F401 - a fixture, used by name
from zhicheng.core.clock import ApiDatetime
from zhicheng.web.templating import fmt_time

DATETIME = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(?P<zone>Z|[+-]\d\d:?\d\d)?$")


def naive_datetimes(value, path="") -> list[str]:
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            found += naive_datetimes(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value[:20]):
            found += naive_datetimes(v, f"{path}[{i}]")
    elif isinstance(value, str):
        m = DATETIME.match(value)
        if m and not m.group("zone"):
            found.append(f"{path}={value}")
    return found


def walk(client, headers, ids) -> tuple[int, list[str]]:
    spec = client.get("/api/openapi.json").json()
    seen, bad = 0, []
    for path, ops in spec["paths"].items():
        if "get" not in ops or not path.startswith("/api/v1/"):
            continue
        params = re.findall(r"\{([a-z_]+)\}", path)
        if any(p not in ids for p in params):
            continue
        url = path.format(**{p: ids[p] for p in params})
        r = client.get(url, headers=headers)
        if r.status_code != 200 or not r.headers.get("content-type", "").startswith("application/json"):
            continue
        seen += 1
        bad += [f"{url} {b}" for b in naive_datetimes(r.json())]
    return seen, bad


def test_every_api_datetime_carries_an_offset(client, world, auth_headers, db, open_catalog):  # noqa: F811
    grant = world["make_grant"]()
    consumer = auth_headers(world["consumer"])
    assert client.post("/api/v1/me/api-keys", json={"name": "k"}, headers=consumer).status_code == 201
    ids = {"resource_id": world["resource"].id, "version": 1, "grant_id": grant.id, "id": grant.id,
           "user_id": world["consumer"].id, "request_id": grant.request_id, "dataset_id": open_catalog.air.id}
    total = 0
    for headers in ({}, consumer, auth_headers(world["admin"])):
        seen, bad = walk(client, headers, ids)
        total += seen
        assert bad == [], bad
    print(f"{total} JSON answers walked")
    assert total >= 10
    me = client.get("/api/v1/me/api-keys", headers=consumer).json()
    assert me[0]["created_at"].endswith("+08:00")  # ApiKeyOut.created_at, named in the issue


def test_the_api_type_and_the_pages_show_beijing_time():
    instant = datetime(2026, 12, 7, 2, 30, tzinfo=UTC)
    from pydantic import TypeAdapter

    adapter = TypeAdapter(ApiDatetime)
    assert adapter.dump_json(adapter.validate_python(instant.replace(tzinfo=None))) == b'"2026-12-07T10:30:00+08:00"'
    assert fmt_time(instant) == fmt_time(instant.replace(tzinfo=None)) == "2026-12-07 10:30"


def test_my_account_page_shows_beijing_time(client, make_user, login, db):
    from zhicheng.accounts.models import ApiKey

    user = make_user("zhou_time")
    csrf = login(client, user)
    client.post("/account/api-keys", data={"name": "时区", "csrf_token": csrf})
    key = db.query(ApiKey).filter_by(user_id=user.id).one()
    key.created_at = datetime(2026, 12, 7, 2, 30, tzinfo=UTC)
    db.commit()
    page = client.get("/account", headers={"Accept": "text/html"}).text
    assert "2026-12-07 10:30" in page and "2026-12-07 02:30" not in page
