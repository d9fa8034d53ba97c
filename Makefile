# ecg-suite: the two commands of the README are `make demo` (the main job) and `make test`.
# Each creates .venv on first use and is quick when it is already set up.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PKG_PYPROJECTS := $(wildcard packages/*/pyproject.toml)
PYTEST_ARGS ?=

.PHONY: setup demo test test-all lint typecheck docs bench release clean help

help:
	@echo "make demo     run the main job (the cpsc2019 benchmark, end to end)"
	@echo "make test     ruff, mypy --strict and pytest over every package and tests/"
	@echo "make test-all the same, including tests marked slow"
	@echo "make docs     the documentation site (mkdocs, strict) into site/"
	@echo "make bench    the performance scripts of bench/ (us against peers)"
	@echo "make release PKG=ecg-signal PART=patch|minor|major   bump one package"

$(STAMP): requirements-dev.txt pyproject.toml $(PKG_PYPROJECTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/ecg-bench run cpsc2019

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# A broken link or API reference, or a docstring griffe cannot parse, fails the strict build.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# pytest exits 5 when it collected no test: that must never count as a pass.
test: lint typecheck docs
	@set +e; $(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

test-all: lint typecheck docs
	@set +e; $(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

# The peers (torch_ecg, neurokit2) live in their own environment: torch_ecg pins pandas<3.
PEER := .venv-peer
$(PEER)/.installed: bench/requirements-peer.txt
	@test -x $(PEER)/bin/python || $(PYTHON) -m venv $(PEER)
	$(PEER)/bin/python -m pip install --quiet -r bench/requirements-peer.txt
	@touch $(PEER)/.installed

bench: $(STAMP) $(PEER)/.installed
	for f in bench/*.py; do $(BIN)/python $$f --peer-python $(PEER)/bin/python || exit 1; done

release: $(STAMP)
	$(BIN)/python tools/release.py $(PKG) $(PART)

clean:
	rm -rf $(VENV) $(PEER) build dist site .mypy_cache .ruff_cache .pytest_cache
