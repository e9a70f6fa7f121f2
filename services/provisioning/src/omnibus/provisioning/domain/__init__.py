"""The provisioning domain: provision jobs, their task events and their saga (pure: no I/O, no framework)."""

from omnibus.provisioning.domain.errors import (
    InvalidProvisionRequest,
    NothingToRunError,
    ProvisionFinishedError,
    ProvisioningError,
    ProvisionNotFinishedError,
    ProvisionNotFoundError,
)
from omnibus.provisioning.domain.provision import (
    ALL_EVENTS,
    COMPENSATING,
    ENDED,
    FAILED,
    FAILED_IGNORED,
    FORWARD,
    RUNNING,
    SUCCESS,
    Provision,
    SagaPlan,
)
from omnibus.provisioning.domain.saga import PlanRequest, Step, Undo, plan_steps

__all__ = [
    "ALL_EVENTS",
    "COMPENSATING",
    "ENDED",
    "FAILED",
    "FAILED_IGNORED",
    "FORWARD",
    "RUNNING",
    "SUCCESS",
    "InvalidProvisionRequest",
    "NothingToRunError",
    "PlanRequest",
    "Provision",
    "ProvisionFinishedError",
    "ProvisionNotFinishedError",
    "ProvisionNotFoundError",
    "ProvisioningError",
    "SagaPlan",
    "Step",
    "Undo",
    "plan_steps",
]
