"""A customers workers process killed (SIGKILL) between the provider taking a message and the outcome being recorded.

Mailjet and the SMSC are stand-ins in this process, told to answer late: the message is taken, the workers process
dies while it waits. After a restart the e-mail is found at Mailjet by its CustomID and recorded as sent (one
e-mail); the SMS, whose fate the SMSC cannot tell, is recorded as failed and not sent again (one SMS).
"""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from omnibus.platform.channels.mailjet_standin import MailjetStandIn
from omnibus.platform.channels.smsc_standin import SmscStandIn
from omnibus.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.long]

TEMPLATES = {
    "api_crmCommunicationCustomerWelcome": 5977509,
    "api_crmCommunicationCustomerInvoice": 6759851,
    "api_crmCommunicationCustomerInvoiceReminder": 6759852,
    "api_crmCommunicationsBalanceExpired": 5977515,
    "api_crmCommunicationsBalanceLow": 5977516,
}


@pytest.fixture
def providers() -> Iterator[tuple[MailjetStandIn, SmscStandIn]]:
    mailjet, smsc = MailjetStandIn().start(), SmscStandIn().start()
    yield mailjet, smsc
    mailjet.stop()
    smsc.stop()


def crm_config(folder: Path, mailjet: MailjetStandIn, smsc: SmscStandIn) -> Path:
    """Real providers as far as the service knows: Mailjet and the SMSC configured (at the stand-ins' URLs)."""
    config = {
        "mailjet": {"api_key": mailjet.api_key, "api_secret": mailjet.api_secret, "api_url": mailjet.url},
        "smsc": {"smsc_url": smsc.url, "api_key": smsc.api_key, "source_msisdn": "Omnibus"},
        **{key: {"from_email": "support@acme.example", "template_id": number} for key, number in TEMPLATES.items()},
    }
    path = folder / "crm_config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_killed_workers_process_neither_loses_nor_repeats_a_message(
    launch, service_env, signing_key, providers, tmp_path, monkeypatch
) -> None:
    mailjet, smsc = providers
    service_env.update(
        {
            "OMNIBUS_CRM_CONFIG": str(crm_config(tmp_path, mailjet, smsc)),
            "OMNIBUS_COMMUNICATIONS_LEASE_SECONDS": "9",  # an attempt older than this was interrupted
            "OMNIBUS_COMMUNICATIONS_PROVIDER_TIMEOUT": "8",  # (the kill comes before the calls time out)
        }
    )
    api = launch("customers", role="api")
    workers = launch("customers", role="workers", wait_ready=False)
    headers = {"Authorization": f"Bearer {signing_key.token(['admin'])}"}
    mailjet.delay_next(30)  # each takes its message, then answers far too late
    smsc.delay_next(30)
    customer = httpx.put(
        f"{api.url}/crm/customer/",
        json={"customer_name": "Acme", "contact": {"contact_email": "jo@acme.example", "contact_phone": "+61412345"}},
        headers=headers,
        timeout=30,  # the API answers once the workers (starting) have projected it
    ).json()
    eventually(lambda: mailjet.messages[0], timeout=30)  # the workers are up and took the welcome to Mailjet
    sms = httpx.put(
        f"{api.url}/crm/communication/",
        json={"customer_id": customer["customer_id"], "channel": "sms", "message": "Your SIM is on its way"},
        headers=headers,
        timeout=30,
    )
    assert sms.status_code == 200, sms.text
    eventually(lambda: smsc.messages[0], timeout=5)
    workers.kill()  # in the middle of both calls: the messages are out, their outcomes not recorded
    launch("customers", role="workers", wait_ready=False)

    listed = f"{api.url}/crm/communication/customer_id/{customer['customer_id']}"
    final = eventually(lambda: _settled(httpx.get(listed, headers=headers).json()["data"]), timeout=60)
    welcome = next(c for c in final if c["channel"] == "email")
    told = next(c for c in final if c["communication_id"] == sms.json()["communication_id"])
    assert welcome["status"] == "sent" and welcome["provider_message_id"] == str(mailjet.messages[0]["MessageID"])
    assert told["status"] == "failed" and "at most once" in told["error"]
    assert len(mailjet.messages) == 1 and len(smsc.messages) == 1


def _settled(communications: list[dict]) -> list[dict]:
    assert len(communications) == 2 and all(c["status"] in ("sent", "failed") for c in communications), communications
    return communications
