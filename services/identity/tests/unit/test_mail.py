"""User e-mails: Mailjet Send API v3.1 bodies from the crm_config template blocks, and the local stand-in."""

import json

from omnibus.identity import mail
from omnibus.identity.mail import LocalOutbox, MailjetMailer, mailjet_message, read_outbox, templates_from_config

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


def test_the_mailjet_adapter_talks_to_the_send_api_v3_1():
    mailer = MailjetMailer("key", "secret", templates_from_config(CONFIG))

    assert mailer.client.config.version == "v3.1" and mailer.client.config.api_url == "https://api.mailjet.com/"


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
