"""Masking rules API (脱敏规则): the rules in force, set or reset one kind's parameters (platform admin)."""

from __future__ import annotations

from typing import Any

from fastapi import Body, Depends
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.core.actor import Actor
from zhicheng.exchange.masking_rules import service as masking_rules
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange delivery 共享交付"])  # the tag they were listed under


@router.get("/masking-rules")
def list_masking_rules(db: Session = Depends(get_db), actor: Actor = Depends(require_user)) -> list[dict]:
    """脱敏规则（每类字段一条）/ the masking rules in force, one per kind of field."""
    return masking_rules.list_rules(db, actor=actor)


@router.put("/masking-rules/{kind}", dependencies=[Depends(csrf_protect)])
def update_masking_rule(
    kind: str,
    params: Any = Body(..., embed=True),
    db: Session = Depends(get_db),
    actor: Actor = Depends(require_user),
) -> dict:
    """修改一类字段的脱敏参数（平台管理员）/ set one kind's masking parameters (platform admin)."""
    return masking_rules.update_rule(db, actor=actor, kind=kind, params=params)


@router.delete("/masking-rules/{kind}", dependencies=[Depends(csrf_protect)])
def reset_masking_rule(
    kind: str, db: Session = Depends(get_db), actor: Actor = Depends(require_user)
) -> dict:
    """恢复一类字段的默认脱敏参数（平台管理员）/ put one kind's rule back to its default (platform admin)."""
    return masking_rules.reset_rule(db, actor=actor, kind=kind)
