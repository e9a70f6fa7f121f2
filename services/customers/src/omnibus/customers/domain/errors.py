"""Errors of the customers context; ``http_status`` and ``code`` tell the HTTP layer how to answer."""

from __future__ import annotations


class CustomersError(Exception):
    http_status = 400
    code = "customers_error"


class CustomerNotFoundError(CustomersError):
    http_status = 404
    code = "customer_not_found"

    def __init__(self, customer_id: int) -> None:
        super().__init__(f"Customer {customer_id} not found")


class ContactNotFoundError(CustomersError):
    http_status = 404
    code = "contact_not_found"

    def __init__(self, contact_id: int) -> None:
        super().__init__(f"Contact {contact_id} not found")


class SiteNotFoundError(CustomersError):
    http_status = 404
    code = "site_not_found"

    def __init__(self, site_id: int) -> None:
        super().__init__(f"Site {site_id} not found")


class InvalidCustomerError(CustomersError):
    code = "invalid_customer"


class UnknownFieldError(CustomersError):
    code = "unknown_field"

    def __init__(self, names: list[str]) -> None:
        super().__init__(f"Unknown or read-only field(s): {', '.join(names)}")
        self.details = names


def check_fields(fields: dict[str, object], allowed: tuple[str, ...]) -> None:
    """Refuse any field name outside ``allowed`` (one rule for customers, contacts and sites)."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise UnknownFieldError(sorted(unknown))


class ServiceNotFoundError(CustomersError):
    http_status = 404
    code = "service_not_found"

    def __init__(self, service: int | str) -> None:
        super().__init__(f"Service {service} not found")


class ServiceUuidTakenError(CustomersError):
    http_status = 409
    code = "duplicate_service_uuid"

    def __init__(self, service_uuid: str) -> None:
        super().__init__(f"A service with service_uuid {service_uuid!r} already exists")


class InvalidServiceError(CustomersError):
    code = "invalid_service"


class InvalidStatusTransitionError(CustomersError):
    http_status = 409
    code = "invalid_status_transition"


class AttributeNotFoundError(CustomersError):
    http_status = 404
    code = "attribute_not_found"

    def __init__(self, attribute_id: int) -> None:
        super().__init__(f"Attribute {attribute_id} not found")


class AttributeNameTakenError(CustomersError):
    http_status = 409
    code = "duplicate_attribute_name"

    def __init__(self, customer_id: int, attribute_name: str) -> None:
        super().__init__(f"Customer {customer_id} already has an attribute named {attribute_name!r}")


class TagNotFoundError(CustomersError):
    http_status = 404
    code = "tag_not_found"

    def __init__(self, tag_id: int) -> None:
        super().__init__(f"Tag {tag_id} not found")


class InvalidTagError(CustomersError):
    code = "invalid_tag"


class CommunicationNotFoundError(CustomersError):
    http_status = 404
    code = "communication_not_found"

    def __init__(self, communication_id: int) -> None:
        super().__init__(f"Communication {communication_id} not found")


class InvalidCommunicationError(CustomersError):
    code = "invalid_communication"


class CommunicationStateError(CustomersError):
    http_status = 409
    code = "communication_state"
