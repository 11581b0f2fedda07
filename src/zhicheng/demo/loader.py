"""Loads the demo city 长沙市 through the domains' services: departments, users, catalog, datasets.

Every step is idempotent (it skips what exists), and a finished load leaves a marker in the data folder, after
which the demo is never loaded again: what users changed since stays as they left it.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from zhicheng.accounts import service as accounts
from zhicheng.accounts.roles import Role
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError, Invalid, NotFound
from zhicheng.core.settings import Settings
from zhicheng.demo import city
from zhicheng.demo.context import DemoContext
from zhicheng.demo.marker import read_marker, write_marker
from zhicheng.hookspecs import collected, installed

Progress = Callable[[str], None]

# the system acting at set-up time, as `zhicheng init` does
SETUP_ACTOR = Actor(kind="system", username="demo", display_name="演示数据装载", roles=frozenset({"system", Role.ADMIN}),
                    via="cli")


@dataclass
class LoadResult:
    """What a call to load_demo did."""

    loaded: bool  # False: the demo was already there and nothing was touched
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


def resource_specs(plugins=None) -> tuple[dict, ...]:
    """The demo catalog: every resource template (zhicheng_resource_templates) that names a demo `department` and
    `state`, the built-in demo city's (data/resources.json) first, then the installed plugins'."""
    pm = plugins if plugins is not None else installed()
    return tuple(t for t in collected(pm.hook.zhicheng_resource_templates) if t.get("department") and t.get("state"))


def is_loaded(settings: Settings, factory: sessionmaker[Session]) -> bool:
    """True when a finished demo load into this database is on record and its admin still exists."""
    if read_marker(settings) is None:
        return False
    with factory() as db:
        try:
            accounts.get_user_by_username(db, "admin")
        except NotFound:
            return False
    return True


def check_demo_password() -> None:
    """Refuse a ZHICHENG_DEMO_PASSWORD the password policy would reject, before anything is created."""
    from zhicheng.accounts.security import check_password_policy

    try:
        check_password_policy(city.demo_password(), field="ZHICHENG_DEMO_PASSWORD")
    except AppError as exc:
        raise Invalid(f"演示密码（ZHICHENG_DEMO_PASSWORD）不符合密码规则：{exc.zh}",
                      f"the demo password (ZHICHENG_DEMO_PASSWORD) breaks the password policy: {exc.en}",
                      field="ZHICHENG_DEMO_PASSWORD") from None


def load_demo(settings: Settings, factory: sessionmaker[Session], *, progress: Progress | None = None,
              people: int = 5000, enterprises: int = 1000, plugins=None) -> LoadResult:
    """Load the demo unless a finished load is on record; resumable if an earlier load was interrupted.

    The catalog comes from the resource templates naming a demo department and state (resource_specs); scenario
    plugins add their own data through the `zhicheng_demo_data(context)` hook (`plugins`: a pluggy manager; the
    installed plugins by default).
    """
    say = progress or (lambda _msg: None)
    if is_loaded(settings, factory):
        return LoadResult(loaded=False)
    from zhicheng.demo import catalog_steps

    check_demo_password()
    pm = plugins if plugins is not None else installed()
    specs = resource_specs(pm)
    started = time.perf_counter()
    counts: dict[str, int] = {}
    with factory() as db:
        say("部门 / departments")
        depts = ensure_departments(db)
        counts["departments"] = len(depts)
        say("用户 / users")
        users = ensure_users(db, depts)
        counts["users"] = len(users)
        say("数据资源目录 / catalog")
        res_ids = catalog_steps.ensure_resources(db, specs=specs, depts=depts, users=users)
        counts["resources"] = len(res_ids)
        with tempfile.TemporaryDirectory(prefix="zhicheng-demo-") as tmp:
            counts.update(load_datasets(db, Path(tmp), specs=specs, res_ids=res_ids, users=users, say=say,
                                        people=people, enterprises=enterprises))
        say("共享申请 / sharing requests")
        from zhicheng.demo import sharing_steps

        counts["share_requests"] = sharing_steps.ensure_share_requests(db, res_ids=res_ids, users=users)
        say("数据开放平台 / open-data portal")
        from zhicheng.demo import opendata_steps

        counts["portal_users"] = opendata_steps.ensure_portal(db, settings=settings, res_ids=res_ids,
                                                             actor=SETUP_ACTOR)
        say("基础库与数据血缘 / base databases and lineage")
        counts["lineage_versions"] = ensure_base_databases(db, depts)
        say("数据质量 / data quality")
        from zhicheng.quality import flows as quality

        counts["quality_runs"] = quality.seed_demo(db, department_id=depts["police"].id, actor=SETUP_ACTOR)["runs"]
        if pm.hook.zhicheng_demo_data.get_hookimpls():
            say("场景演示数据 / scenario demo data")
            context = DemoContext(db=db, settings=settings, departments=depts, users=users, resource_ids=res_ids,
                                  counts=counts)
            pm.hook.zhicheng_demo_data(context=context)
    seconds = round(time.perf_counter() - started, 2)
    write_marker(settings, {"seconds": seconds, "counts": counts})
    return LoadResult(loaded=True, seconds=seconds, counts=counts)


# ------------------------------------------------------------------ accounts

def ensure_departments(db: Session) -> dict[str, object]:
    """The city, its bureaus, district governments and street offices; keys: "city", bureau keys, region codes."""
    existing = {(d.name, d.region_code): d for d in accounts.list_departments(db)}

    def get_or_create(name: str, kind: str, region: str, parent, name_en: str | None = None,
                      short_name: str | None = None, sort_order: int = 0):
        dept = existing.get((name, region))
        if dept is None:
            dept = accounts.create_department(db, actor=SETUP_ACTOR, name=name, kind=kind, region_code=region,
                                              parent_id=parent.id if parent else None, name_en=name_en,
                                              short_name=short_name, sort_order=sort_order)
            existing[(name, region)] = dept
        return dept

    out: dict[str, object] = {}
    root = out["city"] = get_or_create(city.CITY_NAME, "city", city.CITY_CODE, None, city.CITY_NAME_EN, "长沙市")
    for n, bureau in enumerate(city.BUREAUS, start=1):
        out[bureau.key] = get_or_create(bureau.name, "bureau", city.CITY_CODE, root, bureau.name_en,
                                        bureau.short_name, n)
    for n, district in enumerate(city.districts(), start=1):
        out[district.code] = get_or_create(city.district_government_name(district), "district", district.code, root,
                                           f"{city.DISTRICT_NAMES_EN.get(district.code, district.name)} Government",
                                           district.name, 100 + n)
    for n, street in enumerate(city.streets(), start=1):
        out[street.code] = get_or_create(city.street_office_name(street), "street", street.code, out[street.parent_code],
                                         None, street.name, 1000 + n)
    return out


def ensure_users(db: Session, depts: dict[str, object]) -> dict[str, object]:
    """One user per role (and a data officer for each bureau that registers resources), keyed by username."""
    password = city.demo_password()
    out: dict[str, object] = {}
    for spec in city.USERS:
        try:
            user = accounts.get_user_by_username(db, spec.username)
        except NotFound:
            user = accounts.create_user(db, actor=SETUP_ACTOR, username=spec.username, password=password,
                                        display_name=spec.display_name, department_id=depts[spec.department].id,
                                        roles=list(spec.roles))
        out[spec.username] = user
    return out


# ------------------------------------------------------------------ governance

def ensure_base_databases(db: Session, depts: dict[str, object]) -> int:
    """The demo 人口基础库 (one authoritative source per field, conflicts recorded) and the lineage graph;
    returns how many dataset versions the lineage graph holds."""
    from zhicheng.basedb import flows as basedb
    from zhicheng.lineage import flows as lineage

    basedb.seed_demo(db, actor=SETUP_ACTOR, source_departments=(depts["police"].id, depts["health"].id),
                                owner_department_id=depts["data"].id, rows=200)
    return lineage.catch_up(db)


# ------------------------------------------------------------------ datasets

def load_datasets(db: Session, folder: Path, *, specs: tuple[dict, ...], res_ids: dict[str, int], users: dict[str, object], say: Progress,
                  people: int, enterprises: int) -> dict[str, int]:
    """Generate the demo tables as CSV files and import each through the datasets service (skipping those done)."""
    from zhicheng.catalog.datasets import service as datasets
    from zhicheng.demo import addresses, generators, geography, urban

    by_key = {spec["key"]: spec for spec in specs}
    counts: dict[str, int] = {}

    def officer_of(key: str):
        return accounts.actor_for(users[city.OFFICER_OF[by_key[key]["department"]]], via="cli")

    def versions(key: str) -> int:
        return len(datasets.list_versions(db, actor=officer_of(key), resource_id=res_ids[key]))

    def import_rows(key: str, columns, rows, version_name: str = "") -> None:
        path = folder / f"{key}{version_name}.csv"
        generators.write_csv(path, columns, rows)
        report = datasets.import_file(db, actor=officer_of(key), resource_id=res_ids[key], path=path,
                                      filename=path.name)
        if not report.ok:
            first = report.errors[0] if report.errors else {}
            raise AppError(f"演示数据“{by_key[key]['name']}”导入失败：{report.message_zh} {first}",
                           f"demo data '{key}' failed to import: {report.message_en} {first}", code="demo_import")
        counts[f"rows.{key}{version_name}"] = report.row_count

    company_rows = list(generators.enterprises(enterprises))
    holders = [generators.Enterprise(r["credit_code"], r["entity_name"]) for r in company_rows]
    plan = [
        ("admin_divisions", generators.DIVISION_COLUMNS, lambda: generators.divisions()),
        ("street_units", geography.STREET_UNIT_COLUMNS, lambda: geography.street_unit_rows()),  # approximate
        ("communities", geography.COMMUNITY_COLUMNS, lambda: geography.community_rows()),  # approximate
        ("unit_grids", geography.GRID_COLUMNS, lambda: geography.grid_rows()),  # generated 万米单元网格
        ("standard_addresses", addresses.COLUMNS, lambda: addresses.records()),  # the address layer (geo)
        ("population_resident", generators.PEOPLE_COLUMNS, lambda: generators.people(people)),
        ("market_entities", generators.ENTERPRISE_COLUMNS, lambda: iter(company_rows)),
        ("admin_licences", generators.LICENCE_COLUMNS, lambda: generators.licences(holders)),
        ("dishonest_debtors", urban.DEBTOR_COLUMNS, lambda: urban.dishonest_debtors(holders)),
        ("city_components", urban.COMPONENT_COLUMNS, lambda: urban.city_components()),
        ("parking_lots", urban.PARKING_COLUMNS, lambda: urban.parking_lots()),
        *open_tables(holders),
    ]
    for key, columns, rows in plan:
        if key in res_ids and versions(key) == 0:
            say(f"导入 / import: {by_key[key]['name']}")
            import_rows(key, columns, rows())
    # the air-quality feed shows two versions: the first three days, then the whole week
    done = versions("air_quality_hourly")
    if done < 2:
        say(f"导入 / import: {by_key['air_quality_hourly']['name']}")
    if done == 0:
        import_rows("air_quality_hourly", generators.AIR_COLUMNS, generators.air_quality(last_day=3), "_v1")
    if done < 2:
        import_rows("air_quality_hourly", generators.AIR_COLUMNS, generators.air_quality(last_day=7), "_v2")
    return counts


def open_tables(firms) -> list[tuple[str, tuple[str, ...], Callable]]:
    """The rest of what the demo opens to the public, so that every open dataset holds data (generated ones say
    so in their summary)."""
    from zhicheng.demo import open_feeds as feeds
    from zhicheng.demo import open_registers as reg

    return [
        ("population_statistics", reg.POPULATION_STAT_COLUMNS, lambda: reg.population_statistics()),
        ("social_organizations", reg.SOCIAL_ORG_COLUMNS, lambda: reg.social_organizations()),
        ("schools", reg.SCHOOL_COLUMNS, lambda: reg.schools()),
        ("medical_institutions", reg.MEDICAL_COLUMNS, lambda: reg.medical_institutions()),
        ("elderly_care_institutions", reg.ELDERLY_COLUMNS, lambda: reg.elderly_care_institutions()),
        ("buildings", reg.BUILDING_COLUMNS, lambda: reg.buildings()),
        ("land_use", reg.LAND_USE_COLUMNS, lambda: reg.land_use()),
        ("admin_penalties", reg.PENALTY_COLUMNS, lambda: reg.admin_penalties(firms)),
        ("key_polluters", reg.KEY_POLLUTER_COLUMNS, lambda: reg.key_polluters(firms)),
        ("ride_hailing_permits", reg.RIDE_HAILING_COLUMNS, lambda: reg.ride_hailing_permits(firms)),
        ("construction_permits", reg.CONSTRUCTION_COLUMNS, lambda: reg.construction_permits(firms)),
        ("place_names", reg.PLACE_NAME_COLUMNS, lambda: reg.place_names()),
        ("gov_service_items", reg.GOV_SERVICE_COLUMNS, lambda: reg.gov_service_items()),
        ("bus_routes", feeds.BUS_ROUTE_COLUMNS, lambda: feeds.bus_routes()),
        ("rain_gauges", feeds.RAIN_COLUMNS, lambda: feeds.rain_gauges()),
        ("river_levels", feeds.RIVER_LEVEL_COLUMNS, lambda: feeds.river_levels()),
        ("surface_water_quality", feeds.WATER_QUALITY_COLUMNS, lambda: feeds.surface_water_quality()),
        ("street_vending_events", feeds.STREET_VENDING_COLUMNS, lambda: feeds.street_vending_events()),
        ("hotline_12345", feeds.HOTLINE_COLUMNS, lambda: feeds.hotline_12345()),
    ]
