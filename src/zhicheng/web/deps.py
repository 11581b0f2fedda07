"""Request-scoped dependencies shared by every domain's routers: the database session and settings."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from zhicheng.core.settings import Settings


def get_db(request: Request) -> Iterator[Session]:
    """A session for this request; services commit their own writes, anything uncommitted is rolled back."""
    db = request.app.state.sessionmaker()
    try:
        yield db
    finally:
        db.rollback()
        db.close()


def get_settings(request: Request) -> Settings:
    return request.app.state.settings
