# Parcelrun: `make run` serves the demo on embedded defaults; `make test` runs ruff and the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The clock guard (tests/clock.py): the suite again at hostile instants, as preset@station-zone,
# side by side, each on its own databases (scripts/clock_runs.py).
CLOCK_RUNS ?= utc-2330@Asia/Shanghai station-0300@America/Los_Angeles

.PHONY: run test lint install lock seed bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/pip install -q -r requirements.lock
	touch $@

install: $(VENV)/.installed

lock: | $(BIN)/python
	$(BIN)/pip install -q -r requirements.in
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

run: install
	@mkdir -p var
	$(BIN)/python manage.py migrate --no-input -v1
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "Parcelrun is running on http://$(HOST):$(PORT)/  (HTTP + websockets, SQLite, in-process layers)"
	@echo "  console:   http://$(HOST):$(PORT)/   log in as supervisor / parcelrun-demo  (station HZXH01)"
	@echo "  API docs:  http://$(HOST):$(PORT)/api/docs/      schema: /api/schema/"
	@echo "  admin:     http://$(HOST):$(PORT)/admin/         (see the demo logins above)"
	@echo "  try:       curl -s -X POST http://$(HOST):$(PORT)/api/v1/auth/login -H 'Content-Type: application/json' \\"
	@echo "               -d '{\"login\":\"E1001\",\"password\":\"parcelrun-demo\",\"device_id\":\"demo-phone\"}'"
	$(BIN)/daphne -b $(HOST) -p $(PORT) backend.asgi:application

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	@eval "$$($(BIN)/python scripts/probe_services.py)"; \
	FAST_PASSWORD_HASHER=True $(BIN)/python manage.py makemigrations --check --dry-run >/dev/null \
	  || { echo "migrations are out of date: run manage.py makemigrations"; exit 1; }; \
	FAST_PASSWORD_HASHER=True $(BIN)/pytest -q -m "not browser and not ui" $(PYTEST_ARGS) tests; s=$$?; \
	[ $$s -eq 0 ] || exit $$s; \
	FAST_PASSWORD_HASHER=True $(BIN)/python scripts/clock_runs.py $(CLOCK_RUNS) -- \
	  -q -m "not browser and not ui" $(PYTEST_ARGS) tests || exit $$?; \
	if [ -n "$$(grep -rl 'pytest.mark.ui\|pytestmark = pytest.mark.ui' tests 2>/dev/null)" ]; then \
	  FAST_PASSWORD_HASHER=True $(BIN)/pytest -q -m ui tests; s=$$?; [ $$s -eq 0 ] || [ $$s -eq 5 ] || exit $$s; fi; \
	if [ -n "$$(grep -rl 'pytest.mark.browser' tests 2>/dev/null)" ]; then \
	  FAST_PASSWORD_HASHER=True DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest -q -m browser tests; s=$$?; \
	  [ $$s -eq 0 ] || [ $$s -eq 5 ] || exit $$s; fi

bench: install
	@echo "benchmarks: $(BIN)/python bench/<name>.py  (see docs/operations.md)"

clean:
	rm -rf var $(VENV)
