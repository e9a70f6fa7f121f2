"""The ``ocs_accounts`` read model: which accounts exist and in what state (the reconciler's work list)."""

from collections.abc import Callable
from typing import Any

from omnibus.charging_gateway.domain import OcsAccount
from omnibus.charging_gateway.readmodel.tables import ocs_accounts
from omnibus.platform.eventstore import topics_of
from omnibus.platform.projections import Projection
from omnibus.platform.readmodels import Rows


def _created(e: Any, rows: Rows) -> None:
    status = "disabled" if e.disabled else "active"
    existing = rows(ocs_accounts).get(e.service_uuid)
    created = existing["created"] if existing else e.timestamp
    row = {"service_uuid": e.service_uuid, "tenant": e.tenant, "status": status}
    rows(ocs_accounts).put({**row, "created": created, "last_modified": e.timestamp})


def _status(status: str) -> Callable[[Any, Rows], None]:
    def apply(e: Any, rows: Rows) -> None:
        rows(ocs_accounts).update(e.service_uuid, status=status, last_modified=e.timestamp)

    return apply


HANDLERS: dict[type, Callable[[Any, Rows], None]] = {
    OcsAccount.Created: _created,
    OcsAccount.Reopened: _created,
    OcsAccount.Disabled: _status("disabled"),
    OcsAccount.Enabled: _status("active"),
    OcsAccount.Removed: _status("removed"),
}


class AccountDirectoryProjection(Projection):
    name = "ocs_accounts"
    tables = (ocs_accounts,)
    topics = topics_of(*HANDLERS)

    def apply(self, event: Any, rows: Rows) -> None:
        handler = HANDLERS.get(type(event))
        if handler is not None:
            handler(event, rows)
