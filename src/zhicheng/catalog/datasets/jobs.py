"""Background import jobs: a thread per job with its own session; live progress kept in memory while it runs.

Progress is not written to the database row by row (each write would queue behind the import's batches for
SQLite's one write lock): the job row is written when the job starts and when it ends, and pollers read the
live counters from this process. What a job staged (`rowstore`) is dropped when it fails, or at the next start
when a crash stopped it.

Several worker processes share the job table: a job is owned by the process that runs it (`OWNER`: host, pid and a
boot id) under a lease its heartbeat renews every HEARTBEAT_SECONDS. A starting process sweeps only the jobs whose
lease ran out (or that never had one), never another live process's import.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from zhicheng.catalog.datasets.models import ImportJob
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.db import database_gone
from zhicheng.core.errors import AppError

log = logging.getLogger(__name__)
_live: dict[str, dict[str, Any]] = {}
_threads: dict[str, threading.Thread] = {}
_files: set[Path] = set()  # the uploaded files of the jobs running here (the start-up sweep keeps them)
_lock = threading.Lock()
STAGING_ABANDONED = 24 * 3600  # seconds after which a staging table without a job is taken as left by a crash
OWNER = f"{socket.gethostname()[:100]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"  # this process, this boot
LEASE_SECONDS = 90.0  # a job whose lease is older than this was left by a process that stopped
HEARTBEAT_SECONDS = 20.0


def start(db: Session, *, actor: Actor, resource_id: int, path: Path, filename: str,
          factory: sessionmaker[Session], sheet: str | None = None, header_row: int | None = None,
          mapping: dict[str, Any] | None = None) -> ImportJob:
    """Record a queued job and start its thread; the caller has authorised the import."""
    job = ImportJob(id=uuid.uuid4().hex, resource_id=resource_id, state="queued", filename=filename[:255],
                    size_bytes=path.stat().st_size, rows_read=0, error_count=0, errors=[],
                    created_by=actor.user_id, created_by_name=actor.display_name or actor.username,
                    created_at=clock.now(), owner=OWNER, lease_until=_lease())
    db.add(job)
    db.commit()
    with _lock:
        _live[job.id] = {"state": "queued", "rows_read": 0, "rows_total_estimate": None}
        _files.add(Path(path).resolve())
    thread = threading.Thread(target=_run, name=f"import-{job.id[:8]}", daemon=True,
                              args=(factory, job.id, actor, resource_id, path, filename, sheet, header_row, mapping))
    _threads[job.id] = thread
    thread.start()
    return job


def _progress(job_id: str):
    def update(rows: int, done: int, total: int) -> None:
        estimate = int(rows * total / done) if done else None
        with _lock:
            _live[job_id] = {"state": "running", "rows_read": rows,
                             "rows_total_estimate": max(estimate, rows) if estimate else None}

    return update


def _run(factory: sessionmaker[Session], job_id: str, actor: Actor, resource_id: int, path: Path,
         filename: str, sheet: str | None, header_row: int | None = None,
         mapping: dict[str, Any] | None = None) -> None:
    from zhicheng.catalog.datasets import service, uploads

    with _lock:
        _live[job_id] = {"state": "running", "rows_read": 0, "rows_total_estimate": None}
    hold = uploads.held(path)  # other workers' start-up sweeps leave the file alone while this job runs
    hold.__enter__()
    done = threading.Event()
    threading.Thread(target=_heartbeat, args=(factory, job_id, done), name=f"lease-{job_id[:8]}", daemon=True).start()
    try:
        with factory() as db:
            _set(db, job_id, state="running")
            try:
                report = service.import_file(db, actor=actor, resource_id=resource_id, path=path,
                                             filename=filename, sheet=sheet, progress=_progress(job_id),
                                             job_id=job_id, via=actor.via, header_row=header_row,
                                             mapping=mapping)
            except AppError as exc:
                db.rollback()
                _set(db, job_id, state="failed", message_zh=exc.zh, message_en=exc.en, finished_at=clock.now())
                return
            except Exception as exc:
                db.rollback()
                if _gone(exc, factory):
                    raise  # nothing left to record it in (below)
                log.exception("import job %s failed", job_id)
                _set(db, job_id, state="failed", message_zh="导入时发生内部错误，已记录",
                     message_en="internal error during the import; it has been logged", finished_at=clock.now())
                return
            _set(db, job_id, state="succeeded" if report.ok else "failed", rows_read=report.rows_read,
                 rows_total_estimate=report.rows_read, error_count=report.error_count, errors=report.errors,
                 version=report.version, message_zh=report.message_zh, message_en=report.message_en,
                 finished_at=clock.now())
    except Exception as exc:
        if not _gone(exc, factory):
            raise
        log.debug("import job %s ends: its database is gone (%s)", job_id, str(exc).splitlines()[0][:200])
    finally:
        done.set()
        hold.__exit__(None, None, None)
        Path(path).unlink(missing_ok=True)
        with _lock:
            _live.pop(job_id, None)
            _files.discard(Path(path).resolve())


def _lease():
    return clock.now() + timedelta(seconds=LEASE_SECONDS)


def _heartbeat(factory: sessionmaker[Session], job_id: str, done: threading.Event) -> None:
    """Renew the job's lease until it ends (one short UPDATE; a missed beat is retried at the next)."""
    from sqlalchemy import update

    while not done.wait(HEARTBEAT_SECONDS):
        try:
            with factory() as db:
                db.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.owner == OWNER)
                           .values(lease_until=_lease()))
                db.commit()
        except Exception as exc:  # noqa: BLE001 - the lease is long enough to miss a beat (a busy database)
            if _gone(exc, factory):
                log.debug("import job %s: no lease to renew, its database is gone", job_id)
                return
            log.warning("import job %s: lease not renewed", job_id, exc_info=True)


