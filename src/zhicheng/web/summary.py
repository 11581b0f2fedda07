"""What the shell pages show: the home page's catalog summary and the about page's list of demo data sources."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from zhicheng.core.actor import Actor
from zhicheng.web.i18n import PKG

DEMO_DATA = PKG / "demo" / "data"
DATA_SUFFIXES = (".csv", ".csv.gz", ".geojson", ".json", ".json.gz", ".xlsx", ".parquet")


def home_summary(db: Session, *, actor: Actor, lang: str = "zh-CN", newest: int = 5) -> dict[str, Any]:
    """Counts by state and class, the newest published resources and this actor's drafts and review queue."""
    from zhicheng.catalog import search
    from zhicheng.core.errors import Forbidden
    from zhicheng.policy.service import Target, decide

    empty = {"total": 0, "published": 0, "my_drafts": 0, "review_queue": None, "by_state": [], "by_class": [],
             "newest": [], "class_param": "catalog_class"}
    try:
        overview = search.search(db, actor=actor, filters={}, page=1, size=1)
    except Forbidden:
        return empty
    en = lang.startswith("en")

    def rows(name: str) -> list[dict[str, Any]]:
        return [{"value": f["value"], "label": f["label_en"] if en else f["label"], "count": f["count"]}
                for f in overview.facets.get(name, [])]

    by_state = rows("state")
    summary = dict(empty, total=overview.total, by_state=by_state, by_class=rows("catalog_class"),
                   published=sum(r["count"] for r in by_state if r["value"] == "published"))
    published = search.search(db, actor=actor, filters={"state": ["published"]}, page=1, size=newest)
    summary["newest"] = [{"id": d["id"], "name": d["name"], "published_at": d.get("publish_date"),
                          "department": _department_name(d.get("department") or {}, en)} for d in published.items]
    if actor.department_id:
        drafts = search.search(db, actor=actor, filters={"state": ["draft", "returned"],
                                                          "department": [actor.department_id]}, page=1, size=1)
        summary["my_drafts"] = drafts.total
        summary["my_department"] = actor.department_id
    if decide(actor, "review", Target(search.KIND, attrs={"state": "submitted"})).allowed:
        queue = search.search(db, actor=actor, filters={"state": ["submitted"]}, page=1, size=1)
        summary["review_queue"] = queue.total
    return summary


def _department_name(dept: dict[str, Any], en: bool) -> str:
    return (dept.get("name_en") if en and dept.get("name_en") else dept.get("name")) or ""


def about_sources(data_dir: Path = DEMO_DATA, lang: str = "en") -> list[dict[str, str | None]]:
    """The demo data files: what they hold, where they come from, their licence (the table of SOURCES.md; in
    Chinese the rows of SOURCES.zh.md, matched by file name, where it has them)."""
    sources = data_dir / "SOURCES.md"
    if sources.is_file():
        rows = _markdown_table(sources.read_text(encoding="utf-8"))
        chinese = data_dir / "SOURCES.zh.md"
        if rows and lang != "en" and chinese.is_file():
            zh = {r["file"]: r for r in _markdown_table(chinese.read_text(encoding="utf-8"))}
            rows = [zh.get(r["file"], r) for r in rows]
        if rows:
            return rows
    if not data_dir.is_dir():
        return []
    return [{"file": p.name, "description": None, "source": None, "licence": None}
            for p in sorted(data_dir.iterdir()) if p.is_file() and p.name.endswith(DATA_SUFFIXES)]


def _cell_text(cell: str) -> str:
    """A markdown table cell as plain text (code spans and emphasis unmarked)."""
    return re.sub(r"[`*]", "", cell).strip()


def _markdown_table(text: str) -> list[dict[str, str | None]]:
    """The first table of a markdown text whose header has file / what / source / licence columns."""
    rows: list[dict[str, str | None]] = []
    header: list[str] | None = None
    for line in text.splitlines():
        line = line.strip()
        if not (line.startswith("|") and line.endswith("|")):
            if header and rows:
                break
            continue
        cells = [_cell_text(c) for c in line.strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
        elif not all(set(c) <= set("-: ") for c in cells):
            row = dict(zip(header, cells, strict=False))
            rows.append({"file": row.get("file") or row.get("文件"), "description": row.get("what") or row.get("内容"),
                         "source": row.get("source") or row.get("来源"),
                         "licence": row.get("licence") or row.get("license") or row.get("许可")})
    return rows if header and ("file" in header or "文件" in header) else []
