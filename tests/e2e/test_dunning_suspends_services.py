"""Dunning across contexts in the embedded mode: billing asks for a suspension, customers suspends the invoice's
Active services (and only those of that customer), charging disables their OCS accounts; payment restores both."""

import uuid
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from omnibus.contracts import Envelope
from omnibus.contracts.billing import ServiceRestorationRequested, ServiceSuspensionRequested
from omnibus.platform.messaging.bus import OutgoingMessage
from omnibus.platform.runtime import Dispatcher, build_services, embedded_app
from omnibus.platform.settings import ServiceSettings
from omnibus.testing import eventually
from omnibus.testing.processes import SigningKey


def billing_message(
    position: int, payload: ServiceSuspensionRequested | ServiceRestorationRequested
) -> OutgoingMessage:
    envelope = Envelope(
        event_id=uuid.uuid4(),
        event_type=payload.event_type(),
        event_version=1,
        source="billing",
        position=position,
        aggregate_type="Invoice",
        aggregate_id=uuid.uuid4(),
        aggregate_version=position,
        occurred_at=datetime.now(UTC),
    )
    return OutgoingMessage(
        payload.routing_key(), payload.model_dump_json().encode(), str(envelope.event_id), envelope.to_headers()
    )


def test_a_suspension_request_suspends_the_customers_active_services_and_payment_restores_them(tmp_path: Path) -> None:
    key = SigningKey(tmp_path)
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path}/data", jwt_public_key_file=key.public_pem)
    infra, runtimes = build_services(settings, ["customers", "charging-gateway"])
    staff = {"Authorization": f"Bearer {key.token(['admin'])}"}

    with TestClient(Dispatcher(embedded_app(infra, runtimes))) as client:

        def customer_with_service(name: str, status: str = "Active") -> tuple[int, int, str]:
            customer = client.put("/crm/customer/", json={"customer_name": name}, headers=staff).json()
            uuid_ = f"Mobile_{uuid.uuid4().hex[:8]}"
            body = {
                "customer_id": customer["customer_id"],
                "service_uuid": uuid_,
                "service_name": "SIM",
                "service_type": "mobile",
                "service_status": status,
            }
            service = client.put("/crm/service/", json=body, headers=staff).json()
            client.put("/crm/ocs/account/", json={"service_uuid": uuid_}, headers=staff)
            return customer["customer_id"], service["service_id"], uuid_

        debtor, active, active_uuid = customer_with_service("Late Payer")
        _, inactive, _ = customer_with_service("Late Payer Too", status="Inactive")
        _, other_customers, _ = customer_with_service("Someone Else")

        def status(service_id: int) -> str:
            return client.get(f"/crm/service/service_id/{service_id}", headers=staff).json()["service_status"]

        def ocs_disabled(uuid_: str) -> bool:
            return client.get(f"/crm/ocs/account/service_uuid/{uuid_}", headers=staff).json()["disabled"]

        ids = [active, inactive, other_customers, 999_999]
        suspend = ServiceSuspensionRequested(invoice_id=7, customer_id=debtor, service_ids=ids)
        client.portal.call(infra.bus.publish, [billing_message(1, suspend)])  # type: ignore[union-attr]
        eventually(lambda: _assert(status(active) == "Suspended" and ocs_disabled(active_uuid)))
        after_suspension = (status(inactive), status(other_customers))

        restore = ServiceRestorationRequested(invoice_id=7, customer_id=debtor, service_ids=ids)
        client.portal.call(infra.bus.publish, [billing_message(2, restore)])  # type: ignore[union-attr]
        eventually(lambda: _assert(status(active) == "Active" and not ocs_disabled(active_uuid)))

    assert after_suspension == ("Inactive", "Active")


def _assert(condition: bool) -> None:
    assert condition
