"""Composition root of the customers service: builds everything from settings; nothing happens at import."""

from omnibus.customers.api.routes import activity, attributes, contacts, customers, search, services, sites, tags
from omnibus.customers.api.service_schemas import DEFAULT_SERVICE_TYPES
from omnibus.customers.application import CustomersApp
from omnibus.customers.demo import seed_demo_customers
from omnibus.customers.integration.commands import command_consumer
from omnibus.customers.integration.dunning import DunningReaction
from omnibus.customers.integration.outbound import OUTBOUND
from omnibus.customers.projections.activity_log import ActivityLogProjection
from omnibus.customers.projections.customer_directory import CustomerDirectoryProjection
from omnibus.customers.projections.search_index import SearchIndexProjection
from omnibus.customers.readmodel.tables import metadata
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.readmodels import create_read_engine
from omnibus.platform.service import Infrastructure, ServiceDefinition, ServiceParts, ServiceRuntime
from omnibus.platform.settings import ServiceSettings


def build(settings: ServiceSettings, infra: Infrastructure) -> ServiceRuntime:
    app = CustomersApp(env=eventstore_env(settings, CustomersApp.name))
    parts = ServiceParts(
        routers=(
            customers.router,
            contacts.router,
            sites.router,
            services.router,
            attributes.router,
            tags.router,
            search.router,
            activity.router,
        ),
        app=app,
        outbound=OUTBOUND,
        projections=(CustomerDirectoryProjection(), SearchIndexProjection(), ActivityLogProjection()),
        reactions=(DunningReaction(app),),
        commands=command_consumer(app),
        metadata=(metadata,),
        state={"customers_app": app, "service_types": _service_types(infra)},
        seed_demo_data=lambda: seed_demo_customers(app),
    )
    return ServiceRuntime("customers", settings, infra, create_read_engine(settings), parts)


def _service_types(infra: Infrastructure) -> tuple[str, ...]:
    """crm_config.yaml ``service_types`` (a list), else the documented union (D52)."""
    configured = infra.authenticator.config.raw.get("service_types")
    return tuple(str(t) for t in configured) if isinstance(configured, list) and configured else DEFAULT_SERVICE_TYPES


definition = ServiceDefinition(name="customers", build=build)
