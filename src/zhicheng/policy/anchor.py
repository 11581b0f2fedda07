"""The audit chain's anchor outside the database: the HMAC-SM3 key file and signed checkpoints of the chain head.

Whoever can write the database can rewrite a plain hash chain and its head. Two things outside the database stop
that: every entry's hash is an HMAC-SM3 under a key kept in a file (`ZHICHENG_AUDIT_KEY_FILE`, mode 0600), so a
rewritten entry cannot be given a hash that verifies; and the head (seq, hash) is written, signed with a key derived
from the same file, to an append-only checkpoint file (`ZHICHENG_AUDIT_CHECKPOINT_FILE`) and, when configured, to
syslog, so an entry removed from the end is known to have existed. `audit.verify` checks both.
"""

from __future__ import annotations

import hmac as std_hmac
import json
import logging
import logging.handlers
import os
import secrets
import socket
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from sqlalchemy import Engine, text

from zhicheng.core import clock
from zhicheng.core.db import database_gone
from zhicheng.core.errors import AppError
from zhicheng.core.settings import Settings, get_settings

log = logging.getLogger(__name__)
KEY_BYTES = 32


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC (RFC 2104) over SM3 (GB/T 32905), as `cryptography` computes it with OpenSSL."""
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


class AuditKeyError(AppError):
    """The audit key file is missing where it must exist, unreadable, malformed or readable by others."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh, en, code="audit_key", status=500, field="audit_key_file")


def load_or_create_key(path: Path, *, checkpoints: Path | None = None) -> tuple[bytes, bool]:
    """The key in `path` (created with mode 0600 when missing) and whether it was created now. Refused: a key file
    others may read or write, and a missing key while checkpoints signed with one exist (restore it instead)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    created = False
    if not path.exists():
        if checkpoints is not None and checkpoints.exists() and checkpoints.stat().st_size > 0:
            raise AuditKeyError(f"审计密钥文件 {path} 不存在，但检查点文件 {checkpoints} 已有签名记录：请恢复原密钥文件",
                                f"the audit key file {path} is missing while {checkpoints} holds checkpoints signed "
                                "with it: restore the key file")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: read theirs
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_bytes(KEY_BYTES).hex() + "\n")
                out.flush()
                os.fsync(out.fileno())
            created = True
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise AuditKeyError(f"审计密钥文件 {path} 的权限为 {mode:04o}，过宽：请执行 chmod 600 {path}",
                            f"the audit key file {path} has mode {mode:04o}, readable by others: chmod 600 {path}")
    try:
        key = bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError) as exc:
        raise AuditKeyError(f"无法读取审计密钥文件 {path}：{exc}", f"cannot read the audit key file {path}: {exc}") from None
    if len(key) < KEY_BYTES:
        raise AuditKeyError(f"审计密钥文件 {path} 的密钥过短（至少 {KEY_BYTES} 字节）",
                            f"the key in {path} is too short (at least {KEY_BYTES} bytes)")
    return key, created


@dataclass(frozen=True)
class Checkpoint:
    """One line of the checkpoint file: the head at `at`, and whether its signature is right."""

    seq: int
    hash: str
    anchor_seq: int
    at: str
    valid: bool
    line: int


def syslog_handler(target: str) -> logging.Handler:
    """A SysLogHandler for "host:port" (UDP) or a unix socket path ("/dev/log")."""
    if target.startswith("/"):
        return logging.handlers.SysLogHandler(address=target)
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise AppError(f"ZHICHENG_AUDIT_SYSLOG 须为 主机:端口 或 unix 套接字路径，而不是 {target}",
                       f"ZHICHENG_AUDIT_SYSLOG must be host:port or a unix socket path, not {target}",
                       field="audit_syslog")
    return logging.handlers.SysLogHandler(address=(host.strip("[]"), int(port)), socktype=socket.SOCK_DGRAM)


class Anchor:
    """The key and the checkpoints of one instance's audit chain (one per database, found by `anchor_for`)."""

    def __init__(self, key: bytes, *, checkpoint_file: Path, every_entries: int = 100, every_seconds: float = 10.0,
                 syslog: str | None = None) -> None:
        self.chain_key = hmac_sm3(key, b"zhicheng audit chain v1")
        self._checkpoint_key = hmac_sm3(key, b"zhicheng audit checkpoint v1")
        self.checkpoint_file = checkpoint_file
        self.every_entries = max(1, every_entries)
        self.every_seconds = every_seconds
        self.appended = 0  # entries appended since the last checkpoint (a hint: rolled-back ones count too)
        self.last: tuple[int, str] | None = None  # the head the last checkpoint of this process wrote
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._syslog = None
        if syslog:
            self._syslog = logging.getLogger(f"zhicheng.audit.checkpoint.{id(self)}")
            self._syslog.propagate = False
            self._syslog.setLevel(logging.INFO)
            self._syslog.addHandler(syslog_handler(syslog))

    # -- the keyed hash of the chain (every append) --------------------------------------------------------------

    def chain_hash(self, data: bytes) -> str:
        return hmac_sm3(self.chain_key, data).hex()

    def note_append(self) -> None:
        """Count one append; every `every_entries` wake the checkpoint thread (no I/O here: the hot path)."""
        self.appended += 1
        if self.appended >= self.every_entries and not self._wake.is_set():
            self._wake.set()

    # -- checkpoints ------------------------------------------------------------------------------------------------

    def _mac(self, seq: int, head: str, anchor_seq: int, at: str) -> str:
        return hmac_sm3(self._checkpoint_key, f"{seq}|{head}|{anchor_seq}|{at}".encode()).hex()

    def checkpoint(self, engine: Engine, *, force: bool = False) -> Checkpoint | None:
        """Append the committed head to the checkpoint file (fsync) and syslog, unless it is the one written last."""
        with engine.connect() as conn:
            row = conn.execute(text("SELECT seq, hash, anchor_seq FROM audit_head WHERE id = 1")).first()
        if row is None or int(row[0]) == 0:
            return None
        seq, head, anchor_seq = int(row[0]), row[1], int(row[2])
        with self._lock:
            self.appended = 0
            if not force and self.last == (seq, head):
                return None
            at = clock.now().astimezone(UTC).isoformat(timespec="seconds")
            doc = {"seq": seq, "hash": head, "anchor_seq": anchor_seq, "at": at,
                   "mac": self._mac(seq, head, anchor_seq, at)}
            line = json.dumps(doc, separators=(",", ":")) + "\n"
            self.checkpoint_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.checkpoint_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode("ascii"))  # one write of one line: whole lines, whichever process appends
                os.fsync(fd)
            finally:
                os.close(fd)
            self.last = (seq, head)
        if self._syslog is not None:
            try:
                self._syslog.info("zhicheng-audit-checkpoint %s", line.strip())
            except Exception:  # noqa: BLE001 - the file holds the checkpoint; syslog is a second copy
                log.warning("audit checkpoint not sent to syslog", exc_info=True)
        return Checkpoint(seq, head, anchor_seq, at, True, 0)

    def checkpoints(self) -> Iterator[Checkpoint]:
        """Every line of the checkpoint file, with whether its signature holds (a line that is not JSON: invalid)."""
        if not self.checkpoint_file.exists():
            return
        with self.checkpoint_file.open(encoding="ascii", errors="replace") as lines:
            for number, raw in enumerate(lines, 1):
                if not raw.strip():
                    continue
                try:
                    doc = json.loads(raw)
                    seq, head, anchor_seq, at = int(doc["seq"]), str(doc["hash"]), int(doc["anchor_seq"]), str(doc["at"])
                    valid = std_hmac.compare_digest(self._mac(seq, head, anchor_seq, at), str(doc["mac"]))
                except (ValueError, KeyError, TypeError):
                    seq, head, anchor_seq, at, valid = 0, "", 0, "", False
                yield Checkpoint(seq, head, anchor_seq, at, valid, number)

    # -- the background writer of a server ------------------------------------------------------------------------

    def start(self, engine: Engine) -> None:
        """Write checkpoints every `every_seconds`, or sooner after `every_entries` appends, until `stop`."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(weakref.ref(engine),), daemon=True,
                                        name="zhicheng-audit-checkpoint")
        self._thread.start()

    def stop(self, engine: Engine | None = None) -> None:
        """Stop the thread and write the last checkpoint (at shutdown)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if engine is not None:
            self._safe_checkpoint(engine)

    def _safe_checkpoint(self, engine: Engine) -> bool:
        """Write a checkpoint; False when the database is gone (dropped, as a test run drops its own at the end):
        then there is no head left to anchor, and the thread ends with a debug line rather than a traceback."""
        try:
            self.checkpoint(engine)
        except Exception as exc:  # noqa: BLE001 - retried at the next tick; the chain itself does not depend on it
            if database_gone(exc, engine):
                log.debug("audit checkpoints end: the database is gone (%s)", str(exc).splitlines()[0][:200])
                return False
            log.warning("audit checkpoint failed", exc_info=True)
        return True

    def _run(self, engine_ref) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.every_seconds)
            self._wake.clear()
            engine = engine_ref()
            if engine is None or self._stop.is_set() or not self._safe_checkpoint(engine):
                return


