"""InventoryImport: one bulk import of items and its progress (catalog.md §4.2; the issue's bulk import).

Each batch of new items is saved together with the import's progress event, so the report always matches what
was stored. Details of rejected lines are kept up to ``MAX_REJECTED_DETAILS``; the counts are always complete.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

MAX_REJECTED_DETAILS = 1000


class InventoryImport(Aggregate):
    id: UUID  # given by the application: derived from the public integer id

    class Started(Aggregate.Created):
        import_id: int
        inventory_template_id: int
        total_lines: int
        source_format: str

    class Progressed(Aggregate.Event):
        processed: int
        imported: int
        skipped: int
        rejected_count: int
        rejected: list[dict[str, Any]]  # [{line, errors}], the first MAX_REJECTED_DETAILS of the import

    class Finished(Aggregate.Event):
        status: str  # "completed" or "failed"
        error: str | None

    @event(Started)
    def __init__(self, import_id: int, inventory_template_id: int, total_lines: int, source_format: str) -> None:
        self.import_id = import_id
        self.inventory_template_id = inventory_template_id
        self.total_lines = total_lines
        self.source_format = source_format
        self.status = "running"
        self.error: str | None = None
        self.processed = 0
        self.imported = 0
        self.skipped = 0
        self.rejected_count = 0
        self.rejected: list[dict[str, Any]] = []

    def progress(self, *, processed: int, imported: int, skipped: int, rejected: list[dict[str, Any]]) -> None:
        room = max(0, MAX_REJECTED_DETAILS - len(self.rejected))
        self._progressed(
            processed=processed,
            imported=imported,
            skipped=skipped,
            rejected_count=len(rejected),
            rejected=rejected[:room],
        )

    @event(Progressed)
    def _progressed(
        self, processed: int, imported: int, skipped: int, rejected_count: int, rejected: list[dict[str, Any]]
    ) -> None:
        self.processed += processed
        self.imported += imported
        self.skipped += skipped
        self.rejected_count += rejected_count
        self.rejected.extend(rejected)

    def finish(self, error: str | None = None) -> None:
        if self.status == "running":
            self._finished(status="failed" if error else "completed", error=error)

    @event(Finished)
    def _finished(self, status: str, error: str | None) -> None:
        self.status = status
        self.error = error
