# Two commands on a fresh machine: `make demo` runs the main job, `make test` the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest corpus bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/listkeeper demo

test: $(STAMP) lint typecheck pytest corpus
	$(BIN)/pytest -q --db-backend=postgresql  # the suite again, each test on its own PG database

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q -m "not corpus"

# The tests that read ../shared (others' pages and lists); announced in one line when absent.
corpus: $(STAMP)
	$(BIN)/pytest -q -m corpus

bench: $(STAMP)
	$(BIN)/python bench/readme.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
