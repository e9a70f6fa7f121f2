"""Composition root of the billing service: builds everything from settings; nothing happens at import."""

import logging

from omnibus.billing.api.routes import invoices, pdf, runs, stripe, transactions
from omnibus.billing.application import BillingApp
from omnibus.billing.config import BillingConfig, billing_config
from omnibus.billing.demo import seed_demo_billing
from omnibus.billing.integration.commands import command_consumer
from omnibus.billing.integration.customer_directory import CustomerDirectory
from omnibus.billing.integration.outbound import OUTBOUND
from omnibus.billing.jobs.billing_run import BillingRuns
from omnibus.billing.payments.standin import StripeStandIn
from omnibus.billing.payments.stripe_gateway import StripeGateway
from omnibus.billing.pdf.cache import InvoicePdfs
from omnibus.billing.pdf.renderer import InvoicePdfRenderer
from omnibus.billing.projections.ledger import LedgerProjection
from omnibus.billing.readmodel.ledger import SqlLedgerLookups
from omnibus.billing.readmodel.tables import metadata
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.readmodels import create_read_engine
from omnibus.platform.service import Infrastructure, ServiceDefinition, ServiceParts, ServiceRuntime
from omnibus.platform.settings import ServiceSettings

log = logging.getLogger(__name__)


def build(settings: ServiceSettings, infra: Infrastructure) -> ServiceRuntime:
    config = billing_config(settings.load_crm_config().raw)
    engine = create_read_engine(settings)
    standin, gateway, webhook_secret = _stripe(settings, config)
    app = BillingApp(
        env=eventstore_env(settings, BillingApp.name), config=config, lookups=SqlLedgerLookups(engine), gateway=gateway
    )
    parts = ServiceParts(
        routers=(transactions.router, invoices.router, runs.router, pdf.router, stripe.router),
        app=app,
        outbound=OUTBOUND,
        projections=(LedgerProjection(),),
        bus_projections=(CustomerDirectory(),),
        commands=command_consumer(app),
        metadata=(metadata,),
        state={
            "billing_app": app,
            "billing_config": config,
            "invoice_pdfs": InvoicePdfs(engine, InvoicePdfRenderer(config)),
            "billing_runs": BillingRuns(app, engine),
            "stripe_webhook_secret": webhook_secret,
            "stripe_standin": standin,
        },
        seed_demo_data=lambda: seed_demo_billing(app),
    )
    return ServiceRuntime("billing", settings, infra, engine, parts)


def _stripe(settings: ServiceSettings, config: BillingConfig) -> tuple[StripeStandIn | None, StripeGateway, str]:
    """stripe-python on Stripe (``stripe.secret_key``), on ``stripe.api_base`` if given, or, without a key, on a
    local stand-in started here that sends its webhooks to this service (embedded mode, tests, demos)."""
    if config.stripe_secret_key:
        if not config.stripe_webhook_secret:
            log.warning("stripe.webhook_secret is not set: every Stripe webhook will be refused")
        gateway = StripeGateway(config.stripe_secret_key, config.stripe_api_base, config.statement_descriptor_suffix)
        return None, gateway, config.stripe_webhook_secret or ""
    webhook_url = f"http://{settings.http_host}:{settings.http_port}/crm/stripe/webhook"
    standin = StripeStandIn(webhook_url=webhook_url if settings.demo_data else None).start()
    log.info("no stripe.secret_key: using the local Stripe stand-in at %s", standin.url)
    gateway = StripeGateway(standin.secret_key, standin.url, config.statement_descriptor_suffix)
    return standin, gateway, standin.webhook_secret


definition = ServiceDefinition(name="billing", build=build)
