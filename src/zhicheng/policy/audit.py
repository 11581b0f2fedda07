"""The audit log: append HMAC-SM3-chained entries, verify the chain (and its checkpoints) in bounded memory, purge."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes
from sqlalchemy import Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.actor import SYSTEM, Actor
from zhicheng.core.errors import Conflict, Invalid
from zhicheng.core.prepared import Prepared
from zhicheng.core.settings import Settings
from zhicheng.policy.anchor import Anchor, anchor_for, hmac_sm3
from zhicheng.policy.models import GENESIS_HASH, AuditEntry, AuditHead

MIN_RETENTION_DAYS = 183  # 《网络安全法》第二十一条: network logs are kept no less than six months
STREAM_BATCH = 1000
HEAD_ID = 1


def sm3(data: bytes) -> str:
    """The SM3 digest (GB/T 32905) of `data`, as 64 hex digits."""
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()


def _iso(at: datetime) -> str:
    return clock.aware(at).astimezone(UTC).isoformat(timespec="microseconds")


_INT64 = (-(2**63), 2**64)  # the integers orjson writes (it refuses larger ones)
_MAX_DEPTH = 100


def _orjson_faithful(value: Any, depth: int = 0) -> bool:
    """Whether `value` is plain JSON that reads back as itself and that orjson writes byte for byte as `json` does
    (sorted, compact, UTF-8): dicts with str keys, lists, str, bool, None and 64-bit ints; no float, tuple,
    subclass or deep nesting (which take the `json` path)."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return _INT64[0] <= value < _INT64[1]
    if depth > _MAX_DEPTH:
        return False
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            kind = type(item)
            if not (kind is str or item is None or kind is bool or _orjson_faithful(item, depth + 1)):
                return False
        return True
    if kind is list:
        for item in value:
            kind = type(item)
            if not (kind is str or item is None or kind is bool or _orjson_faithful(item, depth + 1)):
                return False
        return True
    return False


def normalise_detail(detail: dict[str, Any] | None) -> dict[str, Any] | None:
    """The detail as it will read back from the database: plain JSON (dates and the like become strings)."""
    if detail is None:
        return None
    if not isinstance(detail, dict):
        detail = {"value": detail}
    if _orjson_faithful(detail):  # the common case: a copy, as the round trip below would give
        try:
            return orjson.loads(orjson.dumps(detail))
        except orjson.JSONEncodeError:  # a lone surrogate: json's own error below
            pass
    # NaN and Infinity are not JSON: PostgreSQL would refuse them, so they are kept as their names
    return json.loads(json.dumps(detail, default=str, ensure_ascii=False), parse_constant=str)


def canonical(entry: Any) -> bytes:
    """The bytes the hash covers: every field but id and the hashes, as sorted compact UTF-8 JSON (`json.dumps`
    with sorted keys and no spaces; orjson writes the same bytes, faster, when the detail is plain)."""
    doc = {
        "seq": int(entry.seq),
        "at": _iso(entry.at),
        "actor_kind": entry.actor_kind,
        "actor_user_id": entry.actor_user_id,
        "actor_username": entry.actor_username,
        "actor_department_id": entry.actor_department_id,
        "actor_department_code": entry.actor_department_code,
        "action": entry.action,
        "target_kind": entry.target_kind,
        "target_id": entry.target_id,
        "outcome": entry.outcome,
        "detail": entry.detail,
        "ip": entry.ip,
    }
    if _orjson_faithful(doc):
        try:
            return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # a lone surrogate: json's own error below
            pass
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(prev_hash: str, entry: Any, key: bytes) -> str:
    """hash = HMAC-SM3(chain key, prev_hash || canonical JSON of the entry); the key lives outside the database
    (policy.anchor), so whoever rewrites rows cannot give them hashes that verify."""
    return hmac_sm3(key, prev_hash.encode("ascii") + canonical(entry)).hex()


def plain_hash(prev_hash: str, entry: Any) -> str:
    """SM3(prev_hash || canonical JSON): the unkeyed hash of chains written before keyed hashing (see `rekey`)."""
    return sm3(prev_hash.encode("ascii") + canonical(entry))


