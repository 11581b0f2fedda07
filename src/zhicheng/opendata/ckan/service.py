"""The open catalog as CKAN sees it: package = published open resource, CKAN resource = one download of its
newest data version, organization = department, group = theme (分类项). Logic only, no HTTP.

Only live published revisions whose open attribute is 无条件开放 or 有条件开放 are ever visible; 不予开放
resources, drafts and withdrawn ones answer exactly like ids that do not exist.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from zhicheng.catalog import codes
from zhicheng.catalog import service as catalog
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid, NotFound

OPEN_TYPES = ("unconditional", "conditional")
MAX_ROWS = 1000  # CKAN's default ckan.search.rows_max
DEFAULT_ROWS = 10
MAX_START = 1_000_000
MAX_FQ = 1000
FORMATS = {
    "csv": (1, "CSV", "text/csv"),
    "xlsx": (2, "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "json": (3, "JSON", "application/json"),
    "geojson": (4, "GeoJSON", "application/geo+json"),
}
FORMAT_BY_NUMBER = {n: key for key, (n, _, _) in FORMATS.items()}
LICENSE = {
    "id": "cc-by-4.0",
    "title": "知识共享署名 4.0 / Creative Commons Attribution 4.0",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}
# stable UUID-shaped identifiers that carry our integer keys (CKAN clients and harvesters expect UUIDs)
PACKAGE_ID = "7a686300-0000-4000-8000-{:012x}"
ORG_ID = "7a686302-0000-4000-8000-{:012x}"
RESOURCE_ID = "7a686301-{version:04x}-4{fmt:03x}-8000-{rid:012x}"
_PACKAGE_RE = re.compile(r"^7a686300-0000-4000-8000-([0-9a-f]{12})$")
_ORG_RE = re.compile(r"^7a686302-0000-4000-8000-([0-9a-f]{12})$")
_RESOURCE_RE = re.compile(r"^7a686301-([0-9a-f]{4})-4([0-9a-f]{3})-8000-([0-9a-f]{12})$")
_SLUG_RE = re.compile(r"^(\d{9})-(\d{6})$")
_CODE_RE = re.compile(r"^\d{9}/\d{6}$")
MAX_KEY = 2**31 - 1
# CKAN facet / fq names -> the catalog search's facet names
FACET_FIELDS = {
    "organization": "department",
    "owner_org": "department",
    "department": "department",
    "open_type": "open_type",
    "update_cycle": "update_cycle",
    "format": "format",
    "catalog_class": "catalog_class",
}
SORTS = {
    "": "score",
    "score desc": "score",
    "metadata_modified desc": "modified",
    "score desc, metadata_modified desc": "score",
    "relevance": "score",
    "relevance asc": "score",
}


def reader() -> Actor:
    """The actor the open catalog is read as: the public portal (published revisions only, fields masked)."""
    from zhicheng.opendata.access import portal_actor  # the one portal reader (no fallback of our own)

    return portal_actor()


def not_found(what_zh: str, what_en: str, ident: Any) -> NotFound:
    shown = str(ident)[:80]
    return NotFound(f"{what_zh} {shown} 不存在", f"{what_en} {shown} not found", field="id")


# -- identifiers ---------------------------------------------------------------------------------------------


def slug(code: str) -> str:
    """The CKAN name of a resource code: 101015001/000001 -> 101015001-000001 (lower-case, URL-safe)."""
    return code.replace("/", "-")


def package_id(resource_id: int) -> str:
    return PACKAGE_ID.format(resource_id)


def org_id(department_id: int) -> str:
    return ORG_ID.format(department_id)


def resource_uuid(resource_id: int, version: int, fmt: str) -> str:
    return RESOURCE_ID.format(version=version, fmt=FORMATS[fmt][0], rid=resource_id)


def parse_resource_uuid(ident: str) -> tuple[int, int, str] | None:
    """(resource id, version, format) of one of our CKAN resource ids, else None."""
    m = _RESOURCE_RE.match(ident.strip().lower())
    if not m:
        return None
    version, fmt, rid = int(m[1], 16), FORMAT_BY_NUMBER.get(int(m[2], 16)), int(m[3], 16)
    if fmt is None or not 0 < rid <= MAX_KEY or version < 1:
        return None
    return rid, version, fmt


def _ident_text(ident: Any, field_name: str = "id") -> str:
    if ident is None or isinstance(ident, dict | list | bool):
        raise Invalid(
            f"缺少或无效的参数 {field_name}", f"missing or invalid parameter {field_name}", field=field_name
        )
    text = str(ident).strip()
    if not text:
        raise Invalid(f"缺少参数 {field_name}", f"missing parameter {field_name}", field=field_name)
    return text[:200]


# -- visibility ---------------------------------------------------------------------------------------------


def open_document(db: Session, res: Any) -> dict[str, Any] | None:
    """The live published revision of `res` when it is open (无条件/有条件开放), else None."""
    if not catalog.is_live(res):
        return None
    doc = catalog.live_snapshot(db, res)
    if doc is None or doc.get("open_type") not in OPEN_TYPES:
        return None
    return doc


def _lookup(db: Session, ident: Any, field_name: str, *, light: bool = False) -> tuple[Any, str]:
    text = _ident_text(ident, field_name)
    rid: int | None = None
    code: str | None = None
    if m := _PACKAGE_RE.match(text.lower()):
        rid = int(m[1], 16)
    elif _SLUG_RE.match(text):
        code = text.replace("-", "/")
    elif _CODE_RE.match(text):
        code = text
    elif text.isdigit() and len(text) <= 10:
        rid = int(text)
    res = None
    try:
        if code is not None:
            res = catalog.get_by_code(db, code)
        elif rid is not None and 0 < rid <= MAX_KEY:
            head = catalog.resource_head(db, rid) if light else None
            # a published working copy is its live revision: its head is all a row read needs
            res = head if head is not None and head.state == "published" else catalog.get_resource(db, rid)
    except NotFound:
        res = None
    return res, text


def find_package(db: Session, ident: Any, *, field_name: str = "id") -> tuple[Any, dict[str, Any]]:
    """A visible package by any of its names: our UUID, slug, resource code or integer id; else NotFound."""
    res, text = _lookup(db, ident, field_name)
    doc = open_document(db, res) if res is not None else None
    if doc is None:
        raise not_found("数据集", "dataset", text)
    return res, doc


def find_open_resource(
    db: Session, ident: Any, *, field_name: str = "id", light: bool = False
) -> tuple[Any, str]:
    """Like find_package, but only (resource, open type of its live revision): no snapshot is loaded when the
    working copy is the live revision (state published). `light`: a published resource comes as its
    `catalog.service.ResourceHead` (id, department, state, open type), not the whole resource."""
    res, text = _lookup(db, ident, field_name, light=light)
    open_type = None
    if res is not None and catalog.is_live(res):
        if res.state == "published":
            open_type = res.open_type
        else:
            doc = open_document(db, res)
            open_type = doc["open_type"] if doc else None
    if open_type not in OPEN_TYPES:
        raise not_found("数据集", "dataset", text)
    return res, open_type


# -- versions (CKAN resources) --------------------------------------------------------------------------------


def versions(db: Session, res: Any) -> list[Any]:
    """The data versions of an open resource, newest first (empty when nothing was imported)."""
    from zhicheng.catalog.datasets import service as datasets

    return datasets.list_versions(db, actor=reader(), resource_id=res.id)


def download_url(base_url: str, resource_id: int, fmt: str) -> str:
    """The download a machine catalog (CKAN, DCAT, REST) advertises: headed by the data items' identifiers, the
    DataStore's field ids, where the portal's buttons give people the Chinese labels."""
    url = f"{base_url}/open/datasets/{resource_id}/download.{fmt}"
    return f"{url}?columns=names" if fmt in ("csv", "xlsx") else url


def latest_imports(db: Session, resource_ids: list[int]) -> dict[int, tuple[int, Any]]:
    """{resource id: (newest data version, when the newest was imported)} for those with data (the catalog's read)."""
    from zhicheng.catalog.datasets import service as datasets

    return datasets.latest_imports(db, resource_ids) if resource_ids else {}


def with_data(db: Session, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The documents, each (a copy) with `data_version` and `data_imported_at` of its newest data version
    (None when nothing was imported): what decides the formats served and the last change."""
    found = latest_imports(db, [d["id"] for d in docs])
    out = []
    for doc in docs:
        version, at = found.get(doc["id"], (None, None))
        out.append({**doc, "data_version": version, "data_imported_at": clock.aware(at).isoformat() if at else None})
    return out


def has_data(doc: dict[str, Any], latest: Any = ...) -> bool:
    """Whether the dataset has a data version (from `latest`, or the document's `data_version`)."""
    return bool(doc.get("data_version")) if latest is ... else latest is not None


def formats_of(doc: dict[str, Any], latest: Any = ...) -> list[str]:
    """The download formats actually served: none without data; GeoJSON only when the items the public sees
    unmasked hold a geometry or a longitude/latitude pair (`downloads.geo_source`)."""
    from zhicheng.opendata.downloads import geo_source

    if not has_data(doc, latest):
        return []
    # masked coordinates or geometry are no place to draw (the download writes a null geometry for them)
    items = [i for i in items_public(doc) if not i["masked"]]
    return ["csv", "xlsx", "json"] + (["geojson"] if geo_source(items) is not None else [])


def modified_at(doc: dict[str, Any], latest: Any = ...) -> str | None:
    """The last change: the newest of the catalog revision's time and the newest data version's import."""
    stamps = [doc.get("updated_at")]
    if latest is ...:
        stamps.append(doc.get("data_imported_at"))
    elif latest is not None:
        stamps.append(clock.aware(latest.imported_at).isoformat())
    known = [s for s in stamps if s]
    return max(known, key=_instant) if known else None


@lru_cache(maxsize=65536)
def _instant(stamp: str) -> Any:
    return clock.aware(datetime.fromisoformat(stamp))


def resource_dicts(doc: dict[str, Any], version: Any, base_url: str) -> list[dict[str, Any]]:
    """The CKAN resources of one data version: one per download format."""
    if version is None:
        return []
    out = []
    created = clock.aware(version.imported_at).isoformat()
    for position, fmt in enumerate(formats_of(doc, version)):
        _, label, mimetype = FORMATS[fmt]
        out.append(
            {
                "id": resource_uuid(doc["id"], version.version, fmt),
                "package_id": package_id(doc["id"]),
                "name": f"{doc['name']}（第 {version.version} 版，{label}）",
                "description": doc.get("summary") or "",
                "format": label,
                "mimetype": mimetype,
                "url": download_url(base_url, doc["id"], fmt),
                "url_type": None,
                "state": "active",
                "position": position,
                "created": created,
                "last_modified": created,
                "datastore_active": True,
                "version": version.version,
                "rows": version.row_count,
                # the served file is written on each download (masked, in this format): its size and digest
                # are not known beforehand, and the imported file's would describe another file
                "hash": "",
                "size": None,
            }
        )
    return out


# -- packages -----------------------------------------------------------------------------------------------


def organization_dict(db: Session, department_id: int, *, package_count: int | None = None) -> dict[str, Any]:
    from zhicheng.accounts import service as accounts

    dept = accounts.get_department(db, department_id)
    out = {
        "id": org_id(dept.id),
        "name": dept.code.lower(),
        "title": dept.name,
        "display_name": dept.name,
        "title_en": dept.name_en,
        "description": dept.name_en or "",
        "type": "organization",
        "state": "active" if dept.active else "deleted",
        "is_organization": True,
        "approval_status": "approved",
        "image_url": "",
        "created": clock.aware(dept.created_at).isoformat(),
        "department_id": dept.id,
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def group_key(doc: dict[str, Any]) -> str | None:
    sub = doc.get("subclass")
    return sub if sub in codes.THEME_SUBJECTS or sub in codes.BASE_SUBCLASSES else None


def group_dict(key: str, *, package_count: int | None = None) -> dict[str, Any]:
    zh, en = {**codes.BASE_SUBCLASSES, **codes.THEME_SUBJECTS}[key]
    out = {
        "id": key,
        "name": key,
        "title": zh,
        "display_name": zh,
        "title_en": en,
        "description": en,
        "type": "group",
        "state": "active",
        "is_organization": False,
        "image_url": "",
        "approval_status": "approved",
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def items_public(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The data items as the public sees them: every personal or graded item is marked masked."""
    return [
        {
            "name": i["name"],
            "label": i["label"],
            "type": i["type"],
            "description": i.get("description"),
            "masked": bool(i.get("personal")) or (i.get("sensitivity") or "general") != "general",
        }
        for i in doc.get("items") or []
    ]


def package_dict(db: Session, doc: dict[str, Any], base_url: str, *, latest: Any = ...) -> dict[str, Any]:
    """A CKAN package for an open resource's live document."""
    if latest is ...:
        res = catalog.get_resource(db, doc["id"])
        found = versions(db, res)
        latest = found[0] if found else None
    dept = doc["department"]
    group = group_key(doc)
    resources = resource_dicts(doc, latest, base_url)
    tags = [
        {"name": t, "display_name": t, "id": t, "state": "active", "vocabulary_id": None}
        for t in doc.get("tags") or []
    ]
    published = doc.get("publish_date")
    extras = {
        "code": doc["code"],
        "open_type": doc["open_type"],
        "open_type_label": codes.label("open_type", doc["open_type"]),
        "open_condition": doc.get("open_condition") or "",
        "update_cycle": doc["update_cycle"],
        "update_cycle_label": codes.label("update_cycle", doc["update_cycle"]),
        "catalog_class": doc["catalog_class"],
        "publish_date": published or "",
        "revision": doc["revision"],
    }
    return {
        "id": package_id(doc["id"]),
        "name": slug(doc["code"]),
        "title": doc["name"],
        "notes": doc.get("summary"),
        "type": "dataset",
        "state": "active",
        "private": False,
        "url": f"{base_url}/open/datasets/{doc['id']}",
        "author": dept["name"],
        "author_email": None,
        "maintainer": dept["name"],
        "maintainer_email": None,
        "license_id": LICENSE["id"],
        "license_title": LICENSE["title"],
        "license_url": LICENSE["url"],
        "isopen": True,
        "version": str(latest.version) if latest else None,
        "metadata_created": doc.get("created_at"),
        "metadata_modified": modified_at(doc, latest),
        "owner_org": org_id(dept["id"]),
        "organization": {
            "id": org_id(dept["id"]),
            "name": dept["code"].lower(),
            "title": dept["name"],
            "type": "organization",
            "state": "active",
            "is_organization": True,
            "description": dept.get("name_en") or "",
            "image_url": "",
            "approval_status": "approved",
        },
        "groups": [group_dict(group)] if group else [],
        "tags": tags,
        "num_tags": len(tags),
        "resources": resources,
        "num_resources": len(resources),
        "extras": [{"key": k, "value": str(v)} for k, v in extras.items()],
        "relationships_as_object": [],
        "relationships_as_subject": [],
        # ours, beside CKAN's keys
        "resource_id": doc["id"],
        "code": doc["code"],
        "open_type": doc["open_type"],
        "open_condition": doc.get("open_condition"),
        "update_cycle": doc["update_cycle"],
        "catalog_class": doc["catalog_class"],
        "format_class": doc.get("format"),
        "spatial": bool(doc.get("spatial")),
        "publish_date": published,
        "items": items_public(doc),
    }
