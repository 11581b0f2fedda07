"""Failing samples of quality findings, masked through `policy.masking`: when a run stores them and again, from the
version's own rows, when a report shows them (so an admin's rule edit shows on the next report)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhicheng.catalog.datasets import rowstore
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.actor import SYSTEM
from zhicheng.core.errors import NotFound
from zhicheng.policy import masking


def mask_kinds(specs: list[Any]) -> dict[str, str]:
    """Item → masking kind of every item whose samples are shown masked: each personal or graded item (a report
    is read by the providing department and the data bureau alike)."""
    return masking.field_masks(None, None, specs)


def _columns(rule: Any) -> list[str]:
    return [rule.item, rule.params.get("other")] if rule.kind == "cross" else [rule.item]


def masked(rule: Any, value: Any, kinds: dict[str, str], rules: masking.Rules) -> Any:
    """One sample value of `rule` as stored and shown: each part of a masked item masked under `rules`."""
    if value is None:
        return None
    if rule.kind == "cross":
        parts = str(value).split(" / ")
        return " / ".join(
            rules.mask(p, kinds[n]) if n in kinds else p for p, n in zip(parts, _columns(rule), strict=False)
        )
    if rule.item in kinds:
        return rules.mask(value, kinds[rule.item])
    return value if isinstance(value, int | float | str) else str(value)


def shown(db: Session, *, resource_id: int, version: int, found: list[tuple[Any, Any]]) -> dict[int, list[dict]]:
    """Finding id → its samples as shown now, for the (rule, finding) pairs whose samples hold masked items: the
    values read again from the version (immutable) by row and masked under the rules in force. A version no
    longer kept leaves the stored samples (masked when the run was made)."""
    try:
        dv = datasets.get_version(db, actor=SYSTEM, resource_id=resource_id, version=version)
    except NotFound:
        return {}
    specs = datasets.specs_of(dv)
    kinds = mask_kinds(specs)
    names = {s.name for s in specs}
    wanted = [
        (rule, f)
        for rule, f in found
        if rule is not None
        and rule.item in names
        and all(c in names for c in _columns(rule))
        and any(c in kinds for c in _columns(rule))
        and f.samples
        and all(isinstance(s.get("row"), int) for s in f.samples)
    ]
    if not wanted:
        return {}
    table = rowstore.build_table(dv.table_name, specs)
    key = table.c[rowstore.ROW_COLUMN]
    columns = sorted({c for rule, _ in wanted for c in _columns(rule)})
    rows = sorted({s["row"] for _, f in wanted for s in f.samples})
    found_rows = {
        r[0]: dict(zip(columns, r[1:], strict=True))
        for r in db.connection().execute(sa.select(key, *[table.c[c] for c in columns]).where(key.in_(rows)))
    }
    rules = masking.rules_in_force(db)
    out: dict[int, list[dict]] = {}
    for rule, f in wanted:
        samples = []
        for s in f.samples:
            values = found_rows.get(s["row"])
            if values is None:
                samples.append(s)
                continue
            parts = [values[c] for c in _columns(rule)]
            raw = parts[0] if len(parts) == 1 else " / ".join("" if v is None else str(v) for v in parts)
            samples.append({**s, "value": masked(rule, raw, kinds, rules)})
        out[f.id] = samples
    return out
