"""The User aggregate (identity.md §2.1): profile, roles, password, e-mail verification, login count, 2FA state.

Secrets never enter events in clear: passwords as argon2id hashes (made by the application), one-time tokens and
backup codes as SHA-256 hashes, the TOTP secret sealed by the application (AES-GCM) because verifying a code needs
it back; the domain only stores what it is given. None of these is ever published.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from omnibus.identity.domain.errors import ConflictError, InvalidCodeError, InvalidTokenError
from omnibus.identity.domain.values import sha256

PROFILE_FIELDS = ("username", "first_name", "middle_name", "last_name", "phone_number", "customer_id", "contact_id")


class User(Aggregate):
    id: UUID

    class Created(Aggregate.Created):
        user_id: int
        username: str
        email: str
        password_hash: str
        first_name: str | None
        middle_name: str | None
        last_name: str | None
        phone_number: str | None
        roles: list[str]
        customer_id: int | None
        contact_id: int | None

    class ProfileUpdated(Aggregate.Event):
        user_id: int
        changes: dict[str, Any]

    class RolesChanged(Aggregate.Event):
        user_id: int
        roles: list[str]

    class SoftDeleted(Aggregate.Event):
        user_id: int
        deleted_at: datetime

    class Restored(Aggregate.Event):
        user_id: int

    class LoggedIn(Aggregate.Event):
        user_id: int
        method: str
        remember_me: bool
        ip: str | None

    class PasswordChanged(Aggregate.Event):
        user_id: int
        password_hash: str
        changed_by: int | str | None
        force_change: bool

    class PasswordResetRequested(Aggregate.Event):
        user_id: int
        token_hash: str
        expires_at: datetime

    class PasswordResetCompleted(Aggregate.Event):
        user_id: int
        password_hash: str
        ip_address: str | None

    class EmailChangeRequested(Aggregate.Event):
        user_id: int
        pending_email: str
        token_hash: str
        code_hash: str
        expires_at: datetime

    class EmailVerified(Aggregate.Event):
        user_id: int
        email: str

    class WelcomeEmailResent(Aggregate.Event):
        user_id: int

    class TwoFactorEnrollmentStarted(Aggregate.Event):
        user_id: int
        totp_secret: str
        backup_code_hashes: list[str]

    class TwoFactorEnabled(Aggregate.Event):
        user_id: int
        step: int
        backup_codes_issued: int

    class TwoFactorChallengePassed(Aggregate.Event):
        user_id: int
        method: str
        step: int | None
        code_hash: str | None

    class BackupCodesRegenerated(Aggregate.Event):
        user_id: int
        backup_code_hashes: list[str]

    class TwoFactorDisabledByAdmin(Aggregate.Event):
        user_id: int
        admin_id: int | None

    @event(Created)
    def __init__(
        self,
        user_id: int,
        username: str,
        email: str,
        password_hash: str,
        first_name: str | None,
        middle_name: str | None,
        last_name: str | None,
        phone_number: str | None,
        roles: list[str],
        customer_id: int | None,
        contact_id: int | None,
    ) -> None:
        self.user_id = user_id
        self.username = username
        self.email = email
        self.password_hash = password_hash
        self.first_name = first_name
        self.middle_name = middle_name
        self.last_name = last_name
        self.phone_number = phone_number
        self.roles = list(roles)
        self.customer_id = customer_id
        self.contact_id = contact_id
        self.email_verified = False
        self.pending_email: str | None = None
        self.deleted = False
        self.deleted_at: datetime | None = None
        self.login_count = 0
        self.force_change = False
        self.reset_token_hash: str | None = None
        self.reset_expires_at: datetime | None = None
        self.email_token_hash: str | None = None
        self.email_code_hash: str | None = None
        self.email_expires_at: datetime | None = None
        self.totp_secret: str | None = None
        self.is_2fa_enabled = False
        self.backup_code_hashes: list[str] = []
        self.last_totp_step = -1
        self.session_epoch = 0  # refresh sessions started under an older epoch are void (password change, delete)

    # --- profile, roles, deletion -------------------------------------------------------------------------------

    def update_profile(self, changes: dict[str, Any]) -> list[str]:
        real = {k: v for k, v in changes.items() if k in PROFILE_FIELDS and getattr(self, k) != v}
        if real:
            self._profile_updated(user_id=self.user_id, changes=real)
        return sorted(real)

    @event(ProfileUpdated)
    def _profile_updated(self, user_id: int, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            setattr(self, name, value)

    def set_roles(self, roles: list[str]) -> bool:
        if list(roles) == self.roles:
            return False
        self._roles_changed(user_id=self.user_id, roles=list(roles))
        return True

    @event(RolesChanged)
    def _roles_changed(self, user_id: int, roles: list[str]) -> None:
        self.roles = list(roles)

    def soft_delete(self, now: datetime) -> None:
        if not self.deleted:
            self._soft_deleted(user_id=self.user_id, deleted_at=now)

    @event(SoftDeleted)
    def _soft_deleted(self, user_id: int, deleted_at: datetime) -> None:
        self.deleted = True
        self.deleted_at = deleted_at
        self.session_epoch += 1

    def restore(self) -> None:
        if self.deleted:
            self._restored(user_id=self.user_id)

    @event(Restored)
    def _restored(self, user_id: int) -> None:
        self.deleted = False
        self.deleted_at = None

    # --- login and passwords -----------------------------------------------------------------------------------

    def record_login(self, method: str, remember_me: bool, ip: str | None) -> None:
        self._logged_in(user_id=self.user_id, method=method, remember_me=remember_me, ip=ip)

    @event(LoggedIn)
    def _logged_in(self, user_id: int, method: str, remember_me: bool, ip: str | None) -> None:
        self.login_count += 1

    def change_password(self, password_hash: str, changed_by: int | str | None, force_change: bool = False) -> None:
        self._password_changed(
            user_id=self.user_id, password_hash=password_hash, changed_by=changed_by, force_change=force_change
        )

    @event(PasswordChanged)
    def _password_changed(
        self, user_id: int, password_hash: str, changed_by: int | str | None, force_change: bool
    ) -> None:
        self.password_hash = password_hash
        self.force_change = force_change
        self.reset_token_hash = None
        self.session_epoch += 1

    def request_password_reset(self, token: str, expires_at: datetime) -> None:
        self._reset_requested(user_id=self.user_id, token_hash=sha256(token), expires_at=expires_at)

    @event(PasswordResetRequested)
    def _reset_requested(self, user_id: int, token_hash: str, expires_at: datetime) -> None:
        self.reset_token_hash = token_hash
        self.reset_expires_at = expires_at

    def complete_password_reset(self, token: str, password_hash: str, now: datetime, ip: str | None) -> None:
        """Single use: the stored hash is cleared by the event; only the latest link works, for one hour."""
        expires = self.reset_expires_at
        if self.reset_token_hash is None or self.reset_token_hash != sha256(token) or expires is None or now > expires:
            raise InvalidTokenError("Invalid, expired or already used reset token")
        self._reset_completed(user_id=self.user_id, password_hash=password_hash, ip_address=ip)

    @event(PasswordResetCompleted)
    def _reset_completed(self, user_id: int, password_hash: str, ip_address: str | None) -> None:
        self.password_hash = password_hash
        self.reset_token_hash = None
        self.reset_expires_at = None
        self.force_change = False
        self.session_epoch += 1

    # --- e-mail change ------------------------------------------------------------------------------------------

    def request_email_change(self, pending_email: str, token: str, code: str, expires_at: datetime) -> None:
        self._email_change_requested(
            user_id=self.user_id,
            pending_email=pending_email,
            token_hash=sha256(token),
            code_hash=sha256(code),
            expires_at=expires_at,
        )

    @event(EmailChangeRequested)
    def _email_change_requested(
        self, user_id: int, pending_email: str, token_hash: str, code_hash: str, expires_at: datetime
    ) -> None:
        self.pending_email = pending_email
        self.email_token_hash = token_hash
        self.email_code_hash = code_hash
        self.email_expires_at = expires_at

    def verify_email(self, now: datetime, *, token: str | None = None, code: str | None = None) -> str:
        """Apply the pending e-mail (or mark the current one verified); returns the verified address."""
        expected = self.email_token_hash if token is not None else self.email_code_hash
        presented = token if token is not None else code
        expires = self.email_expires_at
        if presented is None or expected is None or expected != sha256(presented) or expires is None or now > expires:
            raise InvalidTokenError("Invalid, expired or already used verification")
        email = self.pending_email or self.email
        self._email_verified(user_id=self.user_id, email=email)
        return email

    @event(EmailVerified)
    def _email_verified(self, user_id: int, email: str) -> None:
        self.email = email
        self.pending_email = None
        self.email_verified = True
        self.email_token_hash = self.email_code_hash = None
        self.email_expires_at = None

    def resend_welcome(self) -> None:
        if self.login_count > 0:
            raise ConflictError("The user has already logged in; no welcome e-mail is sent")
        self._welcome_resent(user_id=self.user_id)

    @event(WelcomeEmailResent)
    def _welcome_resent(self, user_id: int) -> None:
        pass

    # --- two-factor authentication (identity.md §4.3) -----------------------------------------------------------

    @property
    def twofa_state(self) -> str:
        if self.is_2fa_enabled:
            return "Enabled"
        return "PendingSetup" if self.totp_secret else "NotEnrolled"

    def start_2fa_enrollment(self, totp_secret: str, backup_codes: list[str]) -> None:
        if self.is_2fa_enabled:
            raise ConflictError("Two-factor authentication is already enabled")
        self._enrollment_started(
            user_id=self.user_id, totp_secret=totp_secret, backup_code_hashes=self._hashes(backup_codes)
        )

    @event(TwoFactorEnrollmentStarted)
    def _enrollment_started(self, user_id: int, totp_secret: str, backup_code_hashes: list[str]) -> None:
        self.totp_secret = totp_secret
        self.backup_code_hashes = list(backup_code_hashes)
        self.is_2fa_enabled = False
        self.last_totp_step = -1  # a new secret: its codes have never been used

    def confirm_2fa(self, step: int | None) -> None:
        """verify-setup: the first code proves the app holds the secret."""
        if self.totp_secret is None or self.is_2fa_enabled:
            raise ConflictError("No two-factor set-up is pending")
        if step is None or step <= self.last_totp_step:
            raise InvalidCodeError("Invalid code")
        self._2fa_enabled(user_id=self.user_id, step=step, backup_codes_issued=len(self.backup_code_hashes))

    @event(TwoFactorEnabled)
    def _2fa_enabled(self, user_id: int, step: int, backup_codes_issued: int) -> None:
        self.is_2fa_enabled = True
        self.last_totp_step = step

    def pass_totp(self, step: int | None) -> None:
        """A TOTP code at login or step-up; a step already used (or older) is refused: no code works twice."""
        if not self.is_2fa_enabled or step is None or step <= self.last_totp_step:
            raise InvalidCodeError()
        self._challenge_passed(user_id=self.user_id, method="totp", step=step, code_hash=None)

    def pass_backup_code(self, code: str) -> None:
        code_hash = self._hash(code)
        if not self.is_2fa_enabled or code_hash not in self.backup_code_hashes:
            raise InvalidCodeError()
        self._challenge_passed(user_id=self.user_id, method="backup_code", step=None, code_hash=code_hash)

    @event(TwoFactorChallengePassed)
    def _challenge_passed(self, user_id: int, method: str, step: int | None, code_hash: str | None) -> None:
        if step is not None:
            self.last_totp_step = step
        if code_hash is not None:
            self.backup_code_hashes = [h for h in self.backup_code_hashes if h != code_hash]

    def regenerate_backup_codes(self, backup_codes: list[str]) -> None:
        if not self.is_2fa_enabled:
            raise ConflictError("Two-factor authentication is not enabled")
        self._codes_regenerated(user_id=self.user_id, backup_code_hashes=self._hashes(backup_codes))

    @event(BackupCodesRegenerated)
    def _codes_regenerated(self, user_id: int, backup_code_hashes: list[str]) -> None:
        self.backup_code_hashes = list(backup_code_hashes)

    def disable_2fa(self, admin_id: int | None) -> None:
        if self.totp_secret is None and not self.is_2fa_enabled:
            return
        self._2fa_disabled(user_id=self.user_id, admin_id=admin_id)

    @event(TwoFactorDisabledByAdmin)
    def _2fa_disabled(self, user_id: int, admin_id: int | None) -> None:
        self.totp_secret = None
        self.is_2fa_enabled = False
        self.backup_code_hashes = []

    def reset_for_new_device(self, backup_code: str, new_secret: str) -> None:
        """Lost device: a backup code is consumed and a new secret must be confirmed (Enabled -> PendingSetup)."""
        self.pass_backup_code(backup_code)
        self._enrollment_started(
            user_id=self.user_id, totp_secret=new_secret, backup_code_hashes=list(self.backup_code_hashes)
        )

    def _hashes(self, codes: list[str]) -> list[str]:
        return [self._hash(code) for code in codes]

    def _hash(self, code: str) -> str:
        # Salted with the user id so that equal codes of two users differ; codes are 8 hex chars (D23).
        return sha256(f"{self.user_id}:{code.strip().lower()}")
