"""Read-model tables of the cell broadcast service: the messages (cbc.md §2.1, table ``cbc``) and the approvers
whose second factor identity reset."""

from sqlalchemy import JSON, BigInteger, Boolean, Column, DateTime, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

messages = Table(
    "cbc_messages",
    metadata,
    Column("cbc_message_id", BigInteger, primary_key=True, autoincrement=False),
    Column("cbc_unique_id", String(36), nullable=False, unique=True),
    Column("message_identifier", String(8), nullable=False),
    Column("category", String(64), nullable=False),
    Column("repetition_period", Integer, nullable=False),
    Column("number_of_broadcasts", Integer, nullable=False),
    Column("warning_period_sec", Integer, nullable=False),
    Column("channel_indicator", String(32), nullable=False),
    Column("localized_messages", JSON, nullable=False),
    Column("tracking_areas", JSON, nullable=False),
    Column("initiating_user", BigInteger),
    Column("approving_user", BigInteger),
    Column("status", String(20), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("approved_at", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    Column("deleted_at", DateTime(timezone=True)),
    Column("cbc_response", JSON),
    Column("message_reference", String(64)),
    Column("delivery_attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("delivered_to_cbc", Boolean, nullable=False),
    Column("cancel_status", String(16)),  # pending | delivered | not_delivered
    Column("cancel_references", JSON, nullable=False),  # still to cancel at the CBC
    Column("cancel_failed", JSON, nullable=False),  # the CBC did not get their cancellation
    Column("next_attempt_at", DateTime(timezone=True)),  # the delivery worker's next try (delivery or cancel)
    Column("last_modified", DateTime(timezone=True), nullable=False),
    Index("ix_cbc_messages_status", "status"),
    Index("ix_cbc_messages_created", "created"),
    Index("ix_cbc_messages_next_attempt", "next_attempt_at"),
)

second_factor_resets = Table(
    "cbc_second_factor_resets",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("disabled_at", DateTime(timezone=True), nullable=False),  # identity's TwoFactorDisabledByAdmin
)
