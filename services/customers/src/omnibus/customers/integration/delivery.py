"""The dispatcher: sends requested communications through Mailjet or the SMSC, once, and retries with back-off.

Per attempt: record ``AttemptStarted`` (optimistic concurrency: of two dispatchers only one wins), call the
provider, record ``Sent`` or the failure. Failures never reach the operation that caused the message: they are
recorded, retried after ``retry_delays`` (30 s, 2 min, 10 min, 30 min, 2 h by default), then given up (``Failed``).

Exactly once, and where it is only "at most once":
- A crash after the provider took a message but before ``Sent`` was recorded leaves it ``sending``. When that
  attempt is older than the lease, an e-mail is looked up at Mailjet by its ``CustomID`` (unique per
  communication): found, it is recorded as sent; absent, it is sent again. Every retry of an e-mail looks first too,
  so a 5xx or a timeout after Mailjet accepted the message never sends it twice.
- The SMSC cannot be asked (D47). An SMS whose outcome is unknown (a timeout, a crash during the call) is therefore
  NOT sent again: it is recorded as failed with that reason (at most once; staff may retry it by hand after
  checking). An SMS the SMSC refused or could not be reached for is retried.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from eventsourcing.persistence import IntegrityError
from sqlalchemy import Engine

from omnibus.contracts import Actor
from omnibus.customers.application import CustomersApp
from omnibus.customers.domain import Communication
from omnibus.customers.domain.errors import CommunicationStateError
from omnibus.customers.readmodel.communication_queries import due_communications
from omnibus.platform import leadership
from omnibus.platform.channels.connect import Channels
from omnibus.platform.channels.errors import DeliveryError
from omnibus.platform.channels.mailjet import Template, mailjet_message
from omnibus.platform.context import CommandContext, command_context

log = logging.getLogger(__name__)

SMS_UNKNOWN = "the SMSC may have taken it and cannot be asked: not sent again (at most once)"


@dataclass(frozen=True)
class DeliveryPolicy:
    retry_delays: tuple[float, ...] = (30.0, 120.0, 600.0, 1800.0, 7200.0)  # after attempt n fails: delays[n-1]
    lease: float = 120.0  # an attempt still "sending" after this long was interrupted (longer than any call)
    poll: float = 1.0
    batch: int = 50
    concurrency: int = 4


def utc_now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    """Sends what is due, in a background thread of the service's workers (one active per deployment)."""

    def __init__(
        self,
        app: CustomersApp,
        engine: Engine,
        channels: Channels,
        policy: DeliveryPolicy | None = None,
        *,
        wait_projected: Callable[[int], None] | None = None,
        periodic: Callable[[datetime], object] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.app = app
        self.engine = engine
        self.channels = channels
        self.policy = policy or DeliveryPolicy()
        self.wait_projected = wait_projected or (lambda _: None)
        self.periodic = periodic  # e.g. the service-expiry sweep, run from this thread
        self.clock = clock
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=self.policy.concurrency, thread_name_prefix="communications")
        self._inflight: set[int] = set()  # being delivered: a slow provider call holds up nothing else
        self._inflight_lock = threading.Lock()

    def start(self) -> None:
        self.app.add_listener(lambda _: self._wake.set())
        self._thread = threading.Thread(target=self._run, name="communications", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        self._pool.shutdown(wait=True)

    def run_once(self, wait: bool = True) -> int:
        """Deliver what is due now (``wait``: until done); returns how many communications were started."""
        self.wait_projected(self.app.max_notification_id())
        with self.engine.connect() as conn:
            due = due_communications(conn, self.clock(), timedelta(seconds=self.policy.lease), self.policy.batch)
        with self._inflight_lock:
            due = [d for d in due if d not in self._inflight]
            self._inflight.update(due)
        futures = [self._pool.submit(self._deliver_safely, d) for d in due]
        if wait:
            for future in futures:
                future.result()
        return len(due)

    def deliver(self, communication_id: int) -> None:
        """One communication: recover an interrupted attempt, or make the next one if it is due."""
        communication = self.app.get_communication(communication_id)
        now, looked_up = self.clock(), False
        if communication.status == "sending":
            if now - communication.modified_on < timedelta(seconds=self.policy.lease):
                return  # an attempt is under way
            if not self._recover(communication):
                return
            looked_up = True
        elif communication.status != "requested" or (communication.next_attempt_at or now) > now:
            return
        try:
            attempt = self.app.start_attempt(communication_id)
        except (IntegrityError, CommunicationStateError):
            return  # another dispatcher took it
        if communication.channel == "email" and attempt > 1 and not looked_up:
            if self._found_at_mailjet(communication, attempt):  # a 5xx or a timeout may have hidden a success
                return
        try:
            provider_id = self._send(communication)
        except DeliveryError as error:
            self._failed(communication, attempt, error)
            return
        self.app.record_sent(communication_id, attempt, provider_id)

    def _recover(self, communication: Communication) -> bool:
        """An attempt that never recorded its outcome; True when a new attempt should be made."""
        attempt = communication.attempts
        if communication.channel == "sms":
            self.app.record_failure(communication.communication_id, attempt, f"interrupted: {SMS_UNKNOWN}", None)
            return False
        return not self._found_at_mailjet(communication, attempt)

    def _found_at_mailjet(self, communication: Communication, attempt: int) -> bool:
        """Did an earlier attempt reach Mailjet? Recorded as sent if so. Unknown (Mailjet not answering): True, so
        nothing is sent now; the attempt stays open and is looked at again after the lease."""
        try:
            message_id = self.channels.email.find(communication.custom_id)
        except DeliveryError as error:
            log.warning("cannot ask Mailjet about communication %s: %s", communication.communication_id, error)
            return True
        if message_id is None:
            return False
        log.info("communication %s had reached Mailjet (%s)", communication.communication_id, message_id)
        self.app.record_sent(communication.communication_id, attempt, message_id)
        return True

    def _send(self, communication: Communication) -> str | None:
        if communication.channel == "sms":
            return self.channels.sms.send(communication.to, communication.message or "")
        template = Template(
            from_email=communication.from_email or "",
            from_name=communication.from_name or "",
            template_id=communication.template_id,
            subject=communication.subject or "",
        )
        message = mailjet_message(
            template,
            communication.to,
            communication.variables,
            to_name=communication.to_name,
            custom_id=communication.custom_id,
        )
        return self.channels.email.send(message).message_id

    def _failed(self, communication: Communication, attempt: int, error: DeliveryError) -> None:
        delays = self.policy.retry_delays
        reason = str(error)
        if communication.channel == "sms" and error.maybe_sent:
            retry_at, reason = None, f"{reason}; {SMS_UNKNOWN}"
        elif not error.retryable or attempt > len(delays):
            retry_at = None
        else:
            retry_at = self.clock() + timedelta(seconds=delays[attempt - 1])
        log.warning("communication %s attempt %d failed: %s", communication.communication_id, attempt, reason)
        self.app.record_failure(communication.communication_id, attempt, reason, retry_at)

    def _deliver_safely(self, communication_id: int) -> None:
        try:
            with command_context(CommandContext(actor=Actor(auth_method="system"))):
                self.deliver(communication_id)
        except Exception:  # one bad communication must not stop the others; it is looked at again next time
            log.exception("delivering communication %s failed", communication_id)
        finally:
            with self._inflight_lock:
                self._inflight.discard(communication_id)

    def _run(self) -> None:
        lock = leadership.acquire(self.engine, "customers:communications", self._stop)
        try:
            while not self._stop.is_set():
                self._wake.clear()
                busy = self._cycle()
                if not busy:
                    self._wake.wait(self.policy.poll)
        finally:
            if lock is not None:
                lock.close()

    def _cycle(self) -> bool:
        try:
            if self.periodic is not None:
                self.periodic(self.clock())
            return self.run_once(wait=False) >= self.policy.batch
        except Exception:  # the database may be restarting: keep going
            log.exception("the communications dispatcher failed; retrying")
            self._stop.wait(self.policy.poll)
            return False
