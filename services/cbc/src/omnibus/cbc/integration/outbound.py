"""Domain events -> public contracts (cbc.md §8). The tries and their failures, and retry requests, stay private:
they are in the message's history (``GET /crm/cbc/{id}/history``)."""

from functools import singledispatch

from omnibus.cbc.domain import ALL_EVENTS, CbcMessage
from omnibus.cbc.domain.content import API_NAMES
from omnibus.contracts import IntegrationEvent
from omnibus.contracts import cbc as c
from omnibus.platform.eventstore import topics_of
from omnibus.platform.relay import Outbound


@singledispatch
def to_integration(event: object) -> IntegrationEvent | None:
    return None


@to_integration.register
def _(e: CbcMessage.Created) -> IntegrationEvent:
    return c.CbcMessageCreated(
        cbc_message_id=e.cbc_message_id,
        cbc_unique_id=e.cbc_unique_id,
        messageIdentifier=e.message_identifier,
        category=e.category,
        repetitionPeriod=e.repetition_period,
        numberOfBroadcasts=e.number_of_broadcasts,
        warningPeriodSec=e.warning_period_sec,
        channelIndicator=e.channel_indicator,
        localized_messages=[c.LocalizedMessage.model_validate(m) for m in e.localized_messages],
        tracking_areas=[c.TrackingArea.model_validate(a) for a in e.tracking_areas],
        initiating_user=e.initiating_user,
        created=e.timestamp,
    )


@to_integration.register
def _(e: CbcMessage.Updated) -> IntegrationEvent:
    values = {API_NAMES[name]: value for name, value in e.changes.items()}
    return c.CbcMessageUpdated.model_validate(
        {
            "cbc_message_id": e.cbc_message_id,
            "changed_fields": sorted(values),
            "approval_cleared": e.approval_cleared,
            **values,
        }
    )


@to_integration.register
def _(e: CbcMessage.Approved) -> IntegrationEvent:
    return c.CbcMessageApproved(
        cbc_message_id=e.cbc_message_id,
        approving_user=e.approving_user,
        totp_verified=True,
        at=e.at,
        message_reference=e.message_reference,
    )


@to_integration.register
def _(e: CbcMessage.SubmittedToCbc) -> IntegrationEvent:
    return c.CbcMessageSubmittedToCbc(
        cbc_message_id=e.cbc_message_id,
        cbc_url=e.cbc_url,
        http_status=e.http_status,
        message_reference=e.message_reference,
        at=e.at,
    )


@to_integration.register
def _(e: CbcMessage.SubmissionFailed) -> IntegrationEvent:
    return c.CbcSubmissionFailed(
        cbc_message_id=e.cbc_message_id,
        reason=e.reason,
        http_status=e.http_status,
        message_reference=e.message_reference,
        attempts=e.attempts,
    )


@to_integration.register
def _(e: CbcMessage.Cancelled) -> IntegrationEvent:
    return c.CbcMessageCancelled(
        cbc_message_id=e.cbc_message_id, by_user=e.by_user, delivered_to_cbc=e.delivered_to_cbc
    )


@to_integration.register
def _(e: CbcMessage.CancelDelivered) -> IntegrationEvent:
    return c.CbcCancelDelivered(
        cbc_message_id=e.cbc_message_id, message_reference=e.message_reference, http_status=e.http_status
    )


@to_integration.register
def _(e: CbcMessage.CancelNotDelivered) -> IntegrationEvent:
    return c.CbcCancelNotDelivered(
        cbc_message_id=e.cbc_message_id, reason=e.reason, message_reference=e.message_reference
    )


OUTBOUND = Outbound(source="cbc", to_integration=to_integration, topics=topics_of(*ALL_EVENTS))
