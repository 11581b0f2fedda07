"""The alarm pages (物联感知 › 告警台 / 告警规则): the alarm console (live over SSE), the rule list with the scenario
templates, and the rule editor (validated on save, errors shown by field)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError
from zhicheng.iot import alarms, rules
from zhicheng.web import flash
from zhicheng.web.deps import get_db
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
CONSOLE, RULES = "/iot/alarms", "/iot/rules"
FIELDS = ("name", "description", "kind", "severity", "scope", "datastream_id", "thing_id", "device_type",
          "department_id", "params", "windows", "enabled")


def nav_entries(nav) -> None:
    """告警台 and 告警规则 in 物联感知."""
    nav.register_nav("iot", "告警台", CONSOLE, order=40)
    nav.register_nav("iot", "告警规则", RULES, order=45)


def _labels(lang: str) -> dict[str, Any]:
    pick = 1 if lang == "en" else 0
    return {"severity": {k: v[pick] for k, v in rules.SEVERITY_NAMES.items()},
            "state": {k: v[pick] for k, v in alarms.STATE_NAMES.items()},
            "kind": {k: v[pick] for k, v in rules.KIND_LABELS.items()}}


@router.get(CONSOLE)
def console(request: Request, state: str = Query("open", max_length=16), db: Session = Depends(get_db),
            actor: Actor = Depends(require_user)):
    """告警台 / the alarm console."""
    lang = request_language(request)
    error = None
    try:
        found = alarms.list_alarms(db, actor=actor, state=None if state == "all" else state, limit=200)
    except AppError as exc:
        found, error = [], exc.message(lang)
    labels = _labels(lang)
    live = {"stream": "/api/v1/iot/alarms/stream", "labels": labels, "csrf": getattr(request.state, "csrf_token", "")}
    return render(request, "iot_alarms.html", {
        "alarms": [alarms.as_dict(a, t) for a, t in found], "state": state, "error": error, "labels": labels,
        "states": ("open", *alarms.STATES, "all"), "live_config": json.dumps(live, ensure_ascii=False),
        "breadcrumbs": [("物联感知", None), ("告警台", None)]})


@router.post(CONSOLE + "/{alarm_id}/{action}", dependencies=[Depends(csrf_protect)])
def act(request: Request, alarm_id: int, action: str, comment: str = Form(""), db: Session = Depends(get_db),
        actor: Actor = Depends(require_user)):
    """确认、恢复、关闭 / acknowledge, clear, close (from the console's forms)."""
    response = RedirectResponse(CONSOLE, status_code=303)
    try:
        alarms.act(db, actor=actor, alarm_id=alarm_id, action=action, comment=comment)
    except AppError as exc:
        return flash.flash(request, response, exc.message(request_language(request)), kind="error")
    return flash.flash(request, response, "已处理" if request_language(request) != "en" else "Done")


@router.get(RULES)
def rule_list(request: Request, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """告警规则与场景模板 / the alarm rules and the scenarios' templates."""
    lang = request_language(request)
    return render(request, "iot_rules.html", {
        "rules": [rules.as_dict(r) for r in rules.list_rules(db, actor=actor)], "labels": _labels(lang),
        "templates": list(rules.templates().values()), "breadcrumbs": [("物联感知", None), ("告警规则", None)]})


def _form_values(rule: dict[str, Any] | None) -> dict[str, str]:
    if rule is None:
        return {"kind": "threshold", "severity": "major", "scope": "device_type", "enabled": "on",
                "params": '{"datastream": "pm25", "op": ">", "value": 75, "clear": 65, "for_seconds": 7200}',
                "windows": ""}
    out = {k: "" if rule.get(k) is None else str(rule[k]) for k in FIELDS}
    out["params"] = json.dumps(rule["params"], ensure_ascii=False)
    out["windows"] = json.dumps(rule["windows"], ensure_ascii=False) if rule.get("windows") else ""
    out["enabled"] = "on" if rule.get("enabled") else ""
    return out


def _editor(request: Request, *, rule_id: int | None, form: dict[str, str], errors: dict[str, str] | None = None,
            status: int = 200):
    return render(request, "iot_rules_edit.html", {
        "rule_id": rule_id, "form": form, "errors": errors or {}, "labels": _labels(request_language(request)),
        "kinds": rules.KINDS, "severities": rules.SEVERITIES, "scopes": rules.SCOPES,
        "breadcrumbs": [("物联感知", None), ("告警规则", RULES), ("编辑规则", None)]}, status_code=status)


@router.get(RULES + "/new")
def new_rule(request: Request, actor: Actor = Depends(require_user)):
    """新建规则 / a new rule."""
    return _editor(request, rule_id=None, form=_form_values(None))


@router.get(RULES + "/{rule_id}")
def edit_rule(request: Request, rule_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """编辑规则 / edit a rule."""
    return _editor(request, rule_id=rule_id, form=_form_values(rules.as_dict(rules.get(db, actor=actor,
                                                                                       rule_id=rule_id))))


def _body(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The rule body of a submitted form, and the JSON fields that could not even be read."""
    body: dict[str, Any] = {"enabled": form.get("enabled") == "on"}
    errors: dict[str, str] = {}
    for key in ("name", "description", "kind", "severity", "scope", "device_type"):
        if form.get(key):
            body[key] = form[key]
    for key in ("datastream_id", "thing_id", "department_id"):
        if form.get(key, "").strip():
            body[key] = int(form[key]) if form[key].strip().isdigit() else form[key]
    for key in ("params", "windows"):
        text = form.get(key, "").strip()
        if text:
            try:
                body[key] = json.loads(text)
            except ValueError:
                errors[key] = "不是有效的 JSON / not valid JSON"
    body.setdefault("params", {})
    return body, errors


@router.post(RULES + "/save", dependencies=[Depends(csrf_protect)])
async def save_rule(request: Request, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """保存规则：校验失败时在原页面按字段显示错误 / save a rule; errors are shown by their field."""
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    rule_id = int(form["rule_id"]) if form.get("rule_id", "").isdigit() else None
    body, errors = _body(form)
    if errors:
        return _editor(request, rule_id=rule_id, form=form, errors=errors, status=422)
    try:
        if rule_id is None:
            rules.create(db, actor=actor, body=body)
        else:
            rules.update(db, actor=actor, rule_id=rule_id, body=body)
    except AppError as exc:
        if exc.status >= 500 or exc.status in (401, 404):
            raise
        lang = request_language(request)
        for err in exc.errors or [{"field": exc.field or "name", "message": exc.message(lang)}]:
            errors.setdefault((err.get("field") or "name").split(".")[0], f"{err.get('field')}: {err['message']}")
        if exc.field and exc.field.split(".")[0] not in errors:
            errors[exc.field.split(".")[0]] = exc.message(lang)
        errors.setdefault("_", exc.message(lang))
        return _editor(request, rule_id=rule_id, form=form, errors=errors, status=exc.status)
    return flash.flash(request, RedirectResponse(RULES, status_code=303),
                       "规则已保存" if request_language(request) != "en" else "Rule saved")
