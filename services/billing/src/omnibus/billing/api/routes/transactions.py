"""Transaction endpoints (billing.md §3.1): record, read, list (per customer and system-wide), edit, void, stats."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from omnibus.billing.api.deps import BillingAppDep, ReadDep
from omnibus.billing.api.schemas import PathId, TransactionCreate, TransactionPatch
from omnibus.billing.api.views import stats_view, transaction_row_view, transaction_view
from omnibus.billing.readmodel.ledger import (
    TRANSACTION_FILTERS,
    TRANSACTION_SORTS,
    list_rows,
    transaction_search,
    transaction_stats,
)
from omnibus.billing.readmodel.tables import transactions
from omnibus.platform.auth import Access, require
from omnibus.platform.http.errors import ApiError
from omnibus.platform.http.types import Paging

router = APIRouter(tags=["transactions"])

View = Annotated[Access, Depends(require("view_customer_transaction", own="view_own_customer_transaction"))]


@router.put("/crm/transaction/")
@router.post("/crm/transaction/", include_in_schema=False)
def create_transaction(
    body: TransactionCreate, app: BillingAppDep, _: Annotated[Access, Depends(require("create_customer_transaction"))]
) -> dict[str, Any]:
    """Record a charge, credit (stored negative), payment or refund line; uninvoiced until invoiced."""
    fields = body.model_dump(exclude={"customer_id"})
    return transaction_view(app.record_transaction(body.customer_id, fields))


@router.get("/crm/transaction/stats")
def stats(
    read: ReadDep, access: View, customer_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None
) -> dict[str, Any]:
    """Widget totals: all time, uninvoiced, this month, last month (non-void charges and credits)."""
    if access.scoped:
        customer_id = access.own_customer_id
    return stats_view(transaction_stats(read, customer_id, datetime.now(UTC).date()))


@router.get("/crm/transaction/transaction_id/{transaction_id}")
def get_transaction(transaction_id: PathId, app: BillingAppDep, access: View) -> dict[str, Any]:
    line = app.get_transaction(transaction_id)
    access.check_customer(line.customer_id, "Transaction")
    return transaction_view(line)


@router.get("/crm/transaction/customer_id/{customer_id}")
def customer_transactions(
    customer_id: PathId, read: ReadDep, paging: Annotated[Paging, Depends()], access: View
) -> dict[str, Any]:
    """A customer's lines as ``{data, pagination}``; ``filters={"invoice_id":[null]}`` = Not Invoiced."""
    access.check_customer(customer_id, "Customer")
    return _page(read, paging, customer_id)


@router.get("/crm/transaction/")
def all_transactions(read: ReadDep, paging: Annotated[Paging, Depends()], access: View) -> dict[str, Any]:
    """Every line (self-care users: their own), same filters and paging."""
    return _page(read, paging, access.own_customer_id)


@router.patch("/crm/transaction/transaction_id/{transaction_id}")
def update_transaction(
    transaction_id: PathId,
    app: BillingAppDep,
    _: Annotated[Access, Depends(require("update_customer_transaction"))],
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """``{"void": true}`` or editable fields while the line is uninvoiced (409 once invoiced)."""
    if not isinstance(body, dict) or not body:
        raise ApiError(400, "validation_error", "Request body must be a JSON object naming fields to change")
    patch = TransactionPatch.model_validate(body)
    changes = {name: getattr(patch, name) for name in patch.model_fields_set}
    void = changes.pop("void", None)
    if void and changes:
        raise ApiError(400, "validation_error", "Void a line on its own, without other changes")
    if void:
        return transaction_view(app.void_transaction(transaction_id))
    for name in ("title", "retail_cost", "wholesale_cost", "tax_percentage"):
        if name in changes and changes[name] is None:
            raise ApiError(400, "validation_error", f"{name} cannot be null")
    return transaction_view(app.edit_transaction(transaction_id, changes))


@router.delete("/crm/transaction/transaction_id/{transaction_id}")
def delete_transaction(
    transaction_id: PathId, app: BillingAppDep, _: Annotated[Access, Depends(require("delete_customer_transaction"))]
) -> dict[str, Any]:
    """No hard delete: the line is voided (409 when invoiced)."""
    app.void_transaction(transaction_id)
    return {"result": "success"}


def _page(read: ReadDep, paging: Paging, customer_id: int | None) -> dict[str, Any]:
    rows, total = list_rows(
        read,
        transactions,
        filters=paging.filters,
        allowed=TRANSACTION_FILTERS,
        sorts=TRANSACTION_SORTS,
        sort=paging.sort,
        descending=paging.descending,
        offset=paging.offset,
        limit=paging.per_page,
        search=transaction_search(paging.search),
        only_customer_id=customer_id,
    )
    return paging.envelope([transaction_row_view(r) for r in rows], total)
