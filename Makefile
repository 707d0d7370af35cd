# Two commands on a fresh machine: `make demo` runs the main job, `make test` the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest corpus coverage bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/listkeeper demo

# pytest-xdist: one worker a core (WORKERS=1 runs in one process); each worker starts its own
# offline web, PostgreSQL and Redis, so no test shares a server with another worker's.
WORKERS ?= auto

test: $(STAMP) lint typecheck pytest corpus
	$(BIN)/pytest -q -n $(WORKERS) --db-backend=postgresql  # the suite again, each test on its own PG database

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Each run in a new order (pytest-randomly; the seed is printed last): no test may lean on
# another having run first.
pytest: $(STAMP)
	$(BIN)/pytest -q -n $(WORKERS) -m "not corpus"

# The tests that read ../shared (others' pages and lists); announced in one line when absent.
corpus: $(STAMP)
	$(BIN)/pytest -q -n $(WORKERS) -m corpus

# Branch coverage of the packages from a lone clone (no ../shared) and with the corpora: the
# difference is what only others' data exercises, each a fixture still to write. The second
# figure adds the corpus suite's measurements to the first run's (the same suite again
# would measure the same lines).
coverage: $(STAMP)
	rm -rf .coverage-data && mkdir .coverage-data
	LISTKEEPER_SHARED=$(CURDIR)/.coverage-data/no-shared $(BIN)/coverage run -m pytest -q -p no:randomly
	$(BIN)/coverage combine -q && $(BIN)/coverage report --format=total | sed 's/^/lone clone: branch coverage %: /'
	$(BIN)/coverage json -q -o .coverage-data/lone.json
	$(BIN)/coverage run -m pytest -q -p no:randomly -m corpus
	$(BIN)/coverage combine -q -a && $(BIN)/coverage report --format=total | sed 's/^/with ..\/shared: branch coverage %: /'
	$(BIN)/coverage json -q -o .coverage-data/shared.json
	$(BIN)/python bench/coverage_gap.py .coverage-data/lone.json .coverage-data/shared.json

bench: $(STAMP)
	$(BIN)/python bench/readme.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .coverage-data
