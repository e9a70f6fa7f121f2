"""Provisioning's commands to billing (``billing.commands``): a job's setup charge recorded once, and a failed
job's charges undone (setup charge voided, its play's card charge refunded, D71); answered by
``billing.CommandReplied``."""

import json
from typing import Any

from omnibus.billing.integration.commands import command_consumer
from omnibus.contracts import billing as b
from omnibus.platform.messaging.bus import Delivery
from omnibus.testing.commands import command_message
from omnibus.testing.helpers import eventually


def handle(api: Any, command: b.BillingCommand, command_id: str) -> dict[str, Any]:
    message = command_message(command, command_id, correlation_id=f"provision:{command.provision_id}")
    delivery = Delivery(b.COMMAND_QUEUE, message.routing_key, message.body, message.message_id, message.headers)
    assert command_consumer(api.app).handle_one(delivery) is None

    def replied() -> dict[str, Any]:
        found = [r for r in _replies(api) if r["command_id"] == command_id]
        assert len(found) == 1, found
        return found[0]

    return eventually(replied)


def _replies(api: Any) -> list[dict[str, Any]]:
    return [json.loads(m.body) for m in api.published("billing.CommandReplied")]


def setup_charge(customer_id: int, provision_id: int = 9) -> b.RecordSetupCharge:
    return b.RecordSetupCharge(
        provision_id=provision_id, customer_id=customer_id, title="Mobile 20GB - Setup Costs", retail_cost="25.00"
    )


def test_a_setup_charge_is_recorded_once_per_job(api: Any) -> None:
    customer_id = api.new_customer()

    first = handle(api, setup_charge(customer_id), "9/setup/do/0")
    again = handle(api, setup_charge(customer_id), "9/setup/do/0#retry")

    transaction_id = first["result"]["transaction_id"]
    assert again["result"] == {"transaction_id": transaction_id}
    line = api.get(f"/crm/transaction/transaction_id/{transaction_id}").json()
    assert (line["retail_cost"], line["provision_id"], line["title"]) == (25.0, 9, "Mobile 20GB - Setup Costs")
    assert len(api.published("billing.TransactionRecorded")) == 1


def test_a_failed_jobs_charges_are_voided_and_its_card_charge_refunded(api: Any) -> None:
    customer_id = api.new_customer()
    other = api.new_customer("Other Ltd")
    card = api.new_card(customer_id)
    paid = api.post(
        f"/crm/stripe/charge_card/{card['customer_stripe_id']}",
        json={
            "customer_id": customer_id,
            "retail_cost": 5,
            "description": "5GB Boost",
            "provision_id": 9,
            "invoice": True,
        },
    ).json()
    setup = handle(api, setup_charge(customer_id), "9/setup/do/0")["result"]["transaction_id"]
    handle(api, setup_charge(other, provision_id=10), "10/setup/do/0")

    undone = handle(api, b.VoidProvisionCharges(provision_id=9, customer_id=customer_id), "9/void/undo/0")
    again = handle(api, b.VoidProvisionCharges(provision_id=9, customer_id=customer_id), "9/void/undo/0#2")

    assert undone["result"] == {"voided": [setup], "refunded_invoices": [paid["invoice_id"]]}
    assert again["result"] == {"voided": [], "refunded_invoices": []}
    assert api.get(f"/crm/invoice/invoice_id/{paid['invoice_id']}").json()["refunded_amount"] == 5.0
    assert len([o for o in api.stripe.objects.values() if o["object"] == "refund"]) == 1
