"""Every service's local copy of identity's roles and API keys (omnibus.platform.auth.directory)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import Engine, create_engine

from omnibus.contracts import Envelope, IntegrationEvent
from omnibus.contracts import identity as i
from omnibus.platform.auth.authenticator import AuthenticationError, Authenticator, PermissionDenied
from omnibus.platform.auth.directory import AccessDirectory, AccessDirectoryProjection, key_hash, metadata
from omnibus.platform.consumers import ReceivedEvent
from omnibus.platform.crm_config import parse_crm_config
from omnibus.platform.readmodels import Rows

KEY = "sk_live_" + "k" * 40


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{tmp_path / 'read.sqlite3'}")
    metadata.create_all(engine)
    return engine


def _apply(engine: Engine, directory: AccessDirectory, *events: IntegrationEvent) -> None:
    projection = AccessDirectoryProjection(directory)
    with engine.begin() as conn:
        rows = Rows(conn)
        for position, event in enumerate(events, start=1):
            envelope = Envelope(
                event_id=uuid4(),
                event_type=event.event_type(),
                event_version=1,
                source="identity",
                position=position,
                aggregate_type=event.aggregate_type,
                aggregate_id=uuid4(),
                aggregate_version=1,
                occurred_at=datetime.now(UTC),
            )
            projection.apply(ReceivedEvent(envelope, event), rows)
        rows.flush()
    directory.invalidate()
    directory._loaded_at = -1.0  # noqa: SLF001 - read the committed rows now


def _key(**overrides: Any) -> i.ApiKeyCreated:
    fields: dict[str, Any] = {
        "api_key_id": 1,
        "key_name": "Monitoring",
        "key_hash": key_hash(KEY),
        "key_suffix": KEY[-3:],
        "permissions": ["view_service"],
        "ips": [],
        **overrides,
    }
    return i.ApiKeyCreated(**fields)


def test_a_published_key_authenticates_with_its_permissions_aliases_resolved(engine: Engine) -> None:
    directory = AccessDirectory(engine)
    _apply(engine, directory, _key())

    principal = directory.lookup_api_key(KEY, "10.0.0.1")

    assert principal is not None and principal.api_key_id == 1
    assert principal.permissions == frozenset({"view_customer_service"})


def test_an_unknown_key_is_left_to_the_config_keys(engine: Engine) -> None:
    assert AccessDirectory(engine).lookup_api_key("sk_live_other", None) is None


def test_revoked_and_expired_keys_are_401_and_pinned_keys_403_elsewhere(engine: Engine) -> None:
    directory = AccessDirectory(engine)
    past = datetime.now(UTC) - timedelta(seconds=1)
    _apply(
        engine,
        directory,
        _key(api_key_id=1, key_hash=key_hash("r" * 48)),
        i.ApiKeyRevoked(api_key_id=1),
        _key(api_key_id=2, key_hash=key_hash("e" * 48), expiry_date=past),
        _key(api_key_id=3, key_hash=key_hash("p" * 48), ips=["192.0.2.0/24"]),
    )

    with pytest.raises(AuthenticationError):
        directory.lookup_api_key("r" * 48, None)
    with pytest.raises(AuthenticationError):
        directory.lookup_api_key("e" * 48, None)
    with pytest.raises(PermissionDenied):
        directory.lookup_api_key("p" * 48, "198.51.100.1")
    assert directory.lookup_api_key("p" * 48, "192.0.2.9") is not None


def test_regenerate_replaces_the_hash(engine: Engine) -> None:
    directory = AccessDirectory(engine)
    new = "sk_live_" + "n" * 40
    _apply(engine, directory, _key(), i.ApiKeyRegenerated(api_key_id=1, key_hash=key_hash(new), key_suffix="nnn"))

    assert directory.lookup_api_key(KEY, None) is None
    assert directory.lookup_api_key(new, None) is not None


def test_published_roles_override_the_built_in_ones_and_deleted_roles_grant_nothing(engine: Engine) -> None:
    directory = AccessDirectory(engine)
    authenticator = Authenticator(config=parse_crm_config({})).with_directory(directory)
    _apply(
        engine,
        directory,
        i.RoleCreated(role_id=1, role_name="Tier2_Support", permissions=["view_customer"]),
        i.PermissionRevokedFromRole(role_id=2, role_name="Finance", permission_ids=[1], permissions=["view_product"]),
        i.RoleDeleted(role_id=3, role_name="Support"),
    )

    assert authenticator.role_permissions(["tier2_support"]) == frozenset({"view_customer"})
    assert authenticator.role_permissions(["Finance"]) == frozenset({"view_product"})
    assert authenticator.role_permissions(["Support"]) == frozenset()
    assert "admin" in authenticator.role_permissions(["Admin"])  # not published yet: the built-in role


def test_the_authenticator_asks_the_directory_before_the_config_keys(engine: Engine) -> None:
    directory = AccessDirectory(engine)
    _apply(engine, directory, _key())
    authenticator = Authenticator(config=parse_crm_config({})).with_directory(directory)

    principal = authenticator.authenticate(None, KEY, "10.0.0.1")

    assert principal.auth_method == "api_key" and principal.api_key_id == 1
