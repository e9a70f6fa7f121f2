"""Run Omnibus services as real processes for end-to-end tests (real HTTP, PostgreSQL and RabbitMQ)."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SigningKey:
    """An Ed25519 key pair: services verify with the public PEM file, tests mint tokens."""

    def __init__(self, folder: Path) -> None:
        self.private = Ed25519PrivateKey.generate()
        self.private_pem = folder / "jwt-private.pem"  # identity signs with it (OMNIBUS_IDENTITY_SIGNING_KEY_FILE)
        self.private_pem.write_bytes(
            self.private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        self.public_pem = folder / "jwt-public.pem"
        self.public_pem.write_bytes(
            self.private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def token(self, permissions: list[str], sub: str = "1", minutes: int = 30, **claims: object) -> str:
        now = int(time.time())
        body = {"sub": sub, "permissions": permissions, "token_type": "access", "iat": now, "exp": now + minutes * 60}
        return jwt.encode({**body, **claims}, self.private, algorithm="EdDSA")


class ServiceProcess:
    """``omnibus serve <service>`` in a subprocess; stop() terminates, kill() sends SIGKILL."""

    def __init__(self, service: str, env: Mapping[str, str], role: str = "all", log_dir: Path | None = None) -> None:
        self.service = service
        self.role = role
        self.port = free_port()
        self.env = {**os.environ, **env, "OMNIBUS_HTTP_PORT": str(self.port)}
        self.log_path = (log_dir or Path("/tmp")) / f"{service}-{role}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_ready: bool = True, timeout: float = 30.0) -> "ServiceProcess":
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the process's lifetime
        command = [sys.executable, "-m", "omnibus.platform.cli", "serve", self.service, "--role", self.role]
        self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        if wait_ready and self.role != "workers":
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.service} exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.service} not ready: {self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def logs(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""
