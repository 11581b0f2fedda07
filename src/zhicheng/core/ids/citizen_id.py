"""GB 11643 citizen identity numbers (公民身份号码): parse with exact errors, fast check, generate, 15 -> 18."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from zhicheng.core import clock
from zhicheng.core.errors import Invalid
from zhicheng.core.ids import regions

WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
CHECK_CHARS = "10X98765432"  # check character for (sum of weighted digits) mod 11
EARLIEST = date(1900, 1, 1)
SEX_ZH = {"M": "男", "F": "女"}


@dataclass(frozen=True, slots=True)
class CitizenIdInfo:
    """What an identity number says: the normalised 18-character number and the facts coded in it."""

    number: str
    region_code: str
    birth_date: date
    sequence: str
    sex: str  # "M" or "F"
    check: str
    legacy: str | None  # the 15-digit number it was converted from, if any
    region_name: str | None
    region_path: list[str]
    region_retired: bool
    region_valid_at_birth: bool

    def to_dict(self) -> dict:
        return {
            "number": self.number,
            "region_code": self.region_code,
            "region_name": self.region_name,
            "region_path": self.region_path,
            "region_retired": self.region_retired,
            "region_valid_at_birth": self.region_valid_at_birth,
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex,
            "sex_zh": SEX_ZH[self.sex],
            "sequence": self.sequence,
            "check": self.check,
            "legacy": self.legacy,
        }


def check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for 17 digits."""
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def _chunk_table(weights: tuple[int, ...]) -> dict[str, int]:
    """Every digit string of len(weights) -> its weighted sum mod 11 (lets is_valid sum 17 digits in 6 lookups)."""
    width = len(weights)
    return {f"{n:0{width}d}": sum(int(d) * w for d, w in zip(f"{n:0{width}d}", weights, strict=True)) % 11
            for n in range(10 ** width)}


_T0: dict[str, int] = {}
_T1 = _T2 = _T3 = _T4 = _T5 = _T0
_DATES: frozenset[str] = frozenset()
_REGIONS: frozenset[str] = frozenset()
_TODAY_UNTIL = 0.0  # is_valid prepares its tables on the first call (imports stay cheap), and again each day


def _prepare() -> None:
    """The lookup tables of is_valid: digit chunks, region codes, every birth date from 1900-01-01 to today
    (by the wall clock, UTC; parse() uses zhicheng.core.clock)."""
    global _T0, _T1, _T2, _T3, _T4, _T5, _DATES, _REGIONS, _TODAY_UNTIL
    if not _REGIONS:
        tables = [_chunk_table(WEIGHTS[i:i + 3]) for i in range(0, 15, 3)] + [_chunk_table(WEIGHTS[15:17])]
        _T0, _T1, _T2, _T3, _T4, _T5 = tables
        _REGIONS = regions.all_codes()
    now = time.time()
    today = datetime.fromtimestamp(now, UTC).date()
    day, out = EARLIEST, []
    while day <= today:
        out.append(day.strftime("%Y%m%d"))
        day += timedelta(days=1)
    _DATES = frozenset(out)
    _TODAY_UNTIL = now - now % 86400 + 86400


def is_valid(value: object, *, legacy: bool = True) -> bool:
    """Fast yes/no for an import's hot loop: length, digits, birth date, region ever valid, check digit.

    A legacy 15-digit number (no check digit) is accepted unless legacy=False.
    """
    if time.time() > _TODAY_UNTIL:
        _prepare()
    if type(value) is not str:
        return False
    if len(value) != 18:
        return (legacy and len(value) == 15 and value.isascii() and value.isdigit()
                and "19" + value[6:12] in _DATES and value[:6] in _REGIONS)
    try:
        total = _T0[value[0:3]] + _T1[value[3:6]] + _T2[value[6:9]] + _T3[value[9:12]] + _T4[value[12:15]] \
            + _T5[value[15:17]]
    except KeyError:
        return False
    last = value[17]
    if last != CHECK_CHARS[total % 11] and not (last == "x" and total % 11 == 2):
        return False
    return value[6:14] in _DATES and value[:6] in _REGIONS


