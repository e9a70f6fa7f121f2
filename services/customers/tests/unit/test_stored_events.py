"""Every version of every customers event ever stored still loads (omnibus.testing.stored_events)."""

from datetime import UTC, datetime
from pathlib import Path

from eventsourcing.utils import get_topic

from omnibus.contracts import Actor
from omnibus.customers.application import CustomersApp
from omnibus.customers.domain import ALL_EVENTS
from omnibus.platform.context import CommandContext, command_context
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.settings import ServiceSettings
from omnibus.testing.stored_events import check_stored_events

SAMPLES = Path(__file__).parents[1] / "stored_events"
CUSTOMER = {
    "customer_name": "Sample Pty Ltd",
    "customer_account_type": "Business",
    "customer_status": "Open",
    "customer_payment_type": "postpaid",
    "customer_enabled": True,
    "tax_identifier": "ABN 51 824 753 556",
    "contract_start_date": datetime(2026, 1, 1, tzinfo=UTC),
    "contract_end_date": None,
}


def test_every_stored_event_version_still_loads() -> None:
    app = CustomersApp(env=eventstore_env(ServiceSettings(database_url="memory://").for_service("customers"), "c"))
    actor = Actor(user_id=7, auth_method="jwt", client_ip="192.0.2.1")
    with command_context(CommandContext(actor=actor, correlation_id="sample", causation_id="sample")):
        customer, [contact], [site] = app.create_customer(
            CUSTOMER, [{"contact_firstname": "Jo", "contact_email": "jo@sample.example"}], [{"site_name": "HQ"}]
        )
        app.update_customer(customer.customer_id, {"customer_name": "Sample Ltd"}, status="Suspended")
        app.update_contact(contact.contact_id, {"contact_lastname": "Bloggs"})
        app.update_site(site.site_id, {"city": "Sydney"})
        app.remove_contact(contact.contact_id)
        app.remove_site(site.site_id)
    recorded = app.store.select_notifications(1, 1000)

    assert {n.topic for n in recorded} >= {get_topic(cls) for cls in ALL_EVENTS}, "the scenario misses an event"
    assert check_stored_events(app.mapper, SAMPLES, recorded) == []
