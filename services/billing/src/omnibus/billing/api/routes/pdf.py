"""Invoice PDF endpoints (billing.md §3.2; D5: both paths, ``/crm/invoice/{id}/pdf`` canonical; D94 file name)."""

import logging
from typing import Annotated

import jinja2
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from omnibus.billing.api.schemas import PathId
from omnibus.billing.pdf.cache import InvoicePdfs
from omnibus.platform.auth import Access, require
from omnibus.platform.http.errors import ApiError

router = APIRouter(tags=["invoice pdf"])
log = logging.getLogger(__name__)

View = Annotated[Access, Depends(require("view_customer_invoice", own="view_own_customer_invoice"))]


def _pdfs(request: Request) -> InvoicePdfs:
    pdfs: InvoicePdfs = request.app.state.invoice_pdfs
    return pdfs


PdfsDep = Annotated[InvoicePdfs, Depends(_pdfs)]


@router.get("/crm/invoice/{invoice_id}/pdf", response_class=Response)
def invoice_pdf(invoice_id: PathId, pdfs: PdfsDep, access: View, request: Request) -> Response:
    """The invoice as ``application/pdf`` (rendered once, then served from the cache until something changes)."""
    try:
        document = pdfs.get(invoice_id)
    except jinja2.TemplateError as error:
        log.exception("invoice template failed for invoice %d", invoice_id)
        raise ApiError(500, "render_error", f"The invoice template failed: {error}") from None
    access.check_customer(document.customer_id, "Invoice")
    filename = request.app.state.billing_config.pdf_filename(invoice_id)
    return Response(
        document.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "ETag": f'"{document.sha256}"',
            "X-Cache": "HIT" if document.cached else "MISS",
        },
    )


@router.get("/invoice/pdf/{invoice_id}", response_class=Response)
def invoice_pdf_alias(invoice_id: PathId, pdfs: PdfsDep, access: View, request: Request) -> Response:
    """The same PDF at the reference product's other documented path (D5)."""
    return invoice_pdf(invoice_id, pdfs, access, request)


@router.delete("/crm/invoice/pdf-cache")
def clean_pdf_cache(
    pdfs: PdfsDep,
    _: Annotated[Access, Depends(require("admin"))],
    older_than_days: Annotated[int, Query(ge=0, le=3650)] = 30,
) -> dict[str, object]:
    """Delete cached PDFs created more than ``older_than_days`` ago (0: all)."""
    return {"status": "success", "deleted_count": pdfs.clean(older_than_days)}


@router.delete("/crm/invoice/{invoice_id}/pdf-cache")
def invalidate_pdf(
    invoice_id: PathId, pdfs: PdfsDep, _: Annotated[Access, Depends(require("update_customer_invoice"))]
) -> dict[str, object]:
    """Forget one invoice's cached PDF (the next download renders it again)."""
    return {"status": "success", "deleted_count": pdfs.invalidate(invoice_id)}
