"""Uploaded files: refused early when over the size limit, else copied into the data folder for the import job;
at start-up, the files no running job holds (partial uploads, jobs a stopped process left) are removed."""

from __future__ import annotations

import fcntl
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from fastapi import Request, UploadFile

from zhicheng.catalog.datasets.readers import detect_format
from zhicheng.catalog.datasets.service import check_size
from zhicheng.core.errors import Invalid
from zhicheng.core.settings import Settings


def limit_upload(request: Request) -> None:
    """Dependency: a request whose declared body exceeds the limit gets 413 before anything is read."""
    settings: Settings = request.app.state.settings
    length = request.headers.get("content-length")
    if length and length.isdigit():
        # the multipart envelope adds a little; allow it a megabyte
        check_size(max(0, int(length) - 1024 * 1024), settings.max_upload_mb)


def save_upload(upload: UploadFile | None, settings: Settings) -> tuple[Path, str]:
    """Copy the upload to data/uploads (checking the size as it goes); return (path, original filename)."""
    if upload is None or not upload.filename:
        raise Invalid("请选择要上传的文件", "choose a file to upload", field="file")
    filename = Path(upload.filename.replace("\\", "/")).name
    suffix = "." + detect_format(filename)
    folder = settings.ensure_data_dir() / "uploads"
    target = folder / f"{uuid.uuid4().hex}{suffix}"
    try:
        copy_upload(upload, target, settings)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target, filename


def copy_upload(upload: UploadFile, target: Path, settings: Settings) -> None:
    """Copy an uploaded file to `target` a megabyte at a time, refusing it (413 naming the limit) once it passes the
    instance's upload limit: the one copy of every door that takes a file (imports, grids, component inventories)."""
    limit = settings.max_upload_mb * 1024 * 1024
    copied = 0
    with target.open("wb") as out:
        while chunk := upload.file.read(1024 * 1024):
            copied += len(chunk)
            if copied > limit:
                check_size(copied, settings.max_upload_mb)
            out.write(chunk)


FRESH_SECONDS = 120  # a file this recent may be an upload another worker is writing or about to start a job on


@contextmanager
def held(path: Path):
    """Hold `path` (a shared lock) while a job reads it: the start-up sweep of any worker leaves it alone, and a
    process that stops lets it go with it."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - held for the block
    except OSError:
        yield
        return
    try:
        fcntl.flock(fh, fcntl.LOCK_SH)
        yield
    finally:
        fh.close()


def _unheld(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
    except OSError:  # BlockingIOError when a job of another process holds it
        return False


def sweep(settings: Settings) -> int:
    """Remove the files of the uploads folder that no import job holds (in this process, or in another one: see
    `held`), that are not kept for the mapping step (`pending`, which ages them out itself) and that are not
    fresh: partial uploads and the files of jobs a stopped process left. How many were removed."""
    from zhicheng.catalog.datasets import jobs
    from zhicheng.catalog.datasets.pending import _NOTE as PENDING_NOTE

    keep = jobs.files_in_use()
    cutoff = time.time() - FRESH_SECONDS
    removed = 0
    for path in (settings.ensure_data_dir() / "uploads").iterdir():
        if not path.is_file() or path.name.endswith(PENDING_NOTE) or path.resolve() in keep:
            continue
        if path.with_name(path.name + PENDING_NOTE).exists():
            continue
        try:
            if path.stat().st_mtime > cutoff or not _unheld(path):
                continue
        except OSError:
            continue
        path.unlink(missing_ok=True)
        removed += 1
    return removed
