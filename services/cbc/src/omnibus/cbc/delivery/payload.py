"""The body of ``POST {cbc_url}/alerts/send``: the message in the reference product's field names, its message
reference (what the CBC de-duplicates on), and, for each language, the encoding and page count it was checked
against, so the CBC need not guess them."""

from typing import Any

from omnibus.cbc.domain import CbcMessage, layout


def broadcast_payload(message: CbcMessage, reference: str) -> dict[str, Any]:
    content = message.content
    return {
        "message_reference": reference,
        "replaces": message.replaces,
        "cbc_message_id": message.cbc_message_id,
        "cbc_unique_id": message.cbc_unique_id,
        "messageIdentifier": content.message_identifier,
        "category": content.category,
        "repetitionPeriod": content.repetition_period,
        "numberOfBroadcasts": content.number_of_broadcasts,
        "warningPeriodSec": content.warning_period_sec,
        "channelIndicator": content.channel_indicator,
        "localized_messages": [_text(m) for m in content.localized_messages],
        "tracking_areas": [dict(a) for a in content.tracking_areas],
    }


def _text(message: dict[str, str]) -> dict[str, Any]:
    shape = layout(message["messageBody"])
    return {**message, "encoding": shape.encoding, "pages": shape.pages}
