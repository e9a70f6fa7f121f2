"""User e-mails: Mailjet Send API v3.1 bodies from the crm_config template blocks, and the local stand-in."""

import json

from omnibus.identity import mail
from omnibus.identity.mail import LocalOutbox, MailjetMailer, mailjet_message, read_outbox, templates_from_config
from omnibus.platform.channels.mailjet import MailjetCredentials
from omnibus.platform.channels.mailjet_standin import MailjetStandIn

CONFIG = {
    "mailjet": {
        "api_key": "key",
        "api_secret": "secret",
        mail.PASSWORD_RESET: {
            "from_email": "security@yourcompany.com",
            "from_name": "Your Company Security",
            "template_id": 6735666,
            "subject": "Password Reset Request",
        },
    },
    mail.WELCOME: {"from_email": "admin@yourcompany.com", "from_name": "Admin", "template_id": "5977510"},
}


def test_template_blocks_are_read_at_the_top_level_or_under_mailjet():
    templates = templates_from_config(CONFIG)

    assert templates[mail.PASSWORD_RESET].template_id == 6735666
    assert templates[mail.WELCOME].from_email == "admin@yourcompany.com"


def test_a_mailjet_message_uses_the_template_and_its_variables():
    template = templates_from_config(CONFIG)[mail.PASSWORD_RESET]

    message = mailjet_message(template, "u@example.com", {"reset_url": "https://x/reset-password/t"})

    assert message == {
        "From": {"Email": "security@yourcompany.com", "Name": "Your Company Security"},
        "To": [{"Email": "u@example.com"}],
        "TemplateLanguage": True,
        "Subject": "Password Reset Request",
        "Variables": {"reset_url": "https://x/reset-password/t"},
        "TemplateID": 6735666,
    }


def test_the_mailjet_adapter_sends_through_the_send_api_v3_1():
    standin = MailjetStandIn().start()
    try:
        mailer = MailjetMailer(standin.credentials, templates_from_config(CONFIG))

        mailer.send(mail.PASSWORD_RESET, "u@example.com", {"reset_url": "https://x/reset-password/t"})

        (sent,) = standin.sent_to("u@example.com")
        assert sent["TemplateID"] == 6735666 and sent["Variables"] == {"reset_url": "https://x/reset-password/t"}
    finally:
        standin.stop()


def test_a_mailjet_failure_does_not_fail_the_users_operation(caplog):
    standin = MailjetStandIn().start()
    try:
        standin.fail_next(1, status=503)

        MailjetMailer(standin.credentials, templates_from_config(CONFIG)).send(mail.WELCOME, "u@example.com", {})

        assert standin.messages == [] and "failed" in caplog.text
    finally:
        standin.stop()


def test_by_default_mailjet_is_the_real_one_and_the_keys_stay_out_of_sight():
    mailer = MailjetMailer(MailjetCredentials("key-123", "secret-456"), templates_from_config(CONFIG))

    assert mailer.client.api_url == "https://api.mailjet.com/" and "secret-456" not in repr(mailer.client)


def test_the_local_stand_in_records_each_message_with_its_mailjet_body(tmp_path):
    outbox = LocalOutbox(tmp_path / "outbox.jsonl", templates_from_config(CONFIG))

    outbox.send(mail.WELCOME, "new@example.com", {"user_name": "new"})

    (recorded,) = read_outbox(tmp_path / "outbox.jsonl")
    assert recorded["to"] == "new@example.com" and recorded["mailjet"]["TemplateID"] == 5977510
    assert outbox.to("new@example.com", mail.WELCOME)[0].variables == {"user_name": "new"}
    assert json.dumps(recorded)


def test_the_outbox_command_prints_the_recorded_messages(tmp_path, monkeypatch, capsys):
    from omnibus.identity.__main__ import main

    monkeypatch.setenv("OMNIBUS_IDENTITY_OUTBOX_FILE", str(tmp_path / "outbox.jsonl"))
    LocalOutbox(tmp_path / "outbox.jsonl").send(mail.WELCOME, "a@example.com", {"user_name": "a"})
    LocalOutbox(tmp_path / "outbox.jsonl").send(mail.WELCOME, "b@example.com", {"user_name": "b"})

    assert main(["outbox", "--to", "b@example.com"]) == 0
    assert "b@example.com" in capsys.readouterr().out
