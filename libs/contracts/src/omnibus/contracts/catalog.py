"""Events published by the catalog context (catalog.md §8).

Created/Defined events carry the full public state; Updated events name the ``changed_fields`` and carry the new
values of exactly those fields. Secrets never travel: management passwords and SIM ``ki``/``opc`` slots appear as
"changed" flags (api-conventions.md §9). Money is a decimal string.
"""

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from omnibus.contracts.base import IntegrationEvent, Money
from omnibus.contracts.commands import Command, CommandReplied

Category = Literal["standalone", "addon", "bundle", "promo"]
AutoRenew = Literal["prompt", "true", "false"]
ItemState = Literal["New", "In Stock", "Assigned", "Used", "Damaged", "Lost", "Decommissioned"]


class _CatalogEvent(IntegrationEvent):
    context: ClassVar[str] = "catalog"


class _ProductEvent(_CatalogEvent):
    aggregate_type: ClassVar[str] = "Product"


class _ProductState(_ProductEvent):
    product_id: int = Field(description="Product id")
    product_slug: str = Field(description="URL-safe product id, names OCS actions")
    product_name: str = Field(description="Catalogue name")
    category: Category = Field(description="standalone, addon, bundle or promo")
    service_type: str | None = Field(default=None, description="mobile, fixed, internet, ... (D52)")
    retail_cost: Money = Field(description="Recurring price per contract period")
    wholesale_cost: Money = Field(description="Operator's recurring cost")
    retail_setup_cost: Money = Field(description="One-off activation price")
    wholesale_setup_cost: Money = Field(description="Operator's one-off cost")
    tax_percentage: Money = Field(description="Tax percentage, e.g. 10 or 12.5")
    enabled: bool = Field(description="Offered for new orders")
    residential: bool = Field(description="Offered to Individual customers")
    business: bool = Field(description="Offered to Business customers")
    customer_can_purchase: bool = Field(description="Self-care purchase allowed")
    available_from: datetime | None = Field(default=None, description="Sale window start (UTC)")
    available_until: datetime | None = Field(default=None, description="Sale window end (UTC); null = open")
    contract_days: int = Field(description="Term in days; 0 = none")
    auto_renew: AutoRenew = Field(description='"prompt", "true" or "false" (D58)')
    allow_auto_renew: bool = Field(description="Customer may toggle auto-renew later")
    provisioning_play: str | None = Field(default=None, description="Playbook name without .yaml")
    deprovisioning_play: str | None = Field(default=None, description="Teardown playbook (D64)")
    inventory_items_list: list[str] = Field(description="Inventory type names picked at provisioning")
    relies_on_list: list[int] = Field(description="Prerequisite product ids (D57)")


class ProductCreated(_ProductState):
    """A product was added to the catalogue."""

    name: ClassVar[str] = "ProductCreated"


class ProductCloned(_ProductState):
    """A product was created as a copy of another (``_clone`` suffix on name and slug)."""

    name: ClassVar[str] = "ProductCloned"
    source_product_id: int = Field(description="The product copied")
    new_product_id: int = Field(description="The copy's id (= product_id)")
    new_slug: str = Field(description="The copy's slug (= product_slug)")


class ProductUpdated(_ProductEvent):
    """Product fields changed (enabling and disabling have their own events)."""

    name: ClassVar[str] = "ProductUpdated"
    product_id: int = Field(description="Product id")
    changed_fields: list[str] = Field(description="Names of the fields that changed")
    changes: dict[str, Any] = Field(description="New values of the changed fields (JSON: decimals as strings)")


class ProductEnabled(_ProductEvent):
    """A product is offered again for new orders."""

    name: ClassVar[str] = "ProductEnabled"
    product_id: int = Field(description="Product id")


class ProductDisabled(_ProductEvent):
    """A product is hidden from new orders; existing services are unaffected."""

    name: ClassVar[str] = "ProductDisabled"
    product_id: int = Field(description="Product id")


class ProductDeleted(_ProductEvent):
    """A product was removed from the catalogue."""

    name: ClassVar[str] = "ProductDeleted"
    product_id: int = Field(description="Product id")


class _TemplateEvent(_CatalogEvent):
    aggregate_type: ClassVar[str] = "InventoryTemplate"

    inventory_template_id: int = Field(description="Inventory template id")


class _TemplateState(_TemplateEvent):
    item: str = Field(description="Type name, as used in products' inventory_items_list")
    icon: str | None = Field(default=None, description="FontAwesome class")
    labels: dict[str, str] = Field(description="itemtextN_label -> label, for the labelled slots")
    keys: dict[str, str] = Field(description="itemtextN_key -> alias (e.g. iccid), for the keyed slots (D59)")
    wholesale_cost: Money = Field(description="Default wholesale cost of new items")
    retail_cost: Money = Field(description="Default retail cost of new items")


