# TaskSync: `make up` runs the embedded stack, `make test` runs every suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.DEFAULT_GOAL := help

help: ## Show this help
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@PYTHON=$(PYTHON) sh scripts/ensure-venv.sh $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e '.[bench]'
	@sh scripts/ensure-wrk.sh
	@touch $@

# The web app (web/): npm ci when its lock file changes, vite build when a source changes.
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html \
	web/vite.config.ts web/tsconfig.json

web/node_modules/.installed: web/package.json web/package-lock.json
	@sh scripts/ensure-node.sh
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run --silent build -- --logLevel warn

web: web/dist/index.html ## Build the web app into web/dist (served by the gateway at /)

install: $(VENV)/.installed ## Create .venv and install TaskSync
dev: $(VENV)/.installed-test ## Install TaskSync with the test and lint tools

up: $(VENV)/.installed web ## Run the embedded stack on http://127.0.0.1:$(PORT)
	$(BIN)/tasksync up --port $(PORT)

test: $(VENV)/.installed-test web ## Run every test suite (SQLite, PostgreSQL and Redis when they answer)
	@sh scripts/ensure-chromium.sh
	$(BIN)/pytest -n 2 --dist loadgroup

bench: $(VENV)/.installed-bench web ## Benchmark on PostgreSQL and SQLite; rewrites docs/performance.md
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.fanout
	$(BIN)/python -m bench.live
	$(BIN)/python -m bench.web_first_render

bench-quick: $(VENV)/.installed-bench ## A shorter benchmark while developing (under 3 minutes)
	$(BIN)/python -m bench.run --quick

lint: $(VENV)/.installed-test ## Check style and lint with ruff
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: $(VENV)/.installed-test ## Rewrite the code in the house style
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

clean: ## Remove the virtual environment, caches and local data
	rm -rf $(VENV) .pytest_cache .ruff_cache data web/node_modules web/dist test-artifacts

.PHONY: help web install dev up test bench bench-quick lint format clean
