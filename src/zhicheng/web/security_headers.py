"""The security headers of every answer (pages, APIs, fast lanes, static files, errors): CSP, frame, referrer and
MIME-sniffing policies, added as plain ASGI in front of everything (`LaneApp.front`)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Scripts only from our own files (no inline script, no eval: the pages keep their code in /static and their data
# in <script type="application/json"> blocks, which are not run). Styles allow inline style attributes: pages set
# computed sizes (bar widths, chart heights) that way; with scripts locked down a style attribute can neither run
# code nor load from elsewhere (img-src, font-src and connect-src are 'self'). Images may be data: and blob: URLs
# (MapLibre, ECharts' export); MapLibre runs its worker from a blob: URL. No page may be framed.
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-content-type-options", b"nosniff"),
)


class SecurityHeaders:
    """Adds `HEADERS` to every HTTP response start, unless the answer set that header itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or ())
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in HEADERS if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
