"""Errors of the billing context; ``http_status`` and ``code`` tell the HTTP layer how to answer."""

from __future__ import annotations

from typing import Any


class BillingError(Exception):
    http_status = 400
    code = "billing_error"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.details = details


class NotFoundError(BillingError):
    http_status = 404
    code = "not_found"


class ConflictError(BillingError):
    http_status = 409
    code = "conflict"


class InvalidTransactionError(BillingError):
    code = "invalid_transaction"


class InvalidInvoiceError(BillingError):
    code = "invalid_invoice"


class PaymentDeclinedError(BillingError):
    """The card was declined (402, the reference product's answer to a failed charge)."""

    http_status = 402
    code = "card_declined"


class PaymentGatewayError(BillingError):
    """Stripe could not be reached or answered with an error that is not a decline."""

    http_status = 502
    code = "payment_gateway_error"
