"""Database engine, sessions, the declarative base and migrations (SQLite WAL by default, PostgreSQL by URL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table; all timestamps are stored timezone-aware (UTC)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: DateTime(timezone=True)}


# with checkpoints in the background (core.checkpoints), a connection checkpoints by itself only past this many WAL
# pages (about 40 MB): the safety net should the background thread not run
BACKGROUND_AUTOCHECKPOINT = 10_000


def _sqlite_pragmas(dbapi_conn, _record, *, autocheckpoint: int | None = None) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a committed write survives a process crash
    cur.execute("PRAGMA busy_timeout=30000")  # a writer waits out a long import rather than fail
    if autocheckpoint is not None:
        cur.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint):d}")
    cur.close()


def make_engine(url: str, *, background_checkpoints: bool = False, **kw) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout on every connection.

    The pool hands out the connection used last (LIFO): a SQLite connection keeps its page cache only while no other
    connection writes, so calls one after the other then find their pages cached. `background_checkpoints`: the WAL
    is checkpointed by `core.checkpoints.Checkpointer` (a server's), not by the commit that happens to cross
    SQLite's threshold (a 10 ms pause for that request)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            kw = {"pool_use_lifo": True, **kw}
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kw)
        autocheckpoint = BACKGROUND_AUTOCHECKPOINT if background_checkpoints else None

        def on_connect(dbapi_conn, record) -> None:
            _sqlite_pragmas(dbapi_conn, record, autocheckpoint=autocheckpoint)

        event.listen(engine, "connect", on_connect)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    # JIT off: PostGIS's function costs push plain spatial queries past jit_above_cost, and compiling them takes
    # longer (~150 ms seen for a whole-layer bbox) than running them; our statements are short
    connect_args = {"options": "-c jit=off", **kw.pop("connect_args", {})}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **{"pool_use_lifo": True, **kw})


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    db = factory()
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        raise
    finally:
        db.close()


def alembic_config(engine: Engine):
    """An Alembic config pointing at our migrations, bound to `engine`."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).resolve().parent.parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


MAX_ID = 2**31 - 1  # the smallest integer key range of our back ends (PostgreSQL INTEGER)


def dialect_insert(db: Session):
    """The INSERT construct of the session's database that has ON CONFLICT (PostgreSQL's or SQLite's)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert


def get_or_404(db: Session, model: type, ident: int, what_zh: str, what_en: str):
    """The row of `model` with primary key `ident`, or NotFound (also for ids no back end could hold)."""
    from zhicheng.core.errors import not_found

    if not isinstance(ident, int) or not 0 < ident <= MAX_ID:
        raise not_found(what_zh, what_en, ident)
    row = db.get(model, ident)
    if row is None:
        raise not_found(what_zh, what_en, ident)
    return row


GONE_SQLSTATES = ("3D000",)  # invalid_catalog_name: the database does not exist
ENDED_SQLSTATES = ("57P01",)  # admin_shutdown: the session ended by DROP DATABASE … WITH (FORCE) or pg_terminate_backend


def database_gone(exc: BaseException, engine: Engine, *, probe: bool = True) -> bool:
    """Whether `exc` (raised in background work on `engine`) says that the work's database no longer exists: dropped
    (PostgreSQL, as a test run does at its end) or its SQLite file removed. A session ended by an administrator counts
    only when the database is indeed gone; a failure of any other kind, or on a database that is still there, is not
    this (it is a real failure, for the caller to log)."""
    ended = False
    seen: set[int] = set()
    err: BaseException | None = exc
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        state = getattr(err, "sqlstate", None)
        if state in GONE_SQLSTATES:
            return True
        ended = ended or state in ENDED_SQLSTATES
        name = engine.url.database
        if name and engine.dialect.name == "postgresql" and f'database "{name}" does not exist' in str(err):
            return True  # refused at connect (psycopg gives no SQLSTATE there)
        err = getattr(err, "orig", None) or err.__cause__ or err.__context__
    if engine.dialect.name == "sqlite":
        name = engine.url.database
        return bool(name) and name != ":memory:" and not Path(name).exists()
    if ended and probe:  # was the session ended because the database went? ask once more
        try:
            with engine.connect():
                return False
        except Exception as again:  # noqa: BLE001 - only what it says matters here
            return database_gone(again, engine, probe=False)
    return False
