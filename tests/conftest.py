"""Fixtures for cross-service tests: services as separate processes on PostgreSQL and RabbitMQ."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from omnibus.testing.helpers import unique_name
from omnibus.testing.plugin import create_database, drop_database
from omnibus.testing.processes import ServiceProcess, SigningKey


@pytest.fixture
def signing_key(tmp_path: Path) -> SigningKey:
    return SigningKey(tmp_path)


@pytest.fixture
def databases(postgres_url: str) -> Iterator[dict[str, str]]:
    """One fresh database per service, as in a deployment."""
    names = {s: unique_name(f"e2e_{s}") for s in ("customers", "billing", "identity", "catalog")}
    urls = {service: create_database(postgres_url, name) for service, name in names.items()}
    try:
        yield urls
    finally:
        for name in names.values():
            drop_database(postgres_url, name)


@pytest.fixture
def service_env(fresh_vhost: str, signing_key: SigningKey) -> dict[str, str]:
    return {
        "OMNIBUS_AMQP_URL": fresh_vhost,
        "OMNIBUS_JWT_PUBLIC_KEY_FILE": str(signing_key.public_pem),
        "OMNIBUS_IDENTITY_SIGNING_KEY_FILE": str(signing_key.private_pem),
        "OMNIBUS_IDENTITY_OUTBOX_FILE": str(signing_key.private_pem.parent / "outbox.jsonl"),
        "OMNIBUS_IDENTITY_SECRET_KEY_FILE": str(signing_key.private_pem.parent / "identity-secret.key"),
        "OMNIBUS_LOG_LEVEL": "INFO",
        "OMNIBUS_CATALOG_SECRET_KEY_FILE": str(signing_key.public_pem.parent / "catalog-secret.key"),
    }


@pytest.fixture
def launch(databases: dict[str, str], service_env: dict[str, str], tmp_path: Path) -> Iterator[object]:
    """``launch("customers", role="all")`` starts a service process; all are stopped after the test."""
    started: list[ServiceProcess] = []

    def start(service: str, role: str = "all", wait_ready: bool = True) -> ServiceProcess:
        env = {**service_env, "OMNIBUS_DATABASE_URL": databases[service]}
        process = ServiceProcess(service, env, role=role, log_dir=tmp_path).start(wait_ready=wait_ready)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
