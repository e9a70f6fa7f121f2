"""Reservation commands over the bus (``omnibus.commands``): answered by events, idempotent on redelivery."""

import json
import uuid
from typing import Any

from omnibus.contracts import catalog as c
from omnibus.contracts.topology import COMMANDS_EXCHANGE
from omnibus.platform.messaging.bus import OutgoingMessage
from omnibus.testing.commands import command_message
from omnibus.testing.helpers import eventually


def send(api: Any, command: c.CatalogCommand, command_id: str | None = None) -> None:
    message = command_message(command, command_id or str(uuid.uuid4()), correlation_id=command.job_id)
    api.client.portal.call(api.bus.publish, [message])


def replies(api: Any, at_least: int = 1) -> list[dict[str, Any]]:
    return [json.loads(m.body) for m in api.published("catalog.CommandReplied", at_least)]


def send_raw(api: Any, routing_key: str, body: bytes) -> None:
    headers = command_message(c.ReserveInventoryItem(job_id="x", item="x"), "raw").headers
    message = OutgoingMessage(routing_key, body, str(uuid.uuid4()), headers, exchange=COMMANDS_EXCHANGE)
    api.client.portal.call(api.bus.publish, [message])


def dead_letters(api: Any) -> list[Any]:
    return api.client.portal.call(api.bus.dead_letters, c.COMMAND_QUEUE)


def test_a_reserve_command_is_answered_with_the_reserved_item(api: Any) -> None:
    sim = api.new_template(item="SIM Card")
    item = api.new_item(sim["inventory_template_id"])

    send(api, c.ReserveInventoryItem(job_id="provision-456", item="SIM Card"))

    (fact,) = api.published("catalog.InventoryItemReserved")
    (reply,) = replies(api)
    assert json.loads(fact.body)["inventory_id"] == item["inventory_id"]
    assert fact.headers["correlation_id"] == "provision-456"
    assert (reply["outcome"], reply["result"]) == (
        "completed",
        {"inventory_id": item["inventory_id"], "item": "SIM Card"},
    )
    assert (reply["correlation_id"], reply["issuer"]) == ("provision-456", "provisioning")


def test_a_redelivered_reserve_command_changes_nothing(api: Any) -> None:
    sim = api.new_template(item="SIM Card")
    api.new_item(sim["inventory_template_id"])
    api.new_item(sim["inventory_template_id"])
    command = c.ReserveInventoryItem(job_id="provision-456", item="SIM Card")

    send(api, command, command_id="m-1")
    replies(api)
    events = api.app.max_notification_id()
    send(api, command, command_id="m-1")  # redelivered: no effect
    send(api, command, command_id="m-2")  # the same job asking again: the same item, no new reservation
    send(api, c.ReserveInventoryItem(job_id="provision-789", item="SIM Card"))

    reserved = api.published("catalog.InventoryItemReserved", at_least=2)
    answers = replies(api, at_least=3)
    assert len(reserved) == 2
    assert len({json.loads(m.body)["inventory_id"] for m in reserved}) == 2
    assert {m.headers["correlation_id"] for m in reserved} == {"provision-456", "provision-789"}
    assert [a["command_id"] for a in answers] == ["m-1", "m-2", answers[2]["command_id"]]
    assert answers[0]["result"] == answers[1]["result"]
    # the second job's item reserved, its record opened and held, and three replies (inboxes)
    assert api.app.max_notification_id() == events + 5


def test_no_stock_is_answered_with_a_failure(api: Any) -> None:
    api.new_template(item="SIM Card")

    send(api, c.ReserveInventoryItem(job_id="provision-1", item="SIM Card"))

    (failed,) = api.published("catalog.InventoryReservationFailed")
    (reply,) = replies(api)
    body = json.loads(failed.body)
    assert (body["provision_job_id"], body["item"]) == ("provision-1", "SIM Card")
    assert "No SIM Card available" in body["reason"]
    assert failed.headers["correlation_id"] == "provision-1"
    assert (reply["outcome"], reply["reason"]) == ("rejected", body["reason"])


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
    assert [r["outcome"] for r in replies(api, at_least=2)] == ["completed", "completed"]
    eventually(lambda: _assert_state(api, first["inventory_id"], "Assigned"))


def test_a_job_returns_what_it_assigned_and_nothing_else(api: Any) -> None:
    sim = api.new_template(item="SIM Card")
    first = api.new_item(sim["inventory_template_id"])["inventory_id"]
    api.ok(api.post("/crm/inventory/reserve", json={"job_id": "j-1", "item": "SIM Card"}))
    send(api, c.AssignReservedInventoryItem(job_id="j-1", inventory_id=first, customer_id=5, service_id=6))

    send(api, c.ReturnAssignedInventoryItem(job_id="other-job", inventory_id=first))
    send(api, c.ReturnAssignedInventoryItem(job_id="j-1", inventory_id=first))
    send(api, c.ReturnAssignedInventoryItem(job_id="j-1", inventory_id=first))

    answers = replies(api, at_least=4)
    assert [a["result"].get("returned") for a in answers[1:]] == [False, True, False]
    eventually(lambda: _assert_state(api, first, "In Stock"))


def test_bad_commands_are_dead_lettered_and_refused_ones_rejected(api: Any) -> None:
    sim = api.new_template(item="SIM Card")
    item = api.new_item(sim["inventory_template_id"])

    send_raw(api, "catalog.ReserveInventoryItem", b'{"job_id": ""}')
    send_raw(api, "catalog.ReserveInventoryItem", b"not json")
    send(api, c.AssignReservedInventoryItem(job_id="not-holder", inventory_id=item["inventory_id"], customer_id=1))

    dead = eventually(lambda: _at_least(dead_letters(api), 2))
    (refused,) = replies(api)
    errors = " ".join(d.error for d in dead)
    assert "invalid ReserveInventoryItem" in errors
    reason = f"Inventory item {item['inventory_id']} is not reserved for job not-holder"
    assert (refused["outcome"], refused["reason"]) == ("rejected", reason)
    assert api.ok(api.get(f"/crm/inventory/inventory_id/{item['inventory_id']}"))["item_state"] == "New"


def _assert_state(api: Any, inventory_id: int, state: str) -> None:
    assert api.ok(api.get(f"/crm/inventory/inventory_id/{inventory_id}"))["item_state"] == state


def _at_least(items: list[Any], count: int) -> list[Any]:
    assert len(items) >= count, items
    return items
