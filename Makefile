# The two commands a new user needs: `make run` and `make test`. Both set themselves up.
# Everything runs from the virtualenv in .venv, rebuilt when a requirements file changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format bench screenshots system-deps clean

## run: install the app's requirements and serve it on http://$(HOST):$(PORT)/
run: $(VENV)/.app-installed
	@echo "Open http://$(HOST):$(PORT)/ (and /compare) in two browsers. Ctrl-C stops."
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python app.py

## test: install everything the tests need (system packages too), lint, and run every suite
test: system-deps $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## system-deps: Chromium, Redis and nginx for the browser and scale-out suites (apt; a no-op when present)
system-deps:
	@bash scripts/install-system-deps.sh

$(VENV)/.app-installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt $(VENV)/.app-installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

## bench: every server side by side (about 10 minutes); writes docs/benchmarks.md and docs/benchmarks.png
bench: $(VENV)/.app-installed
	$(BIN)/pip install --quiet -r bench/requirements.txt
	cd bench && npm ci --no-audit --no-fund
	$(BIN)/python -m bench.run

## screenshots: regenerate the README's pictures in docs/ with the browser suite's Chromium set-up
screenshots: system-deps $(VENV)/.dev-installed
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
