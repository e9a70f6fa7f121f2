"""Invoice endpoints (billing.md §3.2): proforma, generate, read, list, edit, void, pay, refund, e-mail, stats."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from omnibus.billing.api.deps import BillingAppDep, ReadDep
from omnibus.billing.api.schemas import (
    InvoiceCreate,
    InvoiceEmail,
    InvoicePatch,
    InvoicePay,
    InvoiceRefund,
    PathId,
    Period,
)
from omnibus.billing.api.views import invoice_row_view, invoice_view, money, stats_view, transaction_view
from omnibus.billing.application import BillingApp
from omnibus.billing.domain import ConflictError
from omnibus.billing.readmodel.ledger import INVOICE_FILTERS, INVOICE_SORTS, invoice_search, invoice_stats, list_rows
from omnibus.billing.readmodel.tables import invoices
from omnibus.platform.auth import Access, require
from omnibus.platform.http.errors import ApiError
from omnibus.platform.http.types import Paging

router = APIRouter(tags=["invoices"])

View = Annotated[Access, Depends(require("view_customer_invoice", own="view_own_customer_invoice"))]
Update = Annotated[Access, Depends(require("update_customer_invoice"))]


@router.post("/crm/invoice/proforma")
def proforma(body: Period, app: BillingAppDep, access: View) -> dict[str, Any]:
    """Preview the invoice the chosen (default: all uninvoiced) lines of the period would make. Changes nothing."""
    access.check_customer(body.customer_id, "Customer")
    preview = app.preview_invoice(body.customer_id, body.start_date, body.end_date, body.transaction_ids)
    return {
        "customer_id": body.customer_id,
        "start_date": body.start_date.isoformat(),
        "end_date": body.end_date.isoformat(),
        "lines": [transaction_view(line) for line in preview["lines"]],
        "retail_cost": money(preview["retail_cost"]),
        "total_tax": money(preview["total_tax"]),
        "total": money(preview["total"]),
        "currency": app.config.currency,
    }


@router.put("/crm/invoice/")
@router.post("/crm/invoice/", include_in_schema=False)
def create_invoice(
    body: InvoiceCreate, app: BillingAppDep, _: Annotated[Access, Depends(require("create_customer_invoice"))]
) -> dict[str, Any]:
    """Generate an invoice: its lines get its ``invoice_id`` (400 no eligible lines; 409 line already invoiced)."""
    if not app.lookups.customer_exists(body.customer_id):
        raise ApiError(404, "not_found", f"Customer {body.customer_id} not found")
    invoice = app.generate_invoice(
        body.customer_id,
        start=body.start_date,
        end=body.end_date,
        title=body.title,
        due=body.due_date,
        transaction_ids=body.transaction_ids,
    )
    assert invoice is not None
    return _with_lines(app, invoice_view(invoice))


@router.get("/crm/invoice/stats")
def stats(read: ReadDep, access: View) -> dict[str, Any]:
    """Widget totals: all invoiced, unpaid, overdue, this month (void invoices excluded)."""
    return stats_view(invoice_stats(read, access.own_customer_id, datetime.now(UTC).date()))


@router.get("/crm/invoice/invoice_id/{invoice_id}")
def get_invoice(invoice_id: PathId, app: BillingAppDep, access: View) -> dict[str, Any]:
    """An invoice with its lines."""
    invoice = app.get_invoice(invoice_id)
    access.check_customer(invoice.customer_id, "Invoice")
    return _with_lines(app, invoice_view(invoice))


@router.get("/crm/invoice/customer_id/{customer_id}")
def customer_invoices(
    customer_id: PathId, read: ReadDep, paging: Annotated[Paging, Depends()], access: View
) -> dict[str, Any]:
    """A customer's invoices as ``{data, pagination}``; ``search`` by invoice ID, ``filters`` on paid/void."""
    access.check_customer(customer_id, "Customer")
    return _page(read, paging, customer_id)


@router.get("/crm/invoice/")
def all_invoices(read: ReadDep, paging: Annotated[Paging, Depends()], access: View) -> dict[str, Any]:
    return _page(read, paging, access.own_customer_id)


