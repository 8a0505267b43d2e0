# The two commands a newcomer needs: `make run` and `make test`.
# Both create .venv themselves; nothing else has to be installed first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck unit browser test-cluster system-packages serve-production bench screenshots clean

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
	$(BIN)/pytest -m "not browser and not cluster"

browser: $(VENV)/.dev system-packages
	$(BIN)/pytest -m browser

## Only the several-instances test (tests/cluster/): PostgreSQL, Redis, two
## instances of scripts/serve-production and nginx on 127.0.0.1.
test-cluster: $(VENV)/.dev
	scripts/ensure-system-packages redis-server postgresql nginx-light
	$(BIN)/pytest -m cluster

## PNGs of the main pages, light and dark (and in Chinese, light), from the sandbox into docs/screenshots/.
screenshots: $(VENV)/.dev system-packages
	scripts/ensure-system-packages fonts-noto-cjk
	$(BIN)/python -m scripts.screenshots

## Serve as in production (README, "Running in production"): debug off, so
## DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set; static files
## collected and served by WhiteNoise; then scripts/serve-production, the
## container's entrypoint: gunicorn with threaded workers (deploy/gunicorn.conf.py).
serve-production: $(VENV)/.runtime
	DJANGO_DEBUG=false $(BIN)/python manage.py collectstatic --noinput -v 0
	PATH="$(CURDIR)/$(BIN):$$PATH" DJANGO_DEBUG=false HOST=$(HOST) PORT=$(PORT) scripts/serve-production

## The README's Performance figures: a few minutes, its own servers on
## 127.0.0.1 (options: make bench BENCH_ARGS="--duration 20 --latency-ms 20").
bench: $(VENV)/.runtime
	scripts/ensure-system-packages redis-server wrk
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## Debian packages the tests drive for real: chromium, redis-server, and for
## the several-instances test PostgreSQL and nginx.
system-packages:
	scripts/ensure-system-packages

clean:
	rm -rf $(VENV) staticfiles *.egg-info
