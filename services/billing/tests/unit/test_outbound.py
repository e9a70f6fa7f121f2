"""Every published billing event maps to a contract that validates (billing.md §8)."""

import json
from decimal import Decimal
from uuid import uuid4

from omnibus.billing.domain import ALL_EVENTS, Invoice, Transaction
from omnibus.billing.domain.dunning import DunningStep
from omnibus.billing.integration.outbound import OUTBOUND, to_integration
from omnibus.contracts import REGISTRY


def test_every_domain_event_is_published_or_deliberately_private():
    assert len(OUTBOUND.topics) == len(ALL_EVENTS)


def test_transaction_recorded_carries_money_as_decimal_strings():
    line = Transaction(
        id=uuid4(),
        transaction_id=3,
        customer_id=1,
        fields=Transaction.new_fields(
            {"title": "Fee", "retail_cost": Decimal("9.99"), "tax_percentage": Decimal("17.5")}, "gbp"
        ),
    )

    (event,) = line.collect_events()
    message = to_integration(event)

    body = json.loads(message.model_dump_json())
    assert (body["retail_cost"], body["tax_amount"], body["currency"]) == ("9.99", "1.75", "gbp")
    assert REGISTRY.resolve(message.event_type()) is type(message)


def test_dunning_day_30_is_published_as_escalation_and_day_15_also_as_suspension():
    fields = {
        "title": "t",
        "start_date": "2025-01-01",
        "end_date": "2025-01-31",
        "due_date": "2025-01-31",
        "transaction_ids": [1],
        "service_ids": [4],
        "retail_cost": Decimal("1"),
        "total_tax": Decimal("0"),
        "total": Decimal("1"),
        "currency": "usd",
        "invoice_number": "1",
    }
    invoice = Invoice(id=uuid4(), invoice_id=1, customer_id=2, fields=fields)
    invoice.reach_dunning_step(DunningStep(15, "suspend"))
    invoice.reach_dunning_step(DunningStep(30, "escalate"))

    names = [type(to_integration(e)).__name__ for e in invoice.collect_events()]

    assert names == ["InvoiceGenerated", "DunningStepReached", "ServiceSuspensionRequested", "DunningEscalated"]
