"""Chinese full-text search of the catalog: jieba segmentation, FTS5 + bm25 (SQLite) or tsvector + GIN
(PostgreSQL), facets with counts, filters, pagination, and only what policy lets the actor see.

Each resource has a 'work' search document (its working copy: seen by its department and admins) and, while
a published revision is live, a 'pub' document (that revision: seen by everyone else), so a draft revision
never leaks into other departments' results.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import jieba
from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    cast,
    column,
    delete,
    false,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from zhicheng.catalog import codes
from zhicheng.catalog.models import Resource, SearchDoc
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid

KIND = "catalog.resource"
WORD_RE = re.compile(r"\w+")
FACETS: dict[str, Any] = {
    "department": SearchDoc.department_id,
    "catalog_class": SearchDoc.catalog_class,
    "share_type": SearchDoc.share_type,
    "open_type": SearchDoc.open_type,
    "format": SearchDoc.format,
    "update_cycle": SearchDoc.update_cycle,
    "state": SearchDoc.state,
}
MAX_QUERY = 200
_ready = False


def _jieba() -> None:
    """Load jieba once, quietly, with the catalog's own vocabulary added to its dictionary."""
    global _ready
    if _ready:
        return
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    vocab = [codes.BASE_SUBCLASSES, codes.THEME_SUBJECTS, codes.SHARE_TYPES, codes.OPEN_TYPES, codes.FORMATS]
    for names in vocab:
        for zh, _en in names.values():
            jieba.add_word(zh)
    for word in ("电子证照", "营业执照", "常住人口", "户籍人口", "流动人口", "统一社会信用代码", "公民身份号码",
                 "不动产权证书", "失信被执行人", "行政许可", "行政处罚", "空气质量"):
        jieba.add_word(word)
    _ready = True


def segment(text_: str) -> list[str]:
    """The search terms of `text_`: jieba's search-mode cut (words and their sub-words), lower-cased."""
    _jieba()
    return [t.lower() for t in jieba.cut_for_search(text_ or "") if WORD_RE.fullmatch(t.strip() or "-")]


def query_groups(q: str) -> list[list[str]]:
    """The query as AND-ed groups: each precise-cut word, OR its sub-words together (segmentation may differ)."""
    _jieba()
    groups: list[list[str]] = []
    for word in jieba.cut(q[:MAX_QUERY]):
        word = word.strip().lower()
        if not WORD_RE.fullmatch(word or "-"):
            continue
        subs = [s.lower() for s in jieba.cut_for_search(word) if s != word and len(s) > 1]
        groups.append([word, *subs])
    return groups


def _fts5_query(groups: list[list[str]]) -> str:
    def quote(t: str) -> str:
        return '"' + t.replace('"', '""') + '"'

    parts = []
    for word, *subs in groups:
        both = " AND ".join(quote(s) for s in subs)
        parts.append(f"({quote(word)} OR ({both}))" if subs else quote(word))
    return " AND ".join(parts)


def _tsquery(groups: list[list[str]]) -> str:
    # terms are \w+ only (no quotes or operators), so quoting them makes a well-formed tsquery
    parts = []
    for word, *subs in groups:
        both = " & ".join(f"'{s}'" for s in subs)
        parts.append(f"('{word}' | ({both}))" if subs else f"'{word}'")
    return " & ".join(parts)


def _body(doc: dict[str, Any]) -> str:
    pieces = [doc.get("name", ""), doc.get("summary", ""), doc.get("code", ""),
              (doc.get("department") or {}).get("name") or "", " ".join(doc.get("tags") or []),
              codes.label("subclass", doc.get("subclass"))]
    for item in doc.get("items") or []:
        pieces.extend([item.get("label") or "", item.get("name") or "", item.get("description") or ""])
    return " ".join(segment(" ".join(p for p in pieces if p)))


