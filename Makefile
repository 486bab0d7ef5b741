# Arrears: two commands do all set-up on a fresh machine.
#   make run   install, migrate, load the demo and serve web + worker + beat
#   make test  install the test tools and run the whole suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: run test install install-dev messages migrate demo static lint bench clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
# A developer's checkout gets the demo's .env too, so manage.py works there (makemigrations, shell)
# without a SECRET_KEY of its own; the tests ignore it (tests/settings.py).
install-dev: $(VENV)/.installed-dev .env

# The demo runs as a deployment does, with DEBUG off (the app's own error pages,
# static files from whitenoise); DEMO=true only lets it serve plain http on
# 127.0.0.1 and load demo data (config/settings.py). A real deployment sets its
# own environment (docs/operations.md).
.env:
	printf 'DEMO=true\n' > $@

# What every page links to, hashed and compressed, where whitenoise serves it from.
static: install .env
	$(PY) manage.py collectstatic --no-input -v0

# Compile the Chinese catalogue (needs gettext's msgfmt; no settings needed).
messages: install
	@if command -v msgfmt >/dev/null 2>&1; then \
		env -u DJANGO_SETTINGS_MODULE $(VENV)/bin/django-admin compilemessages --ignore=$(VENV) --ignore=var -v0; \
	else \
		echo "gettext is missing: the interface will only speak English (apt-get install gettext)"; \
	fi

migrate: install .env
	$(PY) manage.py migrate --no-input

# A small portfolio (3,000 accounts) and its collection floor the first time; later runs keep what is there.
demo: migrate
	$(PY) manage.py seed_demo --accounts 3000 --seed 1 --if-empty
	$(PY) manage.py seed_demo_staff
	$(PY) manage.py seed_demo_collection --seed 1 --if-empty
	$(PY) manage.py seed_demo_legal --seed 1 --if-empty
	$(PY) manage.py seed_demo_automation --seed 1 --if-empty
	$(PY) manage.py seed_demo_agencies --seed 1 --if-empty

run: .env
	@# A .env written by an earlier `make run` turned DEBUG on: the demo now runs without it.
	@if [ "$$(cat .env)" = "DEBUG=true" ]; then printf 'DEMO=true\n' > .env; fi
	scripts/install-system-packages run
	$(MAKE) messages demo static
	@echo "Arrears is starting on http://127.0.0.1:$${PORT:-8000}/ (Ctrl-C stops the web server and the worker)"
	scripts/run-demo

# Against SQLite and in-process Celery unless DATABASE_URL and
# CELERY_BROKER_URL say otherwise. pytest's "no tests ran" (exit 5) counts as
# a failure: a suite that runs nothing has proved nothing.
test:
	scripts/install-system-packages test
	$(MAKE) install-dev messages
	@$(PY) -m pytest $(PYTEST_ARGS) || { status=$$?; \
		[ $$status -eq 5 ] && echo "pytest collected no tests: that is a failure here"; \
		exit $$status; }

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: install-dev
	@ls bench/*.py >/dev/null 2>&1 && for script in bench/*.py; do $(PY) $$script || exit 1; done || echo "no benchmarks yet"

clean:
	rm -rf $(VENV) var .pytest_cache
