"""Field encryption with SM4-GCM (GB/T 32907), keyed by HKDF-SM3 from the instance's signing key."""

from __future__ import annotations

import base64
import binascii
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from zhicheng.core.errors import Invalid
from zhicheng.core.settings import Settings

PREFIX = "sm4gcm1:"  # scheme and version, so a later scheme can live beside this one
NONCE_BYTES = 12
TAG_BYTES = 16
HKDF_INFO = b"zhicheng field encryption sm4-gcm v1"


@lru_cache(maxsize=8)
def _derive(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SM3(), length=16, salt=b"zhicheng", info=HKDF_INFO).derive(secret.encode("utf-8"))


def field_key(settings: Settings) -> bytes:
    """The 128-bit SM4 key of this instance, derived from its signing key."""
    return _derive(settings.signing_key())


def is_encrypted(value: str | None) -> bool:
    """Whether `value` looks like the output of encrypt_field."""
    return isinstance(value, str) and value.startswith(PREFIX)


def encrypt_field(settings: Settings, plaintext: str, *, context: str = "") -> str:
    """Encrypt a text value: 'sm4gcm1:' + base64url(nonce ‖ ciphertext ‖ tag); `context` (e.g. table.column) is bound in."""
    nonce = os.urandom(NONCE_BYTES)
    enc = Cipher(algorithms.SM4(field_key(settings)), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(context.encode("utf-8"))
    body = enc.update(plaintext.encode("utf-8")) + enc.finalize()
    return PREFIX + base64.urlsafe_b64encode(nonce + body + enc.tag).decode("ascii")


def _undecryptable(field: str | None) -> Invalid:
    return Invalid("加密字段无法解密：数据被篡改、截断，或密钥已更换",
                   "encrypted field cannot be decrypted: it was altered or truncated, or the key changed",
                   code="decrypt_failed", field=field)


def decrypt_field(settings: Settings, token: str, *, context: str = "", field: str | None = None) -> str:
    """The plaintext of an encrypt_field value; Invalid (code decrypt_failed) if it was altered or the key differs."""
    if not is_encrypted(token):
        raise _undecryptable(field)
    try:
        raw = base64.urlsafe_b64decode(token[len(PREFIX):].encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise _undecryptable(field) from None
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise _undecryptable(field)
    nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    dec = Cipher(algorithms.SM4(field_key(settings)), modes.GCM(nonce, tag)).decryptor()
    dec.authenticate_additional_data(context.encode("utf-8"))
    try:
        plain = dec.update(body) + dec.finalize()
    except InvalidTag:
        raise _undecryptable(field) from None
    return plain.decode("utf-8")
