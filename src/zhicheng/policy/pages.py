"""The auditor's pages: the audit log viewer (filters, table, keyset pages, CSV export) and chain verification."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import require_user
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid
from zhicheng.policy import audit
from zhicheng.policy.audit_labels import action_label
from zhicheng.policy.audit_query import OUTCOMES, AuditFilter, local_time, open_log, search
from zhicheng.web.deps import get_db
from zhicheng.web.i18n import request_language, translate
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
TEXT_FILTERS = ("actor", "action", "target_kind", "target_id", "outcome")
OUTCOME_LABELS = {"ok": "成功", "denied": "被拒绝", "failed": "失败", "error": "出错"}
OUTCOME_BADGES = {"ok": "badge-green", "denied": "badge-red", "failed": "badge-amber", "error": "badge-red"}


def pretty(detail: Any) -> str:
    """An entry's detail as indented JSON with Chinese left readable (the template escapes it)."""
    return json.dumps(detail, ensure_ascii=False, indent=1, sort_keys=True)


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def read_filters(request: Request) -> tuple[dict[str, str], AuditFilter, dict[str, str]]:
    """The form's raw values, the filter they make, and an error message per field that was wrong."""
    q = request.query_params
    lang = request_language(request)
    raw = {name: (q.get(name) or "").strip()[:128] for name in ("since", "until", *TEXT_FILTERS)}
    errors: dict[str, str] = {}
    times: dict[str, datetime | None] = {}
    for name in ("since", "until"):
        try:
            times[name] = datetime.fromisoformat(raw[name]) if raw[name] else None
        except ValueError:
            times[name] = None
            errors[name] = translate("不是有效的时间（例如 2026-11-01T08:00）", lang)
    filt = AuditFilter(since=times["since"], until=times["until"],
                       **{name: raw[name] or None for name in TEXT_FILTERS})
    try:
        filt = filt.cleaned()
    except Invalid as err:
        errors[err.field or "_form"] = err.message(lang)
        filt = AuditFilter()
    return raw, filt, errors


def _before(request: Request) -> int | None:
    value = request.query_params.get("before", "")
    return int(value) if value.isdigit() and len(value) < 19 else None


@router.get("/audit")
def audit_log_page(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """审计日志 / the audit log: filter, read newest first, export, verify (auditor only)."""
    raw, filt, errors = read_filters(request)
    before = _before(request)
    open_log(db, actor=actor, action="read", ip=_client_ip(request),
             detail={"page": "/audit", "filter": filt.as_params(), "before": before})
    page = search(db, filt=filt, before=before, limit=PAGE_SIZE) if not errors else None
    params = {k: v for k, v in raw.items() if v}
    ctx: dict[str, Any] = {
        "raw": raw, "errors": errors, "page": page, "outcomes": OUTCOMES, "outcome_labels": OUTCOME_LABELS,
        "outcome_badges": OUTCOME_BADGES, "local_time": local_time, "pretty": pretty, "action_label": action_label,
        "before": before,
        "export_url": "/api/v1/audit/export" + (f"?{urlencode(filt.as_params())}" if filt.as_params() else ""),
        "next_url": ("/audit?" + urlencode({**params, "before": page.next_before})
                     if page and page.next_before else None),
        "first_url": ("/audit?" + urlencode(params)) if before else None,
        "retention": audit.retention(db, request.app.state.settings),
        "breadcrumbs": [("审计日志", None)],
    }
    return render(request, "policy/audit_log.html", ctx)


@router.get("/audit/verify")
def audit_verify_page(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """校验审计链 / verify the chain: a fragment for htmx, a whole page otherwise."""
    open_log(db, actor=actor, action="verify", ip=_client_ip(request), detail={"page": "/audit/verify"})
    result = audit.verify(db)
    ctx = {"result": result, "local_time": local_time, "checked_at": local_time(clock.now()),
           "breadcrumbs": [("审计日志", "/audit"), ("完整性校验", None)]}
    name = "policy/_verify_result.html" if request.headers.get("hx-request") else "policy/audit_verify.html"
    return render(request, name, ctx)


def nav_entries(nav) -> None:
    """This domain's entries in the app shell's navigation (`nav` is a web.navigation.Navigation)."""
    nav.register_nav("system", "审计", "/audit", roles=("auditor",), order=50)
