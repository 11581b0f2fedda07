"""Uploads waiting on the mapping step: kept in data/uploads beside a note of who uploaded them for which resource."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from zhicheng.core.actor import Actor
from zhicheng.core.errors import NotFound
from zhicheng.core.settings import Settings

MAX_AGE_S = 24 * 3600  # an upload nobody came back to map is removed the next time one is kept
_TOKEN = re.compile(r"^[0-9a-f]{32}\.(csv|xlsx|json|geojson)$")
_NOTE = ".pending.json"


def _folder(settings: Settings) -> Path:
    return settings.ensure_data_dir() / "uploads"


def keep(settings: Settings, path: Path, *, actor: Actor, resource_id: int, filename: str,
         sheet: str | None) -> str:
    """Keep an uploaded file (saved by `uploads.save_upload`) for the mapping step; its token."""
    path = Path(path)
    note = {"user_id": actor.user_id, "username": actor.username, "resource_id": resource_id,
            "filename": filename, "sheet": sheet, "at": time.time()}
    path.with_name(path.name + _NOTE).write_text(json.dumps(note, ensure_ascii=False), encoding="utf-8")
    _remove_stale(_folder(settings))
    return path.name


def _remove_stale(folder: Path) -> None:
    cutoff = time.time() - MAX_AGE_S
    for note in folder.glob(f"*{_NOTE}"):
        try:
            if note.stat().st_mtime < cutoff:
                (folder / note.name[: -len(_NOTE)]).unlink(missing_ok=True)
                note.unlink(missing_ok=True)
        except OSError:
            continue


def find(settings: Settings, token: str, *, actor: Actor, resource_id: int) -> tuple[Path, dict[str, Any]]:
    """(the file, its note) of a kept upload of `actor` for the resource; NotFound for anything else."""
    gone = NotFound("上传的文件已过期或不存在，请重新上传", "the uploaded file has expired or does not exist; "
                    "upload it again", field="token")
    if not _TOKEN.match(token or ""):
        raise gone
    path = _folder(settings) / token
    note_path = path.with_name(path.name + _NOTE)
    try:
        note = json.loads(note_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise gone from None
    if note.get("user_id") != actor.user_id or note.get("resource_id") != resource_id or not path.is_file():
        raise gone
    return path, note


def release(path: Path) -> None:
    """Forget the note of a kept upload (the import job now owns the file and deletes it when done)."""
    path.with_name(path.name + _NOTE).unlink(missing_ok=True)
