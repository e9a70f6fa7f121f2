"""The communications dispatcher against the Mailjet and SMSC stand-ins over HTTP: sent once, retried with back-off,
and never twice after an interrupted attempt (e-mails are looked up by CustomID; an SMS of unknown fate is not
sent again). The clock is the test's and the dispatcher runs in the test's thread, one pass at a time."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from omnibus.customers.application import CustomersApp
from omnibus.customers.application.notices import EXAMPLE_TEMPLATES, CommunicationRequest, Notices
from omnibus.customers.domain import Communication
from omnibus.customers.integration.delivery import DeliveryPolicy, Dispatcher
from omnibus.customers.projections.communication_log import CommunicationLogProjection
from omnibus.customers.readmodel.tables import metadata
from omnibus.platform.channels.connect import Channels, connect_channels
from omnibus.platform.channels.mailjet import mailjet_message
from omnibus.platform.channels.mailjet_standin import MailjetStandIn
from omnibus.platform.channels.smsc_standin import SmscStandIn
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.projections import LocalProjectionRunner
from omnibus.platform.readmodels import create_read_engine, create_tables
from omnibus.platform.settings import ServiceSettings

WELCOME = EXAMPLE_TEMPLATES["api_crmCommunicationCustomerWelcome"]


class Clock:
    """Starts at the real time (events carry real timestamps) and moves only when told."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Comms:
    app: CustomersApp
    dispatcher: Dispatcher
    channels: Channels
    clock: Clock

    @property
    def mailjet(self) -> MailjetStandIn:
        assert self.channels.mailjet_standin is not None
        return self.channels.mailjet_standin

    @property
    def smsc(self) -> SmscStandIn:
        assert self.channels.smsc_standin is not None
        return self.channels.smsc_standin

    def email(self, to: str = "john@acme.example") -> Communication:
        return self.app.send_communication(
            CommunicationRequest(
                customer_id=None,
                channel="email",
                template_key="api_crmCommunicationCustomerWelcome",
                to=to,
                variables={"customer_name": "Acme"},
                template_id=WELCOME.template_id,
                from_email=WELCOME.from_email,
                from_name=WELCOME.from_name,
                subject=WELCOME.subject,
            )
        )

    def sms(self, to: str = "+44 7700 900123") -> Communication:
        request = CommunicationRequest(None, "sms", None, to, {}, message="Your balance is low")
        return self.app.send_communication(request)

    def status(self, communication: Communication) -> Communication:
        return self.app.get_communication(communication.communication_id)


@pytest.fixture
def comms(tmp_path) -> Iterator[Comms]:
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path}").for_service("customers")
    channels = connect_channels({}, settings, timeout=0.5)
    app = CustomersApp(env=eventstore_env(settings, CustomersApp.name), notices=Notices(EXAMPLE_TEMPLATES))
    engine = create_read_engine(settings)
    create_tables(engine, metadata)
    runner = LocalProjectionRunner(app, engine, CommunicationLogProjection())
    clock = Clock()
    policy = DeliveryPolicy(retry_delays=(30.0, 120.0), lease=60.0, concurrency=2)
    dispatcher = Dispatcher(app, engine, channels, policy, wait_projected=lambda _: runner.catch_up(), clock=clock)
    yield Comms(app, dispatcher, channels, clock)
    channels.close()
    app.close()
    engine.dispose()


def test_an_email_is_sent_once_with_its_template_and_variables(comms: Comms) -> None:
    communication = comms.email()

    comms.dispatcher.run_once()
    comms.dispatcher.run_once()

    (sent,) = comms.mailjet.sent_to("john@acme.example")
    done = comms.status(communication)
    assert (sent["TemplateID"], sent["Variables"], sent["CustomID"]) == (
        5977509,
        {"customer_name": "Acme"},
        done.custom_id,
    )
    assert (done.status, done.attempts, done.provider_message_id) == ("sent", 1, str(sent["MessageID"]))


def test_an_sms_goes_to_the_smsc_as_an_msisdn(comms: Comms) -> None:
    communication = comms.sms()

    comms.dispatcher.run_once()

    (sent,) = comms.smsc.sent_to("447700900123")
    assert sent["message_body"] == "Your balance is low" and comms.status(communication).status == "sent"


def test_a_provider_failure_is_retried_after_the_back_off(comms: Comms) -> None:
    communication = comms.email()
    comms.mailjet.fail_next(1, status=503)
    due = comms.clock.now + timedelta(seconds=30)

    comms.dispatcher.run_once()
    waiting = comms.status(communication)
    comms.clock.advance(29)
    comms.dispatcher.run_once()
    still = comms.status(communication)
    comms.clock.advance(1)
    comms.dispatcher.run_once()

    assert (waiting.status, waiting.next_attempt_at) == ("requested", due)
    assert "503" in (waiting.error or "") and still.attempts == 1
    assert comms.status(communication).status == "sent" and comms.status(communication).attempts == 2
    assert len(comms.mailjet.messages) == 1


