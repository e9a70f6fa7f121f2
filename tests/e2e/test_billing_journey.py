"""Journey: customer -> billing lines -> invoice -> PDF -> saved card -> card payment, across real processes
(customers and billing on PostgreSQL, events over RabbitMQ, billing's Stripe stand-in in its own process)."""

import httpx
import pytest

from omnibus.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_a_customer_is_billed_invoiced_and_pays_by_card(launch, signing_key) -> None:
    customers = launch("customers")
    billing = launch("billing")
    headers = {"Authorization": f"Bearer {signing_key.token(['admin'])}"}
    created = httpx.put(
        f"{customers.url}/crm/customer/",
        headers=headers,
        json={"customer_name": "Journey Ltd", "site": {"address_line_1": "1 Example St", "city": "Sydney"}},
    ).json()
    customer_id = created["customer_id"]

    def charge() -> dict:
        response = httpx.put(
            f"{billing.url}/crm/transaction/",
            headers=headers,
            json={
                "customer_id": customer_id,
                "title": "Mobile Service - Monthly Fee",
                "retail_cost": "30.00",
                "tax_percentage": "10",
            },
        )
        assert response.status_code == 200, response.text  # 404 until billing has the customer from the bus
        return response.json()

    eventually(charge, timeout=60)  # the customer crosses RabbitMQ; slow on a loaded 2-core machine
    invoice = httpx.put(
        f"{billing.url}/crm/invoice/",
        headers=headers,
        json={"customer_id": customer_id, "start_date": "2000-01-01", "end_date": "2100-01-01"},
    ).json()
    pdf = httpx.get(f"{billing.url}/crm/invoice/{invoice['invoice_id']}/pdf", headers=headers, timeout=30)
    card = httpx.put(
        f"{billing.url}/crm/stripe/",
        headers=headers,
        json={"customer_id": customer_id, "customer_stripe_id": "pm_card_visa"},
    ).json()
    paid = httpx.post(
        f"{billing.url}/crm/invoice/invoice_id/{invoice['invoice_id']}/pay",
        headers=headers,
        json={"method": "stripe"},
        timeout=30,
    )

    assert invoice["total"] == 33.0
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert card["is_default"] is True
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["payment_reference"][:3]) == ("Paid", "pi_")
    listed = httpx.get(f"{billing.url}/crm/transaction/customer_id/{customer_id}", headers=headers).json()["data"]
    assert sorted(t["transaction_type"] for t in listed) == ["charge", "payment"]
