# WildLens: `make demo` runs the app on the embedded demo model; `make test` runs lint, installs
# the system packages the tests use (as root) and runs the tests.
# Both create the virtual environment (.venv) with the package and its dev tools on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
# Offline by default: weights come from local packages; no telemetry or update checks.
export HF_HUB_OFFLINE ?= 1
export HF_HUB_DISABLE_TELEMETRY ?= 1
export NO_ALBUMENTATIONS_UPDATE ?= 1
export GRADIO_ANALYTICS_ENABLED ?= False

.PHONY: install system-packages demo test lint format clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --editable '.[dev]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/python app.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# Import layers and cycles (import-linter), checked on the package as it installs: data/,
	@# model/ and review/ become wildlens.data, wildlens.model and wildlens.review there.
	rm -rf build/layers build/lib  # build/lib: setuptools would pack modules that moved away
	$(BIN)/pip wheel --quiet --no-deps --no-build-isolation --wheel-dir build/layers .
	$(BIN)/python -m zipfile -e build/layers/wildlens-*.whl build/layers/site
	cd build/layers && PYTHONPATH=site ../../$(BIN)/lint-imports ../../pyproject.toml

# The Debian packages of tests/system-packages.txt (Chromium, a Chinese font), where this runs as
# root; elsewhere the tests that need them skip and say why.
system-packages:
	bash tests/install-system-packages.sh

test: lint system-packages
	$(BIN)/python -m pytest

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache *.egg-info
