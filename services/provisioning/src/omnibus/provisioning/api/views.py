"""Read-model rows -> the reference product's JSON (provisioning.md §2.1, §2.2, §3)."""

from typing import Any

from omnibus.platform.http.types import iso_z


def event_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "provision_id": row["provision_id"],
        "event_number": row["event_number"],
        "event_name": row["event_name"],
        "provisioning_status": row["provisioning_status"],
        "provisioning_result_json": row["provisioning_result_json"],
        "timestamp": iso_z(row["timestamp"]),
    }


def job_view(row: dict[str, Any], events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    view = {
        "provision_id": row["provision_id"],
        "customer_id": row["customer_id"],
        "customer_name": row.get("customer_name"),
        "product_id": row["product_id"],
        "service_id": row["service_id"],
        "provisioning_play": row["provisioning_play"],
        "playbook_description": row["playbook_description"],
        "provisioning_json_vars": row["provisioning_json_vars"],
        "provisioning_status": row["provisioning_status"],
        "task_count": row["task_count"],
        "completed_tasks": row["completed_tasks"],
        "initiating_user": row["initiating_user"],
        "action": row["action"],
        "auth_method": row["auth_method"],
        "failed_task": row["failed_task"],
        "error": row["error"],
        "created": iso_z(row["created"]),
    }
    if events is not None:
        view["provisioning_result_json"] = [event_view(e) for e in events]
    return view


def saga_view(saga: dict[str, Any] | None) -> dict[str, Any] | None:
    """The job's saga [new]: its steps, where it is, each command given and what was undone."""
    if saga is None:
        return None
    return {
        "phase": saga["phase"],
        "steps": saga["steps"],
        "current_step": saga["current_step"],
        "service_uuid": saga["service_uuid"],
        "service_id": saga["service_id"],
        "failed_step": saga["failed_step"],
        "compensations": saga["compensations"],
        "commands": [
            {
                "command_id": c["command_id"],
                "step": c["step"],
                "command": f"{c['target']}.{c['name']}",
                "status": c["status"],
                "attempt": c["attempt"],
                "reason": c["reason"],
                "issued": iso_z(c["issued"]),
            }
            for c in saga["commands"]
        ],
    }
