"""Metrics for SREs, scraped from a running Omnibus process in the Prometheus text format."""

from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from omnibus.platform.runtime import Dispatcher, build_services, embedded_app
from omnibus.platform.settings import ServiceSettings
from omnibus.testing import eventually
from omnibus.testing.processes import SigningKey


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_requests_are_measured_per_route_template_and_lags_are_reported(tmp_path: Path) -> None:
    key = SigningKey(tmp_path)
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path}/data", jwt_public_key_file=key.public_pem)
    infra, runtimes = build_services(settings, ["customers"])
    headers = {"Authorization": f"Bearer {key.token(['admin'])}"}

    with TestClient(Dispatcher(embedded_app(infra, runtimes))) as client:
        created = client.put("/crm/customer/", json={"customer_name": "Metered"}, headers=headers).json()
        for _ in range(3):
            client.get(f"/crm/customer/customer_id/{created['customer_id']}", headers=headers)
        client.get("/crm/customers")  # no credentials: 401

        def scraped() -> dict:
            found = samples(client.get("/metrics").text)
            assert (
                found[
                    ("omnibus_projection_lag_events", (("projection", "customer_directory"), ("service", "customers")))
                ]
                == 0
            )
            assert found[("omnibus_relay_lag_events", (("service", "customers"),))] == 0
            return found

        found = eventually(scraped)

    def requests(method: str, route: str, status: str) -> float:
        labels = (("method", method), ("route", route), ("service", "customers"), ("status", status))
        return found[("omnibus_http_request_duration_seconds_count", labels)]

    assert requests("GET", "/crm/customer/customer_id/{customer_id}", "200") >= 3
    assert requests("PUT", "/crm/customer/", "200") >= 1
    assert requests("GET", "/crm/customers", "401") >= 1
    assert found[("omnibus_eventstore_head", (("service", "customers"),))] >= 1
