"""Two-person approval with a fresh second factor (D110; cbc.md §4.1, §9): refused for the initiator, without a
factor, with an expired one or another user's; with identity's real step-up and TOTP codes."""

import time

import jwt
import pytest

from omnibus.cbc.settings import CbcSettings
from omnibus.identity.domain.totp import totp

AUTHOR, APPROVER, OTHER = 11, 22, 33


def _approve(api, cbc_message_id: int, headers: dict[str, str], body=None):
    return api.client.post(f"/crm/cbc/{cbc_message_id}/approve", json=body, headers=headers)


def test_a_second_user_with_a_fresh_step_up_approves_and_the_message_is_sent(api_on_each_store) -> None:
    api = api_on_each_store
    created = api.create()

    response = api.approve(created["cbc_message_id"])

    record = response.json()
    assert response.status_code == 200, response.text
    assert (record["approving_user"], record["status"]) == (APPROVER, "sent")
    assert record["approved_at"] is not None and record["sent_at"] is not None
    assert [b["message_reference"] for b in api.standin.broadcasts()] == [record["message_reference"]]


def test_the_initiating_user_cannot_approve_their_own_message(api) -> None:
    created = api.create(sub=AUTHOR)

    response = _approve(api, created["cbc_message_id"], api.approver(AUTHOR))

    assert (response.status_code, response.json()["code"]) == (403, "self_approval")
    assert api.get(created["cbc_message_id"])["status"] == "pending_approval"
    assert api.history(created["cbc_message_id"]) == ["CbcMessageCreated"] and api.standin.broadcasts() == []


@pytest.mark.parametrize("factor", ["missing", "expired", "another user's", "an access token", "forged"])
def test_approval_without_a_fresh_second_factor_of_the_approver_is_401(api, factor: str) -> None:
    created = api.create()
    headers = api.auth("approve_cbc_message", sub=APPROVER)
    token = {
        "missing": None,
        "expired": api.step_up(APPROVER, seconds=300, age=301),
        "another user's": api.step_up(OTHER),
        "an access token": api.token("approve_cbc_message", sub=APPROVER),
        "forged": jwt.encode({"sub": str(APPROVER), "token_type": "step_up", "exp": time.time() + 60}, "x" * 32),
    }[factor]

    response = _approve(api, created["cbc_message_id"], headers | ({"X-Step-Up-Token": token} if token else {}))

    assert response.status_code == 401, response.text
    assert api.get(created["cbc_message_id"])["status"] == "pending_approval"
    assert api.standin.broadcasts() == []


def test_an_api_key_holding_the_permission_still_cannot_approve(api) -> None:
    created = api.create()

    headers = {"X-API-KEY": api.cbe_key, "X-Step-Up-Token": api.step_up(0)}  # a key with approve_cbc_message

    response = _approve(api, created["cbc_message_id"], headers)

    assert (response.status_code, response.json()["code"]) == (403, "approval_refused")


def test_an_impersonating_admin_cannot_approve(api) -> None:
    created = api.create()
    headers = api.auth("approve_cbc_message", sub=APPROVER, impersonating_user_id=1) | {
        "X-Step-Up-Token": api.step_up(APPROVER)
    }

    response = _approve(api, created["cbc_message_id"], headers)

    assert (response.status_code, response.json()["code"]) == (403, "approval_refused")


def test_approving_a_message_that_is_not_pending_is_409(api) -> None:
    created = api.create()
    api.approve(created["cbc_message_id"])

    again = api.approve(created["cbc_message_id"], OTHER)
    unknown = api.approve(999_999)

    assert (again.status_code, again.json()["code"]) == (409, "cbc_message_state")
    assert unknown.status_code == 404
    assert len(api.standin.broadcasts()) == 1


def test_an_updated_message_needs_a_new_approval_whose_broadcast_replaces_the_first(api) -> None:
    created = api.create()
    first = api.approve(created["cbc_message_id"]).json()["message_reference"]
    api.client.patch(
        f"/crm/cbc/{created['cbc_message_id']}",
        json={"numberOfBroadcasts": 500},
        headers=api.auth("update_cbc_message"),
    )

    second = api.approve(created["cbc_message_id"], OTHER).json()

    by_reference = {b["message_reference"]: b for b in api.standin.broadcasts()}
    assert (second["status"], second["approving_user"]) == ("sent", OTHER)
    assert (
        by_reference[first]["status"] == "replaced" and by_reference[second["message_reference"]]["replaces"] == first
    )


def test_without_the_two_person_rule_the_initiator_may_approve(start_service) -> None:
    with start_service(crm_config={"cbc": {"require_two_person": False}}) as api:
        created = api.create(sub=AUTHOR)

        response = _approve(api, created["cbc_message_id"], api.approver(AUTHOR))

    assert response.status_code == 200 and response.json()["status"] == "sent"


def test_a_bad_approval_body_is_400(api) -> None:
    created = api.create()

    for body in ({"totp_code": "12"}, {"code": "123456"}, ["123456"], {"totp_code": "12 34 56"}):
        response = _approve(api, created["cbc_message_id"], api.approver(), body)
        assert response.status_code == 400, (body, response.text)


