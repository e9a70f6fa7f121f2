"""Read-model tables of the customers service (lists, per-customer lookups, filters, sorting)."""

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    event,
)

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

services = Table(
    "customer_directory_services",
    metadata,
    Column("service_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_id", BigInteger, nullable=False, index=True),
    Column("product_id", BigInteger),
    Column("site_id", BigInteger),
    Column("service_name", String(255), nullable=False),
    Column("service_type", String(50)),
    Column("service_uuid", String(64), nullable=False, index=True),
    Column("icon", String(100)),
    Column("service_status", String(20), nullable=False, index=True),
    Column("service_provisioned_date", DateTime(timezone=True)),
    Column("service_active_date", DateTime(timezone=True)),
    Column("service_deactivate_date", DateTime(timezone=True), index=True),
    Column("contract_end_date", DateTime(timezone=True)),
    Column("retail_cost", Numeric(14, 2), nullable=False),
    Column("wholesale_cost", Numeric(14, 2), nullable=False),
    Column("service_billed", Boolean, nullable=False),
    Column("service_taxable", Boolean, nullable=False),
    Column("invoiced", Boolean, nullable=False),
    Column("promo_code", String(100)),
    Column("service_visible_to_customer", Boolean, nullable=False),
    Column("service_usage_visible_to_customer", Boolean, nullable=False),
    Column("provisioning_play", String(255)),
    Column("provisioning_json_vars", Text),
    Column("deprovisioning_play", String(255)),
    Column("deprovisioning_json_vars", Text),
    Column("bundled_parent", BigInteger),
    Column("service_notes", Text),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_modified", DateTime(timezone=True), nullable=False),
)

attributes = Table(
    "customer_directory_attributes",
    metadata,
    Column("attribute_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_id", BigInteger, nullable=False, index=True),
    Column("attribute_name", String(150), nullable=False),
    Column("attribute_value", String(150), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_modified", DateTime(timezone=True), nullable=False),
)

tags = Table(
    "customer_directory_tags",
    metadata,
    Column("tag_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_id", BigInteger, nullable=False, index=True),
    Column("tag_text", String(100), nullable=False),
    Column("tag_hex_color", String(6), nullable=False),
    Column("tag_link", String(2048)),
    Column("tag_active_date", DateTime(timezone=True), nullable=False),
    Column("tag_deactivate_date", DateTime(timezone=True), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_modified", DateTime(timezone=True), nullable=False),
)

# Global search (customers.md §2.10, §4.7): one row per searchable item, matched by substring on ``search_text``
# (lower-cased). On PostgreSQL a trigram GIN index serves ``LIKE '%term%'``; SQLite (embedded mode) scans.
search_items = Table(
    "search_index_items",
    metadata,
    Column("item_type", String(20), primary_key=True),
    Column("item_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_id", BigInteger),
    Column("name", String(255), nullable=False),
    Column("search_text", Text, nullable=False),
    Column("customer_status", String(20)),  # customer rows only: the Closed filter applies to them alone (D48)
    Column("fields", JSON, nullable=False),  # the source fields, to recompute search_text on partial updates
)
Index(
    "ix_search_index_items_trgm",
    search_items.c.search_text,
    postgresql_using="gin",
    postgresql_ops={"search_text": "gin_trgm_ops"},
).ddl_if(dialect="postgresql")
event.listen(
    search_items, "before_create", DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql")
)

# Activity log (customers.md §2.7, D49): one entry per event that concerns a customer. ``activity_id`` is the source
# event's id (the relay publishes it as ``event_id``), so entries are stable across rebuilds and unique across
# contexts. The customers' own events and the other contexts' are two tables of one shape, each its projection's,
# so each can be rebuilt alone; queries read both.


def _activity_entries(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("activity_id", String(36), primary_key=True),
        Column("customer_id", BigInteger, nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("source", String(30), nullable=False),
        Column("actor_user_id", BigInteger),
        Column("impersonating_user_id", BigInteger),
        Column("api_key_id", String(100)),
        Column("channel", String(20)),
        Column("client_ip", String(45)),
        Column("entity_type", String(30), nullable=False),
        Column("entity_id", String(64), nullable=False),
        Column("action", String(40), nullable=False),
        Column("summary", String(500), nullable=False),
        Column("source_event_id", String(36), nullable=False),
        Column("note", Text),
        Index(f"ix_{name}_customer_at", "customer_id", "at"),
    )


activity = _activity_entries("activity_log_entries")  # the customers' own events (local projection)
activity_feed = _activity_entries("activity_feed_entries")  # other contexts' events (bus projection)
ACTIVITY_TABLES = (activity, activity_feed)

# Identity's self-care users and the customer each is bound to (D34): whose log an impersonation belongs to.
activity_feed_users = Table(
    "activity_feed_users",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_id", BigInteger, nullable=False),
)

# Every service ever recorded and its customer (never deleted: charging's events about a service removed later
# still find their customer, and a replay finds the same ones).
service_owners = Table(
    "service_owners_services",
    metadata,
    Column("service_id", BigInteger, primary_key=True, autoincrement=False),
    Column("service_uuid", String(64), nullable=False, index=True),
    Column("customer_id", BigInteger, nullable=False),
)

# Communications (customers.md §2.8): the log the API lists, and the dispatcher's index of due work.
communications = Table(
    "communication_log_entries",
    metadata,
    Column("communication_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_id", BigInteger, index=True),
    Column("channel", String(10), nullable=False),
    Column("template_key", String(100)),
    Column("template_id", BigInteger),
    Column("to_address", String(254), nullable=False),
    Column("subject", String(255)),
    Column("variables", JSON, nullable=False),
    Column("message", Text),
    Column("related", JSON, nullable=False),
    Column("trigger_event_type", String(100)),
    Column("trigger_event_id", String(36)),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("attempt_started_at", DateTime(timezone=True)),
    Column("provider_message_id", String(100)),
    Column("error", Text),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_modified", DateTime(timezone=True), nullable=False),
    Index("ix_communication_log_entries_due", "status", "next_attempt_at"),
)

# Billing's invoices as communications need them (number, dates, total), from billing's events.
invoice_facts = Table(
    "invoice_facts_invoices",
    metadata,
    Column("invoice_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_id", BigInteger, nullable=False),
    Column("invoice_number", String(64), nullable=False),
    Column("invoice_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("total", Numeric(14, 2), nullable=False),
    Column("currency", String(3), nullable=False),
)

# Catalog's inventory items in global search (§4.7: itemtext1 and itemtext2 only), same shape as search_items.
inventory_search_items = Table(
    "inventory_search_items",
    metadata,
    Column("item_type", String(20), primary_key=True),
    Column("item_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_id", BigInteger),
    Column("name", String(255), nullable=False),
    Column("search_text", Text, nullable=False),
    Column("customer_status", String(20)),
    Column("fields", JSON, nullable=False),
)
Index(
    "ix_inventory_search_items_trgm",
    inventory_search_items.c.search_text,
    postgresql_using="gin",
    postgresql_ops={"search_text": "gin_trgm_ops"},
).ddl_if(dialect="postgresql")
event.listen(
    inventory_search_items,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)
