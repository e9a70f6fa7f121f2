"""Provision jobs over HTTP with real ansible-runner runs of the test plays (provisioning.md §3, §4.2, §4.3)."""

import json
from typing import Any

from omnibus.testing.helpers import eventually


def test_a_job_answers_at_once_with_status_1_and_ends_successful(api: Any) -> None:
    response = api.request("PUT", "/crm/provision/", json={"customer_id": 123, "provisioning_play": "play_ok"})

    assert response.status_code == 200
    assert response.json()["provisioning_status"] == 1
    job = api.finished(response.json()["provision_id"])
    assert job["provisioning_status"] == 0
    assert job["playbook_description"] == "Test play that succeeds"
    assert job["task_count"] == 3
    assert job["completed_tasks"] == 3
    assert job["initiating_user"] == api.user_id
    assert job["auth_method"] == "jwt"


def test_each_task_is_an_event_with_its_status_and_result(api: Any) -> None:
    provision_id = api.provision({"customer_id": 5, "provisioning_play": "play_ok"})

    events = api.finished(provision_id)["provisioning_result_json"]

    assert [(e["event_number"], e["event_name"], e["provisioning_status"]) for e in events] == [
        (1, "Echo the variables", 0),
        (2, "Optional step that fails", 3),
        (3, "Last step", 0),
    ]
    first = json.loads(events[0]["provisioning_result_json"])
    assert first["msg"].startswith("customer 5 product none SIM none")
    assert json.loads(events[1]["provisioning_result_json"])["msg"] == "SMS gateway unreachable"


def test_the_job_token_never_appears_in_events_or_stored_vars(api: Any) -> None:
    provision_id = api.provision({"customer_id": 5, "provisioning_play": "play_ok", "password": "hunter2-secret"})

    job = api.finished(provision_id)

    echoed = json.loads(job["provisioning_result_json"][0]["provisioning_result_json"])["msg"]
    assert echoed.endswith("token ********")
    stored = json.loads(job["provisioning_json_vars"])
    assert stored["access_token"] == "********"
    assert stored["password"] == "********"
    assert "hunter2-secret" not in json.dumps(job)


def test_a_critical_failure_fails_the_job_with_the_task_and_a_redacted_reason(api: Any) -> None:
    provision_id = api.provision({"customer_id": 5, "provisioning_play": "play_fail"})

    job = api.finished(provision_id)

    assert job["provisioning_status"] == 2
    assert job["failed_task"] == "Create OCS account"
    assert job["error"] == "OCS refused the account (token ********)"
    assert [e["provisioning_status"] for e in job["provisioning_result_json"]] == [0, 2]


def test_vars_merge_product_then_request_then_system(api_factory: Any) -> None:
    with api_factory(with_customers=True) as api:  # a standalone product: its saga asks customers to activate
        api.directory.products[42] = {
            "product_id": 42,
            "category": "standalone",
            "provisioning_play": "play_ok",
            "provisioning_json_vars": '{"monthly_cost": 50, "data_gb": 100, "customer_id": 1}',
            "inventory_items_list": "[]",
        }

        provision_id = api.provision({"product_id": 42, "customer_id": 456, "monthly_cost": 45})

        job = api.finished(provision_id)
    stored = json.loads(job["provisioning_json_vars"])
    assert (stored["monthly_cost"], stored["data_gb"], stored["customer_id"], stored["product_id"]) == (
        45,
        100,
        456,
        42,
    )
    assert stored["initiating_user"] == api.user_id
    assert stored["service_uuid"].startswith("Service_")
    assert job["provisioning_play"] == "play_ok"
    assert "monthly 45" in job["provisioning_result_json"][0]["provisioning_result_json"]
    assert [c["command"] for c in job["saga"]["commands"]] == ["customers.ActivateProvisionedService"]


def test_bad_requests_are_400_and_start_nothing(api: Any) -> None:
    api.directory.products[42] = {
        "product_id": 42,
        "provisioning_play": "play_ok",
        "inventory_items_list": ["SIM Card"],
    }
    user = api.auth("create_provision", "view_provision")
    bad = [
        {"customer_id": 1},  # no play
        {"customer_id": 1, "provisioning_play": "../../etc/passwd"},
        {"customer_id": 1, "provisioning_play": "play_missing"},
        {"provisioning_play": "play_ok"},  # no customer
        {"customer_id": "one", "provisioning_play": "play_ok"},
        {"customer_id": 1, "provisioning_play": "play_ok", "action": "delete"},
        {"customer_id": 1, "provisioning_play": "play_ok", "action": "deprovision"},  # no service_id
        {"customer_id": 1, "product_id": 42},  # the SIM Card pick is missing
        {"customer_id": 1, "product_id": 42, "SIM Card": 1, "provisioning_play": "play_fail"},  # not its play
    ]

    answers = [api.request("PUT", "/crm/provision/", json=body, headers=user) for body in bad]

    assert [a.status_code for a in answers] == [400] * len(bad), [a.text for a in answers]
    assert api.request("PUT", "/crm/provision/", json=[1, 2]).status_code == 400
    assert api.request("GET", "/crm/provision/").json()["pagination"]["total_items"] == 0


