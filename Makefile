# Two commands on a fresh clone:  `make run` (API on http://127.0.0.1:5000 with the seeded
# data on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint install clean

$(BIN)/flask: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/flask

run: install
	$(BIN)/flask --app api seed
	$(BIN)/flask --app api run --host 127.0.0.1 --port 5000

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
