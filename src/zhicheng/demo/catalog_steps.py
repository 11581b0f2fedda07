"""The demo catalog registered as a city would: officers draft and submit, the admin publishes or returns."""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhicheng.accounts import service as accounts
from zhicheng.catalog import service as catalog
from zhicheng.demo import city

# fields of a bundled resource spec that are the demo's own bookkeeping, not catalog metadata
DEMO_ONLY = ("key", "department", "state", "dataset", "related")
RETURN_COMMENTS = {
    "sanitation_vehicles": "轨迹数据涉及车辆实时位置，请补充共享条件中的使用范围和脱敏要求后重新提交。",
    "public_rental_housing": "保障对象信息含个人信息，请将身份证号等信息项的敏感级别调整为“重要”并说明共享用途。",
}


def _existing(db: Session, admin, department_id: int) -> dict[str, tuple[int, str]]:
    """Names → (id, code) of the resources a department already has (so a resumed load skips them)."""
    out: dict[str, tuple[int, str]] = {}
    page = 1
    while True:
        items, total = catalog.list_resources(db, actor=admin, department_id=department_id, page=page, size=100)
        out.update({item["name"]: (item["id"], item["code"]) for item in items})
        if page * 100 >= total or not items:
            return out
        page += 1


def ensure_resources(db: Session, *, specs, depts: dict, users: dict) -> dict[str, int]:
    """Register every bundled resource not yet in the catalog and take it to its demo state; keys → ids."""
    admin = accounts.actor_for(users["admin"], via="cli")
    known: dict[int, dict[str, tuple[int, str]]] = {}
    out: dict[str, int] = {}
    codes: dict[str, str] = {}
    for spec in specs:
        dept = depts[spec["department"]]
        if dept.id not in known:
            known[dept.id] = _existing(db, admin, dept.id)
        if spec["name"] in known[dept.id]:
            out[spec["key"]], codes[spec["key"]] = known[dept.id][spec["name"]]
            continue
        officer = accounts.actor_for(users[city.OFFICER_OF[spec["department"]]], via="cli")
        data = {k: v for k, v in spec.items() if k not in DEMO_ONLY and v is not None}
        data["related_codes"] = [codes[key] for key in spec.get("related", ()) if key in codes]
        res = catalog.create_resource(db, actor=officer, data=data)
        out[spec["key"]], codes[spec["key"]] = res.id, res.code
        if spec["state"] == "draft":
            continue
        catalog.submit(db, actor=officer, resource_id=res.id)
        if spec["state"] == "published":
            catalog.review(db, actor=admin, resource_id=res.id, decision="publish", comment="审核通过，同意发布。")
        elif spec["state"] == "returned":
            catalog.review(db, actor=admin, resource_id=res.id, decision="return",
                           comment=RETURN_COMMENTS.get(spec["key"], "请补充完善元数据后重新提交。"))
    return out