def _gone(exc: BaseException, factory: sessionmaker[Session]) -> bool:
    """Whether the job's database was dropped under it (a test run's end): the job ends quietly then."""
    engine = factory.kw.get("bind")
    return engine is not None and database_gone(exc, engine)


def _owner_gone(owner: str | None) -> bool:
    """True when `owner` was a process of this host that no longer runs (a restart: no need to wait its lease)."""
    parts = (owner or "").rsplit(":", 2)
    if len(parts) != 3 or owner == OWNER or parts[0] != OWNER.rsplit(":", 2)[0] or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return True  # this pid in an earlier boot
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def files_in_use() -> set[Path]:
    """The uploaded files that jobs running in this process still read."""
    with _lock:
        return set(_files)


def _set(db: Session, job_id: str, **values: Any) -> None:
    job = db.get(ImportJob, job_id)
    if job is None:
        return
    for key, value in values.items():
        setattr(job, key, value)
    db.commit()


def apply_live_progress(job: ImportJob) -> ImportJob:
    """Overlay the in-memory counters of a running job on its row (unchanged when it is not running here)."""
    with _lock:
        live = dict(_live.get(job.id) or {})
    if live and job.state in ("queued", "running"):
        job.state = live["state"]
        job.rows_read = live["rows_read"]
        job.rows_total_estimate = live["rows_total_estimate"]
    return job


def wait(job_id: str, timeout: float | None = None) -> bool:
    """Wait for a job's thread to end (tests, the CLI); True when it has ended."""
    thread = _threads.get(job_id)
    if thread is None:
        return True
    thread.join(timeout)
    if not thread.is_alive():
        _threads.pop(job_id, None)
        return True
    return False


def recover_interrupted(factory: sessionmaker[Session]) -> int:
    """At start-up: jobs left queued/running by a stopped process stored nothing (imports are all or nothing),
    so mark them failed with a message asking for a new import; a job whose lease is still renewed belongs to
    another live process and is left alone. Returns how many were marked."""
    from sqlalchemy import select

    now = clock.now()
    with factory() as db:
        unfinished = db.scalars(select(ImportJob).where(ImportJob.state.in_(("queued", "running")))).all()
        held = {job.id for job in unfinished if job.lease_until is not None and clock.aware(job.lease_until) > now
                and not _owner_gone(job.owner)}
        stale = [job for job in unfinished if job.id not in held and job.id not in _live]
        interrupted = set()
        for job in stale:
            interrupted.add(job.id)
            job.state = "failed"
            job.message_zh = "服务重启时导入被中断，未写入任何数据，请重新导入"
            job.message_en = "the import was interrupted by a restart; nothing was stored, please import again"
            job.finished_at = clock.now()
        db.commit()
        drop_abandoned_staging(db.get_bind().engine, interrupted, held=held)
        return len(stale)


def drop_abandoned_staging(engine, interrupted: set[str], held: set[str] = frozenset()) -> list[str]:
    """Drop the staging tables of the `interrupted` jobs, and any older than STAGING_ABANDONED (an import run
    from the command line that was killed); the names dropped. A live job's staging table is never touched."""
    from zhicheng.catalog.datasets import rowstore

    with engine.connect() as conn:
        found = rowstore.staging_tables(conn)
    cutoff = time.time() - STAGING_ABANDONED
    dropped = []
    for name, created, key in found:
        if key not in _live and key not in held and (key in interrupted or created < cutoff):
            rowstore.drop_staging(engine, name)
            dropped.append(name)
    if dropped:
        log.warning("dropped %d staging tables of interrupted imports", len(dropped))
    return dropped