def test_an_email_mailjet_took_before_timing_out_is_not_sent_again(comms: Comms) -> None:
    communication = comms.email()
    comms.mailjet.delay_next(1.5)  # accepted and recorded, answered after the client's 0.5 s

    comms.dispatcher.run_once()
    timed_out = comms.status(communication)
    comms.clock.advance(30)
    comms.dispatcher.run_once()

    assert timed_out.status == "requested" and "did not answer" in (timed_out.error or "")
    assert len(comms.mailjet.messages) == 1
    assert comms.status(communication).status == "sent" and comms.status(communication).attempts == 2


def test_a_crash_after_mailjet_took_the_email_is_recorded_as_sent_not_sent_again(comms: Comms) -> None:
    communication = comms.email()
    attempt = comms.app.start_attempt(communication.communication_id)  # the dispatcher recorded its attempt ...
    message = mailjet_message(WELCOME, communication.to, communication.variables, custom_id=communication.custom_id)
    sent = comms.channels.email.send(message)  # ... Mailjet took the message, and the process died here

    comms.clock.advance(55)
    comms.dispatcher.run_once()
    in_lease = comms.status(communication)
    comms.clock.advance(10)
    comms.dispatcher.run_once()

    assert attempt == 1 and in_lease.status == "sending"
    assert comms.status(communication).status == "sent"
    assert comms.status(communication).provider_message_id == sent.message_id
    assert len(comms.mailjet.messages) == 1


def test_a_crash_before_the_email_reached_mailjet_sends_it_after_the_lease(comms: Comms) -> None:
    communication = comms.email()
    comms.app.start_attempt(communication.communication_id)  # the process died before calling Mailjet

    comms.clock.advance(65)
    comms.dispatcher.run_once()

    assert comms.status(communication).status == "sent" and comms.status(communication).attempts == 2
    assert len(comms.mailjet.messages) == 1


def test_an_sms_interrupted_mid_call_is_not_sent_again(comms: Comms) -> None:
    communication = comms.sms()
    comms.app.start_attempt(communication.communication_id)  # the SMSC may or may not have it: nobody can tell

    comms.clock.advance(65)
    comms.dispatcher.run_once()
    comms.clock.advance(3600)
    comms.dispatcher.run_once()

    failed = comms.status(communication)
    assert failed.status == "failed" and "at most once" in (failed.error or "")
    assert comms.smsc.messages == []


def test_an_sms_that_timed_out_is_given_up_rather_than_sent_twice(comms: Comms) -> None:
    communication = comms.sms()
    comms.smsc.delay_next(1.5)

    comms.dispatcher.run_once()
    comms.clock.advance(3600)
    comms.dispatcher.run_once()

    assert comms.status(communication).status == "failed"
    assert len(comms.smsc.messages) == 1  # the SMSC had it: one message, not two


def test_an_sms_the_smsc_could_not_take_is_retried(comms: Comms) -> None:
    communication = comms.sms()
    comms.smsc.fail_next(1, status=503)

    comms.dispatcher.run_once()
    comms.clock.advance(30)
    comms.dispatcher.run_once()

    assert comms.status(communication).status == "sent" and len(comms.smsc.messages) == 1


def test_a_message_the_provider_refuses_fails_at_once(comms: Comms) -> None:
    communication = comms.email(to="not-an-address")

    comms.dispatcher.run_once()

    failed = comms.status(communication)
    assert failed.status == "failed" and "invalid email address" in (failed.error or "") and failed.attempts == 1


def test_after_the_last_retry_a_communication_is_given_up_and_can_be_retried_by_hand(comms: Comms) -> None:
    communication = comms.email()
    comms.mailjet.fail_next(3, status=500, method="POST")  # the sends fail; the CustomID lookups answer

    for wait in (0, 30, 120):
        comms.clock.advance(wait)
        comms.dispatcher.run_once()
    given_up = comms.status(communication)
    comms.app.retry_communication(communication.communication_id)
    comms.dispatcher.run_once()

    assert (given_up.status, given_up.attempts) == ("failed", 3)
    assert comms.status(communication).status == "sent" and len(comms.mailjet.messages) == 1


def test_mailjet_down_during_recovery_leaves_the_attempt_open(comms: Comms) -> None:
    communication = comms.email()
    comms.app.start_attempt(communication.communication_id)
    comms.mailjet.fail_next(1, status=503, method="GET")  # the CustomID lookup fails: nothing may be sent now

    comms.clock.advance(65)
    comms.dispatcher.run_once()
    open_attempt, sent_meanwhile = comms.status(communication), len(comms.mailjet.messages)
    comms.clock.advance(65)
    comms.dispatcher.run_once()

    assert open_attempt.status == "sending" and sent_meanwhile == 0
    assert comms.status(communication).status == "sent" and len(comms.mailjet.messages) == 1
