# EcoTrack — two commands: `make run` and `make test`.
# Everything else is a building block of those two.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=
# pytest-xdist processes per database leg (TEST_WORKERS=0 runs in one process)
TEST_WORKERS ?= 2

.PHONY: run test install lint typecheck contracts test-sqlite test-postgres test-sdk test-web web chromium dev web-types bench dev-serve migrate clean

run: install ## Set up and start EcoTrack (embedded: SQLite, jobs in process) on http://127.0.0.1:8000
	$(BIN)/ecotrack serve --host $(HOST) --port $(PORT)

test: install lint typecheck contracts test-sqlite test-postgres test-sdk test-web ## Everything CI runs

$(STAMP): pyproject.toml sdks/python/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pip install --quiet -e sdks/python
	@touch $(STAMP)

install: $(STAMP) web

# The web app (frontend/, Node.js 20+): built into src/ecotrack/static/app, which `ecotrack serve`
# serves at /. Without npm the API still runs and / says how to build the app.
NPM      ?= npm
WEB      := frontend
WEB_DEPS := $(WEB)/node_modules/.package-lock.json
WEB_DIST := src/ecotrack/static/app/index.html
WEB_SRC  := $(shell find $(WEB)/src $(WEB)/public -type f 2>/dev/null) $(WEB)/index.html $(WEB)/vite.config.ts

web:
	@if command -v $(NPM) >/dev/null 2>&1; then $(MAKE) --no-print-directory $(WEB_DIST); \
	else echo "npm not found: the web app is not built (needs Node.js 20+); the API still serves."; fi

$(WEB_DEPS): $(WEB)/package-lock.json
	cd $(WEB) && $(NPM) ci --no-audit --no-fund

$(WEB_DIST): $(WEB_DEPS) $(WEB_SRC)
	cd $(WEB) && $(NPM) run build

# Headless Chromium for the E2E run (Debian's package; Playwright never downloads browsers here).
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)

# vue-tsc, Vitest, "regenerated API types equal the committed ones", the bundle budget, then the
# Playwright journey against a real `ecotrack serve` on a throwaway SQLite database.
test-web: install chromium $(WEB_DEPS)
	cd $(WEB) && $(NPM) run typecheck && $(NPM) test && $(NPM) run api:check && $(NPM) run budget
	cd $(WEB) && $(NPM) run e2e

dev: install $(WEB_DEPS) ## Vite dev server on :5173 proxying /api and /v1 to 127.0.0.1:8000 (run `make run` too)
	cd $(WEB) && $(NPM) run dev

web-types: install $(WEB_DEPS) ## Regenerate frontend/src/api/schema.d.ts after API changes (commit it)
	cd $(WEB) && $(NPM) run api:generate

lint: install
	$(BIN)/ruff check src tests benchmarks scripts sdks/python
	$(BIN)/ruff format --check src tests benchmarks scripts sdks/python

typecheck: install
	$(BIN)/mypy

contracts: install
	$(BIN)/lint-imports

test-sqlite: install
	ECOTRACK_TEST_DB=sqlite $(BIN)/pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The PostgreSQL leg: everything that touches the database (calc/factors are database-free and
# the integration tests already run their PostgreSQL parts in the SQLite leg).
test-postgres: install
	ECOTRACK_TEST_DB=postgresql $(BIN)/pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS) \
		--ignore=tests/calc --ignore=tests/factors --ignore=tests/integration

# The Python SDK (sdks/python): against local fake ingest/provider servers and a real
# `ecotrack serve` subprocess on a throwaway SQLite database.
test-sdk: install
	$(BIN)/pytest -q -p no:cacheprovider sdks/python/tests

migrate: install
	$(BIN)/ecotrack migrate

bench: install ## Run every benchmark and write benchmarks/results/*.json
	$(BIN)/python -m benchmarks.request_overhead

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

openapi-snapshot: install ## Record the operation ids after adding or renaming routes on purpose
	$(BIN)/python scripts/openapi_snapshot.py
