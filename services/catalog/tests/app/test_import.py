"""Bulk import of inventory (CSV or JSON): line-by-line validation, a report, idempotent re-import, progress."""

import json
from typing import Any

import pytest

from omnibus.testing.helpers import eventually

CSV = "text/csv"
GOOD_AND_BAD = (
    "ICCID,IMSI,Ki,item_location\n"
    "8944000000000000001,234150000000001,00112233445566778899aabbccddeeff,Warehouse A\n"
    "8944000000000000002,234150000000002,00112233445566778899aabbccddeef0,Warehouse A\n"
    "not-an-iccid,234150000000003,00112233445566778899aabbccddeeff,Warehouse A\n"
    "8944000000000000001,234150000000004,00112233445566778899aabbccddeeff,Warehouse A\n"
    "8944000000000000005,234150000000005,tooshort,Warehouse A\n"
    "8944000000000000006,234150000000006\n"
    "8944000000000000007,234150000000007,00112233445566778899aabbccddeeff,Warehouse B\n"
)


def _import(api: Any, template_id: int, body: str | bytes, content_type: str = CSV, **params: Any) -> Any:
    return api.post(
        "/crm/inventory/import",
        params={"inventory_template_id": template_id, **params},
        content=body.encode() if isinstance(body, str) else body,
        headers={**api.auth("admin"), "Content-Type": content_type},
    )


def test_a_file_with_bad_lines_imports_the_good_ones_and_reports_the_others(api_on_each_store: Any) -> None:
    api = api_on_each_store
    sim = api.new_template(item="SIM Card")

    report = api.ok(_import(api, sim["inventory_template_id"], GOOD_AND_BAD, wait="true"))

    assert report["status"] == "completed"
    assert (report["total_lines"], report["processed"], report["imported"], report["rejected"]) == (7, 7, 3, 4)
    rejected = {r["line"]: r["errors"] for r in report["rejected_lines"]}
    assert rejected == {
        4: ["itemtext1: an ICCID is 18 to 22 digits"],
        5: ["itemtext1 '8944000000000000001' repeats line 2"],
        6: ["itemtext3: Ki is 32 hexadecimal characters"],
        7: ["2 values for 4 columns"],
    }
    items = api.ok(api.get("/crm/inventory/", params={"sort": "inventory_id", "order": "asc"}))["data"]
    assert [i["iccid"] for i in items] == ["8944000000000000001", "8944000000000000002", "8944000000000000007"]
    assert items[0]["imsi"] == "234150000000001" and items[0]["ki"] == "00112233445566778899aabbccddeeff"
    assert items[0]["wholesale_cost"] == 2.5 and items[2]["item_location"] == "Warehouse B"


def test_importing_the_same_file_again_changes_nothing(api_on_each_store: Any) -> None:
    api = api_on_each_store
    sim = api.new_template(item="SIM Card")
    api.ok(_import(api, sim["inventory_template_id"], GOOD_AND_BAD, wait="true"))
    events = api.app.max_notification_id()

    again = api.ok(_import(api, sim["inventory_template_id"], GOOD_AND_BAD, wait="true"))

    assert (again["imported"], again["skipped_existing"], again["rejected"]) == (0, 3, 4)
    assert api.ok(api.get("/crm/inventory/"))["pagination"]["total_items"] == 3
    assert api.app.max_notification_id() == events + 3  # the new import's own start, progress and end


def test_a_json_import_and_its_progress(api: Any) -> None:
    sim = api.new_template(item="SIM Card")
    rows = [
        {"iccid": f"89440000000000{n:05d}", "imsi": f"2341500000{n:05d}", "item_state": "In Stock"} for n in range(250)
    ]

    started = _import(api, sim["inventory_template_id"], json.dumps({"items": rows}), "application/json")

    assert started.status_code == 202
    import_id = started.json()["import_id"]

    def finished() -> dict[str, Any]:
        report = api.ok(api.get(f"/crm/inventory/import/{import_id}"))
        assert report["status"] == "completed"
        return report

    report = eventually(finished)
    assert (report["total_lines"], report["imported"], report["rejected"]) == (250, 250, 0)
    picker = api.ok(api.get("/crm/inventory/", params={"available_for": "SIM Card", "per_page": 1}))
    assert picker["pagination"]["total_items"] == 250


