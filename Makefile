# Two commands for a newcomer: `make run` (demo at http://127.0.0.1:8000) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install migrate demo demo-reset lint worker beat bench-ingest clean vendor

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_roles

demo: migrate
	$(PY) manage.py load_demo

# New demo passwords and a new consumer token, printed once.
demo-reset: migrate
	$(PY) manage.py load_demo --reset-passwords

run: demo
	@echo "Accord Monitor (embedded mode) at http://$(HOST):$(PORT)/ - demo logins were printed above"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run

# Production-style processes (need CELERY_BROKER_URL and DATABASE_URL).
worker: install
	$(VENV)/bin/celery -A config worker -Q ingest,rules,notify --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A config beat --loglevel=INFO

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles

# Front-end files from the npm registry (versions pinned in package.json / package-lock.json),
# copied into the tree so that `make run` and `make test` need no Node.js.
vendor:
	npm ci --no-audit --no-fund
	rm -rf monitor/static/vendor/leaflet && mkdir -p monitor/static/vendor/leaflet tests/browser/vendor
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.js.map node_modules/leaflet/dist/leaflet.css \
	  node_modules/leaflet/dist/images node_modules/leaflet/LICENSE monitor/static/vendor/leaflet/
	cp node_modules/axe-core/axe.min.js tests/browser/vendor/axe.min.js
	cp node_modules/axe-core/LICENSE tests/browser/vendor/LICENSE-axe-core
