"""The catalog application: use cases on products, inventory templates and items (commands and reads by id).

Uniqueness (product slug, template name, an item's ``itemtext1`` within its template) is enforced by
``UniqueKey`` aggregates saved with their owner; reservations by ``Reservation`` aggregates keyed by job id.
"""

from __future__ import annotations

import contextvars
import random
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, StoredEvent

from omnibus.catalog.bulk import insert_stored_events
from omnibus.catalog.domain import (
    AlreadyAssignedError,
    CatalogError,
    DuplicateError,
    ImportNotFoundError,
    InUseError,
    InventoryImport,
    InventoryItem,
    InventoryTemplate,
    ItemNotFoundError,
    NoStockError,
    Product,
    ProductNotFoundError,
    Reservation,
    TemplateNotFoundError,
    UniqueKey,
)
from omnibus.catalog.secrets import SecretBox
from omnibus.platform.eventstore import NAMESPACE, ServiceApplication, aggregate_uuid, retry_on_conflict

T = TypeVar("T")
SECRET_FIELDS = ("management_password",)


class StockIndex(Protocol):
    """What the application asks the read model (a port; the read model answers from projected rows)."""

    def available_ids(self, item: str, location: str | None, limit: int, exclude: set[int]) -> list[int]: ...

    def existing_keys(self, inventory_template_id: int, values: Sequence[str]) -> set[str]: ...


def key_uuid(kind: str, value: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"key:{kind}:{value}")


def item_key_kind(inventory_template_id: int) -> str:
    return f"item:{inventory_template_id}"


