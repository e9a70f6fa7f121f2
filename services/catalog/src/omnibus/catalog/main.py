"""Composition root of the catalog service: builds everything from settings; nothing happens at import."""

from omnibus.catalog.api.routes import inventory, products, templates
from omnibus.catalog.application import CatalogApp
from omnibus.catalog.demo import seed_demo_catalog
from omnibus.catalog.integration.commands import command_consumer
from omnibus.catalog.integration.customers_view import CustomersView
from omnibus.catalog.integration.outbound import OUTBOUND
from omnibus.catalog.projections.catalog_view import CatalogViewProjection
from omnibus.catalog.readmodel.queries import ReadModelStock
from omnibus.catalog.readmodel.tables import metadata
from omnibus.catalog.settings import CatalogSettings, secret_box, service_types
from omnibus.platform.eventstore import eventstore_env, sqlite_folder
from omnibus.platform.readmodels import create_read_engine
from omnibus.platform.service import Infrastructure, ServiceDefinition, ServiceParts, ServiceRuntime
from omnibus.platform.settings import ServiceSettings


def build(settings: ServiceSettings, infra: Infrastructure) -> ServiceRuntime:
    catalog = CatalogSettings()
    if settings.store_kind == "sqlite" and "secret_key_file" not in catalog.model_fields_set:
        catalog.secret_key_file = sqlite_folder(settings.database_url) / "catalog-secret.key"
    engine = create_read_engine(settings)
    app = CatalogApp(
        env=eventstore_env(settings, CatalogApp.name),
        box=secret_box(catalog),
        service_types=service_types(settings.load_crm_config().raw),
        stock=ReadModelStock(engine),
    )
    parts = ServiceParts(
        routers=(products.router, templates.router, inventory.router),
        app=app,
        outbound=OUTBOUND,
        projections=(CatalogViewProjection(),),
        bus_projections=(CustomersView(),),
        commands=command_consumer(app),
        metadata=(metadata,),
        state={"catalog_app": app, "catalog_import_batch_size": catalog.import_batch_size},
        seed_demo_data=lambda: seed_demo_catalog(app),
    )
    return ServiceRuntime("catalog", settings, infra, engine, parts)


definition = ServiceDefinition(name="catalog", build=build)
