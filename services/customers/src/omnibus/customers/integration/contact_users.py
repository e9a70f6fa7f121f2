"""Identity's self-care users bound to contacts (customers.md §9, D34): a ``UserCreated`` that names a contact of
the user's customer sets that contact's ``user_id`` ("Login as User" shows only then). Idempotent by state: a
contact already bound to that user records nothing; a contact of another customer, or gone, is left alone."""

import logging

from omnibus.contracts.identity import UserCreated
from omnibus.customers.application import CustomersApp
from omnibus.customers.domain import ContactNotFoundError
from omnibus.platform.consumers import Reaction, ReceivedEvent

log = logging.getLogger(__name__)


class ContactUsers(Reaction):
    name = "contact_users"
    handles = (UserCreated,)

    def __init__(self, app: CustomersApp) -> None:
        self.app = app

    def react(self, event: ReceivedEvent) -> None:
        user = event.payload
        assert isinstance(user, UserCreated)
        if user.contact_id is None or user.customer_id is None:
            return
        try:
            contact = self.app.get_contact(user.contact_id)
        except ContactNotFoundError:
            log.info("user %d names contact %d, which does not exist", user.user_id, user.contact_id)
            return
        if contact.customer_id != user.customer_id:
            log.warning("user %d names contact %d of another customer: not bound", user.user_id, user.contact_id)
            return
        if contact.user_id != user.user_id:
            self.app.update_contact(user.contact_id, {"user_id": user.user_id})