# -- one anchor per database --------------------------------------------------------------------------------------

_BY_URL: dict[str, Anchor] = {}
_BY_ENGINE: weakref.WeakKeyDictionary[Engine, Anchor] = weakref.WeakKeyDictionary()  # the append path's lookup


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def key_file(settings: Settings) -> Path:
    return settings.audit_key_file or settings.data / "audit.key"


def checkpoint_file(settings: Settings) -> Path:
    return settings.audit_checkpoint_file or settings.data / "audit-checkpoints.log"


def attach(engine: Engine, settings: Settings) -> Anchor:
    """Load (or create) the key of `settings` and make it the anchor of `engine`'s database; an existing chain
    written before keyed hashing is re-keyed once, when the key is created (policy.audit.rekey)."""
    checkpoints = checkpoint_file(settings)
    key, created = load_or_create_key(key_file(settings), checkpoints=checkpoints)
    anchor = Anchor(key, checkpoint_file=checkpoints, every_entries=settings.audit_checkpoint_every,
                    every_seconds=settings.audit_checkpoint_seconds, syslog=settings.audit_syslog)
    _BY_URL[_url(engine)] = _BY_ENGINE[engine] = anchor
    if created:
        from zhicheng.policy.audit import rekey

        rekey(engine, anchor)
    return anchor


def anchor_for(bind) -> Anchor:
    """The anchor of the database `bind` (an Engine, Connection or Session) belongs to; the process settings' key
    when nothing attached one (a script that made its own engine)."""
    engine = bind.get_bind() if hasattr(bind, "get_bind") else bind
    engine = getattr(engine, "engine", engine)
    found = _BY_ENGINE.get(engine)
    if found is None:
        found = _BY_URL.get(_url(engine)) or attach(engine, get_settings())
        _BY_ENGINE[engine] = found
    return found
