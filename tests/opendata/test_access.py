"""The open-access gate: anonymous for 无条件开放, approved keys for 有条件开放, limits with Retry-After."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.errors import Forbidden, NotFound, TooMany, Unauthorized
from zhicheng.opendata import access, service
from zhicheng.opendata.models import ResourceLimit


def fake_request(app, headers: dict | None = None, ip: str = "10.0.0.1") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/x",
            "headers": raw,
            "client": (ip, 1234),
            "app": app,
            "query_string": b"",
        }
    )


def test_unconditional_is_anonymous_and_masked(db, app, open_data):
    got = access.check_open_access(db, fake_request(app), open_data["free"], kind="api")
    assert got.key_id is None and got.user_id is None and got.resource_id == open_data["free"].id
    columns, rows = datasets.read_rows(db, actor=got.actor, resource_id=got.resource_id, limit=10)
    assert columns[:2] == ["sfzh", "xm"]
    assert all("*" in r[0] and "*" in r[1] for r in rows)
    assert rows[0][2] == "岳麓街道"


def test_not_open_and_unknown_are_not_found(db, app, open_data):
    for res in (open_data["closed"], 999_999, 2**40):
        with pytest.raises(NotFound):
            access.check_open_access(db, fake_request(app), res, kind="download")


def test_conditional_needs_an_approved_key(db, app, open_data, make_portal_user, approved_key):
    cond = open_data["cond"]
    with pytest.raises(Unauthorized):
        access.check_open_access(db, fake_request(app), cond, kind="api")
    with pytest.raises(Unauthorized):
        access.check_open_access(
            db, fake_request(app, {"X-API-Key": "zco_000000000000_nope"}), cond, kind="api"
        )
    other = make_portal_user("nobody")
    _row, other_key = service.create_key(db, user=other, name="k")
    with pytest.raises(Forbidden):
        access.check_open_access(db, fake_request(app, {"X-API-Key": other_key}), cond, kind="api")
    got = access.check_open_access(
        db, fake_request(app, {"Authorization": f"Bearer {approved_key['key']}"}), cond.id, kind="api"
    )
    assert got.user_id == approved_key["user"].id and got.key_id == approved_key["row"].id
    service.revoke_key(db, user=approved_key["user"], key_id=approved_key["row"].id)
    with pytest.raises(Unauthorized):
        access.check_open_access(db, fake_request(app, {"X-API-Key": approved_key["key"]}), cond, kind="api")


def test_limit_per_resource_gives_retry_after(db, app, open_data):
    db.add(ResourceLimit(resource_id=open_data["free"].id, rate_per_minute=2))
    db.commit()
    for _ in range(2):
        access.check_open_access(db, fake_request(app), open_data["free"], kind="api")
    with pytest.raises(TooMany) as exc:
        access.check_open_access(db, fake_request(app), open_data["free"], kind="api")
    assert int(exc.value.headers["Retry-After"]) >= 1
    # another client is counted on its own
    access.check_open_access(db, fake_request(app, ip="10.0.0.2"), open_data["free"], kind="api")


def test_the_settings_set_the_default_limits(db, app, open_data, approved_key):
    """ZHICHENG_OPEN_RATE_PER_MINUTE / ZHICHENG_OPEN_KEY_RATE_PER_MINUTE: the limits without a key, and per key."""
    app.state.settings = app.state.settings.model_copy(
        update={"open_rate_per_minute": 3, "open_key_rate_per_minute": 1}
    )
    for _ in range(3):
        access.check_open_access(db, fake_request(app), open_data["free"], kind="api")
    with pytest.raises(TooMany):
        access.check_open_access(db, fake_request(app), open_data["free"], kind="api")
    keyed = fake_request(app, {"X-API-Key": approved_key["key"]}, ip="10.0.0.3")
    access.check_open_access(db, keyed, open_data["free"], kind="api")
    with pytest.raises(TooMany):
        access.check_open_access(db, keyed, open_data["free"], kind="api")


def test_expired_key_is_refused(db, app, open_data, approved_key):
    from datetime import timedelta

    from zhicheng.core import clock

    headers = {"X-API-Key": approved_key["key"]}
    access.check_open_access(db, fake_request(app, headers), open_data["cond"], kind="api")
    clock.advance(timedelta(days=366))
    with pytest.raises(Unauthorized) as exc:
        access.check_open_access(db, fake_request(app, headers), open_data["cond"], kind="api")
    assert exc.value.code == "key_expired"
