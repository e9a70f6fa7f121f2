"""Delivery to the CBC in the workers (cbc.md §4.1 step 5, §7; D112): retries never duplicate a broadcast, refusals
and outages end in send_failed, cancellation reaches the CBC, and every step is in the history."""

from omnibus.cbc.settings import CbcSettings
from omnibus.testing.helpers import eventually

FAST = {"timeout_seconds": 0.5, "retry_backoff_seconds": 0.05, "max_attempts": 3, "approve_wait_seconds": 5}


def _sends(api) -> int:
    return sum(1 for operation, _ in api.standin.requests if operation == "send")


def test_a_delivery_retried_after_a_timeout_is_broadcast_once(api_on_each_store) -> None:
    api = api_on_each_store
    api.standin.fail_next("send", "slow", delay=1.0)  # the CBC takes it, but answers after the 0.5 s timeout
    created = api.create()

    api.approve(created["cbc_message_id"])
    message = api.settled(created["cbc_message_id"])

    assert message["status"] == "sent" and message["delivery_attempts"] == 2
    assert [b["message_reference"] for b in api.standin.broadcasts()] == [message["message_reference"]]
    assert _sends(api) == 1  # the retry asked first and found it
    assert api.history(created["cbc_message_id"]) == [
        "CbcMessageCreated",
        "CbcMessageApproved",
        "CbcSubmissionAttempted",
        "CbcSubmissionAttemptFailed",
        "CbcSubmissionAttempted",
        "CbcMessageSubmittedToCbc",
    ]


def test_without_a_status_path_the_retry_relies_on_the_cbc_deduplicating_the_reference(start_service) -> None:
    with start_service(cbc=CbcSettings(**FAST, api_paths='{"status": null}')) as api:
        api.standin.fail_next("send", "slow", delay=1.0)
        created = api.create()

        api.approve(created["cbc_message_id"])
        message = api.settled(created["cbc_message_id"])
        broadcasts = api.standin.broadcasts()

    assert message["status"] == "sent" and message["cbc_response"]["duplicate"] is True
    assert len(broadcasts) == 1 and _sends(api) == 2


def test_a_cbc_error_is_retried_with_the_same_reference(api) -> None:
    api.standin.fail_next("send", "error", status=503)
    created = api.create()

    api.approve(created["cbc_message_id"])
    message = api.settled(created["cbc_message_id"])

    assert (message["status"], message["delivery_attempts"], message["last_error"]) == ("sent", 2, None)
    assert len(api.standin.broadcasts()) == 1


def test_a_refusal_is_send_failed_at_once_and_a_retry_sends_it(api) -> None:
    api.standin.fail_next("send", "error", status=400)
    created = api.create()

    answer = api.approve(created["cbc_message_id"]).json()
    retried = api.client.post(f"/crm/cbc/{created['cbc_message_id']}/retry", headers=api.auth("approve_cbc_message"))
    message = api.settled(created["cbc_message_id"])

    assert (answer["status"], answer["delivery_attempts"]) == ("send_failed", 1)
    assert "refused it (HTTP 400)" in answer["last_error"]
    assert retried.status_code == 200 and message["status"] == "sent"
    assert message["message_reference"] == answer["message_reference"] and len(api.standin.broadcasts()) == 1


def test_a_cbc_that_never_answers_ends_in_send_failed_after_the_last_attempt(api) -> None:
    api.standin.fail_next("send", "error", status=502, times=3)
    created = api.create()

    api.approve(created["cbc_message_id"])
    message = api.settled(created["cbc_message_id"])

    assert (message["status"], message["delivery_attempts"]) == ("send_failed", 3)
    assert "gave up after 3 attempts" in message["last_error"] and api.standin.broadcasts() == []


def test_an_unreachable_cbc_is_retried_then_send_failed(start_service) -> None:
    with start_service(cbc=CbcSettings(**FAST, url="http://127.0.0.1:9")) as api:
        created = api.create()

        api.approve(created["cbc_message_id"])
        message = api.settled(created["cbc_message_id"])

    assert message["status"] == "send_failed" and "could not be reached" in message["last_error"]


def test_retry_is_409_when_nothing_failed(api) -> None:
    created = api.create()

    response = api.client.post(f"/crm/cbc/{created['cbc_message_id']}/retry", headers=api.auth("approve_cbc_message"))

    assert (response.status_code, response.json()["code"]) == (409, "cbc_message_state")


def test_cancelling_a_sent_message_cancels_the_broadcast_at_the_cbc(api_on_each_store) -> None:
    api = api_on_each_store
    created = api.create()
    api.approve(created["cbc_message_id"])

    deleted = api.client.delete(f"/crm/cbc/{created['cbc_message_id']}", headers=api.auth("delete_cbc_message"))
    message = api.settled(created["cbc_message_id"])

    assert deleted.status_code == 200 and deleted.json()["status"] == "cancelled"
    assert (message["status"], message["cancel_status"]) == ("cancelled", "delivered")
    assert [b["status"] for b in api.standin.broadcasts()] == ["cancelled"]
    assert api.history(created["cbc_message_id"])[-2:] == ["CbcMessageCancelled", "CbcCancelDelivered"]


