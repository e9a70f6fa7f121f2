"""Composition root of the customers service: builds everything from settings; nothing happens at import."""

from omnibus.customers.api.routes import contacts, customers, sites
from omnibus.customers.application import CustomersApp
from omnibus.customers.demo import seed_demo_customers
from omnibus.customers.integration.outbound import OUTBOUND
from omnibus.customers.projections.customer_directory import CustomerDirectoryProjection
from omnibus.customers.readmodel.tables import metadata
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.readmodels import create_read_engine
from omnibus.platform.service import Infrastructure, ServiceDefinition, ServiceParts, ServiceRuntime
from omnibus.platform.settings import ServiceSettings


def build(settings: ServiceSettings, infra: Infrastructure) -> ServiceRuntime:
    app = CustomersApp(env=eventstore_env(settings, CustomersApp.name))
    parts = ServiceParts(
        routers=(customers.router, contacts.router, sites.router),
        app=app,
        outbound=OUTBOUND,
        projections=(CustomerDirectoryProjection(),),
        metadata=(metadata,),
        state={"customers_app": app},
        seed_demo_data=lambda: seed_demo_customers(app),
    )
    return ServiceRuntime("customers", settings, infra, create_read_engine(settings), parts)


definition = ServiceDefinition(name="customers", build=build)
