# The two commands of the README: `make run` and `make test`. Everything else is a step of those.
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_DOSSIERS ?= 400
# The suites run on every core (pytest-xdist); PYTEST_WORKERS=0 runs them in this one process.
PYTEST_WORKERS ?= auto
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: install run demo test test-postgresql fuzz-api lint format lock clean

$(VENV)/.installed: requirements.lock scripts/find-python
	@python=$$(scripts/find-python) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then \
		rm -rf $(VENV); echo "Creating $(VENV) with $$python"; "$$python" -m venv $(VENV) || exit 1; \
	fi
	$(PY) -m pip install --quiet --upgrade "pip>=25"
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	@touch $@

install: $(VENV)/.installed

# Migrates the SQLite database under var/, loads reference and demo data (idempotent), prints one login
# per role, then serves the application.
run: demo
	$(PY) manage.py runserver --noreload $(HOST):$(PORT)

demo: install
	@mkdir -p var
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_reference_data
	$(PY) manage.py seed_demo --dossiers $(DEMO_DOSSIERS)

test: install
	@scripts/ensure-chromium
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The same suite on PostgreSQL, PostgreSQL-only tests included (they are skipped on SQLite).
test-postgresql: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/contrats} REQUIRE_POSTGRESQL=1 \
		$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# schemathesis against the live API (a fresh SQLite database with the demo data, three users' tokens).
fuzz-api: install
	$(PY) scripts/fuzz_api.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Regenerates the lock file from pyproject.toml (needs network access to PyPI).
lock: install
	$(PY) -m pip install --quiet "uv>=0.9"
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.12 \
		--universal -o requirements.lock
	$(PY) -m pip uninstall --quiet --yes uv

clean:
	rm -rf $(VENV) var/db.sqlite3
