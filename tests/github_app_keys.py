"""A freshly generated GitHub App key for the tests (never a real one), once per test session."""

from __future__ import annotations

from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

APP_ID = 424242
GITHUB_APP_KEY = "argo-github-webhooks:githubApp"
GITHUB_TOKEN_KEY = "argo-github-webhooks:githubToken"


@cache
def app_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
