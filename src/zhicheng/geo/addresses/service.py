"""Geocoding services: find the address layer, keep one index per layer version, geocode, reverse, batches.

The layer is a catalog resource (its items include `address_kind`, `full_address` and a geometry); it is opened and
its rows read through the layer service (`geo.layers.service`: its gate, policy's masking, a grant's rows), and every
use is audited. The index is built
once per (layer, version, what the reader sees masked) and shared by every caller of the process; a new import
is a new version, so the next call builds the new index.
"""

from __future__ import annotations

import csv
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from zhicheng.catalog import service as catalog
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Forbidden, Invalid, NotFound
from zhicheng.core.spreadsheet import safe_row
from zhicheng.geo.addresses.index import REQUIRED_COLUMNS, AddressIndex
from zhicheng.geo.addresses.match import Answer, Geocoder, reverse
from zhicheng.geo.addresses.normalise import MAX_CHARS
from zhicheng.policy.audit import record

LAYER_QUERY = "标准地址"
MAX_BATCH = 1000  # texts in one API call
CHUNK = 2000  # texts geocoded at a time in files and columns (bounded memory)
KEEP = 3  # indexes kept per process (layer versions, maskings)


@dataclass(frozen=True)
class AddressLayer:
    """The address layer in use: its resource, code, name and the version the index was built from."""

    resource_id: int
    code: str
    name: str
    version: int


_lock = threading.Lock()
_building: dict[tuple, threading.Lock] = {}
_indexes: OrderedDict[tuple, tuple[AddressIndex, Geocoder]] = OrderedDict()


def _is_address_layer(db: Session, resource_id: int) -> bool:
    names = {s.name for s in catalog.item_specs(db, resource_id)}
    types = {str(getattr(s.type, "value", s.type)) for s in catalog.item_specs(db, resource_id)}
    return set(REQUIRED_COLUMNS) <= names and "geometry" in types


def find_layer(db: Session, *, actor: Actor, code: str | None = None) -> tuple[int, str, str]:
    """(resource id, code, name) of the address layer: the one with resource code `code`, else the first
    standard-address layer the catalog search finds for `actor`."""
    from zhicheng.catalog import search

    if code:
        try:
            res = catalog.get_by_code(db, code)
        except NotFound:
            raise NotFound("没有这个地址图层", "no such address layer", field="layer") from None
        if not _is_address_layer(db, res.id):
            raise Invalid("该资源不是地址图层", "this resource is not an address layer", field="layer")
        return res.id, res.code, res.name
    for rid in search.search_ids(db, actor=actor, q=LAYER_QUERY, limit=50):
        if _is_address_layer(db, rid):
            res = catalog.get_resource(db, rid)
            return res.id, res.code, res.name
    raise NotFound("还没有可用的标准地址图层", "no standard address layer is available yet", field="layer")


def _opened(db: Session, actor: Actor, rid: int, code: str):
    """The address layer's newest version as `actor` may read it, opened by the layer service (`layers.open_layer`:
    the one gate of every layer door — the providing department and the admin by policy, other departments by a live
    sharing grant that holds the address items, everyone else the public view of an unconditionally open layer —
    with its masking and the grant's rows)."""
    from zhicheng.catalog.datasets import fastread
    from zhicheng.geo.layers import service as layers

    if fastread.version_info(db.connection(), rid) is None:
        raise NotFound("地址图层还没有导入数据", "the address layer holds no data yet", field="layer")
    refused = Forbidden("没有权限使用该地址图层（请申请共享授权）",
                        "you may not use this address layer (apply for a sharing grant)", field="layer")
    try:
        opened = layers.open_layer(db, actor=actor, request=None, code=code, build_index=False)
    except (Forbidden, NotFound):
        raise refused from None
    if not set(REQUIRED_COLUMNS) <= {opened.geometry.name, *(s.name for s in opened.items)}:
        raise refused
    return opened


