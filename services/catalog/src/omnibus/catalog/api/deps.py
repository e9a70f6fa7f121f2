"""Dependencies of the catalog API: the application and read-model connections."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection

from omnibus.catalog.application import CatalogApp


def _app(request: Request) -> CatalogApp:
    app: CatalogApp = request.app.state.catalog_app
    return app


def _read(request: Request) -> Iterator[Connection]:
    with request.app.state.runtime.engine.connect() as conn:
        yield conn


CatalogAppDep = Annotated[CatalogApp, Depends(_app)]
ReadDep = Annotated[Connection, Depends(_read)]
