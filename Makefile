# Every command a user needs; see README.md.
PYTHON_VERSION := $(shell cat .python-version)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes (pytest-xdist): one per core; a file's tests stay together.
TEST_WORKERS ?= auto
# Production settings for `check --deploy`: a throwaway random key, DEBUG off.
PROD_ENV = DEBUG=False SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))') ALLOWED_HOSTS=crm.example.org

.PHONY: help install system-deps run serve worker scheduler test test-postgres lint fmt check bench clean

help:
	@grep -E '^[a-z-]+:.*?## ' $(MAKEFILE_LIST) | awk -F':.*?## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@./scripts/ensure-python.sh $(PYTHON_VERSION) $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev tools

system-deps: ## Install the Debian packages PDFs and browser checks use (root)
	./scripts/system-deps.sh

run: install system-deps ## Migrate, load reference and demo data, serve the admin on :8000 with a worker
	$(PY) manage.py migrate --no-input
	$(PY) manage.py setup_roles
	$(PY) manage.py seed_reference
	$(PY) manage.py seed_demo
	$(PY) manage.py demo_user
	HOST=$(HOST) PORT=$(PORT) PY=$(PY) ./scripts/run-dev.sh

serve: install ## Production setup on one machine: gunicorn + WhiteNoise + worker, DEBUG off, PostgreSQL
	HOST=$(HOST) PORT=$(PORT) PY=$(PY) ./scripts/serve.sh

worker: install ## Run the background task worker (large packs and imports)
	$(PY) manage.py db_worker

scheduler: install ## Plan and send the e-mail digests every few minutes (make run/serve start it)
	PY=$(PY) ./scripts/scheduler.sh

test: install ## Run the whole test suite (DATABASE_URL selects the database)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-postgres: install ## Run the suite on the local PostgreSQL server
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/crm} $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install ## Format and autofix with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: install ## System checks, missing migrations, deploy checks on production settings
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PROD_ENV) $(PY) manage.py check --deploy --fail-level WARNING

bench: install ## Benchmarks (figures printed, nothing asserted)
	$(PY) -m bench

clean: ## Remove the local database, media and caches
	rm -rf db.sqlite3 media staticfiles .pytest_cache .ruff_cache
