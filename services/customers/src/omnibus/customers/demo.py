"""Demo data for the embedded mode (``make run``): customers with contacts, sites, services, attributes and tags,
created once."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from omnibus.customers.application import CustomersApp

DEMO = (
    (
        {"customer_name": "Acme Corporation", "customer_account_type": "Business", "customer_payment_type": "postpaid"},
        {
            "contact_firstname": "John",
            "contact_lastname": "Smith",
            "contact_email": "john@acme.example",
            "contact_phone": "+44 7700 900123",
            "contact_types": ["primary", "billing"],
        },
        {
            "site_name": "Head office",
            "address_line_1": "10 Downing Street",
            "city": "London",
            "state": "England",
            "zip_code": "SW1A 2AA",
            "country": "United Kingdom",
            "latitude": Decimal("51.5034"),
            "longitude": Decimal("-0.1276"),
            "plus_code": "9C3XGV3C+CW",
            "address_source": "manual",
        },
    ),
    (
        {"customer_name": "Jane Doe", "customer_account_type": "Individual", "customer_payment_type": "prepaid"},
        {
            "contact_firstname": "Jane",
            "contact_lastname": "Doe",
            "contact_email": "jane.doe@example.com",
            "contact_phone": "+61 412 345 678",
            "contact_types": ["primary"],
        },
        {
            "site_name": "Home",
            "address_line_1": "1 George Street",
            "city": "Sydney",
            "state": "NSW",
            "zip_code": "2000",
            "country": "Australia",
            "latitude": Decimal("-33.8688"),
            "longitude": Decimal("151.2093"),
            "address_source": "manual",
        },
    ),
)


# Per demo customer: its services (as a playbook creates them), attributes and tags.
SERVICES = (
    (
        {
            "service_name": "Mobile - +44 7700 900123",
            "service_type": "mobile",
            "service_uuid": "Mobile_SIM_a3f2c1d8",
            "icon": "fa-solid fa-sim-card",
            "retail_cost": Decimal("30.00"),
            "wholesale_cost": Decimal("5.00"),
            "provisioning_play": "play_psim_only",
        },
        {
            "service_name": "Fibre 500 - Head office",
            "service_type": "internet",
            "service_uuid": "FixedWireless_75628fa5",
            "retail_cost": Decimal("89.00"),
            "wholesale_cost": Decimal("40.00"),
        },
    ),
    (
        {
            "service_name": "Mobile - +61 412 345 678",
            "service_type": "mobile",
            "service_uuid": "Local_Mobile_SIM_0412345678",
            "retail_cost": Decimal("25.00"),
            "wholesale_cost": Decimal("4.00"),
        },
    ),
)
ATTRIBUTES = (
    {"external_crm_id": "SF-12345", "billing_method": "quarterly", "support_tier": "premium"},
    {"preferred_contact_method": "email"},
)
TAGS = (
    ({"tag_text": "Open Support Ticket", "tag_hex_color": "FFD700", "tag_link": "https://tickets.example.com/T-42"},),
    ({"tag_text": "Super Late Invoice", "tag_hex_color": "FF0000", "tag_link": None},),
)


def seed_demo_customers(app: CustomersApp) -> None:
    if app.max_notification_id() > 0:
        return
    now = datetime.now(UTC).replace(microsecond=0)
    for (fields, contact, site), services, attributes, tags in zip(DEMO, SERVICES, ATTRIBUTES, TAGS, strict=True):
        base = {
            "customer_status": "Open",
            "customer_enabled": True,
            "tax_identifier": None,
            "contract_start_date": None,
            "contract_end_date": None,
        }
        contact_fields = {"user_id": None, **contact}
        customer, _, _ = app.create_customer({**base, **fields}, [contact_fields], [site])
        for service in services:
            expiry = {"service_active_date": now, "service_deactivate_date": now + timedelta(days=5)}
            app.create_service(customer.customer_id, "Active", {**service, **expiry, "service_provisioned_date": now})
        for name, value in attributes.items():
            app.set_attribute(customer.customer_id, name, value)
        for tag in tags:
            window = {"tag_active_date": now, "tag_deactivate_date": datetime(2099, 1, 1, tzinfo=UTC)}
            app.add_tag(customer.customer_id, {**tag, **window})
