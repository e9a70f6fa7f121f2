"""Billing's own copy of what invoices need from the customers context: names, e-mails, addresses."""

from sqlalchemy import JSON, BigInteger, Column, MetaData, String, Table

metadata = MetaData()

directory_customers = Table(
    "customer_directory_customers",
    metadata,
    Column("customer_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_name", String(255), nullable=False),
    Column("customer_status", String(20), nullable=False),
    Column("customer_payment_type", String(20), nullable=False),
    Column("tax_identifier", String(64)),
)

directory_contacts = Table(
    "customer_directory_contacts",
    metadata,
    Column("contact_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_id", BigInteger, nullable=False, index=True),
    Column("contact_firstname", String(100)),
    Column("contact_lastname", String(100)),
    Column("contact_email", String(254)),
    Column("contact_types", JSON, nullable=False),
)

directory_sites = Table(
    "customer_directory_sites",
    metadata,
    Column("site_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_id", BigInteger, nullable=False, index=True),
    Column("site_name", String(255)),
    Column("address_line_1", String(255)),
    Column("address_line_2", String(255)),
    Column("city", String(100)),
    Column("state", String(100)),
    Column("zip_code", String(20)),
    Column("country", String(100)),
)
