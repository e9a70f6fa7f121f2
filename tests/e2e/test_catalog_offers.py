"""Journeys: a customer created in the customers service decides the catalog's offers (its account type travels
over RabbitMQ); inventory is reserved once per provisioning job and assigned to the service (real processes)."""

import httpx
import pytest

from omnibus.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_a_business_customer_is_offered_business_products(launch, signing_key) -> None:
    customers = launch("customers")
    catalog = launch("catalog")
    headers = {"Authorization": f"Bearer {signing_key.token(['admin'])}"}
    plans = [
        {"product_name": "Business fibre", "product_slug": "biz-fibre", "business": True, "residential": False},
        {"product_name": "Home fibre", "product_slug": "home-fibre", "business": False, "residential": True},
    ]
    for plan in plans:
        assert httpx.put(f"{catalog.url}/crm/product/", json=plan, headers=headers).status_code == 200

    created = httpx.put(
        f"{customers.url}/crm/customer/",
        json={"customer_name": "Omnitouch Pty Ltd", "customer_account_type": "Business"},
        headers=headers,
    )

    customer_id = created.json()["customer_id"]

    def offered() -> list[str]:
        response = httpx.get(
            f"{catalog.url}/crm/product/available", params={"customer_id": customer_id}, headers=headers
        )
        assert response.status_code == 200, response.text
        return [p["product_slug"] for p in response.json()]

    assert eventually(offered, timeout=20) == ["biz-fibre"]


def test_inventory_is_reserved_once_and_assigned_to_the_service(launch, signing_key) -> None:
    catalog = launch("catalog")
    headers = {"Authorization": f"Bearer {signing_key.token(['admin'])}"}
    template = httpx.put(
        f"{catalog.url}/crm/inventory_template/", json={"item": "SIM Card", "itemtext1_key": "iccid"}, headers=headers
    ).json()
    item = httpx.put(
        f"{catalog.url}/crm/inventory/",
        json={"inventory_template_id": template["inventory_template_id"], "itemtext1": "8944000000000000001"},
        headers=headers,
    ).json()
    reserve = {"job_id": "provision-456", "item": "SIM Card"}

    first = httpx.post(f"{catalog.url}/crm/inventory/reserve", json=reserve, headers=headers)
    redelivered = httpx.post(f"{catalog.url}/crm/inventory/reserve", json=reserve, headers=headers)
    other_job = httpx.post(f"{catalog.url}/crm/inventory/reserve", json={**reserve, "job_id": "p-9"}, headers=headers)
    assigned = httpx.post(
        f"{catalog.url}/crm/inventory/inventory_id/{item['inventory_id']}/assign_reserved",
        json={"job_id": "provision-456", "customer_id": 123, "service_id": 77},
        headers=headers,
    )

    assert first.json()["inventory_id"] == redelivered.json()["inventory_id"] == item["inventory_id"]
    assert other_job.status_code == 409
    assert assigned.status_code == 200 and assigned.json()["item_state"] == "Assigned"
    listed = httpx.get(f"{catalog.url}/crm/inventory/customer_id/123", headers=headers).json()
    assert [i["inventory_id"] for i in listed["data"]] == [item["inventory_id"]]
