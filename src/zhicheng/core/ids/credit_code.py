"""GB 32100 unified social credit codes (统一社会信用代码): parse with exact errors, fast check, generate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from zhicheng.core.errors import Invalid
from zhicheng.core.ids import regions

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, Z, S, V
VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code
ORG_VALUE = {ch: (int(ch) if ch.isdigit() else ord(ch) - 55) for ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}

# registration authority (登记管理部门) -> (zh, en, {organisation type: (zh, en)}), GB 32100 table 1
AUTHORITIES: dict[str, tuple[str, str, dict[str, tuple[str, str]]]] = {
    "1": ("机构编制", "institutional staffing", {"1": ("机关", "government body"), "2": ("事业单位", "public institution"),
          "3": ("中央编办直接管理机构编制的群众团体", "mass organisation staffed by the central office"),
          "9": ("其他", "other")}),
    "2": ("外交", "foreign affairs", {"1": ("外国常驻新闻机构", "resident foreign news agency"), "9": ("其他", "other")}),
    "3": ("司法行政", "justice administration", {"1": ("律师执业机构", "law firm"), "2": ("公证处", "notary office"),
          "3": ("基层法律服务所", "grassroots legal service office"), "4": ("司法鉴定机构", "forensic institution"),
          "5": ("仲裁委员会", "arbitration commission"), "9": ("其他", "other")}),
    "4": ("文化", "culture", {"1": ("外国在华文化中心", "foreign cultural centre in China"), "9": ("其他", "other")}),
    "5": ("民政", "civil affairs", {"1": ("社会团体", "social organisation"), "2": ("民办非企业单位", "private non-enterprise unit"),
          "3": ("基金会", "foundation"), "9": ("其他", "other")}),
    "6": ("旅游", "tourism", {"1": ("外国旅游部门常驻代表机构", "resident office of a foreign tourism authority"),
          "2": ("港澳台地区旅游部门常驻内地（大陆）代表机构", "resident office of a Hong Kong, Macao or Taiwan tourism authority"),
          "9": ("其他", "other")}),
    "7": ("宗教", "religious affairs", {"1": ("宗教活动场所", "place of religious activity"),
          "2": ("宗教院校", "religious school"), "9": ("其他", "other")}),
    "8": ("工会", "trade unions", {"1": ("基层工会", "grassroots trade union"), "9": ("其他", "other")}),
    "9": ("工商", "industry and commerce", {"1": ("企业", "enterprise"), "2": ("个体工商户", "individual business"),
          "3": ("农民专业合作社", "farmers' cooperative")}),
    "A": ("中央军委改革和编制办公室", "CMC reform and staffing office", {"1": ("军队事业单位", "military public institution"),
          "9": ("其他", "other")}),
    "N": ("农业", "agriculture", {"1": ("组级集体经济组织", "group-level collective economic organisation"),
          "2": ("村级集体经济组织", "village-level collective economic organisation"),
          "3": ("乡镇级集体经济组织", "township-level collective economic organisation"), "9": ("其他", "other")}),
    "Y": ("其他", "other", {"1": ("其他", "other")}),
}
_PAIRS = frozenset(a + t for a, (_zh, _en, types) in AUTHORITIES.items() for t in types)


@dataclass(frozen=True, slots=True)
class CreditCodeInfo:
    """What a credit code says; `warnings` holds checksum failures tolerated in legacy="warn" mode."""

    code: str
    authority: str
    authority_name: tuple[str, str]
    org_type: str
    org_type_name: tuple[str, str]
    region_code: str
    region_name: str | None
    region_path: list[str]
    region_retired: bool
    org_code: str  # GB 11714, written as XXXXXXXX-C
    check: str
    warnings: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "authority": self.authority, "authority_zh": self.authority_name[0], "authority_en": self.authority_name[1],
            "org_type": self.org_type, "org_type_zh": self.org_type_name[0], "org_type_en": self.org_type_name[1],
            "region_code": self.region_code, "region_name": self.region_name, "region_path": self.region_path,
            "region_retired": self.region_retired,
            "org_code": self.org_code,
            "check": self.check,
            "warnings": self.warnings,
        }


def org_check_char(body: str) -> str:
    """The GB 11714 check character for an 8-character organisation code body."""
    rest = 11 - sum(ORG_VALUE[ch] * w for ch, w in zip(body, ORG_WEIGHTS, strict=True)) % 11
    return "X" if rest == 10 else ("0" if rest == 11 else str(rest))


def check_char(first17: str) -> str:
    """The GB 32100 check character (MOD 31) for the first 17 characters."""
    return ALPHABET[(31 - sum(VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True)) % 31) % 31]


def _pair_table(weights: tuple[int, ...], modulus: int, values: dict[str, int]) -> dict[str, int]:
    """Every string of len(weights) code characters -> its weighted sum mod `modulus` (fewer steps per code)."""
    keys = [""]
    for _ in weights:
        keys = [k + ch for k in keys for ch in ALPHABET]
    return {k: sum(values[ch] * w for ch, w in zip(k, weights, strict=True)) % modulus for k in keys}


_SUM: list[dict[str, int]] = []
_ORG_CHECK = ["0" if r == 0 else ("X" if r == 1 else str(11 - r)) for r in range(11)]  # by weighted sum mod 11
_REGIONS: frozenset[str] = frozenset()


def _prepare() -> None:
    """The lookup tables of is_valid, built on its first call so that importing stays cheap.

    Characters 9-16 (the organisation code body) carry both sums: mod 31 in the low 9 bits, mod 11 above.
    """
    global _SUM, _REGIONS
    tables = [_pair_table(WEIGHTS[i:i + 2], 31, VALUE) for i in range(0, 17, 2)]
    for n in range(4):
        org = _pair_table(ORG_WEIGHTS[2 * n:2 * n + 2], 11, ORG_VALUE)
        tables[4 + n] = {k: v + (org[k] << 9) for k, v in tables[4 + n].items()}
    _REGIONS = regions.all_codes() | {regions.NATIONAL}
    _SUM = tables


def is_valid(value: object) -> bool:
    """Fast yes/no: length, alphabet, authority and type, region, organisation code check, MOD 31 check."""
    if not _SUM:
        _prepare()
    if type(value) is not str or len(value) != 18:
        return False
    s0, s1, s2, s3, s4, s5, s6, s7, s8 = _SUM
    try:
        body = s4[value[8:10]] + s5[value[10:12]] + s6[value[12:14]] + s7[value[14:16]]
        total = s0[value[0:2]] + s1[value[2:4]] + s2[value[4:6]] + s3[value[6:8]] + (body & 511) + s8[value[16]]
        if (31 - total % 31) % 31 != VALUE[value[17]]:
            return False
    except KeyError:
        return False
    return _ORG_CHECK[(body >> 9) % 11] == value[16] and value[:2] in _PAIRS and value[2:8] in _REGIONS


def _fail(zh: str, en: str) -> Invalid:
    return Invalid(zh, en, code="invalid_credit_code", field="value")


def parse(value: object, legacy: Literal["error", "warn"] = "error") -> CreditCodeInfo:
    """Check a unified social credit code and say what it holds; raises Invalid saying exactly what is wrong.

    legacy="warn" accepts a code whose only fault is a check character (codes issued before the check was
    enforced are lawful) and lists the fault in `warnings`.
    """
    if legacy not in ("error", "warn"):
        raise Invalid("legacy 只能是 error 或 warn", "legacy must be error or warn", field="legacy")
    if not isinstance(value, str):
        raise _fail("统一社会信用代码必须是文本", "the credit code must be text")
    text = value.strip().replace(" ", "").upper()
    if len(text) != 18:
        raise _fail(f"统一社会信用代码应为 18 位，实际 {len(text)} 位", f"a credit code has 18 characters, got {len(text)}")
    for i, ch in enumerate(text):
        if ch not in VALUE:
            raise _fail(f"第 {i + 1} 位“{ch}”不在代码字符集中（数字和除 I、O、Z、S、V 外的大写字母）",
                        f"character {i + 1} '{ch}' is not allowed (digits and capitals except I, O, Z, S, V)")
    auth = AUTHORITIES.get(text[0])
    if auth is None:
        raise _fail(f"登记管理部门代码“{text[0]}”无效，应为 {'、'.join(AUTHORITIES)} 之一",
                    f"registration authority '{text[0]}' is not one of {', '.join(AUTHORITIES)}")
    org_type = auth[2].get(text[1])
    if org_type is None:
        raise _fail(f"机构类别代码“{text[1]}”对登记管理部门 {text[0]}（{auth[0]}）无效，应为 {'、'.join(auth[2])} 之一",
                    f"organisation type '{text[1]}' is not valid for authority {text[0]} ({auth[1]}); "
                    f"expected one of {', '.join(auth[2])}")
    code = text[2:8]
    region = regions.lookup(code)
    if code != regions.NATIONAL and region is None:
        raise _fail(f"登记管理机关行政区划码 {code} 不是 GB/T 2260 区划代码",
                    f"region code {code} is not a GB/T 2260 code")
    warnings: list[dict] = []
    org_expected = org_check_char(text[8:16])
    faults = []
    if org_expected != text[16]:
        faults.append((f"组织机构代码校验码错误：第 17 位应为 {org_expected}，实际为 {text[16]}",
                       f"wrong organisation code check: character 17 should be {org_expected}, got {text[16]}"))
    expected = check_char(text[:17])
    if expected != text[17]:
        faults.append((f"校验码错误：第 18 位应为 {expected}，实际为 {text[17]}",
                       f"wrong check character: character 18 should be {expected}, got {text[17]}"))
    if faults and legacy == "error":
        raise _fail(*faults[0])
    warnings = [{"zh": zh, "en": en, "field": "value"} for zh, en in faults]
    return CreditCodeInfo(
        code=text, authority=text[0], authority_name=auth[:2], org_type=text[1], org_type_name=org_type,
        region_code=code, region_name=region.name if region else "全国",
        region_path=regions.path(code) if region else ["全国"],
        region_retired=bool(region and not regions.is_valid_code(code)),
        org_code=f"{text[8:16]}-{text[16]}", check=text[17], warnings=warnings)


def make(authority: str, org_type: str, region_code: str, body: str) -> str:
    """A valid code from its parts: authority, organisation type, 6-digit region, 8-character body."""
    auth = AUTHORITIES.get(authority)
    if auth is None:
        raise Invalid(f"登记管理部门代码“{authority}”无效", f"unknown registration authority '{authority}'",
                      field="authority")
    if org_type not in auth[2]:
        raise Invalid(f"机构类别代码“{org_type}”无效", f"organisation type '{org_type}' not valid for {authority}",
                      field="org_type")
    if region_code != regions.NATIONAL and (len(region_code) != 6 or not regions.known(region_code)):
        raise Invalid(f"区划代码 {region_code} 无效", f"region code {region_code} is not a GB/T 2260 code",
                      field="region_code")
    if len(body) != 8 or any(ch not in VALUE for ch in body):
        raise Invalid("主体标识码须为 8 位代码字符", "body must be 8 characters of the code alphabet", field="body")
    first17 = authority + org_type + region_code + body + org_check_char(body)
    return first17 + check_char(first17)
