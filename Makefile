# Two commands do all the set-up:  `make run` (execute the series) and `make test` (every test).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PAIR   ?= 2,6

.PHONY: run test unit lab bench student notebooks lint fix-badges constraints clean help pairs

help:
	@echo "make run      set up, then execute the notebook series into build/ and print a summary"
	@echo "make pairs    run notebooks 01-07 for all 45 pairs of digits (2 at a time) and write docs/pairs.md"
	@echo "make test     set up, then run the unit tests and the notebook tests (nbval)"
	@echo "make lab      open JupyterLab on notebooks/"
	@echo "make bench    run the benchmarks (build/bench.json, build/bench.md)"
	@echo "make student  write the student edition to student/ and docs/cheatsheet.png (commit both)"

# The virtual environment, rebuilt when pyproject.toml or constraints.txt change.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -c constraints.txt -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m tools.run_series --pair $(PAIR)

# All 45 pairs through run_series, two at a time; resumable (build/pairs/ keeps each pair's result).
pairs: $(STAMP)
	$(BIN)/python -m tools.pairs --jobs 2

test: $(STAMP)
	$(BIN)/python -m tools.run_tests

unit: $(STAMP)
	$(BIN)/python -m pytest tests -q

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

student: $(STAMP)
	$(BIN)/python -m tools.student
	$(BIN)/python -m tools.teaching

lint: $(STAMP)
	$(BIN)/ruff check nbhelpers tests tools benchmarks notebooks && $(BIN)/python -m tools.check_notebooks

fix-badges: $(STAMP)
	$(BIN)/python tools/check_notebooks.py --fix-badges

# For developers: refresh the committed outputs (a clean top-to-bottom run on the full set).
notebooks: $(STAMP)
	$(BIN)/python -m tools.execute_notebooks notebooks/[0-9]*.ipynb

constraints: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | sed '/^nbhelpers/d' > constraints.tmp
	(head -2 constraints.txt; cat constraints.tmp) > constraints.new && rm constraints.tmp && mv constraints.new constraints.txt

clean:
	rm -rf build
