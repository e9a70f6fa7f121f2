"""Composition root of the customers service: builds everything from settings; nothing happens at import."""

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from omnibus.customers.api.routes import (
    activity,
    attributes,
    communications,
    contacts,
    customers,
    search,
    services,
    sites,
    tags,
)
from omnibus.customers.api.service_schemas import DEFAULT_SERVICE_TYPES
from omnibus.customers.application import CustomersApp
from omnibus.customers.application.messages import Links
from omnibus.customers.application.notices import (
    CUSTOMER_TEMPLATES,
    EXAMPLE_TEMPLATES,
    REQUIRED_TEMPLATES,
    Notices,
)
from omnibus.customers.demo import seed_demo_customers
from omnibus.customers.integration.activity_feed import ActivityFeed
from omnibus.customers.integration.commands import command_consumer
from omnibus.customers.integration.communications import CommunicationTriggers, TriggerSettings
from omnibus.customers.integration.contact_users import ContactUsers
from omnibus.customers.integration.delivery import DeliveryPolicy, Dispatcher
from omnibus.customers.integration.dunning import DunningReaction
from omnibus.customers.integration.inventory_search import InventorySearch
from omnibus.customers.integration.invoice_facts import InvoiceFactsProjection
from omnibus.customers.integration.outbound import OUTBOUND
from omnibus.customers.integration.service_expiry import ExpiryReminders
from omnibus.customers.projections.activity_log import ActivityLogProjection
from omnibus.customers.projections.communication_log import CommunicationLogProjection
from omnibus.customers.projections.customer_directory import CustomerDirectoryProjection
from omnibus.customers.projections.search_index import SearchIndexProjection
from omnibus.customers.projections.service_owners import ServiceOwnersProjection
from omnibus.customers.readmodel.tables import metadata
from omnibus.customers.settings import CommunicationSettings
from omnibus.platform.channels.connect import Channels, connect_channels
from omnibus.platform.channels.mailjet import Template, mailjet_credentials, templates_from_config
from omnibus.platform.crm_config import ConfigError
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.projections import ProjectionTimeout
from omnibus.platform.readmodels import create_read_engine
from omnibus.platform.service import Infrastructure, ServiceDefinition, ServiceParts, ServiceRuntime
from omnibus.platform.settings import ServiceSettings

log = logging.getLogger(__name__)


class CustomersRuntime(ServiceRuntime):
    """The platform runtime plus the communications dispatcher (in the workers) and the providers' clients."""

    dispatcher: Dispatcher
    channels: Channels

    async def start(self) -> None:
        await super().start()
        if self.background:
            self.dispatcher.start()

    async def stop(self) -> None:
        if self.background:
            await asyncio.to_thread(self.dispatcher.stop)
        await super().stop()
        self.channels.close()

    def wait_communications_projected(self, position: int) -> None:
        try:
            self.runners["communication_log"].wait_for(position, timeout=2.0)
        except ProjectionTimeout:
            log.warning("the communication log lags behind position %d", position)


def build(settings: ServiceSettings, infra: Infrastructure) -> ServiceRuntime:
    raw = infra.authenticator.config.raw
    comms = CommunicationSettings()
    notices = Notices(_templates(raw, on_standin=mailjet_credentials(raw) is None), _sms_texts(raw))
    channels = connect_channels(raw, settings, timeout=comms.provider_timeout)
    app = CustomersApp(
        env=eventstore_env(settings, CustomersApp.name),
        notices=notices,
        links=_links(raw, settings),
        reminder_days=_section(raw, "notifications").get("service_expiry_reminder_days", (7, 3, 1)),
    )
    engine = create_read_engine(settings)
    reminders = ExpiryReminders(app, engine, every=comms.expiry_sweep_seconds)
    parts = ServiceParts(
        routers=(
            customers.router,
            contacts.router,
            sites.router,
            communications.router,  # before services: POST /crm/service/expiring/remind
            services.router,
            attributes.router,
            tags.router,
            search.router,
            activity.router,
        ),
        app=app,
        outbound=OUTBOUND,
        projections=(
            CustomerDirectoryProjection(),
            SearchIndexProjection(),
            ActivityLogProjection(),
            CommunicationLogProjection(),
            ServiceOwnersProjection(),
        ),
        bus_projections=(InvoiceFactsProjection(), ActivityFeed(), InventorySearch()),
        reactions=(
            DunningReaction(app),
            CommunicationTriggers(app, engine, _trigger_settings(raw)),
            ContactUsers(app),
        ),
        commands=command_consumer(app),
        metadata=(metadata,),
        state={
            "customers_app": app,
            "service_types": _service_types(infra),
            "expiry_reminders": reminders,
            "channels": channels,
        },
        seed_demo_data=lambda: seed_demo_customers(app),
    )
    runtime = CustomersRuntime("customers", settings, infra, engine, parts)
    runtime.channels = channels
    policy = DeliveryPolicy(
        retry_delays=tuple(comms.retry_delays),
        lease=comms.lease_seconds,
        poll=comms.poll_seconds,
        concurrency=comms.concurrency,
    )
    runtime.dispatcher = Dispatcher(
        app,
        engine,
        channels,
        policy,
        wait_projected=runtime.wait_communications_projected,
        periodic=reminders.maybe_sweep,
    )
    return runtime


def _templates(raw: Mapping[str, Any], *, on_standin: bool) -> dict[str, Template]:
    """The customer template blocks; with real Mailjet the five documented ones must be there (D43), with the
    stand-in the documented examples fill the gaps."""
    try:
        found = templates_from_config(raw, CUSTOMER_TEMPLATES)
    except ValueError as error:
        raise ConfigError(f"invalid crm_config.yaml: {error}") from error
    if on_standin:
        return {**EXAMPLE_TEMPLATES, **found}
    missing = [k for k in REQUIRED_TEMPLATES if k not in found or found[k].template_id is None]
    if missing:
        raise ConfigError(f"crm_config.yaml: Mailjet is configured but these templates are not (D43): {missing}")
    return found


def _sms_texts(raw: Mapping[str, Any]) -> dict[str, str]:
    texts = _section(raw, "smsc").get("messages") or {}
    if not isinstance(texts, Mapping) or not all(isinstance(v, str) for v in texts.values()):
        raise ConfigError("crm_config.yaml: smsc.messages maps template keys to SMS texts")
    return {str(k): v for k, v in texts.items()}


def _links(raw: Mapping[str, Any], settings: ServiceSettings) -> Links:
    crm = _section(raw, "crm")
    base = crm.get("base_url") or f"http://{settings.http_host}:{settings.http_port}"
    return Links(str(base), crm.get("support_url"))


def _trigger_settings(raw: Mapping[str, Any]) -> TriggerSettings:
    notifications = _section(raw, "notifications")
    return TriggerSettings(
        balance_low_percent=int(notifications.get("balance_low_percent", 20)),
        invoice_auto_email=bool(notifications.get("invoice_auto_email", False)),
    )


def _section(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    section = raw.get(name)
    return section if isinstance(section, Mapping) else {}


def _service_types(infra: Infrastructure) -> tuple[str, ...]:
    """crm_config.yaml ``service_types`` (a list), else the documented union (D52)."""
    configured = infra.authenticator.config.raw.get("service_types")
    return tuple(str(t) for t in configured) if isinstance(configured, list) and configured else DEFAULT_SERVICE_TYPES


definition = ServiceDefinition(name="customers", build=build)
