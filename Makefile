# Two commands a newcomer needs: `make run` and `make test`. Both create the virtual environment
# on first use and reinstall only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/wallonia-bot run

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# pytest exits 5 when it collected no test: that must fail, never pass silently, so it is not
# caught here.
pytest: $(STAMP)
	$(BIN)/pytest

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
