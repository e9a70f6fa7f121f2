"""Billing's invoices as the customer's messages need them (number, dates, total), from billing's events."""

from typing import Any

from omnibus.contracts.billing import InvoiceGenerated, InvoiceUpdated
from omnibus.customers.readmodel.tables import invoice_facts
from omnibus.platform.consumers import BusProjection, ReceivedEvent
from omnibus.platform.readmodels import Rows


class InvoiceFactsProjection(BusProjection):
    name = "invoice_facts"
    tables = (invoice_facts,)
    handles = (InvoiceGenerated, InvoiceUpdated)

    def apply(self, event: ReceivedEvent, rows: Rows) -> None:
        payload: Any = event.payload
        if isinstance(payload, InvoiceGenerated):
            rows(invoice_facts).put(
                {
                    "invoice_id": payload.invoice_id,
                    "customer_id": payload.customer_id,
                    "invoice_number": payload.invoice_number,
                    "invoice_date": payload.created.date(),
                    "due_date": payload.due_date,
                    "total": payload.total,
                    "currency": payload.currency,
                }
            )
        elif isinstance(payload, InvoiceUpdated) and "due_date" in payload.changed_fields and payload.due_date:
            rows(invoice_facts).update(payload.invoice_id, due_date=payload.due_date)