def geocoder_for(db: Session, *, actor: Actor, layer: str | None = None) -> tuple[Geocoder, AddressLayer]:
    """The geocoder over the newest version of the address layer as `actor` may read it (the layer service opens
    it: policy decides, masks what it masks, a grant's rows only), built when that version is first asked for."""
    import orjson

    from zhicheng.geo.layers import service as layers
    from zhicheng.policy import masking

    rid, code, name = find_layer(db, actor=actor, code=layer)
    opened = _opened(db, actor, rid, code)
    info = opened.version
    masked = tuple(sorted(opened.masked.items()))
    rows = opened.grant.row_filter
    key = (str(db.get_bind().url), rid, info.version, str(info.imported_at), masked,
           masking.rules_in_force(db).version if masked else "",
           orjson.dumps(rows, option=orjson.OPT_SORT_KEYS) if rows else None)
    with _lock:
        found = _indexes.get(key)
        if found is not None:
            _indexes.move_to_end(key)
            return found[1], AddressLayer(rid, code, name, info.version)
        gate = _building.setdefault(key, threading.Lock())
    with gate:  # one build per key, however many callers ask at once
        with _lock:
            found = _indexes.get(key)
        if found is None:
            index = AddressIndex(layers.rows(db, opened), key=key)
            found = (index, Geocoder(index))
            with _lock:
                _indexes[key] = found
                while len(_indexes) > KEEP:
                    _indexes.popitem(last=False)
                _building.pop(key, None)
    return found[1], AddressLayer(rid, code, name, info.version)


def forget_indexes() -> None:
    """Drop every kept index (tests, or memory back when a layer is retired)."""
    with _lock:
        _indexes.clear()


def _audit(db: Session, actor: Actor, layer: AddressLayer, action: str, detail: dict) -> None:
    record(db, actor=actor, action=action, target_kind="catalog.dataset", target_id=layer.resource_id,
           detail={"version": layer.version, **detail})
    db.commit()


def check_text(q: str | None, field: str = "q") -> str:
    """An address text to geocode, or Invalid naming `field`."""
    text = (q or "").strip()
    if not text:
        raise Invalid("请输入地址", "an address is required", field=field)
    if len(text) > MAX_CHARS:
        raise Invalid(f"地址过长（最多 {MAX_CHARS} 字）", f"the address is too long (at most {MAX_CHARS} characters)",
                      field=field)
    return text


def geocode(db: Session, *, actor: Actor, q: str, layer: str | None = None) -> tuple[Answer, AddressLayer]:
    """One free-text address → its answer; text that names no place of the city is Invalid (field `q`)."""
    text = check_text(q)
    geocoder, used = geocoder_for(db, actor=actor, layer=layer)
    answer = geocoder.geocode(text)
    _audit(db, actor, used, "geo.geocode", {"found": answer.found, "level": answer.level})
    if not answer.found:
        raise Invalid(f"无法定位该地址：{answer.reason}", f"cannot locate this address: {answer.reason_en}", field="q")
    return answer, used


def geocode_batch(db: Session, *, actor: Actor, texts: list[str], layer: str | None = None) -> tuple[list[Answer],
                                                                                                      AddressLayer]:
    """Up to `MAX_BATCH` texts → their answers (one per text, found or not); one audit entry."""
    if not texts:
        raise Invalid("地址列表为空", "the list of addresses is empty", field="addresses")
    if len(texts) > MAX_BATCH:
        raise Invalid(f"一次最多 {MAX_BATCH} 条地址", f"at most {MAX_BATCH} addresses per call", field="addresses")
    for n, text in enumerate(texts):
        if not isinstance(text, str) or len(text) > MAX_CHARS:
            raise Invalid(f"第 {n + 1} 条地址无效或过长", f"address {n + 1} is not text or too long",
                          field=f"addresses[{n}]")
    geocoder, used = geocoder_for(db, actor=actor, layer=layer)
    answers = geocoder.geocode_many(texts)
    _audit(db, actor, used, "geo.geocode_batch", {"count": len(texts), "found": sum(a.found for a in answers)})
    return answers, used


def reverse_geocode(db: Session, *, actor: Actor, lon: float, lat: float, layer: str | None = None,
                    grid_layer: str | None = None) -> tuple[dict, AddressLayer]:
    """A point (CGCS2000 lon/lat) → district, street, community, the unit grid cell of `grid_layer` (G4's grid
    layers, when one is named) and the nearest address."""
    if not -180 <= lon <= 180:
        raise Invalid("经度须在 -180 至 180 之间", "lon must be between -180 and 180", field="lon")
    if not -90 <= lat <= 90:
        raise Invalid("纬度须在 -90 至 90 之间", "lat must be between -90 and 90", field="lat")
    geocoder, used = geocoder_for(db, actor=actor, layer=layer)
    out = reverse(geocoder.index, lon, lat)
    out["grid"] = _grid_of(db, actor, lon, lat, grid_layer) if grid_layer else None
    _audit(db, actor, used, "geo.reverse", {"found": out["district"] is not None})
    return out, used


