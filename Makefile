# Two commands for a newcomer: `make run` (demo at http://127.0.0.1:8000) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install migrate demo demo-reset lint worker beat bench-ingest clean

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
