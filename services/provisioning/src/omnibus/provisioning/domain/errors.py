"""Errors of the provisioning context; ``http_status`` and ``code`` tell the HTTP layer how to answer."""

from __future__ import annotations


class ProvisioningError(Exception):
    http_status = 400
    code = "provisioning_error"


class ProvisionNotFoundError(ProvisioningError):
    http_status = 404
    code = "provision_not_found"

    def __init__(self, provision_id: int) -> None:
        super().__init__(f"Provision {provision_id} not found")


class InvalidProvisionRequest(ProvisioningError):
    """400: the request cannot start a job (unknown play, missing inventory, add-on without a service, ...)."""

    code = "invalid_provision_request"


class ProvisionFinishedError(ProvisioningError):
    """409: the job has already ended."""

    http_status = 409
    code = "provision_finished"

    def __init__(self, provision_id: int) -> None:
        super().__init__(f"Provision {provision_id} has already finished")


class ProvisionNotFinishedError(ProvisioningError):
    """409: the job is still running."""

    http_status = 409
    code = "provision_running"

    def __init__(self, provision_id: int) -> None:
        super().__init__(f"Provision {provision_id} is still running")


class NothingToRunError(ProvisioningError):
    """409: the job has no play waiting for a runner (it waits for a command, or its play already runs)."""

    http_status = 409
    code = "nothing_to_run"

    def __init__(self, provision_id: int) -> None:
        super().__init__(f"Provision {provision_id} has no play waiting to run")
