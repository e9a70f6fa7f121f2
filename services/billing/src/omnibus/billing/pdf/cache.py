"""The invoice PDF cache (billing.md §2.4, §4.6; D91): one row per invoice, its PDF and the hash it was made from.

A request renders the template context, hashes it, and serves the cached PDF when the hash matches (updating
``last_accessed``); otherwise it renders, stores and serves the new PDF. Entries older than
``invoice.pdf_cache_days`` are cleaned by the admin endpoint.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, delete, select, update

from omnibus.billing.domain import NotFoundError
from omnibus.billing.pdf.renderer import InvoicePdfRenderer
from omnibus.billing.readmodel.queries import billing_profile
from omnibus.billing.readmodel.tables import invoice_pdf_cache, invoices, transactions


@dataclass(frozen=True)
class InvoicePdf:
    invoice_id: int
    customer_id: int
    pdf: bytes
    sha256: str
    cached: bool


class InvoicePdfs:
    def __init__(self, engine: Engine, renderer: InvoicePdfRenderer) -> None:
        self.engine = engine
        self.renderer = renderer

    def get(self, invoice_id: int) -> InvoicePdf:
        with self.engine.connect() as conn:
            invoice = conn.execute(select(invoices).where(invoices.c.invoice_id == invoice_id)).mappings().first()
            if invoice is None:
                raise NotFoundError(f"Invoice {invoice_id} not found")
            lines = conn.execute(
                select(transactions)
                .where(transactions.c.transaction_id.in_(invoice["transaction_ids"]))
                .order_by(transactions.c.created, transactions.c.transaction_id)
            ).mappings()
            context = self.renderer.context(
                _invoice_values(dict(invoice)),
                [_line_values(dict(r)) for r in lines],
                billing_profile(conn, invoice["customer_id"]),
            )
            sha = self.renderer.content_hash(context)
            cached = conn.execute(
                select(invoice_pdf_cache.c.sha256, invoice_pdf_cache.c.pdf).where(
                    invoice_pdf_cache.c.invoice_id == invoice_id
                )
            ).first()
        if cached is not None and cached.sha256 == sha:
            with self.engine.begin() as conn:
                conn.execute(
                    update(invoice_pdf_cache)
                    .where(invoice_pdf_cache.c.invoice_id == invoice_id)
                    .values(last_accessed=datetime.now(UTC))
                )
            return InvoicePdf(invoice_id, invoice["customer_id"], bytes(cached.pdf), sha, cached=True)
        pdf = self.renderer.pdf(self.renderer.html(context))
        self._store(invoice_id, sha, pdf)
        return InvoicePdf(invoice_id, invoice["customer_id"], pdf, sha, cached=False)

    def invalidate(self, invoice_id: int) -> int:
        with self.engine.begin() as conn:
            return conn.execute(delete(invoice_pdf_cache).where(invoice_pdf_cache.c.invoice_id == invoice_id)).rowcount

    def clean(self, older_than_days: int) -> int:
        cutoff = datetime.now(UTC) - timedelta(days=older_than_days)
        with self.engine.begin() as conn:
            return conn.execute(delete(invoice_pdf_cache).where(invoice_pdf_cache.c.created < cutoff)).rowcount

    def _store(self, invoice_id: int, sha: str, pdf: bytes) -> None:
        now = datetime.now(UTC)
        row = {
            "sha256": sha,
            "template_filename": self.renderer.config.template_filename,
            "pdf": pdf,
            "created": now,
            "last_accessed": now,
        }
        with self.engine.begin() as conn:
            conn.execute(delete(invoice_pdf_cache).where(invoice_pdf_cache.c.invoice_id == invoice_id))
            conn.execute(invoice_pdf_cache.insert().values(invoice_id=invoice_id, **row))


def _invoice_values(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "created": row["created"].strftime("%Y-%m-%dT%H:%M:%S"),
        "start_date": row["start_date"].isoformat(),
        "end_date": row["end_date"].isoformat(),
        "due_date": row["due_date"].isoformat(),
        "retail_cost": Decimal(row["retail_cents"]) / 100,
        "total_tax": Decimal(row["tax_cents"]) / 100,
    }


def _line_values(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "created": row["created"].strftime("%Y-%m-%dT%H:%M:%S"),
        "retail_cost": Decimal(row["retail_cents"]) / 100,
        "wholesale_cost": Decimal(row["wholesale_cents"]) / 100,
        "tax_amount": Decimal(row["tax_cents"]) / 100,
        "tax_percentage": row["tax_percentage"],
    }
