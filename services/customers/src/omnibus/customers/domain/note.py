"""A manual note in a customer's activity log (customers.md §2.7, D49): written by staff, never changed."""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event


class Note(Aggregate):
    """Random aggregate id: a note has no public integer id; its log entry is keyed by the event id."""

    class Added(Aggregate.Created):
        customer_id: int
        note: str

    @event(Added)
    def __init__(self, customer_id: int, note: str) -> None:
        self.customer_id = customer_id
        self.note = note
