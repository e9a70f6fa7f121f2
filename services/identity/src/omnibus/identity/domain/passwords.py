"""Password rules (identity.md §5, D25): a minimum length (configurable, default 8) and a few sanity limits."""

from __future__ import annotations

from omnibus.identity.domain.errors import WeakPasswordError

MAX_LENGTH = 256  # argon2 accepts more; a bound keeps hashing time predictable


def check_password(password: str, min_length: int = 8) -> None:
    if not isinstance(password, str) or len(password) < min_length:
        raise WeakPasswordError(f"Password must be at least {min_length} characters long")
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(f"Password must be at most {MAX_LENGTH} characters long")
    if password.strip() == "":
        raise WeakPasswordError("Password must not be blank")
