"""One trace follows a business flow: HTTP request -> event store -> relay -> the consumer in another service."""

import time

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.crm_config import CrmConfig
from omnibus.platform.messaging.memory import InMemoryBus
from omnibus.platform.runtime import Dispatcher, embedded_app
from omnibus.platform.service import Infrastructure, discover_services
from omnibus.platform.settings import ServiceSettings
from omnibus.platform.telemetry import configure_telemetry, memory_exporter
from omnibus.testing import eventually


def test_one_trace_spans_http_relay_and_consumer() -> None:
    settings = ServiceSettings(database_url="memory://", otel_exporter="memory")
    configure_telemetry(settings)
    exporter = memory_exporter()
    key = Ed25519PrivateKey.generate()
    infra = Infrastructure(InMemoryBus(), Authenticator(config=CrmConfig(), public_key=key.public_key()))
    services = discover_services()
    runtimes = [services[name].build(settings.for_service(name), infra) for name in ("customers", "billing")]
    token = jwt.encode(
        {"sub": "1", "permissions": ["admin"], "token_type": "access", "exp": int(time.time()) + 60},
        key,
        algorithm="EdDSA",
    )

    with TestClient(Dispatcher(embedded_app(infra, runtimes))) as client:
        response = client.put(
            "/crm/customer/", json={"customer_name": "Traced"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200

        def consumer_span():
            spans = [s for s in exporter.get_finished_spans() if s.name == "consume customers.CustomerCreated.v1"]
            assert spans
            return spans[-1]

        consumed = eventually(consumer_span)

    spans = exporter.get_finished_spans()
    server = next(s for s in spans if s.name == "PUT /crm/customer/")
    names_in_trace = {s.name for s in spans if s.context.trace_id == server.context.trace_id}
    assert consumed.context.trace_id == server.context.trace_id
    assert {"eventstore.save", "PUT /crm/customer/"} <= names_in_trace
