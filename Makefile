# Two commands do all the set-up:  `make run` (execute the series) and `make test` (every test).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-oldest test-colab unit lab bench student notebooks lint fix-badges constraints clean help pairs

help:
	@echo "make run      set up, then execute the notebook series into build/ and print a summary"
	@echo "make pairs    run notebooks 01-07 for all 45 pairs of digits (2 at a time) and write docs/pairs.md"
	@echo "make test     set up, then run the unit tests and the notebook tests (nbval)"
	@echo "make test-oldest  the notebook tests on the oldest versions pyproject.toml declares (downloads ~3 GB)"
	@echo "make test-colab   every notebook and the student edition in Colab's package set (downloads GBs)"
	@echo "make lab      open JupyterLab on notebooks/"
	@echo "make bench    run the benchmarks (build/bench.json, build/bench.md)"
	@echo "make student  write the student edition to student/ (commit it)"

# The virtual environment, rebuilt when pyproject.toml or constraints.txt change.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -c constraints.txt -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m tools.run_series $(if $(PAIR),--pair $(PAIR))

# All 45 pairs through run_series, two at a time; resumable (build/pairs/ keeps each pair's result).
pairs: $(STAMP)
	$(BIN)/python -m tools.pairs --jobs 2

test: $(STAMP)
	$(BIN)/python -m tools.run_tests

unit: $(STAMP)
	$(BIN)/python -m pytest tests -q

# The oldest versions pyproject.toml claims, installed and tested: a second environment
# with each dependency at exactly its declared minimum (">=X" becomes "==X"; the rest as pip
# resolves them), then the notebook tests in lax mode (every cell runs and every assertion must
# pass; old versions print some values differently).  Not part of `make test`: it downloads about
# 3 GB (torch 2.1 from PyPI comes with its CUDA libraries).  OLDEST_PYTHON=python3.10 tests the
# oldest Python as well.
OLDEST        ?= .venv-oldest
OLDEST_PYTHON ?= $(PYTHON)

$(OLDEST)/.installed: pyproject.toml
	rm -rf $(OLDEST) && $(OLDEST_PYTHON) -m venv $(OLDEST)
	sed -n '/^dependencies = \[/,/^\]/p' pyproject.toml | grep -o '^ *"[^"]*"' | tr -d ' "' | sed 's/>=/==/' > $(OLDEST)/pins.txt
	$(OLDEST)/bin/python -m pip install --disable-pip-version-check -q -r $(OLDEST)/pins.txt -e . nbval pytest ipykernel
	$(OLDEST)/bin/python -m pip install --disable-pip-version-check -q --no-deps fastbook  # 03 imports it (as its %pip cell would)
	@touch $@

# The notebooks, lax, in another environment: $(1) its folder, $(2) why lax, $(3) the packages whose versions
# to print, $(4) the notebooks.  Used by test-oldest and test-colab.
define lax_notebooks
	@$(1)/bin/python -c 'import platform; print("Python", platform.python_version())'
	@$(1)/bin/python -m pip list --format=freeze | grep -iE '^($(3))=='
	NBVAL_MODE=lax NBVAL_MODE_REASON="$(2)" NBHELPERS_CACHE=$(abspath $(1))/cache \
	  $(1)/bin/python -m pytest -q --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  --nbval-cell-timeout 900 $(4)
endef

test-oldest: $(OLDEST)/.installed
	$(call lax_notebooks,$(OLDEST),the oldest versions pyproject.toml declares,torch|torchvision|fastai|fastcore|numpy|matplotlib|pillow|mlxtend|pandas|plum-dispatch,notebooks/[0-9]*.ipynb)

# Colab's runtime as a test.  tests/colab/ holds a dated copy of the package list Google publishes for
# Colab's CPU runtime (github.com/googlecolab/backend-info: pip-freeze.txt and os-info.txt; the date and
# commit are in tests/colab/README.md).  Every package Colab has becomes a constraint, so the project is
# installed without changing any of them (pip stops if it would have to), then every notebook and the
# student edition run, lax.  Colab takes torch from PyTorch's CPU index; where that index cannot be
# reached, COLAB_TORCH_INDEX= takes the same versions from PyPI (CUDA builds, about 3 GB more, whose CUDA
# libraries are then left free: Colab's CPU torch has none, and its own pins for them belong to other packages).  Not part
# of `make test`; .github/workflows/colab.yml runs it weekly against the newest list.
COLAB             ?= .venv-colab
COLAB_PYTHON      ?= python3.13
COLAB_FREEZE      ?= tests/colab/pip-freeze.txt
COLAB_TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

$(COLAB)/.installed: $(COLAB_FREEZE) pyproject.toml
	rm -rf $(COLAB) && $(COLAB_PYTHON) -m venv $(COLAB)
	sed -E -e 's|^([A-Za-z0-9_.-]+) @ https://download.pytorch.org/.*/[A-Za-z0-9_]+-([0-9.]+)%2B.*|\1==\2|' -e '/ @ /d' \
	  $(if $(COLAB_TORCH_INDEX),,-e '/^(nvidia|cuda)-/d') $(COLAB_FREEZE) > $(COLAB)/constraints.txt
	$(COLAB)/bin/python -m pip install --disable-pip-version-check -q -c $(COLAB)/constraints.txt \
	  $(if $(COLAB_TORCH_INDEX),--extra-index-url $(COLAB_TORCH_INDEX)) -e . nbval pytest ipykernel
	$(COLAB)/bin/python -m pip install --disable-pip-version-check -q --no-deps fastbook  # as 03's %pip cell does on Colab
	@touch $@

test-colab: $(COLAB)/.installed
	$(call lax_notebooks,$(COLAB),Colab's package set,torch|torchvision|fastai|fastcore|numpy|matplotlib|pillow|ipython|ipykernel|plum-dispatch,notebooks/[0-9]*.ipynb student/[0-9]*.ipynb)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

student: $(STAMP)
	$(BIN)/python -m tools.student

lint: $(STAMP)
	$(BIN)/ruff check nbhelpers tests tools benchmarks notebooks && $(BIN)/python -m tools.check_notebooks
	$(BIN)/actionlint .github/workflows/ci.yml .github/workflows/colab.yml

fix-badges: $(STAMP)
	$(BIN)/python -m tools.check_notebooks --fix-badges

# For developers: refresh the committed outputs (a clean top-to-bottom run on the full set).
notebooks: $(STAMP)
	$(BIN)/python -m tools.execute_notebooks notebooks/[0-9]*.ipynb

constraints: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | sed '/^nbhelpers/d' > constraints.tmp
	(head -2 constraints.txt; cat constraints.tmp) > constraints.new && rm constraints.tmp && mv constraints.new constraints.txt

# A wheel and an sdist in dist/, for installing without git or GitHub (a release file, a path on a hub):
#   pip install dist/nbhelpers-*.whl   or, in a notebook's install cell, NBHELPERS_WHEEL=/path/to/that.whl
.PHONY: dist
dist: $(STAMP)
	rm -rf dist && $(BIN)/python -m build --outdir dist . && $(BIN)/python -m twine check --strict dist/*

clean:
	rm -rf build
