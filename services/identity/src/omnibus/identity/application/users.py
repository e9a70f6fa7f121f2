"""Users: create, update, soft delete/restore, roles, e-mail verification, welcome e-mail (identity.md §3.3)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from omnibus.identity import mail
from omnibus.identity.application.base import IdentityBase
from omnibus.identity.domain import (
    ConflictError,
    InvalidInputError,
    InvalidTokenError,
    User,
    UserNotFoundError,
)
from omnibus.identity.domain.passwords import check_password
from omnibus.identity.domain.values import is_email, normal_email
from omnibus.identity.security import new_token, new_verification_code
from omnibus.platform.eventstore import aggregate_uuid, retry_on_conflict

EMAIL_VERIFICATION_HOURS = 24


class Users(IdentityBase):
    def create_user(
        self, fields: dict[str, Any], password: str, roles: list[str], *, send_welcome: bool = True
    ) -> User:
        check_password(password, self.policy.password_min_length)
        email = normal_email(fields["email"])
        if not is_email(email):
            raise InvalidInputError("email is not a valid e-mail address")
        if not roles and fields.get("customer_id") is not None:
            roles = ["Customer"]  # customer users get the Customer role (identity.md §1)
        roles = self.canonical_roles(roles)
        user_id = self.ids.next("user_id")
        user = User(
            id=aggregate_uuid("user", user_id),
            user_id=user_id,
            username=fields["username"].strip(),
            email=email,
            password_hash=self.passwords.hash(password),
            first_name=fields.get("first_name"),
            middle_name=fields.get("middle_name"),
            last_name=fields.get("last_name"),
            phone_number=fields.get("phone_number"),
            roles=roles,
            customer_id=fields.get("customer_id"),
            contact_id=fields.get("contact_id"),
        )
        self._save_unique(
            user,
            self._claim("email", email, user_id),
            self._claim("username", user.username, user_id),
            what="E-mail or username",
        )
        if send_welcome:
            self._send_welcome(user)
        return user

    def get_user(self, user_id: int) -> User:
        return self._load(aggregate_uuid("user", user_id), User, UserNotFoundError(user_id))

    def find_user(self, email_or_username: str) -> User | None:
        owner = self.owner_of("email", normal_email(email_or_username))
        if owner is None:
            owner = self.owner_of("username", email_or_username)
        return None if owner is None else self.get_user(owner)

    def update_user(self, user_id: int, changes: dict[str, Any], roles: list[str] | None = None) -> User:
        """Profile fields, ``roles`` (replaces the set), ``deleted`` (False restores), ``email`` (-> pending)."""
        changes = dict(changes)
        new_email = changes.pop("email", None)
        deleted = changes.pop("deleted", None)
        if new_email is not None:  # checked first: a bad address must change nothing
            self._check_new_email(user_id, new_email)

        def command() -> User:
            user = self.get_user(user_id)
            indexes = []
            if "username" in changes and changes["username"] != user.username:
                indexes += [
                    self._claim("username", changes["username"], user_id),
                    self._release("username", user.username),
                ]
            user.update_profile(changes)
            if roles is not None:
                user.set_roles(self.canonical_roles(roles))
            if deleted is True:
                user.soft_delete(self.now())
            elif deleted is False:
                user.restore()
            self._save_unique(user, *indexes, what="Username")
            return user

        user = retry_on_conflict(command)
        if new_email is not None and normal_email(new_email) != user.email:
            self.request_email_change(user_id, new_email)
        return self.get_user(user_id)

    def delete_user(self, user_id: int) -> None:
        self.update_user(user_id, {"deleted": True})

    def _check_new_email(self, user_id: int, new_email: str) -> str:
        email = normal_email(new_email)
        if not is_email(email):
            raise InvalidInputError("email is not a valid e-mail address")
        owner = self.owner_of("email", email)
        if owner is not None and owner != user_id:
            raise ConflictError("E-mail is already taken")
        return email

    def request_email_change(self, user_id: int, new_email: str) -> None:
        email = self._check_new_email(user_id, new_email)
        token, code = new_token(f"{user_id}."), new_verification_code()
        user = self.get_user(user_id)
        user.request_email_change(email, token, code, self.now() + timedelta(hours=EMAIL_VERIFICATION_HOURS))
        self.save(user)
        self.mailer.send(
            mail.EMAIL_VERIFICATION,
            email,
            {
                "user_name": user.username,
                "verification_url": f"{self.policy.public_url}/verify-email/{token}",
                "verification_link": f"{self.policy.public_url}/verify-email/{token}",
                "verification_code": code,
            },
        )

    def verify_email(self, *, token: str | None = None, user_id: int | None = None, code: str | None = None) -> User:
        if token is not None:
            user_id = _owner_of_token(token)
        if user_id is None:
            raise InvalidTokenError("Send a token, or a user_id and a code")
        try:
            user = self.get_user(user_id)
        except UserNotFoundError:
            raise InvalidTokenError("Invalid, expired or already used verification") from None
        old_email = user.email
        email = user.verify_email(self.now(), token=token, code=code)
        indexes = []
        if email != old_email:
            indexes = [self._claim("email", email, user.user_id), self._release("email", old_email)]
        self._save_unique(user, *indexes, what="E-mail")
        return user

    def resend_welcome(self, user_id: int) -> None:
        user = self.get_user(user_id)
        user.resend_welcome()
        self.save(user)
        self._send_welcome(user)

    def canonical_roles(self, names: list[str]) -> list[str]:
        """Role names as identity spells them; unknown names are refused (400)."""
        found = []
        for name in names:
            role_id = self.owner_of("role_name", name.strip())
            if role_id is None:
                raise InvalidInputError(f"Unknown role {name!r}")
            role = self.get_role(role_id)  # type: ignore[attr-defined]
            if role.name not in found:
                found.append(role.name)
        return found

    def _send_welcome(self, user: User) -> None:
        self.mailer.send(
            mail.WELCOME,
            user.email,
            {
                "user_name": user.username,
                "email": user.email,
                "role": ", ".join(user.roles),
                "login_url": f"{self.policy.public_url}/login",
                "support_email": self.policy.support_email,
            },
        )


def _owner_of_token(token: str) -> int | None:
    """Reset and verification tokens start with the user id: ``<user_id>.<random>``."""
    head, _, _ = token.partition(".")
    return int(head) if head.isdigit() else None
