"""Names on the bus: exchanges and queue naming rules (ARCHITECTURE.md §5)."""

EVENTS_EXCHANGE = "omnibus.events"
COMMANDS_EXCHANGE = "omnibus.commands"


def subscriber_queue(subscriber: str, source: str) -> str:
    """Durable queue of one subscribing service for one upstream context, e.g. ``billing.from.customers``."""
    return f"{subscriber}.from.{source}"


def dead_letter_queue(queue: str) -> str:
    return f"{queue}.dlq"


def retry_queue(queue: str, attempt: int) -> str:
    return f"{queue}.retry.{attempt}"
