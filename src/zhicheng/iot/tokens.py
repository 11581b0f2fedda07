"""Device credentials: a random token shown once, stored as its SHA-256 (the accounts domain's mechanism)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhicheng.accounts import security
from zhicheng.accounts.middleware import DEVICE_TOKEN_MARK  # the staff middleware leaves such tokens to iot
from zhicheng.iot.models import Thing


def new_token() -> tuple[str, str]:
    """(a fresh device token, the digest stored in its place)."""
    token = DEVICE_TOKEN_MARK + security.new_token()
    return token, security.token_digest(token)


def thing_of_token(db: Session, token: str) -> Thing | None:
    """The device a token belongs to (enabled or not), or None."""
    if not token.startswith(DEVICE_TOKEN_MARK) or len(token) > 200:
        return None
    return db.scalar(select(Thing).where(Thing.token_hash == security.token_digest(token)))
