"""The Mailjet and SMSC adapters against their stand-ins, over HTTP, with the real clients (mailjet-rest, httpx)."""

import base64
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from omnibus.platform.channels.connect import MAILJET_RECORD, connect_channels
from omnibus.platform.channels.errors import DeliveryError
from omnibus.platform.channels.mailjet import (
    MailjetClient,
    MailjetCredentials,
    Template,
    mailjet_credentials,
    mailjet_message,
    templates_from_config,
)
from omnibus.platform.channels.mailjet_standin import MailjetStandIn
from omnibus.platform.channels.smsc import SmscClient, msisdn, smsc_config
from omnibus.platform.channels.smsc_standin import SmscStandIn
from omnibus.platform.settings import ServiceSettings

WELCOME = Template("support@yourcompany.com", "Your Company Support", 5977509, "Welcome to YourCompany")


@pytest.fixture
def mailjet() -> Iterator[MailjetStandIn]:
    standin = MailjetStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def smsc() -> Iterator[SmscStandIn]:
    standin = SmscStandIn().start()
    yield standin
    standin.stop()


def _send_raw(standin: MailjetStandIn, body: bytes, auth: tuple[str, str] | None = None) -> httpx.Response:
    auth = auth or (standin.api_key, standin.api_secret)
    return httpx.post(f"{standin.url}v3.1/send", content=body, auth=auth, headers={"Content-Type": "application/json"})


def test_a_template_message_is_accepted_recorded_and_found_by_its_custom_id(mailjet: MailjetStandIn) -> None:
    client = MailjetClient(mailjet.credentials)
    message = mailjet_message(WELCOME, "john@acme.example", {"customer_name": "Acme"}, custom_id="c-1")

    sent = client.send(message)

    (recorded,) = mailjet.sent_to("john@acme.example")
    assert recorded["MessageID"] == int(sent.message_id) and recorded["TemplateID"] == 5977509
    assert recorded["Variables"] == {"customer_name": "Acme"} and recorded["From"]["Email"] == WELCOME.from_email
    assert client.find("c-1") == sent.message_id
    assert client.find("c-unknown") is None


def test_wrong_credentials_are_refused_with_mailjets_401(mailjet: MailjetStandIn) -> None:
    client = MailjetClient(MailjetCredentials("wrong", "keys", mailjet.url))

    with pytest.raises(DeliveryError) as refused:
        client.send(mailjet_message(WELCOME, "john@acme.example", {}))

    assert refused.value.retryable and not refused.value.maybe_sent
    assert "authentication" in str(refused.value).lower() and mailjet.messages == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"To": [{"Email": "not-an-address"}]}, "is an invalid email address"),
        ({"To": []}, "cannot be empty"),
        ({"TemplateID": None}, 'At least "HTMLPart", "TextPart" or "TemplateID" must be provided'),
        ({"TemplateID": "5977509"}, 'Expected type "int"'),
        ({"Subject": "x" * 256}, "longer than 255"),
        ({"Variables": ["a"]}, 'Expected type "object"'),
        ({"Attachments": [{"ContentType": "application/pdf", "Filename": "a.pdf", "Base64Content": "%%"}]}, "base64"),
    ],
)
def test_an_invalid_message_is_refused_like_mailjet_and_not_retried(mailjet, change, expected) -> None:
    message = {**mailjet_message(WELCOME, "john@acme.example", {}), **change}
    message = {k: v for k, v in message.items() if v is not None}

    with pytest.raises(DeliveryError) as refused:
        MailjetClient(mailjet.credentials).send(message)

    assert not refused.value.retryable and expected in str(refused.value)
    assert mailjet.messages == []


def test_a_broken_body_gets_mailjets_global_errors(mailjet: MailjetStandIn) -> None:
    malformed = _send_raw(mailjet, b"{not json")
    no_messages = _send_raw(mailjet, b'{"Message": []}')

    assert malformed.status_code == 400 and malformed.json()["ErrorCode"] == "mj-0002"
    assert no_messages.status_code == 400 and no_messages.json()["ErrorCode"] == "mj-0003"


def test_in_a_bulk_send_the_valid_messages_go_and_the_invalid_ones_are_reported(mailjet: MailjetStandIn) -> None:
    good = mailjet_message(WELCOME, "a@example.com", {})
    bad = mailjet_message(WELCOME, "b@", {})

    answer = _send_raw(mailjet, json.dumps({"Messages": [good, bad]}).encode()).json()

    assert [m["Status"] for m in answer["Messages"]] == ["success", "error"]
    assert answer["Messages"][1]["Errors"][0]["ErrorCode"] == "mj-0013"
    assert len(mailjet.sent_to("a@example.com")) == 1 and mailjet.sent_to("b@") == []


