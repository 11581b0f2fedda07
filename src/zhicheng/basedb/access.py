"""Access to base database data: policy with audited refusals, and the masking of values by their owner."""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhicheng.basedb.templates import Template
from zhicheng.core.actor import Actor
from zhicheng.policy import masking
from zhicheng.policy.service import Target


def value_masker(db: Session, actor: Actor, resource_id: int, department_id: int, template: Template):
    """field name -> mask function (identity where policy allows plain) for values of one resource, as
    `policy.masking` decides and masks them under the rules in force."""
    target = Target("catalog.dataset", id=resource_id, department_id=department_id)
    kinds = masking.field_masks(actor, target, template.fields)
    rules = masking.rules_in_force(db)
    return {f.name: rules.masker(kinds[f.name]) if f.name in kinds else _unmasked for f in template.fields}


def _unmasked(value):
    """The masker of a field policy shows in full."""
    return value
