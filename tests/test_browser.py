"""The Overview in a real browser (Debian's Chromium through Playwright): deep link, KPI text,
switching client, the URL following the filters, and a reload reproducing the view."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import charts
import store
from loaders.sample import build_sample_database
from metrics import Filters, summary

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)")
AS_OF = dt.date(2026, 11, 20)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("browser") / "sample.duckdb"
    build_sample_database(db)
    return db


def _start_server(db):
    port = _free_port()
    env = {**os.environ, "RECRUITING_DB": str(db)}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start within 60 s")
    return proc, url


@pytest.fixture(scope="module")
def server(sample_db):
    proc, url = _start_server(sample_db)
    yield url, sample_db
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _kpi_settled(page) -> None:
    # Streamlit marks elements of the previous run stale until the rerun has finished drawing.
    page.wait_for_function("() => document.querySelectorAll('[data-stale=\"true\"]').length === 0 && "
                           "!document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"]')", timeout=60000)
    page.wait_for_timeout(500)


def _kpi_text(page) -> dict:
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60000)
    _kpi_settled(page)
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    return {label.strip(): value.strip() for label, value in zip(labels, values)}


def _expected(db, client: str) -> dict:
    f = Filters(client, date_from=AS_OF - dt.timedelta(days=89), date_to=AS_OF, as_of=AS_OF)
    with store.connection(db, read_only=True) as con:
        s = summary(con, f)
    return {"Time to submit": charts.fmt_value(s["time_to_submit"]["median"], "days"),
            "Deadline adherence": charts.fmt_value(s["deadline_adherence"]["rate"], "rate")}


def _wait_for_client(page, client: str) -> None:
    page.wait_for_function("c => document.body.innerText.includes(c + '; period')", arg=client, timeout=60000)


def test_overview_deep_link_switch_client_and_reload(server, browser, tmp_path):
    url, db = server
    shots = Path(os.environ.get("SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1500, "height": 2200})
    page.goto(f"{url}/?client=Acme+Corp&as_of={AS_OF}")
    _wait_for_client(page, "Acme Corp")
    kpis = _kpi_text(page)
    assert page.get_by_text("Traceback").count() == 0
    for label, value in _expected(db, "Acme Corp").items():
        assert kpis[label] == value
    page.screenshot(path=str(shots / "overview-acme-corp.png"))

    page.locator('[data-testid="stSelectbox"]').filter(has_text="Client").click()
    page.get_by_role("option", name="Northwind Health").click()
    _wait_for_client(page, "Northwind Health")
    page.wait_for_function("() => location.search.includes('Northwind')", timeout=30000)
    kpis = _kpi_text(page)
    for label, value in _expected(db, "Northwind Health").items():
        assert kpis[label] == value
    page.screenshot(path=str(shots / "overview-northwind-health.png"))

    page.reload()
    _wait_for_client(page, "Northwind Health")
    assert _kpi_text(page) == kpis

    page.goto(f"{url}/?client=Globex+UK&as_of={AS_OF}")
    _wait_for_client(page, "Globex UK")
    for label, value in _expected(db, "Globex UK").items():
        assert _kpi_text(page)[label] == value
    page.screenshot(path=str(shots / "overview-globex-uk.png"))
    page.close()


def test_first_request_to_a_fresh_server_can_be_a_deep_link_to_any_page(sample_db, browser):
    proc, url = _start_server(sample_db)   # a server nobody has opened yet
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{url}/data?client=Globex+UK&as_of={AS_OF}")
        page.wait_for_function("() => document.querySelector('h1') && "
                               "document.querySelector('h1').innerText === 'Data'", timeout=60000)
        page.wait_for_selector("text=Files loaded", timeout=60000)
        _kpi_settled(page)
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Overview" in nav and "Glossary" in nav   # the app's navigation, page titles as set
        assert page.get_by_text("Traceback").count() == 0
        assert "client=Globex" in page.url
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
