"""The demo's sharing requests (共享申请), made through the exchange service so the inbox, grants and KPIs show work."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from zhicheng.accounts import service as accounts
from zhicheng.core.workdays import service as deadlines
from zhicheng.exchange import service as exchange

# (requester, resource key, purpose, basis, items wanted, what the provider does: grant/narrow/refuse/None)
REQUESTS: tuple[tuple[str, str, str, str, list[str], str | None], ...] = (
    ("dept_user", "population_resident", "核验就业登记人员的户籍与年龄", "《就业服务与就业管理规定》第六十条",
     ["citizen_id", "name", "sex", "birth_date"], "narrow"),
    ("housing_officer", "market_entities", "核验房地产开发企业主体资格", "城市房地产开发经营管理",
     ["credit_code", "entity_name", "entity_type"], None),  # 无条件共享: granted at once
    ("housing_officer", "social_insurance", "公共租赁住房保障对象资格审核", "《公共租赁住房管理办法》第七条",
     ["citizen_id", "name", "insurance_type"], None),  # waits in 人社局's inbox
    ("eco_officer", "enterprise_annual_reports", "重点排污单位经营状况核查", "生态环境监管执法",
     ["credit_code", "report_year", "employees"], None),  # waits in 市场监管局's inbox
    ("dept_user", "health_records", "社保待遇核定", "业务需要", ["citizen_id", "name"], "refuse"),
)


def ensure_share_requests(db: Session, *, res_ids: dict[str, int], users: dict[str, object]) -> int:
    """Make the demo requests once (skipped when the requester already asked for that resource)."""
    made = 0
    today = deadlines.china_today()
    for username, key, purpose, basis, items, outcome in REQUESTS:
        if key not in res_ids or username not in users:
            continue
        actor = accounts.actor_for(users[username])
        if any(r.resource_id == res_ids[key] for r in exchange.my_requests(db, actor=actor)):
            continue
        req = exchange.submit_request(db, actor=actor, resource_id=res_ids[key], purpose=purpose, basis=basis,
                                      items=items, row_filter=None, period_start=today,
                                      period_end=today + timedelta(days=365), delivery="api")
        provider = _provider_officer(db, req.provider_department_id, users)
        if outcome == "narrow" and provider is not None:
            exchange.approve(db, actor=provider, request_id=req.id, items=items[:2],
                             note="仅提供身份核验所需的数据项")
        elif outcome == "refuse" and provider is not None:
            exchange.refuse(db, actor=provider, request_id=req.id, reason="个人健康信息不予共享")
        made += 1
    return made


def _provider_officer(db: Session, department_id: int, users: dict[str, object]):
    for user in users.values():
        actor = accounts.actor_for(user)
        if actor.department_id == department_id and actor.has("data_officer"):
            return actor
    return None
