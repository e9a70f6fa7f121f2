"""pytest plugin: URLs of the local PostgreSQL and RabbitMQ servers, skipping (or failing in CI) without them.

PostgreSQL: ``OMNIBUS_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``).
RabbitMQ: ``OMNIBUS_TEST_AMQP_URL`` (default ``amqp://guest:guest@127.0.0.1:5672/``).
With ``OMNIBUS_REQUIRE_INFRA=1`` an unreachable server fails the test instead of skipping it.
"""

import os
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from omnibus.testing.helpers import unique_name

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def _require(url: str, port: int, what: str) -> str:
    if _reachable(url, port):
        return url
    message = f"{what} not reachable at {url}"
    if os.environ.get("OMNIBUS_REQUIRE_INFRA") == "1":
        pytest.fail(f"{message} and OMNIBUS_REQUIRE_INFRA=1", pytrace=False)
    pytest.skip(f"{message}; set the URL or start the server (CI sets OMNIBUS_REQUIRE_INFRA=1)")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a PostgreSQL server database where test databases can be created."""
    return _require(os.environ.get("OMNIBUS_TEST_POSTGRES_URL", DEFAULT_POSTGRES), 5432, "PostgreSQL")


@pytest.fixture(scope="session")
def amqp_url() -> str:
    return _require(os.environ.get("OMNIBUS_TEST_AMQP_URL", DEFAULT_AMQP), 5672, "RabbitMQ")


def database_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def create_database(server_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_vhost(amqp_url: str) -> Iterator[str]:
    """A new, empty RabbitMQ virtual host for one test (isolated queue names); deleted afterwards."""
    import shutil
    import subprocess

    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        message = "rabbitmqctl not found: cannot create an isolated vhost"
        if os.environ.get("OMNIBUS_REQUIRE_INFRA") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    name = unique_name("omnibus_test")
    parts = urlsplit(amqp_url)
    user = parts.username or "guest"
    subprocess.run([ctl, "-q", "add_vhost", name], check=True, capture_output=True)
    subprocess.run([ctl, "-q", "set_permissions", "-p", name, user, ".*", ".*", ".*"], check=True, capture_output=True)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
    finally:
        subprocess.run([ctl, "-q", "delete_vhost", name], check=False, capture_output=True)


@pytest.fixture
def fresh_database(postgres_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test; dropped afterwards."""
    name = unique_name("omnibus_test")
    url = create_database(postgres_url, name)
    try:
        yield url
    finally:
        drop_database(postgres_url, name)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "long: a test of minutes; run first so parallel workers finish together")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("long") is None)
