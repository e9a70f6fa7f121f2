"""Errors of the charging context; ``http_status`` and ``code`` tell the HTTP layer how to answer."""

from __future__ import annotations


class ChargingError(Exception):
    http_status = 400
    code = "charging_error"


class InvalidRequestError(ChargingError):
    code = "invalid_request"


class AccountNotFoundError(ChargingError):
    http_status = 404
    code = "ocs_account_not_found"

    def __init__(self, service_uuid: str) -> None:
        super().__init__(f"No OCS account for service {service_uuid}")


class ActionPlanNotFoundError(ChargingError):
    http_status = 404
    code = "action_plan_not_found"

    def __init__(self, plan_id: str) -> None:
        super().__init__(f"No ActionPlan matches {plan_id}")


class AccountRemovedError(ChargingError):
    http_status = 409
    code = "ocs_account_removed"

    def __init__(self, service_uuid: str) -> None:
        super().__init__(f"The OCS account of service {service_uuid} was removed")


class TopupInProgressError(ChargingError):
    """The same idempotency key is being applied right now, or its outcome is in doubt."""

    http_status = 409
    code = "topup_in_progress"


class IdempotencyKeyReusedError(ChargingError):
    """An idempotency key sent again with a different request."""

    http_status = 409
    code = "idempotency_key_reused"
