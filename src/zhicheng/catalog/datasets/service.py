"""Dataset logic: all-or-nothing import of a file as a new version, the versions list and reading rows."""

from __future__ import annotations

import gc
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from zhicheng.catalog import service as catalog
from zhicheng.catalog.datasets import geo_readers, headers, readers, rowstore
from zhicheng.catalog.datasets.geo_readers import GeoOptions
from zhicheng.catalog.datasets.models import DatasetVersion, ImportJob
from zhicheng.catalog.datasets.validate import ErrorLog, RowValidator
from zhicheng.catalog.items import ItemSpec
from zhicheng.core import changes, clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError, Conflict, Invalid, NotFound, TooLarge
from zhicheng.core.events import bus, database_of
from zhicheng.policy import masking
from zhicheng.policy.audit import record
from zhicheng.policy.service import Target, authorize

log = logging.getLogger(__name__)
Progress = Callable[[int, int, int], None]  # (rows_read, bytes_read, bytes_total)
PROGRESS_EVERY = 5_000
MAX_LIMIT = 1_000


@dataclass
class ImportReport:
    """What an import did: the version made, or every bad row (line, column, reason) and why it stopped."""

    ok: bool
    resource_id: int
    filename: str
    format: str | None = None
    encoding: str | None = None
    sha256: str | None = None
    size_bytes: int = 0
    version: int | None = None
    header_row: int | None = None  # the line (sheet row) of the header, found or chosen
    row_count: int = 0
    rows_read: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    message_zh: str | None = None
    message_en: str | None = None
    geo: dict[str, Any] | None = None  # a layer import: source CRS, storage CRS, repaired rows (geo_readers)

    def message(self, lang: str = "zh-CN") -> str | None:
        return self.message_en if lang.startswith("en") else self.message_zh

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _target(resource) -> Target:
    return Target("catalog.dataset", id=resource.id, department_id=resource.department_id)


def _actor_name(actor: Actor) -> str | None:
    return actor.display_name or actor.username


def check_size(size: int, max_upload_mb: int | None) -> None:
    """Refuse a file above the instance's upload limit (413)."""
    if max_upload_mb is not None and size > max_upload_mb * 1024 * 1024:
        raise TooLarge(f"文件过大：上限为 {max_upload_mb} MB", f"file too large: the limit is {max_upload_mb} MB",
                       field="file")


