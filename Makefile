# Two entry points for a fresh machine (see README): `make report` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
DATA   ?= $(or $(TKI_DATA_DIR),data/synthetic)

.PHONY: setup test report sections section supplement synthetic dictionary references clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

test: setup
	$(PY) -m pytest

synthetic: setup
	$(PY) -m analysis simulate --out data/synthetic

dictionary: setup
	$(PY) -m analysis dictionary --out data/README.md

references: setup
	$(PY) tests/reference/export_gbsg2.py
	$(PY) -m analysis derive data/synthetic --out tests/reference/synthetic_derived.csv
	Rscript tests/reference/make_reference.R

clean:
	rm -rf _book _freeze .quarto supplement
