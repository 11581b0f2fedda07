"""Change counters kept in the database: a cache in any worker process is valid while the counter it saw is unchanged.

A change bumps its counter (`bump(db, "catalog")`) in the transaction that makes the change, so the counter and the
change commit together; a cache keys what it holds by `value(db, name)` (one primary-key SELECT) and so never serves
what another process changed since. This needs no broker: several workers on one SQLite file stay correct. The bus's
broadcast (core.events) is the push on top of it (live pages, faster invalidation), not what correctness rests on.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from zhicheng.core.db import Base

_BUMP = text(
    "INSERT INTO change_counter (name, value) VALUES (:name, 1) "
    "ON CONFLICT (name) DO UPDATE SET value = change_counter.value + 1"
)
_READ = text("SELECT value FROM change_counter WHERE name = :name")


class ChangeCounter(Base):
    """How many changes of one kind (`catalog`, ...) were committed, by any process."""

    __tablename__ = "change_counter"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


def bump(db: Session, name: str) -> None:
    """Count one change of `name` in `db`'s transaction (committed, or rolled back, with the change itself)."""
    db.execute(_BUMP, {"name": name})


def value(db: Session, name: str) -> int:
    """The committed count of `name` (0 before its first change): one indexed SELECT, cheap enough per call."""
    return int(db.execute(_READ, {"name": name}).scalar() or 0)
