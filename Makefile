# Smart City Search: `make run` serves the app, `make test` runs the whole suite.
# Every target sets up what it needs and is safe to run again.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# `make setup` writes .env (DEBUG=1 and a generated SECRET_KEY) for local use; the settings
# read it, so `make run` and manage.py commands typed by hand see the same settings. Variables
# set in the environment win over the file.
# The pinned tree with hashes: requirements*.txt are edited by hand, the locks are generated
# from them by `make lock` (the one command; commit the locks with the change).
LOCKS := requirements.txt:requirements.lock requirements-dev.txt:requirements-dev.lock
PIP_COMPILE := $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links
# The PostgreSQL half of the suite runs against this server (pytest-django creates and drops
# the database test_<name>; <name> itself is never touched).
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/smartcity
export TEST_POSTGRES_URL

.PHONY: run test test-postgres postgres setup setup-dev browser admin bench lint format clean \
	lock check-locks screenshots accept-screenshots

# Stops with the package to blame when requirements*.txt changed after the locks were made.
check-locks:
	@$(PYTHON) .ci/check_locks.py $(LOCKS)

# The pip the venv brings installs the locked tree; --require-hashes refuses anything else.
$(VENV)/.installed: requirements.lock requirements.txt
	@$(PYTHON) .ci/check_locks.py $(LOCKS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock requirements-dev.txt
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

# Regenerates both locks from requirements*.txt (needs the package index).
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip-tools==7.6.2
	$(PIP_COMPILE) --output-file requirements.lock requirements.txt
	$(PIP_COMPILE) --constraint requirements.lock --output-file requirements-dev.lock requirements-dev.txt

.env:
	$(PYTHON) -m smartcity.dotenv .env

setup: $(VENV)/.installed .env
	$(MANAGE) migrate --noinput
	$(MANAGE) import_articles seeds/
	$(MANAGE) rebuild_index --if-missing

# The indexer (manage.py run_indexer) runs beside the server and stops with it: saved
# articles reach the search index through it, in batches.
run: setup
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C stops it; 'make admin' creates an admin user)"
	$(MANAGE) run_indexer -v0 & indexer=$$!; \
	  trap 'kill $$indexer 2>/dev/null' EXIT INT TERM; \
	  $(MANAGE) runserver $(HOST):$(PORT)

# Asks for a name and password at a terminal; without one (CI, scripts) it takes them from
# DJANGO_SUPERUSER_USERNAME, DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD, and stops
# with a non-zero status when they are missing rather than skipping quietly.
admin: setup
	@if [ -n "$$DJANGO_SUPERUSER_USERNAME" ] || [ -n "$$DJANGO_SUPERUSER_PASSWORD" ]; then \
	  if [ -z "$$DJANGO_SUPERUSER_USERNAME" ] || [ -z "$$DJANGO_SUPERUSER_PASSWORD" ]; then \
	    echo "make admin: set both DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD (and DJANGO_SUPERUSER_EMAIL)" >&2; exit 1; fi; \
	  $(MANAGE) createsuperuser --noinput && \
	    echo "admin user '$$DJANGO_SUPERUSER_USERNAME' created: log in at http://$(HOST):$(PORT)/admin/"; \
	elif [ -t 0 ]; then \
	  $(MANAGE) createsuperuser; \
	else \
	  echo "make admin: no terminal to ask for a name and password. Run it in a terminal, or set DJANGO_SUPERUSER_USERNAME, DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD." >&2; \
	  exit 1; \
	fi

setup-dev: $(VENV)/.installed-dev browser

# Debian's Chromium drives the browser tests (Playwright's own browser download is not used);
# Noto CJK lets it draw Chinese text in screenshots rather than empty boxes.
browser:
	@{ test -x /usr/bin/chromium && dpkg -s fonts-noto-cjk >/dev/null 2>&1; } || { \
	  echo "Installing Debian's chromium and fonts-noto-cjk for the browser tests"; \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

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

# Screenshots of every page type at 1280 and 390 wide (screenshots/current/), compared with the
# accepted set: screenshots/report.txt and red pixels in screenshots/diff/. Look at them after
# a template or stylesheet change, then accept them.
screenshots: setup-dev
	$(PY) -m pytest tests/browser/test_screenshots.py -q -s

accept-screenshots:
	test -d screenshots/current
	mkdir -p tests/screenshots/accepted
	cp screenshots/current/*.png tests/screenshots/accepted/

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(VENV)/.installed-dev
	$(PY) -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache  # .env is kept: it holds this machine's key
