"""Composition root of the billing service: builds everything from settings; nothing happens at import."""

from omnibus.billing.api.routes import invoices, pdf, runs, transactions
from omnibus.billing.application import BillingApp
from omnibus.billing.config import billing_config
from omnibus.billing.integration.customer_directory import CustomerDirectory
from omnibus.billing.integration.outbound import OUTBOUND
from omnibus.billing.jobs.billing_run import BillingRuns
from omnibus.billing.pdf.cache import InvoicePdfs
from omnibus.billing.pdf.renderer import InvoicePdfRenderer
from omnibus.billing.projections.ledger import LedgerProjection
from omnibus.billing.readmodel.ledger import SqlLedgerLookups
from omnibus.billing.readmodel.tables import metadata
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.readmodels import create_read_engine
from omnibus.platform.service import Infrastructure, ServiceDefinition, ServiceParts, ServiceRuntime
from omnibus.platform.settings import ServiceSettings


def build(settings: ServiceSettings, infra: Infrastructure) -> ServiceRuntime:
    config = billing_config(settings.load_crm_config().raw)
    engine = create_read_engine(settings)
    app = BillingApp(
        env=eventstore_env(settings, BillingApp.name), config=config, lookups=SqlLedgerLookups(engine), gateway=None
    )
    parts = ServiceParts(
        routers=(transactions.router, invoices.router, runs.router, pdf.router),
        app=app,
        outbound=OUTBOUND,
        projections=(LedgerProjection(),),
        bus_projections=(CustomerDirectory(),),
        metadata=(metadata,),
        state={
            "billing_app": app,
            "billing_config": config,
            "invoice_pdfs": InvoicePdfs(engine, InvoicePdfRenderer(config)),
            "billing_runs": BillingRuns(app, engine),
        },
    )
    return ServiceRuntime("billing", settings, infra, engine, parts)


definition = ServiceDefinition(name="billing", build=build)
