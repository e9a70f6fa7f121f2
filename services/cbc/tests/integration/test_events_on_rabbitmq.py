"""The message's life reaches RabbitMQ as the published contracts, in order, with who did each step."""

import asyncio
import json

import aio_pika
import pytest

from omnibus.platform.messaging.rabbitmq import RabbitMQBus
from omnibus.testing.helpers import eventually

pytestmark = pytest.mark.integration
AUDIT_QUEUE = "cbc-tests.audit"


def test_created_approved_sent_and_cancelled_are_published_in_order(
    start_service, fresh_database: str, fresh_vhost: str
) -> None:
    asyncio.run(_declare_queue(fresh_vhost))
    with start_service(fresh_database, amqp_url=fresh_vhost) as api:
        created = api.create()
        sent = api.approve(created["cbc_message_id"]).json()
        api.client.delete(f"/crm/cbc/{created['cbc_message_id']}", headers=api.auth("delete_cbc_message", sub=11))
        api.settled(created["cbc_message_id"])

        def published() -> list[aio_pika.abc.AbstractIncomingMessage]:
            messages = asyncio.run(_drain(fresh_vhost))
            assert [m.routing_key for m in messages][-1:] == ["cbc.CbcCancelDelivered"], messages
            return messages

        messages = eventually(published, timeout=20)

    assert [m.routing_key for m in messages] == [
        "cbc.CbcMessageCreated",
        "cbc.CbcMessageApproved",
        "cbc.CbcMessageSubmittedToCbc",
        "cbc.CbcMessageCancelled",
        "cbc.CbcCancelDelivered",
    ]
    bodies = [json.loads(m.body) for m in messages]
    assert bodies[0]["messageIdentifier"] == "4380" and bodies[1]["approving_user"] == 22
    assert bodies[2]["message_reference"] == sent["message_reference"] and bodies[3]["delivered_to_cbc"] is True
    assert json.loads(messages[1].headers["actor"])["user_id"] == 22  # type: ignore[arg-type]


async def _declare_queue(amqp_url: str) -> None:
    bus = RabbitMQBus(amqp_url)
    await bus.start()
    try:
        await bus.declare_queue(AUDIT_QUEUE, ["cbc.#"])
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
