"""The note a finished demo load leaves in the data folder, so later starts neither reload nor overwrite."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from zhicheng.core.settings import Settings

MARKER = "demo-loaded.json"
DEMO_VERSION = 1


def _database_key(settings: Settings) -> str:
    """A fingerprint of the database in force (password left out), so a marker never vouches for another one."""
    url = make_url(settings.db_url).render_as_string(hide_password=True)
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def marker_path(settings: Settings) -> Path:
    return settings.data / MARKER


def read_marker(settings: Settings) -> dict | None:
    """The marker of a finished load into this instance's database, or None."""
    path = marker_path(settings)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("database") != _database_key(settings):
        return None
    return doc


def write_marker(settings: Settings, summary: dict) -> None:
    """Record that the demo is fully loaded (written last, after every step has committed)."""
    doc = {"version": DEMO_VERSION, "database": _database_key(settings),
           "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"), **summary}
    path = marker_path(settings)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)


def remove_marker(settings: Settings) -> None:
    marker_path(settings).unlink(missing_ok=True)
