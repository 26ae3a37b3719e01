# A newcomer needs two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
# Parallel workers (pytest-xdist), each with its own databases; the demo's tests share
# one worker (xdist_group "demo"), so the demo is played once. auto = one per core;
# measured on 2 cores, 4 workers were no faster than 2. TEST_WORKERS=0: one process.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup

.PHONY: demo test test-sqlite test-postgres lint run sandbox upgrade bench clean

# uv (from PyPI, into the venv) installs the same packages as pip in seconds: measured on
# the 2-core CI machine, 13 s for .[dev] against about 4 minutes with pip. pip remains the
# fallback when uv cannot be installed.
# (Expanded when a recipe runs, so after the venv and its uv exist.)
INSTALL = $(if $(wildcard $(BIN)/uv),$(BIN)/uv pip install --quiet --python $(BIN)/python,$(BIN)/pip install --quiet)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet uv || echo "uv not installed: pip installs the packages"

$(STAMP): pyproject.toml | $(BIN)/python
	$(INSTALL) -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(INSTALL) -e '.[dev]'
	touch $(STAMP) $@

demo: $(STAMP)  ## the sandbox and the real bot on embedded SQLite, scripted
	$(BIN)/cetr-bot demo

test: $(DEV_STAMP)  ## the whole suite on SQLite (or on PostgreSQL when TEST_DATABASE_URL is set)
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(PYTEST)

test-postgres: $(DEV_STAMP)  ## the whole suite on the PostgreSQL at PG_URL
	TEST_DATABASE_URL=$(PG_URL) $(PYTEST)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports  # the layers, one way down (pyproject.toml [tool.importlinter])

run: $(STAMP)  ## the real bot; BOT_TOKEN from the environment or .env
	$(BIN)/cetr-bot run

sandbox: $(STAMP)
	$(BIN)/cetr-bot sandbox

upgrade: $(STAMP)
	$(BIN)/cetr-bot db upgrade

bench: $(DEV_STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
