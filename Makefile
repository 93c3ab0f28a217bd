# Two entry points, each self-contained on a fresh machine:
#   make demo   set up .venv and build the bundled digits model for the iCEBreaker
#   make test   set up .venv and run the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

.PHONY: demo test bench
demo: $(VENV)/.installed
	$(VENV)/bin/lgnhw build --board ice40

test: $(VENV)/.installed
	$(VENV)/bin/pytest -n 2 -q -m "not slow"

bench: $(VENV)/.installed
	$(VENV)/bin/pytest -q -m slow
	$(PY) benchmarks/run_all.py
