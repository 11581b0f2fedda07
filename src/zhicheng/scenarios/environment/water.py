"""GB 3838-2002 surface water class (I, II, III, IV, V, 劣V) by single-factor assessment: each basic parameter of
Table 1 gets the best class whose limit it meets, the water gets the worst of them (单因子评价)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any, Literal

from zhicheng.core.errors import Invalid
from zhicheng.scenarios.environment.values import exact, is_missing, plain

STANDARD = "GB 3838-2002"
CLASSES: tuple[str, ...] = ("I", "II", "III", "IV", "V", "劣V")
CLASS_EN = {"I": "Class I", "II": "Class II", "III": "Class III", "IV": "Class IV", "V": "Class V",
            "劣V": "Worse than Class V"}
# what each class is for (GB 3838-2002, 3 水域功能和标准分类)
CLASS_USES = {
    "I": ("主要适用于源头水、国家自然保护区", "headwaters, national nature reserves"),
    "II": ("主要适用于集中式生活饮用水地表水源地一级保护区、珍稀水生生物栖息地、鱼虾类产卵场、仔稚幼鱼的索饵场等",
           "first-grade protection zones of drinking-water sources, habitats of rare aquatic life, spawning and "
           "nursery grounds"),
    "III": ("主要适用于集中式生活饮用水地表水源地二级保护区、鱼虾类越冬场、洄游通道、水产养殖区等渔业水域及游泳区",
            "second-grade protection zones of drinking-water sources, fisheries, aquaculture and swimming"),
    "IV": ("主要适用于一般工业用水区及人体非直接接触的娱乐用水区", "general industrial water and recreation without "
           "direct body contact"),
    "V": ("主要适用于农业用水区及一般景观要求水域", "agricultural water and general landscape water"),
    "劣V": ("劣于 V 类：不能满足任何一类功能", "worse than Class V: fit for none of the uses"),
}
WaterBody = Literal["river", "lake"]
WATER_BODIES = {"river": ("河流", "river"), "lake": ("湖泊、水库", "lake or reservoir")}


@dataclass(frozen=True)
class Parameter:
    """A basic parameter of Table 1 with its class I-V limits (mg/L unless said)."""

    key: str
    number: int  # 序号 in Table 1
    name: str
    name_en: str
    unit: str
    sense: str  # "max": at most the limit; "min": at least the limit (DO); "range": within it (pH)
    limits: tuple[Any, ...]  # classes I..V; for "range" one (low, high) for all five
    lake_limits: tuple[Any, ...] | None = None  # lakes and reservoirs where they differ (TP)
    lakes_only: bool = False  # TN: Table 1 gives it for lakes and reservoirs


def _f(*values: str) -> tuple[Fraction, ...]:
    return tuple(Fraction(v) for v in values)


# GB 3838-2002 Table 1 (水温, item 1, is a limit on man-made change, not a class: not here)
PARAMETERS: dict[str, Parameter] = {p.key: p for p in (
    Parameter("ph", 2, "pH 值", "pH", "无量纲", "range", ((Fraction(6), Fraction(9)),)),
    Parameter("do", 3, "溶解氧", "dissolved oxygen", "mg/L", "min", _f("7.5", "6", "5", "3", "2")),
    Parameter("codmn", 4, "高锰酸盐指数", "permanganate index (CODMn)", "mg/L", "max", _f("2", "4", "6", "10", "15")),
    Parameter("cod", 5, "化学需氧量", "chemical oxygen demand (COD)", "mg/L", "max", _f("15", "15", "20", "30", "40")),
    Parameter("bod5", 6, "五日生化需氧量", "five-day biochemical oxygen demand (BOD5)", "mg/L", "max",
              _f("3", "3", "4", "6", "10")),
    Parameter("nh3n", 7, "氨氮", "ammonia nitrogen (NH3-N)", "mg/L", "max", _f("0.15", "0.5", "1.0", "1.5", "2.0")),
    Parameter("tp", 8, "总磷", "total phosphorus (as P)", "mg/L", "max", _f("0.02", "0.1", "0.2", "0.3", "0.4"),
              lake_limits=_f("0.01", "0.025", "0.05", "0.1", "0.2")),
    Parameter("tn", 9, "总氮", "total nitrogen (as N)", "mg/L", "max", _f("0.2", "0.5", "1.0", "1.5", "2.0"),
              lakes_only=True),
    Parameter("cu", 10, "铜", "copper", "mg/L", "max", _f("0.01", "1.0", "1.0", "1.0", "1.0")),
    Parameter("zn", 11, "锌", "zinc", "mg/L", "max", _f("0.05", "1.0", "1.0", "2.0", "2.0")),
    Parameter("fluoride", 12, "氟化物", "fluoride (as F-)", "mg/L", "max", _f("1.0", "1.0", "1.0", "1.5", "1.5")),
    Parameter("se", 13, "硒", "selenium", "mg/L", "max", _f("0.01", "0.01", "0.01", "0.02", "0.02")),
    Parameter("arsenic", 14, "砷", "arsenic", "mg/L", "max", _f("0.05", "0.05", "0.05", "0.1", "0.1")),
    Parameter("hg", 15, "汞", "mercury", "mg/L", "max", _f("0.00005", "0.00005", "0.0001", "0.001", "0.001")),
    Parameter("cd", 16, "镉", "cadmium", "mg/L", "max", _f("0.001", "0.005", "0.005", "0.005", "0.01")),
    Parameter("cr6", 17, "铬（六价）", "chromium (VI)", "mg/L", "max", _f("0.01", "0.05", "0.05", "0.05", "0.1")),
    Parameter("pb", 18, "铅", "lead", "mg/L", "max", _f("0.01", "0.01", "0.05", "0.05", "0.1")),
    Parameter("cyanide", 19, "氰化物", "cyanide", "mg/L", "max", _f("0.005", "0.05", "0.2", "0.2", "0.2")),
    Parameter("volatile_phenol", 20, "挥发酚", "volatile phenols", "mg/L", "max",
              _f("0.002", "0.002", "0.005", "0.01", "0.1")),
    Parameter("petroleum", 21, "石油类", "petroleum", "mg/L", "max", _f("0.05", "0.05", "0.05", "0.5", "1.0")),
    Parameter("las", 22, "阴离子表面活性剂", "anionic surfactants", "mg/L", "max", _f("0.2", "0.2", "0.2", "0.3", "0.3")),
    Parameter("sulfide", 23, "硫化物", "sulfide", "mg/L", "max", _f("0.05", "0.1", "0.2", "0.5", "1.0")),
    Parameter("fecal_coliform", 24, "粪大肠菌群", "faecal coliforms", "个/L", "max",
              _f("200", "2000", "10000", "20000", "40000")),
)}


def limits_for(p: Parameter, water_body: str) -> tuple[Any, ...]:
    return p.lake_limits if (water_body == "lake" and p.lake_limits) else p.limits


def class_of(p: Parameter, value: Fraction, water_body: str = "river") -> int:
    """The best class (0 for I … 4 for V, 5 for 劣V) whose limit `value` meets: ≤ the limit, ≥ it for dissolved
    oxygen, within 6-9 for pH. A value equal to a limit meets it."""
    limits = limits_for(p, water_body)
    if p.sense == "range":
        low, high = limits[0]
        return 0 if low <= value <= high else 5
    for i, limit in enumerate(limits):
        if (value >= limit) if p.sense == "min" else (value <= limit):
            return i
    return 5


def limit_text(p: Parameter, cls: int, water_body: str) -> str | None:
    """The limit of class `cls` as the table prints it ('≤0.2', '≥5', '6~9'); None for 劣V."""
    if cls >= 5:
        return None
    limits = limits_for(p, water_body)
    if p.sense == "range":
        low, high = limits[0]
        return f"{plain(low)}~{plain(high)}"
    return ("≥" if p.sense == "min" else "≤") + str(plain(limits[cls]))


@dataclass
class ParameterClass:
    parameter: str
    number: int
    name: str
    name_en: str
    unit: str
    value: int | float
    water_class: str
    limit: str | None  # the limit of the class it falls in
    counted: bool = True  # False: reported, but not in the water's class (TN of a river)
    exceeds_target: bool = False
    target_limit: str | None = None
    exceedance_multiple: float | None = None  # 超标倍数 (value − limit) / limit, for "at most" limits


@dataclass
class WaterResult:
    water_body: str
    water_class: str
    water_class_en: str
    use: str
    use_en: str
    deciding: list[str]  # the parameters in the water's (worst) class
    target: str | None
    meets_target: bool | None
    exceeding: list[str]  # parameters worse than the target class, worst first
    parameters: dict[str, ParameterClass]
    notes: list[dict[str, str]] = field(default_factory=list)
    standard: str = STANDARD

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_value(p: Parameter, raw: object) -> Fraction:
    value = exact(raw, field=p.key, name=p.name, name_en=p.name_en)
    if p.key == "ph" and value > 14:
        raise Invalid(f"pH 值应在 0~14 之间，收到 {raw}", f"pH must be between 0 and 14, got {raw}", code="out_of_range",
                      field="ph")
    return value


def classify(values: Mapping[str, object], *, water_body: str = "river", target: str | None = "III") -> WaterResult:
    """The class of a water sample (or an automatic station's reading) from the parameters given, the deciding
    parameters, and those worse than `target` (a class I-V, or None). TP is read against the lake/reservoir limits
    for `water_body="lake"`; TN, which Table 1 gives for lakes and reservoirs, is reported for a river but does not
    decide its class. Invalid names the first unknown, negative or non-finite parameter."""
    if water_body not in WATER_BODIES:
        raise Invalid(f"水体类型应为 river（河流）或 lake（湖泊、水库），收到“{water_body}”",
                      f"water_body must be river or lake (lake or reservoir), got '{water_body}'", field="water_body")
    if target is not None and target not in CLASSES[:5]:
        raise Invalid(f"目标类别应为 I、II、III、IV 或 V，收到“{target}”",
                      f"target must be I, II, III, IV or V, got '{target}'", field="target")
    given: dict[str, Fraction] = {}
    for key, raw in values.items():
        if key not in PARAMETERS:
            raise Invalid(f"GB 3838 表1 没有参数 {key}（可用：{'、'.join(PARAMETERS)}）",
                          f"GB 3838 Table 1 has no parameter {key} (it has {', '.join(PARAMETERS)})",
                          code="unknown_parameter", field=key)
        if not is_missing(raw):
            given[key] = _check_value(PARAMETERS[key], raw)
    if not given:
        raise Invalid("请至少给出一项水质参数", "give at least one water quality parameter", code="no_parameter",
                      errors=[{"field": k, "message": "missing"} for k in PARAMETERS])
    notes: list[dict[str, str]] = []
    out: dict[str, ParameterClass] = {}
    target_index = CLASSES.index(target) if target else None
    for key in PARAMETERS:  # in Table 1's order
        if key not in given:
            continue
        p, value = PARAMETERS[key], given[key]
        cls = class_of(p, value, water_body)
        counted = not (p.lakes_only and water_body != "lake")
        row = ParameterClass(key, p.number, p.name, p.name_en, p.unit, plain(value), CLASSES[cls],
                             limit_text(p, cls, water_body), counted)
        if counted and target_index is not None and cls > target_index:
            row.exceeds_target = True
            row.target_limit = limit_text(p, target_index, water_body)
            if p.sense == "max":
                limit = limits_for(p, water_body)[target_index]
                row.exceedance_multiple = round(float((value - limit) / limit), 2)
        out[key] = row
    if "tn" in out and not out["tn"].counted:
        notes.append({"zh": "总氮的标准限值适用于湖泊、水库（GB 3838 表1 第9项）：河流的总氮只列出对应类别，不参与定类",
                      "en": "the total nitrogen limits are for lakes and reservoirs (GB 3838 Table 1, item 9): a "
                            "river's TN class is shown but does not decide its class"})
    counted_rows = [r for r in out.values() if r.counted]
    if not counted_rows:
        raise Invalid("河流的总氮不参与定类：请再给出至少一项其他参数", "a river's TN does not decide its class: give "
                      "at least one other parameter", code="no_parameter", field="tn")
    worst = max(CLASSES.index(r.water_class) for r in counted_rows)
    deciding = [r.parameter for r in counted_rows if CLASSES.index(r.water_class) == worst]
    exceeding = sorted((r.parameter for r in counted_rows if r.exceeds_target),
                       key=lambda k: (-CLASSES.index(out[k].water_class), -(out[k].exceedance_multiple or 0)))
    water_class = CLASSES[worst]
    missing = [k for k in ("ph", "do", "codmn", "nh3n", "tp") if k not in given]
    if missing:
        notes.append({"zh": "自动站常测的参数未给出：" + "、".join(PARAMETERS[k].name for k in missing) +
                            "：类别只依据已给出的参数",
                      "en": "parameters an automatic station usually measures were not given: " +
                            ", ".join(PARAMETERS[k].name_en for k in missing) + "; the class rests on those given"})
    use, use_en = CLASS_USES[water_class]
    return WaterResult(water_body=water_body, water_class=water_class, water_class_en=CLASS_EN[water_class], use=use,
                       use_en=use_en, deciding=deciding, target=target,
                       meets_target=None if target_index is None else worst <= target_index, exceeding=exceeding,
                       parameters=out, notes=notes)
