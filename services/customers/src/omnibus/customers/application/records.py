"""Use cases on the customer's records: customers, contacts, sites, services, attributes, tags and notes."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError

from omnibus.customers.domain import (
    Attribute,
    AttributeNotFoundError,
    Contact,
    ContactNotFoundError,
    Customer,
    CustomerNotFoundError,
    Note,
    Service,
    ServiceNotFoundError,
    Site,
    SiteNotFoundError,
    Tag,
    TagNotFoundError,
    UniqueKey,
)
from omnibus.customers.domain.errors import AttributeNameTakenError, InvalidServiceError, ServiceUuidTakenError
from omnibus.customers.domain.service import with_defaults
from omnibus.platform.eventstore import ServiceApplication, aggregate_uuid, retry_on_conflict

UNIQUE_KEYS = aggregate_uuid("unique_key", 0)  # uuid5 namespace of the UniqueKey index aggregates


class CustomerRecords(ServiceApplication):
    """Customers, their contacts, sites, services, attributes and tags."""

    def create_customer(
        self, fields: dict[str, Any], contacts: list[dict[str, Any]], sites: list[dict[str, Any]]
    ) -> tuple[Customer, list[Contact], list[Site]]:
        """Create a customer with its first contacts and sites, atomically (the UI creates all three)."""
        customer_id = self.ids.next("customer_id")
        customer = Customer(id=aggregate_uuid("customer", customer_id), customer_id=customer_id, **fields)
        new_contacts = self._new_contacts(customer_id, contacts)
        new_sites = self._new_sites(customer_id, sites)
        self.save(customer, *new_contacts, *new_sites, *self._on_customer_created(customer, new_contacts))
        return customer, new_contacts, new_sites

    def _on_customer_created(self, customer: Customer, contacts: list[Contact]) -> list[Any]:
        """What else is saved with a new customer (its welcome message)."""
        return []

    def update_customer(self, customer_id: int, changes: dict[str, Any], status: str | None = None) -> None:
        def command() -> None:
            customer = self.get_customer(customer_id)
            customer.update(changes)
            if status is not None:
                customer.change_status(status)
            self.save(customer)

        retry_on_conflict(command)

    def archive_customer(self, customer_id: int) -> None:
        """Soft delete (customers.md §3): the customer stays, with status Archived."""
        self.update_customer(customer_id, {}, status="Archived")

    def get_customer(self, customer_id: int) -> Customer:
        return self._get(aggregate_uuid("customer", customer_id), Customer, CustomerNotFoundError(customer_id))

    def add_contact(self, customer_id: int, fields: dict[str, Any]) -> Contact:
        self.get_customer(customer_id)
        (contact,) = self._new_contacts(customer_id, [fields])
        self.save(contact)
        return contact

    def update_contact(self, contact_id: int, changes: dict[str, Any]) -> None:
        def command() -> None:
            contact = self.get_contact(contact_id)
            contact.update(changes)
            self.save(contact)

        retry_on_conflict(command)

    def remove_contact(self, contact_id: int) -> None:
        def command() -> None:
            contact = self.get_contact(contact_id)
            contact.remove()
            self.save(contact)

        retry_on_conflict(command)

    def get_contact(self, contact_id: int) -> Contact:
        contact = self._get(aggregate_uuid("contact", contact_id), Contact, ContactNotFoundError(contact_id))
        if contact.removed:
            raise ContactNotFoundError(contact_id)
        return contact

    def add_site(self, customer_id: int, fields: dict[str, Any]) -> Site:
        self.get_customer(customer_id)
        (site,) = self._new_sites(customer_id, [fields])
        self.save(site)
        return site

    def update_site(self, site_id: int, changes: dict[str, Any]) -> None:
        def command() -> None:
            site = self.get_site(site_id)
            site.update(changes)
            self.save(site)

        retry_on_conflict(command)

    def remove_site(self, site_id: int) -> None:
        def command() -> None:
            site = self.get_site(site_id)
            site.remove()
            self.save(site)

        retry_on_conflict(command)

    def get_site(self, site_id: int) -> Site:
        site = self._get(aggregate_uuid("site", site_id), Site, SiteNotFoundError(site_id))
        if site.removed:
            raise SiteNotFoundError(site_id)
        return site

    def create_service(self, customer_id: int, status: str, fields: dict[str, Any]) -> Service:
        """A service record, as playbooks create it (D51); ``service_uuid`` is unique (409)."""
        self.get_customer(customer_id)
        self._check_links(customer_id, fields)

        def command() -> Service:
            service_id = self.ids.next("service_id")
            key = self._claim(f"service_uuid:{fields['service_uuid']}", service_id)
            if key is None:
                raise ServiceUuidTakenError(fields["service_uuid"])
            service = Service(
                id=aggregate_uuid("service", service_id),
                service_id=service_id,
                customer_id=customer_id,
                service_status=status,
                fields=with_defaults(fields),
            )
            self.save(service, key)
            return service

        return retry_on_conflict(command)

    def update_service(self, service_id: int, changes: dict[str, Any], status: str | None = None) -> None:
        def command() -> None:
            service = self.get_service(service_id)
            self._check_links(service.customer_id, changes)
            service.update(changes)
            if status is not None:
                service.change_status(status)
            self.save(service)

        retry_on_conflict(command)

    def delete_service(self, service_id: int) -> None:
        """Remove the record (rollback of a failed provisioning); its ``service_uuid`` may be used again."""

        def command() -> None:
            service = self.get_service(service_id)
            service.delete()
            key = self._key(f"service_uuid:{service.service_uuid}")
            if key is not None and key.owner == service_id:
                key.release()
                self.save(service, key)
            else:
                self.save(service)

        retry_on_conflict(command)

    def get_service(self, service_id: int) -> Service:
        service = self._get(aggregate_uuid("service", service_id), Service, ServiceNotFoundError(service_id))
        if service.deleted:
            raise ServiceNotFoundError(service_id)
        return service

    def get_service_by_uuid(self, service_uuid: str) -> Service:
        key = self._key(f"service_uuid:{service_uuid}")
        if key is None or key.owner is None:
            raise ServiceNotFoundError(service_uuid)
        return self.get_service(key.owner)

    def set_attribute(self, customer_id: int, name: str, value: str) -> Attribute:
        """A new attribute of a customer; the name is unique per customer (D40: duplicate -> 409)."""
        self.get_customer(customer_id)

        def command() -> Attribute:
            attribute_id = self.ids.next("attribute_id")
            key = self._claim(f"attribute:{customer_id}:{name}", attribute_id)
            if key is None:
                raise AttributeNameTakenError(customer_id, name)
            attribute = Attribute(
                id=aggregate_uuid("attribute", attribute_id),
                attribute_id=attribute_id,
                customer_id=customer_id,
                attribute_name=name,
                attribute_value=value,
            )
            self.save(attribute, key)
            return attribute

        return retry_on_conflict(command)

    def change_attribute_value(self, attribute_id: int, value: str) -> None:
        def command() -> None:
            attribute = self.get_attribute(attribute_id)
            attribute.change_value(value)
            self.save(attribute)

        retry_on_conflict(command)

    def remove_attribute(self, attribute_id: int) -> None:
        def command() -> None:
            attribute = self.get_attribute(attribute_id)
            attribute.remove()
            key = self._key(f"attribute:{attribute.customer_id}:{attribute.attribute_name}")
            if key is not None and key.owner == attribute_id:
                key.release()
                self.save(attribute, key)
            else:
                self.save(attribute)

        retry_on_conflict(command)

    def get_attribute(self, attribute_id: int) -> Attribute:
        missing = AttributeNotFoundError(attribute_id)
        attribute = self._get(aggregate_uuid("attribute", attribute_id), Attribute, missing)
        if attribute.removed:
            raise missing
        return attribute

    def add_tag(self, customer_id: int, fields: dict[str, Any]) -> Tag:
        self.get_customer(customer_id)
        tag_id = self.ids.next("tag_id")
        tag = Tag(id=aggregate_uuid("tag", tag_id), tag_id=tag_id, customer_id=customer_id, fields=fields)
        self.save(tag)
        return tag

    def update_tag(self, tag_id: int, changes: dict[str, Any]) -> None:
        def command() -> None:
            tag = self.get_tag(tag_id)
            tag.update(changes)
            self.save(tag)

        retry_on_conflict(command)

    def remove_tag(self, tag_id: int) -> None:
        def command() -> None:
            tag = self.get_tag(tag_id)
            tag.remove()
            self.save(tag)

        retry_on_conflict(command)

    def get_tag(self, tag_id: int) -> Tag:
        tag = self._get(aggregate_uuid("tag", tag_id), Tag, TagNotFoundError(tag_id))
        if tag.removed:
            raise TagNotFoundError(tag_id)
        return tag

    def add_note(self, customer_id: int, note: str) -> Note:
        """A manual entry in the customer's activity log (D49)."""
        self.get_customer(customer_id)
        entry = Note(customer_id=customer_id, note=note)
        self.save(entry)
        return entry

    def _check_links(self, customer_id: int, fields: dict[str, Any]) -> None:
        """A service's site and bundle parent must be the same customer's."""
        site_id = fields.get("site_id")
        if site_id is not None:
            try:
                site = self.get_site(site_id)
            except SiteNotFoundError:
                raise InvalidServiceError(f"site_id {site_id} does not exist") from None
            if site.customer_id != customer_id:
                raise InvalidServiceError(f"site_id {site_id} belongs to another customer")
        parent_id = fields.get("bundled_parent")
        if parent_id is not None:
            try:
                parent = self.get_service(parent_id)
            except ServiceNotFoundError:
                raise InvalidServiceError(f"bundled_parent {parent_id} does not exist") from None
            if parent.customer_id != customer_id:
                raise InvalidServiceError(f"bundled_parent {parent_id} belongs to another customer")

    def _key(self, key: str) -> UniqueKey | None:
        try:
            found: object = self.repository.get(uuid5(UNIQUE_KEYS, key))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, UniqueKey) else None

    def _claim(self, key: str, owner: int) -> UniqueKey | None:
        """The key claimed for ``owner`` (to save with it), or None when another record holds it."""
        existing = self._key(key)
        if existing is None:
            return UniqueKey(id=uuid5(UNIQUE_KEYS, key), key=key, owner=owner)
        if existing.owner is not None:
            return None
        existing.claim(owner)
        return existing

    def _new_contacts(self, customer_id: int, contacts: list[dict[str, Any]]) -> list[Contact]:
        new = []
        for fields in contacts:
            contact_id = self.ids.next("contact_id")
            new.append(
                Contact(
                    id=aggregate_uuid("contact", contact_id),
                    contact_id=contact_id,
                    customer_id=customer_id,
                    fields=fields,
                )
            )
        return new

    def _new_sites(self, customer_id: int, sites: list[dict[str, Any]]) -> list[Site]:
        new = []
        for fields in sites:
            site_id = self.ids.next("site_id")
            new.append(
                Site(id=aggregate_uuid("site", site_id), site_id=site_id, customer_id=customer_id, fields=fields)
            )
        return new

    def _get(self, aggregate_id: UUID, kind: type[Any], missing: Exception) -> Any:
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise missing from None
        if not isinstance(aggregate, kind):
            raise missing
        return aggregate
