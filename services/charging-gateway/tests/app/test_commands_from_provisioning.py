"""Provisioning's commands to the charging gateway (``charging-gateway.commands``): an OCS account prepared before
a play runs and removed again on rollback, against the emulator over HTTP; answered by ``charging.CommandReplied``."""

import json
from typing import Any

from omnibus.charging_gateway.integration.commands import command_consumer
from omnibus.contracts import charging as c
from omnibus.platform.messaging.bus import Delivery
from omnibus.testing.commands import command_message


def handle(gateway: Any, command: c.ChargingCommand, command_id: str) -> None:
    """What the bus does with one delivery of the command."""
    message = command_message(command, command_id, correlation_id="provision:5")
    delivery = Delivery(c.COMMAND_QUEUE, message.routing_key, message.body, message.message_id, message.headers)
    assert command_consumer(gateway.app).handle_one(delivery) is None


def replies(gateway: Any) -> list[dict[str, Any]]:
    return [json.loads(m.body) for m in gateway.published("CommandReplied")]


def test_an_account_is_prepared_once_and_removed_on_rollback(gateway: Any) -> None:
    handle(gateway, c.PrepareOcsAccount(service_uuid="Mobile_00000005"), "5/prepare/do/0")
    handle(gateway, c.PrepareOcsAccount(service_uuid="Mobile_00000005"), "5/prepare/do/0")  # redelivered
    prepared = gateway.emulator.account("Mobile_00000005")
    handle(gateway, c.RemoveOcsAccount(service_uuid="Mobile_00000005"), "5/prepare/undo/0")
    handle(gateway, c.RemoveOcsAccount(service_uuid="Mobile_00000005"), "5/prepare/undo/0#2")  # asked again

    assert prepared["ID"].endswith("Mobile_00000005")
    assert "NOT_FOUND" in gateway.emulator.error(
        "APIerSv2.GetAccount", {"Tenant": "cgrates.org", "Account": "Mobile_00000005"}
    )
    assert gateway.names().count("OcsAccountCreated") == 1
    assert gateway.names().count("OcsAccountRemoved") == 1
    assert [(r["outcome"], r["result"].get("removed")) for r in replies(gateway)] == [
        ("completed", None),
        ("completed", True),
        ("completed", False),
    ]
    assert {r["correlation_id"] for r in replies(gateway)} == {"provision:5"}


def test_an_account_name_the_ocs_cannot_take_is_rejected(gateway: Any) -> None:
    handle(gateway, c.PrepareOcsAccount(service_uuid="Bad__name"), "6/prepare/do/0")

    [reply] = replies(gateway)
    assert reply["outcome"] == "rejected" and "__" in reply["reason"]
