"""Small pure helpers: hashing of one-time secrets, e-mail normalisation."""

from __future__ import annotations

import hashlib
import re

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def sha256(value: str) -> str:
    """How one-time tokens (refresh, reset, verification) and API keys are stored: never in clear."""
    return hashlib.sha256(value.encode()).hexdigest()


def normal_email(email: str) -> str:
    return email.strip().lower()


def is_email(value: str) -> bool:
    return bool(EMAIL.match(value.strip()))
