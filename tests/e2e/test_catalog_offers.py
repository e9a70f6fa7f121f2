"""Journeys: a customer created in the customers service decides the catalog's offers (its account type travels
over RabbitMQ); inventory is reserved once per provisioning job and assigned to the service (real processes)."""

import asyncio
import json
import uuid

import aio_pika
import httpx
import pytest

from omnibus.contracts import catalog as c
from omnibus.platform.messaging.rabbitmq import RabbitMQBus
from omnibus.testing import eventually
from omnibus.testing.commands import command_message

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
AUDIT_QUEUE = "test.catalog.audit"
http = httpx.Client(timeout=30)  # a loaded CI machine can take more than httpx's default 5 s


def test_a_business_customer_is_offered_business_products(launch, signing_key) -> None:
    customers = launch("customers")
    catalog = launch("catalog")
    headers = {"Authorization": f"Bearer {signing_key.token(['admin'])}"}
    plans = [
        {"product_name": "Business fibre", "product_slug": "biz-fibre", "business": True, "residential": False},
        {"product_name": "Home fibre", "product_slug": "home-fibre", "business": False, "residential": True},
    ]
    for plan in plans:
        assert http.put(f"{catalog.url}/crm/product/", json=plan, headers=headers).status_code == 200

    created = http.put(
        f"{customers.url}/crm/customer/",
        json={"customer_name": "Omnitouch Pty Ltd", "customer_account_type": "Business"},
        headers=headers,
    )

    customer_id = created.json()["customer_id"]

    def offered() -> list[str]:
        response = http.get(
            f"{catalog.url}/crm/product/available", params={"customer_id": customer_id}, headers=headers
        )
        assert response.status_code == 200, response.text
        return [p["product_slug"] for p in response.json()]

    assert eventually(offered, timeout=60) == ["biz-fibre"]


def test_add_ons_follow_a_service_created_in_the_customers_service(launch, signing_key) -> None:
    customers = launch("customers")
    catalog = launch("catalog")
    headers = {"Authorization": f"Bearer {signing_key.token(['admin'])}"}
    plan = http.put(
        f"{catalog.url}/crm/product/",
        json={"product_name": "Prepaid 20GB", "product_slug": "prepaid-20gb", "service_type": "mobile"},
        headers=headers,
    ).json()
    boost = {"product_name": "5GB Boost", "product_slug": "boost", "category": "addon", "service_type": "mobile"}
    assert http.put(f"{catalog.url}/crm/product/", json=boost, headers=headers).status_code == 200
    customer = http.put(f"{customers.url}/crm/customer/", json={"customer_name": "Jane Doe"}, headers=headers).json()
    service = http.put(
        f"{customers.url}/crm/service/",
        json={
            "customer_id": customer["customer_id"],
            "product_id": plan["product_id"],
            "service_name": "Mobile +61412345678",
            "service_type": "mobile",
            "service_uuid": "Service_e2e_1",
        },
        headers=headers,
    )
    assert service.status_code == 200, service.text

    def add_ons() -> list[str]:
        response = http.get(
            f"{catalog.url}/crm/product/available", params={"service_id": service.json()["service_id"]}, headers=headers
        )
        assert response.status_code == 200, response.text
        return [p["product_slug"] for p in response.json()]

    assert eventually(add_ons, timeout=60) == ["boost"]
    in_use = http.delete(f"{catalog.url}/crm/product/product_id/{plan['product_id']}", headers=headers)
    assert in_use.status_code == 409


def test_inventory_is_reserved_once_and_assigned_to_the_service(launch, signing_key) -> None:
    catalog = launch("catalog")
    headers = {"Authorization": f"Bearer {signing_key.token(['admin'])}"}
    template = http.put(
        f"{catalog.url}/crm/inventory_template/", json={"item": "SIM Card", "itemtext1_key": "iccid"}, headers=headers
    ).json()
    item = http.put(
        f"{catalog.url}/crm/inventory/",
        json={"inventory_template_id": template["inventory_template_id"], "itemtext1": "8944000000000000001"},
        headers=headers,
    ).json()
    reserve = {"job_id": "provision-456", "item": "SIM Card"}

    first = http.post(f"{catalog.url}/crm/inventory/reserve", json=reserve, headers=headers)
    redelivered = http.post(f"{catalog.url}/crm/inventory/reserve", json=reserve, headers=headers)
    other_job = http.post(f"{catalog.url}/crm/inventory/reserve", json={**reserve, "job_id": "p-9"}, headers=headers)
    assigned = http.post(
        f"{catalog.url}/crm/inventory/inventory_id/{item['inventory_id']}/assign_reserved",
        json={"job_id": "provision-456", "customer_id": 123, "service_id": 77},
        headers=headers,
    )

    assert first.json()["inventory_id"] == redelivered.json()["inventory_id"] == item["inventory_id"]
    assert other_job.status_code == 409
    assert assigned.status_code == 200 and assigned.json()["item_state"] == "Assigned"
    listed = http.get(f"{catalog.url}/crm/inventory/customer_id/123", headers=headers).json()
    assert [i["inventory_id"] for i in listed["data"]] == [item["inventory_id"]]


