"""Every version of every catalog event ever stored still loads (omnibus.testing.stored_events)."""

from pathlib import Path
from typing import Any

from eventsourcing.utils import get_topic

from omnibus.catalog.domain import ALL_EVENTS, InventoryImport, UniqueKey
from omnibus.testing.stored_events import check_stored_events

SAMPLES = Path(__file__).parents[1] / "stored_events"
SIMS = (
    "ICCID,IMSI,Ki\n"
    "8944000000000000101,234150000000101,00112233445566778899aabbccddeeff\n"
    "8944000000000000102,234150000000102,00112233445566778899aabbccddeef0\n"
)


def test_every_stored_event_version_still_loads(api: Any) -> None:
    product = api.new_product()
    path = f"/crm/product/product_id/{product['product_id']}"
    api.ok(api.patch(path, json={"comment": "renamed", "product_slug": product["product_slug"] + "-2"}))
    api.ok(api.patch(path, json={"product_slug": product["product_slug"]}))  # reclaims the released slug
    api.ok(api.patch(path, json={"enabled": False}))
    api.ok(api.patch(path, json={"enabled": True}))
    clone = api.ok(api.post(f"{path}/clone"))
    api.ok(api.delete(f"/crm/product/product_id/{clone['product_id']}"))
    sim = api.new_template(item="SIM Card")
    spare = api.new_template(item="Spare")
    api.ok(
        api.patch(f"/crm/inventory_template/inventory_template_id/{sim['inventory_template_id']}", json={"icon": "x"})
    )
    api.ok(api.delete(f"/crm/inventory_template/inventory_template_id/{spare['inventory_template_id']}"))
    item = api.new_item(sim["inventory_template_id"], itemtext3="00112233445566778899aabbccddeeff")
    item_path = f"/crm/inventory/inventory_id/{item['inventory_id']}"
    api.ok(api.patch(item_path, json={"itemtext1": "8944000000000000999", "inventory_notes": "checked"}))
    api.ok(api.patch(item_path, json={"city": "Melbourne", "latitude": "-37.81"}))
    api.ok(api.patch(item_path, json={"management_url": "https://192.168.1.1", "management_password": "s3cret"}))
    api.ok(api.patch(item_path, json={"item_state": "In Stock"}))
    api.ok(api.patch(item_path, json={"customer_id": 5, "service_id": 6, "item_state": "Assigned"}))
    api.ok(api.patch(item_path, json={"customer_id": None, "service_id": None, "item_state": "In Stock"}))
    api.ok(api.post("/crm/inventory/reserve", json={"job_id": "job-1", "item": "SIM Card"}))
    api.ok(api.post(f"{item_path}/release_reservation", json={"job_id": "job-1"}))
    api.app.reserve_or_refuse("job-2", "Mobile Number")
    api.ok(api.delete(item_path))
    imported = api.post(
        "/crm/inventory/import",
        params={"inventory_template_id": sim["inventory_template_id"], "wait": "true"},
        content=SIMS.encode(),
        headers={**api.auth("admin"), "Content-Type": "text/csv"},
    )
    assert api.ok(imported)["imported"] == 2
    recorded = api.app.store.select_notifications(1, 10_000)

    expected = {get_topic(cls) for cls in ALL_EVENTS} | {
        get_topic(UniqueKey.Claimed),
        get_topic(UniqueKey.Reclaimed),
        get_topic(UniqueKey.Released),
        get_topic(InventoryImport.Started),
        get_topic(InventoryImport.Progressed),
        get_topic(InventoryImport.Finished),
    }
    assert {n.topic for n in recorded} >= expected, "the scenario misses an event"
    assert check_stored_events(api.app.mapper, SAMPLES, recorded) == []
