"""The open REST API (/api/v1/open): search the open catalog, read a dataset, page through its rows (filters,
fields, sort, keyset or offset pages, JSON or CSV). No login for 无条件开放 data; 有条件开放 rows need an approved
portal API key (`X-API-Key` or `Authorization: Bearer`)."""

from __future__ import annotations

from functools import partial
from typing import Any

import orjson
from fastapi import Depends, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from zhicheng.catalog import codes
from zhicheng.catalog.datasets.rowquery import cursor, writers
from zhicheng.catalog.datasets.rowquery import filters as row_filters
from zhicheng.core import clock
from zhicheng.exchange import masked_copy
from zhicheng.opendata.ckan import search as ckan_search
from zhicheng.opendata.ckan import service as ckan
from zhicheng.opendata.rest.schemas import DatasetDetail, DatasetPage, DatasetRowsPage
from zhicheng.opendata.rows import service as rows
from zhicheng.web.deps import get_db
from zhicheng.web.links import with_param
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/open", tags=["open data 开放数据"])
ROW_PARAMS = {"fields", "sort", "size", "after", "offset", "format", "version", "total", "q", "lang"}
FACETS = ["department", "open_type", "update_cycle", "format", "catalog_class"]
MAX_SIZE = 10_000

ROWS_EXAMPLES = {
    "200": {
        "description": "一页数据（个人信息已脱敏） / a page of rows (personal fields masked)",
        "content": {
            "text/csv": {"example": "_id,station,day,aqi,contact\n1,湘江中路站,2026-11-01,40,138****0000\n"}
        },
    },
    "401": {"description": "有条件开放数据需要 API 密钥 / a conditional dataset needs an API key"},
    "403": {"description": "该密钥没有获批使用此数据 / the key has no approved application"},
    "404": {"description": "不存在或未开放 / not found or not open"},
    "422": {"description": "参数有误（如对脱敏字段排序） / bad parameter (e.g. sorting by a masked field)"},
    "429": {"description": "超过频率限制，见 Retry-After / over the rate limit, see Retry-After"},
}


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    dept = doc["department"]
    theme = ckan.group_key(doc)
    return {
        "id": doc["id"],
        "code": doc["code"],
        "name": doc["name"],
        "summary": doc.get("summary"),
        "department": {
            "id": dept["id"],
            "code": dept["code"],
            "name": dept["name"],
            "name_en": dept.get("name_en"),
        },
        "theme": {
            "key": theme,
            "label": codes.label("subclass", theme),
            "label_en": codes.label("subclass", theme, "en"),
        }
        if theme
        else None,
        "tags": list(doc.get("tags") or []),
        "open_type": doc["open_type"],
        "open_type_label": codes.label("open_type", doc["open_type"]),
        "update_cycle": doc["update_cycle"],
        "update_cycle_label": codes.label("update_cycle", doc["update_cycle"]),
        "publish_date": doc.get("publish_date"),
        "updated_at": doc.get("updated_at"),
        "spatial": bool(doc.get("spatial")),
    }


