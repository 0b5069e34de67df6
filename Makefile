# stylebot — the commands the README names. `make run` and `make test` set everything up themselves.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.stylebot-installed
PYTEST_ARGS ?=

.PHONY: setup test lint run demo bench bench-engine bench-queue bench-bot clean help

help:
	@echo "make run    - set up, then run the bot + engine (DISCORD_TOKEN set) or the offline demo"
	@echo "make test   - set up, then lint (ruff check + format check) + the whole test suite (what .ci/run calls)"
	@echo "make setup  - create $(VENV) and install stylebot with its dev tools (idempotent)"
	@echo "make bench  - engine, queue and bot benchmarks (see bench/RESULTS.md)"

setup: $(STAMP)

# Re-installs only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check --diff .

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

run: setup
	$(PY) -m stylebot run --auto

demo: setup
	$(PY) -m stylebot demo -o out/demo.png

bench: bench-engine bench-queue bench-bot

bench-engine: setup
	$(PY) bench/bench_engine.py

bench-queue: setup
	$(PY) bench/bench_queue.py

bench-bot: setup
	$(PY) bench/bench_bot.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache out
