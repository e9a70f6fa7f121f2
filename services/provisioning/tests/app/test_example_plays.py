"""The example plays in deploy/playbooks run for real: ansible-runner, the job token, our own API over HTTP."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from omnibus.testing.helpers import eventually

EXAMPLE_PLAYS = Path(__file__).parents[4] / "deploy" / "playbooks"
CUSTOMER = {
    "customer_name": "Acme Corporation",
    "customer_account_type": "Business",
    "customer_payment_type": "postpaid",
    "customer_enabled": True,
}


@pytest.fixture
def crm(api_factory: Callable[..., Any]) -> Iterator[Any]:
    """Provisioning and customers served on a real port: the plays call the API as in a deployment."""
    with api_factory(plays_dir=EXAMPLE_PLAYS, with_customers=True, serve_http=True) as running:
        running.directory.products[42] = {
            "product_id": 42,
            "provisioning_play": "play_simple_service",
            "provisioning_json_vars": '{"package_name": "Static IP", "monthly_cost": 20}',
            "inventory_items_list": "[]",
        }
        yield running


def test_play_simple_service_creates_the_service_record_through_the_api(crm: Any) -> None:
    customer = crm.request("PUT", "/crm/customer/", json=CUSTOMER).json()
    body = {
        "customer_id": customer["customer_id"],
        "product_id": 42,
        "custom_cost": 12.5,
    }

    job = crm.finished(crm.provision(body), timeout=60)

    assert job["provisioning_status"] == 0, job
    eventually(lambda: _assert_named(crm.job(job["provision_id"]), "Acme Corporation"), timeout=30)  # customers' events
    assert job["completed_tasks"] == len(job["provisioning_result_json"])
    services = crm.request(
        "GET", "/crm/service/", params={"filters": json.dumps({"customer_id": [customer["customer_id"]]})}
    )
    [service] = services.json()["data"]
    assert service["service_name"].startswith("Static IP - Service_")
    assert (service["service_type"], service["service_status"], service["product_id"]) == ("generic", "Active", 42)
    assert float(service["retail_cost"]) == 12.5
    assert "eyJ" not in json.dumps(job)  # no JWT anywhere, though every uri task sent one


def test_play_simple_service_rolls_back_and_fails_for_an_unknown_customer(crm: Any) -> None:
    body = {"customer_id": 999999, "product_id": 42, "provisioning_play": "play_simple_service"}

    job = crm.finished(crm.provision(body), timeout=60)

    assert job["provisioning_status"] == 2
    assert job["failed_task"] == "Get customer from CRM API"
    names = [(e["event_name"], e["provisioning_status"]) for e in job["provisioning_result_json"]]
    assert ("Get customer from CRM API", 2) in names
    assert "eyJ" not in json.dumps(job)  # the rescue prints the failed uri call, headers included: masked


def _assert_named(job: dict[str, Any], name: str) -> None:
    assert job["customer_name"] == name