def index_resource(db: Session, res: Resource) -> None:
    """Bring the search documents of `res` up to date (in the caller's transaction)."""
    from zhicheng.catalog import service

    docs = {"work": service.document(db, res)}
    snapshot = service.live_snapshot(db, res)
    if snapshot is not None:
        docs["pub"] = snapshot
    existing = {d.view: d for d in db.scalars(select(SearchDoc).where(SearchDoc.resource_id == res.id))}
    sqlite = db.get_bind().dialect.name == "sqlite"
    for view, old in existing.items():
        if view not in docs:
            if sqlite:
                db.execute(text("DELETE FROM catalog_search_fts WHERE rowid = :id"), {"id": old.id})
            db.delete(old)
    for view, doc in docs.items():
        row = existing.get(view) or SearchDoc(resource_id=res.id, view=view)
        row.department_id = doc["department"]["id"]
        for name in ("catalog_class", "share_type", "open_type", "format", "update_cycle", "state", "name", "code"):
            setattr(row, name, doc[name])
        row.updated_at = clock.now()
        row.body = _body(doc)
        db.add(row)
        db.flush()
        if sqlite:
            db.execute(text("DELETE FROM catalog_search_fts WHERE rowid = :id"), {"id": row.id})
            db.execute(text("INSERT INTO catalog_search_fts(rowid, body) VALUES (:id, :body)"),
                       {"id": row.id, "body": row.body})
        else:
            db.execute(update(SearchDoc).where(SearchDoc.id == row.id)
                       .values(tsv=func.to_tsvector("simple", SearchDoc.body)))


def reindex_all(db: Session) -> int:
    """Rebuild every resource's search documents (after a bulk load or a restore); commits."""
    count = 0
    for res in db.scalars(select(Resource).order_by(Resource.id)):
        index_resource(db, res)
        count += 1
    db.commit()
    return count


@dataclass
class SearchResult:
    """A page of resources (documents as ResourceOut), the total, and facet counts."""

    items: list[dict[str, Any]]
    total: int
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page: int = 1
    size: int = 20


def _visibility(actor: Actor):
    from zhicheng.policy.service import Target, authorize, decide

    if decide(actor, "read", Target(KIND, attrs={"state": "draft"})).allowed:
        return SearchDoc.view == "work"  # every working copy (admin)
    authorize(actor, "read", Target(KIND, attrs={"state": "published"}))
    dept = actor.department_id
    if dept and decide(actor, "read", Target(KIND, department_id=dept, attrs={"state": "draft"})).allowed:
        return or_(and_(SearchDoc.view == "work", SearchDoc.department_id == dept),
                   and_(SearchDoc.view == "pub", SearchDoc.department_id != dept))
    return SearchDoc.view == "pub"


def _filter_values(name: str, values: Any) -> list[Any]:
    if values is None or values == "" or values == []:
        return []
    if not isinstance(values, list | tuple | set):
        values = [values]
    out: list[Any] = []
    for v in values:
        if name == "department":
            try:
                out.append(int(v))
            except (TypeError, ValueError):
                raise Invalid("部门筛选值无效", "invalid department filter", field="department") from None
        else:
            out.append(codes.normalise(name, v))
    return out


def _conditions(filters: dict[str, Any] | None) -> dict[str, list[Any]]:
    """The wanted values of each facet filter (checked against its vocabulary)."""
    conds: dict[str, list[Any]] = {}
    for name, values in (filters or {}).items():
        if name not in FACETS:
            raise Invalid(f"不支持的筛选条件：{name}", f"unknown filter: {name}", field=name)
        wanted = _filter_values(name, values)
        if wanted:
            conds[name] = wanted
    return conds


def _facet_counts(db: Session, base: list[Any], conds: dict[str, list[Any]]) -> tuple[int, dict[str, Any]]:
    """The total and every facet's counts in one statement over the matching documents (matched once)."""
    matches = select(SearchDoc.id, *FACETS.values()).where(*base).cte("matches")

    def where(skip: str | None) -> list[Any]:
        return [matches.c[FACETS[n].key].in_(v) for n, v in conds.items() if n != skip]

    parts = [select(literal("_total").label("facet"), literal("").label("value"),
                    func.count(matches.c.id).label("n")).where(*where(None))]
    for name, col in FACETS.items():
        c = matches.c[col.key]
        parts.append(select(literal(name).label("facet"), cast(c, String).label("value"),
                            func.count(matches.c.id).label("n")).where(*where(name)).group_by(c))
    total, counts = 0, {name: [] for name in FACETS}
    for facet, value, n in db.execute(union_all(*parts)).all():
        if facet == "_total":
            total = n
        else:
            counts[facet].append((int(value) if facet == "department" else value, n))
    facets = {name: [_facet_value(db, name, v, n) for v, n in sorted(pairs, key=lambda p: (-p[1], str(p[0])))]
              for name, pairs in counts.items()}
    return total, facets