def authorize_import(db: Session, *, actor: Actor, resource_id: int):
    """The resource, when `actor` may import data into it (else Forbidden / NotFound)."""
    resource = catalog.get_resource(db, resource_id)
    authorize(actor, "import", _target(resource))
    return resource


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = True


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while rows stream (reference counting still frees every row).

    Chunks of rows alive at once would otherwise trigger full collections over the whole heap, which
    cost an import of a million rows more than a tenth of its time. Nested or concurrent imports share
    the pause; the collector comes back when the last one ends.
    """
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


def _spec_dict(spec: ItemSpec) -> dict[str, Any]:
    return {"name": spec.name, "label": spec.label, "type": str(spec.type), "length": spec.length,
            "scale": spec.scale, "required": spec.required, "check": str(spec.check) if spec.check else None,
            "personal": spec.personal, "sensitivity": str(spec.sensitivity)}


def specs_of(version: DatasetVersion) -> list[ItemSpec]:
    """The item specs a version was imported with (so old versions stay readable when items change)."""
    from zhicheng.catalog.items import ItemCheck, ItemType, Sensitivity

    return [ItemSpec(name=c["name"], label=c["label"], type=ItemType(c["type"]), length=c.get("length"),
                     scale=c.get("scale"), required=bool(c.get("required")),
                     check=ItemCheck(c["check"]) if c.get("check") else None, personal=bool(c.get("personal")),
                     sensitivity=Sensitivity(c.get("sensitivity") or "general")) for c in version.columns]


def import_file(db: Session, *, actor: Actor, resource_id: int, path: Path, filename: str,
                sheet: str | None = None, progress: Progress | None = None, job_id: str | None = None,
                max_upload_mb: int | None = None, via: str | None = None, header_row: int | None = None,
                mapping: dict[str, Any] | None = None, geo: GeoOptions | None = None) -> ImportReport:
    """Import `path` as the next version of the resource's data: every row valid, or nothing stored.

    The header is found among the first rows unless `header_row` names its line; `mapping` (item identifier →
    file column name or number, or None) overrides the columns matched by identifier or label (`headers`).
    Geo files (and files with `geo` options) become layer rows in CGCS2000 (`geo_readers`); the source CRS and
    any repaired geometries are recorded in the report and with the version's geometry item."""
    mapping, carried = geo_readers.split_mapping(mapping)
    geo = geo or carried
    resource = authorize_import(db, actor=actor, resource_id=resource_id)
    path = Path(path)
    size = path.stat().st_size
    check_size(size, max_upload_mb)
    specs = catalog.item_specs(db, resource.id)
    report = ImportReport(ok=False, resource_id=resource.id, filename=filename, size_bytes=size)
    errors = ErrorLog()
    validator: RowValidator | None = None
    engine = db.get_bind().engine
    staging: str | None = None
    db.commit()  # no transaction of the session stays open while the file is read
    try:
        report.format = readers.detect_format(filename)
        report.sha256 = file_sha256(path)
        source = readers.open_source(path, filename, sheet=sheet, geo=geo, errors=errors)
        report.encoding = source.encoding
        report.geo = source.geo.to_dict() if source.geo is not None else None
        layout = headers.frame(source, specs, header_row=header_row, mapping=mapping)
        report.header_row = layout.header_row if layout else None
        validator = RowValidator(specs, errors, layout.header if layout else source.header,
                                 positions=layout.positions if layout else None,
                                 header_line=layout.header_row if layout else 1)
        staging = rowstore.staging_name(job_id)
        table = rowstore.build_table(staging, specs)
        on_rows = (lambda n: progress(n, source.bytes_read, source.size)) if progress else None
        chunks = validator.good_chunks((layout or source).chunks(readers.CHUNK), on_rows, every=PROGRESS_EVERY)
        with _cyclic_gc_paused():
            written = rowstore.stage_rows(engine, table, chunks)
        if source.geo is not None:  # with the rows repaired while they streamed
            report.geo = source.geo.to_dict()
    except readers.FileError as exc:
        _drop_staging(engine, staging)
        errors.add(exc.line, None, exc.zh, exc.en)
        report.message_zh, report.message_en = exc.zh, exc.en
        return _failed(db, actor, report, errors, validator.rows_read if validator else 0, via)
    except (OperationalError, ProgrammingError) as exc:
        _drop_staging(engine, staging)
        if "lock" in str(exc).lower():
            raise _busy() from exc
        raise
    except BaseException:
        _drop_staging(engine, staging)
        raise
    report.rows_read = validator.rows_read
    if errors.count or written == 0:
        _drop_staging(engine, staging)
        if not errors.count:
            errors.add(None, None, "文件中没有数据行", "the file holds no data rows")
        return _failed(db, actor, report, errors, validator.rows_read, via)
    columns = [_spec_dict(s) for s in specs]
    if report.geo is not None:  # the version remembers the CRS its geometry came in and is stored in
        for column in columns:
            if column["type"] == "geometry":
                column["crs"] = report.geo["storage_crs"]
                column["source_crs"] = report.geo["source_crs"]
                column["repaired"] = report.geo["repaired_count"]
                column["repaired_lines"] = [r["line"] for r in report.geo["repaired"]]
    for attempt in range(3):  # another import of the resource may take the next version number first
        version = (db.scalar(select(func.max(DatasetVersion.version))
                             .where(DatasetVersion.resource_id == resource.id)) or 0) + 1
        dv = DatasetVersion(resource_id=resource.id, version=version, columns=columns, row_count=written,
                            filename=filename[:255], format=source.format, encoding=source.encoding,
                            size_bytes=size, sha256=report.sha256, imported_by=actor.user_id,
                            imported_by_name=_actor_name(actor), imported_at=clock.now(),
                            table_name=rowstore.table_name(resource.id, version), job_id=job_id)
        try:  # one short transaction: the version row, the staged rows under its name, the audit entry
            db.add(dv)
            db.flush()
            rowstore.swap_in(db.connection(), staging, dv.table_name)
            record(db, actor=actor, action="dataset.import", target_kind="catalog.dataset", target_id=resource.id,
                   detail={"version": version, "rows": written, "filename": filename, "sha256": report.sha256,
                           "via": via or actor.via,
                           **({"source_crs": report.geo["source_crs"], "repaired": report.geo["repaired_count"]}
                              if report.geo else {})})
            changes.bump(db, "catalog")  # with the version: every worker's catalog caches see it
            db.commit()
            break
        except (IntegrityError, OperationalError, ProgrammingError) as exc:
            db.rollback()
            if attempt == 2 or not isinstance(exc, IntegrityError):
                _drop_staging(engine, staging)
                if isinstance(exc, IntegrityError) or "lock" in str(exc).lower():
                    raise _busy() from exc
                raise
        except BaseException:
            db.rollback()
            _drop_staging(engine, staging)
            raise
    report.ok, report.version, report.row_count = True, version, written
    report.message_zh = f"已导入 {written} 行，生成第 {version} 版"
    report.message_en = f"imported {written} rows as version {version}"
    bus.publish("catalog.dataset.imported", {"resource_id": resource.id, "version": version, "rows": written,
                                             "by": _actor_name(actor), "user_id": actor.user_id,
                                             "via": via or actor.via, "database": database_of(db)})
    return report


