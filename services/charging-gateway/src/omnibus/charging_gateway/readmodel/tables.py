"""Read-model tables of the charging gateway.

- ``ocs_accounts``: the accounts the gateway manages (projected from its events): the reconciler's work list.
- ``ocs_last_balances``: the last live answer per account, served (marked ``stale``) when CGRateS is unreachable.
  A cache, never the truth: balances live in CGRateS (charging.md §5.1).
- ``ocs_usage_endpoints``: source IP / IMSI -> service, the default ``/oam/usage`` resolver (D85).
- ``ocs_services``: customers' services (from their events): whose a ``service_uuid`` is, and whether its usage
  is shown in self-care, so an own-scoped caller sees only their own balances.
- ``ocs_service_labels``: each service's name and status, for the ``/oam/usage`` answer.
- ``ocs_products``: catalog's product names and prices, for the ActionPlans of service views (§10).
- ``ocs_inventory_templates`` / ``ocs_inventory_addresses``: catalog's inventory as ``/oam/usage`` needs it (D85):
  which slot of a type holds an IMSI or an IP address, and those values per item with the service it is assigned to.
"""

from sqlalchemy import JSON, BigInteger, Boolean, Column, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

ocs_accounts = Table(
    "ocs_accounts",
    metadata,
    Column("service_uuid", String(64), primary_key=True),
    Column("tenant", String(255), nullable=False),
    Column("status", String(20), nullable=False, index=True),  # active | disabled | removed
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_modified", DateTime(timezone=True), nullable=False),
)

ocs_last_balances = Table(
    "ocs_last_balances",
    metadata,
    Column("service_uuid", String(64), primary_key=True),
    Column("account", JSON, nullable=False),
    Column("action_plans", JSON, nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
)

ocs_usage_endpoints = Table(
    "ocs_usage_endpoints",
    metadata,
    Column("address", String(64), primary_key=True),  # an IP address or an IMSI
    Column("service_uuid", String(64), nullable=False, index=True),
    Column("service_name", String(255)),
    Column("service_status", String(40)),
    Column("imsi", String(20)),
)

ocs_services = Table(
    "ocs_services",
    metadata,
    Column("service_id", BigInteger, primary_key=True, autoincrement=False),
    Column("service_uuid", String(64), nullable=False, unique=True),
    Column("customer_id", BigInteger, nullable=False, index=True),
    Column("usage_visible_to_customer", Boolean, nullable=False),
)

ocs_service_labels = Table(
    "ocs_service_labels",
    metadata,
    Column("service_id", BigInteger, primary_key=True, autoincrement=False),
    Column("service_name", String(255)),
    Column("service_status", String(40)),
)

ocs_inventory_templates = Table(
    "ocs_inventory_templates",
    metadata,
    Column("inventory_template_id", BigInteger, primary_key=True, autoincrement=False),
    Column("imsi_slot", Integer),
    Column("ip_slot", Integer),
)

ocs_inventory_addresses = Table(
    "ocs_inventory_addresses",
    metadata,
    Column("inventory_id", BigInteger, primary_key=True, autoincrement=False),
    Column("inventory_template_id", BigInteger, nullable=False),
    Column("imsi", String(20), index=True),
    Column("ip_address", String(64), index=True),
    Column("service_id", BigInteger, index=True),
)

ocs_products = Table(
    "ocs_products",
    metadata,
    Column("product_id", BigInteger, primary_key=True, autoincrement=False),
    Column("product_name", String(255), nullable=False),
    Column("retail_cost", String(32), nullable=False),  # decimal string, as catalog publishes it
)
