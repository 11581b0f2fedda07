"""The row protocol's parts on their own: the filter grammar parses or refuses (Invalid naming the field) any
query string, the keyset cursor comes back as it went out and refuses what it did not write."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhicheng.catalog.datasets.rowquery import cursor, filters, writers
from zhicheng.catalog.items import ItemSpec
from zhicheng.core.errors import Invalid

SPECS = {
    "station": ItemSpec(name="station", label="站点", type="string"),
    "day": ItemSpec(name="day", label="日期", type="date"),
    "aqi": ItemSpec(name="aqi", label="指数", type="integer"),
    "pm25": ItemSpec(name="pm25", label="PM2.5", type="decimal"),
    "ok": ItemSpec(name="ok", label="达标", type="boolean"),
    "contact": ItemSpec(name="contact", label="手机", type="string"),
}
KNOWN = {"fields", "sort", "after", "size", "format", "lang"}


def column(name, where, usage):
    if name not in SPECS:
        raise Invalid(f"{where}：字段 {name[:64]} 不存在", f"{where}: no field {name[:64]}", field=where)
    if usage and name == "contact":
        raise filters.refuse_masked(name, where, usage)
    return SPECS[name]


KEYS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(sorted(KNOWN)),
    st.builds(
        lambda c, o: f"filter[{c}][{o}]" if o else f"filter[{c}]",
        st.one_of(st.sampled_from(sorted(SPECS)), st.text(max_size=10)),
        st.one_of(st.sampled_from(filters.OPERATORS), st.text(max_size=6), st.just("")),
    ),
)
VALUES = st.one_of(st.text(max_size=60), st.sampled_from(["1", "-3", "2026-11-01", "true", "1.5", "a,b", "\x00", ""]))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(KEYS, VALUES), max_size=6))
def test_the_grammar_parses_or_refuses_any_query_string_naming_the_field(items):
    try:
        parsed = filters.parse(items, column=column, known=KNOWN, implicit=("_id",))
    except Invalid as exc:
        assert exc.field is not None, exc  # every refusal names the parameter at fault (the empty name too)
        return
    for name, op, _value in parsed.filters:
        assert name in SPECS and name != "contact" and op in filters.OPERATORS
    assert all(name in SPECS and name != "contact" for name, _ in parsed.sort)


def test_values_are_typed_and_bad_ones_name_their_parameter():
    parsed = filters.parse(
        [("filter[aqi][gte]", "60"), ("filter[station][in]", "岳麓山站,火车站站"), ("filter[day]", "2026-11-01"),
         ("filter[pm25][lt]", "12.5"), ("sort", "-aqi,station"), ("fields", "_id,station,aqi,station")],
        column=column, known=KNOWN, implicit=("_id",),
    )
    assert parsed.filters == [("aqi", "gte", 60), ("station", "in", ["岳麓山站", "火车站站"]),
                              ("day", "eq", date(2026, 11, 1)), ("pm25", "lt", Decimal("12.5"))]
    assert parsed.sort == [("aqi", True), ("station", False)] and parsed.fields == ["station", "aqi"]
    for items, field in [([("filter[aqi]", "x")], "filter[aqi]"), ([("filter[nope]", "1")], "filter[nope]"),
                         ([("filter[contact]", "1")], "filter[contact]"), ([("sort", "contact")], "sort"),
                         ([("filter[aqi][like]", "1")], "filter[aqi][like]"), ([("size", "1"), ("size", "2")], "size"),
                         ([("filter[station][in]", ",".join(["a"] * 101))], "filter[station][in]"),
                         ([("bogus", "1")], "bogus"), ([("fields", " , ")], "fields")]:
        with pytest.raises(Invalid) as exc:
            filters.parse(items, column=column, known=KNOWN)
        assert exc.value.field == field, items


def test_the_cursor_comes_back_as_it_went_out():
    sort = [("day", True), ("pm25", False), ("station", False)]
    key = [date(2026, 11, 3), Decimal("12.5"), None, 41]
    assert cursor.decode(cursor.encode(key), sort, SPECS) == key
    assert cursor.decode(cursor.encode([7]), [], SPECS) == [7]


def _forge(values) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


@pytest.mark.parametrize("text", [
    "x", "", "!!!!", "x" * 5000, _forge({"a": 1}), _forge([1]), _forge(["岳麓山站", 1, 2]),  # malformed, wrong length
    _forge(["岳麓山站", -1]), _forge(["岳麓山站", 2**31]), _forge(["岳麓山站", 2**40]),  # row numbers out of range
    _forge(["岳麓山站", True]), _forge(["岳麓山站", "3"]), _forge([{"a": 1}, 3]), _forge([[1], 3]),
    _forge([True, 3]), _forge([1.5, 3]),  # values encode never writes
])
def test_a_tampered_cursor_is_refused(text):
    with pytest.raises(Invalid) as exc:
        cursor.decode(text, [("station", False)], SPECS)
    assert exc.value.field == "after"
    good = cursor.encode(["岳麓山站", 3])
    with pytest.raises(Invalid):
        cursor.decode(good, [("aqi", False)], {"aqi": SPECS["aqi"]})  # a cursor of other sort keys


def test_writers_are_formula_safe_and_a_download_has_a_bom():
    text = writers.csv_text(["a", "=b"], [["=1+1", -3], [None, "x"]])
    assert text == "a,'=b\r\n'=1+1,-3\r\n,x\r\n"
    chunks = list(writers.csv_chunks(["a"], [["@x"]] * 3, every=2))
    assert chunks[0].startswith("\ufeffa\r\n'@x\r\n") and "".join(chunks).count("'@x") == 3
    assert orjson.loads(writers.json_records(["a", "b"], [(Decimal("1.50"), date(2026, 1, 2))])) == [
        {"a": "1.50", "b": "2026-01-02"}]
