"""Read-model tables of the identity service: lists and searches of users, roles, permissions, API keys,
impersonation logs, and the security audit list."""

from sqlalchemy import JSON, BigInteger, Boolean, Column, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

users = Table(
    "identity_users",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("username", String(150), nullable=False),
    Column("email", String(254), nullable=False, index=True),
    Column("first_name", String(100)),
    Column("middle_name", String(100)),
    Column("last_name", String(100)),
    Column("phone_number", String(32)),
    Column("roles", JSON, nullable=False),
    Column("customer_id", BigInteger, index=True),
    Column("contact_id", BigInteger),
    Column("email_verified", Boolean, nullable=False),
    Column("pending_email", String(254)),
    Column("is_2fa_enabled", Boolean, nullable=False),
    Column("login_count", Integer, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
    Column("created", DateTime(timezone=True), nullable=False),
)

roles = Table(
    "identity_roles",
    metadata,
    Column("role_id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("description", String(500)),
    Column("permissions", JSON, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("require_2fa", Boolean),
)

permissions = Table(
    "identity_permissions",
    metadata,
    Column("permission_id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("description", String(500)),
)

api_keys = Table(
    "identity_api_keys",
    metadata,
    Column("api_key_id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(255), nullable=False),
    Column("description", String(1000)),
    Column("key_suffix", String(8), nullable=False),
    Column("permissions", JSON, nullable=False),
    Column("ips", JSON, nullable=False),
    Column("expiry_date", DateTime(timezone=True)),
    Column("revoked", Boolean, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("created_by", String(255)),
)

impersonations = Table(
    "identity_impersonation_logs",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("impersonating_user_id", BigInteger, nullable=False, index=True),
    Column("target_user_id", BigInteger, nullable=False, index=True),
    Column("impersonation_start", DateTime(timezone=True), nullable=False),
    Column("impersonation_end", DateTime(timezone=True)),
    Column("impersonation_duration", Integer),
)

audit = Table(
    "identity_audit",
    metadata,
    Column("event_id", String(80), primary_key=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False, index=True),
    Column("event_type", String(80), nullable=False),
    Column("user_id", BigInteger, index=True),
    Column("actor", JSON, nullable=False),
    Column("details", JSON, nullable=False),
)

customer_status = Table(
    "identity_customer_status",
    metadata,
    Column("customer_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_status", String(20), nullable=False),
)
