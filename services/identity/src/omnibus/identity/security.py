"""Secrets: argon2id password hashing and the random values identity hands out (tokens, keys, codes)."""

import base64
import os
import secrets
import string
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from omnibus.platform.keyfiles import read_or_create

BASE62 = string.ascii_letters + string.digits


class Passwords:
    """argon2id (RFC 9106 low-memory profile: t=3, m=64 MiB, p=4, the argon2-cffi default)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        # Verified when the e-mail names no user, so that the answer takes as long either way.
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash or self._dummy, password) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def fast_passwords() -> Passwords:
    """Cheap parameters for tests only (the same algorithm, argon2id)."""
    return Passwords(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


def new_token(prefix: str = "") -> str:
    """An opaque one-time token; ``prefix`` lets the application find its owner without an index."""
    return f"{prefix}{secrets.token_urlsafe(32)}"


def new_api_key() -> str:
    """``sk_live_`` + 40 random base62 characters (D15)."""
    return "sk_live_" + "".join(secrets.choice(BASE62) for _ in range(40))


def new_totp_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def new_backup_codes(count: int = 10) -> list[str]:
    """10 codes of 8 characters from [0-9a-f] (D23)."""
    return [secrets.token_hex(4) for _ in range(count)]


def new_verification_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


class SecretBox:
    """AES-256-GCM for the secrets identity must read back (TOTP secrets): stored sealed, never in clear."""

    PREFIX = "aesgcm:"

    def __init__(self, key: bytes) -> None:
        self.aead = AESGCM(key)

    @classmethod
    def from_file(cls, path: Path) -> "SecretBox":
        """The key in ``path`` (32 random bytes), created on first use with mode 0600."""
        return cls(read_or_create(path, lambda: os.urandom(32)))

    def seal(self, plain: str) -> str:
        nonce = os.urandom(12)
        return self.PREFIX + base64.b64encode(nonce + self.aead.encrypt(nonce, plain.encode(), None)).decode()

    def open(self, sealed: str) -> str:
        raw = base64.b64decode(sealed.removeprefix(self.PREFIX))
        return self.aead.decrypt(raw[:12], raw[12:], None).decode()
