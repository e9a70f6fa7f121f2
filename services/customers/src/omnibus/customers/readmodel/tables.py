"""Read-model tables of the customers service (lists, per-customer lookups, filters, sorting)."""

from sqlalchemy import JSON, BigInteger, Boolean, Column, DateTime, Index, MetaData, String, Table

metadata = MetaData()

customers = Table(
    "customer_directory_customers",
    metadata,
    Column("customer_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_name", String(255), nullable=False),
    Column("customer_account_type", String(20), nullable=False),
    Column("customer_status", String(20), nullable=False),
    Column("customer_payment_type", String(20), nullable=False),
    Column("customer_enabled", Boolean, nullable=False),
    Column("tax_identifier", String(64)),
    Column("contract_start_date", DateTime(timezone=True)),
    Column("contract_end_date", DateTime(timezone=True)),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_modified", DateTime(timezone=True), nullable=False),
    Index("ix_customer_directory_customers_status", "customer_status"),
    Index("ix_customer_directory_customers_name", "customer_name"),
)

contacts = Table(
    "customer_directory_contacts",
    metadata,
    Column("contact_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_id", BigInteger, nullable=False, index=True),
    Column("contact_firstname", String(100)),
    Column("contact_lastname", String(100)),
    Column("contact_email", String(254)),
    Column("contact_phone", String(32)),
    Column("contact_types", JSON, nullable=False),
    Column("user_id", BigInteger),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_modified", DateTime(timezone=True), nullable=False),
)

sites = Table(
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
    Column("latitude", String(32)),
    Column("longitude", String(32)),
    Column("google_maps_place_id", String(255)),
    Column("plus_code", String(16)),
    Column("address_source", String(10)),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_modified", DateTime(timezone=True), nullable=False),
)
