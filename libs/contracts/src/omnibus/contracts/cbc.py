"""Events published by the cell broadcast context (cbc.md §8).

A message's life: ``CbcMessageCreated`` (pending approval), ``CbcMessageUpdated`` (clears an approval, D113),
``CbcMessageApproved`` (a second user, with a fresh second factor, D110), then ``CbcMessageSubmittedToCbc`` or
``CbcSubmissionFailed``; ``CbcMessageCancelled`` (D112), then, when the CBC had it, ``CbcCancelDelivered`` or
``CbcCancelNotDelivered``. Field names are the reference product's. Alert texts are public, never secret.
"""

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from omnibus.contracts.base import IntegrationEvent


class LocalizedMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    language: str = Field(description="ISO 639-1 language code, e.g. en")
    messageBody: str = Field(description="The alert text in that language")


class TrackingArea(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    tracking_area: str = Field(description="Tracking (or location) area code, e.g. 12345")
    operator: str = Field(description="MCC-MNC, e.g. 310-410")
    rat_type: str = Field(description="LTE, 5G, UMTS or GSM")


class _CbcEvent(IntegrationEvent):
    context: ClassVar[str] = "cbc"
    aggregate_type: ClassVar[str] = "CbcMessage"

    cbc_message_id: int = Field(description="Cell broadcast message id")


class CbcMessageCreated(_CbcEvent):
    """A warning message was composed; it waits for a second user's approval."""

    name: ClassVar[str] = "CbcMessageCreated"
    cbc_unique_id: str = Field(description="The message's UUID")
    messageIdentifier: str = Field(description="3GPP CBS message identifier, e.g. 4370 (D109)")
    category: str = Field(description="e.g. emergency")
    repetitionPeriod: int = Field(description="Seconds between repeats")
    numberOfBroadcasts: int = Field(description="Broadcasts requested (0: until the warning period ends)")
    warningPeriodSec: int = Field(description="Seconds the warning stays in effect")
    channelIndicator: str = Field(description="CBS channel: basic or extended")
    localized_messages: list[LocalizedMessage] = Field(description="One text per language")
    tracking_areas: list[TrackingArea] = Field(description="Where it is broadcast")
    initiating_user: int | None = Field(description="Creator (null for an API key)")
    created: datetime = Field(description="When it was created (UTC)")


class CbcMessageUpdated(_CbcEvent):
    """Content changed; an approval it had is cleared and it must be approved again (D113)."""

    name: ClassVar[str] = "CbcMessageUpdated"
    changed_fields: list[str] = Field(description="Names of the fields that changed; only these carry new values")
    approval_cleared: bool = Field(description="It was approved (or sent) and now waits for a new approval")
    messageIdentifier: str | None = Field(default=None, description="New identifier, if changed")
    category: str | None = Field(default=None, description="New category, if changed")
    repetitionPeriod: int | None = Field(default=None, description="New repetition period, if changed")
    numberOfBroadcasts: int | None = Field(default=None, description="New count, if changed")
    warningPeriodSec: int | None = Field(default=None, description="New warning period, if changed")
    channelIndicator: str | None = Field(default=None, description="New channel, if changed")
    localized_messages: list[LocalizedMessage] | None = Field(default=None, description="New texts, if changed")
    tracking_areas: list[TrackingArea] | None = Field(default=None, description="New areas, if changed")


class CbcMessageApproved(_CbcEvent):
    """A user other than the initiator approved it with a fresh second factor; delivery to the CBC follows."""

    name: ClassVar[str] = "CbcMessageApproved"
    approving_user: int = Field(description="The approver")
    totp_verified: bool = Field(description="Always true: the approver proved a second factor")
    at: datetime = Field(description="When it was approved (UTC)")
    message_reference: str = Field(description="The reference the CBC gets it under (one per approval)")


class CbcMessageSubmittedToCbc(_CbcEvent):
    """The CBC has the broadcast (it accepted it, or, asked after an unanswered try, already had it)."""

    name: ClassVar[str] = "CbcMessageSubmittedToCbc"
    cbc_url: str = Field(description="The CBC's base URL")
    http_status: int = Field(description="HTTP status of the CBC's answer")
    message_reference: str = Field(description="The broadcast's reference at the CBC")
    at: datetime = Field(description="When the CBC's answer was recorded (UTC)")


class CbcSubmissionFailed(_CbcEvent):
    """The CBC refused the broadcast, or did not answer any of the tries: status send_failed."""

    name: ClassVar[str] = "CbcSubmissionFailed"
    reason: str = Field(description="The CBC's refusal, or why it could not be reached")
    http_status: int | None = Field(default=None, description="HTTP status of the last answer, if any")
    message_reference: str = Field(description="The broadcast's reference")
    attempts: int = Field(description="Tries made")


class CbcMessageCancelled(_CbcEvent):
    """The message was cancelled (soft delete: it stays as history)."""

    name: ClassVar[str] = "CbcMessageCancelled"
    by_user: int | None = Field(description="Who cancelled it (null for an API key)")
    delivered_to_cbc: bool = Field(
        description="It was (or may have been) handed to the CBC: the cancellation is sent there too"
    )


class CbcCancelDelivered(_CbcEvent):
    """The CBC got the cancellation of a broadcast (404: it did not have that broadcast)."""

    name: ClassVar[str] = "CbcCancelDelivered"
    message_reference: str = Field(description="The cancelled broadcast's reference")
    http_status: int = Field(description="HTTP status of the CBC's answer")


class CbcCancelNotDelivered(_CbcEvent):
    """The cancellation could not be given to the CBC (no cancel path configured, refused, unreachable): the
    broadcast may still run; operators must stop it at the CBC (D112)."""

    name: ClassVar[str] = "CbcCancelNotDelivered"
    reason: str = Field(description="Why")
    message_reference: str = Field(description="The broadcast's reference")


PUBLISHED: tuple[type[IntegrationEvent], ...] = (
    CbcMessageCreated,
    CbcMessageUpdated,
    CbcMessageApproved,
    CbcMessageSubmittedToCbc,
    CbcSubmissionFailed,
    CbcMessageCancelled,
    CbcCancelDelivered,
    CbcCancelNotDelivered,
)