def test_attachments_are_checked_and_recorded_by_name_and_size(mailjet: MailjetStandIn) -> None:
    content = base64.b64encode(b"%PDF").decode()
    pdf = {"ContentType": "application/pdf", "Filename": "INV_1.pdf", "Base64Content": content}
    huge = {**pdf, "Base64Content": base64.b64encode(b"0" * (15 * 1024 * 1024 + 1)).decode()}
    client = MailjetClient(mailjet.credentials)

    client.send(mailjet_message(WELCOME, "a@example.com", {}, attachments=[pdf]))
    with pytest.raises(DeliveryError, match="15 MB"):
        client.send(mailjet_message(WELCOME, "b@example.com", {}, attachments=[huge]))

    (recorded,) = mailjet.messages
    assert recorded["Attachments"] == [{"Filename": "INV_1.pdf", "ContentType": "application/pdf", "size": 4}]


def test_a_mailjet_5xx_is_retryable_and_may_have_gone_out(mailjet: MailjetStandIn) -> None:
    client = MailjetClient(mailjet.credentials)
    mailjet.fail_next(1, status=503)

    with pytest.raises(DeliveryError) as failed:
        client.send(mailjet_message(WELCOME, "a@example.com", {}))
    client.send(mailjet_message(WELCOME, "a@example.com", {}))

    assert failed.value.retryable and failed.value.maybe_sent
    assert mailjet.requests == 2 and len(mailjet.messages) == 1  # mailjet-rest's own re-POST is switched off


def test_a_late_answer_times_out_but_the_message_can_be_found(mailjet: MailjetStandIn) -> None:
    client = MailjetClient(mailjet.credentials, timeout=0.2)
    mailjet.delay_next(1.0)

    with pytest.raises(DeliveryError) as unknown:
        client.send(mailjet_message(WELCOME, "a@example.com", {}, custom_id="late-1"))

    assert unknown.value.maybe_sent
    assert client.find("late-1") is not None


def test_the_record_survives_a_restart_of_the_stand_in(tmp_path) -> None:
    first = MailjetStandIn(record=tmp_path / MAILJET_RECORD).start()
    sent = MailjetClient(first.credentials).send(mailjet_message(WELCOME, "a@example.com", {}, custom_id="kept"))
    first.stop()

    second = MailjetStandIn(record=tmp_path / MAILJET_RECORD).start()
    try:
        assert MailjetClient(second.credentials).find("kept") == sent.message_id
        again = MailjetClient(second.credentials).send(mailjet_message(WELCOME, "b@example.com", {}))
        assert int(again.message_id) > int(sent.message_id)
    finally:
        second.stop()


def test_template_blocks_come_from_the_top_level_first_then_from_under_mailjet() -> None:
    raw = {
        "api_crmCommunicationCustomerWelcome": {"from_email": "top@x.example", "template_id": "5977509"},
        "mailjet": {
            "api_key": "k",
            "api_secret": "s",
            "api_crmCommunicationCustomerWelcome": {"from_email": "nested@x.example", "template_id": 1},
            "api_crmCommunicationsBalanceLow": {"from_email": "alerts@x.example", "template_id": 7238263},
        },
    }

    found = templates_from_config(raw, ["api_crmCommunicationCustomerWelcome", "api_crmCommunicationsBalanceLow", "x"])

    assert found["api_crmCommunicationCustomerWelcome"] == Template("top@x.example", "Omnibus", 5977509, "")
    assert found["api_crmCommunicationsBalanceLow"].template_id == 7238263 and "x" not in found


def test_a_template_id_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="template_id"):
        templates_from_config({"t": {"template_id": "welcome"}}, ["t"])


def test_credentials_come_from_mailjet_else_from_email_and_never_show_in_repr() -> None:
    assert mailjet_credentials({}) is None
    fallback = mailjet_credentials({"email": {"api_key": "ek", "api_secret": "es"}})
    assert fallback is not None and fallback.api_key == "ek" and fallback.api_url == "https://api.mailjet.com/"
    pointed = mailjet_credentials({"mailjet": {"api_key": "k", "api_secret": "s", "api_url": "http://127.0.0.1:1/"}})
    assert pointed is not None and pointed.api_url == "http://127.0.0.1:1/"
    assert "ek" not in repr(fallback) and "es" not in repr(MailjetClient(fallback))


