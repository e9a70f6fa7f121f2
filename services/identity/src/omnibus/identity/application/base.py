"""What every identity use case shares: collaborators, clock, loading aggregates, unique names."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from omnibus.identity.domain import ConflictError, NameIndex, index_id
from omnibus.identity.mail import LocalOutbox, Mailer
from omnibus.identity.security import Passwords, SecretBox
from omnibus.identity.settings import Policy
from omnibus.identity.throttle import LoginThrottle, ThrottlePolicy
from omnibus.identity.tokens import TokenIssuer
from omnibus.platform.eventstore import ServiceApplication

T = TypeVar("T")


class IdentityBase(ServiceApplication):
    name = "identity"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        tokens: TokenIssuer,
        passwords: Passwords | None = None,
        mailer: Mailer | None = None,
        policy: Policy | None = None,
        secret_box: SecretBox | None = None,
    ) -> None:
        super().__init__(env)
        self.tokens = tokens
        self.passwords = passwords or Passwords()
        self.mailer: Mailer = mailer or LocalOutbox()
        self.policy = policy or Policy()
        self.secret_box = secret_box or SecretBox(os.urandom(32))
        self.customer_closed: Callable[[int], bool] = lambda customer_id: False  # set by main: customers' events
        self.throttle = LoginThrottle(
            ThrottlePolicy(
                account_limit=self.policy.login_account_limit,
                address_limit=self.policy.login_address_limit,
                lockout_seconds=self.policy.lockout_seconds,
            )
        )

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def _load(self, aggregate_id: UUID, kind: type[T], missing: Exception) -> T:
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise missing from None
        if not isinstance(aggregate, kind):
            raise missing
        return aggregate

    def owner_of(self, kind: str, name: str) -> int | None:
        """The public id holding a unique name (user e-mail, username, role or permission name), if any."""
        try:
            index: NameIndex = self.repository.get(index_id(kind, name))
        except AggregateNotFoundError:
            return None
        owner: int | None = index.owner_id
        return owner

    def _claim(self, kind: str, name: str, owner_id: int) -> NameIndex:
        """An index aggregate to save with its owner; ConflictError when another owner holds the name."""
        try:
            index: NameIndex = self.repository.get(index_id(kind, name))
        except AggregateNotFoundError:
            return NameIndex.claim(kind, name, owner_id)
        if index.owner_id not in (None, owner_id):
            raise ConflictError(f"{kind.replace('_', ' ').capitalize()} {name!r} is already taken")
        index.reassign(owner_id)
        return index

    def _release(self, kind: str, name: str) -> NameIndex | None:
        try:
            index: NameIndex = self.repository.get(index_id(kind, name))
        except AggregateNotFoundError:
            return None
        index.reassign(None)
        return index

    def _save_unique(self, *aggregates: Any, what: str) -> None:
        """Save an owner with its name indexes; a concurrent claim of the same name is a 409."""
        try:
            self.save(*[a for a in aggregates if a is not None])
        except IntegrityError:
            raise ConflictError(f"{what} is already taken") from None