def test_with_a_slow_cbc_the_approval_answers_approved_and_the_outcome_follows(start_service) -> None:
    with start_service(cbc=CbcSettings(timeout_seconds=5, approve_wait_seconds=0.1)) as api:
        api.standin.fail_next("send", "slow", delay=0.6)
        created = api.create()

        answer = api.approve(created["cbc_message_id"]).json()
        later = api.settled(created["cbc_message_id"])

    assert answer["status"] == "approved" and later["status"] == "sent"


class TestWithIdentity:
    """identity runs beside cbc: real logins, TOTP enrolment, ``POST /2fa/step-up`` and its events."""

    @pytest.fixture
    def crm(self, start_service):
        with start_service(with_identity=True) as api:
            identity = next(r for r in api.runtimes if r.name == "identity")
            identity.app.create_user(
                {"username": "root", "email": "root@example.com"}, "root-password-1", ["Admin"], send_welcome=False
            )
            api.admin = self._login(api, "root@example.com", "root-password-1")
            yield api

    def _login(self, api, email: str, password: str) -> dict[str, str]:
        response = api.client.post("/crm/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def _user(self, api, name: str, *, enrol: bool = True) -> tuple[int, dict[str, str], str | None]:
        body = {"username": name, "email": f"{name}@example.com", "password": "user-password-1", "role": "Admin"}
        user = api.client.post("/auth/users", json=body, headers=api.admin).json()
        bearer = self._login(api, body["email"], body["password"])
        if not enrol:
            return user["id"], bearer, None
        secret = api.client.post(
            f"/2fa/enable/user/{user['id']}", json={"password": body["password"]}, headers=bearer
        ).json()["totp_secret"]
        confirm = api.client.post(
            f"/2fa/verify-setup/user/{user['id']}", json={"code": totp(secret, time.time())}, headers=bearer
        )
        assert confirm.status_code == 200, confirm.text
        return user["id"], bearer, secret

    def _message(self, api, bearer: dict[str, str], a_message) -> int:
        response = api.client.put("/crm/cbc/", json=a_message(), headers=bearer)
        assert response.status_code == 200, response.text
        return int(response.json()["cbc_message_id"])

    def test_a_step_up_token_from_identity_approves(self, crm, a_message) -> None:
        _, author, _ = self._user(crm, "author")
        _, approver, secret = self._user(crm, "approver")
        message_id = self._message(crm, author, a_message)
        assert secret is not None
        step_up = crm.client.post("/2fa/step-up", json={"code": _next_code(secret)}, headers=approver)

        response = _approve(crm, message_id, approver | {"X-Step-Up-Token": step_up.json()["step_up_token"]})

        assert response.status_code == 200, response.text
        assert response.json()["status"] == "sent"

    def test_the_reference_body_totp_code_is_checked_by_identity(self, crm, a_message) -> None:
        _, author, _ = self._user(crm, "author")
        approver_id, approver, secret = self._user(crm, "approver")
        message_id = self._message(crm, author, a_message)
        assert secret is not None

        wrong = _approve(crm, message_id, approver, {"totp_code": "000000"})
        right = _approve(crm, message_id, approver, {"totp_code": _next_code(secret)})
        history = crm.client.get(f"/crm/cbc/{message_id}/history", headers=approver).json()

        assert wrong.status_code == 401, wrong.text
        assert right.status_code == 200, right.text
        assert (right.json()["status"], right.json()["approving_user"]) == ("sent", approver_id)
        assert history[1]["details"]["second_factor"] == "totp_code"

    def test_an_approver_without_2fa_is_403(self, crm, a_message) -> None:
        _, author, _ = self._user(crm, "author")
        _, approver, _ = self._user(crm, "plain", enrol=False)
        message_id = self._message(crm, author, a_message)

        response = _approve(crm, message_id, approver, {"totp_code": "123456"})

        assert (response.status_code, response.json()["code"]) == (403, "approval_refused")

    def test_a_step_up_from_before_an_admin_reset_of_2fa_no_longer_counts(self, crm, a_message) -> None:
        _, author, _ = self._user(crm, "author")
        approver_id, approver, secret = self._user(crm, "approver")
        message_id = self._message(crm, author, a_message)
        assert secret is not None
        step_up = crm.client.post("/2fa/step-up", json={"code": _next_code(secret)}, headers=approver).json()
        crm.client.post(f"/2fa/admin/disable/user/{approver_id}", headers=crm.admin)

        def refused():
            response = _approve(crm, message_id, approver | {"X-Step-Up-Token": step_up["step_up_token"]})
            assert response.status_code == 403, response.text
            return response

        from omnibus.testing.helpers import eventually

        assert "reset" in eventually(refused, timeout=15).json()["message"]
        assert crm.get(message_id)["status"] == "pending_approval"


def _next_code(secret: str) -> str:
    """The code of the next 30-second step: the enrolment used the current one, and a step counts only once."""
    return totp(secret, time.time() + 30)
