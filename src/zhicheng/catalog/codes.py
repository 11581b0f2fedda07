"""Vocabularies of the catalog (classes, formats, share/open attributes, cycles, states) and resource codes.

Resource code (信息资源代码), after the national 政务信息资源目录编制指南 (试行), chapter 6: a front code
(前段码, the classification 类/项/目/细目) and a back code (后段码, the 6-digit sequence), separated by "/":

    C II DDD SSS / NNNNNN        e.g. 101015001/000001
    │ │  │   │     └─ 顺序码: 6 digits, 000001.. in order of registration under the same front code
    │ │  │   └─ 细目: 3 digits, the provider's own sub-category (default 001)
    │ │  └─ 目: 3 digits, the provider department's number in the city (the sequence in its code
    │ │        "430100-015" → 015; the department id when the code carries none)
    │ └─ 项: 2 digits — base class: 01 人口 02 法人 03 自然资源和空间地理 04 社会信用 05 电子证照;
    │        theme class: the subject's number (01 公共服务 … 12 应急维稳, then the city's own);
    │        department class: the kind of department (01 市级 city, 02 区县 district, 03 部门 bureau,
    │        04 街道乡镇 street)
    └─ 类: 1 digit — 1 基础信息资源, 2 主题信息资源, 3 部门信息资源

The guide leaves 细目 and the sequence of variable length; here both are fixed (3 and 6 digits) so that
codes sort and validate simply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from zhicheng.core.errors import Invalid

# key -> (Chinese, English)
CATALOG_CLASSES: dict[str, tuple[str, str]] = {
    "base": ("基础信息资源", "Base resources"),
    "theme": ("主题信息资源", "Theme resources"),
    "department": ("部门信息资源", "Department resources"),
}
CLASS_DIGIT = {"base": "1", "theme": "2", "department": "3"}

BASE_SUBCLASSES: dict[str, tuple[str, str]] = {
    "population": ("人口", "Population"),
    "legal_person": ("法人", "Legal persons"),
    "geo": ("自然资源和空间地理", "Natural resources and geospatial"),
    "credit": ("社会信用", "Social credit"),
    "license": ("电子证照", "Electronic licences"),
}
THEME_SUBJECTS: dict[str, tuple[str, str]] = {
    "public_service": ("公共服务", "Public services"),
    "health": ("健康保障", "Health"),
    "social_security": ("社会保障", "Social security"),
    "food_drug": ("食品药品安全", "Food and drug safety"),
    "work_safety": ("安全生产", "Work safety"),
    "price": ("价格监管", "Price supervision"),
    "energy": ("能源安全", "Energy security"),
    "credit_system": ("信用体系", "Credit system"),
    "urban_rural": ("城乡建设", "Urban and rural construction"),
    "community": ("社区治理", "Community governance"),
    "environment": ("生态环保", "Ecology and environment"),
    "emergency": ("应急维稳", "Emergency management"),
    "transport": ("交通出行", "Transport"),
    "city_management": ("城市管理", "City management"),
    "education": ("教育文化", "Education and culture"),
    "economy": ("经济运行", "Economy"),
    "civil_affairs": ("民政服务", "Civil affairs"),
    "employment": ("就业创业", "Employment"),
}
DEPARTMENT_KIND_DIGITS = {"city": "01", "district": "02", "bureau": "03", "street": "04"}

FORMATS: dict[str, tuple[str, str]] = {
    "database": ("数据库", "Database"),
    "file": ("电子文件", "Electronic file"),
    "spreadsheet": ("电子表格", "Spreadsheet"),
    "image": ("图形图像", "Graphics and images"),
    "stream": ("流媒体", "Streaming media"),
    "self_describing": ("自描述格式", "Self-describing format"),
}
FILE_FORMATS = frozenset({
    "csv", "xls", "xlsx", "json", "geojson", "xml", "txt", "pdf", "ofd", "doc", "docx", "wps", "et",
    "shp", "gpkg", "kml", "gml", "tif", "jpg", "png", "svg", "dwg", "mp4", "flv", "m3u8", "rtsp", "rdf", "zip",
})
SHARE_TYPES: dict[str, tuple[str, str]] = {
    "unconditional": ("无条件共享", "Shared unconditionally"),
    "conditional": ("有条件共享", "Shared on conditions"),
    "none": ("不予共享", "Not shared"),
}
SHARE_METHODS: dict[str, tuple[str, str]] = {"api": ("接口", "API"), "file": ("文件", "File")}
OPEN_TYPES: dict[str, tuple[str, str]] = {
    "unconditional": ("无条件开放", "Open unconditionally"),
    "conditional": ("有条件开放", "Open on conditions"),
    "none": ("不予开放", "Not open"),
}
UPDATE_CYCLES: dict[str, tuple[str, str]] = {
    "realtime": ("实时", "Real time"),
    "daily": ("每日", "Daily"),
    "weekly": ("每周", "Weekly"),
    "monthly": ("每月", "Monthly"),
    "quarterly": ("每季度", "Quarterly"),
    "yearly": ("每年", "Yearly"),
    "irregular": ("不定期", "Irregular"),
}
STATES: dict[str, tuple[str, str]] = {
    "draft": ("草稿", "Draft"),
    "submitted": ("待审核", "Submitted"),
    "returned": ("已退回", "Returned"),
    "published": ("已发布", "Published"),
    "withdrawn": ("已撤销", "Withdrawn"),
}

VOCABULARIES: dict[str, dict[str, tuple[str, str]]] = {
    "catalog_class": CATALOG_CLASSES,
    "format": FORMATS,
    "share_type": SHARE_TYPES,
    "share_method": SHARE_METHODS,
    "open_type": OPEN_TYPES,
    "update_cycle": UPDATE_CYCLES,
    "state": STATES,
}
FIELD_NAMES: dict[str, tuple[str, str]] = {
    "catalog_class": ("目录分类", "catalog class"),
    "subclass": ("分类项", "subclass"),
    "format": ("资源格式", "format"),
    "share_type": ("共享类型", "share type"),
    "share_method": ("共享方式", "share method"),
    "open_type": ("开放类型", "open type"),
    "update_cycle": ("更新周期", "update cycle"),
    "state": ("状态", "state"),
}


def normalise(field: str, value: object, vocab: dict[str, tuple[str, str]] | None = None) -> str:
    """The key of `value` in the field's vocabulary; accepts the key or its Chinese/English name."""
    vocab = vocab if vocab is not None else VOCABULARIES[field]
    text = str(value).strip() if value is not None else ""
    if text in vocab:
        return text
    for key, (zh, en) in vocab.items():
        if text == zh or text.lower() == en.lower():
            return key
    zh_field, en_field = FIELD_NAMES.get(field, (field, field))
    allowed_zh = "、".join(zh for zh, _ in vocab.values())
    raise Invalid(f"{zh_field}“{text}”无效，可选：{allowed_zh}",
                  f"invalid {en_field} '{text}'; allowed: {', '.join(vocab)}", field=field)


