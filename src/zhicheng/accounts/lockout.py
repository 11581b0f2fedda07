"""Lock-out of login names that no account has, counted exactly as an account's failures are (staff and portal
logins): an unknown name is refused, counted and locked like a known one, so lock-out reveals no usernames."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhicheng.accounts.lockout_models import LoginFailure
from zhicheng.core import clock

FORGET_AFTER = timedelta(days=1)  # an unknown name's failures are forgotten a day after its last one


def key(username: str | None) -> str:
    """The name a failure is counted under: trimmed, lower-cased, at most 150 characters."""
    return (username or "").strip().lower()[:150]


def locked_until(db: Session, realm: str, username: str | None) -> datetime | None:
    """When the unknown name's lock-out ends, if it is locked now."""
    row = db.get(LoginFailure, (realm, key(username)))
    until = clock.aware(row.locked_until) if row is not None else None
    return until if until is not None and until > clock.now() else None


def note_failure(db: Session, realm: str, username: str | None, *, max_failures: int, lockout_minutes: int,
                 reset_on_lock: bool = False) -> datetime | None:
    """Count one failed login of an unknown name (the caller commits); the end of its lock-out when this failure
    locks it. `reset_on_lock`: start counting afresh once locked (as the portal's accounts do)."""
    now = clock.now()
    name = key(username)
    row = db.get(LoginFailure, (realm, name))
    if row is None:
        db.execute(delete(LoginFailure).where(LoginFailure.last_at < now - FORGET_AFTER))
        try:
            with db.begin_nested():
                row = LoginFailure(realm=realm, name=name, failures=0, last_at=now)
                db.add(row)
        except IntegrityError:  # the same name failed at the same moment in another request
            row = db.scalars(select(LoginFailure).where(LoginFailure.realm == realm, LoginFailure.name == name)
                             .with_for_update()).one()
    if row.locked_until is not None and clock.aware(row.locked_until) <= now:  # an earlier lock-out ran out
        row.failures, row.locked_until = 0, None
    row.failures += 1
    row.last_at = now
    if row.failures >= max_failures:
        row.locked_until = now + timedelta(minutes=lockout_minutes)
        if reset_on_lock:
            row.failures = 0
        return clock.aware(row.locked_until)
    return None
