# The two README commands: `make demo` (run the app with a demo deployment) and `make test`.
PYTHON ?= python3
PORT ?= 8000
export BOROUGHS_DATA_DIR ?= $(abspath ../shared/data)

.PHONY: install install-test chromium demo serve test lint imports typecheck pytest lock vendor

# The app's own lock (hash-checked): what `make demo` and `make serve` need, and nothing for tests.
install:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps -e .

# The test lock (hash-checked): the app plus the pdf, spark and test extras.
install-test:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-test.lock
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps -e .

chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

demo: install
	BOROUGHS_DEMO_MODE=true $(PYTHON) -m boroughs demo seed
	BOROUGHS_DEMO_MODE=true $(PYTHON) -m boroughs serve --port $(PORT)

serve: install
	$(PYTHON) -m boroughs serve --port $(PORT)

lint:
	$(PYTHON) -m ruff check boroughs tests benchmarks scripts docs/examples

# The architecture's contracts (.importlinter): core knows no area, HTTP only in routes, no cycles, ...
imports:
	$(PYTHON) -c "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"

typecheck:
	$(PYTHON) -m mypy boroughs

pytest:
	$(PYTHON) -m pytest -n 2 --dist loadgroup -p no:cacheprovider

test: install-test chromium lint imports typecheck pytest

lock:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(PYTHON) scripts/lock.py

vendor:
	bash scripts/vendor_assets.sh
