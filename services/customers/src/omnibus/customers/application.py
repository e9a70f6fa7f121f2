"""The customers application: use cases on customers, contacts and sites (commands and reads by id)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from omnibus.customers.domain import (
    Contact,
    ContactNotFoundError,
    Customer,
    CustomerNotFoundError,
    Site,
    SiteNotFoundError,
)
from omnibus.platform.eventstore import ServiceApplication, aggregate_uuid, retry_on_conflict


class CustomersApp(ServiceApplication):
    """Customers, their contacts and sites."""

    name = "customers"

    def create_customer(
        self, fields: dict[str, Any], contacts: list[dict[str, Any]], sites: list[dict[str, Any]]
    ) -> tuple[Customer, list[Contact], list[Site]]:
        """Create a customer with its first contacts and sites, atomically (the UI creates all three)."""
        customer_id = self.ids.next("customer_id")
        customer = Customer(id=aggregate_uuid("customer", customer_id), customer_id=customer_id, **fields)
        new_contacts = self._new_contacts(customer_id, contacts)
        new_sites = self._new_sites(customer_id, sites)
        self.save(customer, *new_contacts, *new_sites)
        return customer, new_contacts, new_sites

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
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise missing from None
        if not isinstance(aggregate, kind):
            raise missing
        return aggregate
