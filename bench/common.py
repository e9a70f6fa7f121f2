"""Helpers shared by the benchmarks: throwaway databases and vhosts, keys and tokens, subprocesses, statistics."""

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
POSTGRES_URL = os.environ.get("OMNIBUS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("OMNIBUS_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
OMNIBUS = str(Path(sys.executable).parent / "omnibus")  # the workspace's console script


def log(text: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {text}", flush=True)


# --- PostgreSQL -------------------------------------------------------------------------------------------


def db_url(name: str) -> str:
    parts = urlsplit(POSTGRES_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def database_exists(name: str) -> bool:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def create_database(name: str) -> str:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return db_url(name)


def drop_database(name: str) -> None:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new empty database (URL), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    url = create_database(name)
    try:
        yield url
    finally:
        drop_database(name)


def scalar(url: str, sql: str, params: Sequence[Any] = ()) -> Any:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql, params or None).fetchone()  # type: ignore[arg-type]
        return None if row is None else row[0]


# --- RabbitMQ ---------------------------------------------------------------------------------------------


@contextmanager
def fresh_vhost() -> Iterator[str]:
    """An empty RabbitMQ vhost (AMQP URL) so no other queue sees our messages; deleted afterwards.

    Needs rabbitmqctl (as the tests' ``fresh_vhost`` fixture); without it the configured vhost is used.
    """
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        log("rabbitmqctl not found: using the configured vhost (other bound queues will get copies)")
        yield AMQP_URL
        return
    name = f"omnibus_bench_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(AMQP_URL)
    subprocess.run([ctl, "-q", "add_vhost", name], check=True, capture_output=True)
    subprocess.run(
        [ctl, "-q", "set_permissions", "-p", name, parts.username or "guest", ".*", ".*", ".*"],
        check=True,
        capture_output=True,
    )
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
    finally:
        subprocess.run([ctl, "-q", "delete_vhost", name], check=False, capture_output=True)


# --- keys, tokens, processes ------------------------------------------------------------------------------


def dev_keys(folder: Path) -> tuple[Path, Path]:
    """An Ed25519 private key file (for ``omnibus token``) and its public PEM (for the server)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private, public = folder / "dev-key.pem", folder / "public.pem"
    key = Ed25519PrivateKey.generate()
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private, public


def mint_token(private_key: Path) -> str:
    env = {**os.environ, "OMNIBUS_DEV_SIGNING_KEY_FILE": str(private_key)}
    out = subprocess.run([OMNIBUS, "token", "--minutes", "120"], env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_process(cmd: Sequence[str], env: dict[str, str], logfile: Path) -> subprocess.Popen[bytes]:
    out = logfile.open("wb")
    return subprocess.Popen(list(cmd), env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)


def wait_http(proc: subprocess.Popen[bytes], url: str, logfile: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{logfile.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server not up at {url} after {timeout}s:\n{logfile.read_text()[-3000:]}")


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- statistics and output --------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of unsorted values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def ratio(value: float, baseline: float) -> float | None:
    return value / baseline if baseline else None


def result(name: str, rows: list[dict[str, Any]], targets: list[dict[str, Any]], **details: Any) -> dict[str, Any]:
    """A benchmark's outcome: table rows (metric, omnibus, baseline, ratio), targets (text, met), raw details."""
    return {"benchmark": name, "rows": rows, "targets": targets, "details": details}


def row(metric: str, omnibus: float, baseline: float | None = None, unit: str = "") -> dict[str, Any]:
    return {
        "metric": metric,
        "unit": unit,
        "omnibus": omnibus,
        "baseline": baseline,
        "ratio": None if baseline is None else ratio(omnibus, baseline),  # None when the baseline is 0
    }


def target(text: str, met: bool) -> dict[str, Any]:
    return {"target": text, "met": bool(met)}


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, default=str)
