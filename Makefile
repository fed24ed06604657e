# Smart City Search: `make run` serves the app, `make test` runs the whole suite.
# Every target sets up what it needs and is safe to run again.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# `make run` is local development: DEBUG on, SQLite and Whoosh under var/ unless the
# environment says otherwise.
RUN_ENV := DEBUG=$${DEBUG:-1}
# The PostgreSQL half of the suite runs against this server (pytest-django creates and drops
# the database test_<name>; <name> itself is never touched).
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/smartcity
export TEST_POSTGRES_URL

.PHONY: run test test-postgres postgres setup setup-dev browser admin bench lint format clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed
	$(RUN_ENV) $(MANAGE) migrate --noinput
	$(RUN_ENV) $(MANAGE) import_articles seeds/
	$(RUN_ENV) $(MANAGE) rebuild_index --if-missing

# The indexer (manage.py run_indexer) runs beside the server and stops with it: saved
# articles reach the search index through it, in batches.
run: setup
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C stops it; 'make admin' creates an admin user)"
	$(RUN_ENV) $(MANAGE) run_indexer -v0 & indexer=$$!; \
	  trap 'kill $$indexer 2>/dev/null' EXIT INT TERM; \
	  $(RUN_ENV) $(MANAGE) runserver $(HOST):$(PORT)

admin: setup
	$(RUN_ENV) $(MANAGE) createsuperuser

setup-dev: $(VENV)/.installed-dev browser

# Debian's Chromium drives the browser tests (Playwright's own browser download is not used).
browser:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Two sessions, one database each: SQLite (with the Whoosh engine), then PostgreSQL (tests
# marked `postgres`: its engine and several app servers), skipped with the reason when no
# server answers at TEST_POSTGRES_URL.
test: setup-dev
	$(PY) -m pytest
	$(MAKE) --no-print-directory test-postgres

test-postgres: setup-dev
	DATABASE_URL=$(TEST_POSTGRES_URL) $(PY) -m pytest -m postgres

# Make sure a PostgreSQL server answers at TEST_POSTGRES_URL (installs/starts a local one).
postgres:
	.ci/postgres

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(VENV)/.installed-dev
	$(PY) -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
