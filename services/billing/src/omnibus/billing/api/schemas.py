"""Request bodies and their validation (billing.md §2, §3; api-conventions.md §3: numbers may come as strings)."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from omnibus.billing.domain.money import MAX_AMOUNT

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _decimal(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, float | int | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError("must be a number") from None
        if not number.is_finite():
            raise ValueError("must be a finite number")
        return number
    return value


def _money(value: Decimal) -> Decimal:
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError("at most two decimal places (amounts are in major units, to the cent)")
    if abs(value) >= MAX_AMOUNT:
        raise ValueError(f"must be below {MAX_AMOUNT}")
    return value.quantize(Decimal("0.01"))


def _percentage(value: Decimal) -> Decimal:
    if not Decimal("0") <= value <= Decimal("100"):
        raise ValueError("must be between 0 and 100")
    if value.as_tuple().exponent < -4:  # type: ignore[operator]
        raise ValueError("at most four decimal places")
    return value


Money = Annotated[Decimal, BeforeValidator(_decimal), AfterValidator(_money)]
Percentage = Annotated[Decimal, BeforeValidator(_decimal), AfterValidator(_percentage)]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
PathId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Public id")]  # out of range: 400, not a DB error
Title = Annotated[str, Field(min_length=1, max_length=255)]
Description = Annotated[str | None, Field(max_length=2000)]
TransactionType = Literal["charge", "credit", "payment", "refund"]
PaymentMethodName = Literal["stripe", "cash", "bank_transfer", "pos", "other"]
Source = Literal["provisioning", "billing", "addon", "topup", "manual"]


class TransactionCreate(BaseModel):
    model_config = _STRICT

    customer_id: Id
    service_id: Id | None = None
    title: Title
    description: Description = None
    invoice_id: Id | None = None
    retail_cost: Money
    wholesale_cost: Money | None = None
    tax_percentage: Percentage | None = None
    transaction_type: TransactionType | None = None
    payment_method: PaymentMethodName | None = None
    provision_id: Id | None = None
    idempotency_key: Annotated[str | None, Field(min_length=1, max_length=255)] = None
    source: Source | None = None


class TransactionPatch(BaseModel):
    """``{"void": true}`` or editable fields of an uninvoiced line."""

    model_config = _STRICT

    void: Literal[True] | None = None
    service_id: Id | None = None
    title: Title = None  # type: ignore[assignment]
    description: Description = None
    retail_cost: Money = None  # type: ignore[assignment]
    wholesale_cost: Money = None  # type: ignore[assignment]
    tax_percentage: Percentage = None  # type: ignore[assignment]


class Period(BaseModel):
    model_config = _STRICT

    customer_id: Id
    start_date: date
    end_date: date
    transaction_ids: Annotated[list[Id] | None, Field(max_length=10000)] = None


class InvoiceCreate(Period):
    title: Title | None = None
    due_date: date | None = None


class InvoicePatch(BaseModel):
    model_config = _STRICT

    title: Title = None  # type: ignore[assignment]
    start_date: date = None  # type: ignore[assignment]
    end_date: date = None  # type: ignore[assignment]
    due_date: date = None  # type: ignore[assignment]


class InvoicePay(BaseModel):
    model_config = _STRICT

    method: PaymentMethodName
    customer_stripe_id: Annotated[str | None, Field(pattern=r"^pm_[A-Za-z0-9_]{1,250}$")] = None
    reference: Annotated[str | None, Field(min_length=1, max_length=255)] = None
    paid_date: date | None = None


class InvoiceRefund(BaseModel):
    model_config = _STRICT

    amount: Money | None = None
    method: PaymentMethodName | None = None
    reference: Annotated[str | None, Field(min_length=1, max_length=255)] = None


class InvoiceEmail(BaseModel):
    model_config = _STRICT

    to: Annotated[str | None, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)] = None


class BillingRunRequest(BaseModel):
    model_config = _STRICT

    start_date: date
    end_date: date
    due_date: date | None = None
    title: Title | None = None


class DunningRunRequest(BaseModel):
    model_config = _STRICT

    today: date | None = None


StripeId = Annotated[str, Field(pattern=r"^pm_[A-Za-z0-9_]{1,250}$")]


class CardCreate(BaseModel):
    model_config = _STRICT

    customer_id: Id
    customer_stripe_id: StripeId
    nickname: Annotated[str | None, Field(max_length=100)] = None
    set_default: bool = False


class CardPatch(BaseModel):
    model_config = _STRICT

    nickname: Annotated[str | None, Field(max_length=100)] = None
    is_default: Literal[True] | None = None
    default_payment_method: Literal[True] | None = None


class SetupIntentRequest(BaseModel):
    model_config = _STRICT

    customer_id: Id


class ChargeCard(BaseModel):
    model_config = _STRICT

    customer_id: Id
    retail_cost: Money
    description: Title
    service_id: Id | None = None
    product_id: Id | None = None
    wholesale_cost: Money | None = None
    invoice: bool = False
    provision_id: Id | None = None
    idempotency_key: Annotated[str | None, Field(min_length=1, max_length=255)] = None


class ExpiryReminders(BaseModel):
    model_config = _STRICT

    card_ids: Annotated[list[Id], Field(min_length=1, max_length=1000)]
