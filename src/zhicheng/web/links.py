"""The link to a listing's next page: the request's own URL with one query parameter set (and others dropped), as
`request.url.include_query_params` builds it, without parsing the URL a second time (it runs on every page)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from starlette.requests import Request


def with_param(request: Request, name: str, value: str, *, drop: Iterable[str] = ()) -> str:
    """`str(request.url.remove_query_params(drop).include_query_params(**{name: value}))`: the URL before its
    query, then the request's parameters but `name` and those in `drop`, in their order, and `name=value` last."""
    base = str(request.url).split("?", 1)[0]
    skip = {name, *drop}
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in skip]
    items.append((name, str(value)))
    return f"{base}?{urlencode(items)}"
