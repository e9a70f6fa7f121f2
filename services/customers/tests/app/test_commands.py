"""Provisioning's commands to customers (``customers.commands``): a job's service activated or, on rollback,
deactivated; answered by ``customers.CommandReplied``; a redelivery changes nothing."""

import json
from typing import Any

from omnibus.contracts import customers as c
from omnibus.testing.commands import command_message
from omnibus.testing.helpers import eventually


def send(api: Any, command: c.CustomersCommand, command_id: str) -> None:
    message = command_message(command, command_id, correlation_id=f"provision:{command.provision_id}")
    api.client.portal.call(api.bus.publish, [message])


def replies(api: Any, count: int) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]]:
        found = [json.loads(m.body) for m in api.published("customers.CommandReplied")]
        assert len(found) >= count, found
        return found

    return eventually(enough)


def test_the_jobs_service_is_activated_once_however_often_the_command_comes(api: Any, a_customer: Any) -> None:
    customer = api.new_customer(**a_customer())
    service = api.new_service(customer["customer_id"], service_uuid="Mobile_0000002a", service_status="Inactive")
    command = c.ActivateProvisionedService(
        provision_id=42, customer_id=customer["customer_id"], service_uuid="Mobile_0000002a"
    )

    send(api, command, "42/activate_service/do/0")
    send(api, command, "42/activate_service/do/0")

    [reply] = replies(api, 1)
    assert (reply["outcome"], reply["result"]) == ("completed", {"service_id": service["service_id"]})
    assert reply["correlation_id"] == "provision:42"
    statuses = [json.loads(m.body)["to"] for m in api.published("customers.ServiceStatusChanged")]
    assert statuses == ["Active"]


def test_no_service_with_the_jobs_uuid_is_answered_with_no_service_id(api: Any, a_customer: Any) -> None:
    customer = api.new_customer(**a_customer())

    send(
        api,
        c.ActivateProvisionedService(provision_id=7, customer_id=customer["customer_id"], service_uuid="Nothing_1"),
        "c-1",
    )

    [reply] = replies(api, 1)
    assert (reply["outcome"], reply["result"]) == ("completed", {"service_id": None})


def test_another_customers_service_is_refused_and_a_rollback_deactivates(api: Any, a_customer: Any) -> None:
    owner = api.new_customer(**a_customer())
    other = api.new_customer(**a_customer())
    service = api.new_service(owner["customer_id"], service_uuid="Mobile_00000001")

    send(
        api,
        c.ActivateProvisionedService(provision_id=1, customer_id=other["customer_id"], service_uuid="Mobile_00000001"),
        "c-1",
    )
    send(
        api,
        c.DeactivateProvisionedService(
            provision_id=1, customer_id=owner["customer_id"], service_uuid="Mobile_00000001"
        ),
        "c-2",
    )

    refused, deactivated = replies(api, 2)
    assert (refused["outcome"], refused["reason"]) == (
        "rejected",
        "service Mobile_00000001 belongs to another customer",
    )
    assert (deactivated["outcome"], deactivated["result"]) == ("completed", {"service_id": service["service_id"]})
    assert api.get(f"/crm/service/service_id/{service['service_id']}").json()["service_status"] == "Deactivated"