class InventoryTemplateDefined(_TemplateState):
    """An inventory type was defined."""

    name: ClassVar[str] = "InventoryTemplateDefined"


class InventoryTemplateUpdated(_TemplateState):
    """An inventory type changed (its full new state)."""

    name: ClassVar[str] = "InventoryTemplateUpdated"
    changed_fields: list[str] = Field(description="Names of the fields that changed")


class InventoryTemplateDeleted(_TemplateEvent):
    """An inventory type was deleted (it had no items)."""

    name: ClassVar[str] = "InventoryTemplateDeleted"
    item: str = Field(description="Type name")


class _ItemEvent(_CatalogEvent):
    aggregate_type: ClassVar[str] = "InventoryItem"

    inventory_id: int = Field(description="Inventory item id")


class InventoryItemCreated(_ItemEvent):
    """An inventory item was added (by hand or by a bulk import)."""

    name: ClassVar[str] = "InventoryItemCreated"
    inventory_template_id: int = Field(description="Its template")
    item: str = Field(description="Type name")
    itemtext1: str | None = Field(default=None, description="Key identifier (ICCID, MAC, number, ...)")
    itemtext2: str | None = Field(default=None, description="Second identifier (IMSI, serial, ...)")
    item_location: str | None = Field(default=None, description="Physical or logical location")
    item_state: ItemState = Field(description="New or In Stock")
    wholesale_cost: Money = Field(description="Wholesale cost")
    retail_cost: Money = Field(description="Retail cost")


class InventoryItemUpdated(_ItemEvent):
    """Item fields changed; secret slots appear only as names in ``secrets_changed``."""

    name: ClassVar[str] = "InventoryItemUpdated"
    changed_fields: list[str] = Field(description="Names of the fields that changed")
    changes: dict[str, Any] = Field(description="New values of the changed non-secret fields")
    secrets_changed: list[str] = Field(default_factory=list, description="Secret fields that changed (no values)")


class InventoryItemAssigned(_ItemEvent):
    """An item was allocated to a customer (and service)."""

    name: ClassVar[str] = "InventoryItemAssigned"
    item: str = Field(description="Type name")
    customer_id: int = Field(description="Owner")
    service_id: int | None = Field(default=None, description="Service using it")
    sold_date: datetime = Field(description="Allocation time (UTC)")
    retail_cost: Money = Field(description="Retail cost of the item")
    provision_job_id: str | None = Field(default=None, description="The provisioning job that reserved it")


class InventoryItemReleased(_ItemEvent):
    """An assigned item was released (rollback, deprovision, return)."""

    name: ClassVar[str] = "InventoryItemReleased"
    from_customer_id: int | None = Field(default=None, description="Previous owner")
    from_service_id: int | None = Field(default=None, description="Previous service")
    new_state: ItemState = Field(description="In Stock, Used, Damaged, Lost or Decommissioned (D54)")
    reason: str | None = Field(default=None, description="Why, when given")


class InventoryItemStateChanged(_ItemEvent):
    """item_state changed without an assignment or a release (e.g. New -> In Stock, Damaged -> Decommissioned)."""

    name: ClassVar[str] = "InventoryItemStateChanged"
    from_state: ItemState = Field(description="Previous state")
    to_state: ItemState = Field(description="New state")
    reason: str | None = Field(default=None, description="Why, e.g. RMA")


class InventoryItemLocationUpdated(_ItemEvent):
    """The install address or map position of an item changed (new values of the changed fields)."""

    name: ClassVar[str] = "InventoryItemLocationUpdated"
    changed_fields: list[str] = Field(description="Names of the fields that changed")
    address_line_1: str | None = None
    address_line_2: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    country: str | None = None
    latitude: str | None = Field(default=None, description="Decimal degrees as a string (D42)")
    longitude: str | None = Field(default=None, description="Decimal degrees as a string (D42)")
    plus_code: str | None = None
    google_maps_place_id: str | None = None


class InventoryItemManagementUpdated(_ItemEvent):
    """Device management access changed; the password only as a flag, the config as a digest."""

    name: ClassVar[str] = "InventoryItemManagementUpdated"
    changed_fields: list[str] = Field(description="Names of the fields that changed")
    management_url: str | None = Field(default=None, description="Device URL or eSIM LPA string")
    management_username: str | None = None
    password_changed: bool = Field(description="The management password changed")
    config_sha256: str | None = Field(default=None, description="SHA-256 of the new config_content, if changed")
    config_file_path: str | None = None


