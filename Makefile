# FodiFood: `make run` starts the platform, `make test` runs the suite. Both bootstrap
# everything on a fresh machine: a private uv in .tools/, the locked environment in .venv/.

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.synced-stamp

.PHONY: install run test test-sqlite lint format typecheck bench-tools bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/fodi migrate
	$(BIN)/fodi seed-demo --once
	$(BIN)/fodi analytics demo --rows 5000
	$(BIN)/fodi up

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy

# Load generators for bench/ (Debian's wrk); the benchmarks say when they need it.
bench-tools:
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)

bench: install bench-tools
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
