"""A search for a literal % or _ finds only values holding it (SQLAlchemy's autoescape), at every door that
searches with LIKE: CKAN datastore_search's q, the staff user list, the audit log's action prefix."""

from __future__ import annotations

from zhicheng.accounts import service as accounts
from zhicheng.policy.audit_query import AuditFilter, filtered

CKAN = "/api/3/action/datastore_search"


def test_datastore_q_takes_percent_and_underscore_literally(client, open_catalog):
    shown = client.get("/api/3/action/package_show", params={"id": open_catalog.air.code}).json()["result"]
    rid = shown["resources"][0]["id"]
    for literal in ("%", "_", "站%", "\\"):
        r = client.get(CKAN, params={"resource_id": rid, "q": literal})
        assert r.status_code == 200, r.text
        assert r.json()["result"]["total"] == 0, literal  # a wildcard would have matched every station
    assert client.get(CKAN, params={"resource_id": rid, "q": "站"}).json()["result"]["total"] == 30


def test_the_user_list_search_takes_underscore_literally(db, make_user, departments):
    make_user("li_ming", roles=["dept_user"], department=departments["police"])
    make_user("liaming", roles=["dept_user"], department=departments["police"])
    users, total = accounts.list_users(db, q="li_")
    assert [u.username for u in users] == ["li_ming"] and total == 1
    assert accounts.list_users(db, q="%")[1] == 0


def test_the_audit_action_prefix_takes_underscore_literally(db):
    from zhicheng.core.actor import SYSTEM
    from zhicheng.policy.audit import record

    for action in ("x_y.read", "xay.read", "x_y"):
        record(db, actor=SYSTEM, action=action, target_kind="test")
    db.commit()
    found = [e.action for e in db.scalars(filtered(AuditFilter(action="x_y")))]
    assert sorted(found) == ["x_y", "x_y.read"]  # not xay.read, which an unescaped _ would match
