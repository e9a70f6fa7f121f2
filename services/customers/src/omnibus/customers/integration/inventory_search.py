"""Catalog's inventory items in global search (customers.md §4.7, §9; D48): one row per item, from catalog's events.

Matched on ``itemtext1`` and ``itemtext2`` only (the reference product's rule: searchable identifiers belong
there); ``name`` is ``itemtext1`` (else the type name), ``customer_id`` the owner while assigned (null in stock).
A table of the search shape of its own (``inventory_search_items``), listed in ``readmodel.search.SEARCHED``.
"""

from typing import Any

from omnibus.contracts import catalog as ca
from omnibus.customers.readmodel.tables import inventory_search_items
from omnibus.platform.consumers import BusProjection, ReceivedEvent
from omnibus.platform.readmodels import Rows

SEARCHED_FIELDS = ("itemtext1", "itemtext2")


def _row(inventory_id: int, fields: dict[str, Any], customer_id: int | None) -> dict[str, Any]:
    text = " ".join(str(fields[f]) for f in SEARCHED_FIELDS if fields.get(f))
    return {
        "item_type": "inventory",
        "item_id": inventory_id,
        "customer_id": customer_id,
        "name": str(fields.get("itemtext1") or fields.get("item") or inventory_id)[:255],
        "search_text": text.lower(),
        "customer_status": None,  # D48: the Closed filter is the customer rows' only
        "fields": fields,
    }


class InventorySearch(BusProjection):
    name = "inventory_search"
    tables = (inventory_search_items,)
    handles = (
        ca.InventoryItemCreated,
        ca.InventoryItemUpdated,
        ca.InventoryItemAssigned,
        ca.InventoryItemReleased,
        ca.InventoryItemDeleted,
    )

    def apply(self, event: ReceivedEvent, rows: Rows) -> None:
        e: Any = event.payload
        items = rows(inventory_search_items)
        if isinstance(e, ca.InventoryItemCreated):
            fields = {"item": e.item, "itemtext1": e.itemtext1, "itemtext2": e.itemtext2}
            items.put(_row(e.inventory_id, fields, None))
            return
        if isinstance(e, ca.InventoryItemDeleted):
            items.delete("inventory", e.inventory_id)
            return
        current = items.get("inventory", e.inventory_id)
        if current is None:
            return  # an item created before this projection existed: catalog's replay brings its creation
        fields, customer_id = dict(current["fields"]), current["customer_id"]
        if isinstance(e, ca.InventoryItemUpdated):
            fields.update({k: e.changes[k] for k in ("item", *SEARCHED_FIELDS) if k in e.changes})
        elif isinstance(e, ca.InventoryItemAssigned):
            customer_id = e.customer_id
        elif isinstance(e, ca.InventoryItemReleased):
            customer_id = None
        items.put(_row(e.inventory_id, fields, customer_id))