_HEAD = AuditHead.__table__
_ENTRY = AuditEntry.__table__
# built once: the append path runs for every audited request
_BUMP_HEAD = Prepared(update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(seq=_HEAD.c.seq + bindparam("bump"))
                     .returning(_HEAD.c.seq, _HEAD.c.hash))
_SET_HEAD_HASH = Prepared(update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(hash=bindparam("new_hash")))
_SEED_HEAD = insert(_HEAD).values(id=HEAD_ID, seq=0, hash=GENESIS_HASH, anchor_seq=0, anchor_hash=GENESIS_HASH)
_ENTRY_KEYS = ["seq", "at", "actor_kind", "actor_user_id", "actor_username", "actor_department_id",
               "actor_department_code", "action", "target_kind", "target_id", "outcome", "detail", "ip", "prev_hash",
               "hash"]
_INSERT_ENTRY = Prepared(insert(_ENTRY).returning(_ENTRY.c.id), column_keys=_ENTRY_KEYS)


def _lock_head(db: Session, *, bump: int = 1) -> tuple[int, str]:
    """Take the chain's lock (row lock on PostgreSQL, the write lock on SQLite); return the new seq and the last hash.

    The UPDATE comes first so that SQLite takes its write lock before reading, and PostgreSQL makes every other
    appender wait on the row until this transaction ends: the chain never forks.
    """
    conn = db.connection()
    row = _BUMP_HEAD.returning(conn, {"bump": bump})
    if row is None:  # an instance whose migration did not seed the head (created with create_all)
        conn.execute(_SEED_HEAD)
        row = _BUMP_HEAD.returning(conn, {"bump": bump})
    return int(row[0]), row[1]


def record(db: Session, *, actor: Actor, action: str, target_kind: str, target_id: Any = None,
           outcome: str = "ok", detail: dict[str, Any] | None = None, ip: str | None = None) -> SimpleNamespace:
    """Append one HMAC-SM3-chained entry in the caller's transaction (the caller commits); returns what was written."""
    anchor = anchor_for(db)
    seq, prev = _lock_head(db)
    values: dict[str, Any] = {
        "seq": seq,
        "at": clock.now(),  # taken under the lock, so time order follows chain order
        "actor_kind": actor.kind,
        "actor_user_id": actor.user_id,
        "actor_username": actor.username,
        "actor_department_id": actor.department_id,
        "actor_department_code": actor.department_code,
        "action": action[:64],
        "target_kind": target_kind[:64],
        "target_id": None if target_id is None else str(target_id)[:128],
        "outcome": outcome[:16],
        "detail": normalise_detail(detail),
        "ip": None if ip is None else str(ip)[:64],
        "prev_hash": prev,
    }
    written = SimpleNamespace(**values)
    written.hash = values["hash"] = anchor.chain_hash(prev.encode("ascii") + canonical(written))
    conn = db.connection()
    written.id = _INSERT_ENTRY.returning(conn, values)[0]
    _SET_HEAD_HASH.run(conn, {"new_hash": written.hash})
    anchor.note_append()
    return written


@dataclass
class VerifyResult:
    """The verdict on the chain: intact, or the first bad entry (seq, time) and what is wrong with it."""

    ok: bool
    entries: int
    last_seq: int
    anchor_seq: int = 0
    bad_seq: int | None = None
    bad_at: datetime | None = None
    problem: str | None = None  # altered | inserted | removed | checkpoint (a checkpoint line not signed by the key)
    head_hash: str | None = None  # the chain's last hash when intact
    checkpoint_seq: int | None = None  # the newest signed checkpoint the chain was held against
    message_zh: str = ""
    message_en: str = ""

    def message(self, lang: str = "zh-CN") -> str:
        return self.message_en if lang.startswith("en") else self.message_zh

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["bad_at"] = _iso(self.bad_at) if self.bad_at else None
        return d


