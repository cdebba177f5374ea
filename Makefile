# Two commands: `make run` opens the dashboard on the sample data; `make test` runs every test.
#
# Both work with the system's own python3 (3.11 or newer), also where it is "externally managed"
# (PEP 668, Debian and Ubuntu): every Python package goes into the project's virtual environment
# .venv, which uv keeps exactly as uv.lock says. Nothing is installed into the system Python. uv
# itself (pinned below) lives in .uv, a small virtual environment made with `python3 -m venv`.
PYTHON ?= python3
PORT ?= 8501
# Parallel test workers: one per core.
JOBS ?= auto
UV_VERSION := 0.13.9

UV := .uv/bin/uv
# uv trusts the system's certificate store, as Debian's pip and apt-get do (so a company proxy's
# certificate, once installed there, works for all three).
export UV_SYSTEM_CERTS := 1
VENV_PY := .venv/bin/python
# uv makes .venv from $(PYTHON) (pyproject.toml forbids it to download an interpreter); --locked
# refuses a uv.lock that no longer matches pyproject.toml instead of quietly resolving anew.
SYNC := $(UV) sync --locked --python $(PYTHON) --quiet
# Debian's packages behind chart images (chromium), browser tests (chromium) and deck rendering
# (LibreOffice Impress, poppler): installed only when missing, and only by root.
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends
IS_ROOT = [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1

.PHONY: run test test-fast setup setup-dev setup-images setup-test benchmark clean

# -- Python: .uv (uv itself), then .venv (the project) ------------------------------------------

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "error: needs Python 3.11 or newer as '$(PYTHON)' (found: $$($(PYTHON) --version 2>&1)); set PYTHON=python3.12, say" >&2; exit 1; }
	@rm -rf .uv
	@$(PYTHON) -m venv .uv >/dev/null 2>&1 || { rm -rf .uv; \
		if $(IS_ROOT); then \
			echo "Installing Debian's python3-venv (python3 -m venv needs it)"; \
			apt-get update -q && $(APT_INSTALL) python3-venv && $(PYTHON) -m venv .uv; \
		else \
			echo "error: '$(PYTHON) -m venv' does not work here. Install the venv module, then run make again:" >&2; \
			echo "    sudo apt-get install python3-venv" >&2; exit 1; \
		fi; }
	.uv/bin/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)

# The dashboard's packages only (dev packages already in .venv stay).
setup: $(UV)
	$(SYNC) --inexact

# The dashboard's packages and the tests' and benchmarks' (the `dev` extra).
setup-dev: $(UV)
	$(SYNC) --extra dev

# -- System packages ------------------------------------------------------------------------------

# Chart images (the dashboard's PNG and SVG downloads) need a Chromium. Where there is none and
# apt-get can run (root), it is installed; elsewhere a note says so and the dashboard still starts:
# its image buttons say what to install, and CSV and XLSX downloads work without it.
setup-images: setup
	@$(VENV_PY) -c "import sys; from exports.files import images_unavailable; sys.exit(images_unavailable() is not None)" \
		|| { $(IS_ROOT) && apt-get update -q && $(APT_INSTALL) chromium; } \
		|| echo "note: no Chromium for chart images (install it: sudo apt-get install chromium); starting without PNG/SVG downloads"

# Browser tests and chart images use Debian's chromium (never a downloaded browser); deck tests
# render decks with LibreOffice and poppler. Without them (and not root) those tests say what to
# install and are skipped, except under CI=true, where they fail.
setup-test: setup-dev
	@{ command -v chromium && command -v soffice && command -v pdftoppm; } >/dev/null 2>&1 \
		|| { $(IS_ROOT) && apt-get update -q && $(APT_INSTALL) chromium libreoffice-impress poppler-utils; } \
		|| echo "note: browser and deck-rendering tests need Debian's chromium, LibreOffice and poppler (sudo apt-get install chromium libreoffice-impress poppler-utils); without them they are skipped"

# -- The two commands, and friends ----------------------------------------------------------------

run: setup setup-images
	$(VENV_PY) -m streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

# Every test, on every core.
test: setup-test
	$(VENV_PY) -m pytest -n $(JOBS)

# What a developer runs every few minutes: no browser, no deck rendering, no whole-process runs.
test-fast: setup-dev
	$(VENV_PY) -m pytest -n $(JOBS) -m "not browser and not deck and not slow"

benchmark: setup-test
	$(VENV_PY) -m benchmarks.run --events 1000000
	$(VENV_PY) -m benchmarks.pages --events 1000000
	$(VENV_PY) -m benchmarks.images --charts 10
	$(VENV_PY) -m benchmarks.deck --events 1000000
	$(VENV_PY) -m benchmarks.shapes --events 1000000

clean:
	rm -rf .venv .uv .pytest_cache
