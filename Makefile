# simcare: `make run` and `make test` work on a fresh machine with Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint venv clean

# `make run`: the BNSSG winter baseline against its intervention scenarios, REPS replications each
# under common random numbers on WORKERS processes; writes report/winter.html (docs/report.md).
REPS ?= 15
WORKERS ?= 2
BNSSG := scenarios/bnssg
INTERVENTIONS := digital_first integrated_urgent_care community_capacity discharge_capacity combined flu_surge

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m simcare compare $(BNSSG)/baseline_winter.yaml \
		$(foreach s,$(INTERVENTIONS),$(BNSSG)/$(s).yaml) \
		--reps $(REPS) --workers $(WORKERS) --out report --report report/winter.html
	@echo "open $(CURDIR)/report/winter.html in a web browser"

test: $(STAMP)
	$(BIN)/ruff check simcare tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --durations=15

bench: $(STAMP)
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/winter.py
	$(BIN)/python benchmarks/batch.py

lint: $(STAMP)
	$(BIN)/ruff check simcare tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache
