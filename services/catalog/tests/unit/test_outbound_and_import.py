"""Published events never carry secrets; import lines are validated one by one."""

import uuid
from decimal import Decimal

from omnibus.catalog.domain import InventoryItem, InventoryTemplate, Product
from omnibus.catalog.importing import LineValidator, batches, parse_lines
from omnibus.catalog.integration.outbound import to_integration
from omnibus.catalog.secrets import SecretBox
from omnibus.contracts import catalog as c

BOX = SecretBox.from_text(SecretBox.new_key())


def a_template() -> InventoryTemplate:
    return InventoryTemplate(
        id=uuid.uuid4(),
        inventory_template_id=5,
        fields={
            "item": "SIM Card",
            "itemtext1_label": "ICCID",
            "itemtext1_key": "iccid",
            "itemtext2_key": "imsi",
            "itemtext3_key": "ki",
        },
    )


def test_a_secret_slot_is_published_as_a_name_only() -> None:
    item = InventoryItem(id=uuid.uuid4(), inventory_id=1, inventory_template_id=5, item="SIM Card", fields={})
    item.update({"itemtext3": BOX.encrypt("00112233445566778899aabbccddeeff"), "itemtext2": "310120123456790"})

    (event,) = item.collect_events()[1:]
    published = to_integration(event)

    assert isinstance(published, c.InventoryItemUpdated)
    assert published.secrets_changed == ["itemtext3"]
    assert published.changes == {"itemtext2": "310120123456790"}
    assert "00112233" not in published.model_dump_json()


def test_a_password_change_is_published_as_a_flag() -> None:
    item = InventoryItem(id=uuid.uuid4(), inventory_id=1, inventory_template_id=5, item="CPE", fields={})
    item.update({"management_password": BOX.encrypt("s3cret"), "config_content": "wlan-ssid: Home"})

    published = to_integration(item.collect_events()[-1])

    assert isinstance(published, c.InventoryItemManagementUpdated)
    assert published.password_changed is True
    assert published.config_sha256 is not None and len(published.config_sha256) == 64
    assert "s3cret" not in published.model_dump_json() and "aesgcm" not in published.model_dump_json()


def test_a_clone_is_published_as_product_cloned() -> None:
    product = Product(
        id=uuid.uuid4(),
        product_id=2,
        fields={"product_name": "A_clone", "product_slug": "a_clone"},
        source_product_id=1,
    )

    published = to_integration(product.collect_events()[0])

    assert isinstance(published, c.ProductCloned)
    assert (published.source_product_id, published.new_product_id, published.new_slug) == (1, 2, "a_clone")
    assert published.retail_cost == Decimal("0")


def test_the_secret_box_round_trips_and_never_stores_clear_text() -> None:
    sealed = BOX.encrypt("admin123")

    assert sealed is not None and "admin123" not in sealed
    assert BOX.decrypt(sealed) == "admin123"
    assert BOX.encrypt("admin123") != sealed  # a fresh nonce every time


def test_csv_lines_are_numbered_from_the_header() -> None:
    lines = parse_lines(b"ICCID,imsi\n8944000000000000001,234150000000001\n\nx\n", "csv")

    assert lines[0] == (2, {"ICCID": "8944000000000000001", "imsi": "234150000000001"})
    assert lines[1][0] == 4 and "__error__" in lines[1][1]


def test_each_bad_line_is_rejected_with_its_reasons() -> None:
    rows = [
        (2, {"iccid": "8944000000000000001", "imsi": "234150000000001", "ki": "0" * 32}),
        (3, {"iccid": "12", "imsi": "234150000000002"}),
        (4, {"iccid": "8944000000000000001"}),
        (5, {"imsi": "234150000000003"}),
        (6, {"iccid": "8944000000000000006", "colour": "red"}),
        (7, {"iccid": "8944000000000000007", "ki": "xyz", "retail_cost": "-1"}),
        (8, {"iccid": "8944000000000000008", "item_state": "Assigned"}),
    ]

    ((good, rejected),) = list(batches(rows, LineValidator(a_template()), 100))

    assert [n for n, _ in good] == [2]
    assert good[0][1] == {"itemtext1": "8944000000000000001", "itemtext2": "234150000000001", "itemtext3": "0" * 32}
    reasons = {r["line"]: r["errors"] for r in rejected}
    assert reasons[3] == ["itemtext1: an ICCID is 18 to 22 digits"]
    assert reasons[4] == ["itemtext1 '8944000000000000001' repeats line 2"]
    assert reasons[5] == ["itemtext1 (the key identifier) is required"]
    assert reasons[6] == ["unknown column 'colour'"]
    assert set(reasons[7]) == {"itemtext3: Ki is 32 hexadecimal characters", "retail_cost: not a non-negative amount"}
    assert reasons[8] == ["item_state: imported items are New or In Stock"]