def _bad(count: int, anchor: int, last: int, seq: int, at: datetime | None, problem: str, zh: str,
         en: str) -> VerifyResult:
    return VerifyResult(ok=False, entries=count, last_seq=last, anchor_seq=anchor, bad_seq=seq,
                        bad_at=clock.aware(at) if at else None, problem=problem, message_zh=zh, message_en=en)


def _head(db: Session) -> tuple[int, str, int, str]:
    """(seq, hash, anchor_seq, anchor_hash) of the chain head, read fresh from the database."""
    row = db.execute(select(AuditHead.seq, AuditHead.hash, AuditHead.anchor_seq, AuditHead.anchor_hash)
                     .where(AuditHead.id == HEAD_ID)).first()
    return (int(row[0]), row[1], int(row[2]), row[3]) if row else (0, GENESIS_HASH, 0, GENESIS_HASH)


def verify(db: Session, *, through_seq: int | None = None) -> VerifyResult:
    """Walk the chain from the purge anchor in seq order, streaming; name the first altered, inserted or removed entry.
    Then hold the chain against the signed checkpoints outside the database (`check_checkpoints`)."""
    key = anchor_for(db).chain_key
    head_seq, head_hash, anchor_seq, prev = _head(db)
    stop = head_seq if through_seq is None else min(through_seq, head_seq)
    expected, count, last_at = anchor_seq + 1, 0, None
    # plain rows, not ORM objects: memory stays bounded however long the chain is
    query = (select(*AuditEntry.__table__.c).where(AuditEntry.seq <= stop).order_by(AuditEntry.seq)
             .execution_options(yield_per=STREAM_BATCH))
    for entry in db.execute(query):
        seq = int(entry.seq)
        if seq < expected:
            return _bad(count, anchor_seq, expected - 1, seq, entry.at, "inserted",
                        f"第 {seq} 条是插入的记录：早于清理锚点",
                        f"entry {seq} was inserted: it lies before the purge anchor")
        if seq > expected:
            missing = f"{expected}" if seq == expected + 1 else f"{expected}–{seq - 1}"
            return _bad(count, anchor_seq, expected - 1, expected, last_at, "removed",
                        f"第 {missing} 条已被删除（第 {seq} 条之前缺失）",
                        f"entry {missing} was removed (missing before entry {seq})")
        if entry_hash(entry.prev_hash, entry, key) != entry.hash:
            return _bad(count, anchor_seq, expected - 1, seq, entry.at, "altered",
                        f"第 {seq} 条的内容被篡改：哈希与内容不符",
                        f"entry {seq} was altered: its hash does not match its content")
        if entry.prev_hash != prev:
            return _bad(count, anchor_seq, expected - 1, seq, entry.at, "inserted",
                        f"第 {seq} 条与上一条不相连：记录被插入或替换",
                        f"entry {seq} does not link to the one before: inserted or replaced")
        prev, expected, count, last_at = entry.hash, seq + 1, count + 1, entry.at
    last = expected - 1
    if last < stop:
        missing = f"{stop}" if last + 1 == stop else f"{last + 1}–{stop}"
        return _bad(count, anchor_seq, last, last + 1, last_at, "removed",
                    f"第 {missing} 条已被删除（链尾缺失）",
                    f"entry {missing} was removed (the end of the chain is missing)")
    if stop == head_seq and last > anchor_seq and prev != head_hash:
        return _bad(count, anchor_seq, last, last, last_at, "altered",
                    f"第 {last} 条的哈希与链头记录不符", f"entry {last} does not match the hash kept in the chain head")
    if through_seq is None:
        # entries beyond the head: appended since we read it (fine) or forged (the head would not know them)
        beyond = db.execute(select(AuditEntry.seq, AuditEntry.at).where(AuditEntry.seq > head_seq)
                            .order_by(AuditEntry.seq.desc()).limit(1)).first()
        if beyond is not None and int(beyond.seq) > _head(db)[0]:
            first = db.execute(select(AuditEntry.seq, AuditEntry.at).where(AuditEntry.seq > _head(db)[0])
                               .order_by(AuditEntry.seq).limit(1)).first()
            return _bad(count, anchor_seq, last, int(first.seq), first.at, "inserted",
                        f"第 {first.seq} 条是插入的记录：超出链头",
                        f"entry {first.seq} was inserted: it lies beyond the chain head")
    if through_seq is None:
        broken, newest = check_checkpoints(db, last_seq=last, anchor_seq=anchor_seq, count=count)
        if broken is not None:
            return broken
    else:
        newest = None
    return VerifyResult(ok=True, entries=count, last_seq=last, anchor_seq=anchor_seq, head_hash=prev,
                        checkpoint_seq=newest, message_zh=f"完整，共 {count} 条", message_en=f"intact, {count} entries")


