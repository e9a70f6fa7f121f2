"""The customers application (``CustomersApp``): records, and the communications sent to customers."""

from omnibus.customers.application.communications import CustomersApp
from omnibus.customers.application.records import UNIQUE_KEYS

__all__ = ["UNIQUE_KEYS", "CustomersApp"]
