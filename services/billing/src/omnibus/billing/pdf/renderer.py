"""Invoice PDFs: a Jinja2 HTML template (``invoice.template_filename``) rendered by WeasyPrint (billing.md §4.6).

The template context follows the reference product (§2.7: ``invoice_number``, ``date``, ``client.address...``,
``transactions`` and the older ``transaction_list``, ``total_amount`` before tax, ``total_tax``). The cache key is
SHA-256 of the template's name and bytes and the canonical JSON of that context (D91): changing the template, the
invoice, its lines or the customer's billing address gives another hash, so a stale PDF is never served.
Resources: ``https://`` URLs, ``data:`` URIs and files inside the template folder only (D92).
"""

import hashlib
import json
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
import weasyprint
from weasyprint.urls import URLFetcher

from omnibus.billing.config import BillingConfig


class TemplateFolderFetcher(URLFetcher):
    """Fetches ``https://`` and ``data:`` resources, and ``file://`` ones only inside the template folder."""

    def __init__(self, folder: Path) -> None:
        super().__init__(timeout=5, allowed_protocols=("https", "file", "data"))
        self.folder = folder.resolve()

    def fetch(self, url: str, headers: Any = None) -> Any:
        if url.startswith("file:"):
            path = Path(unquote(urlsplit(url).path)).resolve()
            if not path.is_relative_to(self.folder):
                raise ValueError(f"{url} is outside the invoice template folder")
        return super().fetch(url, headers)


class InvoicePdfRenderer:
    def __init__(self, config: BillingConfig) -> None:
        self.config = config
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(config.template_dir),
            autoescape=jinja2.select_autoescape(["html", "htm"]),
            auto_reload=True,
        )
        self.fetcher = TemplateFolderFetcher(config.template_dir)
        self._source: tuple[float, bytes] | None = None
        self._lock = threading.Lock()

    def context(
        self, invoice: dict[str, Any], lines: list[dict[str, Any]], profile: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The template's variables from the invoice row, its line rows and the customer's billing profile."""
        transactions = [
            {
                "transaction_id": line["transaction_id"],
                "created": line["created"],
                "title": line["title"],
                "description": line["description"] or "",
                "retail_cost": line["retail_cost"],
                "wholesale_cost": line["wholesale_cost"],
                "tax_percentage": line["tax_percentage"],
                "tax_amount": line["tax_amount"],
            }
            for line in lines
        ]
        address = (profile or {}).get("billing_address") or {}
        return {
            "invoice_id": invoice["invoice_id"],
            "invoice_number": invoice["invoice_number"],
            "title": invoice["title"],
            "date": invoice["created"],
            "start_date": invoice["start_date"],
            "end_date": invoice["end_date"],
            "due_date": invoice["due_date"],
            "total_amount": invoice["retail_cost"],
            "total_tax": invoice["total_tax"],
            "paid": invoice["paid"],
            "void": invoice["void"],
            "payment_url": None,
            "currency": invoice["currency"],
            "currency_symbol": self.config.currency_symbol,
            "client": {"name": (profile or {}).get("customer_name") or "", "address": address},
            "transactions": transactions,
            "transaction_list": [transactions],
        }

    def template_bytes(self) -> bytes:
        """The active template's bytes, re-read only when its modification time changes."""
        path = self.config.template_path
        mtime = path.stat().st_mtime
        with self._lock:
            if self._source is None or self._source[0] != mtime:
                self._source = (mtime, path.read_bytes())
            return self._source[1]

    def content_hash(self, context: dict[str, Any]) -> str:
        digest = hashlib.sha256(self.config.template_filename.encode() + b"\0" + self.template_bytes() + b"\0")
        digest.update(json.dumps(context, sort_keys=True, default=str).encode())
        return digest.hexdigest()

    def html(self, context: dict[str, Any]) -> str:
        template = self.environment.get_template(self.config.template_filename)
        html = template.render(**_numbers(context))
        if self.config.debug_render:
            rendered = self.config.template_dir / "rendered"
            rendered.mkdir(exist_ok=True)
            (rendered / f"{context['invoice_id']}.html").write_text(html)
        return html

    def pdf(self, html: str) -> bytes:
        document = weasyprint.HTML(string=html, base_url=str(self.config.template_dir), url_fetcher=self.fetcher)
        pdf: bytes = document.write_pdf()
        return pdf


def _numbers(context: dict[str, Any]) -> dict[str, Any]:
    """Decimals become floats only for the template's ``"%.2f"|format`` (amounts are already exact cents)."""
    if isinstance(context, dict):
        return {k: _numbers(v) for k, v in context.items()}
    if isinstance(context, list):
        return [_numbers(v) for v in context]  # type: ignore[return-value]
    if isinstance(context, Decimal):
        return float(context)  # type: ignore[return-value]
    return context
