"""Reservation commands over the bus (``omnibus.commands``): answered by events, idempotent on redelivery."""

import json
import uuid
from typing import Any

from omnibus.contracts import catalog as c
from omnibus.contracts.topology import COMMANDS_EXCHANGE
from omnibus.platform.messaging.bus import OutgoingMessage
from omnibus.testing.helpers import eventually


def send(api: Any, command: c.CatalogCommand, message_id: str | None = None) -> None:
    message = OutgoingMessage(
        routing_key=command.routing_key(),
        body=command.model_dump_json().encode(),
        message_id=message_id or str(uuid.uuid4()),
        exchange=COMMANDS_EXCHANGE,
    )
    api.client.portal.call(api.bus.publish, [message])


def send_raw(api: Any, routing_key: str, body: bytes) -> None:
    message = OutgoingMessage(
        routing_key=routing_key, body=body, message_id=str(uuid.uuid4()), exchange=COMMANDS_EXCHANGE
    )
    api.client.portal.call(api.bus.publish, [message])


def dead_letters(api: Any) -> list[Any]:
    return api.client.portal.call(api.bus.dead_letters, c.COMMAND_QUEUE)


def test_a_reserve_command_is_answered_with_the_reserved_item(api: Any) -> None:
    sim = api.new_template(item="SIM Card")
    item = api.new_item(sim["inventory_template_id"])

    send(api, c.ReserveInventoryItem(job_id="provision-456", item="SIM Card"))

    (answer,) = api.published("catalog.InventoryItemReserved")
    assert json.loads(answer.body)["inventory_id"] == item["inventory_id"]
    assert answer.headers["correlation_id"] == "provision-456"


def test_a_redelivered_reserve_command_changes_nothing(api: Any) -> None:
    sim = api.new_template(item="SIM Card")
    api.new_item(sim["inventory_template_id"])
    api.new_item(sim["inventory_template_id"])
    command = c.ReserveInventoryItem(job_id="provision-456", item="SIM Card")

    send(api, command, message_id="m-1")
    api.published("catalog.InventoryItemReserved")
    events = api.app.max_notification_id()
    send(api, command, message_id="m-1")
    send(api, c.ReserveInventoryItem(job_id="provision-789", item="SIM Card"))

    reserved = api.published("catalog.InventoryItemReserved", at_least=2)
    assert len(reserved) == 2
    assert len({json.loads(m.body)["inventory_id"] for m in reserved}) == 2
    assert {m.headers["correlation_id"] for m in reserved} == {"provision-456", "provision-789"}
    assert api.app.max_notification_id() == events + 3  # only the second job's: item reserved, record opened and held


def test_no_stock_is_answered_with_a_failure(api: Any) -> None:
    api.new_template(item="SIM Card")

    send(api, c.ReserveInventoryItem(job_id="provision-1", item="SIM Card"))

    (failed,) = api.published("catalog.InventoryReservationFailed")
    body = json.loads(failed.body)
    assert (body["provision_job_id"], body["item"]) == ("provision-1", "SIM Card")
    assert "No SIM Card available" in body["reason"]
    assert failed.headers["correlation_id"] == "provision-1"


def test_release_and_assign_commands(api: Any) -> None:
    sim = api.new_template(item="SIM Card")
    first = api.new_item(sim["inventory_template_id"])
    api.ok(api.post("/crm/inventory/reserve", json={"job_id": "j-1", "item": "SIM Card"}))

    send(
        api,
        c.AssignReservedInventoryItem(job_id="j-1", inventory_id=first["inventory_id"], customer_id=5, service_id=6),
    )
    send(api, c.ReleaseInventoryReservation(job_id="j-1", inventory_id=first["inventory_id"]))  # too late: no-op

    (assigned,) = api.published("catalog.InventoryItemAssigned")
    assert json.loads(assigned.body)["customer_id"] == 5
    eventually(lambda: _assert_state(api, first["inventory_id"], "Assigned"))


def test_bad_and_refused_commands_are_dead_lettered(api: Any) -> None:
    sim = api.new_template(item="SIM Card")
    item = api.new_item(sim["inventory_template_id"])

    send_raw(api, "catalog.ReserveInventoryItem", b'{"job_id": ""}')
    send_raw(api, "catalog.ReserveInventoryItem", b"not json")
    send(api, c.AssignReservedInventoryItem(job_id="not-holder", inventory_id=item["inventory_id"], customer_id=1))

    dead = eventually(lambda: _at_least(dead_letters(api), 3))
    errors = " ".join(d.error for d in dead)
    assert "invalid ReserveInventoryItem" in errors and "not reserved for job not-holder" in errors
    assert api.ok(api.get(f"/crm/inventory/inventory_id/{item['inventory_id']}"))["item_state"] == "New"


def _assert_state(api: Any, inventory_id: int, state: str) -> None:
    assert api.ok(api.get(f"/crm/inventory/inventory_id/{inventory_id}"))["item_state"] == state


def _at_least(items: list[Any], count: int) -> list[Any]:
    assert len(items) >= count, items
    return items