def _busy() -> Conflict:
    return Conflict("数据库正忙（可能另一个导入正在进行），未导入任何数据，请稍后再试",
                    "the database is busy (another import may be running); nothing was imported, try again later")


def _drop_staging(engine, staging: str | None) -> None:
    """Drop what an import staged (nothing of it was ever visible); a failure here is left to the next start."""
    if staging is None:
        return
    try:
        rowstore.drop_staging(engine, staging)
    except Exception:  # noqa: BLE001 - the import's own error is the one to report
        log.warning("could not drop the staging table %s; it is dropped at the next start", staging, exc_info=True)


def _failed(db: Session, actor: Actor, report: ImportReport, errors: ErrorLog, rows_read: int,
            via: str | None) -> ImportReport:
    report.ok = False
    report.rows_read = rows_read
    report.errors = errors.items
    report.error_count = errors.count
    if report.message_zh is None:
        report.message_zh = f"导入失败：发现 {errors.count} 处错误，未导入任何数据"
        report.message_en = f"import failed: {errors.count} errors found, nothing was imported"
    record(db, actor=actor, action="dataset.import", target_kind="catalog.dataset", target_id=report.resource_id,
           outcome="failed", detail={"filename": report.filename, "errors": errors.count, "via": via or actor.via})
    db.commit()
    return report


# -- versions and rows -------------------------------------------------------------------------------------

def list_versions(db: Session, *, actor: Actor, resource_id: int) -> list[DatasetVersion]:
    """The versions of a resource's data, newest first."""
    resource = catalog.get_resource(db, resource_id)
    authorize(actor, "read", _target(resource))
    return list(db.scalars(select(DatasetVersion).where(DatasetVersion.resource_id == resource.id)
                           .order_by(DatasetVersion.version.desc())))


def latest_imports(db: Session, resource_ids: list[int]) -> dict[int, tuple[int, Any]]:
    """{resource id: (newest data version, when the newest was imported)} for those with data, in one query per
    900 ids; what was imported and when, no rows: the caller shows only resources it may list (e.g. the portal)."""
    out: dict[int, tuple[int, Any]] = {}
    for chunk in range(0, len(resource_ids), 900):  # SQLite binds at most 999 parameters
        ids = resource_ids[chunk : chunk + 900]
        stmt = (select(DatasetVersion.resource_id, func.max(DatasetVersion.version), func.max(DatasetVersion.imported_at))
                .where(DatasetVersion.resource_id.in_(ids)).group_by(DatasetVersion.resource_id))
        out.update({rid: (version, at) for rid, version, at in db.execute(stmt)})
    return out


def get_version(db: Session, *, actor: Actor, resource_id: int, version: int | None = None) -> DatasetVersion:
    """One version (the newest when `version` is None) that `actor` may read, or NotFound."""
    resource = catalog.get_resource(db, resource_id)
    authorize(actor, "read", _target(resource))
    query = select(DatasetVersion).where(DatasetVersion.resource_id == resource.id)
    if version is None:
        query = query.order_by(DatasetVersion.version.desc()).limit(1)
    else:
        query = query.where(DatasetVersion.version == version)
    found = db.scalar(query)
    if found is None:
        if version is None:
            raise NotFound("该资源还没有导入数据", "no data has been imported into this resource yet")
        raise NotFound(f"第 {version} 版数据不存在", f"version {version} not found", field="version")
    return found


def version_info(db: Session, *, actor: Actor, resource, version: int | None = None):
    """As `get_version`, for a resource already in hand, as a `fastread.VersionInfo` (one plain query, the item
    specs and Table parsed once per version): what the row-serving paths read."""
    from zhicheng.catalog.datasets import fastread

    authorize(actor, "read", _target(resource))
    found = fastread.version_info(db.connection(), resource.id, version)
    if found is None:
        if version is None:
            raise NotFound("该资源还没有导入数据", "no data has been imported into this resource yet")
        raise NotFound(f"第 {version} 版数据不存在", f"version {version} not found", field="version")
    return found


