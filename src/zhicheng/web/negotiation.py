"""Content negotiation: which of the media types a route offers an Accept header prefers (RFC 9110 q-values,
wildcards and specificity, read by python-mimeparse). Every route that chooses by Accept asks here."""

from __future__ import annotations

from collections.abc import Sequence

import mimeparse


def best_match(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type `accept` prefers; the first offered on a tie and when the header is missing or
    empty (RFC 9110: no Accept means anything); None when it accepts none of them (406). Parts that are not
    media ranges are ignored, as a lenient server does."""
    parts = [p for p in (accept or "").split(",") if "/" in p.split(";", 1)[0]]
    if not parts:
        return offered[0] if not (accept or "").strip() or "*" in (accept or "") else None
    try:
        # mimeparse lets the last offered win a tie: offered in reverse, the first one does
        found = mimeparse.best_match(list(reversed(offered)), ",".join(parts))
    except (ValueError, mimeparse.MimeTypeParseException):
        return None
    return found or None


def prefers_html(accept: str | None, other: str = "application/json") -> bool:
    """Whether `accept` prefers an HTML page to `other` (a browser does; curl's */* and API clients do not)."""
    return best_match(accept, [other, "text/html"]) == "text/html"