def test_the_imported_items_are_published(api: Any) -> None:
    sim = api.new_template(item="SIM Card")

    api.ok(_import(api, sim["inventory_template_id"], GOOD_AND_BAD, wait="true"))

    created = api.published("catalog.InventoryItemCreated", at_least=3)
    assert b"00112233445566778899aabbccddeeff" not in b"".join(m.body for m in api.bus.published)
    assert len(created) == 3


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("ICCID\n1\n", "text/plain", 415),
        ("", CSV, 400),
        (b"\xff\xfe\x00bad", CSV, 400),
        ("{not json", "application/json", 400),
        ('{"rows": []}', "application/json", 400),
    ],
)
def test_unreadable_files_are_refused_whole(api: Any, body: Any, content_type: str, status: int) -> None:
    sim = api.new_template(item="SIM Card")

    response = _import(api, sim["inventory_template_id"], body, content_type)

    assert response.status_code == status, response.text
    assert api.ok(api.get("/crm/inventory/"))["data"] == []


def test_an_import_needs_a_known_template(api: Any) -> None:
    assert _import(api, 999, "ICCID\n8944000000000000001\n").status_code == 404
    assert (
        api.post("/crm/inventory/import", content=b"x", headers={**api.auth("admin"), "Content-Type": CSV}).status_code
        == 400
    )
    assert api.get("/crm/inventory/import/999").status_code == 404


def test_importing_needs_create_inventory(api: Any) -> None:
    sim = api.new_template(item="SIM Card")

    response = api.post(
        "/crm/inventory/import",
        params={"inventory_template_id": sim["inventory_template_id"]},
        content=b"ICCID\n8944000000000000001\n",
        headers={**api.auth("view_inventory", "update_inventory"), "Content-Type": CSV},
    )

    assert response.status_code == 403


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def store_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "memory":
        return "memory://"
    return f"sqlite:///{tmp_path}" if request.param == "sqlite" else request.getfixturevalue("fresh_database")


def test_a_key_taken_behind_the_read_models_back_is_skipped_not_duplicated(store_url: str) -> None:
    from omnibus.catalog.application import CatalogApp
    from omnibus.catalog.importing import parse_lines, run_import
    from omnibus.catalog.secrets import SecretBox
    from omnibus.platform.eventstore import eventstore_env
    from omnibus.platform.settings import ServiceSettings

    settings = ServiceSettings(database_url=store_url).for_service("catalog")
    app = CatalogApp(env=eventstore_env(settings, "catalog"), box=SecretBox.from_text(SecretBox.new_key()), stock=None)
    try:
        template = app.define_template({"item": "SIM Card", "itemtext1_key": "iccid"})
        taken = app.create_item(template.inventory_template_id, {"itemtext1": "8944000000000000002"})
        lines = parse_lines(b"ICCID\n8944000000000000001\n8944000000000000002\n8944000000000000003\n", "csv")
        job = app.begin_import(template.inventory_template_id, len(lines), "csv")

        run_import(app, job.import_id, lines, batch_size=10)

        report = app.get_import(job.import_id)
        assert (report.status, report.imported, report.skipped) == ("completed", 2, 1)
        stored = [n for n in app.read_notifications(0, 100) if n.topic.endswith("InventoryItem.Created")]
        assert len(stored) == 3  # the one created by hand and two imported
        assert app.get_item(taken.inventory_id).itemtext1 == "8944000000000000002"
    finally:
        app.close()


def test_imported_items_record_who_imported_them(api: Any) -> None:
    from omnibus.platform.eventstore import event_meta

    sim = api.new_template(item="SIM Card")

    api.ok(_import(api, sim["inventory_template_id"], GOOD_AND_BAD, wait="true"))

    created = [
        api.app.mapper.to_domain_event(n)
        for n in api.app.read_notifications(0, 1000)
        if n.topic.endswith("InventoryItem.Created")
    ]
    assert len(created) == 3
    assert {event_meta(e).get("actor", {}).get("user_id") for e in created} == {7}