def _fail(zh: str, en: str, field: str = "value") -> Invalid:
    return Invalid(zh, en, code="invalid_citizen_id", field=field)


def _birth_date(text: str) -> date:
    try:
        born = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise _fail(f"出生日期 {text} 不是有效日期", f"birth date {text} is not a real date") from None
    if born < EARLIEST:
        raise _fail(f"出生日期 {born} 早于 1900 年", f"birth date {born} is before 1900")
    if born > clock.now().date():
        raise _fail(f"出生日期 {born} 在未来", f"birth date {born} is in the future")
    return born


def upgrade(value: str) -> str:
    """The 18-character number for a legacy 15-digit one (born 19xx; check character added)."""
    first17 = value[:6] + "19" + value[6:]
    return first17 + check_char(first17)


def parse(value: object) -> CitizenIdInfo:
    """Check a citizen identity number and say what it holds; raises Invalid saying exactly what is wrong."""
    if not isinstance(value, str):
        raise _fail("身份证号码必须是文本", "the citizen ID number must be text")
    text = value.strip().replace(" ", "")
    legacy = None
    if len(text) == 15:
        if not (text.isascii() and text.isdigit()):
            raise _fail("15 位身份证号码只能由数字组成", "a 15-digit citizen ID number may hold digits only")
        legacy, text = text, upgrade(text)
    elif len(text) != 18:
        raise _fail(f"身份证号码应为 18 位（或旧式 15 位），实际 {len(text)} 位",
                    f"a citizen ID number has 18 characters (or 15 for the old form), got {len(text)}")
    text = text[:17] + text[17].upper()
    if not (text[:17].isascii() and text[:17].isdigit()):
        bad = next(i for i, ch in enumerate(text[:17]) if not ("0" <= ch <= "9"))
        raise _fail(f"身份证号码前 17 位只能是数字，第 {bad + 1} 位是“{text[bad]}”",
                    f"the first 17 characters must be digits; character {bad + 1} is '{text[bad]}'")
    if text[17] not in "0123456789X":
        raise _fail(f"身份证号码第 18 位（校验码）只能是数字或 X，实际是“{text[17]}”",
                    f"the 18th character (check) must be a digit or X, got '{text[17]}'")
    born = _birth_date(text[6:14])
    code = text[:6]
    region = regions.lookup(code)
    if region is None:
        raise _fail(f"地址码 {code} 不是任何时期的 GB/T 2260 行政区划代码",
                    f"region code {code} is not a GB/T 2260 code of any period")
    expected = check_char(text[:17])
    if legacy is None and text[17] != expected:
        raise _fail(f"校验码错误：第 18 位应为 {expected}，实际为 {text[17]}",
                    f"wrong check character: the 18th character should be {expected}, got {text[17]}")
    at_birth = regions.lookup(code, born)
    shown = at_birth or region
    return CitizenIdInfo(
        number=text, region_code=code, birth_date=born, sequence=text[14:17],
        sex="M" if int(text[16]) % 2 else "F", check=text[17], legacy=legacy,
        region_name=shown.name, region_path=regions.path(code, on=born if at_birth else None),
        region_retired=not regions.is_valid_code(code), region_valid_at_birth=at_birth is not None)


def make(region_code: str, birth: date, seq: int, sex: str) -> str:
    """A valid number for demo data: region, birth date, a sequence 0-499 (its parity set by sex M/F)."""
    if not regions.known(region_code) or len(region_code) != 6:
        raise Invalid(f"地址码 {region_code} 不是 GB/T 2260 区划代码", f"region code {region_code} is not a GB/T 2260 code",
                      field="region_code")
    if not (EARLIEST <= birth <= clock.now().date()):
        raise Invalid("出生日期须在 1900 年至今之间", "birth date must be between 1900 and today", field="birth")
    if sex not in ("M", "F"):
        raise Invalid("性别须为 M 或 F", "sex must be M or F", field="sex")
    if not 0 <= seq <= 499:
        raise Invalid("顺序号须在 0 至 499 之间", "seq must be between 0 and 499", field="seq")
    order = seq * 2 + (1 if sex == "M" else 0)
    first17 = f"{region_code}{birth:%Y%m%d}{order:03d}"
    return first17 + check_char(first17)
