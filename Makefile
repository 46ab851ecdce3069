# Two entry points for a fresh machine (see README): `make report` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
DATA   ?= $(or $(TKI_DATA_DIR),data/synthetic)

# The environment's files live outside the checkout and .venv is a link to them: Quarto lists
# every file under the project folder twice per render (quarto-cli issue 6771) and does not follow
# links, and a virtual environment's 34,000 files cost about 4 s of every `make section`. One
# environment per checkout (the folder's name and a checksum of its path); ENV_HOME moves them all.
ENV_HOME ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tki-her2-report
ENV_DIR  := $(ENV_HOME)/$(notdir $(CURDIR))-$(firstword $(shell printf '%s' '$(CURDIR)' | cksum))

.PHONY: setup tools quarto test report check-render section supplement pair synthetic dictionary references word-reference clean clean-env

$(STAMP): pyproject.toml
	@if [ -L $(VENV) ] && [ ! -e $(VENV) ]; then rm $(VENV); fi
	@if [ -e $(VENV) ]; then :; \
	elif mkdir -p "$(ENV_DIR)" 2>/dev/null; then \
		echo "setup: the environment in $(ENV_DIR) (linked as $(VENV))" && \
		$(PYTHON) -m venv "$(ENV_DIR)" && ln -s "$(ENV_DIR)" $(VENV); \
	else \
		echo "setup: cannot create $(ENV_DIR) (set ENV_HOME to a writable folder);" \
			"the environment goes into $(VENV) inside the checkout" && \
		$(PYTHON) -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

# An explicit `make setup` also (re)tries to install Quarto into .venv (see `quarto`).
setup: $(STAMP)
	@[ -L $(VENV) ] || echo "note: $(VENV) is a folder inside the checkout, so every Quarto render lists its files" \
		"(seconds per render); \`make clean-env && make setup\` puts it outside, linked as $(VENV)"
	$(if $(filter setup,$(MAKECMDGOALS)),@$(PY) -m analysis quarto-path --retry >/dev/null || true)

# Quarto >= 1.9 into .venv through PyPI's quarto-cli (needs internet), even after a failed attempt.
quarto: $(STAMP)
	@$(PY) -m analysis quarto-path --retry

# The suite on every core (pytest-xdist); a test file stays on one worker, so the chapters it
# executes once are shared by its tests.
test: setup
	@$(MAKE) --no-print-directory tools
	$(PY) -m pytest -n auto --dist loadfile

# poppler's pdftotext (word boxes of exported figure PDFs): Debian's poppler-utils, installed when
# missing and apt-get can (as root, e.g. CI); otherwise those tests skip, saying why (they fail on CI).
tools:
	@command -v pdftotext >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; } \
		|| echo "note: pdftotext not installed (Debian poppler-utils); the figure word-box tests will skip"; }

# The main job: validate (stops on any data problem), then render the
# book with Quarto >= 1.9 (its pre-render step validates again and guards _freeze/; `quarto-path`
# finds one or tries once to install it into .venv; `render` runs `quarto render` with the
# project's Python and data folder), or, without, execute every chapter headless and say what
# to install.
report: setup
	$(PY) -m analysis validate $(DATA)
	@if Q="$$($(PY) -m analysis quarto-path)"; then \
		$(PY) -m analysis render --quarto "$$Q" --data-dir $(DATA); \
	else \
		$(PY) -m analysis sections --data-dir $(DATA) --out _build/sections && \
		$(PY) -m analysis quarto-missing; \
	fi

# Render the book, then audit what readers see in each format (PDF: text off the page, overlaps,
# blank pages, text under 7 pt, HTML character references printed as text; Word: invalid
# paragraphs, nested tables, header rows, figure dpi; HTML: citation numbers; all: inline code
# left as source). Needs Quarto >= 1.9.
check-render: report
	@if ls _book/*.pdf _book/*.docx >/dev/null 2>&1; then \
		$(PY) -m analysis check-render _book; \
	else \
		echo "check-render: nothing to audit: the book was not rendered (Quarto >= 1.9 is needed; see above)"; \
		exit 2; \
	fi

# Rerun one section: make section NAME=efficacy renders that chapter as its HTML page
# (_book/NN-name.html; TO=typst or TO=docx renders the whole book in that format, the other
# chapters from _freeze/).
TO ?= html
section: setup
	@test -n "$(NAME)" || (echo "usage: make section NAME=cohort|efficacy|subgroups|safety" && exit 2)
	@$(PY) -m analysis section-path $(NAME) >/dev/null
	$(PY) -m analysis validate $(DATA)
	@if Q="$$($(PY) -m analysis quarto-path)"; then \
		$(PY) -m analysis render --quarto "$$Q" --data-dir $(DATA) \
			"$$($(PY) -m analysis section-path $(NAME))" -- --to $(TO); \
	else \
		$(PY) -m analysis sections $(NAME) --data-dir $(DATA) --out _build/sections; \
	fi

# The manuscript's tables and figures (supplement/main/), figure source data, the Supplementary
# Appendix (PDF and Word, rendered by Quarto when there is one) and manifest.csv; supplement.yml
# says which tables and figures are the manuscript's. See README, "The supplement".
supplement: setup
	$(PY) -m analysis validate $(DATA)
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

# Rewrite the Word styles (analysis/book/quarto/word-reference.docx) from Pandoc's own.
word-reference: setup
	$(PY) -m analysis word-reference

clean:
	rm -rf _book _freeze .quarto _build supplement

# Remove this checkout's environment (the folder .venv links to, and the link); setup remakes it.
# A link to a folder setup did not make is only unlinked.
clean-env:
	@if [ "$$(readlink $(VENV))" = "$(ENV_DIR)" ]; then rm -rf "$(ENV_DIR)"; fi
	rm -rf $(VENV)
