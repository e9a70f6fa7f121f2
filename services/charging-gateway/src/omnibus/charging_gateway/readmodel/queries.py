"""Queries on the charging read models."""

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from omnibus.charging_gateway.readmodel.tables import (
    ocs_accounts,
    ocs_inventory_addresses,
    ocs_last_balances,
    ocs_products,
    ocs_service_labels,
    ocs_services,
    ocs_usage_endpoints,
)
from omnibus.platform.readmodels import Rows


def live_accounts(conn: Connection) -> list[str]:
    """Accounts the reconciler polls: every account not removed."""
    query = select(ocs_accounts.c.service_uuid).where(ocs_accounts.c.status != "removed")
    return [row[0] for row in conn.execute(query.order_by(ocs_accounts.c.service_uuid))]


def account_row(conn: Connection, service_uuid: str) -> dict[str, Any] | None:
    row = conn.execute(select(ocs_accounts).where(ocs_accounts.c.service_uuid == service_uuid)).mappings().first()
    return dict(row) if row else None


def last_known(engine: Engine, service_uuid: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        query = select(ocs_last_balances).where(ocs_last_balances.c.service_uuid == service_uuid)
        row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def remember(engine: Engine, service_uuid: str, account: dict[str, Any], plans: list[Any], at: datetime) -> None:
    with engine.begin() as conn:
        rows = Rows(conn)
        rows(ocs_last_balances).put(
            {"service_uuid": service_uuid, "account": account, "action_plans": plans, "fetched_at": at}
        )
        rows.flush()


def usage_endpoint(conn: Connection, address: str) -> dict[str, Any] | None:
    query = select(ocs_usage_endpoints).where(ocs_usage_endpoints.c.address == address)
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def inventory_endpoint(conn: Connection, address: str) -> dict[str, Any] | None:
    """D85's default: the service an IP address item is assigned to (catalog's inventory), with the IMSI of a SIM
    assigned to the same service; the row shape of ``usage_endpoint``."""
    items = ocs_inventory_addresses
    query = (
        select(ocs_services.c.service_uuid, ocs_services.c.service_id, ocs_service_labels)
        .select_from(items.join(ocs_services, ocs_services.c.service_id == items.c.service_id))
        .outerjoin(ocs_service_labels, ocs_service_labels.c.service_id == items.c.service_id)
        .where(items.c.ip_address == address)
        .order_by(items.c.inventory_id.desc())
        .limit(1)
    )
    found = conn.execute(query).mappings().first()
    if found is None:
        return None
    imsi = conn.execute(
        select(items.c.imsi)
        .where(items.c.service_id == found["service_id"], items.c.imsi.is_not(None))
        .order_by(items.c.inventory_id.desc())
        .limit(1)
    ).scalar()
    return {
        "address": address,
        "service_uuid": found["service_uuid"],
        "service_name": found["service_name"],
        "service_status": found["service_status"],
        "imsi": imsi,
    }


def put_usage_endpoint(engine: Engine, row: dict[str, Any]) -> None:
    with engine.begin() as conn:
        rows = Rows(conn)
        rows(ocs_usage_endpoints).put(row)
        rows.flush()


def service_owner(conn: Connection, service_uuid: str) -> dict[str, Any] | None:
    """The customers' service behind an account: ``{service_id, customer_id, usage_visible_to_customer}``."""
    found = conn.execute(select(ocs_services).where(ocs_services.c.service_uuid == service_uuid)).mappings().first()
    return None if found is None else dict(found)


def service_id_of(engine: Engine, service_uuid: str) -> int | None:
    """The CRM's service_id of an account (from customers' ``ServiceCreated``), or None while unknown."""
    with engine.connect() as conn:
        found = conn.execute(select(ocs_services.c.service_id).where(ocs_services.c.service_uuid == service_uuid))
        return found.scalar()


def products_of(engine: Engine, product_ids: set[int]) -> dict[int, dict[str, Any]]:
    """``{product_id: {product_name, retail_cost}}`` of the given products that catalog has told about."""
    if not product_ids:
        return {}
    with engine.connect() as conn:
        found = conn.execute(select(ocs_products).where(ocs_products.c.product_id.in_(sorted(product_ids))))
        return {row["product_id"]: dict(row) for row in found.mappings()}