CHECKPOINT_BATCH = 500


def check_checkpoints(db: Session, *, last_seq: int, anchor_seq: int, count: int) -> tuple[VerifyResult | None, int | None]:
    """Hold the (intact) chain ending at `last_seq` against every checkpoint line: a line not signed by the key, a
    checkpoint beyond the chain's end (entries removed from the end, the head moved back), or an entry whose hash
    is not the one the checkpoint saw (the end removed and written again). Streams the file in batches; returns the
    first problem (lowest seq) and the newest checkpoint's seq."""
    newest: int | None = None
    found: list[VerifyResult] = []
    batch: dict[int, str] = {}

    def compare() -> None:
        rows = db.execute(select(AuditEntry.seq, AuditEntry.hash, AuditEntry.at)
                          .where(AuditEntry.seq.in_(list(batch)))).all()
        for seq, hash_, at in rows:
            if batch[int(seq)] != hash_:
                found.append(_bad(count, anchor_seq, last_seq, int(seq), at, "removed",
                                  f"第 {seq} 条已被删除并由另一条取代：与检查点记录的哈希不符（链尾被截断后重写）",
                                  f"entry {seq} was removed and another written in its place: its hash is not the "
                                  "one the checkpoint saw (the end of the chain cut and written again)"))
        batch.clear()

    for cp in anchor_for(db).checkpoints():
        if not cp.valid:
            found.append(_bad(count, anchor_seq, last_seq, cp.seq or None, None, "checkpoint",
                              f"检查点文件第 {cp.line} 行的签名不符：检查点被篡改，或密钥文件已被更换",
                              f"line {cp.line} of the checkpoint file is not signed by the key: the checkpoint was "
                              "altered, or the key file replaced"))
            continue
        newest = cp.seq if newest is None else max(newest, cp.seq)
        if cp.seq > last_seq:
            continue
        if anchor_seq < cp.seq:
            batch[cp.seq] = cp.hash
            if len(batch) >= CHECKPOINT_BATCH:
                compare()
    if batch:
        compare()
    if newest is not None and newest > last_seq:
        missing = f"{last_seq + 1}" if newest == last_seq + 1 else f"{last_seq + 1}–{newest}"
        last_at = db.scalar(select(AuditEntry.at).where(AuditEntry.seq == last_seq))
        found.append(_bad(count, anchor_seq, last_seq, last_seq + 1, last_at, "removed",
                          f"第 {missing} 条已被删除：检查点记录的链头为第 {newest} 条，数据库中的链止于第 {last_seq} 条",
                          f"entry {missing} was removed: a checkpoint saw the head at {newest}, the database's chain "
                          f"ends at {last_seq}"))
    if not found:
        return None, newest
    first = min(found, key=lambda r: (r.bad_seq is None, r.bad_seq or 0))
    first.checkpoint_seq = newest
    return first, newest


