"""CORS for the public APIs only (CKAN action API, the open REST API, DCAT documents, open downloads): read-only
(GET, HEAD, OPTIONS), no credentials, from the configured origins (`ZHICHENG_CORS_ORIGINS`, any by default);
preflights answered here. Staff APIs and pages never carry CORS headers, so no other site's script reads them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PUBLIC = re.compile(
    r"/api/3/action/.*|/api/action/.*|/api/v1/open/.*"
    r"|/catalog\.[a-z]+|/dataset/[^/]+\.(?:jsonld|ttl|rdf|xml)"
    r"|/open/datasets/[0-9]+/download\.[a-z]+"
)
METHODS = b"GET, HEAD, OPTIONS"
ALLOW_HEADERS = b"Accept, Accept-Language, Authorization, Content-Type, If-None-Match, X-API-Key"
EXPOSE_HEADERS = (
    b"Content-Disposition, ETag, Link, X-Total-Count, X-Masked-Fields, X-Dataset-Version, Retry-After, "
    b"RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset"
)
MAX_AGE = b"600"


def is_public(path: str) -> bool:
    """Whether `path` is one of the public APIs that other sites' scripts may read."""
    return PUBLIC.fullmatch(path) is not None


class PublicCors:
    """Plain ASGI: CORS headers on the public APIs' answers to an allowed Origin; their preflights answered 204."""

    def __init__(self, app: ASGIApp, origins: Iterable[str]) -> None:
        self.app = app
        self.origins = {o.strip().rstrip("/") for o in origins if o.strip()}
        self.any = "*" in self.origins

    def allowed(self, origin: str) -> bytes | None:
        """The Access-Control-Allow-Origin value for `origin`, or None when it is not allowed."""
        if self.any:
            return b"*"
        return origin.encode("latin-1") if origin.rstrip("/") in self.origins else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.origins or not is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        origin = headers.get(b"origin", b"").decode("latin-1")
        allow = self.allowed(origin) if origin else None
        if allow is None:  # with a list of origins the answer depends on Origin: caches must know
            await self.app(scope, receive, send if self.any else _with_vary(send))
            return
        vary = [] if self.any else [(b"vary", b"Origin")]
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            asked = headers[b"access-control-request-method"].decode("latin-1").strip().upper()
            reply = [(b"content-length", b"0"), *vary]
            if asked in ("GET", "HEAD"):
                reply += [
                    (b"access-control-allow-origin", allow),
                    (b"access-control-allow-methods", METHODS),
                    (b"access-control-allow-headers", ALLOW_HEADERS),
                    (b"access-control-max-age", MAX_AGE),
                ]
            # another method gets no allowance: the browser then refuses the call it was about to make
            await send({"type": "http.response.start", "status": 204, "headers": reply})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and scope["method"] in ("GET", "HEAD"):
                extra = [
                    (b"access-control-allow-origin", allow),
                    (b"access-control-expose-headers", EXPOSE_HEADERS),
                    *vary,
                ]
                message = {**message, "headers": [*(message.get("headers") or ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_cors)


def _with_vary(send: Send) -> Send:
    async def send_with_vary(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*(message.get("headers") or ()), (b"vary", b"Origin")]}
        await send(message)

    return send_with_vary


def middleware(origins: Iterable[str]):
    """The `PublicCors` front middleware for `LaneApp.front`."""
    found = list(origins)
    return lambda app: PublicCors(app, found)
