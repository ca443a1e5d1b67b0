# conductor-mock: `make serve` and `make test` do all the setup on a fresh machine (Python 3.11+, make, Node 20 + npm).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8080
SCENARIO ?= scenarios/default.yaml
PYTEST_ARGS ?= -n 2

.PHONY: install js-sdk py-sdk redis serve test lint clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

## The real JavaScript SDK, for the SDK tests (into the git-ignored .sdk/ folder).
js-sdk:
	bash scripts/install-js-sdk.sh

## The real Python SDK (conductor-python 2.0.0), in its own venv .sdk/py, for the SDK tests.
py-sdk:
	PYTHON=$(PYTHON) bash scripts/install-python-sdk.sh

## Debian's redis-server, for the shared store (`serve --store redis://...`) and its tests.
redis:
	bash scripts/install-redis.sh

## Start the mock on 127.0.0.1:8080 with scenarios/default.yaml (override: make serve PORT=9090 SCENARIO=...).
serve: install
	$(BIN)/conductor-mock serve --scenario $(SCENARIO) --host $(HOST) --port $(PORT)

## Install everything and run every test.
test: install js-sdk py-sdk
	bash scripts/install-browser.sh
	bash scripts/install-redis.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## ruff + mypy --strict + the OpenAPI validator.
lint: install
	$(BIN)/ruff check mockserver tests
	$(BIN)/mypy
	$(BIN)/openapi-spec-validator openapi.yaml control-openapi.yaml

## Benchmarks (not tests): the mock vs a bare starlette route and Stoplight Prism, and at 10k-1M tasks, each
## target of issue 14 judged (holds / misses); then the per-request CPU, calls and allocations (bench/perf.py).
## Installs wrk (apt) and Prism (npm, into .bench/) when missing; about 10 minutes. Results: bench/RESULTS.md.
## BENCH_ARGS=--quick checks the harness in about 2 minutes (short rounds, 10k tasks; RESULTS.md untouched).
bench: install
	bash bench/install.sh
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/perf.py
	$(BIN)/python bench/namespaces.py
	$(BIN)/python bench/soak.py

clean:
	rm -rf $(VENV) .sdk .mypy_cache .ruff_cache .pytest_cache
