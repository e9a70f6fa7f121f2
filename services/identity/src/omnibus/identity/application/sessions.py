"""Login, refresh, logout, passwords, 2FA and step-up, impersonation (identity.md §3.1, §3.2, §3.5, §3.7)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from omnibus.identity import mail
from omnibus.identity.application.users import Users, _owner_of_token
from omnibus.identity.domain import (
    ConflictError,
    ForbiddenError,
    Impersonation,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidTokenError,
    LoginAttempt,
    RefreshSession,
    Rotation,
    User,
    UserNotFoundError,
)
from omnibus.identity.domain.passwords import check_password
from omnibus.identity.domain.totp import matching_step, provisioning_uri
from omnibus.identity.domain.values import sha256
from omnibus.identity.security import new_backup_codes, new_token, new_totp_secret
from omnibus.identity.tokens import Identity
from omnibus.platform.auth.roles import permissions_for_roles
from omnibus.platform.eventstore import aggregate_uuid, retry_on_conflict

IMPERSONATION_MINUTES = 60  # D32


@dataclass(frozen=True)
class LoginResult:
    """Either tokens (``body`` is the login response) or a 2FA challenge (D21)."""

    body: dict[str, Any]
    refresh_token: str | None = None
    remember_me: bool = False


@dataclass(frozen=True)
class Enrollment:
    totp_secret: str
    qr_code_url: str
    backup_codes: list[str] = field(default_factory=list)


class Sessions(Users):
    # --- login, refresh, logout --------------------------------------------------------------------------------

    def login(self, email: str, password: str, *, remember_me: bool = False, ip: str | None = None) -> LoginResult:
        self.throttle.check(email, ip)
        user = self.find_user(email)
        valid = self.passwords.verify(user.password_hash if user else None, password)
        if user is None or not valid or user.deleted or self._customer_closed(user):
            self.throttle.failed(email, ip)
            self.save(LoginAttempt(email=email.strip()[:254], reason="bad_credentials", ip=ip))
            raise InvalidCredentialsError()
        self.throttle.succeeded(email)
        if user.is_2fa_enabled:
            token = self.tokens.challenge_token(user.user_id, remember_me)
            return LoginResult({"2fa_required": True, "user_id": user.user_id, "challenge_token": token})
        return self._logged_in(user, "password", remember_me, ip)

    def complete_2fa_login(self, user_id: int, challenge_token: str, code: str, ip: str | None = None) -> LoginResult:
        claims = self.tokens.verify(challenge_token, "2fa_challenge")
        if claims["sub"] != str(user_id):
            raise InvalidCodeError("The challenge token is for another user")
        self.throttle.check(f"2fa:{user_id}", ip)
        user = self.get_user(user_id)
        try:
            self._pass_second_factor(user, code)
        except InvalidCodeError:
            self.throttle.failed(f"2fa:{user_id}", ip)
            self.save(LoginAttempt(email=user.email, reason="bad_second_factor", ip=ip))
            raise
        return self._logged_in(user, "2fa", bool(claims.get("remember_me")), ip)

    def refresh(self, refresh_token: str) -> LoginResult:
        session = self._session_of(refresh_token)
        new_refresh = self._new_refresh_token(session.id)
        outcome = session.rotate(sha256(refresh_token), sha256(new_refresh), self.now())
        if outcome is Rotation.REUSED:
            self.save(session)  # the revocation of the whole family
            raise InvalidCredentialsError("Refresh token reuse detected: the session is revoked; log in again")
        user = self.get_user(session.user_id)
        stale = session.user_epoch != user.session_epoch
        if outcome is Rotation.INVALID or user.deleted or stale or self._customer_closed(user):
            raise InvalidCredentialsError("Invalid or expired refresh token")
        self.save(session)
        return LoginResult(self._token_body(user, session), new_refresh, session.remember_me)

    def logout(self, refresh_token: str | None, session_id: str | None) -> None:
        session = None
        if refresh_token:
            try:
                session = self._session_of(refresh_token)
            except InvalidCredentialsError:
                session = None
        if session is None and session_id:
            try:
                session = self._load(uuid.UUID(session_id), RefreshSession, InvalidCredentialsError())
            except (ValueError, InvalidCredentialsError):
                session = None
        if session is not None:
            session.revoke("logout")
            self.save(session)

    def access_body(self, user: User) -> dict[str, Any]:
        """What login and refresh answer besides tokens: the user's roles and permissions."""
        permissions = sorted(self.permissions_of(user.roles))
        return {"user_id": user.user_id, "roles": list(user.roles), "permissions": permissions}

    def permissions_of(self, roles: list[str]) -> frozenset[str]:
        table = {}
        for name in roles:
            role_id = self.owner_of("role_name", name)
            if role_id is not None:
                role = self.get_role(role_id)  # type: ignore[attr-defined]
                table[role.name.lower()] = frozenset() if role.deleted else frozenset(role.permissions)
        return permissions_for_roles(roles, table)

    def _customer_closed(self, user: User) -> bool:
        """Self-care users of a Closed or Archived customer cannot log in (identity.md §9)."""
        return user.customer_id is not None and self.customer_closed(user.customer_id)

    def _logged_in(self, user: User, method: str, remember_me: bool, ip: str | None) -> LoginResult:
        def command() -> tuple[RefreshSession, str]:
            fresh = self.get_user(user.user_id)
            fresh.record_login(method, remember_me, ip)
            session, refresh = self._new_session(fresh, remember_me)
            self.save(fresh, session)
            return session, refresh

        session, refresh = retry_on_conflict(command)
        body = {**self._token_body(user, session), "force_change": user.force_change}
        return LoginResult(body, refresh, remember_me)

    def _new_session(
        self, user: User, remember_me: bool, impersonator: int | None = None, impersonation_id: int | None = None
    ) -> tuple[RefreshSession, str]:
        if impersonator is not None:
            lifetime = timedelta(minutes=IMPERSONATION_MINUTES)
        elif remember_me:
            lifetime = timedelta(days=self.policy.remember_me_days)
        else:
            lifetime = timedelta(hours=self.policy.refresh_session_hours)
        session_id = uuid.uuid4()
        refresh = self._new_refresh_token(session_id)
        session = RefreshSession(
            id=session_id,
            user_id=user.user_id,
            token_hash=sha256(refresh),
            remember_me=remember_me,
            expires_at=self.now() + lifetime,
            impersonating_user_id=impersonator,
            impersonation_id=impersonation_id,
            user_epoch=user.session_epoch,
        )
        return session, refresh

    def _token_body(self, user: User, session: RefreshSession) -> dict[str, Any]:
        start = None
        if session.impersonation_id is not None:
            start = int(self._impersonation(session.impersonation_id).impersonation_start.timestamp())
        # D20: a user who must use 2FA and has not enrolled gets a set-up-only session (no role, so no permission:
        # enough to enrol, then refresh); so does a user whose password an admin reset with ``force_change``, until
        # they change it (which ends the session: they log in again). Impersonation derives from the staff login.
        restricted = user.force_change or self.requires_2fa_setup(user)
        setup_only = session.impersonation_id is None and restricted
        identity = Identity(
            user_id=user.user_id,
            roles=[] if setup_only else user.roles,
            customer_id=user.customer_id,
            session_id=str(session.id),
            impersonating_user_id=session.impersonating_user_id,
            impersonation_start=start,
        )
        access = {"user_id": user.user_id, "roles": [], "permissions": []} if setup_only else self.access_body(user)
        requires_2fa = setup_only and self.requires_2fa_setup(user)
        return {"token": self.tokens.access_token(identity), **access, "requires_2fa_setup": requires_2fa}

    def requires_2fa_setup(self, user: User) -> bool:
        """2FA is required (globally, or by one of the user's roles) and the user has not enabled it yet."""
        if user.is_2fa_enabled:
            return False
        if self.policy.require_2fa:
            return True
        for name in user.roles:
            role_id = self.owner_of("role_name", name)
            if role_id is not None and getattr(self.get_role(role_id), "require_2fa", False):  # type: ignore[attr-defined]
                return True
        return False

    @staticmethod
    def _new_refresh_token(session_id: uuid.UUID) -> str:
        return new_token(f"{session_id}.")

    def _session_of(self, refresh_token: str) -> RefreshSession:
        head, _, _ = refresh_token.partition(".")
        try:
            session_id = uuid.UUID(head)
        except ValueError:
            raise InvalidCredentialsError("Invalid or expired refresh token") from None
        return self._load(session_id, RefreshSession, InvalidCredentialsError("Invalid or expired refresh token"))

    # --- passwords ---------------------------------------------------------------------------------------------

    def forgot_password(self, email: str, ip: str | None = None) -> None:
        """Always the same outcome for the caller (D31); a mail only when the e-mail names an active user."""
        self.throttle.check(f"forgot:{email}", ip)
        self.throttle.failed(f"forgot:{email}", ip)  # every request counts: this endpoint is for rare use
        user = self.find_user(email)
        if user is None or user.deleted:
            return
        token = new_token(f"{user.user_id}.")
        expires = self.now() + timedelta(hours=1)
        user.request_password_reset(token, expires)
        self.save(user)
        url = f"{self.policy.public_url}/reset-password/{token}"
        variables = {"user_name": user.username, "reset_url": url, "reset_link": url, "expiry_time": "1 hour"}
        self.mailer.send(mail.PASSWORD_RESET, user.email, variables)

    def reset_password(self, token: str, new_password: str, ip: str | None = None) -> None:
        check_password(new_password, self.policy.password_min_length)
        user_id = _owner_of_token(token)
        try:
            user = self.get_user(user_id) if user_id is not None else None
        except UserNotFoundError:
            user = None
        if user is None:
            raise InvalidTokenError("Invalid, expired or already used reset token")
        user.complete_password_reset(token, self.passwords.hash(new_password), self.now(), ip)
        self.save(user)
        variables = {
            "user_name": user.username,
            "change_date": self.now().strftime("%Y-%m-%d %H:%M:%S UTC"),
            "ip_address": ip or "unknown",
            "support_email": self.policy.support_email,
        }
        self.mailer.send(mail.PASSWORD_RESET_SUCCESS, user.email, variables)

    def change_password(self, user_id: int, current_password: str, new_password: str) -> None:
        user = self.get_user(user_id)
        if not self.passwords.verify(user.password_hash, current_password):
            raise InvalidCredentialsError("The current password is wrong")
        check_password(new_password, self.policy.password_min_length)
        user.change_password(self.passwords.hash(new_password), changed_by=user_id)
        self.save(user)
        self._send_password_changed(user, "Self")

    def admin_reset_password(self, user_id: int, new_password: str, force_change: bool, admin: User | None) -> None:
        check_password(new_password, self.policy.password_min_length)
        user = self.get_user(user_id)
        admin_id = admin.user_id if admin else None
        user.change_password(self.passwords.hash(new_password), changed_by=admin_id, force_change=force_change)
        self.save(user)
        self._send_password_changed(user, admin.username if admin else "an administrator")

    def _send_password_changed(self, user: User, changed_by: str) -> None:
        variables = {
            "user_name": user.username,
            "change_date": self.now().strftime("%Y-%m-%d %H:%M:%S UTC"),
            "changed_by": changed_by,
            "support_email": self.policy.support_email,
        }
        self.mailer.send(mail.PASSWORD_CHANGE, user.email, variables)

    # --- two-factor authentication -----------------------------------------------------------------------------

    def enable_2fa(self, user_id: int, password: str | None) -> Enrollment:
        """Start enrolment; ``password`` None means an admin acting for the user (no password check)."""
        user = self.get_user(user_id)
        if password is not None and not self.passwords.verify(user.password_hash, password):
            raise InvalidCredentialsError("The password is wrong")
        secret, codes = new_totp_secret(), new_backup_codes()
        user.start_2fa_enrollment(self.secret_box.seal(secret), codes)
        self.save(user)
        return Enrollment(secret, provisioning_uri(secret, user.email, self.policy.totp_issuer), codes)

    def verify_2fa_setup(self, user_id: int, code: str) -> None:
        user = self.get_user(user_id)
        if user.totp_secret is None:
            raise ConflictError("No two-factor set-up is pending")
        user.confirm_2fa(matching_step(self.secret_box.open(user.totp_secret), code, self.now().timestamp()))
        self.save(user)

    def regenerate_backup_codes(self, user_id: int) -> list[str]:
        user = self.get_user(user_id)
        codes = new_backup_codes()
        user.regenerate_backup_codes(codes)
        self.save(user)
        return codes

    def admin_disable_2fa(self, user_id: int, admin_id: int | None) -> None:
        user = self.get_user(user_id)
        user.disable_2fa(admin_id)
        self.save(user)

    def reset_2fa_for_new_device(self, user_id: int, backup_code: str) -> Enrollment:
        user = self.get_user(user_id)
        secret = new_totp_secret()
        user.reset_for_new_device(backup_code, self.secret_box.seal(secret))
        self.save(user)
        return Enrollment(secret, provisioning_uri(secret, user.email, self.policy.totp_issuer))

    def step_up(self, user_id: int, code: str) -> str:
        """A fresh second factor now: a 5-minute token the caller shows to a sensitive operation."""
        self.throttle.check(f"2fa:{user_id}", None)
        user = self.get_user(user_id)
        try:
            self._pass_second_factor(user, code)
        except InvalidCodeError:
            self.throttle.failed(f"2fa:{user_id}", None)
            raise
        return self.tokens.step_up_token(user_id)

    def _pass_second_factor(self, user: User, code: str) -> None:
        code = code.strip()
        if not user.is_2fa_enabled or user.totp_secret is None:
            raise InvalidCodeError("Two-factor authentication is not enabled")
        if len(code) == 8:
            user.pass_backup_code(code)
        else:
            secret = self.secret_box.open(user.totp_secret)
            user.pass_totp(matching_step(secret, code, self.now().timestamp()))
        self.save(user)  # a concurrent use of the same code conflicts on the user's version: only one wins

    # --- impersonation (D32) -----------------------------------------------------------------------------------

    def impersonate(
        self, actor_id: int, actor_permissions: frozenset[str], target_id: int, already_impersonating: bool
    ) -> tuple[LoginResult, Impersonation]:
        if already_impersonating:
            raise ConflictError("Already impersonating; stop first")
        if target_id == actor_id:
            raise ConflictError("You cannot impersonate yourself")
        target = self.get_user(target_id)
        if target.deleted:
            raise UserNotFoundError(target_id)
        target_permissions = self.permissions_of(target.roles)
        if "admin" in target_permissions:
            raise ForbiddenError("Administrators cannot be impersonated")
        # D32: the target may hold no permission the actor lacks. Own-scoped ones ("view_own_...") only reach the
        # target's own customer, which is what impersonating a self-care user is for, so they do not count.
        wider = {p for p in target_permissions if "_own_" not in p}
        if "admin" not in actor_permissions and not wider <= actor_permissions:
            raise ForbiddenError("The target user holds permissions you do not have")
        impersonation_id = self.ids.next("impersonation_id")
        impersonation = Impersonation(
            id=aggregate_uuid("impersonation", impersonation_id),
            impersonation_id=impersonation_id,
            impersonating_user_id=actor_id,
            target_user_id=target_id,
            impersonation_start=self.now(),
        )
        session, refresh = self._new_session(target, False, impersonator=actor_id, impersonation_id=impersonation_id)
        self.save(impersonation, session)
        return LoginResult(self._token_body(target, session), refresh), impersonation

    def stop_impersonation(self, session_id: str | None) -> tuple[LoginResult, Impersonation, int]:
        session = None
        if session_id:
            try:
                session = self._load(uuid.UUID(session_id), RefreshSession, ConflictError("Not impersonating"))
            except ValueError:
                session = None
        if session is None or session.impersonation_id is None:
            raise ConflictError("Not impersonating")
        impersonation = self._impersonation(session.impersonation_id)
        duration = impersonation.end(self.now())
        session.revoke("impersonation_ended")
        staff = self.get_user(impersonation.impersonating_user_id)
        new_session, refresh = self._new_session(staff, False)
        self.save(impersonation, session, new_session)
        return LoginResult(self._token_body(staff, new_session), refresh), impersonation, duration

    def _impersonation(self, impersonation_id: int) -> Impersonation:
        missing = ConflictError("Not impersonating")
        return self._load(aggregate_uuid("impersonation", impersonation_id), Impersonation, missing)
