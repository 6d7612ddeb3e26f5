# make report: set up .venv, run the notebooks in order, write build/tables, figures/ and build/report.html.
# make test:   same set-up, then the unit tests and every notebook executed as CI does.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt pyproject.toml | cksum | cut -d' ' -f1)
CORPUS ?= seeds
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

export PYTHONHASHSEED := 0
export CORPUS
export MPLBACKEND := Agg

.PHONY: report test clean setup

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

report: $(STAMP)
	@mkdir -p build/notebooks
	@echo "corpus: $(CORPUS)"
	$(PY) -m helpers.run_notebooks build/notebooks $(NOTEBOOKS)
	@echo "report: build/report.html"

test: $(STAMP)
	$(PY) -m pytest -q

clean:
	rm -rf build figures/*.png
