# simcare: `make run` and `make test` work on a fresh machine with Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast warm bench lint venv clean app

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

# `make app`: the web app for UEC leads on http://127.0.0.1:$(APP_PORT) (docs/app.md); Ctrl-C stops it.
APP_PORT ?= 8501

app: $(STAMP)
	$(BIN)/python -m simcare app --port $(APP_PORT)

# `make test`: lint (ruff check, ruff format --check), types, then every test (slow ones included)
# on TEST_WORKERS xdist workers with
# a coverage summary of simcare/ in the terminal. `make test-fast`: unit and parity tests without
# the slow ones (under 2 minutes once numba's cache is warm). Both warm numba's cache first, in
# one process, so the workers do not each compile the kernel.
TEST_WORKERS ?= 2
FAST_TESTS := tests/unit tests/parity
WARM := $(BIN)/python tests/warm_numba.py

warm: $(STAMP)
	$(WARM)

LINTED := simcare tests benchmarks calibration/analysis

test: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy
	$(WARM)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --durations=15 --cov=simcare --cov-report=term

test-fast: $(STAMP)
	$(WARM)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not slow" $(FAST_TESTS)

bench: $(STAMP)
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/winter.py
	$(BIN)/python benchmarks/batch.py

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .coverage .coverage.*