def rekey(engine: Engine, anchor: Anchor) -> int:
    """Re-hash, once, a chain written before keyed hashing (when its key is created): only a chain that verifies
    under the old unkeyed SM3 is re-keyed, in one transaction, and the change is itself an entry. Returns how many
    entries were re-keyed (0: nothing to do, or the chain does not verify unkeyed and is left for `verify` to
    report)."""
    with Session(engine) as db:
        head_seq, head_hash, anchor_seq, prev = _head(db)
        if head_seq <= anchor_seq:
            return 0
        query = select(*_ENTRY.c).where(AuditEntry.seq <= head_seq).order_by(AuditEntry.seq)
        expected = prev
        for entry in db.execute(query.execution_options(yield_per=STREAM_BATCH)):
            if entry.prev_hash != expected or plain_hash(entry.prev_hash, entry) != entry.hash:
                return 0
            expected = entry.hash
        if expected != head_hash:
            return 0
        _lock_head(db, bump=0)
        count, new_prev = 0, prev
        for entry in db.execute(query).all():  # the chain is unkeyed only once: its whole length, once
            new_hash = entry_hash(new_prev, entry, anchor.chain_key)
            db.execute(update(AuditEntry).where(AuditEntry.seq == entry.seq)
                       .values(prev_hash=new_prev, hash=new_hash))
            new_prev, count = new_hash, count + 1
        db.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(hash=new_prev))
        record(db, actor=SYSTEM, action="audit.rekey", target_kind="audit.log",
               detail={"entries": count, "unkeyed_head_seq": head_seq, "unkeyed_head_hash": head_hash})
        db.commit()
    return count


def retention_days(settings: Settings) -> int:
    """The retention in force; below the legal minimum of 183 days is a configuration error."""
    days = settings.audit_retention_days
    if days < MIN_RETENTION_DAYS:
        raise Invalid(f"审计日志保留天数不能少于 {MIN_RETENTION_DAYS} 天（当前 {days}）",
                      f"audit retention must be at least {MIN_RETENTION_DAYS} days (configured: {days})",
                      field="audit_retention_days")
    return days


@dataclass
class Retention:
    """What the auditor sees of retention: the days kept, the oldest entry kept, the last purge."""

    days: int
    minimum: int
    oldest_at: datetime | None
    purged_at: datetime | None
    anchor_seq: int


def retention(db: Session, settings: Settings) -> Retention:
    """The retention in force and where the log stands against it."""
    oldest = db.scalar(select(func.min(AuditEntry.at)))
    head = db.execute(select(AuditHead.purged_at, AuditHead.anchor_seq).where(AuditHead.id == HEAD_ID)).first()
    return Retention(days=retention_days(settings), minimum=MIN_RETENTION_DAYS, oldest_at=clock.aware(oldest),
                     purged_at=clock.aware(head[0]) if head else None, anchor_seq=int(head[1]) if head else 0)


@dataclass
class PurgeResult:
    purged: int
    anchor_seq: int
    cutoff: datetime


def purge(db: Session, *, settings: Settings, actor: Actor) -> PurgeResult:
    """Delete entries older than the retention period, keeping the chain verifiable through an anchor; commits."""
    cutoff = clock.now() - timedelta(days=retention_days(settings))
    _lock_head(db, bump=0)
    through = db.scalar(select(func.max(AuditEntry.seq)).where(AuditEntry.at < cutoff))
    anchor_seq = _head(db)[2]
    if through is None or through <= anchor_seq:
        db.rollback()
        return PurgeResult(purged=0, anchor_seq=anchor_seq, cutoff=cutoff)
    check = verify(db, through_seq=through)
    if not check.ok:  # never destroy the evidence of tampering
        db.rollback()
        raise Conflict(f"审计链在清理范围内已损坏，拒绝清理：{check.message_zh}",
                       f"the audit chain is broken within the purge range; refusing to purge: {check.message_en}",
                       code="audit_chain_broken")
    anchor_hash = db.scalar(select(AuditEntry.hash).where(AuditEntry.seq == through))
    count = db.execute(delete(AuditEntry).where(AuditEntry.seq <= through)).rowcount
    db.execute(update(AuditHead).where(AuditHead.id == HEAD_ID)
               .values(anchor_seq=through, anchor_hash=anchor_hash, purged_at=clock.now()))
    record(db, actor=actor, action="audit.purge", target_kind="audit.log",
           detail={"purged": count, "through_seq": through, "cutoff": _iso(cutoff)})
    db.commit()
    return PurgeResult(purged=count, anchor_seq=through, cutoff=cutoff)
