"""Read-model tables of the catalog: products, templates and items for lists, pickers and stock levels.

Money is kept as decimal strings (exact on every database). Secret item slots are kept encrypted, as in the
events; the management password is not kept at all (only whether one is set).
"""

from sqlalchemy import JSON, BigInteger, Boolean, Column, DateTime, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

TEXT_COLUMNS = [Column(f"itemtext{n}", String(512)) for n in range(1, 21)]

products = Table(
    "catalog_products",
    metadata,
    Column("product_id", BigInteger, primary_key=True, autoincrement=False),
    Column("product_name", String(255), nullable=False),
    Column("product_slug", String(255), nullable=False),
    Column("category", String(20), nullable=False),
    Column("service_type", String(50)),
    Column("comment", Text),
    Column("icon", String(100)),
    Column("retail_cost", String(32), nullable=False),
    Column("wholesale_cost", String(32), nullable=False),
    Column("retail_setup_cost", String(32), nullable=False),
    Column("wholesale_setup_cost", String(32), nullable=False),
    Column("tax_percentage", String(32), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("residential", Boolean, nullable=False),
    Column("business", Boolean, nullable=False),
    Column("customer_can_purchase", Boolean, nullable=False),
    Column("available_from", DateTime(timezone=True)),
    Column("available_until", DateTime(timezone=True)),
    Column("contract_days", Integer, nullable=False),
    Column("auto_renew", String(10), nullable=False),
    Column("allow_auto_renew", Boolean, nullable=False),
    Column("terms", Text),
    Column("features_list", Text),
    Column("provisioning_play", String(255)),
    Column("provisioning_json_vars", Text),
    Column("deprovisioning_play", String(255)),
    Column("deprovisioning_json_vars", Text),
    Column("inventory_items_list", JSON, nullable=False),
    Column("relies_on_list", JSON, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_modified", DateTime(timezone=True), nullable=False),
    Index("ix_catalog_products_slug", "product_slug"),
)

templates = Table(
    "catalog_inventory_templates",
    metadata,
    Column("inventory_template_id", BigInteger, primary_key=True, autoincrement=False),
    Column("item", String(255), nullable=False),
    Column("icon", String(100)),
    *[Column(f"itemtext{n}_label", String(255)) for n in range(1, 21)],
    *[Column(f"itemtext{n}_key", String(64)) for n in range(1, 21)],
    Column("wholesale_cost", String(32), nullable=False),
    Column("retail_cost", String(32), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_modified", DateTime(timezone=True), nullable=False),
)

items = Table(
    "catalog_inventory",
    metadata,
    Column("inventory_id", BigInteger, primary_key=True, autoincrement=False),
    Column("inventory_template_id", BigInteger, nullable=False),
    Column("item", String(255), nullable=False),
    Column("customer_id", BigInteger),
    Column("service_id", BigInteger),
    Column("item_location", String(255)),
    Column("item_state", String(20), nullable=False),
    *TEXT_COLUMNS,
    Column("wholesale_cost", String(32)),
    Column("retail_cost", String(32)),
    Column("sold_date", DateTime(timezone=True)),
    Column("address_line_1", String(255)),
    Column("address_line_2", String(255)),
    Column("city", String(100)),
    Column("state", String(100)),
    Column("zip_code", String(20)),
    Column("country", String(100)),
    Column("google_maps_place_id", String(255)),
    Column("plus_code", String(64)),
    Column("latitude", String(32)),
    Column("longitude", String(32)),
    Column("management_url", String(1024)),
    Column("management_username", String(255)),
    Column("management_password_set", Boolean, nullable=False),
    Column("config_content", Text),
    Column("config_file_path", String(1024)),
    Column("inventory_notes", Text),
    Column("reserved_for", String(255)),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_modified", DateTime(timezone=True), nullable=False),
    Index("ix_catalog_inventory_picker", "item", "item_state", "inventory_id"),
    Index("ix_catalog_inventory_key", "inventory_template_id", "itemtext1"),
    Index("ix_catalog_inventory_customer", "customer_id"),
    Index("ix_catalog_inventory_service", "service_id"),
)

customer_types = Table(
    "catalog_customer_types",
    metadata,
    Column("customer_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_account_type", String(20), nullable=False),
)

customer_services = Table(
    "catalog_customer_services",
    metadata,
    Column("service_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_id", BigInteger, nullable=False, index=True),
    Column("product_id", BigInteger, index=True),
    Column("service_type", String(50)),
    Column("service_status", String(20), nullable=False),
)
