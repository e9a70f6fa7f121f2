"""TOTP (RFC 6238 over RFC 4226 HOTP): 6 digits, 30-second steps, SHA-1, as every authenticator app does.

``matching_step`` returns the time step a code belongs to (current step ±1 of drift, identity.md §2.9); the caller
remembers the last accepted step so that a code is never accepted twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from urllib.parse import quote

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1


def step_at(unix_time: float) -> int:
    return int(unix_time // STEP_SECONDS)


def hotp(secret_base32: str, counter: int) -> str:
    key = base64.b32decode(secret_base32.upper() + "=" * (-len(secret_base32) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def totp(secret_base32: str, unix_time: float) -> str:
    return hotp(secret_base32, step_at(unix_time))


def matching_step(secret_base32: str, code: str, unix_time: float) -> int | None:
    """The step (now ±1) whose code equals ``code``, else None. Compared in constant time."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = step_at(unix_time)
    found = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(hotp(secret_base32, step), code):
            found = step
    return found


def provisioning_uri(secret_base32: str, account: str, issuer: str) -> str:
    """``otpauth://totp/<issuer>:<account>?secret=...&issuer=...`` (the QR code content)."""
    label = quote(f"{issuer}:{account}", safe=":@")
    return f"otpauth://totp/{label}?secret={secret_base32}&issuer={quote(issuer)}"
