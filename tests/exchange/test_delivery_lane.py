"""The fast lane of the granted-rows API answers exactly as the route does: the same status, body, headers and
errors for every kind of request, the same audit; browser sessions and API keys take the route itself."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from zhicheng.accounts import service as accounts
from zhicheng.exchange.delivery import lane as delivery_lane
from zhicheng.policy.models import AuditEntry

SAME_HEADERS = ("content-type", "x-grant-id", "x-zhicheng-grant", "x-masked-fields", "x-next-cursor", "link", "www-authenticate")




@pytest.fixture
def lane_calls(monkeypatch):
    calls = []
    real = delivery_lane._serve

    def counted(*args):
        calls.append(args[2])
        return real(*args)

    monkeypatch.setattr(delivery_lane, "_serve", counted)
    return calls


def deliveries(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "exchange.delivery"))


def same(a, b) -> None:
    assert a.status_code == b.status_code, (a.text, b.text)
    assert a.content == b.content
    for name in SAME_HEADERS:
        assert a.headers.get(name) == b.headers.get(name), name


def test_every_kind_of_request_gets_the_answer_of_the_route(client, route_client, world, db, auth_headers,
                                                            lane_calls):
    world["make_grant"](["xm", "sjhm", "dqdm", "nl"])
    token = auth_headers(world["consumer"])
    stranger = auth_headers(world["stranger"])
    revoked = auth_headers(world["consumer"])
    accounts.revoke_token(db, token=revoked["Authorization"].split()[1])
    url = world["url"]
    cases = [
        (url, {"size": "7"}, token),
        (url, {"size": "7", "after": "WzddCg"}, token),  # a malformed cursor
        (url, {"size": "4", "sort": "-nl", "fields": "xm,nl"}, token),
        (url, {"filter[dqdm][prefix]": "430104", "format": "csv"}, token),
        (url, {"filter[xm]": "张三"}, token),  # a masked field: refused
        (url, {"size": "100000"}, token),
        (url, {"fields": "sfzh"}, token),  # not granted
        (url, {}, stranger),  # no grant
        (url, {}, revoked),
        (url, {}, {"Authorization": "Bearer not-a-token"}),
        ("/api/v1/exchange/resources/999999/rows", {}, token),
        ("/api/v1/exchange/resources/0/rows", {}, token),
        (url, {"size": "3", "lang": "en"}, token),
    ]
    for path, params, headers in cases:
        before = deliveries(db)
        fast = client.get(path, params=params, headers=headers)
        one = deliveries(db) - before
        slow = route_client.get(path, params=params, headers=headers)
        same(fast, slow)
        assert deliveries(db) - before == 2 * one  # each answer audited alike (or neither)
    assert len(lane_calls) == len(cases)  # every one answered by the lane (the route client has none)
    # walking every page through the lane gives what the route gives
    pages = {}
    for name, c in (("lane", client), ("route", route_client)):
        got, after = [], None
        while True:
            r = c.get(url, params={"size": "8", **({"after": after} if after else {})}, headers=token)
            got.append(r.content)
            after = r.json()["next"]
            if not after:
                break
        pages[name] = got
    assert pages["lane"] == pages["route"] and len(pages["lane"]) == 4


def test_an_api_key_and_a_browser_session_take_the_route(client, world, db, lane_calls, settings):
    world["make_grant"]()
    key = accounts.create_api_key(db, actor=accounts.actor_for(world["consumer"]), name="lane test")
    r = client.get(world["url"], params={"size": "2"}, headers={"X-API-Key": key.key})
    assert r.status_code == 200 and r.json()["count"] == 2 and lane_calls == []
    token = accounts.issue_token(db, user=world["consumer"], kind="session", settings=settings)
    client.cookies.set("zhicheng_session", token)
    r = client.get(world["url"], params={"size": "3"})
    assert r.status_code == 200 and r.json()["count"] == 3 and lane_calls == []
