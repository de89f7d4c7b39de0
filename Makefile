# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv/ first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: demo test lint bench bench-grade bench-quiz bench-peers bench-cluster system-deps clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

# torch is only a test oracle; pinned to the CPU wheel (a bare `torch` would pull a CUDA build).
$(VENV)/.torch: $(STAMP)
	$(BIN)/python -m pip install --quiet 'torch==2.13.0'
	@touch $@

# otter-grader for `optigrade export otter` and its tests (an extra: the grader does not need it).
$(VENV)/.otter: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[otter]'
	@touch $@

# The TA's main job on the bundled example class: grade, then show where the outputs are.
demo: $(STAMP)
	@# Exit 4: graded, but a file was refused (the class holds one that is not a notebook).
	$(BIN)/optigrade grade --assignment optimizers --out out/demo --regrade -- \
		examples/submissions/optimizers examples/submissions/canvas_download.zip \
		|| [ $$? -eq 4 ]
	@echo; echo "--- out/demo/grades.csv ---"; cat out/demo/grades.csv
	@echo; echo "--- out/demo/feedback/yoon_jisu.md (Korean feedback for a known mistake) ---"
	@cat out/demo/feedback/yoon_jisu.md
	@echo; echo "--- the class report: open out/demo/class_report.html in a browser ---"

# Chromium prints the quiz PDFs (and screenshots the HTML in tests); Nanum fonts draw Korean,
# DejaVu Math TeX Gyre (an OpenType MATH font) places the MathML sub- and superscripts.
SYSTEM_DEPS := chromium fonts-nanum fonts-dejavu-extra poppler-utils
$(VENV)/.system-deps: $(STAMP)
	@if command -v chromium >/dev/null && command -v pdftoppm >/dev/null \
		&& fc-list 2>/dev/null | grep -qi nanum && fc-list 2>/dev/null | grep -qi 'dejavu math'; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $(SYSTEM_DEPS); \
	else echo "optigrade: install these system packages for PDF quizzes: $(SYSTEM_DEPS)"; fi
	@touch $@

system-deps: $(VENV)/.system-deps

test: $(STAMP) $(VENV)/.torch $(VENV)/.otter $(VENV)/.system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: bench-grade bench-quiz

bench-grade: $(STAMP)
	$(BIN)/python benchmarks/grade_batch.py --repeat 3

# The local pool against a two-worker Dask cluster on this machine, alternating; ~6 min.
bench-cluster: $(STAMP)
	$(BIN)/python benchmarks/cluster.py --count 1000 --repeat 2

bench-quiz: $(STAMP)
	$(BIN)/python benchmarks/quiz_build.py
	$(BIN)/python benchmarks/quiz_scan.py

# optigrade vs otter-grader vs nbgrader on one batch (own venvs under benchmarks/peers/); ~20 min.
bench-peers: $(STAMP)
	$(BIN)/python -m benchmarks.peers

clean:
	rm -rf $(VENV) build *.egg-info