@dataclass
class _Query:
    base: list[Any]  # visibility and the words: what the facet counts start from
    conds: dict[str, list[Any]]
    where: list[Any]
    order: list[Any]
    fts: Any  # the FTS5 subquery to join (SQLite), or None


def _query(db: Session, actor: Actor, q: str | None, filters: dict[str, Any] | None) -> _Query:
    base = [_visibility(actor)]
    conds = _conditions(filters)
    groups = query_groups(q) if q and q.strip() else []
    rank, fts = None, None
    if q and q.strip() and not groups:
        base.append(false())  # punctuation only: nothing can match
    elif groups and db.get_bind().dialect.name == "sqlite":
        fts = (text("SELECT rowid AS doc_id, bm25(catalog_search_fts) AS score FROM catalog_search_fts "
                    "WHERE catalog_search_fts MATCH :match")
               .bindparams(match=_fts5_query(groups))
               .columns(column("doc_id", Integer), column("score", Float)).subquery("fts"))
        base.append(SearchDoc.id.in_(select(fts.c.doc_id)))
        rank = fts.c.score.asc()
    elif groups:
        tsq = func.to_tsquery("simple", _tsquery(groups))
        base.append(SearchDoc.tsv.op("@@")(tsq))
        rank = func.ts_rank(SearchDoc.tsv, tsq).desc()
    where = [*base, *(FACETS[n].in_(v) for n, v in conds.items())]
    order = [rank] if rank is not None else []
    order += [SearchDoc.updated_at.desc(), SearchDoc.id.desc()]
    return _Query(base, conds, where, order, fts)


def _page_query(query: _Query):
    page_q = select(SearchDoc.resource_id, SearchDoc.view)
    if query.fts is not None:
        page_q = page_q.join(query.fts, query.fts.c.doc_id == SearchDoc.id)
    return page_q.where(*query.where).order_by(*query.order)


def search_ids(db: Session, *, actor: Actor, q: str | None = None, filters: dict[str, Any] | None = None,
               limit: int = 100_000) -> list[int]:
    """The ids of every resource the search finds (at most `limit`), best match first: for a caller that holds
    the documents already and filters them further (the open portal's CKAN search)."""
    rows = db.execute(_page_query(_query(db, actor, q, filters)).limit(limit)).all()
    return [resource_id for resource_id, _view in rows]


def search(db: Session, *, actor: Actor, q: str | None = None, filters: dict[str, Any] | None = None,
           page: int = 1, size: int = 20) -> SearchResult:
    """Search the catalog in Chinese; facets count each value with every other facet's filter applied."""
    from zhicheng.catalog import service

    if page < 1 or size < 1 or size > 1000:
        raise Invalid("分页参数无效", "invalid page or size", field="page" if page < 1 else "size")
    query = _query(db, actor, q, filters)
    total, facets = _facet_counts(db, query.base, query.conds)
    rows = db.execute(_page_query(query).limit(size).offset((page - 1) * size)).all()
    loaded = {r.id: r for r in db.scalars(select(Resource).where(Resource.id.in_([r[0] for r in rows])))}
    published = service.live_snapshots(db, [loaded[resource_id] for resource_id, view in rows if view != "work"])
    items = []
    for resource_id, view in rows:
        doc = service.document(db, loaded[resource_id]) if view == "work" else published.get(resource_id)
        if doc is not None:
            items.append(doc)
    return SearchResult(items=items, total=total, facets=facets, page=page, size=size)


def _facet_value(db: Session, name: str, value: Any, count: int) -> dict[str, Any]:
    if name == "department":
        from zhicheng.catalog.service import department_ref

        dept = department_ref(db, value)
        return {"value": value, "label": dept["name"], "label_en": dept.get("name_en") or dept["name"],
                "count": count}
    return {"value": value, "label": codes.label(name, value), "label_en": codes.label(name, value, "en"),
            "count": count}


def delete_documents(db: Session, resource_id: int) -> None:
    """Drop a resource's search documents (in the caller's transaction)."""
    if db.get_bind().dialect.name == "sqlite":
        db.execute(text("DELETE FROM catalog_search_fts WHERE rowid IN "
                        "(SELECT id FROM catalog_search_doc WHERE resource_id = :rid)"), {"rid": resource_id})
    db.execute(delete(SearchDoc).where(SearchDoc.resource_id == resource_id))