def subclasses_of(catalog_class: str) -> dict[str, tuple[str, str]]:
    """The 项 vocabulary of a class (none for the department class, whose 项 is the department kind)."""
    return {"base": BASE_SUBCLASSES, "theme": THEME_SUBJECTS}.get(catalog_class, {})


def label(field: str, key: str | None, lang: str = "zh-CN") -> str:
    """The display name of a vocabulary key in `lang` (the key itself when unknown)."""
    if key is None:
        return ""
    vocab = VOCABULARIES.get(field) or {**BASE_SUBCLASSES, **THEME_SUBJECTS}
    names = vocab.get(key)
    if not names:
        return key
    return names[1] if lang.startswith("en") else names[0]


ADVISORY_LOCK_BASE = 7_340_000_000_000  # keeps the catalog's advisory lock keys apart from other domains'
CODE_RE = re.compile(r"^(?P<cls>[1-3])(?P<item>\d{2})(?P<dept>\d{3})(?P<detail>\d{3})/(?P<seq>\d{6})$")


@dataclass(frozen=True)
class CodeParts:
    """The parts of a resource code."""

    catalog_class: str
    item: str  # 项
    department: str  # 目
    detail: str  # 细目
    sequence: int  # 顺序码

    @property
    def front(self) -> str:
        return f"{CLASS_DIGIT[self.catalog_class]}{self.item}{self.department}{self.detail}"


def parse_code(code: str) -> CodeParts:
    """Split a resource code into its parts; Invalid when it does not follow the structure."""
    m = CODE_RE.match(code or "")
    if not m:
        raise Invalid(f"资源代码“{code}”格式无效，应为 9 位前段码/6 位顺序码，如 101015001/000001",
                      f"resource code '{code}' is malformed; expected 9-digit front code/6-digit sequence, "
                      "e.g. 101015001/000001", field="code")
    cls = {v: k for k, v in CLASS_DIGIT.items()}[m["cls"]]
    return CodeParts(cls, m["item"], m["dept"], m["detail"], int(m["seq"]))


def department_number(code: str | None, dept_id: int) -> str:
    """目: the trailing digits of a department code such as 430100-015, else its id, as 3 digits."""
    m = re.search(r"-(\d{1,3})$", code or "")
    number = int(m.group(1)) if m else dept_id
    return f"{number % 1000:03d}"


def front_code(*, catalog_class: str, subclass: str | None, department_code: str | None,
               department_id: int, department_kind: str | None, detail_code: str = "001") -> str:
    """The 9-digit front code (类 项 目 细目) of a resource."""
    if catalog_class == "department":
        item = DEPARTMENT_KIND_DIGITS.get(department_kind or "bureau", "03")
    else:
        keys = list(subclasses_of(catalog_class))
        item = f"{keys.index(subclass) + 1:02d}" if subclass in keys else "00"
    return f"{CLASS_DIGIT[catalog_class]}{item}{department_number(department_code, department_id)}{detail_code}"


def next_code(db: Session, front: str) -> str:
    """The next free code under `front`: the highest sequence so far plus one."""
    from zhicheng.catalog.models import Resource

    # one registrar at a time until the transaction ends, so two never read the same highest sequence
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_BASE + int(front)})
    else:  # a write (of nothing) takes SQLite's write lock before the read below
        db.execute(update(Resource).where(Resource.id == -1).values(code=Resource.code))
    # codes under `front` are exactly those in [front + "/", front + "0") ("0" follows "/"); fixed-width
    # sequences make the greatest string the highest number, read from the unique index
    last = db.scalar(select(func.max(Resource.code)).where(Resource.code >= f"{front}/", Resource.code < f"{front}0"))
    highest = int(last.rsplit("/", 1)[1]) if last else 0
    if highest >= 999_999:
        raise Invalid("该分类下资源代码已用尽", "no resource codes left under this classification",
                      field="catalog_class")
    return f"{front}/{highest + 1:06d}"
