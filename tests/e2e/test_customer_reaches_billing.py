"""Journey: a customer created over HTTP in the customers service reaches billing's directory over RabbitMQ."""

import httpx
import pytest
from sqlalchemy import create_engine

from omnibus.billing.readmodel.queries import billing_profile
from omnibus.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_customer_created_over_http_appears_in_billing_directory(launch, databases, signing_key) -> None:
    customers = launch("customers")
    launch("billing")
    token = signing_key.token(["create_customer", "view_customer"])
    body = {
        "customer_name": "Omnitouch Pty Ltd",
        "customer_account_type": "Business",
        "contact": {
            "contact_firstname": "Nick",
            "contact_lastname": "Jones",
            "contact_email": "billing@omni.example",
            "contact_types": ["billing"],
        },
        "site": {"site_name": "HQ", "address_line_1": "1 Example St", "city": "Sydney", "country": "Australia"},
    }

    response = httpx.put(f"{customers.url}/crm/customer/", json=body, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200, response.text
    customer_id = response.json()["customer_id"]
    engine = create_engine(databases["billing"].replace("postgresql://", "postgresql+psycopg://"))

    def billing_has_it() -> dict:
        with engine.connect() as conn:
            profile = billing_profile(conn, customer_id)
        assert profile is not None
        return profile

    profile = eventually(billing_has_it, timeout=20)
    assert profile["customer_name"] == "Omnitouch Pty Ltd"
    assert profile["billing_email"] == "billing@omni.example"
    assert profile["billing_address"]["city"] == "Sydney"
    engine.dispose()


def test_customer_update_over_http_reaches_billing(launch, databases, signing_key) -> None:
    customers = launch("customers")
    launch("billing")
    headers = {"Authorization": f"Bearer {signing_key.token(['admin'])}"}
    created = httpx.put(f"{customers.url}/crm/customer/", json={"customer_name": "Before"}, headers=headers).json()

    response = httpx.patch(
        f"{customers.url}/crm/customer/customer_id/{created['customer_id']}",
        json={"customer_name": "After", "customer_status": "Suspended"},
        headers=headers,
    )

    assert response.status_code == 200, response.text
    engine = create_engine(databases["billing"].replace("postgresql://", "postgresql+psycopg://"))

    def updated() -> None:
        with engine.connect() as conn:
            profile = billing_profile(conn, created["customer_id"])
        assert profile is not None and profile["customer_name"] == "After"
        assert profile["customer_status"] == "Suspended"

    eventually(updated, timeout=20)
    engine.dispose()
