# Two commands: `make run` opens the dashboard on the sample data; `make test` runs every test.
PYTHON ?= python3
PORT ?= 8501

.PHONY: run test setup setup-test benchmark

setup:
	$(PYTHON) -m pip install -q -r requirements.txt

run: setup
	$(PYTHON) -m streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

# Browser tests and chart images use Debian's chromium (never a downloaded browser); deck tests
# render the decks with LibreOffice and poppler.
setup-test: setup
	@{ command -v chromium && command -v soffice && command -v pdftoppm; } >/dev/null 2>&1 || { apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium libreoffice-impress poppler-utils; }
	$(PYTHON) -m pip install -q -r requirements-dev.txt

test: setup-test
	$(PYTHON) -m pytest -q

benchmark: setup-test
	$(PYTHON) benchmarks/run.py --events 1000000
	$(PYTHON) benchmarks/pages.py --events 1000000
	$(PYTHON) benchmarks/deck.py --events 1000000
