"""Demo data for the embedded mode (``make run``): a few customers with contacts and sites, created once."""

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


def seed_demo_customers(app: CustomersApp) -> None:
    if app.max_notification_id() > 0:
        return
    for fields, contact, site in DEMO:
        base = {
            "customer_status": "Open",
            "customer_enabled": True,
            "tax_identifier": None,
            "contract_start_date": None,
            "contract_end_date": None,
        }
        contact_fields = {"user_id": None, **contact}
        app.create_customer({**base, **fields}, [contact_fields], [site])
