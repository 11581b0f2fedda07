"""The client's IP address: the connection's peer, or what a configured reverse proxy says (X-Forwarded-For), never
what an arbitrary client claims. Set once per request, in front of everything (`TrustedProxies`), as the ASGI
scope's `client`: rate limits, audit entries and the login lock-out all read `request.client`."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """The configured proxies (`ZHICHENG_TRUSTED_PROXIES`: IPs or CIDRs) as networks; a bad entry is an error at
    start-up, not a silently trusted or ignored proxy."""
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address: Any, proxies: tuple[Network, ...]) -> bool:
    return address is not None and any(address in net for net in proxies)


def client_ip(peer: str | None, forwarded_for: str | None, proxies: tuple[Network, ...]) -> str | None:
    """The client's IP: `peer` itself unless it is a trusted proxy; then X-Forwarded-For read from the right, the
    first address that is not itself a trusted proxy (a client cannot inject one by sending its own header: the
    proxy appends the address it saw)."""
    if not proxies or not forwarded_for or not _trusted(_address(peer or ""), proxies):
        return peer
    hops = [h for h in (part.strip() for part in forwarded_for.split(",")) if h]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # garbage in the chain: stop believing it here
            return peer
        if not _trusted(address, proxies):
            return str(address)
    first = _address(hops[0]) if hops else None
    return str(first) if first is not None else peer


class TrustedProxies:
    """Plain ASGI: rewrites the scope's `client` (and `scheme`, from X-Forwarded-Proto) when, and only when, the
    connection comes from a configured proxy."""

    def __init__(self, app: ASGIApp, proxies: Iterable[str]) -> None:
        self.app = app
        self.proxies = networks(proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.proxies and scope["type"] in ("http", "websocket"):
            peer = scope.get("client")
            headers = dict(scope.get("headers") or ())
            forwarded = headers.get(b"x-forwarded-for")
            if peer and forwarded is not None and _trusted(_address(peer[0]), self.proxies):
                ip = client_ip(peer[0], forwarded.decode("latin-1"), self.proxies)
                scope = dict(scope, client=(ip, 0))
                proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").split(",")[-1].strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = proto if scope["type"] == "http" else ("wss" if proto == "https" else "ws")
        await self.app(scope, receive, send)


def middleware(proxies: Iterable[str]):
    """The `TrustedProxies` front middleware for `LaneApp.front`."""
    found = networks(proxies)
    return lambda app: TrustedProxies(app, [str(n) for n in found])
