"""Dependencies of the provisioning API: the application, the read model and the request's context."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection

from omnibus.provisioning.application import ProvisioningApp
from omnibus.provisioning.jobs import JobRequests


def _app(request: Request) -> ProvisioningApp:
    app: ProvisioningApp = request.app.state.provisioning_app
    return app


def _requests(request: Request) -> JobRequests:
    requests: JobRequests = request.app.state.provisioning_requests
    return requests


def _read(request: Request) -> Iterator[Connection]:
    with request.app.state.runtime.engine.connect() as conn:
        yield conn


ProvisioningAppDep = Annotated[ProvisioningApp, Depends(_app)]
JobRequestsDep = Annotated[JobRequests, Depends(_requests)]
ReadDep = Annotated[Connection, Depends(_read)]
