"""The example play end to end on PostgreSQL (one database per service) and RabbitMQ, over real HTTP."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from omnibus.testing.helpers import eventually, unique_name
from omnibus.testing.plugin import create_database, drop_database

EXAMPLE_PLAYS = Path(__file__).parents[4] / "deploy" / "playbooks"
pytestmark = pytest.mark.integration


@pytest.fixture
def databases(postgres_url: str) -> Iterator[str]:
    """``.../<name>_{service}``: a fresh database for customers and one for provisioning."""
    base = unique_name("omnibus_test")
    for service in ("customers", "provisioning"):
        create_database(postgres_url, f"{base}_{service}")
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{base}_{{service}}"
    finally:
        for service in ("customers", "provisioning"):
            drop_database(postgres_url, f"{base}_{service}")


def test_play_simple_service_on_postgres_and_rabbitmq(
    databases: str, fresh_vhost: str, start_service: Callable[..., Any]
) -> None:
    with start_service(
        databases, plays_dir=EXAMPLE_PLAYS, with_customers=True, serve_http=True, amqp_url=fresh_vhost
    ) as crm:
        crm.directory.products[42] = {"product_id": 42, "provisioning_play": "play_simple_service"}
        customer = crm.request(
            "PUT",
            "/crm/customer/",
            json={
                "customer_name": "Rabbit Ltd",
                "customer_account_type": "Business",
                "customer_payment_type": "prepaid",
                "customer_enabled": True,
            },
        ).json()

        job = crm.finished(crm.provision({"customer_id": customer["customer_id"], "product_id": 42}), timeout=60)
        named = eventually(lambda: _named(crm.job(job["provision_id"])), timeout=30)
        services = crm.request("GET", "/crm/service/", params={"search": "Service_"}).json()["data"]

    assert job["provisioning_status"] == 0, job
    assert named == "Rabbit Ltd"
    assert [s["customer_id"] for s in services] == [customer["customer_id"]]


def _named(job: dict[str, Any]) -> str:
    assert job["customer_name"] is not None
    return str(job["customer_name"])
