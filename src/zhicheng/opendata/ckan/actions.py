"""The CKAN actions clients call beyond search and show, as CKAN 2.10/2.11 answers them: license_list, tag_show,
package_autocomplete, current_package_list_with_resources and datastore_info."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from zhicheng.opendata.ckan import search as ckan_search
from zhicheng.opendata.ckan import service as ckan
from zhicheng.opendata.ckan.params import _base, _bool, _int, _str, action
from zhicheng.opendata.rows import service as rows

MAX_AUTOCOMPLETE = 100
MAX_PACKAGES = 1000


@action
def license_list(db: Session, request: Request, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The licences datasets may carry (every open dataset here carries CC BY 4.0)."""
    return [
        {
            "id": ckan.LICENSE["id"],
            "title": ckan.LICENSE["title"],
            "url": ckan.LICENSE["url"],
            "status": "active",
            "maintainer": "Creative Commons",
            "family": "",
            "od_conformance": "approved",
            "osd_conformance": "not reviewed",
            "domain_content": True,
            "domain_data": True,
            "domain_software": False,
            "is_generic": False,
            "is_okd_compliant": True,
            "is_osi_compliant": False,
        }
    ]


@action
def tag_show(db: Session, request: Request, params: dict[str, Any]) -> dict[str, Any]:
    """One tag of the open datasets (`id`: its name); `include_datasets` adds the datasets carrying it."""
    name = ckan._ident_text(params.get("id"))
    docs = [d for d in ckan_search.all_open_documents(db) if name in (d.get("tags") or ())]
    if not docs:
        raise ckan.not_found("标签", "tag", name)
    out: dict[str, Any] = {"id": name, "name": name, "display_name": name, "vocabulary_id": None}
    if _bool(params, "include_datasets", False):
        base = _base(request)
        out["packages"] = [ckan.package_dict(db, d, base) for d in docs[:MAX_PACKAGES]]
    return out


@action
def package_autocomplete(db: Session, request: Request, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Open datasets whose name or title holds `q` (case-insensitive), at most `limit` (10): name, title,
    match_field (name when the name holds it, else title) and match_displayed."""
    q = (_str(params, "q", limit=200) or "").strip().lower()
    limit = _int(params, "limit", 10, 0, 10**9)
    limit = min(limit, MAX_AUTOCOMPLETE)
    if not q:
        return []
    out = []
    for doc in sorted(ckan_search.all_open_documents(db), key=lambda d: (d.get("name") or "", d["code"])):
        name, title = ckan.slug(doc["code"]), doc.get("name") or ""
        if q in name.lower():
            out.append({"name": name, "title": title, "match_field": "name", "match_displayed": name})
        elif q in title.lower():
            out.append(
                {"name": name, "title": title, "match_field": "title", "match_displayed": f"{title} ({name})"}
            )
        if len(out) >= limit:
            break
    return out


@action
def current_package_list_with_resources(
    db: Session, request: Request, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Open datasets with their resources, the last changed first; `limit`, `offset` (or CKAN's older `page`)."""
    limit = min(_int(params, "limit", MAX_PACKAGES, 0, 10**9), MAX_PACKAGES)
    offset = _int(params, "offset", 0, 0, 10**9)
    page = _int(params, "page", 0, 0, 10**6)
    if page:
        offset = (page - 1) * limit
    docs = ckan_search.sort_documents(
        ckan_search.all_open_documents(db), [("metadata_modified", True)], ranked=False
    )
    base = _base(request)
    return [ckan.package_dict(db, d, base) for d in docs[offset : offset + limit]]


@action
def datastore_info(db: Session, request: Request, params: dict[str, Any]) -> dict[str, Any]:
    """The DataStore table of a resource (`id` or `resource_id`): its fields (types, labels, masked) and row
    count, after the same access check as datastore_search (nothing is read, so nothing is audited)."""
    from zhicheng.opendata.ckan.datastore import _ckan_request

    ident = params.get("id") if params.get("id") is not None else params.get("resource_id")
    t = rows.open_target(db, _ckan_request(request), resource_id=ckan._ident_text(ident))
    fields = rows.field_meta(t, t.names)[1:]  # CKAN leaves _id out of datastore_info
    for f in fields:
        f["schema"] = {"native_type": f["type"], "notnull": False, "is_index": False}
    return {
        "meta": {
            "id": str(ident)[:100],
            "count": int(t.version.row_count),
            "table_type": "BASE TABLE",
            "aliases": [],
            "version": t.version.version,
        },
        "fields": fields,
        "schema": {f["id"]: f["type"] for f in fields},  # CKAN 2.9's shape, still read by older clients
    }
