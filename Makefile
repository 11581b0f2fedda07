# zhicheng — make demo (the platform with a demo city) · make test (the test suite)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-sqlite test-pg bench lint serve clean

install: $(STAMP)

$(STAMP): pyproject.toml scripts/install-system-deps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	bash scripts/install-system-deps
	@touch $(STAMP)

demo: install
	$(BIN)/zhicheng demo

test: install test-sqlite test-pg

# one pytest worker per core (pytest-xdist; each worker has its own PostgreSQL database and Chromium), a file's tests
# kept together on one worker; PYTEST_WORKERS=0 runs in one process
PYTEST_WORKERS ?= auto
XDIST := -n $(PYTEST_WORKERS) --dist loadfile

test-sqlite:
	$(BIN)/pytest -q $(XDIST)

# the same suite against the real PostgreSQL server (skipped with the reason printed when none answers)
test-pg:
	ZHICHENG_TEST_DB=postgres $(BIN)/pytest -q $(XDIST) -m "not browser and not slow"

bench: install
	@for b in bench/bench_*.py; do n=$$(basename $$b .py); $(BIN)/zhicheng bench $${n#bench_} || exit 1; done

lint: install
	$(BIN)/ruff check src tests bench

serve: install
	$(BIN)/zhicheng serve

clean:
	rm -rf $(VENV) var .pytest_cache
