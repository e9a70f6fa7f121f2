"""The approval of a message (D110; cbc.md §4.1 step 4): a second user, with a fresh second factor.

The approver proves the second factor with identity's step-up token (``X-Step-Up-Token``, from
``POST /2fa/step-up``), or sends the code itself as ``{"totp_code"}`` (the reference product's body), which is
exchanged for a step-up token at identity with the approver's own credentials, so identity alone checks codes
(and throttles them). The token must be the approver's, unexpired, and newer than any reset of their 2FA by an
admin (identity's ``TwoFactorDisabledByAdmin``, cbc.md §9). The checks that need no code come first, so a code is
not spent on a message that cannot be approved.

The approval is recorded; the delivery happens in the workers. The answer waits (at most
``cbc.approve_wait_seconds``) for its outcome, so it usually says ``sent`` or ``send_failed`` as the reference
product's does; a slow CBC leaves it ``approved`` and the outcome follows (``GET /crm/cbc/{id}``).
"""

import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from omnibus.cbc.application import CbcApp
from omnibus.cbc.domain import APPROVED, ApprovalRefusedError, CbcMessage
from omnibus.cbc.readmodel.queries import get_row, second_factor_reset_at
from omnibus.platform.auth import AuthenticationError
from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.auth.principal import Principal
from omnibus.platform.peers import Peers, PeerUnavailable

STEP_UP_PATH = "/2fa/step-up"
POLL_INTERVAL = 0.02


class SecondFactorUnavailable(Exception):
    """502: identity could not check the code."""

    http_status = 502
    code = "identity_unavailable"


class TooManyCodes(Exception):
    http_status = 429
    code = "too_many_attempts"


class Approvals:
    def __init__(self, app: CbcApp, engine: Engine, peers: Peers, wait_seconds: float) -> None:
        self.app = app
        self.engine = engine
        self.peers = peers
        self.wait_seconds = wait_seconds

    async def approve(
        self,
        cbc_message_id: int,
        principal: Principal,
        authenticator: Authenticator,
        *,
        step_up_token: str | None,
        totp_code: str | None,
        caller_headers: Mapping[str, str],
    ) -> CbcMessage:
        user_id = _approver(principal)
        message = await asyncio.to_thread(self.app.get_message, cbc_message_id)
        message.check_approvable(user_id, two_person=self.app.two_person)
        if step_up_token is None and totp_code is not None:
            step_up_token, how = await self._exchange(totp_code, caller_headers, principal.client_ip), "totp_code"
        elif step_up_token is not None:
            how = "step_up_token"
        else:
            raise AuthenticationError(
                "A fresh second factor is required: send X-Step-Up-Token (from POST /2fa/step-up) or totp_code"
            )
        proven_at = await asyncio.to_thread(self._proven_at, authenticator, step_up_token, user_id)
        message = await asyncio.to_thread(
            self.app.approve_message, cbc_message_id, user_id, second_factor=how, second_factor_at=proven_at
        )
        return await self._outcome(message)

    def _proven_at(self, authenticator: Authenticator, token: str, user_id: int) -> datetime:
        claims = authenticator.verify_step_up(token, user_id)
        proven_at = datetime.fromtimestamp(int(claims.get("auth_time") or claims["iat"]), UTC)
        with self.engine.connect() as conn:
            reset_at = second_factor_reset_at(conn, user_id)
        if reset_at is not None and reset_at >= proven_at:
            raise ApprovalRefusedError(
                "Your two-factor authentication was reset by an admin after this step-up: enrol again and confirm anew"
            )
        return proven_at

    async def _exchange(self, code: str, caller_headers: Mapping[str, str], client_ip: str | None) -> str:
        """The approver's code -> identity's step-up token, asked with the approver's own credentials."""
        try:
            response = await self.peers.post(STEP_UP_PATH, caller_headers, {"code": code}, client_ip)
        except PeerUnavailable as error:
            raise SecondFactorUnavailable(f"identity could not check the code: {error}") from None
        body = _json(response)
        message = str(body.get("message") or f"HTTP {response.status_code}")
        if response.status_code == 200 and isinstance(body.get("step_up_token"), str):
            return str(body["step_up_token"])
        if response.status_code == 401 and "not enabled" in message:
            raise ApprovalRefusedError("Approvers need two-factor authentication: enrol first (POST /2fa/setup)")
        if response.status_code == 401:
            raise AuthenticationError(f"Second factor refused: {message}")
        if response.status_code == 429:
            raise TooManyCodes(message)
        raise SecondFactorUnavailable(f"identity could not check the code: {message}")

    async def _outcome(self, message: CbcMessage) -> CbcMessage:
        """The message once the CBC answered, or as it is when the wait ends."""
        deadline = time.monotonic() + self.wait_seconds
        reference = message.message_reference
        while time.monotonic() < deadline:
            row = await asyncio.to_thread(self._row, message.cbc_message_id)
            if row is not None and row["message_reference"] == reference and row["status"] != APPROVED:
                break  # (a row of another reference: the read model has not caught up with the approval yet)
            await asyncio.sleep(POLL_INTERVAL)
        else:
            return message
        return await asyncio.to_thread(self.app.get_message, message.cbc_message_id)

    def _row(self, cbc_message_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            return get_row(conn, cbc_message_id)


def _approver(principal: Principal) -> int:
    if principal.user_id is None:
        raise ApprovalRefusedError("Approval needs a user who confirms with their second factor, not an API key")
    if principal.impersonating_user_id is not None:
        raise ApprovalRefusedError("A message cannot be approved while impersonating another user")
    return principal.user_id


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
