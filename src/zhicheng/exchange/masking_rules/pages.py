"""The platform admin's masking rules editor (脱敏规则): one row per kind of field, its parameters and an example."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Path, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from zhicheng.accounts.deps import csrf_protect, require_allowed
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError
from zhicheng.exchange.masking_rules import service as masking_rules
from zhicheng.web.deps import get_db, posted_form
from zhicheng.web.flash import flash
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/exchange/masking-rules"
PARAM_LABELS = {"keep_first": "保留前几位", "keep_last": "保留后几位", "char": "替换字符", "cut_at": "地址保留到",
                "decimals": "保留小数位"}
CUT_LABELS = {"province": "省", "city": "市", "district": "区县", "street": "街道（乡镇）"}


def _page(request: Request, db: Session, actor: Actor, errors: dict[str, str] | None = None,
          sent: dict[str, dict[str, Any]] | None = None, status_code: int = 200):
    rules = masking_rules.list_rules(db, actor=actor)
    for rule in rules:  # show what the admin typed when it was refused
        if sent and rule["kind"] in sent:
            rule["params"] = {**rule["params"], **sent[rule["kind"]]}
    ctx = {"rules": rules, "errors": errors or {}, "param_labels": PARAM_LABELS, "cut_labels": CUT_LABELS,
           "breadcrumbs": [("脱敏规则", None)]}
    return render(request, "masking_rules/editor.html", ctx, status_code=status_code)


@router.get(PAGE)
def masking_rules_page(request: Request, actor: Actor = Depends(require_allowed("update", "exchange.masking_rule")),
                       db: Session = Depends(get_db)):
    """脱敏规则编辑 / the masking rules editor (platform admin)."""
    return _page(request, db, actor)


@router.post(PAGE + "/{kind}", dependencies=[Depends(csrf_protect)])
def save_masking_rule(request: Request, kind: str = Path(max_length=32), form: FormData = Depends(posted_form),
                      actor: Actor = Depends(require_allowed("update", "exchange.masking_rule")), db: Session = Depends(get_db)):
    """Save one kind's parameters from the editor's form (or put it back to its default)."""
    if form.get("reset"):
        masking_rules.reset_rule(db, actor=actor, kind=kind)
        return flash(request, RedirectResponse(PAGE, status_code=303), "已恢复默认脱敏规则。")
    allowed = masking_rules.DEFAULTS.get(kind, {})
    params = {k: str(form.get(k, "")).strip() for k in allowed if k in form}
    try:
        masking_rules.update_rule(db, actor=actor, kind=kind, params=params)
    except AppError as err:
        db.rollback()
        if err.status == 404:
            raise
        return _page(request, db, actor, errors={kind: err.message(request_language(request))},
                     sent={kind: params}, status_code=422)
    return flash(request, RedirectResponse(PAGE, status_code=303), "脱敏规则已保存，下一次数据交付即按新规则执行。")