@router.patch("/crm/invoice/invoice_id/{invoice_id}")
def update_invoice(
    invoice_id: PathId, app: BillingAppDep, _: Update, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Change the title or dates of an unpaid invoice (409 when paid or void)."""
    if not isinstance(body, dict) or not body:
        raise ApiError(400, "validation_error", "Request body must be a JSON object naming fields to change")
    patch = InvoicePatch.model_validate(body)
    changes = {name: getattr(patch, name) for name in patch.model_fields_set}
    if any(value is None for value in changes.values()):
        raise ApiError(400, "validation_error", "Invoice fields cannot be null")
    changes = {k: (v.isoformat() if k.endswith("_date") else v) for k, v in changes.items()}
    return _with_lines(app, invoice_view(app.update_invoice(invoice_id, changes)))


@router.post("/crm/invoice/invoice_id/{invoice_id}/void")
def void_invoice(invoice_id: PathId, app: BillingAppDep, _: Update) -> dict[str, Any]:
    """Void an unpaid invoice; its lines become uninvoiced again (409 when paid, D89)."""
    return _with_lines(app, invoice_view(app.void_invoice(invoice_id)))


@router.delete("/crm/invoice/invoice_id/{invoice_id}")
def delete_invoice(
    invoice_id: PathId, app: BillingAppDep, _: Annotated[Access, Depends(require("delete_customer_invoice"))]
) -> dict[str, str]:
    """Only an unpaid draft never e-mailed can be deleted (it is voided, lines released); otherwise 409."""
    invoice = app.get_invoice(invoice_id)
    if invoice.paid or invoice.emailed:
        raise ConflictError(f"Invoice {invoice_id} was {'paid' if invoice.paid else 'e-mailed'}; it cannot be deleted")
    app.void_invoice(invoice_id)
    return {"result": "success"}


@router.post("/crm/invoice/invoice_id/{invoice_id}/pay")
def pay_invoice(
    invoice_id: PathId,
    body: InvoicePay,
    app: BillingAppDep,
    access: Annotated[Access, Depends(require("update_customer_invoice", own="update_own_customer_invoice"))],
) -> dict[str, Any]:
    """Pay by saved card (``stripe``; 402 when declined) or record a manual payment with its reference."""
    invoice = app.get_invoice(invoice_id)
    access.check_customer(invoice.customer_id, "Invoice")
    if access.scoped and body.method != "stripe":
        raise ApiError(403, "forbidden", "Self-care payments are by saved card only")
    paid = app.pay_invoice(
        invoice_id,
        method=body.method,
        reference=body.reference,
        paid_date=body.paid_date,
        customer_stripe_id=body.customer_stripe_id,
        recorded_by=access.principal.user_id if access.principal.user_id is not None else access.principal.api_key_id,
        channel="self_care" if access.scoped else "staff",
    )
    return _with_lines(app, invoice_view(paid))


@router.post("/crm/invoice/invoice_id/{invoice_id}/refund")
def refund_invoice(invoice_id: PathId, body: InvoiceRefund, app: BillingAppDep, _: Update) -> dict[str, Any]:
    """Refund all (default) or part of a paid invoice; through Stripe when paid by card (409 unpaid, 400 too much)."""
    refunded = app.refund_invoice(invoice_id, amount=body.amount, method=body.method, reference=body.reference)
    return _with_lines(app, invoice_view(refunded))


@router.post("/crm/invoice/invoice_id/{invoice_id}/email")
def email_invoice(
    invoice_id: PathId,
    app: BillingAppDep,
    _: Annotated[Access, Depends(require("create_communication"))],
    access: View,
    body: InvoiceEmail | None = None,
) -> dict[str, Any]:
    """Ask communications (customers context) to e-mail the invoice; answered once the request is recorded."""
    invoice = app.get_invoice(invoice_id)
    access.check_customer(invoice.customer_id, "Invoice")
    app.request_invoice_email(invoice_id, body.to if body else None)
    return {"result": "sent", "status": "queued", "invoice_id": invoice_id}


def _with_lines(app: BillingApp, view: dict[str, Any]) -> dict[str, Any]:
    return {**view, "transactions": [transaction_view(app.get_transaction(t)) for t in view["transaction_ids"]]}


def _page(read: ReadDep, paging: Paging, customer_id: int | None) -> dict[str, Any]:
    rows, total = list_rows(
        read,
        invoices,
        filters=paging.filters,
        allowed=INVOICE_FILTERS,
        sorts=INVOICE_SORTS,
        sort=paging.sort,
        descending=paging.descending,
        offset=paging.offset,
        limit=paging.per_page,
        search=invoice_search(paging.search),
        only_customer_id=customer_id,
    )
    return paging.envelope([invoice_row_view(r) for r in rows], total)