class CatalogApp(ServiceApplication):
    """Products, inventory templates, inventory items, reservations and imports."""

    name = "catalog"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        box: SecretBox,
        service_types: Sequence[str] = (),
        stock: StockIndex | None = None,
    ) -> None:
        super().__init__(env)
        self.box = box
        self.service_types = tuple(service_types)
        self.stock = stock

    # --- products ---

    def create_product(self, fields: dict[str, Any], source_product_id: int | None = None) -> Product:
        self._check_service_type(fields.get("service_type"))
        product_id = self.ids.next("product_id")
        product = Product(
            id=aggregate_uuid("product", product_id),
            product_id=product_id,
            fields=fields,
            source_product_id=source_product_id,
        )
        key = self._claim("product-slug", product.product_slug, product_id, "product_slug")
        self._save_unique(f"product_slug {product.product_slug!r} is taken", product, key)
        return product

    def clone_product(self, product_id: int) -> Product:
        source = self.get_product(product_id)
        return self.create_product(source.clone_fields(), source_product_id=product_id)

    def update_product(self, product_id: int, changes: dict[str, Any]) -> Product:
        if "service_type" in changes:
            self._check_service_type(changes["service_type"])

        def command() -> Product:
            product = self.get_product(product_id)
            old_slug = product.product_slug
            product.update(changes)
            touched: list[Any] = [product]
            if product.product_slug != old_slug:
                touched.append(self._claim("product-slug", product.product_slug, product_id, "product_slug"))
                touched.append(self._release("product-slug", old_slug, product_id))
            self._save_unique(f"product_slug {product.product_slug!r} is taken", *touched)
            return product

        return retry_on_conflict(command)

    def delete_product(self, product_id: int, *, services_using: int = 0) -> None:
        if services_using:
            self.get_product(product_id)
            raise InUseError(
                f"Product {product_id} is used by {services_using} service(s); disable it (enabled: false) instead"
            )

        def command() -> None:
            product = self.get_product(product_id)
            product.delete()
            self.save(product, self._release("product-slug", product.product_slug, product_id))

        retry_on_conflict(command)

    def get_product(self, product_id: int) -> Product:
        product = self._get(aggregate_uuid("product", product_id), Product, ProductNotFoundError(product_id))
        if product.deleted:
            raise ProductNotFoundError(product_id)
        return product

    def _check_service_type(self, service_type: Any) -> None:
        if service_type is not None and self.service_types and service_type not in self.service_types:
            raise CatalogError(
                f"unknown service_type {service_type!r}; configured: {', '.join(self.service_types)}",
                {"field": "service_type"},
            )

    # --- inventory templates ---

    def define_template(self, fields: dict[str, Any]) -> InventoryTemplate:
        template_id = self.ids.next("inventory_template_id")
        template = InventoryTemplate(
            id=aggregate_uuid("inventory_template", template_id), inventory_template_id=template_id, fields=fields
        )
        key = self._claim("template-name", template.item, template_id, "item")
        self._save_unique(f"an inventory template named {template.item!r} exists", template, key)
        return template

    def update_template(self, template_id: int, changes: dict[str, Any], *, has_items: bool) -> InventoryTemplate:
        """Change a template; its name is fixed once items use it (items carry the name, §2.4)."""

        def command() -> InventoryTemplate:
            template = self.get_template(template_id)
            old_name = template.item
            if has_items and changes.get("item", old_name) != old_name:
                raise InUseError(f"Inventory template {template_id} has items; its name cannot change")
            template.update(changes)
            touched: list[Any] = [template]
            if template.item != old_name:
                touched.append(self._claim("template-name", template.item, template_id, "item"))
                touched.append(self._release("template-name", old_name, template_id))
            self._save_unique(f"an inventory template named {template.item!r} exists", *touched)
            return template

        return retry_on_conflict(command)

    def delete_template(self, template_id: int, *, has_items: bool) -> None:
        if has_items:
            raise InUseError(f"Inventory template {template_id} has items; delete or move them first")

        def command() -> None:
            template = self.get_template(template_id)
            template.delete()
            self.save(template, self._release("template-name", template.item, template_id))

        retry_on_conflict(command)

    def get_template(self, template_id: int) -> InventoryTemplate:
        template = self._get(
            aggregate_uuid("inventory_template", template_id), InventoryTemplate, TemplateNotFoundError(template_id)
        )
        if template.deleted:
            raise TemplateNotFoundError(template_id)
        return template

    # --- inventory items ---

    def create_item(self, template_id: int, fields: dict[str, Any]) -> InventoryItem:
        template = self.get_template(template_id)
        item = self._new_item(template, fields)
        touched: list[Any] = [item]
        if item.itemtext1:
            touched.append(self._claim(item_key_kind(template_id), item.itemtext1, item.inventory_id, "itemtext1"))
        self._save_unique(f"a {template.item} with itemtext1 {item.itemtext1!r} exists", *touched)
        return item

    def _new_item(
        self, template: InventoryTemplate, fields: dict[str, Any], inventory_id: int | None = None
    ) -> InventoryItem:
        values = {
            "wholesale_cost": template.wholesale_cost,
            "retail_cost": template.retail_cost,
            **{k: v for k, v in fields.items() if v is not None or k not in ("wholesale_cost", "retail_cost")},
        }
        inventory_id = inventory_id or self.ids.next("inventory_id")
        return InventoryItem(
            id=aggregate_uuid("inventory", inventory_id),
            inventory_id=inventory_id,
            inventory_template_id=template.inventory_template_id,
            item=template.item,
            fields=self._seal(values, template.secret_slots()),
        )

    def patch_item(
        self, inventory_id: int, body: dict[str, Any], *, force: bool = False, now: datetime | None = None
    ) -> InventoryItem:
        """The reference product's PATCH: field writes, assignment, release and state changes (§3, §4.3)."""
        changes = dict(body)
        state = changes.pop("item_state", None)
        reason = changes.pop("reason", None)
        owner = {k: changes.pop(k) for k in ("customer_id", "service_id") if k in changes}
        wants_assignment = state == "Assigned"
        sold_date = changes.pop("sold_date", None) if wants_assignment else None
        sold_date = sold_date or now or datetime.now(UTC)

        def command() -> InventoryItem:
            item = self.get_item(inventory_id)
            template = self.get_template(item.inventory_template_id)
            old_key = item.itemtext1
            if wants_assignment:
                customer_id = owner.get("customer_id", item.customer_id)
                if customer_id is None:
                    raise CatalogError("assigning an item needs customer_id", {"field": "customer_id"})
                item.assign(
                    customer_id=customer_id,
                    service_id=owner.get("service_id", item.service_id),
                    sold_date=sold_date,
                    force=force,
                )
            else:
                if any(v is not None for v in owner.values()):
                    same = all(getattr(item, k) == v for k, v in owner.items())
                    if item.item_state == "Assigned" and not same:
                        raise AlreadyAssignedError(f"Inventory item {inventory_id} is assigned to another service")
                    if item.item_state != "Assigned":
                        raise CatalogError("customer_id and service_id are set with item_state Assigned")
                if state is not None:
                    item.change_state(state, reason=reason, force=force)
                elif owner and item.item_state == "Assigned":
                    raise CatalogError("releasing an item needs the new item_state (In Stock, Used, ...)")
            item.update(self._seal(changes, template.secret_slots()))
            touched: list[Any] = [item]
            if item.itemtext1 != old_key:
                kind = item_key_kind(item.inventory_template_id)
                if item.itemtext1:
                    touched.append(self._claim(kind, item.itemtext1, inventory_id, "itemtext1"))
                if old_key:
                    touched.append(self._release(kind, old_key, inventory_id))
            self._save_unique(f"a {item.item} with itemtext1 {item.itemtext1!r} exists", *touched)
            return item

        return retry_on_conflict(command)

    def delete_item(self, inventory_id: int) -> None:
        def command() -> None:
            item = self.get_item(inventory_id)
            item.delete()
            touched: list[Any] = [item]
            if item.itemtext1:
                touched.append(self._release(item_key_kind(item.inventory_template_id), item.itemtext1, inventory_id))
            self.save(*touched)

        retry_on_conflict(command)

    def get_item(self, inventory_id: int) -> InventoryItem:
        item = self._get(aggregate_uuid("inventory", inventory_id), InventoryItem, ItemNotFoundError(inventory_id))
        if item.deleted:
            raise ItemNotFoundError(inventory_id)
        return item

    def reveal(self, stored: str | None) -> str | None:
        return self.box.decrypt(stored)

    def _seal(self, fields: dict[str, Any], secret_slots: set[int]) -> dict[str, Any]:
        secret = {*SECRET_FIELDS, *(f"itemtext{n}" for n in secret_slots)}
        return {k: (self.box.encrypt(v) if k in secret else v) for k, v in fields.items()}

    # --- reservation for provisioning (idempotent by job id) ---

    def reserve(
        self, job_id: str, item_type: str, *, inventory_id: int | None = None, location: str | None = None
    ) -> InventoryItem:
        """Hold one available item of ``item_type`` for ``job_id`` (or exactly ``inventory_id``).

        A repeated call with the same job and type answers the same item. Two jobs never hold the same item: an
        item's reservation is an event on it, and concurrent reservations conflict on its version.
        """
        held = self._held(job_id, item_type)
        if held is not None:
            return held
        if inventory_id is not None:
            found = retry_on_conflict(lambda: self._try_reserve(job_id, item_type, inventory_id))
            if found is None:
                raise NoStockError(f"Inventory item {inventory_id} is not available")
            return found
        if self.stock is None:
            raise CatalogError("reservation by type needs the stock index")
        tried: set[int] = set()
        while True:
            candidates = self.stock.available_ids(item_type, location, 50, tried)
            if not candidates:
                raise NoStockError(f"No {item_type} available" + (f" at {location}" if location else ""))
            random.shuffle(candidates)  # spread concurrent jobs over the stock instead of all racing for one item
            for candidate in candidates:
                tried.add(candidate)
                found = retry_on_conflict(lambda c=candidate: self._try_reserve(job_id, item_type, c))  # type: ignore[misc]
                if found is not None:
                    return found

    def _held(self, job_id: str, item_type: str) -> InventoryItem | None:
        reservation = self._find(_reservation_id(job_id, item_type), Reservation)
        if reservation is not None and reservation.active and reservation.inventory_id is not None:
            return self.get_item(reservation.inventory_id)
        return None

    def _try_reserve(self, job_id: str, item_type: str, inventory_id: int) -> InventoryItem | None:
        """One attempt: None when the item is not available (taken meanwhile, wrong type, deleted).

        The job's reservation record is loaded once: if another delivery of the same job saves first, this save
        conflicts on the record's version and the retry answers that delivery's item.
        """
        reservation = self._find(_reservation_id(job_id, item_type), Reservation)
        if reservation is not None and reservation.active and reservation.inventory_id is not None:
            return self.get_item(reservation.inventory_id)
        try:
            item = self.get_item(inventory_id)
        except ItemNotFoundError:
            return None
        if item.item != item_type:
            raise CatalogError(f"Inventory item {inventory_id} is a {item.item}, not a {item_type}")
        try:
            item.reserve(job_id)
        except NoStockError:
            return None
        if reservation is None:
            reservation = Reservation(id=_reservation_id(job_id, item_type), job_id=job_id, item=item_type)
        reservation.hold(inventory_id)
        self.save(item, reservation)
        return item

    def reserve_or_refuse(
        self, job_id: str, item_type: str, *, inventory_id: int | None = None, location: str | None = None
    ) -> InventoryItem | None:
        """The bus command: reserve, or record the refusal (published as the command's answer). Idempotent."""
        try:
            return self.reserve(job_id, item_type, inventory_id=inventory_id, location=location)
        except CatalogError as refusal:
            self.refuse_reservation(job_id, item_type, str(refusal))
        return None

    def refuse_reservation(self, job_id: str, item_type: str, reason: str) -> None:
        """Record that a job's reserve could not be met (published as ``InventoryReservationFailed``)."""

        def command() -> None:
            reservation = self._find(_reservation_id(job_id, item_type), Reservation)
            if reservation is None:
                reservation = Reservation(id=_reservation_id(job_id, item_type), job_id=job_id, item=item_type)
            reservation.refuse(reason)
            self.save(reservation)

        retry_on_conflict(command)

    def release_reservation(self, job_id: str, inventory_id: int) -> InventoryItem:
        """Give the item back to stock (a failed or cancelled job); a no-op when the job does not hold it."""

        def command() -> InventoryItem:
            item = self.get_item(inventory_id)
            if item.release_reservation(job_id):
                touched: list[Any] = [item]
                reservation = self._find(_reservation_id(job_id, item.item), Reservation)
                if reservation is not None:
                    reservation.end("released")
                    touched.append(reservation)
                self.save(*touched)
            return item

        return retry_on_conflict(command)

    def assign_reserved(
        self, job_id: str, inventory_id: int, *, customer_id: int, service_id: int | None, now: datetime | None = None
    ) -> InventoryItem:
        """Confirm a job's reservation: the item becomes Assigned to the customer's service (idempotent)."""

        def command() -> InventoryItem:
            item = self.get_item(inventory_id)
            item.assign(
                customer_id=customer_id, service_id=service_id, sold_date=now or datetime.now(UTC), job_id=job_id
            )
            touched: list[Any] = [item]
            reservation = self._find(_reservation_id(job_id, item.item), Reservation)
            if reservation is not None and reservation.active:
                reservation.end("assigned")
                touched.append(reservation)
            self.save(*touched)
            return item

        return retry_on_conflict(command)

    def return_assigned(self, job_id: str, inventory_id: int, to_state: str = "In Stock") -> bool:
        """Compensation of a job's assignment: the item goes back to stock; a no-op (False) when the job did not
        assign it."""

        def command() -> bool:
            item = self.get_item(inventory_id)
            returned = item.return_to_stock(job_id, to_state)
            if returned:
                self.save(item)
            return returned

        return retry_on_conflict(command)

    # --- bulk import ---

    def begin_import(self, template_id: int, total_lines: int, source_format: str) -> InventoryImport:
        self.get_template(template_id)
        import_id = self.ids.next("inventory_import_id")
        job = InventoryImport(
            id=aggregate_uuid("inventory_import", import_id),
            import_id=import_id,
            inventory_template_id=template_id,
            total_lines=total_lines,
            source_format=source_format,
        )
        self.save(job)
        return job

    def import_batches(
        self, import_id: int, batches: Iterable[tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]]
    ) -> None:
        """Store validated lines batch by batch, each batch with the import's progress in one save.

        ``batches`` yields (good lines as ``(line number, fields)``, rejected lines with reasons). Lines whose
        ``itemtext1`` already exists are skipped, so a re-import changes nothing. While one batch is being saved
        the next is prepared (the database round trip overlaps the encoding work).

        Batches go straight to the event store as stored events (``bulk.insert_stored_events``: COPY on
        PostgreSQL, under the recorder's table lock): the group-commit path of ``save`` serves many small
        concurrent commands and costs several times more per event for batches of thousands. Relays and
        projections notice the new events from the change feed (or their one-second poll).
        """
        job = self.get_import(import_id)
        template = self.get_template(job.inventory_template_id)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"import-{import_id}") as saver:
            pending: Future[InventoryImport] | None = None
            for good, rejected in batches:
                prepared = self._prepare_batch(template, good)
                if pending is not None:
                    job = pending.result()
                context = contextvars.copy_context()  # the progress events carry the request's actor too
                pending = saver.submit(context.run, self._store_batch, job, prepared, len(good), rejected)
            if pending is not None:
                pending.result()

    def _prepare_batch(
        self, template: InventoryTemplate, lines: Sequence[tuple[int, dict[str, Any]]]
    ) -> list[tuple[StoredEvent, StoredEvent]]:
        """The stored creation events (item, unique key) of the lines whose key does not exist yet."""
        template_id = template.inventory_template_id
        kind = item_key_kind(template_id)
        known = self.stock.existing_keys(template_id, [f["itemtext1"] for _, f in lines]) if self.stock else set()
        new = [f for _, f in lines if f["itemtext1"] not in known]
        secret_slots = template.secret_slots()
        defaults = {"wholesale_cost": template.wholesale_cost, "retail_cost": template.retail_cost}
        events = []
        for inventory_id, fields in zip(self.ids.next_many("inventory_id", len(new)), new, strict=True):
            item = InventoryItem.creation_event(
                id=aggregate_uuid("inventory", inventory_id),
                inventory_id=inventory_id,
                inventory_template_id=template_id,
                item=template.item,
                fields=self._seal({**defaults, **fields}, secret_slots),
            )
            key = UniqueKey.claim_event(
                id=key_uuid(kind, fields["itemtext1"]), kind=kind, value=fields["itemtext1"], owner=inventory_id
            )
            events.append((self.mapper.to_stored_event(item), self.mapper.to_stored_event(key)))
        return events

    def _store_batch(
        self,
        job: InventoryImport,
        events: list[tuple[StoredEvent, StoredEvent]],
        good: int,
        rejected: list[dict[str, Any]],
    ) -> InventoryImport:
        processed = good + len(rejected)
        job.progress(processed=processed, imported=len(events), skipped=good - len(events), rejected=rejected)
        progress = [self.mapper.to_stored_event(e) for e in job.collect_events()]
        try:
            insert_stored_events(self.store, [e for pair in events for e in pair] + progress)
            return job
        except IntegrityError:  # a key was taken meanwhile: store line by line, skipping the taken ones
            pass
        imported = 0
        for pair in events:
            try:
                insert_stored_events(self.store, list(pair))
                imported += 1
            except IntegrityError:
                continue
        job = self.get_import(job.import_id)
        job.progress(processed=processed, imported=imported, skipped=good - imported, rejected=rejected)
        self.save(job)
        return job

    def finish_import(self, import_id: int, error: str | None = None) -> InventoryImport:
        def command() -> InventoryImport:
            job = self.get_import(import_id)
            job.finish(error)
            self.save(job)
            return job

        return retry_on_conflict(command)

    def get_import(self, import_id: int) -> InventoryImport:
        return self._get(aggregate_uuid("inventory_import", import_id), InventoryImport, ImportNotFoundError(import_id))

    # --- helpers ---

    def _claim(self, kind: str, value: str, owner: int, field: str) -> UniqueKey:
        key = self._find(key_uuid(kind, value), UniqueKey)
        if key is None:
            return UniqueKey(id=key_uuid(kind, value), kind=kind, value=value, owner=owner)
        if not key.claim(owner):
            raise DuplicateError(f"{field} {value!r} is already used", {"field": field})
        return key

    def _release(self, kind: str, value: str, owner: int) -> UniqueKey:
        key = self._find(key_uuid(kind, value), UniqueKey)
        if key is None:  # not expected: every owner claims its key; recreate it released
            key = UniqueKey(id=key_uuid(kind, value), kind=kind, value=value, owner=owner)
        key.release(owner)
        return key

    def _save_unique(self, message: str, *aggregates: Any) -> None:
        """Save; a new key created concurrently by another command is a duplicate (409), not a retry."""
        try:
            self.save(*aggregates)
        except IntegrityError:
            for aggregate in aggregates:
                if isinstance(aggregate, UniqueKey) and aggregate.version == 1:
                    if self._find(aggregate.id, UniqueKey) is not None:
                        raise DuplicateError(message) from None
            raise

    def _find(self, aggregate_id: uuid.UUID, kind: type[T]) -> T | None:
        try:
            found = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, kind) else None

    def _get(self, aggregate_id: uuid.UUID, kind: type[T], missing: Exception) -> T:
        found = self._find(aggregate_id, kind)
        if found is None:
            raise missing
        return found


def _reservation_id(job_id: str, item_type: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"reservation:{job_id}:{item_type}")
