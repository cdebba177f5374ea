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
# Made once uv $(UV_VERSION) is in .uv: a new version pinned here makes .uv anew.
UV_STAMP := .uv/uv-$(UV_VERSION)
# uv trusts the system's certificate store, as Debian's pip and apt-get do (so a company proxy's
# certificate, once installed there, works for all three).
export UV_SYSTEM_CERTS := 1
VENV_PY := .venv/bin/python
# uv makes .venv from $(PYTHON) (pyproject.toml forbids it to download an interpreter); --locked
# refuses a uv.lock that no longer matches pyproject.toml instead of quietly resolving anew.
SYNC := $(UV) sync --locked --python $(PYTHON) --quiet
SYNC_FAILED := { echo "error: .venv could not be set up (above); after editing pyproject.toml, run make lock first" >&2; exit 1; }
# Debian's packages behind chart images (chromium), browser tests (chromium) and deck rendering
# (LibreOffice Impress, poppler): installed only when missing, and only by root.
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends
IS_ROOT = [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1
# Exits 0 when chart images can be made: a Chromium or Chrome, found the way kaleido and the tests look.
HAS_CHROMIUM := $(VENV_PY) -c "import sys; from exports.files import images_unavailable; sys.exit(images_unavailable() is not None)"
# Shell: installs the packages in $$missing one at a time when root (so one that cannot be had, such
# as Ubuntu's chromium, which is a snap, stops none of the others), then names what is still missing;
# under CI=true that is an error, before any test runs.
INSTALL_MISSING = \
	if [ -n "$$missing" ] && $(IS_ROOT); then \
		apt-get update -q; left=""; \
		for p in $$missing; do $(APT_INSTALL) $$p || left="$$left $$p"; done; missing="$$left"; \
	fi; \
	for p in $$missing; do \
		case $$p in \
		chromium) echo "note: no Chromium: install Debian's (sudo apt-get install chromium; on Ubuntu: sudo snap install chromium), or set BROWSER_PATH to a Chrome or Chromium";; \
		*) echo "note: $$p is missing: sudo apt-get install $$p";; \
		esac; \
	done; \
	case "$${CI:-}" in ""|0|false|no) ;; *) [ -z "$$(echo $$missing)" ] || { echo "error: CI=true and system packages are missing:$$missing" >&2; exit 1; };; esac

.PHONY: run test test-fast setup setup-dev setup-images setup-test benchmark lock clean

# -- Python: .uv (uv itself), then .venv (the project) ------------------------------------------

$(UV_STAMP):
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
	@touch $@

# The dashboard's packages only (dev packages already in .venv stay).
setup: $(UV_STAMP)
	@echo $(SYNC) --inexact; $(SYNC) --inexact || $(SYNC_FAILED)

# The dashboard's packages and the tests' and benchmarks' (the `dev` extra).
setup-dev: $(UV_STAMP)
	@echo $(SYNC) --extra dev; $(SYNC) --extra dev || $(SYNC_FAILED)

# -- System packages ------------------------------------------------------------------------------

# Chart images (the dashboard's PNG and SVG downloads) need a Chromium. Without one the dashboard
# still starts: its image buttons say what to install, and CSV and XLSX downloads work without it.
setup-images: setup
	@missing=""; $(HAS_CHROMIUM) || missing="chromium"; \
	$(INSTALL_MISSING)

# Browser tests and chart images use the system's Chromium (never a downloaded browser); deck tests
# render decks with LibreOffice and poppler; the Spark engine's tests run PySpark on a Java (17, or
# any Java already there). Without them those tests say what to install and are skipped, except
# under CI=true, where they fail.
setup-test: setup-dev
	@missing=""; $(HAS_CHROMIUM) || missing="chromium"; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-impress"; \
	{ command -v pdftoppm && command -v pdfinfo; } >/dev/null || missing="$$missing poppler-utils"; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	$(INSTALL_MISSING)

# -- The two commands, and friends ----------------------------------------------------------------

run: setup setup-images
	$(VENV_PY) -m streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

# Every test, on every core.
test: setup-test
	$(VENV_PY) -m pytest -n $(JOBS)

# What a developer runs every few minutes: no browser, no deck rendering, no whole-process runs.
test-fast: setup-dev
	$(VENV_PY) -m pytest -n $(JOBS) -m "not browser and not deck and not slow"

# The figures of the README's Performance section: `make benchmark` at 1M stage events, and
# `make benchmark EVENTS=10000000` for a big account; the ten viewers at once are always on a
# 1M-event client.
EVENTS ?= 1000000
benchmark: setup-test
	$(VENV_PY) -m benchmarks.run --events $(EVENTS)
	$(VENV_PY) -m benchmarks.pages --events $(EVENTS)
	$(VENV_PY) -m benchmarks.images --charts 10
	$(VENV_PY) -m benchmarks.deck --events $(EVENTS)
	$(VENV_PY) -m benchmarks.shapes --events $(EVENTS)
	$(VENV_PY) -m benchmarks.spark --events $(EVENTS)
	$(VENV_PY) -m benchmarks.concurrency --events 1000000 --sessions 10 --with-load

# After editing the dependencies in pyproject.toml: resolve uv.lock anew (make then refuses to run
# on a lock that no longer matches, rather than resolve quietly).
lock: $(UV_STAMP)
	$(UV) lock --python $(PYTHON)

clean:
	rm -rf .venv .uv .pytest_cache
