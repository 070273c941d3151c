# Kefu Pulse. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help run test unit integration lint format typecheck bench soak clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP) ## the main job on embedded defaults, with demo traffic (Ctrl-C stops it)
	$(BIN)/kefu run --demo

# Most integration tests wait on brokers and worker processes, so two run at once per core
# pair; the speed guards then run alone (a neighbour's load skews the ratios they compare).
# Files go out in collection order, the `slow` ones first (tests/conftest.py).
test: $(STAMP) lint ## the whole suite: lint, types, unit and integration tests on both brokers
	$(BIN)/python -m pytest -q -n auto --maxprocesses=4 --dist loadfile --no-loadscope-reorder -m "not serial"
	$(BIN)/python -m pytest -q -m serial

unit: $(STAMP) ## fast tests without brokers
	$(BIN)/python -m pytest -q tests/unit

integration: $(STAMP) ## tests against Tansu, Apache Kafka and chDB
	$(BIN)/python -m pytest -q tests/integration

lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Quix Streams pins pydantic below ours, so the peer gets an environment of its own.
PEER := .cache/bench-peer
$(PEER)/.requirements: bench/peer-requirements.txt
	rm -rf $(PEER) && $(PYTHON) -m venv $(PEER)
	$(PEER)/bin/python -m pip install --quiet -r bench/peer-requirements.txt
	cp bench/peer-requirements.txt $@

bench: $(STAMP) $(PEER)/.requirements ## ours vs ceiling, Quix Streams, naive faust; rewrites BENCHMARKS.md (~6 min; BENCH_ARGS=--quick|--kafka apache)
	$(BIN)/python -m bench $(BENCH_ARGS)

soak: $(STAMP) ## a generated month through the real worker: memory, changelog, restore time (~10 min; SOAK_ARGS=--quick)
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

format: $(STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: ## remove the embedded store, caches and the venv
	rm -rf .kefu .cache $(VENV) .pytest_cache .mypy_cache .ruff_cache
