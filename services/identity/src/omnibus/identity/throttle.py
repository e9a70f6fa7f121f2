"""Login throttling and lock-out, per account name and per source address (identity.md §3.1; D9, D31).

Failures are counted in a sliding window. After ``account_limit`` failures for one e-mail (whether or not it names
a user, so the answer reveals nothing) that e-mail is locked out for ``lockout_seconds``; after ``address_limit``
failures from one address that address is. Counters live in the process: with several identity API processes
each keeps its own, which multiplies the limits by the number of processes (documented in the README).
"""

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from omnibus.identity.domain import TooManyAttemptsError


@dataclass(frozen=True)
class ThrottlePolicy:
    account_limit: int = 5
    address_limit: int = 20
    window_seconds: int = 900
    lockout_seconds: int = 900


class LoginThrottle:
    def __init__(self, policy: ThrottlePolicy | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy or ThrottlePolicy()
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def check(self, account: str, address: str | None) -> None:
        """Raise 429 while the account name or the address is locked out."""
        now = self.clock()
        with self._lock:
            for key in self._keys(account, address):
                until = self._locked_until.get(key)
                if until is not None and until > now:
                    raise TooManyAttemptsError(int(until - now) + 1)

    def failed(self, account: str, address: str | None) -> None:
        now = self.clock()
        limits = (self.policy.account_limit, self.policy.address_limit)
        with self._lock:
            for key, limit in zip(self._keys(account, address), limits, strict=False):
                window = self._failures.setdefault(key, deque())
                window.append(now)
                while window and window[0] <= now - self.policy.window_seconds:
                    window.popleft()
                if len(window) >= limit:
                    self._locked_until[key] = now + self.policy.lockout_seconds
                    window.clear()

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(account, None)[0], None)

    @staticmethod
    def _keys(account: str, address: str | None) -> list[str]:
        keys = [f"account:{account.strip().lower()}"]
        if address:
            keys.append(f"address:{address}")
        return keys
