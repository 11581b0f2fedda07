"""Request-scoped dependencies shared by every domain's routers: the database session, settings, the posted form."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

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


async def posted_form(request: Request) -> FormData:
    """The request's form fields, read on the event loop (where awaiting the body belongs), so that the route that
    uses them can be a plain `def`: FastAPI runs it on a worker thread, and its database work never holds the loop."""
    return await request.form()
