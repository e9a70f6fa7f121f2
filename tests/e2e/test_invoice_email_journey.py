"""Journey across contexts in the embedded mode: billing invoices a customer and is asked to e-mail it; customers
sends Mailjet's invoice template to the billing contact with billing's figures, and the customer's activity log
shows both contexts' steps with who did them."""

import json
from pathlib import Path

from fastapi.testclient import TestClient

from omnibus.platform.runtime import Dispatcher, build_services, embedded_app
from omnibus.platform.settings import ServiceSettings
from omnibus.testing import eventually
from omnibus.testing.processes import SigningKey


def test_an_invoice_emailed_by_billing_reaches_the_customers_billing_contact(tmp_path: Path) -> None:
    key = SigningKey(tmp_path)
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path}/data", jwt_public_key_file=key.public_pem)
    infra, runtimes = build_services(settings, ["customers", "billing"])
    mailjet = next(r for r in runtimes if r.name == "customers").parts.state["channels"].mailjet_standin
    staff = {"Authorization": f"Bearer {key.token(['admin'], sub='7')}"}

    with TestClient(Dispatcher(embedded_app(infra, runtimes))) as client:
        customer = client.put(
            "/crm/customer/",
            json={
                "customer_name": "Journey Ltd",
                "contacts": [
                    {"contact_firstname": "Ann", "contact_email": "ann@journey.example", "contact_types": ["primary"]},
                    {"contact_firstname": "Bob", "contact_email": "ap@journey.example", "contact_types": ["billing"]},
                ],
            },
            headers=staff,
        ).json()
        customer_id = customer["customer_id"]
        line = {"customer_id": customer_id, "title": "Monthly fee", "retail_cost": "30.00", "tax_percentage": "10"}
        eventually(lambda: _ok(client.put("/crm/transaction/", json=line, headers=staff)), timeout=30)
        invoice = client.put(
            "/crm/invoice/",
            json={"customer_id": customer_id, "start_date": "2000-01-01", "end_date": "2100-01-01"},
            headers=staff,
        ).json()
        emailed = client.post(f"/crm/invoice/invoice_id/{invoice['invoice_id']}/email", json={}, headers=staff)

        message = eventually(lambda: _invoice_mail(mailjet.sent_to("ap@journey.example")), timeout=30)
        log = eventually(lambda: _log(client, customer_id, staff), timeout=30)

    assert emailed.status_code == 200, emailed.text
    assert message["Variables"]["invoice_number"] == str(invoice["invoice_number"])
    assert message["Variables"]["total_amount"] == "33.00" and message["Variables"]["customer_name"] == "Journey Ltd"
    assert {("billing", "invoice", "generated"), ("billing", "invoice", "email_requested")} <= log
    assert ("customers", "communication", "sent") in log


def _ok(response) -> None:
    assert response.status_code == 200, response.text  # 404 until billing has the customer from the bus


def _invoice_mail(messages: list[dict]) -> dict:
    found = [m for m in messages if m["TemplateID"] == 6759851]
    assert len(found) == 1, messages
    return found[0]


def _log(client: TestClient, customer_id: int, staff: dict[str, str]) -> set[tuple[str, str, str]]:
    params = {"per_page": 100, "filters": json.dumps({"entity_type": ["invoice", "communication"]})}
    data = client.get(f"/crm/activity/customer_id/{customer_id}", params=params, headers=staff).json()["data"]
    found = {(e["source"], e["entity_type"], e["action"]) for e in data}
    assert ("customers", "communication", "sent") in found and ("billing", "invoice", "email_requested") in found
    staff_entry = next(e for e in data if e["action"] == "email_requested")
    assert staff_entry["actor_user_id"] == 7 and staff_entry["channel"] == "jwt"
    return found