def read_rows(db: Session, *, actor: Actor, resource_id: int, version: int | None = None, limit: int = 50,
              offset: int = 0) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of a version, `limit` rows from `offset`; the read is audited."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit 须在 1 至 {MAX_LIMIT} 之间", f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    if offset < 0:
        raise Invalid("offset 不能为负数", "offset must not be negative", field="offset")
    dv = get_version(db, actor=actor, resource_id=resource_id, version=version)
    specs = specs_of(dv)
    masks = masked_columns(db, actor, catalog.get_resource(db, resource_id), specs)
    table = rowstore.build_table(dv.table_name, specs)
    rows = [mask_tuple(r, masks) for r in rowstore.read_rows(db.connection(), table, limit=limit, offset=offset)]
    record(db, actor=actor, action="dataset.read", target_kind="catalog.dataset", target_id=resource_id,
           detail={"version": dv.version, "limit": limit, "offset": offset, "rows": len(rows),
                   "masked": [specs[i].name for i in masks]})
    db.commit()
    return [s.name for s in specs], rows


def masked_columns(db: Session, actor: Actor, resource, specs: list[ItemSpec]) -> dict[int, masking.Masker]:
    """Column index → masker (the rules in force), for every item policy says `actor` sees masked."""
    kinds = masking.field_masks(actor, _target(resource), specs)
    rules = masking.rules_in_force(db)
    return {i: rules.masker(kinds[s.name]) for i, s in enumerate(specs) if s.name in kinds}


def mask_tuple(row: tuple, masks: dict[int, masking.Masker]) -> tuple:
    """`row` with the columns in `masks` masked."""
    if not masks:
        return tuple(row)
    return tuple(masks[i](v) if i in masks else v for i, v in enumerate(row))


def open_export(db: Session, *, actor: Actor, resource_id: int,
                version: int | None = None) -> tuple[DatasetVersion, dict[int, masking.Masker]]:
    """Authorise and audit a full download of a version: (the version, its masked columns); the rows then
    come from `iter_rows`."""
    dv = get_version(db, actor=actor, resource_id=resource_id, version=version)
    specs = specs_of(dv)
    masks = masked_columns(db, actor, catalog.get_resource(db, resource_id), specs)
    record(db, actor=actor, action="dataset.export", target_kind="catalog.dataset", target_id=resource_id,
           detail={"version": dv.version, "rows": dv.row_count, "masked": [specs[i].name for i in masks]})
    db.commit()
    return dv, masks


def iter_rows(factory: sessionmaker[Session], dv: DatasetVersion,
              masks: dict[int, masking.Masker]) -> Iterator[tuple]:
    """Every row of an (already authorised) version, masked as `open_export` said, on a session of its own."""
    table = rowstore.build_table(dv.table_name, specs_of(dv))
    with factory() as db:
        for row in rowstore.read_rows(db.connection(), table, limit=None):
            yield mask_tuple(row, masks)


def get_job(db: Session, *, actor: Actor, job_id: str) -> ImportJob:
    """An import job with its live progress; readable by whoever may import into its resource."""
    from zhicheng.catalog.datasets import jobs

    job = db.get(ImportJob, job_id)
    if job is None:
        raise NotFound(f"导入任务 {job_id} 不存在", f"import job {job_id} not found", field="job_id")
    authorize_import(db, actor=actor, resource_id=job.resource_id)
    jobs.apply_live_progress(job)
    return job


def start_import_job(db: Session, *, actor: Actor, resource_id: int, path: Path, filename: str,
                     factory: sessionmaker[Session], sheet: str | None = None,
                     max_upload_mb: int | None = None, header_row: int | None = None,
                     mapping: dict[str, Any] | None = None, geo: GeoOptions | None = None) -> ImportJob:
    """Queue an import of `path` (which the job deletes when done) and run it in a background thread; `geo`
    options travel to the job's `import_file` inside its column mapping (`geo_readers.with_options`)."""
    from zhicheng.catalog.datasets import jobs

    try:
        authorize_import(db, actor=actor, resource_id=resource_id)
        check_size(Path(path).stat().st_size, max_upload_mb)
        readers.detect_format(filename)
    except AppError:
        Path(path).unlink(missing_ok=True)
        raise
    return jobs.start(db, actor=actor, resource_id=resource_id, path=Path(path), filename=filename,
                      factory=factory, sheet=sheet, header_row=header_row,
                      mapping=geo_readers.with_options(mapping, geo))
