# EcoTrack — two commands: `make run` and `make test`.
# Everything else is a building block of those two.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install lint typecheck contracts test-sqlite test-postgres bench dev-serve migrate clean

run: install ## Set up and start EcoTrack (embedded: SQLite, jobs in process) on http://127.0.0.1:8000
	$(BIN)/ecotrack serve --host $(HOST) --port $(PORT)

test: install lint typecheck contracts test-sqlite test-postgres ## Everything CI runs

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: install
	$(BIN)/mypy

contracts: install
	$(BIN)/lint-imports

test-sqlite: install
	ECOTRACK_TEST_DB=sqlite $(BIN)/pytest -q $(PYTEST_ARGS)

# The PostgreSQL leg: everything that touches the database (calc/factors are database-free and
# the integration tests already run their PostgreSQL parts in the SQLite leg).
test-postgres: install
	ECOTRACK_TEST_DB=postgresql $(BIN)/pytest -q $(PYTEST_ARGS) \
		--ignore=tests/calc --ignore=tests/factors --ignore=tests/integration

migrate: install
	$(BIN)/ecotrack migrate

bench: install ## Run every benchmark and write benchmarks/results/*.json
	$(BIN)/python -m benchmarks.request_overhead

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

openapi-snapshot: install ## Record the operation ids after adding or renaming routes on purpose
	$(BIN)/python scripts/openapi_snapshot.py
