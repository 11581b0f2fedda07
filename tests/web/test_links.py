"""The next-page link equals what Starlette's URL methods build, for any query string."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.requests import Request

from zhicheng.web.links import with_param

_WORD = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6)
_NAME = st.sampled_from(["after", "offset", "size", "fields", "q", "", "过滤"]) | _WORD


def _request(query: str, *, host: bytes | None = b"example.org:8080", path: str = "/api/v1/x/1/rows") -> Request:
    headers = [(b"host", host)] if host is not None else []
    return Request({"type": "http", "scheme": "http", "server": ("10.0.0.1", 80), "path": path,
                    "query_string": query.encode("latin-1"), "headers": headers, "method": "GET"})


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(_NAME, _WORD), max_size=6), value=_WORD)
def test_as_starlette_builds_it(pairs, value):
    query = urlencode(pairs)
    request = _request(query)
    assert with_param(request, "after", value) == str(request.url.include_query_params(after=value))
    assert with_param(request, "after", value, drop=["offset"]) == str(
        request.url.remove_query_params(["offset"]).include_query_params(after=value)
    )


def test_without_a_host_header_and_with_odd_paths():
    odd = (_request("size=10&after=abc", host=None), _request("a=1&a=2&after=x", path="/p?q#r"))
    for request in odd:
        assert with_param(request, "after", "n") == str(request.url.include_query_params(after="n"))