def test_an_unknown_product_or_service_is_404(api: Any) -> None:
    assert api.request("PUT", "/crm/provision/", json={"customer_id": 1, "product_id": 9}).status_code == 404
    body = {"service_id": 77, "action": "deprovision", "provisioning_play": "play_ok"}
    assert api.request("PUT", "/crm/provision/", json=body).status_code == 404


def test_deprovision_runs_the_service_deprovisioning_play_for_its_customer(api: Any) -> None:
    api.directory.services[123] = {
        "service_id": 123,
        "customer_id": 9,
        "product_id": 42,
        "provisioning_play": "play_fail",
        "deprovisioning_play": "play_ok",
    }
    api.directory.products[42] = {"product_id": 42, "provisioning_play": "play_fail"}

    body = {"service_id": 123, "service_uuid": "Service_abc123", "action": "deprovision"}
    job = api.finished(api.provision(body))

    assert (job["customer_id"], job["service_id"], job["action"], job["provisioning_play"]) == (
        9,
        123,
        "deprovision",
        "play_ok",
    )
    assert job["provisioning_status"] == 0


def test_simple_provision_is_for_machines_and_marks_the_kind(api: Any) -> None:
    api.directory.services[5] = {"service_id": 5, "customer_id": 3, "product_id": 8}
    api.directory.products[8] = {"product_id": 8, "provisioning_play": "play_ok", "category": "addon"}
    path = "/crm/provision/simple_provision_addon_recharge/service_id/5/product_id/8"

    as_user = api.request("POST", path, headers=api.auth("create_provision"))
    as_key = api.request("POST", path, headers={"X-API-KEY": api.machine_key})

    assert as_user.status_code == 403
    assert as_key.status_code == 200, as_key.text
    job = api.finished(as_key.json()["provision_id"])
    assert json.loads(job["provisioning_json_vars"])["simple_provision"] == "addon_recharge"
    assert (job["auth_method"], job["customer_id"], job["service_id"]) == ("api_key", 3, 5)


def test_self_care_users_see_and_start_only_their_own_jobs(api: Any) -> None:
    mine = api.provision({"customer_id": 10, "provisioning_play": "play_ok"})
    theirs = api.provision({"customer_id": 11, "provisioning_play": "play_ok"})
    own = api.auth("view_own_provision", "create_own_provision", customer_id=10)

    listed = api.request("GET", "/crm/provision/", headers=own).json()["data"]
    other = api.request("GET", f"/crm/provision/provision_id/{theirs}", headers=own)
    started = api.request(
        "PUT", "/crm/provision/", json={"customer_id": 11, "provisioning_play": "play_ok"}, headers=own
    )

    assert [j["provision_id"] for j in listed] == [mine]
    assert other.status_code == 404
    assert started.status_code == 404
    assert api.request("GET", f"/crm/provision/provision_id/{mine}", headers=own).status_code == 200


def test_every_endpoint_checks_permissions(api: Any) -> None:
    nobody = api.auth("view_customer")
    calls = [
        ("PUT", "/crm/provision/"),
        ("GET", "/crm/provision/"),
        ("GET", "/crm/provision/provision_id/1"),
        ("GET", "/crm/provision/provision_id/1/stream"),
        ("POST", "/crm/provision/provision_id/1/cancel"),
        ("POST", "/crm/provision/provision_id/1/retry"),
        ("GET", "/crm/provision_event/provision_id/1"),
        ("POST", "/crm/provision/simple_provision_addon/service_id/1/product_id/1"),
    ]

    assert [api.request(m, p, headers=nobody, json={}).status_code for m, p in calls] == [403] * len(calls)
    assert [api.request(m, p, headers={}, json={}).status_code for m, p in calls] == [401] * len(calls)


def test_the_list_filters_searches_and_pages(api: Any) -> None:
    ok = api.provision({"customer_id": 1, "provisioning_play": "play_ok"})
    failed = api.provision({"customer_id": 1, "provisioning_play": "play_fail"})
    api.finished(ok), api.finished(failed)

    by_status = api.request("GET", "/crm/provision/", params={"filters": '{"provisioning_status":[2]}'}).json()
    by_search = api.request("GET", "/crm/provision/", params={"search": "play_o", "per_page": 1}).json()
    bad_filter = api.request("GET", "/crm/provision/", params={"filters": '{"password":[1]}'})

    assert [j["provision_id"] for j in by_status["data"]] == [failed]
    assert [j["provision_id"] for j in by_search["data"]] == [ok]
    assert by_search["pagination"]["total_items"] == 1
    assert bad_filter.status_code == 400


