"""Dependencies of the customers API: the application and read-model connections."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection

from omnibus.customers.application import CustomersApp


def _app(request: Request) -> CustomersApp:
    app: CustomersApp = request.app.state.customers_app
    return app


def _read(request: Request) -> Iterator[Connection]:
    with request.app.state.runtime.engine.connect() as conn:
        yield conn


CustomersAppDep = Annotated[CustomersApp, Depends(_app)]
ReadDep = Annotated[Connection, Depends(_read)]
