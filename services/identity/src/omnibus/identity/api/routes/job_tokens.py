"""Job tokens for provisioning's plays (D65): ``POST /crm/auth/job_token`` with a client assertion."""

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from omnibus.identity.job_tokens import JobTokenDesk

router = APIRouter(tags=["authentication"])


class JobTokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assertion: str = Field(min_length=1, max_length=20_000, description="The client's signed request (a JWT)")


@router.post("/crm/auth/job_token")
def issue_job_token(body: JobTokenBody, request: Request) -> dict[str, Any]:
    """[new] A job token for a provisioning play: the client (provisioning) proves itself with an assertion signed by
    its own key; the token is signed by identity, so every service accepts it."""
    desk: JobTokenDesk = request.app.state.job_token_desk
    return desk.issue(body.assertion)
