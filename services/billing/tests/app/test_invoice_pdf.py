"""Invoice PDFs (billing.md §4.6; D5, D91, D94): a real PDF with the invoice lines, cached by content hash."""

import shutil
import subprocess

import pytest

from omnibus.billing.config import DEFAULT_TEMPLATE_DIR

PERIOD = {"start_date": "2000-01-01", "end_date": "2100-12-31"}


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def an_invoice(api, **line_fields):
    customer_id = api.new_customer()
    api.new_transaction(customer_id, title="Mobile Service - Monthly Fee", retail_cost="30.00", tax_percentage="10")
    api.new_transaction(customer_id, title="Data Addon - 5GB", retail_cost="15.00", **line_fields)
    response = api.put("/crm/invoice/", json={"customer_id": customer_id, **PERIOD})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(autouse=True)
def _needs_pdftotext():
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is needed: apt-get install poppler-utils"


def test_the_pdf_is_a_real_pdf_with_the_invoice_lines_and_totals(api, tmp_path):
    invoice = an_invoice(api)

    response = api.get(f"/crm/invoice/{invoice['invoice_id']}/pdf")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="Invoice_{invoice["invoice_id"]}.pdf"'
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content, tmp_path)
    for expected in (
        "INVOICE",
        f"#{invoice['invoice_number']}",
        "Acme Corporation",
        "10 Downing Street",
        "Mobile Service - Monthly Fee",
        "Data Addon - 5GB",
        "$30.00",
        "$15.00",
        "$3.00 (10%)",
        "$45.00",
        "$48.00",
    ):
        assert expected in text, f"{expected!r} missing from:\n{text}"


def test_both_paths_serve_it_and_the_second_request_is_a_cache_hit(api):
    invoice = an_invoice(api)

    first = api.get(f"/crm/invoice/{invoice['invoice_id']}/pdf")
    second = api.get(f"/invoice/pdf/{invoice['invoice_id']}")

    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("MISS", "HIT")
    assert first.content == second.content


def test_a_change_of_the_invoice_renders_again(api, tmp_path):
    invoice = an_invoice(api)
    api.get(f"/crm/invoice/{invoice['invoice_id']}/pdf")

    api.post(f"/crm/invoice/invoice_id/{invoice['invoice_id']}/pay", json={"method": "cash", "reference": "R-1"})
    after = api.get(f"/crm/invoice/{invoice['invoice_id']}/pdf")

    assert after.headers["x-cache"] == "MISS"
    assert "PAID" in pdf_text(after.content, tmp_path)


def test_invalidation_and_cleanup_endpoints(api):
    invoice = an_invoice(api)
    api.get(f"/crm/invoice/{invoice['invoice_id']}/pdf")

    invalidated = api.delete(f"/crm/invoice/{invoice['invoice_id']}/pdf-cache")
    again = api.get(f"/crm/invoice/{invoice['invoice_id']}/pdf")
    cleaned = api.delete("/crm/invoice/pdf-cache", params={"older_than_days": 0})
    forbidden = api.delete("/crm/invoice/pdf-cache", headers=api.auth("update_customer_invoice"))

    assert invalidated.json() == {"status": "success", "deleted_count": 1}
    assert again.headers["x-cache"] == "MISS"
    assert cleaned.json() == {"status": "success", "deleted_count": 1}
    assert forbidden.status_code == 403


def test_unknown_invoice_is_404_and_self_care_sees_only_its_own(api):
    invoice = an_invoice(api)
    stranger = api.auth("view_own_customer_invoice", customer_id=invoice["customer_id"] + 100)

    assert api.get("/crm/invoice/999999/pdf").status_code == 404
    assert api.get(f"/crm/invoice/{invoice['invoice_id']}/pdf", headers=stranger).status_code == 404
    own = api.auth("view_own_customer_invoice", customer_id=invoice["customer_id"])
    assert api.get(f"/crm/invoice/{invoice['invoice_id']}/pdf", headers=own).status_code == 200


def test_a_template_chosen_by_configuration_and_its_change_invalidates(api_with, tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    shutil.copy(DEFAULT_TEMPLATE_DIR / "invoice_template.html", folder / "yourcompany_invoice_template.html")
    template = folder / "yourcompany_invoice_template.html"
    template.write_text(template.read_text().replace("INVOICE</h1>", "YOURCO</h1>"))
    config = {
        "invoice": {"template_dir": str(folder), "template_filename": template.name},
        "stripe": {"statement_descriptor_suffix": "YOURCOMPANY", "currency": "gbp"},
    }
    with api_with(config) as api:
        invoice = an_invoice(api)

        first = api.get(f"/crm/invoice/{invoice['invoice_id']}/pdf")
        template.write_text(template.read_text().replace("YOURCO</h1>", "ACMECO</h1>"))
        second = api.get(f"/crm/invoice/{invoice['invoice_id']}/pdf")

    assert first.headers["content-disposition"] == f'attachment; filename="YOURCOMPANY_{invoice["invoice_id"]}.pdf"'
    assert "YOURCO" in pdf_text(first.content, tmp_path)
    assert "£48.00" in pdf_text(first.content, tmp_path)
    assert second.headers["x-cache"] == "MISS"
    assert "ACMECO" in pdf_text(second.content, tmp_path)


def test_a_template_outside_the_folder_cannot_read_local_files(tmp_path):
    from omnibus.billing.pdf.renderer import TemplateFolderFetcher

    fetcher = TemplateFolderFetcher(tmp_path)

    with pytest.raises(ValueError):
        fetcher.fetch("file:///etc/passwd")
