"""The audit log is one SM3 hash chain: tampering with any row is found and named, concurrent writers never fork it."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from zhicheng.core import clock
from zhicheng.core.actor import SYSTEM, Actor
from zhicheng.core.db import make_sessionmaker
from zhicheng.core.errors import Conflict, Invalid
from zhicheng.policy import audit
from zhicheng.policy.anchor import anchor_for
from zhicheng.policy.models import GENESIS_HASH, AuditEntry

CLERK = Actor(kind="user", user_id=3, username="zhangsan", display_name="张三", department_id=2,
              department_code="430100-002", roles=frozenset({"dept_user"}))


def write(db, n: int, *, start: int = 0) -> None:
    for i in range(start, start + n):
        audit.record(db, actor=CLERK, action="catalog.resource.read", target_kind="catalog.resource",
                     target_id=i, detail={"字段": "身份证号", "i": i}, ip="10.0.0.8")
    db.commit()


def test_sm3_matches_the_standard_test_vector():
    # GB/T 32905-2016, appendix A.1: SM3("abc")
    assert audit.sm3(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_entries_are_chained_and_the_chain_verifies(db):
    assert audit.verify(db).ok and audit.verify(db).entries == 0
    write(db, 5)
    entries = db.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    assert entries[2].actor_username == "zhangsan" and entries[2].detail == {"字段": "身份证号", "i": 2}
    result = audit.verify(db)
    assert result.ok and result.entries == 5 and result.last_seq == 5
    assert result.message("en") == "intact, 5 entries" and result.message() == "完整，共 5 条"


def test_record_joins_the_callers_transaction(db):
    audit.record(db, actor=SYSTEM, action="test.rolled_back", target_kind="test")
    db.rollback()
    audit.record(db, actor=SYSTEM, action="test.kept", target_kind="test", detail={"when": clock.now()})
    db.commit()
    rows = db.scalars(select(AuditEntry)).all()
    assert [(r.seq, r.action) for r in rows] == [(1, "test.kept")]
    assert isinstance(rows[0].detail["when"], str)
    assert audit.verify(db).ok


def test_a_changed_detail_is_named(db):
    write(db, 6)
    db.execute(text("UPDATE audit_entry SET detail = :d WHERE seq = 4"), {"d": '{"i": 999}'})
    db.commit()
    result = audit.verify(db)
    assert not result.ok and result.bad_seq == 4 and result.problem == "altered"
    assert result.bad_at is not None and "第 4 条" in result.message_zh and "entry 4" in result.message_en


def test_a_changed_actor_is_named(db):
    write(db, 3)
    db.execute(text("UPDATE audit_entry SET actor_username = 'lisi' WHERE seq = 1"))
    db.commit()
    assert audit.verify(db).bad_seq == 1


def test_a_deleted_row_is_named(db):
    write(db, 6)
    db.execute(text("DELETE FROM audit_entry WHERE seq = 3"))
    db.commit()
    result = audit.verify(db)
    assert not result.ok and result.problem == "removed" and result.bad_seq == 3 and result.entries == 2


def test_a_deleted_last_row_is_named(db):
    write(db, 4)
    db.execute(text("DELETE FROM audit_entry WHERE seq = 4"))
    db.commit()
    result = audit.verify(db)
    assert not result.ok and result.problem == "removed" and result.bad_seq == 4


def _forge(db, *, seq: int, prev_hash: str) -> None:
    """Insert an entry the way a careful forger would: a correct keyed hash over its own content (an insider who
    holds the key file too: the links still give it away)."""
    fake = AuditEntry(seq=seq, at=clock.now(), actor_kind="user", actor_user_id=1, actor_username="admin",
                      action="audit.forged", target_kind="audit.log", outcome="ok", detail={"x": 1},
                      prev_hash=prev_hash)
    fake.hash = audit.entry_hash(prev_hash, fake, anchor_for(db).chain_key)
    db.execute(text("INSERT INTO audit_entry (seq, at, actor_kind, actor_user_id, actor_username, action, "
                    "target_kind, outcome, detail, prev_hash, hash) VALUES (:seq, :at, 'user', 1, 'admin', "
                    "'audit.forged', 'audit.log', 'ok', :detail, :prev, :hash)"),
               {"seq": seq, "at": fake.at, "detail": '{"x": 1}', "prev": prev_hash, "hash": fake.hash})
    db.commit()


def test_an_inserted_row_at_the_end_is_named(db):
    write(db, 3)
    last = db.scalar(select(AuditEntry.hash).where(AuditEntry.seq == 3))
    _forge(db, seq=4, prev_hash=last)
    result = audit.verify(db)
    assert not result.ok and result.problem == "inserted" and result.bad_seq == 4
    assert "超出链头" in result.message_zh


def test_a_row_inserted_in_place_of_a_deleted_one_is_named(db):
    write(db, 5)
    db.execute(text("DELETE FROM audit_entry WHERE seq = 3"))
    db.commit()
    prev = db.scalar(select(AuditEntry.hash).where(AuditEntry.seq == 2))
    _forge(db, seq=3, prev_hash=prev)
    result = audit.verify(db)
    assert not result.ok and result.bad_seq == 4 and result.problem == "inserted"


def test_concurrent_writers_keep_one_chain(engine):
    factory = make_sessionmaker(engine)
    threads, per_thread, errors = 8, 25, []

    def writer(k: int) -> None:
        try:
            for i in range(per_thread):
                with factory() as db:
                    audit.record(db, actor=CLERK, action="test.concurrent", target_kind="test",
                                 target_id=f"{k}-{i}")
                    db.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    pool = [threading.Thread(target=writer, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    with factory() as db:
        seqs = db.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)).all()
        assert seqs == list(range(1, threads * per_thread + 1))
        assert db.scalar(select(func.count(func.distinct(AuditEntry.prev_hash)))) == threads * per_thread
        result = audit.verify(db)
        assert result.ok and result.entries == threads * per_thread


def test_purge_past_retention_keeps_the_chain_verifiable(db, settings):
    write(db, 4)
    clock.advance(timedelta(days=100))
    write(db, 3, start=4)
    clock.advance(timedelta(days=100))  # the first four are 200 days old, the next three 100
    result = audit.purge(db, settings=settings, actor=SYSTEM)
    assert result.purged == 4 and result.anchor_seq == 4
    seqs = db.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)).all()
    assert seqs == [5, 6, 7, 8]  # 8 records the purge itself
    assert db.scalar(select(AuditEntry.action).where(AuditEntry.seq == 8)) == "audit.purge"
    check = audit.verify(db)
    assert check.ok and check.entries == 4 and check.anchor_seq == 4
    assert audit.purge(db, settings=settings, actor=SYSTEM).purged == 0
    db.execute(text("DELETE FROM audit_entry WHERE seq = 5"))
    db.commit()
    assert audit.verify(db).bad_seq == 5  # the anchor still catches a removal right after it


def test_purge_refuses_to_destroy_evidence_of_tampering(db, settings):
    write(db, 3)
    db.execute(text("UPDATE audit_entry SET outcome = 'denied' WHERE seq = 2"))
    db.commit()
    clock.advance(timedelta(days=200))
    with pytest.raises(Conflict) as err:
        audit.purge(db, settings=settings, actor=SYSTEM)
    assert "第 2 条" in err.value.zh
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == 3


def test_retention_below_six_months_is_refused(db, settings):
    short = settings.model_copy(update={"audit_retention_days": 30})
    with pytest.raises(Invalid) as err:
        audit.purge(db, settings=short, actor=SYSTEM)
    assert err.value.field == "audit_retention_days"


def test_odd_details_are_stored_as_plain_json_and_still_verify(db):
    from decimal import Decimal

    audit.record(db, actor=CLERK, action="test.odd", target_kind="test",
                 detail={"nan": float("nan"), "inf": float("inf"), "amount": Decimal("12.50"), "when": clock.now(),
                         "set": {1}, "nested": {"列表": [1, "二", None]}})
    audit.record(db, actor=CLERK, action="x" * 200, target_kind="test", target_id="y" * 500, detail=[1, 2])
    db.commit()
    stored = db.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert stored[0].detail["nan"] == "NaN" and stored[0].detail["amount"] == "12.50"
    assert stored[0].detail["nested"] == {"列表": [1, "二", None]}
    assert stored[1].detail == {"value": [1, 2]} and len(stored[1].action) == 64
    assert audit.verify(db).ok


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=25,
)


@hypothesis_settings(max_examples=500, deadline=None)
@given(detail=st.dictionaries(_TEXT, _PLAIN, max_size=6), target=st.none() | _TEXT)
def test_the_fast_canonical_form_is_byte_for_byte_jsons(detail, target):
    """A plain detail is written by orjson: the bytes hashed must be exactly those of the `json` definition."""
    entry = SimpleNamespace(seq=7, at=clock.now(), actor_kind="user", actor_user_id=1, actor_username="张三",
                            actor_department_id=2, actor_department_code="430100-001", action="a.b",
                            target_kind="t", target_id=target, outcome="ok", ip=None,
                            detail=audit.normalise_detail(detail))
    assert entry.detail == json.loads(json.dumps(detail))
    doc = {k: getattr(entry, k) for k in ("seq", "actor_kind", "actor_user_id", "actor_username",
                                          "actor_department_id", "actor_department_code", "action", "target_kind",
                                          "target_id", "outcome", "detail", "ip")}
    doc["at"] = audit._iso(entry.at)
    expected = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert audit.canonical(entry) == expected


def test_details_outside_the_fast_form_take_the_json_path_and_verify(db):
    """Floats, huge numbers, tuples and deep nesting are not 'plain': they are written as before and verify."""
    deep: list = []
    for _ in range(150):
        deep = [deep]
    for detail in ({"ratio": 1e-07, "big": 1e16}, {"n": 2**70}, {"pair": (1, 2)}, {"deep": deep}):
        audit.record(db, actor=CLERK, action="test.odd", target_kind="test", detail=detail)
    db.commit()
    stored = db.scalars(select(AuditEntry).where(AuditEntry.action == "test.odd").order_by(AuditEntry.seq)).all()
    assert stored[0].detail == {"ratio": 1e-07, "big": 1e16} and stored[1].detail == {"n": 2**70}
    assert stored[2].detail == {"pair": [1, 2]}
    assert audit.verify(db).ok
