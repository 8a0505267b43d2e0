# The two commands a newcomer needs: `make run` and `make test`.
# Both create .venv themselves; nothing else has to be installed first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck unit browser system-packages serve-production bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamps: reinstall when pyproject.toml changes.
$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.runtime $@

## Serve the dashboard on http://127.0.0.1:8000 (the embedded sandbox unless MODELARTS_ENDPOINT is set).
run: $(VENV)/.runtime
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

## Every check CI runs: lint, types, unit and integration tests, browser tests.
test: $(VENV)/.dev system-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev
	$(BIN)/mypy

unit: $(VENV)/.dev
	$(BIN)/pytest -m "not browser"

browser: $(VENV)/.dev system-packages
	$(BIN)/pytest -m browser

## Debian packages the tests drive for real: chromium, redis-server.
system-packages:
	scripts/ensure-system-packages

clean:
	rm -rf $(VENV) staticfiles *.egg-info
