"""Encryption of inventory secrets at rest (management passwords, SIM ``ki``/``opc``): AES-256-GCM.

Stored form: ``aesgcm:v1:<base64url(nonce | ciphertext+tag)>``. The key is 32 random bytes, base64url-encoded,
from ``OMNIBUS_CATALOG_SECRET_KEY`` or a key file (see ``settings.py``).
"""

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "aesgcm:v1:"


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the catalog secret key must be 32 bytes (base64url-encoded)")
        self._aead = AESGCM(key)

    @classmethod
    def from_text(cls, text: str) -> "SecretBox":
        try:
            key = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
        except ValueError:
            raise ValueError("the catalog secret key is not base64url") from None
        return cls(key)

    @staticmethod
    def new_key() -> str:
        return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")

    def encrypt(self, plain: str | None) -> str | None:
        if plain is None or plain == "":
            return plain
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plain.encode(), PREFIX.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, stored: str | None) -> str | None:
        if not stored or not stored.startswith(PREFIX):
            return stored
        raw = base64.urlsafe_b64decode(stored[len(PREFIX) :])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], PREFIX.encode()).decode()
        except InvalidTag:
            raise ValueError("a stored secret cannot be decrypted with the configured key") from None
