"""Omnibus published language: integration events, the message envelope, routing keys and the route table."""

from omnibus.contracts.base import IntegrationEvent, Money
from omnibus.contracts.envelope import Actor, Envelope
from omnibus.contracts.registry import REGISTRY, EventRegistry, UnknownEventTypeError
from omnibus.contracts.routes import ROUTES, Route, service_for_path

__all__ = [
    "REGISTRY",
    "ROUTES",
    "Actor",
    "Envelope",
    "EventRegistry",
    "IntegrationEvent",
    "Money",
    "Route",
    "UnknownEventTypeError",
    "service_for_path",
]
