"""SM4 field encryption: values round-trip, and any change to the ciphertext, context or key is refused."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from zhicheng.core.errors import Invalid
from zhicheng.core.settings import Settings
from zhicheng.policy.crypto import decrypt_field, encrypt_field, field_key, is_encrypted


def test_sm4_matches_the_standard_test_vector():
    # GB/T 32907-2016, appendix A.1: one block under key = plaintext = 0123456789abcdeffedcba9876543210
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert (enc.update(key) + enc.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


@pytest.mark.parametrize("plain", ["430102199003071234", "张三", "", "长沙市岳麓区麓山南路 932 号 🏙️" * 50])
def test_round_trip(settings, plain):
    token = encrypt_field(settings, plain, context="person.id_number")
    assert is_encrypted(token) and (not plain or plain not in token)
    assert decrypt_field(settings, token, context="person.id_number") == plain


def test_the_same_value_encrypts_differently_each_time(settings):
    a, b = encrypt_field(settings, "430102199003071234"), encrypt_field(settings, "430102199003071234")
    assert a != b and decrypt_field(settings, a) == decrypt_field(settings, b)


def test_the_key_comes_from_the_signing_key(settings, tmp_path):
    assert len(field_key(settings)) == 16
    other = Settings(data=tmp_path / "other", secret_key="another-secret")
    assert field_key(other) != field_key(settings)
    token = encrypt_field(settings, "秘密")
    with pytest.raises(Invalid) as err:
        decrypt_field(other, token, field="phone")
    assert err.value.code == "decrypt_failed" and err.value.field == "phone" and "篡改" in err.value.zh


def _flip(token: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token.split(":", 1)[1]))
    raw[index] ^= 0x01
    return "sm4gcm1:" + base64.urlsafe_b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("index", [0, 12, -1])  # nonce, ciphertext, tag
def test_a_flipped_bit_is_detected(settings, index):
    token = encrypt_field(settings, "13800138000")
    with pytest.raises(Invalid):
        decrypt_field(settings, _flip(token, index))


@pytest.mark.parametrize("bad", ["", "13800138000", "sm4gcm1:", "sm4gcm1:!!!", "sm4gcm1:AAAA", "sm4gcm1:中文"])
def test_garbage_is_refused_not_crashed_on(settings, bad):
    with pytest.raises(Invalid):
        decrypt_field(settings, bad)


def test_a_value_moved_to_another_field_is_refused(settings):
    token = encrypt_field(settings, "430102199003071234", context="person.id_number")
    with pytest.raises(Invalid):
        decrypt_field(settings, token, context="person.phone")


def test_a_truncated_value_is_refused(settings):
    token = encrypt_field(settings, "430102199003071234")
    with pytest.raises(Invalid):
        decrypt_field(settings, token[:-4])
