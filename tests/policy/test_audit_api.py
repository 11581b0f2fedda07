"""The auditor searches, pages, exports and verifies the audit log over the API; nobody else can, and every look is logged."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select, text

from zhicheng.core.actor import Actor
from zhicheng.policy import audit
from zhicheng.policy.models import AuditEntry


@pytest.fixture
def auditor(make_user):
    return make_user("shenji", roles=["auditor"], display_name="审计员")


@pytest.fixture
def filled(db, departments):
    """30 entries by two clerks; clerk lisi was denied twice."""
    for i in range(30):
        who = Actor(kind="user", user_id=100 + i % 2, username="zhangsan" if i % 2 == 0 else "lisi",
                    department_id=departments["police"].id, department_code=departments["police"].code)
        outcome = "denied" if i in (7, 9) else "ok"
        audit.record(db, actor=who, action="catalog.resource.read" if i % 3 else "catalog.dataset.import",
                     target_kind="catalog.resource", target_id=i, outcome=outcome,
                     detail={"note": "=HYPERLINK(\"http://evil\")" if i == 5 else f"第{i}次"}, ip="10.1.2.3")
    db.commit()


def test_the_auditor_searches_newest_first_with_keyset_pages(client, auditor, auth_headers, filled):
    h = auth_headers(auditor)
    r = client.get("/api/v1/audit", params={"actor": "lisi", "limit": 10}, headers=h)
    assert r.status_code == 200, r.text
    page = r.json()
    assert len(page["items"]) == 10 and all(e["actor_username"] == "lisi" for e in page["items"])
    seqs = [e["seq"] for e in page["items"]]
    assert seqs == sorted(seqs, reverse=True)
    r2 = client.get("/api/v1/audit", params={"actor": "lisi", "limit": 10, "before": page["next_before"]},
                    headers=h).json()
    assert len(r2["items"]) == 5 and r2["next_before"] is None
    assert max(e["seq"] for e in r2["items"]) < min(seqs)


def test_filters_by_outcome_action_prefix_and_target(client, auditor, auth_headers, filled):
    h = auth_headers(auditor)
    denied = client.get("/api/v1/audit", params={"outcome": "denied"}, headers=h).json()["items"]
    assert sorted(e["target_id"] for e in denied if e["target_kind"] == "catalog.resource") == ["7", "9"]
    imports = client.get("/api/v1/audit", params={"action": "catalog.dataset", "limit": 500}, headers=h).json()
    assert len(imports["items"]) == 10
    assert client.get("/api/v1/audit", params={"action": "catalog.data"}, headers=h).json()["items"] == []
    one = client.get("/api/v1/audit", params={"target_kind": "catalog.resource", "target_id": "12"}, headers=h)
    assert [e["detail"] for e in one.json()["items"]] == [{"note": "第12次"}]
    wild = client.get("/api/v1/audit", params={"action": "%", "actor": "' OR 1=1 --"}, headers=h).json()
    assert wild["items"] == []


def test_time_range_and_bad_input_are_problems_naming_the_field(client, auditor, auth_headers, filled):
    h = auth_headers(auditor)
    r = client.get("/api/v1/audit", params={"since": "2026-01-02T00:00:00", "until": "2026-01-01T00:00:00"},
                   headers=h)
    assert r.status_code == 422 and r.json()["field"] == "until"
    assert r.headers["content-type"].startswith("application/problem+json")
    r = client.get("/api/v1/audit", params={"outcome": "maybe"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "outcome"
    r = client.get("/api/v1/audit", params={"since": "yesterday"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "since"
    r = client.get("/api/v1/audit", params={"limit": 0}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "limit"
    future = client.get("/api/v1/audit", params={"since": "2999-01-01T00:00:00+08:00"}, headers=h).json()
    assert future["items"] == []


def test_nobody_but_the_auditor_reads_the_log_and_tries_are_recorded(client, db, make_user, auth_headers, filled):
    admin = make_user("guanli", roles=["admin"])
    for path in ("/api/v1/audit", "/api/v1/audit/verify", "/api/v1/audit/export", "/api/v1/audit/1"):
        r = client.get(path, headers=auth_headers(admin))
        assert r.status_code == 403, path
        assert r.json()["code"] == "forbidden"
        assert client.get(path).status_code == 401
    db.expire_all()
    denied = db.scalars(select(AuditEntry).where(AuditEntry.actor_username == "guanli",
                                                 AuditEntry.outcome == "denied")).all()
    assert {e.action for e in denied} == {"audit.log.read", "audit.log.verify", "audit.log.export"}


def test_reading_the_log_is_itself_audited(client, db, auditor, auth_headers, filled):
    client.get("/api/v1/audit", params={"actor": "zhangsan"}, headers=auth_headers(auditor))
    db.expire_all()
    last = db.scalars(select(AuditEntry).where(AuditEntry.action == "audit.log.read")).all()[-1]
    assert last.actor_username == "shenji" and last.outcome == "ok"
    assert last.detail["filter"] == {"actor": "zhangsan"}


def test_one_entry_and_a_missing_one(client, auditor, auth_headers, filled):
    h = auth_headers(auditor)
    r = client.get("/api/v1/audit/3", headers=h)
    assert r.status_code == 200 and r.json()["seq"] == 3 and len(r.json()["hash"]) == 64
    r = client.get("/api/v1/audit/99999", headers=h)
    assert r.status_code == 404 and r.json()["field"] == "seq"


def test_export_streams_csv_that_excel_opens_safely(client, auditor, auth_headers, filled):
    r = client.get("/api/v1/audit/export", params={"target_kind": "catalog.resource"},
                   headers=auth_headers(auditor))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    body = r.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0][0] == "序号" and len(rows) == 31
    assert [int(row[0]) for row in rows[1:]] == sorted(int(row[0]) for row in rows[1:])
    formula = next(row for row in rows if "HYPERLINK" in row[11])
    assert formula[11].startswith("{")  # a JSON object, never a cell starting with '='
    english = client.get("/api/v1/audit/export", params={"lang": "en", "outcome": "denied"},
                         headers=auth_headers(auditor)).content.decode("utf-8")
    assert english.splitlines()[0].lstrip("\ufeff").startswith("seq,at,at_local")


def test_verify_over_the_api_names_the_altered_entry(client, db, auditor, auth_headers, filled):
    h = auth_headers(auditor)
    r = client.get("/api/v1/audit/verify", headers=h)
    assert r.status_code == 200 and r.json()["ok"] is True, r.text
    db.execute(text("UPDATE audit_entry SET ip = '8.8.8.8' WHERE seq = 17"))
    db.commit()
    r = client.get("/api/v1/audit/verify", params={"lang": "en"}, headers=h).json()
    assert r["ok"] is False and r["bad_seq"] == 17 and r["problem"] == "altered" and "entry 17" in r["message"]


def test_export_cells_never_start_a_spreadsheet_formula(client, db, auditor, auth_headers):
    sly = Actor(kind="user", user_id=66, username="=cmd|' /C calc'!A0", roles=frozenset())
    audit.record(db, actor=sly, action="accounts.login", target_kind="accounts.user", target_id="+1-2",
                 outcome="failed", ip="@evil")
    db.commit()
    body = client.get("/api/v1/audit/export", params={"action": "accounts.login", "outcome": "failed"},
                      headers=auth_headers(auditor)).content.decode("utf-8-sig")
    row = next(r for r in csv.reader(io.StringIO(body)) if "calc" in "".join(r))
    assert row[5] == "'=cmd|' /C calc'!A0" and row[9] == "'+1-2" and row[12] == "'@evil"


@pytest.mark.parametrize(("params", "path", "field"), [
    ({"since": "0001-01-01T00:00:00+08:00"}, "/api/v1/audit", "since"),
    ({"before": str(2**70)}, "/api/v1/audit", "before"),
    ({}, f"/api/v1/audit/{2**70}", "seq"),
    ({}, "/api/v1/audit/abc", "seq"),
])
def test_out_of_range_numbers_and_times_are_problems_not_crashes(client, auditor, auth_headers, params, path, field):
    r = client.get(path, params=params, headers=auth_headers(auditor))
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