class InventoryItemReserved(_ItemEvent):
    """An item is held for one provisioning job."""

    name: ClassVar[str] = "InventoryItemReserved"
    item: str = Field(description="Type name")
    provision_job_id: str = Field(description="The job holding it")


class InventoryItemReservationReleased(_ItemEvent):
    """A job's hold on an item ended without an assignment (failed or cancelled job)."""

    name: ClassVar[str] = "InventoryItemReservationReleased"
    provision_job_id: str = Field(description="The job that held it")


class InventoryReservationFailed(_CatalogEvent):
    """A reserve command could not be met (no stock, wrong type); the answer to ``ReserveInventoryItem``."""

    name: ClassVar[str] = "InventoryReservationFailed"
    aggregate_type: ClassVar[str] = "Reservation"

    provision_job_id: str = Field(description="The job that asked")
    item: str = Field(description="Inventory type asked for")
    reason: str = Field(description="Why, e.g. No SIM Card available")


class InventoryItemDeleted(_ItemEvent):
    """An item was deleted."""

    name: ClassVar[str] = "InventoryItemDeleted"


PUBLISHED: tuple[type[IntegrationEvent], ...] = (
    ProductCreated,
    ProductCloned,
    ProductUpdated,
    ProductEnabled,
    ProductDisabled,
    ProductDeleted,
    InventoryTemplateDefined,
    InventoryTemplateUpdated,
    InventoryTemplateDeleted,
    InventoryItemCreated,
    InventoryItemUpdated,
    InventoryItemAssigned,
    InventoryItemReleased,
    InventoryItemStateChanged,
    InventoryItemLocationUpdated,
    InventoryItemManagementUpdated,
    InventoryItemReserved,
    InventoryItemReservationReleased,
    InventoryReservationFailed,
    InventoryItemDeleted,
)

# --- commands (``omnibus.commands`` exchange, routing key ``catalog.<Name>``, queue ``catalog.commands``) ---

COMMAND_QUEUE = "catalog.commands"


class CatalogCommandReplied(CommandReplied):
    """The catalog's answer to one command (``result``: ``inventory_id`` of a reserve)."""

    context: ClassVar[str] = "catalog"


PUBLISHED = (*PUBLISHED, CatalogCommandReplied)


class CatalogCommand(Command):
    """A command to the catalog from a provisioning job. Idempotent by ``job_id``: a redelivery changes nothing.

    Answered by ``CatalogCommandReplied``; the facts it records are published as usual
    (``InventoryItemReserved`` or ``InventoryReservationFailed``, ``InventoryItemReservationReleased``,
    ``InventoryItemAssigned``, ``InventoryItemReleased``), with the job id as correlation id.
    """

    context: ClassVar[str] = "catalog"
    queue: ClassVar[str] = COMMAND_QUEUE
    job_id: str = Field(min_length=1, max_length=255, description="Provisioning job id (the idempotency key)")


class ReserveInventoryItem(CatalogCommand):
    name: ClassVar[str] = "ReserveInventoryItem"
    item: str = Field(min_length=1, max_length=255, description="Inventory type name, e.g. SIM Card")
    inventory_id: int | None = Field(default=None, ge=1, description="A chosen item; else any available one")
    item_location: str | None = Field(default=None, max_length=255, description="Only items at this location")


class ReleaseInventoryReservation(CatalogCommand):
    name: ClassVar[str] = "ReleaseInventoryReservation"
    inventory_id: int = Field(ge=1, description="The item the job holds")


class AssignReservedInventoryItem(CatalogCommand):
    name: ClassVar[str] = "AssignReservedInventoryItem"
    inventory_id: int = Field(ge=1, description="The item the job holds")
    customer_id: int = Field(ge=1, description="New owner")
    service_id: int | None = Field(default=None, ge=1, description="Service using it")


class ReturnAssignedInventoryItem(CatalogCommand):
    """Compensation of an assignment: an item this job assigned goes back to stock (a no-op otherwise)."""

    name: ClassVar[str] = "ReturnAssignedInventoryItem"
    inventory_id: int = Field(ge=1, description="The item the job assigned")
    item_state: Literal["In Stock", "Used"] = Field(default="In Stock", description="Its state afterwards (D54)")


COMMANDS: tuple[type[CatalogCommand], ...] = (
    ReserveInventoryItem,
    ReleaseInventoryReservation,
    AssignReservedInventoryItem,
    ReturnAssignedInventoryItem,
)