@router.get("/datasets", response_model=DatasetPage, summary="检索开放数据集 / search open datasets")
def search_datasets(
    q: str | None = Query(None, max_length=200, description="中文检索词 / words, e.g. 空气质量"),
    department: list[int] | None = Query(None, description="提供部门 id / provider department ids"),
    open_type: list[str] | None = Query(None, description="unconditional | conditional"),
    update_cycle: list[str] | None = Query(
        None, description="realtime daily weekly monthly quarterly yearly irregular"
    ),
    format: list[str] | None = Query(
        None, description="database spreadsheet file image stream self_describing"
    ),
    catalog_class: list[str] | None = Query(None, description="base theme department"),
    page: int = Query(1, ge=1, le=100_000),
    size: int = Query(20, ge=1, le=ckan.MAX_ROWS),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    """无需登录。按关键词（结巴分词）与分面筛选开放数据集，返回分面计数。/ No login. Full-text search (Chinese
    word segmentation) with facet filters (values of one facet are OR-ed) and facet counts.

    `curl 'http://127.0.0.1:8000/api/v1/open/datasets?q=空气质量&open_type=unconditional&size=5'`"""
    filters = {
        "department": department,
        "open_type": open_type,
        "update_cycle": update_cycle,
        "format": format,
        "catalog_class": catalog_class,
    }
    clean = {}
    for name, values in filters.items():
        if values:
            clean[name] = values if name == "department" else [codes.normalise(name, v) for v in values]
    out = ckan_search.search(
        db, q=q, rows=size, start=(page - 1) * size, facet_fields=FACETS, facet_limit=-1, filters=clean
    )
    return {
        "items": [_summary(d) for d in out.docs],
        "total": out.count,
        "page": page,
        "size": size,
        "facets": out.facets,
    }


def _detail(db: Session, doc: dict[str, Any], base: str) -> dict[str, Any]:
    res = ckan.find_package(db, doc["id"])[0]
    found = ckan.versions(db, res)
    out = _summary(doc)
    out.update(
        open_condition=doc.get("open_condition"),
        items=ckan.items_public(doc),
        versions=[
            {
                "version": v.version,
                "rows": v.row_count,
                "imported_at": clock.aware(v.imported_at).isoformat(),
                "format": v.format,
            }
            for v in found
        ],
        downloads={
            fmt: ckan.download_url(base, doc["id"], fmt) for fmt in ckan.formats_of(doc, found[0] if found else None)
        },
        links={
            "rows": f"{base}/api/v1/open/datasets/{doc['id']}/rows",
            "ckan": f"{base}/api/3/action/package_show?id={ckan.slug(doc['code'])}",
            "dcat": f"{base}/dataset/{doc['id']}.jsonld",
        },
    )
    return out


@router.get(
    "/datasets/{dataset_id}",
    response_model=DatasetDetail,
    summary="开放数据集详情 / an open dataset",
    responses={"404": ROWS_EXAMPLES["404"]},
)
def get_dataset(
    request: Request,
    dataset_id: str = Path(
        ..., max_length=100, description="id、资源代码或名称 / id, resource code or CKAN name"
    ),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    """元数据、信息项（标明脱敏字段）、数据版本与下载地址 / metadata, data items (masked ones marked), versions
    and download URLs.

    `curl http://127.0.0.1:8000/api/v1/open/datasets/12`"""
    _res, doc = ckan.find_package(db, dataset_id)
    return _detail(db, doc, str(request.base_url).rstrip("/"))


@router.get(
    "/datasets/{dataset_id}/rows",
    response_model=DatasetRowsPage,
    summary="开放数据行 / rows of an open dataset",
    responses=ROWS_EXAMPLES,
)
def dataset_rows(
    request: Request,
    dataset_id: str = Path(..., max_length=100),
    fields: str | None = Query(
        None, description="返回的字段，逗号分隔 / columns to return, e.g. station,aqi"
    ),
    sort: str | None = Query(
        None, description="排序字段，- 表示降序 / sort keys, - for descending: -aqi,station"
    ),
    size: int = Query(100, ge=1, le=MAX_SIZE, description="每页行数 / rows per page"),
    after: str | None = Query(
        None, max_length=4000, description="游标：上一页的 next / keyset cursor: the previous page's next"
    ),
    offset: int = Query(
        0, ge=0, le=rows.MAX_OFFSET, description="偏移分页（与 after 二选一）/ offset paging"
    ),
    format: str = Query("json", pattern="^(json|csv)$"),
    version: int | None = Query(
        None, ge=1, le=1_000_000, description="数据版本，默认最新 / version, newest by default"
    ),
    total: bool = Query(True, description="是否统计总行数 / count the matching rows"),
    q: str | None = Query(
        None,
        max_length=rows.MAX_Q,
        description="在未脱敏的文本字段中查找 / substring search in unmasked text columns",
    ),
    db: Session = Depends(get_db),
) -> Response:
    """筛选 `filter[字段][运算符]=值`（eq ne lt lte gt gte prefix in），`fields`、`sort`、`size`，按游标 `after`
    或 `offset` 分页，JSON 或 CSV。个人信息字段始终脱敏，且不能用于筛选和排序。/ Filters
    `filter[col][op]=value` (eq ne lt lte gt gte prefix in), fields, sort, keyset (`after`) or offset pages,
    JSON or CSV. Personal fields are always masked and cannot be filtered or sorted on.

    `curl 'http://127.0.0.1:8000/api/v1/open/datasets/12/rows?filter[station]=岳麓山站&filter[aqi][gte]=60&sort=-aqi&size=2'`

    `curl -H 'X-API-Key: zco_…' 'http://127.0.0.1:8000/api/v1/open/datasets/13/rows?format=csv'`"""
    t = _target(db, request, dataset_id, version)
    parsed = row_filters.parse(
        request.query_params.multi_items(), column=partial(rows.check_column, t), known=ROW_PARAMS, implicit=("_id",)
    )
    key = cursor.decode(after, parsed.sort, t.by_name) if after else None
    page = rows.read_page(
        db,
        t,
        fields=parsed.fields,
        filters=parsed.filters,
        sort=parsed.sort,
        q=q,
        limit=size,
        offset=offset,
        after=key,
        include_total=total,
        via="rest",
        ip=request.client.host if request.client else None,
        json_records="objects" if format == "json" else None,
    )
    headers = {"X-Masked-Fields": ",".join(page.masked), "X-Dataset-Version": str(t.version.version)}
    if page.total is not None:
        headers["X-Total-Count"] = str(page.total)
    if page.next_after:
        headers["Link"] = f'<{with_param(request, "after", page.next_after, drop=["offset"])}>; rel="next"'
    columns = ["_id", *page.fields]
    if format == "csv":
        return Response(writers.csv_text(columns, page.rows), media_type="text/csv; charset=utf-8", headers=headers)
    head = {
        "dataset_id": t.resource.id,
        "version": t.version.version,
        "fields": page.fields,
        "masked": page.masked,
        "count": page.count,
        "total": page.total,
        "next": page.next_after,
    }
    # the items as the database wrote them, or serialised once from the row tuples
    items = (
        page.json
        if page.json is not None
        else writers.json_records(columns, page.rows, default=masked_copy.record_default)
    )
    body = orjson.dumps(head, default=writers.json_default)[:-1] + b',"items":' + items + b"}"
    return Response(body, media_type="application/json", headers=headers)


def _target(db: Session, request: Request, dataset_id: str, version: int | None) -> rows.OpenVersion:
    return rows.open_target(db, request, package=dataset_id, version=version)
