"""Dependencies of the cell broadcast API: the application, the approvals, the read model."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection

from omnibus.cbc.application import CbcApp
from omnibus.cbc.approvals import Approvals


def _app(request: Request) -> CbcApp:
    app: CbcApp = request.app.state.cbc_app
    return app


def _approvals(request: Request) -> Approvals:
    approvals: Approvals = request.app.state.cbc_approvals
    return approvals


def _read(request: Request) -> Iterator[Connection]:
    with request.app.state.runtime.engine.connect() as conn:
        yield conn


CbcAppDep = Annotated[CbcApp, Depends(_app)]
ApprovalsDep = Annotated[Approvals, Depends(_approvals)]
ReadDep = Annotated[Connection, Depends(_read)]
