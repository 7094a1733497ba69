# The two commands a newcomer needs: `make demo` (the main job on sample data) and `make test`.
# Both create the virtual environment .venv and install the package into it first. `make quick` is
# the everyday loop: the same without the slow tests (LibreOffice, RunPython, benchmark smoke).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test quick lint templates bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python >= 3.11 is needed: the live extra (xlwings) requires it. Run e.g. make PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,live,postgres]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/xltools demo demo

test: lint
	$(BIN)/python -m pytest -q

quick: lint
	$(BIN)/python -m pytest -q -m "not slow"

# The code's style and the layer contracts (docs/architecture.md), both configured in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check xltools tests benchmarks
	$(BIN)/lint-imports

templates: $(STAMP)
	$(BIN)/xltools templates build --out workbook_templates
	$(BIN)/xltools templates docs --out docs
	$(BIN)/xltools excel build --out workbook_templates

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) demo .pytest_cache build xltools.egg-info
