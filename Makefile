# Omnibus: `make run` (everything in one process, embedded defaults, demo data) and `make test`.
# The targets install uv and the workspace environment themselves when missing.

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv/.synced

.PHONY: run run-local test test-unit test-integration lint fmt bench contracts clean

$(VENV): uv.lock pyproject.toml libs/*/pyproject.toml services/*/pyproject.toml
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --all-packages
	@touch $(VENV)

run: $(VENV)  ## all services in one process: SQLite under var/, in-process bus, demo data, port 5000
	$(UV) run omnibus run

run-local: $(VENV)  ## the same services on the local PostgreSQL and RabbitMQ (one database per service)
	OMNIBUS_DATABASE_URL=$${OMNIBUS_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/omnibus_{service}} \
	OMNIBUS_AMQP_URL=$${OMNIBUS_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/} \
	OMNIBUS_OUTBOX_DIR=$${OMNIBUS_OUTBOX_DIR:-var} \
	$(UV) run omnibus run --processes

test: $(VENV)  ## every test layer (PostgreSQL/RabbitMQ tests skip without them unless OMNIBUS_REQUIRE_INFRA=1)
	$(UV) run pytest -q

test-unit: $(VENV)
	$(UV) run pytest -q -m "not integration and not e2e"

test-integration: $(VENV)
	$(UV) run pytest -q -m "integration or e2e"

lint: $(VENV)
	$(UV) run ruff check .
	$(UV) run mypy libs/contracts/src libs/platform/src
	$(UV) run lint-imports

fmt: $(VENV)
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

bench: $(VENV)  ## benchmarks against raw baselines measured in the same run (needs PostgreSQL, RabbitMQ, wrk)
	$(UV) run python bench/run.py

contracts: $(VENV)  ## JSON Schemas and the AsyncAPI document of every published event
	$(UV) run omnibus contracts export docs/contracts

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
