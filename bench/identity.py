"""Identity's per-request costs (issue 3 targets), each next to its raw baseline measured in the same run.

    uv run python bench/identity.py

- login p50/p95: ``POST /crm/auth/login``'s use case (argon2id t=3, m=64 MiB, p=4, the production parameters;
  user lookup, session start, events saved on SQLite), against one bare argon2id verification;
- JWT verification per request: the platform authenticator on an identity-issued EdDSA token (signature, expiry,
  roles resolved through the local role directory), against a bare ``jwt.decode``; no I/O;
- API-key check per request: a UI-managed key looked up in the local directory (SHA-256 + dict; 1,000 keys),
  against one SHA-256.
"""

import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import jwt
from argon2 import PasswordHasher
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, insert

from omnibus.identity.application import IdentityApp
from omnibus.identity.security import Passwords
from omnibus.identity.tokens import Identity, TokenIssuer
from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.auth.directory import AccessDirectory, access_api_keys, key_hash, metadata
from omnibus.platform.crm_config import parse_crm_config
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.settings import ServiceSettings


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def per_call_us(action: Callable[[], object], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        action()
    return (time.perf_counter() - started) / repeat * 1e6


def ms(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q) - 1] * 1000 if q != 50 else statistics.median(samples) * 1000


def bench_login(folder: Path, key: Ed25519PrivateKey) -> None:
    settings = ServiceSettings(database_url=f"sqlite:///{folder}").for_service("identity")
    app = IdentityApp(env=eventstore_env(settings, "identity"), tokens=TokenIssuer(key), passwords=Passwords())
    app.seed_defaults()
    app.create_user(
        {"username": "bench", "email": "bench@example.com"}, "bench-password-1", ["Admin"], send_welcome=False
    )
    app.login("bench@example.com", "bench-password-1")  # warm-up
    hasher = PasswordHasher()
    stored = hasher.hash("bench-password-1")
    logins, raw = [], []
    for _ in range(30):  # interleaved, so that both see the same load on a shared machine
        logins += timed(lambda: app.login("bench@example.com", "bench-password-1"), 1)
        raw += timed(lambda: hasher.verify(stored, "bench-password-1"), 1)
    print(f"login (argon2id t=3 m=64MiB p=4): p50 {ms(logins, 50):.1f} ms, p95 {ms(logins, 95):.1f} ms")
    print(f"  baseline: one argon2id verify p50 {ms(raw, 50):.1f} ms")
    app.close()


def bench_jwt_and_keys(folder: Path, key: Ed25519PrivateKey) -> None:
    engine = create_engine(f"sqlite:///{folder / 'read.sqlite3'}")
    metadata.create_all(engine)
    keys = [f"sk_live_{uuid.uuid4().hex}{uuid.uuid4().hex[:8]}" for _ in range(1000)]
    with engine.begin() as conn:
        conn.execute(
            insert(access_api_keys),
            [
                {
                    "api_key_id": n,
                    "key_hash": key_hash(k),
                    "key_name": f"k{n}",
                    "permissions": ["view_customer", "view_service"],
                    "ips": ["10.0.0.0/8"],
                    "expiry_date": datetime(2099, 1, 1, tzinfo=UTC),
                    "revoked": False,
                }
                for n, k in enumerate(keys, start=1)
            ],
        )
    directory = AccessDirectory(engine, ttl=3600)
    authenticator = Authenticator(config=parse_crm_config({}), public_key=key.public_key()).with_directory(directory)
    token = TokenIssuer(key).access_token(Identity(user_id=7, roles=["Support", "Finance"], session_id="s"))
    authenticator.authenticate(f"Bearer {token}", None, "10.1.2.3")
    jwt_us = per_call_us(lambda: authenticator.authenticate(f"Bearer {token}", None, "10.1.2.3"), 20_000)
    raw_jwt_us = per_call_us(lambda: jwt.decode(token, key.public_key(), algorithms=["EdDSA"]), 20_000)
    presented = keys[500]
    key_us = per_call_us(lambda: authenticator.authenticate(None, presented, "10.1.2.3"), 50_000)
    raw_key_us = per_call_us(lambda: key_hash(presented), 50_000)
    print(f"JWT verification per request: {jwt_us:.1f} us (baseline bare jwt.decode EdDSA: {raw_jwt_us:.1f} us)")
    print(f"API-key check per request (1,000 keys): {key_us:.1f} us (baseline one SHA-256: {raw_key_us:.2f} us)")


def main() -> None:
    key = Ed25519PrivateKey.generate()
    with tempfile.TemporaryDirectory() as folder:
        bench_jwt_and_keys(Path(folder), key)
        bench_login(Path(folder), key)


if __name__ == "__main__":
    main()