def test_an_sms_is_posted_as_d47_says_and_recorded(smsc: SmscStandIn) -> None:
    client = SmscClient(smsc.config("YourCompany"))

    message_id = client.send("+44 7700 900123", "Your balance is low")

    (recorded,) = smsc.sent_to("447700900123")
    assert recorded["message_id"] == message_id and recorded["source_msisdn"] == "YourCompany"
    assert recorded["message_body"] == "Your balance is low"


def test_the_smsc_stand_in_validates_the_key_and_the_body(smsc: SmscStandIn) -> None:
    url = f"{smsc.url}SMS/plaintext/"
    good = {"source_msisdn": "Omnibus", "destinatination_msisdn": "447700900123", "message_body": "hi"}

    wrong_key = httpx.post(url + "nope", json=good)
    spelt_right = httpx.post(url + smsc.api_key, json={**good, "destination_msisdn": "1", "destinatination_msisdn": ""})
    not_a_number = httpx.post(url + smsc.api_key, json={**good, "destinatination_msisdn": "07700 900123"})
    too_long = httpx.post(url + smsc.api_key, json={**good, "message_body": "x" * 1601})
    accepted = httpx.post(url + smsc.api_key, json=good)

    assert wrong_key.status_code == 401
    assert spelt_right.status_code == 400 and spelt_right.json()["field"] == "destinatination_msisdn"
    assert not_a_number.status_code == 400 and too_long.status_code == 400
    assert accepted.status_code == 201 and len(smsc.messages) == 1


def test_sms_failures_say_whether_the_message_may_be_out(smsc: SmscStandIn) -> None:
    client = SmscClient(smsc.config(), timeout=0.2)
    smsc.fail_next(1, status=503)
    with pytest.raises(DeliveryError) as unavailable:
        client.send("447700900123", "one")
    smsc.delay_next(1.0)
    with pytest.raises(DeliveryError) as unknown:
        client.send("447700900123", "two")
    with pytest.raises(DeliveryError) as refused:
        client.send("0770", "three")

    assert unavailable.value.retryable and not unavailable.value.maybe_sent
    assert unknown.value.maybe_sent and [m["message_body"] for m in smsc.messages] == ["two"]
    assert not refused.value.retryable


def test_the_smsc_key_never_reaches_the_logs(smsc: SmscStandIn, caplog: pytest.LogCaptureFixture) -> None:
    client = SmscClient(smsc.config(), timeout=0.2)
    caplog.set_level(logging.DEBUG)
    smsc.fail_next(1, status=500)

    with pytest.raises(DeliveryError) as failed:
        client.send("447700900123", "one")
    client.send("447700900123", "two")

    assert smsc.api_key not in caplog.text and smsc.api_key not in str(failed.value)
    assert "SMS/plaintext/***" in caplog.text  # httpx's request line, masked


def test_phone_numbers_become_msisdns() -> None:
    assert msisdn("+44 7700 900123") == "447700900123" and msisdn("(02) 9876-5432") == "0298765432"
    with pytest.raises(ValueError):
        msisdn("+44 77")
    assert smsc_config({"smsc": {"smsc_url": "http://10.179.2.216/SMSc/"}}) is None


def test_without_providers_a_process_talks_to_stand_ins_that_keep_a_record(tmp_path) -> None:
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path}")
    channels = connect_channels({"smsc": {"source_msisdn": "Acme"}}, settings)
    try:
        channels.email.send(mailjet_message(WELCOME, "a@example.com", {}))
        channels.sms.send("447700900123", "hello")

        assert channels.mailjet_standin is not None and channels.smsc_standin is not None
        assert (tmp_path / MAILJET_RECORD).exists() and channels.smsc_standin.messages[0]["source_msisdn"] == "Acme"
    finally:
        channels.close()


def test_the_outbox_command_prints_what_the_stand_ins_received(tmp_path, monkeypatch, capsys) -> None:
    from omnibus.platform.cli import main

    monkeypatch.setenv("OMNIBUS_OUTBOX_DIR", str(tmp_path))
    channels = connect_channels({}, ServiceSettings(database_url="memory://"))
    try:
        channels.email.send(mailjet_message(WELCOME, "a@example.com", {}))
        channels.sms.send("447700900123", "hello")
    finally:
        channels.close()

    assert main(["outbox", "--channel", "sms"]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [m["message_body"] for m in printed] == ["hello"]
    assert main(["outbox", "--to", "a@example.com"]) == 0
    assert "a@example.com" in capsys.readouterr().out
