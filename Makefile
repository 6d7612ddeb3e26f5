# make report: set up .venv, run the notebooks in order, write build/tables, figures/ and build/report.html.
# make test:   same set-up, then lint (ruff), the unit tests and every notebook executed as CI does.
# make unit:   the fast tests only (no whole pipelines, notebooks or process pools).
# make bench:  the pipeline on perturbed corpora of about 20, 200 and 1,000 documents; a table of speed and memory.
# ENGINE=serial|local|dask picks how per-document stages run (default local: a process pool; dask: DASK_SCHEDULER
# or a local Dask cluster). BENCH_SIZES="20 200" changes the benchmark's corpus sizes.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt pyproject.toml | cksum | cut -d' ' -f1)
CORPUS ?= seeds
ENGINE ?= local
BENCH_SIZES ?= 20 200 1000
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

export PYTHONHASHSEED := 0
export CORPUS
export ENGINE
export MPLBACKEND := Agg

.PHONY: report test unit lint bench clean setup

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .  # this project's helpers, importable from notebooks and tests
	@rm -f $(VENV)/.installed-*
	@touch $@

report: $(STAMP)
	@mkdir -p $${BUILD_DIR:-build}/notebooks
	@echo "corpus: $(CORPUS), engine: $(ENGINE)"
	$(PY) -m helpers.run_notebooks $${BUILD_DIR:-build}/notebooks $(NOTEBOOKS)
	@echo "report: $${BUILD_DIR:-build}/report.html"

test: lint $(STAMP)
	$(PY) -m pytest -q

unit: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests notebooks
	$(VENV)/bin/ruff format --check src tests notebooks

bench: $(STAMP)
	$(PY) -m helpers.bench --sizes $(BENCH_SIZES)

clean:
	rm -rf build .cache figures/*.png
