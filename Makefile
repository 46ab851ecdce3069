# Two entry points for a fresh machine (see README): `make report` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
DATA   ?= $(or $(TKI_DATA_DIR),data/synthetic)

.PHONY: setup test report section supplement pair synthetic dictionary references clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

test: setup
	$(PY) -m pytest

# The main job: validate (stops on any data problem), export the supplement, then render the
# book with Quarto (its pre-render step validates again and guards _freeze/), or, without
# Quarto, execute every chapter headless and say what to install.
report: setup
	$(PY) -m analysis validate $(DATA)
	$(PY) -m analysis export $(DATA) --out supplement
	@if command -v quarto >/dev/null 2>&1; then \
		PATH="$(abspath $(VENV))/bin:$$PATH" TKI_DATA_DIR="$(abspath $(DATA))" \
		QUARTO_PYTHON="$(abspath $(PY))" QUARTO_VERSION="$$(quarto --version)" quarto render; \
	else \
		$(PY) -m analysis sections --data-dir $(DATA) --out _build/sections && \
		$(PY) -m analysis quarto-missing; \
	fi

# Rerun one section: make section NAME=efficacy
section: setup
	@test -n "$(NAME)" || (echo "usage: make section NAME=cohort|efficacy|subgroups|safety" && exit 2)
	$(PY) -m analysis validate $(DATA)
	@if command -v quarto >/dev/null 2>&1; then \
		PATH="$(abspath $(VENV))/bin:$$PATH" TKI_DATA_DIR="$(abspath $(DATA))" \
		QUARTO_PYTHON="$(abspath $(PY))" QUARTO_VERSION="$$(quarto --version)" \
		quarto render "$$($(PY) -m analysis section-path $(NAME))"; \
	else \
		$(PY) -m analysis sections $(NAME) --data-dir $(DATA) --out _build/sections; \
	fi

supplement: setup
	$(PY) -m analysis export $(DATA) --out supplement

# Re-sync the paired notebooks after editing either form.
pair: setup
	$(PY) -m analysis alt-text
	cd notebooks && ../$(VENV)/bin/jupytext --sync [0-9][0-9]-*.py

synthetic: setup
	$(PY) -m analysis simulate --out data/synthetic

dictionary: setup
	$(PY) -m analysis dictionary --out data/README.md

references: setup
	$(PY) tests/reference/export_gbsg2.py
	$(PY) tests/reference/export_model_spec.py
	$(PY) -m analysis derive data/synthetic --out tests/reference/synthetic_derived.csv
	Rscript tests/reference/make_reference.R

clean:
	rm -rf _book _freeze .quarto _build supplement
