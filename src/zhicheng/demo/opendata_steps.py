"""The demo's open-data portal (数据开放平台): a citizen and an enterprise with applications and a key, approved
comments and ratings, an answered data request, a shown app, and 30 days of usage so the statistics have curves.
Everything goes through the opendata domain's services; the step is skipped when the demo citizen exists."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy.orm import Session

from zhicheng.core.actor import Actor
from zhicheng.core.ids.citizen_id import make as make_citizen_id
from zhicheng.core.ids.credit_code import make as make_credit_code
from zhicheng.core.settings import Settings
from zhicheng.demo import city

CITIZEN = "citizen_demo"
ENTERPRISE = "enterprise_demo"
# resource keys of the demo catalog: what the portal users rate, comment on and apply for
RATED = ("air_quality_hourly", "bus_routes", "schools", "medical_institutions", "parking_lots")
COMMENTS = (
    ("air_quality_hourly", "数据更新及时，我们用它做了小区空气质量提醒，希望增加历史小时数据的批量下载。"),
    ("bus_routes", "线路数据很实用，建议补充首末班车时间和站点经纬度。"),
    ("schools", "学校名录帮助我们选择学区，希望补充学校的招生范围。"),
)
CONDITIONAL = ("market_entities", "standard_addresses")
USED = ("air_quality_hourly", "bus_routes", "schools", "medical_institutions", "parking_lots", "admin_divisions",
        "gov_service_items", "population_statistics", "place_names", "rain_gauges")
# the shown app and the open datasets it really uses
APP_USES = ("bus_routes", "parking_lots")


def ensure_portal(db: Session, *, settings: Settings, res_ids: dict[str, int], actor: Actor,
                  today: date | None = None) -> int:
    """Seed the portal once; returns the number of portal users made (0 when already there)."""
    from zhicheng.opendata import service
    from zhicheng.opendata.interaction import service as interaction
    from zhicheng.opendata.stats import service as stats
    from zhicheng.opendata.users import service as accounts

    if accounts.is_registered(db, CITIZEN):
        return 0
    password = city.demo_password()
    citizen = accounts.register(db, settings=settings, kind="citizen", username=CITIZEN, password=password,
                                display_name="张市民", id_number=make_citizen_id("430104", date(1990, 5, 17), 12, "F"),
                                phone="13800000000")
    company = accounts.register(db, settings=settings, kind="enterprise", username=ENTERPRISE, password=password,
                                display_name="长沙智行科技有限公司", id_number=make_credit_code("9", "1", "430104", "MA4L16JQ"),
                                email="dev@example.com")
    present = [key for key in CONDITIONAL if key in res_ids]
    for n, key in enumerate(present):
        application = service.apply(db, user=company, resource_id=res_ids[key],
                                    purpose="开发企业选址与出行服务应用，需要调用接口获取数据")
        if n == 0:  # the first is approved, the second waits in the provider's inbox
            service.decide_application(db, actor=actor, application_id=application.id, decision="approve")
    if present:
        service.create_key(db, user=company, name="出行服务应用")
    for n, key in enumerate(k for k in RATED if k in res_ids):
        interaction.rate(db, user=citizen, resource_id=res_ids[key], stars=5 - n % 2)
    for key, body in COMMENTS:
        if key in res_ids:
            comment = interaction.add_comment(db, user=citizen, resource_id=res_ids[key], body=body)
            interaction.moderate(db, actor=actor, comment_id=comment.id, decision="approve")
    request = interaction.create_request(db, user=citizen, title="开放公共停车场实时空余车位",
                                         description="希望开放全市公共停车场的实时空余车位数据，方便市民出行停车。")
    interaction.answer_request(db, actor=actor, request_id=request.id,
                               answer="已纳入开放计划，停车场基础信息已开放，实时车位数据将于下季度按小时更新开放。")
    used = [res_ids[k] for k in USED if k in res_ids]
    app_uses = [res_ids[k] for k in APP_USES if k in res_ids]
    if app_uses:
        app = interaction.submit_app(db, user=company, name="星城出行", url="https://example.com/xingcheng",
                                     description="基于公交线路和停车场开放数据的出行助手，提供换乘与停车建议。",
                                     resource_ids=app_uses)
        interaction.review_app(db, actor=actor, app_id=app.id, decision="show")
    _usage(db, used, today or stats.today())
    return 2


def _usage(db: Session, resource_ids: list[int], today: date) -> None:
    """Thirty days of views, downloads and API calls, more for the first resources (a deterministic curve)."""
    from zhicheng.catalog import service as catalog
    from zhicheng.opendata.stats import service as stats

    rnd = random.Random(2026)
    for rank, resource_id in enumerate(resource_ids):
        department_id = catalog.get_resource(db, resource_id).department_id
        weight = max(1, 12 - rank)
        for back in range(30):
            day = today - timedelta(days=back)
            for kind, scale in (("view", 8), ("download", 2), ("api", 5)):
                times = rnd.randint(1, weight * scale // 4 + 1)
                stats.count(db, resource_id=resource_id, department_id=department_id, kind=kind, day=day,
                            rows=times * rnd.randint(10, 1000) if kind == "api" else 0, times=times)
