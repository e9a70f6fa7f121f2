"""Dependencies of the billing API: the application, read-model connections, the PDF renderer."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine

from omnibus.billing.application import BillingApp


def _app(request: Request) -> BillingApp:
    app: BillingApp = request.app.state.billing_app
    return app


def _read(request: Request) -> Iterator[Connection]:
    with request.app.state.runtime.engine.connect() as conn:
        yield conn


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.runtime.engine
    return engine


BillingAppDep = Annotated[BillingApp, Depends(_app)]
ReadDep = Annotated[Connection, Depends(_read)]
EngineDep = Annotated[Engine, Depends(_engine)]
