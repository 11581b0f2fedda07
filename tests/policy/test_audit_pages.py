"""The auditor reads the log in the browser's page: filters, pages, verification, export link; others are turned away."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from zhicheng.core.actor import Actor
from zhicheng.policy import audit
from zhicheng.policy.models import AuditEntry

CLERK = Actor(kind="user", user_id=42, username="wangwu", department_code="430100-003", roles=frozenset({"dept_user"}))
HTML = {"Accept": "text/html"}


@pytest.fixture
def auditor(make_user):
    return make_user("shenji", roles=["auditor"], display_name="审计员")


@pytest.fixture
def entries(db):
    for i in range(60):
        audit.record(db, actor=CLERK, action="catalog.resource.read", target_kind="catalog.resource", target_id=i,
                     outcome="denied" if i == 13 else "ok", detail={"字段": "<script>alert(1)</script>", "i": i})
    db.commit()


def test_the_auditor_sees_the_newest_entries_and_pages_back(client, login, auditor, entries):
    login(client, auditor)
    r = client.get("/audit", headers=HTML)
    assert r.status_code == 200, r.text
    assert "审计日志" in r.text and "wangwu" in r.text
    assert "<script>alert(1)</script>" not in r.text  # details are escaped
    assert "身份证" not in r.text and "字段" in r.text  # Chinese stays readable in the detail
    first = [int(s) for s in re.findall(r'id="seq-(\d+)"', r.text)]
    assert len(first) == 50 and first == sorted(first, reverse=True)
    older = re.search(r'href="(/audit\?[^"]*before=\d+[^"]*)" rel="next"', r.text).group(1)
    r2 = client.get(older.replace("&amp;", "&"), headers=HTML)
    second = [int(s) for s in re.findall(r'id="seq-(\d+)"', r2.text)]
    assert second and max(second) < min(first) and "最新记录" in r2.text


def test_filters_narrow_the_table_and_bad_ones_are_shown_beside_their_field(client, login, auditor, entries):
    login(client, auditor)
    r = client.get("/audit", params={"outcome": "denied", "actor": "wangwu"}, headers=HTML)
    assert len(re.findall(r'id="seq-(\d+)"', r.text)) == 1
    assert "<code>catalog.resource</code> 13</td>" in r.text
    assert 'href="/api/v1/audit/export?actor=wangwu&amp;outcome=denied"' in r.text
    r = client.get("/audit", params={"since": "not-a-time", "until": "2026-01-01T00:00"}, headers=HTML)
    assert r.status_code == 200 and 'id="e-since"' in r.text and "不是有效的时间" in r.text
    r = client.get("/audit", params={"since": "2026-02-01T00:00", "until": "2026-01-01T00:00"}, headers=HTML)
    assert 'id="e-until"' in r.text and "结束时间早于开始时间" in r.text
    r = client.get("/audit", params={"since": "2026-02-01T00:00", "lang": "en"}, headers=HTML)
    assert "Audit log" in r.text and "Seq" in r.text and "Clear filters" in r.text


def test_verify_shows_intact_then_names_the_bad_entry(client, db, login, auditor, entries):
    login(client, auditor)
    r = client.get("/audit/verify", headers={**HTML, "HX-Request": "true"})
    assert r.status_code == 200 and "审计链完整" in r.text and "<html" not in r.text
    db.execute(text("UPDATE audit_entry SET target_id = '999' WHERE seq = 20"))
    db.commit()
    r = client.get("/audit/verify", headers=HTML)
    assert "<html" in r.text and "审计链已损坏" in r.text and "第 20 条" in r.text
    r = client.get("/audit/verify", params={"lang": "en"}, headers={**HTML, "HX-Request": "true"})
    assert "The audit chain is broken" in r.text and "entry 20" in r.text


def test_an_admin_is_turned_away_and_the_attempt_recorded(client, db, login, make_user, entries):
    admin = make_user("guanli", roles=["admin"])
    login(client, admin)
    r = client.get("/audit", headers=HTML)
    assert r.status_code == 403 and "没有权限" in r.text
    db.expire_all()
    assert db.scalar(select(AuditEntry.outcome).where(AuditEntry.actor_username == "guanli",
                                                      AuditEntry.action == "audit.log.read")) == "denied"


def test_a_visitor_is_sent_to_log_in(client):
    r = client.get("/audit", headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/audit")


def test_the_page_tells_the_retention_in_force_and_the_oldest_entry(client, login, auditor, entries, db, settings):
    login(client, auditor)
    r = client.get("/audit", headers=HTML)
    shown = re.search(r'<p class="muted" id="audit-retention">(.*?)</p>', r.text, re.S).group(1)
    assert f"<strong>{settings.audit_retention_days}</strong>" in shown and "183" in shown
    assert "ZHICHENG_AUDIT_RETENTION_DAYS" in shown and "zhicheng audit purge" in shown and "最早一条记录" in shown
    assert "上次清理" not in shown  # never purged
    en = client.get("/audit", params={"lang": "en"}, headers=HTML)
    assert "Kept for" in en.text and "Oldest entry" in en.text
