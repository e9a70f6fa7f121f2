"""Composition root of the billing service (so far: its customer directory, fed from the bus)."""

from omnibus.billing.integration.customer_directory import CustomerDirectory
from omnibus.billing.readmodel.tables import metadata
from omnibus.platform.readmodels import create_read_engine
from omnibus.platform.service import Infrastructure, ServiceDefinition, ServiceParts, ServiceRuntime
from omnibus.platform.settings import ServiceSettings


def build(settings: ServiceSettings, infra: Infrastructure) -> ServiceRuntime:
    parts = ServiceParts(bus_projections=(CustomerDirectory(),), metadata=(metadata,))
    return ServiceRuntime("billing", settings, infra, create_read_engine(settings), parts)


definition = ServiceDefinition(name="billing", build=build)
