# Two commands: `make run` opens the dashboard on the sample data; `make test` runs every test.
PYTHON ?= python3
PORT ?= 8501

.PHONY: run test setup setup-images setup-test benchmark

setup:
	$(PYTHON) -m pip install -q -r requirements.txt

# Chart images (the dashboard's PNG and SVG downloads) need a Chromium. Where there is none and
# apt-get can run (root), it is installed; elsewhere a note says so and the dashboard still starts:
# its image buttons say what to install, and CSV and XLSX downloads work without it.
setup-images: setup
	@$(PYTHON) -c "import sys; from exports.files import images_unavailable; sys.exit(images_unavailable() is not None)" \
		|| { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && apt-get update -q && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; } \
		|| echo "note: no Chromium for chart images (install it: sudo apt-get install chromium); starting without PNG/SVG downloads"

run: setup setup-images
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
	$(PYTHON) benchmarks/images.py --charts 10
	$(PYTHON) benchmarks/deck.py --events 1000000
	$(PYTHON) benchmarks/shapes.py --events 1000000