def _grid_of(db: Session, actor: Actor, lon: float, lat: float, grid_layer: str) -> dict | None:
    """The unit grid cell (万米单元网格) of the grid layer `grid_layer` holding the point, or None."""
    from zhicheng.geo.grids import service as grids

    try:
        res = grids.layer_resource(db, grid_layer)
    except (NotFound, Invalid) as exc:
        raise type(exc)(exc.message("zh-CN"), exc.message("en"), field="grid_layer") from None
    return grids.locate(db, actor=actor, resource_id=res.id, lon=lon, lat=lat)


# -- batches: files and dataset columns ---------------------------------------------------------------------

ANSWER_COLUMNS = ("geo_level", "geo_score", "geo_lon", "geo_lat", "geo_address", "geo_district_code",
                  "geo_street_code", "geo_community_name")


def answer_cells(a: Answer) -> list:
    return [a.level, f"{a.score:.2f}" if a.found else "", f"{a.lon:.6f}" if a.lon is not None else "",
            f"{a.lat:.6f}" if a.lat is not None else "", a.address, a.district_code, a.street_code,
            a.community_name]


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def geocode_texts(geocoder: Geocoder, texts: Iterable[str], *, progress: Callable[[int], None] | None = None
                  ) -> Iterator[Answer]:
    """Answers for a stream of texts, `CHUNK` at a time (memory bounded by the chunk, not the stream)."""
    for chunk in _chunks(texts, CHUNK):
        clean = [(t or "")[:MAX_CHARS] for t in chunk]
        yield from geocoder.geocode_many(clean)
        if progress is not None:
            progress(len(chunk))


def geocode_file(db: Session, *, actor: Actor, path: Path, column: str, out: Path, layer: str | None = None,
                 progress: Callable[[int], None] | None = None) -> dict:
    """A CSV file's `column` geocoded: the same rows with the answer's columns added, written to `out`; returns
    the count per level."""
    geocoder, used = geocoder_for(db, actor=actor, layer=layer)
    counts: dict[str, int] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh, out.open("w", encoding="utf-8-sig", newline="") as dst:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise Invalid("文件为空", "the file is empty", field="file")
        if column not in header:
            raise Invalid(f"文件中没有列「{column}」", f"the file has no column '{column}'", field="column")
        at = header.index(column)
        writer = csv.writer(dst)
        writer.writerow(safe_row([*header, *ANSWER_COLUMNS]))
        for rows in _chunks(reader, CHUNK):
            texts = [r[at] if at < len(r) else "" for r in rows]
            for row, answer in zip(rows, geocode_texts(geocoder, texts), strict=True):
                counts[answer.level or "未匹配"] = counts.get(answer.level or "未匹配", 0) + 1
                writer.writerow(safe_row([*row, *answer_cells(answer)]))
            if progress is not None:
                progress(len(rows))
    _audit(db, actor, used, "geo.geocode_batch", {"count": sum(counts.values()), "file": path.name})
    return counts


def geocode_column(db: Session, *, actor: Actor, resource_id: int, column: str, version: int | None = None,
                   layer: str | None = None, progress: Callable[[int], None] | None = None
                   ) -> Iterator[tuple[tuple, Answer]]:
    """Every row of a dataset version (read through policy, masked, audited as an export) with the answer for its
    `column`."""
    dv, masks = datasets.open_export(db, actor=actor, resource_id=resource_id, version=version)
    names = [s.name for s in datasets.specs_of(dv)]
    if column not in names:
        raise Invalid(f"数据集中没有信息项「{column}」", f"the dataset has no item '{column}'", field="column")
    at = names.index(column)
    geocoder, used = geocoder_for(db, actor=actor, layer=layer)
    _audit(db, actor, used, "geo.geocode_batch", {"count": dv.row_count, "resource": resource_id})
    factory = sessionmaker(bind=db.get_bind())
    for rows in _chunks(datasets.iter_rows(factory, dv, masks), CHUNK):
        texts = ["" if r[at] is None else str(r[at]) for r in rows]
        yield from zip(rows, geocoder.geocode_many(texts), strict=True)
        if progress is not None:
            progress(len(rows))
