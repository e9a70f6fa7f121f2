"""Base class of every public (integration) event payload."""

from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, PlainSerializer

# Money travels as a decimal string (api-conventions.md §9).
Money = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json")]


class IntegrationEvent(BaseModel):
    """A fact one context publishes for the others.

    Subclasses set ``context`` (the owning bounded context), ``name`` (PascalCase, past tense, the spec's name)
    and ``version``. The wire type is ``<context>.<name>.v<version>`` and the routing key ``<context>.<name>``.
    Readers are tolerant (unknown fields are ignored); changes are additive; a breaking change is a new class
    with a higher ``version``.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    context: ClassVar[str]
    name: ClassVar[str]
    version: ClassVar[int] = 1
    aggregate_type: ClassVar[str]

    @classmethod
    def event_type(cls) -> str:
        """The versioned wire type, e.g. ``customers.CustomerCreated.v1``."""
        return f"{cls.context}.{cls.name}.v{cls.version}"

    @classmethod
    def routing_key(cls) -> str:
        """The routing key on the ``omnibus.events`` exchange, e.g. ``customers.CustomerCreated``."""
        return f"{cls.context}.{cls.name}"
