"""Built-in plugin: the seven standard base databases (基础库) and their fields, through zhicheng_basedb_templates."""

from __future__ import annotations

from zhicheng.basedb.templates import Template, TemplateField
from zhicheng.hookspecs import hookimpl

F = TemplateField
STANDARD: tuple[Template, ...] = (
    Template(
        "population",
        "人口基础库",
        "Population",
        "base",
        "population",
        (
            F("citizen_id", "公民身份号码", key=True, check="citizen_id", personal=True, length=18),
            F("name", "姓名", personal=True, length=50),
            F("sex", "性别", length=4),
            F("birth_date", "出生日期", "date", personal=True),
            F("ethnicity", "民族", length=20),
            F("region_code", "户籍地行政区划", check="region_code", length=6),
            F("address", "住址", personal=True, length=200),
            F("mobile", "联系电话", personal=True, length=20),
        ),
        {"name": "name", "date": "birth_date", "address": "address"},
    ),
    Template(
        "legal_entity",
        "法人基础库",
        "Legal entities",
        "base",
        "legal_person",
        (
            F("credit_code", "统一社会信用代码", key=True, check="credit_code", length=18),
            F("name", "名称", length=200),
            F("entity_type", "主体类型", length=50),
            F("legal_rep", "法定代表人", personal=True, length=50),
            F("registered_capital", "注册资本（万元）", "decimal"),
            F("established", "成立日期", "date"),
            F("address", "住所", length=200),
            F("status", "登记状态", length=20),
        ),
        {"name": "name", "date": "established", "address": "address"},
    ),
    Template(
        "geo",
        "自然资源和空间地理基础库",
        "Natural resources and spatial geography",
        "base",
        "geo",
        (
            F("address_code", "标准地址编码", key=True, length=40),
            F("standard_address", "标准地址", length=200),
            F("parcel_code", "宗地代码", length=19),
            F("region_code", "行政区划代码", check="region_code", length=6),
            F("land_use", "土地用途", length=50),
            F("area_m2", "面积（平方米）", "decimal"),
            F("longitude", "经度", "decimal"),
            F("latitude", "纬度", "decimal"),
        ),
        {"name": "standard_address", "address": "standard_address"},
    ),
    Template(
        "credit",
        "社会信用基础库",
        "Social credit",
        "base",
        "credit",
        (
            F("credit_code", "统一社会信用代码", key=True, check="credit_code", length=18),
            F("name", "主体名称", length=200),
            F("credit_rating", "信用等级", length=10),
            F("penalties", "行政处罚次数", "integer"),
            F("commendations", "表彰奖励次数", "integer"),
            F("blacklisted", "严重失信主体", length=4),
            F("updated_on", "信用信息更新日期", "date"),
        ),
        {"name": "name", "date": "updated_on"},
    ),
    Template(
        "license",
        "电子证照基础库",
        "Electronic licences",
        "base",
        "license",
        (
            F("license_no", "证照编号", key=True, length=64),
            F("license_type", "证照类型", length=50),
            F("holder_name", "持证主体", personal=True, length=200),
            F("holder_id", "持证主体代码", personal=True, length=18),
            F("issuer", "发证机关", length=100),
            F("issued_on", "发证日期", "date"),
            F("valid_until", "有效期至", "date"),
            F("status", "证照状态", length=20),
        ),
        {"name": "holder_name", "date": "issued_on"},
    ),
    Template(
        "housing",
        "房产房屋基础库",
        "Houses and buildings",
        "theme",
        "urban_rural",
        (
            F("house_code", "房屋编码", key=True, length=40),
            F("address", "房屋坐落", length=200),
            F("building_area", "建筑面积（平方米）", "decimal"),
            F("use", "房屋用途", length=50),
            F("structure", "建筑结构", length=50),
            F("built_year", "建成年份", "integer"),
            F("owner_name", "权利人", personal=True, length=200),
            F("owner_id", "权利人证件号码", personal=True, length=18),
        ),
        {"name": "address", "address": "address"},
    ),
    Template(
        "city_component",
        "城市部件基础库",
        "City components",
        "theme",
        "city_management",
        (
            F("component_code", "部件标识码", key=True, length=40),
            F("category", "部件类别", length=50),
            F("name", "部件名称", length=100),
            F("location", "位置描述", length=200),
            F("longitude", "经度", "decimal"),
            F("latitude", "纬度", "decimal"),
            F("owner_unit", "主管部门", length=100),
            F("status", "部件状态", length=20),
        ),
        {"name": "name", "address": "location"},
    ),
)


@hookimpl
def zhicheng_basedb_templates() -> list[dict]:
    """The standard base databases, as any plugin would give them."""
    return [t.as_dict() for t in STANDARD]
