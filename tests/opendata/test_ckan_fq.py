"""CKAN's fq read as Solr reads it: any expression written out with AND/OR/NOT, signs and parentheses is parsed
back to one that decides every document alike; any text at all is parsed or refused with a clear error."""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhicheng.core.errors import Invalid
from zhicheng.opendata.ckan import fq as ckan_fq
from zhicheng.opendata.ckan.fq import All, AnyOf, Not, Term

TAGS = ["环境", "信用", "交通", "air quality"]
DOCS = [{"tags": [t for t, keep in zip(TAGS, mask, strict=True) if keep]} for mask in product([0, 1], repeat=4)]


def truth(expr, doc) -> bool:
    """The meaning of an expression, independently of the module."""
    if isinstance(expr, Term):
        return expr.value in doc["tags"]
    if isinstance(expr, Not):
        return not truth(expr.item, doc)
    if isinstance(expr, All):
        return all(truth(i, doc) for i in expr.items)
    return any(truth(i, doc) for i in expr.items)


terms = st.sampled_from(TAGS).map(lambda t: Term("tags", t))
exprs = st.recursive(
    terms,
    lambda inner: st.one_of(
        inner.map(Not),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: All(tuple(xs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: AnyOf(tuple(xs))),
    ),
    max_leaves=8,
)


def written(expr, draw) -> str:
    """Solr text for `expr`, in one of the spellings clients use."""
    if isinstance(expr, Term):
        return f'tags:"{expr.value}"' if " " in expr.value or draw(st.booleans()) else f"tags:{expr.value}"
    if isinstance(expr, Not):
        return f"{draw(st.sampled_from(['-', 'NOT ', '!']))}({written(expr.item, draw)})"
    if isinstance(expr, All):
        joiner = draw(st.sampled_from([" AND ", " && ", " "]))
        return "(" + joiner.join(written(i, draw) for i in expr.items) + ")"
    return "(" + draw(st.sampled_from([" OR ", " || "])).join(written(i, draw) for i in expr.items) + ")"


@settings(max_examples=300, deadline=None)
@given(exprs, st.data())
def test_any_written_expression_decides_as_it_means(expr, data):
    text = written(expr, data.draw)
    parsed = ckan_fq.parse(text)
    for doc in DOCS:
        assert ckan_fq.matches(parsed, doc, lambda _name: -1) == truth(expr, doc), (text, doc)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('tags:环境 ()"[]{}*-+!ANDORNOT\\&|TO:x')), max_size=60))
def test_any_text_is_read_or_refused_clearly(text):
    try:
        ckan_fq.parse(text)
    except Invalid as err:
        assert err.field == "fq" and err.zh and err.en


def test_indexed_expressions_become_catalog_filters():
    assert ckan_fq.as_filters(ckan_fq.parse("organization:a open_type:conditional")) == {
        "organization": ["a"],
        "open_type": ["conditional"],
    }
    assert ckan_fq.as_filters(ckan_fq.parse("organization:(a OR b)")) == {"organization": ["a", "b"]}
    # the same field AND-ed twice: what both allow
    assert ckan_fq.as_filters(ckan_fq.parse("organization:(a OR b) organization:b")) == {"organization": ["b"]}
    for decided_per_document in ("-organization:a", "organization:a OR open_type:conditional", "tags:x", "organization:*"):
        assert ckan_fq.as_filters(ckan_fq.parse(decided_per_document)) is None
    assert ckan_fq.as_filters(None) == {}


def test_ranges_and_their_ends():
    doc = {"updated_at": "2026-03-01T00:00:00+00:00"}

    def hit(fq):
        return ckan_fq.matches(ckan_fq.parse(fq), doc, lambda _name: -1)

    assert hit("metadata_modified:[2026-03-01T00:00:00Z TO *]")
    assert not hit("metadata_modified:{2026-03-01T00:00:00Z TO *]")  # an exclusive end
    assert hit("metadata_modified:[* TO 2026-03-01T00:00:00Z]")
    assert not hit("metadata_modified:[* TO 2026-03-01T00:00:00Z}")
    assert hit('metadata_modified:"2026-03-01T00:00:00Z"')
    assert not hit("metadata_created:*")  # a document without the field


@pytest.mark.parametrize(
    ("fq", "says"),
    [
        ("state:draft", "state"),
        ("tags:[a TO b]", "metadata_modified"),
        ("metadata_modified:[yesterday TO *]", "yesterday"),
        ("open_type:bogus", "bogus"),
        ("(tags:a", "parentheses"),
        ("tags:a)", "parentheses"),
        ("water", "no field"),
        ("x" * 5000, "too long"),
    ],
)
def test_what_cannot_be_read_is_named(fq, says):
    with pytest.raises(Invalid) as caught:
        ckan_fq.parse(fq)
    assert caught.value.field == "fq" and says in caught.value.en
