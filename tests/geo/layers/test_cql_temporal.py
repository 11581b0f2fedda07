"""CQL2's 15 temporal functions (text and JSON) through OGC API - Features, against Allen's relations computed in
Python: on the parks' build dates (a date property is an instant) and on a layer of city events with start and end
dates and times (INTERVAL(start, end) of properties, property against property, either argument order, open ends).
A temporal operator on a text item, on no property, or on a date and a datetime together is a 400."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from tests.geo.layers.conftest import PARKS, point
from zhicheng.catalog.datasets import service as datasets
from zhicheng.geo.layers import features_api, service

BASE = "/ogc/features"
BUILT = {p[0]: (date.fromisoformat(p[4]) if p[4] else None) for p in PARKS}
BEIJING = timezone(timedelta(hours=8))

EVENT_ITEMS = [
    {"name": "mc", "label": "活动", "type": "string", "length": 50, "required": True},
    {"name": "ks", "label": "开始日期", "type": "date"},
    {"name": "js", "label": "结束日期", "type": "date"},
    {"name": "kssj", "label": "开始时间", "type": "datetime"},
    {"name": "jssj", "label": "结束时间", "type": "datetime"},
    {"name": "dd", "label": "地点", "type": "geometry"},
]
# each named for its relation to March 2020 ([03-01, 03-31]); N and S are single days, P has no end, Q no dates
EVENTS = {
    "A 之前": ("2020-01-01", "2020-01-31"), "B 相接": ("2020-02-01", "2020-03-01"),
    "C 交叠": ("2020-02-15", "2020-03-15"), "D 同始": ("2020-03-01", "2020-03-10"),
    "E 期间": ("2020-03-10", "2020-03-20"), "F 同终": ("2020-03-20", "2020-03-31"),
    "G 相等": ("2020-03-01", "2020-03-31"), "H 终于": ("2020-02-15", "2020-03-31"),
    "I 包含": ("2020-02-15", "2020-04-15"), "J 始于": ("2020-03-01", "2020-04-15"),
    "K 被交叠": ("2020-03-15", "2020-04-15"), "L 被相接": ("2020-03-31", "2020-04-30"),
    "M 之后": ("2020-05-01", "2020-05-31"), "N 首日": ("2020-03-01", "2020-03-01"),
    "S 一日": ("2020-03-15", "2020-03-15"), "P 未结束": ("2020-03-05", None), "Q 未定": (None, None),
}
MARCH = ("i", "2020-03-01", "2020-03-31")
EVENT_SPAN = ("i", ("p", "ks"), ("p", "js"))
# what each function selects of EVENTS against MARCH, worked out by hand from the standard's definitions
BY_HAND = {
    "T_BEFORE": "A", "T_MEETS": "BN", "T_OVERLAPS": "C", "T_STARTS": "DN", "T_DURING": "ES", "T_FINISHES": "F",
    "T_EQUALS": "G", "T_FINISHEDBY": "H", "T_CONTAINS": "I", "T_STARTEDBY": "J", "T_OVERLAPPEDBY": "K",
    "T_METBY": "L", "T_AFTER": "M", "T_DISJOINT": "AM", "T_INTERSECTS": "BCDEFGHIJKLNS",
}
# Allen's relations between [s1, e1] and [s2, e2], an instant t being [t, t] (CQL2 1.0 after OWL-Time)
ALLEN = {
    "T_AFTER": lambda s1, e1, s2, e2: s1 > e2,
    "T_BEFORE": lambda s1, e1, s2, e2: e1 < s2,
    "T_CONTAINS": lambda s1, e1, s2, e2: s1 < s2 and e2 < e1,
    "T_DISJOINT": lambda s1, e1, s2, e2: e1 < s2 or s1 > e2,
    "T_DURING": lambda s1, e1, s2, e2: s2 < s1 and e1 < e2,
    "T_EQUALS": lambda s1, e1, s2, e2: s1 == s2 and e1 == e2,
    "T_FINISHEDBY": lambda s1, e1, s2, e2: s1 < s2 and e1 == e2,
    "T_FINISHES": lambda s1, e1, s2, e2: s2 < s1 and e1 == e2,
    "T_INTERSECTS": lambda s1, e1, s2, e2: s1 <= e2 and s2 <= e1,
    "T_MEETS": lambda s1, e1, s2, e2: e1 == s2,
    "T_METBY": lambda s1, e1, s2, e2: s1 == e2,
    "T_OVERLAPPEDBY": lambda s1, e1, s2, e2: s2 < s1 < e2 < e1,
    "T_OVERLAPS": lambda s1, e1, s2, e2: s1 < s2 < e1 < e2,
    "T_STARTEDBY": lambda s1, e1, s2, e2: s1 == s2 and e2 < e1,
    "T_STARTS": lambda s1, e1, s2, e2: s1 == s2 and e1 < e2,
}
# how CQL2 JSON spells each (the schema's camelCase)
JSON_OP = {op: "t_" + op[2:].lower().replace("by", "By") for op in ALLEN}

# arguments as ("p", property) | ("d", date) | ("t", timestamp) | ("i", end, end), an end being '..', literal
# text or ("p", property)
EVENT_FORMS = [
    (EVENT_SPAN, MARCH),
    (MARCH, EVENT_SPAN),
    (("i", ("p", "kssj"), ("p", "jssj")), ("i", "2020-03-01T01:30:00Z", "2020-03-31T01:30:00Z")),
    (("p", "ks"), ("p", "js")),
    (EVENT_SPAN, ("p", "ks")),
    (("p", "ks"), ("i", "2020-03-01", "..")),
    (("i", ("p", "ks"), ".."), ("i", "..", "2020-03-31")),
    (("d", "2020-03-15"), EVENT_SPAN),
    (("p", "kssj"), ("t", "2020-03-01T01:30:00Z")),
    (("t", "2020-03-31T09:30:00+08:00"), ("i", ("p", "kssj"), ("p", "jssj"))),
]
PARK_FORMS = [
    (("p", "jcrq"), ("d", "2010-01-01")),
    (("d", "1958-05-01"), ("p", "jcrq")),
    (("p", "jcrq"), ("i", "1950-01-01", "2010-01-01")),
    (("i", "..", "1984-01-01"), ("p", "jcrq")),
    (("p", "jcrq"), ("i", "1958-05-01", "..")),
]


@pytest.fixture
def events_layer(db, make_resource, departments, layer_actors, tmp_path):
    """A published, open layer of city events, each with start and end dates and times (times at 09:30)."""
    res = make_resource("城市活动", department=departments["housing"], state="published",
                        actor=layer_actors["officer"], items=EVENT_ITEMS, open_type="unconditional", spatial=True,
                        share_type="unconditional", share_condition=None,
                        summary="长沙市城市活动的起止日期与时间（测试数据）。")
    features = [{"type": "Feature", "geometry": point(112.95 + i / 100, 28.2),
                 "properties": {"mc": name, "ks": ks, "js": js, "kssj": ks and f"{ks} 09:30:00",
                                "jssj": js and f"{js} 09:30:00"}}
                for i, (name, (ks, js)) in enumerate(EVENTS.items())]
    path = tmp_path / "events.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), "utf-8")
    report = datasets.import_file(db, actor=layer_actors["officer"], resource_id=res.id, path=path,
                                  filename="events.geojson")
    assert report.ok, report.errors
    return res


def items(client, layer, params) -> tuple[int, dict]:
    r = client.get(f"{BASE}/collections/{service.collection_id(layer.code)}/items", params={"limit": 100, **params})
    return r.status_code, r.json()


def names(client, layer, text: str, lang: str = "cql2-text") -> set[str]:
    status, doc = items(client, layer, {"filter": text, "filter-lang": lang})
    assert status == 200, (text, doc)
    return {f["properties"]["mc"] for f in doc["features"]}


def as_text(op: str, args) -> str:
    def arg(a) -> str:
        if isinstance(a, str):
            return f"'{a}'"
        kind, *rest = a
        if kind == "p":
            return rest[0]
        if kind == "i":
            return f"INTERVAL({arg(rest[0])}, {arg(rest[1])})"
        return f"{'DATE' if kind == 'd' else 'TIMESTAMP'}('{rest[0]}')"

    return f"{op}({arg(args[0])}, {arg(args[1])})"


def as_json(op: str, args) -> str:
    def arg(a):
        if isinstance(a, str):
            return a
        kind, *rest = a
        if kind == "p":
            return {"property": rest[0]}
        if kind == "i":
            return {"interval": [arg(rest[0]), arg(rest[1])]}
        return {"date" if kind == "d" else "timestamp": rest[0]}

    return json.dumps({"op": JSON_OP[op], "args": [arg(args[0]), arg(args[1])]})


def period(a, row: dict, of_time: bool):
    """(start, end) of an argument on `row` in Python, None when a property in it is null."""
    def instant(v, open_as=None):
        if v == "..":
            return open_as
        if isinstance(v, str):
            v = ("d", v) if len(v) == 10 else ("t", v)
        kind, value = v
        if kind == "p":
            return row[value]
        if kind == "d":
            d = date.fromisoformat(value)
            return datetime(d.year, d.month, d.day) if of_time else d
        return datetime.fromisoformat(value).astimezone(BEIJING).replace(tzinfo=None)  # stored as Beijing time

    if a[0] == "i":
        low, high = (datetime.min, datetime.max) if of_time else (date.min, date.max)
        return instant(a[1], low), instant(a[2], high)
    return instant(a), instant(a)


def want(op: str, args, rows: dict[str, dict]) -> set[str]:
    of_time = "kssj" in json.dumps(args)
    out = set()
    for name, row in rows.items():
        (s1, e1), (s2, e2) = period(args[0], row, of_time), period(args[1], row, of_time)
        if None not in (s1, e1, s2, e2) and ALLEN[op](s1, e1, s2, e2):
            out.add(name)
    return out


def event_rows() -> dict[str, dict]:
    def at(d):
        return datetime.fromisoformat(f"{d} 09:30:00") if d else None

    return {n: {"ks": ks and date.fromisoformat(ks), "js": js and date.fromisoformat(js), "kssj": at(ks),
                "jssj": at(js)} for n, (ks, js) in EVENTS.items()}


LANGS = ["cql2-text", "cql2-json"]


def render(lang: str, op: str, args) -> str:
    return as_text(op, args) if lang == "cql2-text" else as_json(op, args)


@pytest.mark.parametrize("lang", LANGS)
def test_each_function_picks_its_relation_to_march(client, events_layer, lang):
    for op, letters in BY_HAND.items():
        got = names(client, events_layer, render(lang, op, (EVENT_SPAN, MARCH)), lang)
        assert {n[0] for n in got} == set(letters), op


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("op", sorted(ALLEN))
def test_every_function_on_intervals_properties_and_open_ends(client, events_layer, op, lang):
    rows = event_rows()
    for args in EVENT_FORMS:
        text = render(lang, op, args)
        assert names(client, events_layer, text, lang) == want(op, args, rows), text


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("op", sorted(ALLEN))
def test_every_function_on_a_date_property_as_an_instant(client, parks_layer, op, lang):
    rows = {n: {"jcrq": d} for n, d in BUILT.items()}
    for args in PARK_FORMS:
        text = render(lang, op, args)
        assert names(client, parks_layer, text, lang) == want(op, args, rows), text


def test_the_classic_forms_on_build_dates(client, parks_layer):
    d1, d2 = date(1950, 1, 1), date(2010, 1, 1)
    cases = {
        "T_BEFORE(jcrq, DATE('1950-01-01'))": lambda d: d < d1,
        "T_AFTER(jcrq, DATE('2010-01-01'))": lambda d: d > d2,
        "T_EQUALS(jcrq, DATE('2010-01-01'))": lambda d: d == d2,
        "T_EQUALS(jcrq, INTERVAL('2010-01-01', '2010-01-01'))": lambda d: d == d2,
        "T_INTERSECTS(jcrq, INTERVAL('1950-01-01', '2010-01-01'))": lambda d: d1 <= d <= d2,
        "T_DISJOINT(jcrq, INTERVAL('1950-01-01', '2010-01-01'))": lambda d: d < d1 or d > d2,
        "T_AFTER(jcrq, INTERVAL('1950-01-01', '2010-01-01'))": lambda d: d > d2,
        # DURING is strict (Allen's): a park built on 2010-01-01 finishes the interval, it is not during it
        "T_DURING(jcrq, INTERVAL('1950-01-01', '2010-01-01'))": lambda d: d1 < d < d2,
        "T_DURING(jcrq, INTERVAL('1980-01-01', '..'))": lambda d: d > date(1980, 1, 1),
        "T_FINISHES(jcrq, INTERVAL('1950-01-01', '2010-01-01'))": lambda d: d == d2,
    }
    for text, test in cases.items():
        assert names(client, parks_layer, text) == {n for n, d in BUILT.items() if d and test(d)}, text
    doc = {"op": "t_before", "args": [{"property": "jcrq"}, {"date": "1950-01-01"}]}
    assert names(client, parks_layer, json.dumps(doc), "cql2-json") == {n for n, d in BUILT.items() if d and d < d1}


def test_json_operator_names_in_any_case(client, events_layer):
    args = [{"interval": [{"property": "ks"}, {"property": "js"}]}, {"interval": ["2020-03-01", "2020-03-31"]}]
    for op in ("t_finishedBy", "t_finishedby", "T_FINISHEDBY"):
        assert names(client, events_layer, json.dumps({"op": op, "args": args}), "cql2-json") == {"H 终于"}


def test_null_dates_are_neither_in_nor_out(client, events_layer):
    everyone = set(EVENTS) - {"P 未结束", "Q 未定"}
    assert names(client, events_layer, "NOT T_INTERSECTS(INTERVAL(ks, js), INTERVAL('2020-03-01', '2020-03-31'))"
                 ) == {"A 之前", "M 之后"}
    assert names(client, events_layer, "NOT T_OVERLAPS(ks, js)") == everyone
    assert names(client, events_layer, "NOT T_OVERLAPS(ks, DATE('2020-03-01'))") == everyone | {"P 未结束"}
    # true for every start (ks = ks), unknown without one; OR keeps P, whose js is unknown
    assert names(client, events_layer, "T_STARTEDBY(INTERVAL(ks, '..'), ks) OR T_EQUALS(ks, js)"
                 ) == set(EVENTS) - {"Q 未定"}
    assert names(client, events_layer, "NOT T_STARTEDBY(INTERVAL(ks, '..'), ks)") == set()


def test_timestamps_are_read_in_beijing_time(client, events_layer):
    assert names(client, events_layer, "T_EQUALS(kssj, TIMESTAMP('2020-03-15T01:30:00Z'))") == {"K 被交叠", "S 一日"}
    assert names(client, events_layer, "kssj = TIMESTAMP('2020-03-15T09:30:00+08:00')") == {"K 被交叠", "S 一日"}


@pytest.mark.parametrize(("text", "says"), [
    ("T_AFTER(mc, DATE('2010-01-01'))", "date or datetime properties only (mc)"),
    ("T_BEFORE(DATE('2020-01-01'), DATE('2020-02-01'))", "needs a date or datetime property"),
    ("T_BEFORE(INTERVAL('2020-01-01', '..'), TIMESTAMP('2020-02-01T00:00:00Z'))", "needs a date or datetime"),
    ("T_MEETS(js, kssj)", "a date property with a datetime property (js, kssj)"),
    ("T_MEETS(INTERVAL(ks, jssj), DATE('2020-01-01'))", "a date property with a datetime property"),
    ("T_DURING(ks, INTERVAL('2020-03-31', '2020-03-01'))", "start of an INTERVAL is after its end"),
    ("T_DURING(ks, INTERVAL('2020-03-01'))", "an INTERVAL takes a start and an end"),
    ("T_DURING(ks, DATE('2020-13-01'))", "2020-13-01 is not a date"),
    ("T_DURING(kssj, TIMESTAMP('tomorrow'))", "tomorrow is not a date or a timestamp"),
    ("T_DURING(ks, 5)", "takes properties, DATE, TIMESTAMP and INTERVAL"),
    ("T_DURING(dd, INTERVAL('2020-03-01', '2020-03-31'))", "takes spatial operators only"),
    ("T_DURING(nosuch, INTERVAL('2020-03-01', '2020-03-31'))", "nosuch"),
])
def test_an_ill_typed_temporal_filter_is_a_400_naming_it(client, events_layer, text, says):
    status, doc = items(client, events_layer, {"filter": text, "lang": "en"})
    assert status == 400 and says in json.dumps(doc, ensure_ascii=False), (text, doc)


def test_a_json_temporal_function_needs_two_arguments(client, events_layer):
    doc = {"op": "t_starts", "args": [{"property": "ks"}]}
    status, body = items(client, events_layer, {"filter": json.dumps(doc), "filter-lang": "cql2-json",
                                                 "lang": "en"})
    assert status == 400 and "T_STARTS takes two arguments" in json.dumps(body)
    doc = {"op": "t_starts", "args": [{"property": "ks"}, {"interval": [{"interval": ["..", ".."]}, ".."]}]}
    status, body = items(client, events_layer, {"filter": json.dumps(doc), "filter-lang": "cql2-json",
                                                 "lang": "en"})
    assert status == 400 and "cannot be an INTERVAL" in json.dumps(body)


def test_a_temporal_operator_on_text_is_refused(client, parks_layer):
    r = client.get(f"{BASE}/collections/{service.collection_id(parks_layer.code)}/items",
                   params={"filter": "T_AFTER(mc, DATE('2010-01-01'))"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    assert "filter" in r.text


def test_values_stay_bound_parameters():
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql

    from zhicheng.catalog.items import ItemSpec
    from zhicheng.geo.layers import cql

    table = sa.Table("t", sa.MetaData(), sa.Column("ks", sa.Date), sa.Column("js", sa.Date))
    specs = {n: ItemSpec(name=n, label=n, type="date") for n in ("ks", "js")}
    compiler = cql.Compiler(lambda n: (table.c[n], specs[n]), lambda op, g: sa.true(), {"geometry"})
    for op in ALLEN:
        cond = compiler.condition(cql.parse(as_text(op, (EVENT_SPAN, ("i", "2020-03-01", "2020-03-31"))), None))
        sql = cond.compile(dialect=postgresql.dialect())
        assert "2020" not in str(sql) and set(sql.params.values()) <= {date(2020, 3, 1), date(2020, 3, 31)}, op


def test_the_conformance_class_is_claimed(client):
    conf = client.get(BASE + "/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions" in conf
    assert conf == features_api.CONFORMANCE
