"""Small helpers for tests: unique names and eventually-consistent assertions."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def random_ref(prefix: str = "ref") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def unique_name(prefix: str = "t") -> str:
    """A name usable for databases and queues (lower-case letters, digits and underscores)."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def eventually(check: Callable[[], T], timeout: float = 10.0, interval: float = 0.02) -> T:
    """Call ``check`` until it returns without raising (AssertionError or LookupError); return its value."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except (AssertionError, LookupError):
            if time.monotonic() > deadline:
                raise
            time.sleep(interval)


async def eventually_async(check: Callable[[], Awaitable[T]], timeout: float = 10.0, interval: float = 0.02) -> T:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await check()
        except (AssertionError, LookupError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(interval)
