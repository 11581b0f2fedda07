"""Webhook mechanics: which targets are allowed, HMAC-SHA256 signatures, one HTTP attempt, back-off."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from zhicheng.core.errors import Invalid
from zhicheng.core.settings import Settings

SIGNATURE_HEADER = "X-Zhicheng-Signature"
MAX_ATTEMPTS = 6
BASE_DELAY = timedelta(seconds=30)
TIMEOUT_SECONDS = 5.0
MAX_URL = 2000
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _refuse(zh: str, en: str) -> Invalid:
    return Invalid(f"回调地址不可用：{zh}", f"webhook target refused: {en}", code="webhook_target", field="target_url")


def _is_loopback_or_any(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


def _addresses(host: str) -> set[str]:
    """The IP addresses `host` resolves to (empty when it does not resolve: the send will fail then)."""
    try:
        return {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return set()


def _is_platform(host: str, port: int, settings: Settings) -> bool:
    """Whether host:port reaches this platform: same port, and the host is its own address or this machine's."""
    if port != settings.port:
        return False
    host, own = host.lower().strip("[]"), settings.host.lower().strip("[]")
    if host == own or (_is_loopback_or_any(host) and _is_loopback_or_any(own)):
        return True
    targets = _addresses(host) | {host}
    if _is_loopback_or_any(own) and any(_is_loopback_or_any(ip) for ip in targets):
        return True
    if own in ("0.0.0.0", "::", ""):  # listening everywhere: any address of this machine is the platform
        mine = _addresses(socket.gethostname()) | {"127.0.0.1", "::1"}
        return any(_is_loopback_or_any(ip) or ip in mine for ip in targets)
    return bool(targets & (_addresses(own) | {own}))


def check_target(url: str, settings: Settings) -> str:
    """The target URL, normalised, if it is http(s) to an allowed host and not the platform; else Invalid."""
    if not isinstance(url, str) or not url.strip():
        raise _refuse("不能为空", "it is empty")
    url = url.strip()
    if len(url) > MAX_URL:
        raise _refuse(f"过长（最多 {MAX_URL} 个字符）", f"it is too long (at most {MAX_URL} characters)")
    try:
        parsed = httpx.URL(url)
        port = parsed.port
    except (httpx.InvalidURL, ValueError):
        raise _refuse("不是有效的网址", "it is not a valid URL") from None
    if parsed.scheme not in ("http", "https"):
        raise _refuse("只允许 http 或 https 地址", "only http and https URLs are allowed")
    host = (parsed.host or "").lower()
    if not host:
        raise _refuse("缺少主机名", "it has no host")
    if parsed.userinfo:
        raise _refuse("地址中不得包含用户名或密码", "it must not carry a user name or password")
    allowed = {h.strip().lower().strip("[]") for h in settings.webhook_allowed_hosts if h.strip()}
    if host.strip("[]") not in allowed:
        raise _refuse(f"主机 {host} 不在允许列表中", f"host {host} is not in the allow-list")
    port = port or (443 if parsed.scheme == "https" else 80)
    if _is_platform(host, port, settings):
        raise _refuse("不能指向平台自身", "it must not point at the platform itself")
    return str(parsed)


def sign(secret: str, body: bytes) -> str:
    """The signature header value: 'sha256=' + hex HMAC-SHA256 of the body with the subscription's secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """Whether `signature` is the right one for `body` (constant-time); what a receiver does."""
    return hmac.compare_digest(sign(secret, body), signature or "")


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, keys sorted, UTF-8."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def backoff(attempt: int) -> timedelta:
    """How long to wait after failed attempt number `attempt` (1-based): 30 s, 1 min, 2 min, 4 min, ..."""
    return BASE_DELAY * (2 ** (max(attempt, 1) - 1))


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: the HTTP status (None if no answer), an error text, and the time it took."""

    status: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def send(url: str, *, secret: str, payload: dict[str, Any], delivery_id: int, event: str) -> Outcome:
    """POST the signed payload once; redirects are not followed (a 3xx is a failure)."""
    body = body_of(payload)
    headers = {"Content-Type": "application/json; charset=utf-8", SIGNATURE_HEADER: sign(secret, body),
               "X-Zhicheng-Event": event, "X-Zhicheng-Delivery": str(delivery_id),
               "User-Agent": "zhicheng-webhook/1"}
    started = time.monotonic()
    try:
        with httpx.Client(follow_redirects=False, timeout=TIMEOUT_SECONDS, trust_env=False) as client:
            r = client.post(url, content=body, headers=headers)
        error = None if 200 <= r.status_code < 300 else f"HTTP {r.status_code}"
        if 300 <= r.status_code < 400:
            error = f"HTTP {r.status_code}: redirects are not followed"
        return Outcome(r.status_code, error, int((time.monotonic() - started) * 1000))
    except httpx.HTTPError as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500], int((time.monotonic() - started) * 1000))
