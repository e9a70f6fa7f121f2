"""Read-model tables of the provisioning service: jobs and their task events (provisioning.md §2.1, §2.2)."""

from sqlalchemy import JSON, BigInteger, Boolean, Column, DateTime, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

provisions = Table(
    "provision_jobs",
    metadata,
    Column("provision_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_id", BigInteger, nullable=False),
    Column("product_id", BigInteger),
    Column("service_id", BigInteger),
    Column("provisioning_play", String(128), nullable=False),
    Column("playbook_description", String(255), nullable=False),
    Column("provisioning_json_vars", Text, nullable=False),
    Column("provisioning_status", Integer, nullable=False),
    Column("task_count", Integer, nullable=False),
    Column("completed_tasks", Integer, nullable=False),
    Column("initiating_user", BigInteger),
    Column("action", String(32)),
    Column("auth_method", String(16), nullable=False),
    Column("inventory", JSON, nullable=False),
    Column("run_state", String(16), nullable=False),  # queued | running | finished
    Column("runner_id", String(64)),
    Column("cancel_requested", Boolean, nullable=False),
    Column("failed_task", String(255)),
    Column("error", Text),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_modified", DateTime(timezone=True), nullable=False),
    Index("ix_provision_jobs_customer", "customer_id"),
    Index("ix_provision_jobs_status", "provisioning_status"),
    Index("ix_provision_jobs_run_state", "run_state"),
)

provision_events = Table(
    "provision_events",
    metadata,
    Column("provision_id", BigInteger, primary_key=True, autoincrement=False),
    Column("event_number", Integer, primary_key=True, autoincrement=False),
    Column("event_name", String(255), nullable=False),
    Column("provisioning_status", Integer, nullable=False),
    Column("provisioning_result_json", Text, nullable=False),
    Column("timestamp", DateTime(timezone=True), nullable=False),
)

customer_names = Table(
    "provision_customer_names",
    metadata,
    Column("customer_id", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_name", String(255), nullable=False),
)

# The saga of each job: where it is, and every command it gave (for the job view and the deadline sweeper).
provision_sagas = Table(
    "provision_sagas",
    metadata,
    Column("provision_id", BigInteger, primary_key=True, autoincrement=False),
    Column("phase", String(16), nullable=False),  # forward | compensating | ended
    Column("steps", JSON, nullable=False),
    Column("current_step", String(64)),
    Column("service_uuid", String(64)),
    Column("service_id", BigInteger),
    Column("failed_step", String(64)),
    Column("compensations", JSON, nullable=False),
    Column("last_modified", DateTime(timezone=True), nullable=False),
)

provision_commands = Table(
    "provision_commands",
    metadata,
    Column("provision_id", BigInteger, primary_key=True, autoincrement=False),
    Column("command_id", String(255), primary_key=True),
    Column("step", String(64), nullable=False),
    Column("target", String(32), nullable=False),
    Column("name", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # issued | completed | rejected | timed_out
    Column("attempt", Integer, nullable=False),
    Column("deadline", DateTime(timezone=True)),
    Column("reason", Text),
    Column("issued", DateTime(timezone=True), nullable=False),
    Column("last_modified", DateTime(timezone=True), nullable=False),
    Index("ix_provision_commands_deadline", "status", "deadline"),
)
