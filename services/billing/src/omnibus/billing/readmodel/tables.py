"""Billing's read models: its copy of the customer directory, and the projections of its own events."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

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

# --- billing's own read models (projections of its events; money in integer cents: exact sums in SQL) ---------

transactions = Table(
    "transactions",
    metadata,
    Column("transaction_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_id", BigInteger, nullable=False, index=True),
    Column("service_id", BigInteger),
    Column("invoice_id", BigInteger, index=True),
    Column("title", String(255), nullable=False),
    Column("description", Text),
    Column("retail_cents", BigInteger, nullable=False),
    Column("wholesale_cents", BigInteger, nullable=False),
    Column("tax_percentage", String(20), nullable=False),
    Column("tax_cents", BigInteger, nullable=False),
    Column("transaction_type", String(10), nullable=False),
    Column("payment_method", String(20)),
    Column("currency", String(3), nullable=False),
    Column("provision_id", BigInteger),
    Column("idempotency_key", String(255)),
    Column("source", String(20), nullable=False),
    Column("stripe_payment_id", String(255)),
    Column("void", Boolean, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False, index=True),
    Column("last_modified", DateTime(timezone=True), nullable=False),
)
Index("transactions_uninvoiced", transactions.c.customer_id, transactions.c.invoice_id, transactions.c.created)

invoices = Table(
    "invoices",
    metadata,
    Column("invoice_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_id", BigInteger, nullable=False, index=True),
    Column("title", String(255), nullable=False),
    Column("invoice_number", String(64), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("retail_cents", BigInteger, nullable=False),
    Column("tax_cents", BigInteger, nullable=False),
    Column("total_cents", BigInteger, nullable=False),
    Column("refunded_cents", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("paid", Boolean, nullable=False),
    Column("paid_date", Date),
    Column("void", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("payment_reference", String(255)),
    Column("refund_reference", String(255)),
    Column("payment", JSON),
    Column("transaction_ids", JSON, nullable=False),
    Column("dunning_day", Integer),
    Column("suspended", Boolean, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False, index=True),
    Column("last_modified", DateTime(timezone=True), nullable=False),
)

cards = Table(
    "cards",
    metadata,
    Column("card_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_id", BigInteger, nullable=False, index=True),
    Column("customer_stripe_id", String(255), nullable=False, index=True),
    Column("stripe_customer_id", String(255), nullable=False),
    Column("brand", String(20), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("exp_month", Integer, nullable=False),
    Column("exp_year", Integer, nullable=False),
    Column("name", String(255)),
    Column("nickname", String(100)),
    Column("is_default", Boolean, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)

# Operational state written directly (not events): a cache, job progress and an inbox of Stripe event ids.
invoice_pdf_cache = Table(
    "invoice_pdf_cache",
    metadata,
    Column("invoice_id", BigInteger, primary_key=True, autoincrement=False),
    Column("sha256", String(64), nullable=False),
    Column("template_filename", String(255), nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_accessed", DateTime(timezone=True), nullable=False),
)

billing_runs = Table(
    "billing_runs",
    metadata,
    Column("run_id", BigInteger, primary_key=True, autoincrement=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("total", Integer, nullable=False),
    Column("done", Integer, nullable=False),
    Column("invoiced", Integer, nullable=False),
    Column("skipped", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("errors", JSON, nullable=False),
    Column("started", DateTime(timezone=True), nullable=False),
    Column("finished", DateTime(timezone=True)),
)

stripe_webhook_events = Table(
    "stripe_webhook_events",
    metadata,
    Column("event_id", String(255), primary_key=True),
    Column("type", String(100), nullable=False),
    Column("received", DateTime(timezone=True), nullable=False),
)
