"""The demo city 长沙市: its government, bureaus, district governments, street offices and one user per role."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import cache
from importlib import resources

from zhicheng.accounts.roles import Role

CITY_CODE = "430100"
CITY_NAME = "长沙市人民政府"
CITY_NAME_EN = "Changsha Municipal People's Government"
DEFAULT_PASSWORD = "Zhicheng@2026"


def demo_password() -> str:
    """The one password every demo user shares: ZHICHENG_DEMO_PASSWORD, else the default."""
    return os.environ.get("ZHICHENG_DEMO_PASSWORD") or DEFAULT_PASSWORD


@dataclass(frozen=True)
class Bureau:
    """A municipal bureau (市直部门) and the short key the demo data refers to it by."""

    key: str
    name: str
    name_en: str
    short_name: str


BUREAUS: tuple[Bureau, ...] = (
    Bureau("data", "长沙市数据资源局", "Changsha Data Resources Bureau", "市数据资源局"),
    Bureau("police", "长沙市公安局", "Changsha Public Security Bureau", "市公安局"),
    Bureau("hrss", "长沙市人力资源和社会保障局", "Changsha Human Resources and Social Security Bureau",
           "市人力资源和社会保障局"),
    Bureau("housing", "长沙市住房和城乡建设局", "Changsha Housing and Urban-Rural Development Bureau",
           "市住房和城乡建设局"),
    Bureau("urban", "长沙市城市管理和综合执法局", "Changsha Urban Management and Comprehensive Law Enforcement Bureau",
           "市城市管理和综合执法局"),
    Bureau("eco", "长沙市生态环境局", "Changsha Ecology and Environment Bureau", "市生态环境局"),
    Bureau("market", "长沙市市场监督管理局", "Changsha Administration for Market Regulation", "市市场监督管理局"),
    Bureau("nature", "长沙市自然资源和规划局", "Changsha Natural Resources and Planning Bureau",
           "市自然资源和规划局"),
    Bureau("transport", "长沙市交通运输局", "Changsha Transport Bureau", "市交通运输局"),
    Bureau("water", "长沙市水利局", "Changsha Water Resources Bureau", "市水利局"),
    Bureau("health", "长沙市卫生健康委员会", "Changsha Health Commission", "市卫生健康委"),
    Bureau("edu", "长沙市教育局", "Changsha Education Bureau", "市教育局"),
    Bureau("civil", "长沙市民政局", "Changsha Civil Affairs Bureau", "市民政局"),
)
BUREAU_BY_KEY = {b.key: b for b in BUREAUS}

DISTRICT_NAMES_EN = {
    "430102": "Furong District", "430103": "Tianxin District", "430104": "Yuelu District",
    "430105": "Kaifu District", "430111": "Yuhua District", "430112": "Wangcheng District",
    "430121": "Changsha County", "430181": "Liuyang City", "430182": "Ningxiang City",
}


@dataclass(frozen=True)
class Division:
    """A district/county (6-digit GB/T 2260 code) or a street office/township (9-digit statistical code)."""

    code: str
    name: str
    parent_code: str


def _read_csv(name: str) -> list[dict[str, str]]:
    with resources.files("zhicheng.demo").joinpath("data", name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@cache
def districts() -> tuple[Division, ...]:
    """Changsha's nine districts and counties (GB/T 2260), from the bundled NBS 2023 table."""
    return tuple(Division(r["code"], r["name"], CITY_CODE) for r in _read_csv("changsha_districts.csv"))


@cache
def streets() -> tuple[Division, ...]:
    """Changsha's street offices and townships (9-digit statistical codes), from the bundled NBS 2023 table."""
    return tuple(Division(r["code"], r["name"], r["areaCode"]) for r in _read_csv("changsha_streets.csv"))


def district_government_name(district: Division) -> str:
    """芙蓉区 → 长沙市芙蓉区人民政府; 浏阳市 → 浏阳市人民政府 (a county-level city is named on its own)."""
    prefix = "" if district.name.endswith("市") else "长沙市"
    return f"{prefix}{district.name}人民政府"


def street_office_name(street: Division) -> str:
    """文艺路街道 → 文艺路街道办事处; 古港镇 → 古港镇人民政府; a development zone (statistical unit) → 管理委员会."""
    if street.name.endswith("街道"):
        return f"{street.name}办事处"
    if street.name.endswith(("镇", "乡")):
        return f"{street.name}人民政府"
    return f"{street.name}管理委员会"


@dataclass(frozen=True)
class DemoUser:
    """One demo login: who they are, where they work and what they may do."""

    username: str
    display_name: str
    department: str  # a bureau key, "city", or a region code (district: 6 digits, street office: 9)
    roles: tuple[str, ...]
    unit: str  # the unit shown in the start-up table
    shown: bool = True  # listed in the start-up table (one login per role)


USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "周志远", "data", (Role.ADMIN,), "市数据资源局"),
    DemoUser("data_officer", "陈思敏", "data", (Role.DATA_OFFICER,), "市数据资源局"),
    DemoUser("police_officer", "刘建国", "police", (Role.DATA_OFFICER,), "市公安局"),
    DemoUser("housing_officer", "谭丽华", "housing", (Role.DATA_OFFICER,), "市住建局"),
    DemoUser("market_officer", "彭晓东", "market", (Role.DATA_OFFICER,), "市市场监管局"),
    DemoUser("eco_officer", "罗雅琴", "eco", (Role.DATA_OFFICER,), "市生态环境局"),
    DemoUser("dept_user", "曾子涵", "hrss", (Role.DEPT_USER,), "市人社局"),
    DemoUser("operator", "李明轩", "urban", (Role.OPERATOR,), "市城管执法局"),
    DemoUser("inspector", "黄卫平", "430104002", (Role.INSPECTOR,), "岳麓区岳麓街道"),
    DemoUser("handler", "杨志刚", "urban", (Role.HANDLER,), "市城管执法局"),
    DemoUser("leader", "王振华", "city", (Role.LEADER,), "市人民政府"),
    DemoUser("security_admin", "孙立平", "data", (Role.SECURITY_ADMIN,), "市数据资源局"),
    DemoUser("auditor", "赵晓雯", "data", (Role.AUDITOR,), "市数据资源局"),
    # the bureaus below also register resources in the demo catalog, so each has its own data officer
    DemoUser("hrss_officer", "胡海燕", "hrss", (Role.DATA_OFFICER,), "市人社局", False),
    DemoUser("urban_officer", "邓志勇", "urban", (Role.DATA_OFFICER,), "市城管执法局", False),
    DemoUser("nature_officer", "蒋文博", "nature", (Role.DATA_OFFICER,), "市自然资源和规划局", False),
    DemoUser("transport_officer", "唐国庆", "transport", (Role.DATA_OFFICER,), "市交通运输局", False),
    DemoUser("water_officer", "袁春林", "water", (Role.DATA_OFFICER,), "市水利局", False),
    DemoUser("health_officer", "龙佳怡", "health", (Role.DATA_OFFICER,), "市卫生健康委", False),
    DemoUser("edu_officer", "夏雨婷", "edu", (Role.DATA_OFFICER,), "市教育局", False),
    DemoUser("civil_officer", "贺立新", "civil", (Role.DATA_OFFICER,), "市民政局", False),
)

OFFICER_OF = {u.department: u.username for u in USERS if Role.DATA_OFFICER in u.roles}