def test_cancelling_a_pending_message_sends_nothing_to_the_cbc(api) -> None:
    created = api.create()

    api.client.delete(f"/crm/cbc/{created['cbc_message_id']}", headers=api.auth("delete_cbc_message"))

    assert api.get(created["cbc_message_id"])["cancel_status"] is None and api.standin.requests == []


def test_without_a_cancel_path_the_cancel_is_local_and_reported_not_delivered(start_service) -> None:
    with start_service(cbc=CbcSettings(**FAST, api_paths='{"cancel": null}')) as api:
        created = api.create()
        api.approve(created["cbc_message_id"])

        api.client.delete(f"/crm/cbc/{created['cbc_message_id']}", headers=api.auth("delete_cbc_message"))
        message = api.settled(created["cbc_message_id"])
        broadcasts = api.standin.broadcasts()

    assert (message["status"], message["cancel_status"]) == ("cancelled", "not_delivered")
    assert "no cancel path is configured" in message["last_error"]
    assert [b["status"] for b in broadcasts] == ["active"]


def test_a_cancel_the_cbc_did_not_get_is_retried_on_request(api) -> None:
    created = api.create()
    api.approve(created["cbc_message_id"])
    api.standin.fail_next("cancel", "error", status=503, times=3)

    api.client.delete(f"/crm/cbc/{created['cbc_message_id']}", headers=api.auth("delete_cbc_message"))
    failed = api.settled(created["cbc_message_id"])
    api.client.post(f"/crm/cbc/{created['cbc_message_id']}/retry", headers=api.auth("approve_cbc_message"))
    message = api.settled(created["cbc_message_id"])

    assert failed["cancel_status"] == "not_delivered" and "gave up after 3 attempts" in failed["last_error"]
    assert message["cancel_status"] == "delivered" and [b["status"] for b in api.standin.broadcasts()] == ["cancelled"]


def test_cancelling_during_a_delivery_cancels_what_reached_the_cbc(start_service) -> None:
    with start_service(cbc=CbcSettings(**FAST | {"timeout_seconds": 5, "approve_wait_seconds": 0})) as api:
        api.standin.fail_next("send", "slow", delay=0.5)
        created = api.create()
        api.approve(created["cbc_message_id"])
        eventually(lambda: _assert(api.standin.requests != []))

        api.client.delete(f"/crm/cbc/{created['cbc_message_id']}", headers=api.auth("delete_cbc_message"))
        message = api.settled(created["cbc_message_id"])
        broadcasts = api.standin.broadcasts()

    assert (message["status"], message["cancel_status"]) == ("cancelled", "delivered")
    assert [b["status"] for b in broadcasts] == ["cancelled"]


def test_a_delivery_interrupted_by_a_restart_is_finished_once_by_the_next_run(start_service, tmp_path) -> None:
    slow = CbcSettings(**FAST | {"retry_backoff_seconds": 1.0, "approve_wait_seconds": 0})
    with start_service(cbc=slow) as api:
        api.standin.fail_next("send", "slow", delay=1.0)  # taken by the CBC; the answer is lost
        created = api.create()
        api.approve(created["cbc_message_id"])
        eventually(lambda: _assert(api.get(created["cbc_message_id"])["last_error"] is not None))
    # stopped with the retry still due

    with start_service(cbc=slow) as api:
        message = api.settled(created["cbc_message_id"])
        broadcasts = api.standin.broadcasts()
        asked = [operation for operation, _ in api.standin.requests]

    assert message["status"] == "sent" and len(broadcasts) == 1
    assert asked == ["status"]  # the next run asked the CBC, found the broadcast, and sent nothing
    assert (tmp_path / "cbc-standin.json").exists()  # the stand-in kept its broadcasts across the restart


def test_the_cbc_gets_each_text_with_its_encoding_and_page_count(api, a_message) -> None:
    body = a_message(
        localized_messages=[
            {"language": "en", "messageBody": "a" * 94},
            {"language": "zh", "messageBody": "地震警报"},
        ]
    )
    created = api.create(body)

    api.approve(created["cbc_message_id"])

    request = api.standin.broadcasts()[0]["request"]
    assert [(m["language"], m["encoding"], m["pages"]) for m in request["localized_messages"]] == [
        ("en", "GSM7", 2),
        ("zh", "UCS2", 1),
    ]
    assert request["messageIdentifier"] == "4380" and request["tracking_areas"] == body["tracking_areas"]


def _assert(condition: bool) -> None:
    assert condition
