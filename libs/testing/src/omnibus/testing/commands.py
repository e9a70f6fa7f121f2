"""Commands as an issuer's relay sends them (``omnibus.commands``), for tests of command consumers."""

from datetime import UTC, datetime

from omnibus.contracts.commands import Command, command_headers
from omnibus.contracts.topology import COMMANDS_EXCHANGE
from omnibus.platform.messaging.bus import OutgoingMessage


def command_message(
    command: Command,
    command_id: str,
    *,
    source: str = "provisioning",
    attempt: int = 1,
    correlation_id: str | None = None,
) -> OutgoingMessage:
    """The message of ``command``, with the headers of the platform's relay (``omnibus.platform.relay``)."""
    headers = command_headers(
        command_id=command_id,
        command_type=command.command_type(),
        source=source,
        issued_at=datetime.now(UTC).isoformat(),
        attempt=attempt,
        actor={"auth_method": "system"},
        correlation_id=correlation_id,
    )
    return OutgoingMessage(
        routing_key=command.routing_key(),
        body=command.model_dump_json().encode(),
        message_id=f"{command_id}#{attempt}",
        headers=headers,
        exchange=COMMANDS_EXCHANGE,
    )
