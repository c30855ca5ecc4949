# Two commands a newcomer needs: `make run` and `make test`. Both create the virtual environment
# on first use and reinstall only when pyproject.toml changes. They need nothing but Python >= 3.11
# and the package index: no `.env`, no token, nothing outside this folder.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint typecheck pytest pytest-fast bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/wallonia-bot run

# Every check and every test. PYTEST_ARGS passes options on (e.g. PYTEST_ARGS="-k join -x");
# PYTEST_SEED=<seed> repeats a run's random choices (the seed is printed in pytest's header).
test: lint typecheck pytest

# The same checks without the tests marked slow (process kills, load, long waits): for while
# you work. `make test` still runs everything, and CI runs `make test`.
test-fast: lint typecheck pytest-fast

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# pytest exits 5 when it collected no test: that must fail, never pass silently, so it is not
# caught here.
pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

pytest-fast: $(STAMP)
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

# Every figure of the README's "Performance" section, with its target beside it (~6 minutes).
bench: $(STAMP)
	$(BIN)/python bench/accuracy.py
	$(BIN)/python bench/matching_speed.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/lead_commits.py
	$(BIN)/python bench/dialogue_cost.py
	$(BIN)/python bench/end_to_end.py
	$(BIN)/python bench/memory.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
