"""SQLite WAL checkpoints in a background thread of the server.

SQLite copies the write-ahead log back into the database file (a checkpoint) inside the commit that takes the log
past 1,000 pages: on a server writing an audit entry per request, one request in seventy then pays some 10 ms of
copying and `fsync` on top of its own work. A server's engine is made with `background_checkpoints=True`
(`core.db.make_engine`), which leaves that work to this thread: a PASSIVE checkpoint, which never waits for or
blocks readers and writers, every `every` seconds. Each connection keeps a checkpoint threshold of its own, much
higher, as the safety net should this thread not run. PostgreSQL needs none of this.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

log = logging.getLogger(__name__)


class Checkpointer:
    """Checkpoints `engine`'s SQLite database every `every` seconds, from `start()` to `stop()`."""

    def __init__(self, engine: Engine, *, every: float = 0.2) -> None:
        self.engine = engine
        self.every = every
        self.last: tuple[int, int, int] | None = None  # what the thread's last checkpoint reported
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.engine.dialect.name != "sqlite" or self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="zhicheng-wal-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (busy, pages in the log, pages copied back), as SQLite reports them."""
        with self.engine.connect() as conn:
            busy, logged, copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        return int(busy), int(logged), int(copied)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.last = self.checkpoint()
            except Exception:  # noqa: BLE001 - a failed checkpoint is retried next time; commits do not depend on it
                log.warning("WAL checkpoint failed", exc_info=True)
