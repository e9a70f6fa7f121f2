"""Every version of every customers event ever stored still loads (omnibus.testing.stored_events)."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from eventsourcing.utils import get_topic

from omnibus.contracts import Actor
from omnibus.customers.application import CustomersApp
from omnibus.customers.application.notices import EXAMPLE_TEMPLATES, ContactInfo, Notices
from omnibus.customers.domain import ALL_EVENTS
from omnibus.platform.context import CommandContext, command_context
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.settings import ServiceSettings
from omnibus.testing.stored_events import check_stored_events

SERVICE = {
    "service_uuid": "sample-0001",
    "service_name": "Mobile 10GB",
    "service_type": "mobile",
    "product_id": 3,
    "retail_cost": Decimal("29.95"),
    "service_active_date": datetime(2026, 1, 1, tzinfo=UTC),
}
TAG = {
    "tag_text": "VIP",
    "tag_hex_color": "ff8800",
    "tag_link": None,
    "tag_active_date": datetime(2026, 1, 1, tzinfo=UTC),
    "tag_deactivate_date": datetime(2099, 1, 1, tzinfo=UTC),
}
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
    env = eventstore_env(ServiceSettings(database_url="memory://").for_service("customers"), "c")
    app = CustomersApp(env=env, notices=Notices(EXAMPLE_TEMPLATES))
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
        service = app.create_service(customer.customer_id, "Active", SERVICE)
        app.update_service(
            service.service_id,
            {"service_deactivate_date": datetime(2027, 1, 1, tzinfo=UTC), "service_visible_to_customer": False},
        )
        app.update_service(service.service_id, {}, status="Deactivated")
        app.delete_service(service.service_id)
        attribute = app.set_attribute(customer.customer_id, "router_model", "RB5009")
        app.change_attribute_value(attribute.attribute_id, "RB4011")
        app.remove_attribute(attribute.attribute_id)
        tag = app.add_tag(customer.customer_id, TAG)
        app.update_tag(tag.tag_id, {"tag_text": "VIP customer"})
        app.remove_tag(tag.tag_id)
        app.add_note(customer.customer_id, "Called about the invoice")
        _communicate(app, customer.customer_id)
    recorded = app.store.select_notifications(1, 1000)

    assert {n.topic for n in recorded} >= {get_topic(cls) for cls in ALL_EVENTS}, "the scenario misses an event"
    assert check_stored_events(app.mapper, SAMPLES, recorded) == []


def _communicate(app: CustomersApp, customer_id: int) -> None:
    """Preferences, an expiry reminder, and a welcome e-mail that fails, is retried, given up, then sent."""
    app.change_notification_preferences(customer_id, {"sms_enabled": False})
    expiring = app.create_service(
        customer_id,
        "Active",
        {**SERVICE, "service_uuid": "sample-0002", "service_deactivate_date": datetime(2026, 1, 5, tzinfo=UTC)},
    )
    contacts = [ContactInfo(1, "Jo", "jo@sample.example", None, ("primary",))]
    app.detect_service_expiring(expiring.service_id, datetime(2026, 1, 3, tzinfo=UTC), contacts)
    welcome = 1  # the customer's welcome, requested with it
    attempt = app.start_attempt(welcome)
    app.record_failure(welcome, attempt, "Mailjet answered 503", datetime(2026, 1, 1, tzinfo=UTC))
    app.record_failure(welcome, app.start_attempt(welcome), "Mailjet refused the message", None)
    app.retry_communication(welcome)
    app.record_sent(welcome, app.start_attempt(welcome), "288230376151711001")
