"""Secrets of the accounts domain: Argon2 password hashes, the password policy, tokens, API keys, CSRF values."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Callable
from typing import TypeVar

from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from zhicheng.core.errors import Invalid

_hasher = PasswordHasher()  # argon2-cffi's default: RFC 9106 low-memory profile (Argon2id, t=3, m=64 MiB)
# verified against when the username is unknown, so that a miss costs as long as a hit
_DUMMY_HASH = _hasher.hash("zhicheng-dummy-password-1")
# every Argon2 computation takes one of these slots: a login flood waits its turn (costs time), instead of each
# login holding its 64 MiB at once (costs memory: 50 logins at once took a server to 960 MB)
HASH_CONCURRENCY = 2
_slots = threading.BoundedSemaphore(HASH_CONCURRENCY)
T = TypeVar("T")


def limit_hashing(concurrency: int) -> None:
    """Compute at most `concurrency` password hashes at once (the setting `password_hash_concurrency`)."""
    global _slots
    _slots = threading.BoundedSemaphore(max(1, int(concurrency)))


def _bounded(fn: Callable[..., T], *args: str) -> T:
    """`fn(*args)` (an Argon2 hash or verification) once a slot is free."""
    slots = _slots  # released to the semaphore it was taken from, should the limit change meanwhile
    with slots:
        return fn(*args)


def use_parameters(params: Parameters) -> None:
    """Hash new passwords with other Argon2 parameters (old hashes are upgraded at their next login).

    The test suite uses light parameters so that thousands of logins stay fast.
    """
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher.from_parameters(params)
    _DUMMY_HASH = _bounded(_hasher.hash, "zhicheng-dummy-password-1")

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
API_KEY_PREFIX = "zc"


def hash_password(password: str) -> str:
    """The Argon2id hash of `password`."""
    return _bounded(_hasher.hash, password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches `password_hash` (always spends the Argon2 time, even without a hash)."""
    try:
        return _bounded(_hasher.verify, password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other Argon2 parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def check_password_policy(password: str, *, username: str | None = None, field: str = "password") -> None:
    """Raise Invalid unless the password is 8–128 characters with letters and digits, and not the username."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"密码至少 {MIN_PASSWORD_LENGTH} 位", f"the password needs at least {MIN_PASSWORD_LENGTH} characters",
                      code="weak_password", field=field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(f"密码不能超过 {MAX_PASSWORD_LENGTH} 位", f"the password may have at most {MAX_PASSWORD_LENGTH} characters",
                      code="weak_password", field=field)
    if not (re.search(r"[A-Za-z]", password) and re.search(r"[0-9]", password)):
        raise Invalid("密码须同时包含字母和数字", "the password needs both letters and digits",
                      code="weak_password", field=field)
    if username and password.lower() == username.lower():
        raise Invalid("密码不能与用户名相同", "the password may not be the username", code="weak_password", field=field)


def new_token() -> str:
    """A fresh random session or bearer token (URL-safe, 256 bits)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The SHA-256 hex digest stored in place of a token or key."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_api_key() -> tuple[str, str]:
    """A fresh API key `zc_<prefix>_<secret>` and its prefix (the lookup handle shown in lists)."""
    prefix = secrets.token_hex(6)
    return f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}", prefix


def api_key_prefix(key: str) -> str | None:
    """The prefix of a well-formed API key, else None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not re.fullmatch(r"[0-9a-f]{12}", parts[1]) or not parts[2]:
        return None
    return parts[1]


def same_digest(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def anonymous_csrf(secret: str, nonce: str) -> str:
    """The CSRF token of a visitor who is not logged in: an HMAC of the nonce in their cookie."""
    return hmac.new(secret.encode(), b"csrf:" + nonce.encode(), hashlib.sha256).hexdigest()[:43]
