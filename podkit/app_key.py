"""The GitHub App's key and JWT, without third-party code: PEM -> DER -> RSA numbers, then an RS256 signature.

The pods have only the standard library (python image); the program checks the stack's key with the same parser.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass

JWT_BACKDATE_SECONDS = 60  # GitHub's advice: allow for clock drift
JWT_LIFETIME_SECONDS = 540  # iat is backdated 60 s: the token is valid 10 minutes at most, GitHub's limit

# DER of the AlgorithmIdentifier of rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters, as PKCS#8 wraps it.
RSA_ALGORITHM = bytes.fromhex("300d06092a864886f70d0101010500")
# DER prefix of DigestInfo(sha256) for PKCS#1 v1.5 signatures (RFC 8017, section 9.2, note 1).
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


class KeyProblem(ValueError):
    """The App key is not a usable PEM RSA private key."""


@dataclass(frozen=True)
class RsaPrivateKey:
    modulus: int
    private_exponent: int

    @property
    def size_bytes(self) -> int:
        return (self.modulus.bit_length() + 7) // 8


def _der_element(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """One DER element at `offset`: (tag, content, offset after it)."""
    if offset + 2 > len(data):
        raise KeyProblem("truncated DER")
    tag, length = data[offset], data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise KeyProblem("bad DER length")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    if offset + length > len(data):
        raise KeyProblem("truncated DER")
    return tag, data[offset : offset + length], offset + length


def _der_sequence(data: bytes) -> list[tuple[int, bytes]]:
    tag, content, end = _der_element(data, 0)
    if tag != 0x30 or end != len(data):
        raise KeyProblem("not a DER SEQUENCE")
    items, offset = [], 0
    while offset < len(content):
        item_tag, item, offset = _der_element(content, offset)
        items.append((item_tag, item))
    return items


def _integers(items: list[tuple[int, bytes]]) -> list[int]:
    if any(tag != 0x02 for tag, _ in items):
        raise KeyProblem("expected INTEGERs")
    return [int.from_bytes(value, "big", signed=True) for _, value in items]


def _pkcs1_key(der: bytes) -> RsaPrivateKey:
    numbers = _integers(_der_sequence(der))
    if len(numbers) < 9 or numbers[0] != 0:
        raise KeyProblem("not a two-prime RSAPrivateKey (RFC 8017, appendix A.1.2)")
    _, modulus, public_exponent, private_exponent, prime1, prime2, *_ = numbers
    if prime1 * prime2 != modulus or pow(pow(2, public_exponent, modulus), private_exponent, modulus) != 2:
        raise KeyProblem("its numbers are inconsistent (n != p*q, or d does not invert e)")
    return RsaPrivateKey(modulus, private_exponent)


def _pkcs8_key(der: bytes) -> RsaPrivateKey:
    items = _der_sequence(der)
    if len(items) < 3 or items[0] != (0x02, b"\x00") or items[2][0] != 0x04:
        raise KeyProblem("not a PKCS#8 PrivateKeyInfo")
    algorithm_tag, algorithm, _ = _der_element(RSA_ALGORITHM, 0)
    if items[1] != (algorithm_tag, algorithm):
        raise KeyProblem("a PKCS#8 key that is not RSA (GitHub App keys are RSA)")
    return _pkcs1_key(items[2][1])


_PEM = re.compile(r"-----BEGIN (RSA PRIVATE KEY|PRIVATE KEY)-----\s*(.*?)\s*-----END \1-----", re.DOTALL)


def parse_private_key(pem: str) -> RsaPrivateKey:
    """The RSA key of a PEM file: PKCS#1 (`BEGIN RSA PRIVATE KEY`, what GitHub hands out) or unencrypted PKCS#8."""
    match = _PEM.search(pem)
    if not match:
        raise KeyProblem(
            "not a PEM RSA private key (expected '-----BEGIN RSA PRIVATE KEY-----' or an unencrypted "
            "'-----BEGIN PRIVATE KEY-----')"
        )
    try:
        der = base64.b64decode("".join(match.group(2).split()), validate=True)
    except (binascii.Error, ValueError):
        raise KeyProblem("the PEM body is not base64") from None
    key = _pkcs1_key(der) if match.group(1) == "RSA PRIVATE KEY" else _pkcs8_key(der)
    if key.modulus.bit_length() < 2048:
        raise KeyProblem(f"the key has {key.modulus.bit_length()} bits; GitHub App keys have 2048 or more")
    return key


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_rs256(key: RsaPrivateKey, message: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017, 8.2.1): the padded digest raised to the private exponent."""
    digest_info = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    padding = key.size_bytes - len(digest_info) - 3
    encoded = b"\x00\x01" + b"\xff" * padding + b"\x00" + digest_info
    signature = pow(int.from_bytes(encoded, "big"), key.private_exponent, key.modulus)
    return signature.to_bytes(key.size_bytes, "big")


def app_jwt(app_id: str, key: RsaPrivateKey, now: float) -> str:
    """The App's JWT: issued 60 s in the past, expiring 10 minutes after that."""
    issued = int(now) - JWT_BACKDATE_SECONDS
    header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"iat": issued, "exp": issued + JWT_BACKDATE_SECONDS + JWT_LIFETIME_SECONDS, "iss": app_id}
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    return f"{header}.{payload}.{_b64url(sign_rs256(key, signing_input))}"
