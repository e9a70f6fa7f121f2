"""The D67 failure notice is built from ``ProvisionFailed`` alone (the seam for the shared Mailjet adapter)."""

from omnibus.contracts import provisioning as p
from omnibus.provisioning.integration.failure_notice import failure_notice

FAILED = p.ProvisionFailed(
    provision_id=456,
    customer_id=123,
    failed_task="Create the subscriber in the HSS",
    error="Status code was -1: connection refused",
    failed_step="run_playbook",
    provisioning_play="play_local_mobile_sim",
    product_id=42,
    compensations=[p.Compensation(action="release_inventory", outcome="completed")],
)


def test_the_notice_names_the_job_play_customer_task_error_and_what_was_undone() -> None:
    notice = failure_notice(FAILED, ["ops@example.com", " ops@example.com", "admin@example.com"], "John Smith")

    assert notice is not None
    assert notice.recipients == ("ops@example.com", "admin@example.com")
    assert notice.subject == "Provisioning failed: job 456 (play_local_mobile_sim) for John Smith (123)"
    for text in ("Create the subscriber in the HSS", "connection refused", "release_inventory: completed"):
        assert text in notice.text


def test_nobody_on_the_failure_list_means_no_notice() -> None:
    assert failure_notice(FAILED, []) is None
