"""A department holding two live grants on one resource names the one it reads under (grant= / grant_id=), and
every answer says which grant answered (X-Zhicheng-Grant, the envelope's grant_id); the fast lane and the route
answer alike."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.exchange.test_delivery import ROWS
from tests.exchange.test_delivery_lane import same


def two_grants(world):
    older = world["make_grant"](["xm", "dqdm", "nl"], row_filter={"dqdm": {"prefix": "430102"}})
    newer = world["make_grant"](["xm", "dqdm", "nl"], row_filter={"dqdm": {"prefix": "430104"}})
    return older, newer


def test_the_newest_grant_answers_unless_the_caller_names_another(client, world, auth_headers):
    older, newer = two_grants(world)
    token = auth_headers(world["consumer"])
    r = client.get(world["url"], params={"size": 100}, headers=token)
    assert r.status_code == 200 and r.headers["X-Zhicheng-Grant"] == str(newer.id) == str(r.json()["grant_id"])
    assert {row["dqdm"] for row in r.json()["items"]} == {"430104"}
    for name in ("grant", "grant_id"):
        r = client.get(world["url"], params={"size": 100, name: older.id}, headers=token)
        assert r.status_code == 200, r.text
        assert r.headers["X-Zhicheng-Grant"] == str(older.id) and r.json()["grant_id"] == older.id
        assert {row["dqdm"] for row in r.json()["items"]} == {"430102"} and r.json()["count"] == ROWS // 2
    # the next page's link keeps the grant
    r = client.get(world["url"], params={"size": 4, "grant": older.id}, headers=token)
    assert f"grant={older.id}" in r.headers["Link"]
    follow = client.get(r.headers["Link"].split(">")[0].lstrip("<"), headers=token)
    assert follow.headers["X-Zhicheng-Grant"] == str(older.id)
    # the bulk export too
    export = world["make_grant"](["dqdm", "nl"], delivery="file")
    r = client.get(world["url"].replace("/rows", "/export"), params={"grant": export.id}, headers=token)
    assert r.status_code == 200 and r.headers["X-Zhicheng-Grant"] == str(export.id)
    r = client.get(world["url"].replace("/rows", "/export"), params={"grant": older.id}, headers=token)
    assert r.status_code == 403 and r.json()["field"] == "delivery"  # that one is for the API only


def test_a_grant_not_the_callers_or_not_live_is_refused_naming_grant(client, db, world, auth_headers):
    older, newer = two_grants(world)
    theirs = world["make_grant"](department=world["stranger"].department)
    revoked = world["make_grant"](["xm"])
    revoked.revoked_at = datetime.now(UTC)
    db.commit()
    token = auth_headers(world["consumer"])
    for value, status in ((theirs.id, 404), (999_999, 404), (revoked.id, 403), ("abc", 422), ("-1", 422),
                          ("1e3", 422)):
        r = client.get(world["url"], params={"grant": value}, headers=token)
        assert r.status_code == status, (value, r.text)
        assert r.headers["content-type"].startswith("application/problem+json") and r.json()["field"] == "grant"
    r = client.get(world["url"], params=[("grant", older.id), ("grant_id", newer.id)], headers=token)
    assert r.status_code == 422 and r.json()["field"] == "grant"
    # the other department reads its own grant by name, not ours
    stranger = auth_headers(world["stranger"])
    assert client.get(world["url"], params={"grant": theirs.id}, headers=stranger).status_code == 200
    assert client.get(world["url"], params={"grant": older.id}, headers=stranger).status_code == 404


def test_the_lane_and_the_route_answer_alike_with_a_named_grant(client, route_client, db, world, auth_headers):
    older, newer = two_grants(world)
    theirs = world["make_grant"](department=world["stranger"].department)
    revoked = world["make_grant"](["xm"])
    revoked.revoked_at = datetime.now(UTC)
    db.commit()
    token = auth_headers(world["consumer"])
    for params in ({}, {"grant": older.id}, {"grant_id": newer.id, "size": 3}, {"grant": theirs.id},
                   {"grant": revoked.id}, {"grant": "x"}, {"grant": older.id, "format": "csv"}):
        fast = client.get(world["url"], params=params, headers=token)
        slow = route_client.get(world["url"], params=params, headers=token)
        same(fast, slow)
        assert fast.headers.get("x-zhicheng-grant") == slow.headers.get("x-zhicheng-grant")
