"""Catalog's inventory as ``GET /oam/usage`` needs it (charging.md §3, D85: the default resolver finds the caller's
service from inventory: the IPv4 item assigned to the service, and the SIM's IMSI).

Per inventory type, the slot holding an IMSI or an IP address: the slot keyed or labelled ``imsi`` / ``ip``,
``ipv4``, ``ip_address``…; failing that, slot 2 of a SIM type and slot 1 of an IP type ("IPv4 Address", "Static IP
Address": catalog.md §2.4). Per item, those values and the service it is assigned to. Catalog's creation event
carries slots 1 and 2 only; values in other slots are learnt when an update names them.
"""

from __future__ import annotations

import re
from ipaddress import ip_address
from typing import Any

from omnibus.charging_gateway.readmodel.tables import ocs_inventory_addresses, ocs_inventory_templates
from omnibus.contracts.catalog import (
    InventoryItemAssigned,
    InventoryItemCreated,
    InventoryItemDeleted,
    InventoryItemReleased,
    InventoryItemUpdated,
    InventoryTemplateDefined,
    InventoryTemplateUpdated,
)
from omnibus.platform.consumers import BusProjection, ReceivedEvent
from omnibus.platform.readmodels import Rows

IMSI_NAMES = {"imsi"}
IP_NAMES = {"ip", "ipv4", "ip_address", "ipv4_address", "ip address", "ipv4 address", "static ip"}
IP_TYPE = re.compile(r"\bip(v4)?\b", re.IGNORECASE)
IMSI = re.compile(r"^\d{14,15}$")


def address_slots(item: str, labels: dict[str, str], keys: dict[str, str]) -> tuple[int | None, int | None]:
    """``(imsi_slot, ip_slot)`` of an inventory type."""
    imsi = ip = None
    for n in range(1, 21):
        names = {str(keys.get(f"itemtext{n}_key") or "").lower(), str(labels.get(f"itemtext{n}_label") or "").lower()}
        names = {name.strip() for name in names}
        if imsi is None and names & IMSI_NAMES:
            imsi = n
        if ip is None and names & IP_NAMES:
            ip = n
    if ip is None and IP_TYPE.search(item):
        ip = 1
    if imsi is None and "sim" in item.lower():
        imsi = 2
    return imsi, ip


class InventoryDirectory(BusProjection):
    name = "inventory_directory"
    tables = (ocs_inventory_templates, ocs_inventory_addresses)
    handles = (
        InventoryTemplateDefined,
        InventoryTemplateUpdated,
        InventoryItemCreated,
        InventoryItemUpdated,
        InventoryItemAssigned,
        InventoryItemReleased,
        InventoryItemDeleted,
    )

    def apply(self, event: ReceivedEvent, rows: Rows) -> None:
        e = event.payload
        templates, items = rows(ocs_inventory_templates), rows(ocs_inventory_addresses)
        if isinstance(e, InventoryTemplateDefined | InventoryTemplateUpdated):
            imsi, ip = address_slots(e.item, e.labels, e.keys)
            templates.put({"inventory_template_id": e.inventory_template_id, "imsi_slot": imsi, "ip_slot": ip})
        elif isinstance(e, InventoryItemCreated):
            template = templates.get(e.inventory_template_id)
            if template is None or (template["imsi_slot"] is None and template["ip_slot"] is None):
                return
            created = {"itemtext1": e.itemtext1, "itemtext2": e.itemtext2}
            values = {column: _value(column, created.get(f"itemtext{slot}")) for column, slot in _slots(template)}
            items.put({"inventory_id": e.inventory_id, "inventory_template_id": e.inventory_template_id, **values})
        elif isinstance(e, InventoryItemUpdated):
            row = items.get(e.inventory_id)
            template = None if row is None else templates.get(row["inventory_template_id"])
            if template is not None:
                changed = {
                    column: _value(column, e.changes.get(f"itemtext{slot}"))
                    for column, slot in _slots(template)
                    if slot is not None and f"itemtext{slot}" in e.changed_fields
                }
                if changed:
                    items.update(e.inventory_id, **changed)
        elif isinstance(e, InventoryItemAssigned):
            items.update(e.inventory_id, service_id=e.service_id)
        elif isinstance(e, InventoryItemReleased):
            items.update(e.inventory_id, service_id=None)
        elif isinstance(e, InventoryItemDeleted):
            items.delete(e.inventory_id)


def _slots(template: dict[str, Any]) -> tuple[tuple[str, int | None], ...]:
    return (("imsi", template["imsi_slot"]), ("ip_address", template["ip_slot"]))


def _value(column: str, text: Any) -> str | None:
    """A slot's value as an address: an IMSI is 14-15 digits, an IP one address (a block matches no caller)."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip()
    if column == "imsi":
        return value if IMSI.match(value) else None
    try:
        return str(ip_address(value))
    except ValueError:
        return None
