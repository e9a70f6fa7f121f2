"""The delivery worker: sends approved messages to the CBC and cancels cancelled ones there, retrying with
back-off, never making a broadcast twice.

It runs in the service's workers (never in an HTTP request), one active per deployment (a PostgreSQL advisory
lock; a standby takes over). Due work comes from the read model (``next_attempt_at``), woken at once by saves in
this process and by a poll otherwise; the aggregate says what is due (``CbcMessage.due``). One message is worked on
by one thread at a time, so its delivery and its cancellation never overlap.

Idempotency: each try is recorded before it is made (``SubmissionAttempted``). A try after an unanswered one (a
timeout, a crash, a restart) first asks the CBC for the reference when a status path is configured; the send
itself always carries the same reference, which the CBC de-duplicates on.
"""

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from eventsourcing.persistence import IntegrityError
from sqlalchemy import Connection, Engine

from omnibus.cbc.application import CbcApp
from omnibus.cbc.delivery.client import CbcClient, CbcRefused, CbcUnavailable
from omnibus.cbc.delivery.payload import broadcast_payload
from omnibus.cbc.domain import CbcError, CbcMessage, Work
from omnibus.cbc.readmodel.queries import due_messages, next_due_at
from omnibus.platform import leadership
from omnibus.platform.eventstore import ConcurrencyConflictError

log = logging.getLogger(__name__)
MAX_BACKOFF = 300.0


@dataclass
class DeliveryWorker:
    app: CbcApp
    engine: Engine
    client: CbcClient
    wait_projected: Callable[[int], Awaitable[None]]
    max_attempts: int = 5
    retry_backoff_seconds: float = 2.0
    poll_interval: float = 1.0
    parallel: int = 4

    def __post_init__(self) -> None:
        self.stopping = threading.Event()
        self.active: set[int] = set()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._saved = 0  # the last notification id saved in this process: the queue scan waits for its projection

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        lock: Connection | None = await asyncio.to_thread(
            leadership.acquire, self.engine, "cbc-delivery", self.stopping
        )
        if self.stopping.is_set():
            return
        self.app.add_listener(self._on_save)
        pool = ThreadPoolExecutor(self.parallel, thread_name_prefix="cbc-delivery")
        running: set[asyncio.Future[None]] = set()
        try:
            while not self.stopping.is_set():
                self._wake.clear()
                sleep = self.poll_interval
                try:
                    await self.wait_projected(self._saved)
                    due, next_at = await asyncio.to_thread(self._scan)
                    if next_at is not None:
                        sleep = max(0.0, min(sleep, (next_at - self.now()).total_seconds()))
                except Exception:  # the stores unreachable: try again at the next wake or poll
                    log.exception("cbc delivery: cannot read the due messages")
                    due = []
                for cbc_message_id in due:
                    self.active.add(cbc_message_id)
                    future = self._loop.run_in_executor(pool, self.process, cbc_message_id)
                    running.add(future)
                    future.add_done_callback(running.discard)
                try:
                    await asyncio.wait_for(self._wake.wait(), sleep)
                except TimeoutError:
                    pass
        finally:
            self.stopping.set()
            await asyncio.gather(*running, return_exceptions=True)
            pool.shutdown(wait=False)
            if lock is not None:
                lock.close()

    def stop(self) -> None:
        self.stopping.set()

    def now(self) -> datetime:
        return self.app.clock()

    def _scan(self) -> tuple[list[int], datetime | None]:
        now = self.now()
        with self.engine.connect() as conn:
            due = due_messages(conn, now, self.active, self.parallel - len(self.active))
            return due, next_due_at(conn, now)

    def process(self, cbc_message_id: int) -> None:
        """Do what is due for one message until nothing is (a cancel may follow a delivery at once)."""
        try:
            while not self.stopping.is_set():
                message = self.app.get_message(cbc_message_id)
                work = message.due()
                if work is None or work.due_at > self.now():
                    return
                if work.kind == "deliver":
                    self.deliver(message, work)
                else:
                    self.cancel(message, work)
        except Exception:
            log.exception("cbc message %s: delivery failed unexpectedly", cbc_message_id)
        finally:
            self.active.discard(cbc_message_id)
            self._wake_from_thread()

    def deliver(self, message: CbcMessage, work: Work) -> None:
        cbc_message_id, reference = message.cbc_message_id, work.message_reference
        try:
            message = self.app.start_attempt(cbc_message_id, reference, self.client.base_url)
        except (IntegrityError, CbcError):
            return  # the message changed meanwhile: look again
        try:
            if work.ask_first and self.client.paths.status is not None:
                found = self.client.lookup(reference)
                if found is not None:
                    self._record(
                        self.app.record_submitted,
                        message,
                        reference,
                        self.client.base_url,
                        found.status,
                        found.body,
                        "status",
                    )
                    return
            answer = self.client.send(broadcast_payload(message, reference), update=message.replaces is not None)
            self._record(
                self.app.record_submitted, message, reference, self.client.base_url, answer.status, answer.body, "send"
            )
        except CbcRefused as refused:
            self._record(self.app.record_submission_failed, message, reference, refused.reason, refused.http_status)
        except CbcUnavailable as error:
            if work.attempt >= self.max_attempts:
                reason = f"{error.reason} (gave up after {work.attempt} attempts)"
                self._record(self.app.record_submission_failed, message, reference, reason, error.http_status)
            else:
                self._record(
                    self.app.record_attempt_failed,
                    message,
                    reference,
                    error.reason,
                    error.http_status,
                    self._retry_at(work.attempt),
                )

    def cancel(self, message: CbcMessage, work: Work) -> None:
        reference = work.message_reference
        if self.client.paths.cancel is None:
            reason = f"no cancel path is configured (cbc.api_paths.cancel): stop broadcast {reference} at the CBC"
            self._record(self.app.record_cancel_not_delivered, message, reference, reason)
            return
        try:
            answer = self.client.cancel(reference)
            self._record(self.app.record_cancel_delivered, message, reference, answer.status, answer.body)
        except CbcRefused as refused:
            self._record(self.app.record_cancel_not_delivered, message, reference, refused.reason)
        except CbcUnavailable as error:
            if work.attempt >= self.max_attempts:
                reason = f"{error.reason} (gave up after {work.attempt} attempts)"
                self._record(self.app.record_cancel_not_delivered, message, reference, reason)
            else:
                self._record(
                    self.app.record_cancel_attempt_failed,
                    message,
                    reference,
                    error.reason,
                    error.http_status,
                    self._retry_at(work.attempt),
                )

    def _record(self, command: Callable[..., None], message: CbcMessage, *args: object) -> None:
        try:
            command(message.cbc_message_id, *args)
        except ConcurrencyConflictError:
            log.warning("cbc message %s changed during its delivery; looking again", message.cbc_message_id)

    def _retry_at(self, attempt: int) -> datetime:
        delay = min(MAX_BACKOFF, self.retry_backoff_seconds * 2 ** (attempt - 1))
        return self.now() + timedelta(seconds=delay)

    def _on_save(self, position: int) -> None:
        self._saved = max(self._saved, position)
        self._wake_from_thread()

    def _wake_from_thread(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)
