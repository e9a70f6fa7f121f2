"""The provisioning domain: provision jobs and their task events (pure: no I/O, no framework)."""

from omnibus.provisioning.domain.errors import (
    InvalidProvisionRequest,
    ProvisionFinishedError,
    ProvisioningError,
    ProvisionNotFinishedError,
    ProvisionNotFoundError,
)
from omnibus.provisioning.domain.provision import (
    ALL_EVENTS,
    FAILED,
    FAILED_IGNORED,
    RUNNING,
    SUCCESS,
    Provision,
)

__all__ = [
    "ALL_EVENTS",
    "FAILED",
    "FAILED_IGNORED",
    "RUNNING",
    "SUCCESS",
    "InvalidProvisionRequest",
    "Provision",
    "ProvisionFinishedError",
    "ProvisionNotFinishedError",
    "ProvisionNotFoundError",
    "ProvisioningError",
]
