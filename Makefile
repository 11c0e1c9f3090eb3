# Two entry points (see README): `make app` and `make test`. Both set up .venv first.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
PORT ?= 8501
ADDRESS ?= 127.0.0.1

.PHONY: app test test-fast lint bench-quick screenshots system-deps

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# Debian's Chromium drives the browser tests; Graphviz's `dot` renders SVG downloads.
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v dot >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium graphviz >/dev/null; \
	fi

app: $(STAMP)
	$(VENV)/bin/python -m ui.serve --server.address $(ADDRESS) --server.port $(PORT)

# Everything. The tests without a browser run on two processes (pytest-xdist); the
# browser tests, each with its own server and Chromium, one at a time. Both parts run
# even when the first fails, so one run shows every failure.
test: $(STAMP) system-deps
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .; lint=$$?; \
	$(VENV)/bin/python -m pytest -n 2 --dist worksteal -m "not browser"; first=$$?; \
	$(VENV)/bin/python -m pytest -m browser; second=$$?; \
	exit $$(( lint || first || second ))

# Before each commit: the linter, then all but the browser and `slow` tests, on two
# processes (about two minutes on a 2-core machine).
test-fast: $(STAMP) lint
	$(VENV)/bin/python -m pytest -n 2 --dist worksteal -m "not slow and not browser"

# Every benchmark in its quick mode (a check that each still runs; `make test` runs them
# too, through tests/test_benchmarks.py).
bench-quick: $(STAMP) system-deps
	$(VENV)/bin/python -m pytest tests/test_benchmarks.py tests/test_gpu_check.py

# Ruff's lint rules and its formatter's check (pyproject.toml [tool.ruff]); `ruff format .`
# writes the format.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# assets/screenshots/: every page at 1280×720 and talk mode, through the tests' Chromium.
screenshots: $(STAMP) system-deps
	$(VENV)/bin/python -m tests.e2e.screenshots