def test_task_events_are_listed_on_their_own(api: Any) -> None:
    provision_id = api.provision({"customer_id": 1, "provisioning_play": "play_ok"})
    api.finished(provision_id)

    events = api.request("GET", f"/crm/provision_event/provision_id/{provision_id}").json()

    assert [e["event_number"] for e in events] == [1, 2, 3]


def test_a_running_task_is_visible_with_status_1_and_the_job_can_be_cancelled(api: Any) -> None:
    provision_id = api.provision({"customer_id": 1, "provisioning_play": "play_slow"})

    def running() -> None:
        events = api.job(provision_id)["provisioning_result_json"]
        assert [(e["event_name"], e["provisioning_status"]) for e in events] == [("Wait a long time", 1)]

    eventually(running, timeout=20)
    response = api.request("POST", f"/crm/provision/provision_id/{provision_id}/cancel")

    assert response.status_code == 200
    job = api.finished(provision_id)
    assert (job["provisioning_status"], job["error"]) == (2, "cancelled")
    assert job["saga"]["compensations"] == [{"action": "deprovision_play", "outcome": "completed", "reason": None}]
    assert job["provisioning_result_json"][-1]["event_name"] == "Roll back"  # the play's deprovision path ran
    assert api.request("POST", f"/crm/provision/provision_id/{provision_id}/cancel").status_code == 409


def test_the_stream_sends_task_and_job_events_until_the_end(api: Any) -> None:
    provision_id = api.provision({"customer_id": 1, "provisioning_play": "play_ok"})

    with api.client.stream("GET", f"/crm/provision/provision_id/{provision_id}/stream", headers=api.auth("admin")) as r:
        body = "".join(r.iter_text())

    assert r.headers["content-type"].startswith("text/event-stream")
    kinds = [line.removeprefix("event: ") for line in body.splitlines() if line.startswith("event: ")]
    assert kinds[-1] == "job" and "task" in kinds
    last = json.loads([line for line in body.splitlines() if line.startswith("data: ")][-1].removeprefix("data: "))
    assert (last["provisioning_status"], last["completed_tasks"]) == (0, 3)


def test_a_job_past_its_timeout_is_stopped_and_fails(api_factory: Any) -> None:
    with api_factory(timeout_minutes=1 / 60) as api:  # one second
        provision_id = api.provision({"customer_id": 1, "provisioning_play": "play_slow"})

        job = api.finished(provision_id, timeout=30)

    assert (job["provisioning_status"], job["error"]) == (2, "timed out after 1 s")


def test_the_runner_keeps_to_its_concurrency_limit(api_factory: Any) -> None:
    with api_factory(max_parallel_jobs=1) as api:
        first = api.provision({"customer_id": 1, "provisioning_play": "play_slow"})
        second = api.provision({"customer_id": 1, "provisioning_play": "play_ok"})
        eventually(lambda: _assert_task_running(api.job(first)), timeout=20)

        waiting = api.job(second)
        api.request("POST", f"/crm/provision/provision_id/{first}/cancel")
        done = api.finished(second)

    assert waiting["provisioning_result_json"] == [] and waiting["provisioning_status"] == 1
    assert done["provisioning_status"] == 0


def _assert_task_running(job: dict[str, Any]) -> None:
    assert [e["provisioning_status"] for e in job["provisioning_result_json"]] == [1]


def test_a_retry_is_a_new_job_with_the_same_play_and_vars(api: Any) -> None:
    failed = api.provision({"customer_id": 4, "provisioning_play": "play_fail", "monthly_cost": 9})
    first = api.finished(failed)

    response = api.request("POST", f"/crm/provision/provision_id/{failed}/retry", headers=api.auth("admin", sub=8))

    assert response.status_code == 200
    retried = api.finished(response.json()["provision_id"])
    assert retried["provision_id"] != failed
    assert (retried["provisioning_play"], retried["customer_id"]) == ("play_fail", 4)
    assert json.loads(retried["provisioning_json_vars"]) == json.loads(first["provisioning_json_vars"]) | {
        "initiating_user": 8
    }
    assert retried["initiating_user"] == 8
    slow = api.provision({"customer_id": 4, "provisioning_play": "play_slow"})
    assert api.request("POST", f"/crm/provision/provision_id/{slow}/retry").status_code == 409
