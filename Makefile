# Two commands on a fresh clone:  `make run` (API on http://127.0.0.1:5000 with the seeded
# data on SQLite, and the webhook worker; `make run PORT=8000` for another port) and
# `make test` (the whole suite).
PYTHON ?= python3
PORT ?= 5000
VENV ?= .venv
BIN := $(VENV)/bin

TIMELINEJS := node_modules/@knight-lab/timelinejs/dist/js/timeline.js
# The five source articles: seeding loads their texts so every quote reads verified.
ARTICLES ?= ../shared/seeds

.PHONY: run test lint install clean timelinejs

$(BIN)/flask: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/flask

# The embed page serves TimelineJS from the npm package (no CDN); skipped without npm.
$(TIMELINEJS):
	@if command -v npm >/dev/null; then \
	  npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
	    @knight-lab/timelinejs@3.9.11; \
	else echo "npm not found: /embed pages need TimelineJS (see README)"; fi

timelinejs: $(TIMELINEJS)

# The webhook worker runs beside the server (docs/operations.md) and stops with it.
run: install timelinejs
	$(BIN)/flask --app api seed $(if $(wildcard $(ARTICLES)),--articles $(ARTICLES))
	$(BIN)/flask --app api webhooks worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/flask --app api run --host 127.0.0.1 --port $(PORT)

test: install timelinejs
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
