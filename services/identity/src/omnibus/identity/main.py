"""Composition root of the identity service: builds everything from settings; nothing happens at import."""

from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from omnibus.identity.api.routes import api_keys, auth, impersonation, job_tokens, roles, twofa, users
from omnibus.identity.application import IdentityApp
from omnibus.identity.demo import seed_demo_users
from omnibus.identity.integration.customer_status import CustomerStatuses, closed_customers
from omnibus.identity.integration.outbound import OUTBOUND
from omnibus.identity.job_tokens import JobTokenDesk
from omnibus.identity.mail import LocalOutbox, Mailer, MailjetMailer, templates_from_config
from omnibus.identity.projections.directory import IdentityDirectoryProjection
from omnibus.identity.readmodel.tables import metadata
from omnibus.identity.security import Passwords, SecretBox
from omnibus.identity.settings import IdentitySettings, Policy
from omnibus.identity.tokens import TokenIssuer
from omnibus.platform.channels.mailjet import mailjet_credentials
from omnibus.platform.crm_config import CrmConfig
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.readmodels import create_read_engine
from omnibus.platform.runtime import dev_signing_key_path, load_or_create_dev_key
from omnibus.platform.service import Infrastructure, ServiceDefinition, ServiceParts, ServiceRuntime
from omnibus.platform.settings import ServiceSettings

ROUTERS = (
    auth.router,
    users.router,
    roles.router,
    twofa.router,
    api_keys.router,
    impersonation.router,
    job_tokens.router,
)


def signing_key(settings: ServiceSettings, identity: IdentitySettings) -> Ed25519PrivateKey:
    """identity's token key; by default the embedded mode's dev key, which the other services then verify."""
    if identity.signing_key_file is None:
        return load_or_create_dev_key(dev_signing_key_path(settings))
    key = serialization.load_pem_private_key(identity.signing_key_file.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{identity.signing_key_file} is not an Ed25519 private key")
    return key


def mailer(config: CrmConfig, identity: IdentitySettings) -> Mailer:
    templates = templates_from_config(config.raw)
    if identity.mailer == "mailjet":
        credentials = mailjet_credentials(config.raw)
        if credentials is None:
            raise ValueError("OMNIBUS_IDENTITY_MAILER=mailjet needs mailjet.api_key and mailjet.api_secret")
        return MailjetMailer(credentials, templates)
    return LocalOutbox(identity.outbox_file, templates)


def build_app(settings: ServiceSettings, identity: IdentitySettings | None = None) -> IdentityApp:
    identity = identity or IdentitySettings()
    config = settings.load_crm_config()
    policy = Policy.from_config(config, identity.public_url)
    hs256 = config.jwt_secret if config.auth.jwt_algorithm.upper() == "HS256" else None
    tokens = TokenIssuer(
        None if hs256 else signing_key(settings, identity),
        access_minutes=policy.access_token_minutes,
        hs256_secret=hs256,
    )
    hasher = PasswordHasher(time_cost=identity.argon2_time_cost, memory_cost=identity.argon2_memory_kib)
    return IdentityApp(
        env=eventstore_env(settings, IdentityApp.name),
        tokens=tokens,
        passwords=Passwords(hasher),
        mailer=mailer(config, identity),
        policy=policy,
        secret_box=SecretBox.from_file(identity.secret_key_file),
    )


def job_token_desk(app: IdentityApp, settings: ServiceSettings, identity: IdentitySettings) -> JobTokenDesk:
    """Whose client assertions may ask for job tokens: the configured keys and identity's own (D65)."""
    keys: list[Any] = []
    for name in (identity.token_client_keys or "").split(","):
        if name.strip():
            key = serialization.load_pem_public_key(Path(name.strip()).read_bytes())
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError(f"{name} is not an Ed25519 public key")
            keys.append(key)
    tokens = app.tokens
    keys.append(tokens.hs256_secret if tokens.hs256_secret is not None else tokens.private_key.public_key())  # type: ignore[union-attr]
    return JobTokenDesk(tokens, keys, max_seconds=identity.job_token_max_minutes * 60)


def build(settings: ServiceSettings, infra: Infrastructure) -> ServiceRuntime:
    identity = IdentitySettings()
    app = build_app(settings, identity)
    app.seed_defaults()
    engine = create_read_engine(settings)
    app.customer_closed = closed_customers(engine)
    parts = ServiceParts(
        routers=ROUTERS,
        app=app,
        outbound=OUTBOUND,
        projections=(IdentityDirectoryProjection(),),
        bus_projections=(CustomerStatuses(),),
        metadata=(metadata,),
        state={"identity_app": app, "job_token_desk": job_token_desk(app, settings, identity)},
        seed_demo_data=lambda: seed_demo_users(app),
    )
    return ServiceRuntime("identity", settings, infra, engine, parts)


definition = ServiceDefinition(name="identity", build=build)
