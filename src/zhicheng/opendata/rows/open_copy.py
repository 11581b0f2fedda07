"""Materialised open records (物化开放记录): the rows of an open dataset version as CKAN's DataStore writes them
(`{"_id": n, …}`, personal and graded fields masked as for the anonymous public under the masking rules in force),
written once in chunks by `exchange.masked_copy` and served page after page by `datastore_search` and the REST
rows API when a page reads every column in row order (no filter, sort, search or `fields`).

A copy is built after an import of an open resource's version (`opendata.api.on_startup`), or at the first
qualifying call (now for a small version, in the background for a large one; that call and the ones after it read
the version table until the copy is complete). Its name signs the version, the masked items and every masking rule: a rule edit sends the very
next call to the version table and has the copy built again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from zhicheng.catalog import service as catalog
from zhicheng.catalog.datasets import fastread
from zhicheng.core.actor import ANONYMOUS
from zhicheng.exchange import masked_copy
from zhicheng.policy import masking
from zhicheng.policy.service import Target


def public_masks(resource: Any, version: fastread.VersionInfo) -> dict[str, str]:
    """Item name → masking kind, for every item the anonymous public sees masked."""
    target = Target("catalog.dataset", id=resource.id, department_id=resource.department_id)
    return masking.field_masks(ANONYMOUS, target, version.specs)


def ready_copy(db: Session, version: fastread.VersionInfo, masked: dict[str, str]) -> str | None:
    """The name of the complete open copy of `version` under the rules in force, or None (then it is being
    built: now for a small version, in a thread of its own for a large one)."""
    rules = masking.rules_in_force(db)
    name = masked_copy.copy_name(version, masked, rules, with_id=True)
    conn = db.connection()
    if masked_copy.ready(conn, name):
        return name
    if masked_copy.ensure(db.get_bind().engine, version, masked, rules, with_id=True):
        return name
    return None


def build(factory: sessionmaker[Session], resource_id: int, *, version: int | None = None) -> str | None:
    """Build the open copy of the resource's newest version (when it is `version`, if given) if the resource is
    open to the public now; its name, or None. Run after an import."""
    from zhicheng.opendata.access import open_type_of
    from zhicheng.opendata.ckan.service import OPEN_TYPES

    with factory() as db:
        dv = fastread.newest_version(db.connection(), resource_id)
        if dv is None or (version is not None and dv.version != version):
            return None
        resource = catalog.get_resource(db, resource_id)
        if open_type_of(db, resource) not in OPEN_TYPES:
            return None
        masked = public_masks(resource, dv)
        rules = masking.rules_in_force(db)
        engine = db.get_bind()
    return masked_copy.build(engine, dv, masked, rules, with_id=True)
