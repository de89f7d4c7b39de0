# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv/ first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

# torch is only a test oracle; pinned to the CPU wheel (a bare `torch` would pull a CUDA build).
$(VENV)/.torch: $(STAMP)
	$(BIN)/python -m pip install --quiet 'torch==2.13.0'
	@touch $@

demo: $(STAMP)
	$(BIN)/python examples/optimizer_paths.py

test: $(STAMP) $(VENV)/.torch
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