def test_inventory_events_reach_rabbitmq_without_secrets(launch, signing_key, service_env) -> None:
    amqp_url = service_env["OMNIBUS_AMQP_URL"]
    asyncio.run(_declare_queue(amqp_url))
    catalog = launch("catalog")
    headers = {"Authorization": f"Bearer {signing_key.token(['admin'])}"}
    template = http.put(
        f"{catalog.url}/crm/inventory_template/",
        json={"item": "SIM Card", "itemtext1_key": "iccid", "itemtext2_key": "ki"},
        headers=headers,
    ).json()
    ki = "00112233445566778899aabbccddeeff"

    created = http.put(
        f"{catalog.url}/crm/inventory/",
        json={
            "inventory_template_id": template["inventory_template_id"],
            "itemtext1": "8944000000000000001",
            "itemtext2": ki,
            "management_password": "s3cret",
        },
        headers=headers,
    )

    assert created.status_code == 200, created.text

    def published() -> list[aio_pika.abc.AbstractIncomingMessage]:
        messages = asyncio.run(_drain(amqp_url))
        keys = [m.routing_key for m in messages]
        assert "catalog.InventoryItemCreated" in keys, keys
        return messages

    messages = eventually(published, timeout=20)
    assert [m.routing_key for m in messages] == ["catalog.InventoryTemplateDefined", "catalog.InventoryItemCreated"]
    body = b"".join(m.body for m in messages)
    assert ki.encode() not in body and b"s3cret" not in body
    assert json.loads(messages[1].body)["itemtext1"] == "8944000000000000001"


async def _declare_queue(amqp_url: str) -> None:
    bus = RabbitMQBus(amqp_url)
    await bus.start()
    try:
        await bus.declare_queue(AUDIT_QUEUE, ["catalog.#"])
    finally:
        await bus.close()


async def _drain(amqp_url: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    connection = await aio_pika.connect(amqp_url)
    messages = []
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(AUDIT_QUEUE)
        while (message := await queue.get(no_ack=False, fail=False)) is not None:
            messages.append(message)
    return messages


def test_a_reserve_command_over_rabbitmq_is_answered_once_however_often_it_is_sent(
    launch, signing_key, service_env
) -> None:
    amqp_url = service_env["OMNIBUS_AMQP_URL"]
    asyncio.run(_declare_queue(amqp_url))
    catalog = launch("catalog")
    headers = {"Authorization": f"Bearer {signing_key.token(['admin'])}"}
    template = http.put(f"{catalog.url}/crm/inventory_template/", json={"item": "SIM Card"}, headers=headers).json()
    for n in range(2):
        body = {"inventory_template_id": template["inventory_template_id"], "itemtext1": f"894400000000000000{n}"}
        assert http.put(f"{catalog.url}/crm/inventory/", json=body, headers=headers).status_code == 200
    command = c.ReserveInventoryItem(job_id="provision-456", item="SIM Card")

    def answered() -> list[aio_pika.abc.AbstractIncomingMessage]:
        asyncio.run(_send_command(amqp_url, command))  # again each time: the command is idempotent
        messages = [m for m in asyncio.run(_drain(amqp_url)) if m.routing_key == "catalog.InventoryItemReserved"]
        assert messages
        return messages

    eventually(answered, timeout=30, interval=0.5)
    asyncio.run(_send_command(amqp_url, command))  # one more redelivery, after the answer

    def settled() -> list[aio_pika.abc.AbstractIncomingMessage]:
        messages = [m for m in asyncio.run(_drain(amqp_url)) if m.routing_key == "catalog.InventoryItemReserved"]
        depth = asyncio.run(_command_queue_depth(amqp_url))
        assert depth == 0, depth
        return messages

    reserved = eventually(settled, timeout=30)
    assert len(reserved) == 1
    assert reserved[0].headers["correlation_id"] == "provision-456"
    assert json.loads(reserved[0].body)["provision_job_id"] == "provision-456"


async def _send_command(amqp_url: str, command: c.CatalogCommand) -> None:
    bus = RabbitMQBus(amqp_url)
    await bus.start()
    try:
        # a new command id each time: the job asks again; its reservation record answers the same item
        await bus.publish([command_message(command, str(uuid.uuid4()), correlation_id=command.job_id)])
    finally:
        await bus.close()


async def _command_queue_depth(amqp_url: str) -> int:
    bus = RabbitMQBus(amqp_url)
    await bus.start()
    try:
        return await bus.queue_depth(c.COMMAND_QUEUE)
    finally:
        await bus.close()
