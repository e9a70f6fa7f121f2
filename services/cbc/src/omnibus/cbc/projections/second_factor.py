"""When identity last cleared each user's second factor (cbc.md §9: identity ``TwoFactorDisabledByAdmin``): an
approver's step-up proven before that moment no longer counts, until they enrol again and prove it anew."""

from omnibus.cbc.readmodel.queries import utc
from omnibus.cbc.readmodel.tables import second_factor_resets
from omnibus.contracts.identity import TwoFactorDisabledByAdmin
from omnibus.platform.consumers import BusProjection, ReceivedEvent
from omnibus.platform.readmodels import Rows


class SecondFactorResets(BusProjection):
    name = "second_factor_resets"
    tables = (second_factor_resets,)
    handles = (TwoFactorDisabledByAdmin,)

    def apply(self, event: ReceivedEvent, rows: Rows) -> None:
        user_id = event.payload.user_id  # type: ignore[attr-defined]
        at = event.envelope.occurred_at
        known = rows(second_factor_resets).get(user_id)
        if known is None or utc(known["disabled_at"]) < at:
            rows(second_factor_resets).put({"user_id": user_id, "disabled_at": at})
