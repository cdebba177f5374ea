"""The dashboard in a real browser (Debian's Chromium through Playwright).

Every page opens from a deep link for every sample client without an error, with its title and
the figures the metrics compute; the Overview follows a switch of client; a filter changed in the
sidebar moves into the URL and a reload shows the same view; a click on a bar lists exactly the
rows behind it. Expected figures come from `metrics` (or the database and the clients' settings
files) in this process, never from the page.

With SCREENSHOT_DIR set, a full-page screenshot of each page is saved there as
`<page>-<client-slug>.png`.
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
import os
import tomllib
from pathlib import Path
from urllib.parse import urlencode

import pytest

import charts
import store
from browser_support import Server, settled as _settled
from metrics import METRICS, Filters, Report, stage_labels, summary

try:
    from playwright.sync_api import expect
except ImportError:   # collected anyway: the `browser` marker skips (or, under CI, fails) each test
    expect = None

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.browser
AS_OF = dt.date(2026, 11, 20)
VIEWPORT = {"width": 1500, "height": 1000}

# The sidebar's presets on AS_OF (a Friday in Q4 2026), worked out by hand.
PERIOD_DATES = {
    "Last 30 days": (dt.date(2026, 10, 22), AS_OF),
    "Last 90 days": (dt.date(2026, 8, 23), AS_OF),
    "Last quarter": (dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
    "Year to date": (dt.date(2026, 1, 1), AS_OF),
}
# Each sample client is deep-linked with another period (so several presets are covered) and one
# of its requisitions for the Requisition detail page.
DEEP_LINKS = {"Acme Corp": ("Last 90 days", "1001"), "Globex UK": ("Last quarter", "GX-1001"),
              "Northwind Health": ("Year to date", "NW-1001")}
CLIENTS = tuple(DEEP_LINKS)


@pytest.fixture(scope="module")
def tab(browser):
    """One tab for the module's tests. Each test opens its URL in it with a full page load (a new
    Streamlit session, seeded from the URL alone); the tab's renderer, with Streamlit's and plotly's
    scripts already compiled, is kept (a new tab would start and compile them again)."""
    ctx = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    yield ctx.new_page()
    ctx.close()


@pytest.fixture
def page(tab, server):
    tab.set_viewport_size(VIEWPORT)     # a screenshot may have made it taller
    yield tab
    tab.goto("about:blank")            # the test's Streamlit session ends with it
    server.warn_deprecations()


# -- waiting for Streamlit, reading the page ---------------------------------------------------

def _kpi_text(page) -> dict:
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60000)
    _settled(page)
    return _metric_text(page)


def _metric_text(page) -> dict:
    """Every st.metric on the page, label -> value, as shown."""
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    return {label.strip(): value.strip() for label, value in zip(labels, values)}


def _chart_titles(page) -> str:
    """Every plotly chart's title on the page, as one text (a title's lines run together)."""
    return " | ".join(page.locator(".js-plotly-plot .gtitle").all_text_contents()).replace("\u200b", " ")


def _open(page, url: str, title: str, plots: bool = False) -> None:
    """Go to `url` and wait until Streamlit has drawn the page titled `title` (and, with `plots`,
    at least one plotly chart: plotly's script loads after the page's first elements)."""
    page.goto(url)
    page.wait_for_function("t => [...document.querySelectorAll('h1')].some(h => h.innerText.trim() === t)",
                           arg=title, timeout=60000)
    if plots:
        page.wait_for_selector(".js-plotly-plot", timeout=60000)
    _settled(page)


def _assert_no_error(page) -> None:
    """No exception box, no error message, no traceback anywhere on the page."""
    for selector in ("[data-testid='stException']", "[data-testid='stAlertContentError']"):
        shown = page.locator(selector).all_inner_texts()
        assert not shown, shown
    assert page.get_by_text("Traceback").count() == 0


def _visible_text(page, text: str) -> None:
    """Fail unless some element shows `text` (Playwright retries while the page draws)."""
    expect(page.get_by_text(text, exact=False).first).to_be_visible(timeout=30000)


def _heading(page, text: str) -> None:
    """Fail unless a heading reads exactly `text` ("Applications (14)" is not "Applications (140)")."""
    expect(page.get_by_role("heading", name=text, exact=True)).to_be_visible(timeout=30000)


def _slug(name: str) -> str:
    return "-".join(name.lower().split())


def _screenshot(page, name: str) -> None:
    """A full-page PNG in SCREENSHOT_DIR (when set). Streamlit scrolls inside stMain (and the sidebar
    inside itself), so the viewport is first made as tall as their content, and the charts given time
    to redraw at that size."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    height = page.evaluate("""() => Math.max(...['stMain', 'stSidebarContent'].map(
        id => document.querySelector(`[data-testid="${id}"]`)?.scrollHeight || 0))""")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], min(int(height), 9000))})
    page.wait_for_timeout(2000)
    page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


# -- expected figures, computed in this process ------------------------------------------------

def _filters(client: str, period: str, departments: tuple[str, ...] = ()) -> Filters:
    date_from, date_to = PERIOD_DATES[period]
    return Filters(client, departments=departments, date_from=date_from, date_to=date_to, as_of=AS_OF)


@functools.lru_cache(maxsize=None)
def _summary(db, client: str, period: str, departments: tuple[str, ...] = ()) -> dict:
    with store.connection(db, read_only=True) as con:
        return summary(con, _filters(client, period, departments))


def _query(db, sql: str, params: list):
    with store.connection(db, read_only=True) as con:
        return con.execute(sql, params).fetchall()


@functools.lru_cache(maxsize=None)
def _settings_file(client: str) -> dict:
    """The client's settings as its sample settings file states them."""
    for path in sorted((ROOT / "sample_data" / "clients").glob("*.toml")):
        doc = tomllib.loads(path.read_text())
        if doc["name"] == client:
            return doc
    raise LookupError(client)


def _expected(db, client: str) -> dict:
    s = _summary(db, client, "Last 90 days")
    return {"Time to submit": charts.fmt_value(s["time_to_submit"]["median"], "days"),
            "Deadline adherence": charts.fmt_value(s["deadline_adherence"]["rate"], "rate")}


def _wait_for_client(page, client: str) -> None:
    page.wait_for_function("c => document.body.innerText.includes(c + '; period')", arg=client, timeout=60000)


# -- what each page must show ------------------------------------------------------------------

def _period_caption(client: str, period: str) -> str:
    date_from, date_to = PERIOD_DATES[period]
    return f"{client}; period {date_from.isoformat()} to {date_to.isoformat()}"


def _check_overview(page, db, client, period, req):
    s = _summary(db, client, period)
    _visible_text(page, _period_caption(client, period))
    assert _metric_text(page) == {m.short: charts.fmt_value(s[key][m.kpi], m.unit) for key, m in METRICS.items()}


def _tts_figures(db, client, period, departments=()) -> list[str]:
    t = _summary(db, client, period, departments)["time_to_submit"]
    assert t["n"], "the sample has first submittals in this period"
    return [f"Half the requisitions had a first submittal within {t['median']:.1f} days",
            f"9 in 10 within {t['p90']:.1f} days; n = {t['n']}",
            f"Median time to submit {t['median']:.1f} days",
            f"Requisitions awaiting a first submittal ({t['awaiting_first_submittal']})"]   # a heading


def _assert_tts_figures(page, figures: list[str]) -> None:
    *titles, awaiting = figures
    for text in titles:   # waits while a rerun redraws the charts
        expect(page.locator(".js-plotly-plot .gtitle").filter(has_text=text).first).to_be_attached(timeout=30000)
    _heading(page, awaiting)


def _check_time_to_submit(page, db, client, period, req):
    _visible_text(page, _period_caption(client, period))
    _assert_tts_figures(page, _tts_figures(db, client, period))


def _check_conversion(page, db, client, period, req):
    c = _summary(db, client, period)["interview_conversion"]
    with store.connection(db, read_only=True) as con:
        words = stage_labels(con, client)
    steps = (("submitted", "interviewed", "submit_to_interview"), ("interviewed", "offered", "interview_to_offer"),
             ("offered", "hired", "offer_to_hire"))
    _visible_text(page, _period_caption(client, period))
    rates = {f"{words[a]} → {words[b]}": charts.fmt_value(c[rate], "rate") for a, b, rate in steps}
    assert _metric_text(page) == {**rates, "Still in process": str(c["in_process"])}
    assert f"{c['submit_to_interview']:.0%} of submittals reached an interview" in _chart_titles(page)


def _check_deadlines(page, db, client, period, req):
    d = _summary(db, client, period)["deadline_adherence"]
    _visible_text(page, _period_caption(client, period))
    assert _metric_text(page) == {"Adherence": charts.fmt_value(d["rate"], "rate"), "Met": str(d["met"]),
                               "Missed": str(d["missed"]), "Pending": str(d["pending"]),
                               "Revised in time": f"{d['revised_in_time']} of {d['revised']}"}
    assert f"{d['rate']:.0%} of deadlines met ({d['met']} of {d['due']})" in _chart_titles(page)


def _check_hm_responsiveness(page, db, client, period, req):
    hm = _summary(db, client, period)["hm_feedback_days"]
    _visible_text(page, _period_caption(client, period))
    _visible_text(page, f"n = {hm['n']} {METRICS['hm_feedback_days'].counts}.")


def _check_time_to_fill(page, db, client, period, req):
    f = _summary(db, client, period)["time_to_fill"]
    _visible_text(page, _period_caption(client, period))
    _visible_text(page, f"n = {f['n']} {METRICS['time_to_fill'].counts}.")
    _heading(page, f"Requisitions filled in the period ({f['n']})")
    assert f"Half the filled requisitions were filled within {f['median']:.1f} days" in _chart_titles(page)


def _check_requisition(page, db, client, period, req):
    (title,), = _query(db, "SELECT title FROM requisitions WHERE client = ? AND requisition_id = ?", [client, req])
    (apps,), = _query(db, "SELECT count(*) FROM applications WHERE client = ? AND requisition_id = ?", [client, req])
    (events,), = _query(db, """SELECT count(*) FROM stage_events e JOIN applications a
                               ON a.client = e.client AND a.application_id = e.application_id
                               WHERE a.client = ? AND a.requisition_id = ? AND e.entered_on <= ?""",
                        [client, req, AS_OF])
    assert page.locator("[data-testid='stAlert']").count() == 0   # no "not among the requisitions" warning
    _heading(page, f"{req} · {title}")
    _heading(page, f"Applications ({apps})")
    _heading(page, f"Stage events ({events})")


def _check_portfolio(page, db, client, period, req):
    date_from, date_to = PERIOD_DATES[period]
    _visible_text(page, f"Every client, period {date_from.isoformat()} to {date_to.isoformat()}, "
                        f"as of {AS_OF:%d %b %Y}")
    expected = {c: charts.fmt_value(_summary(db, c, period)["time_to_submit"]["median"], "days") for c in CLIENTS}
    # The first small chart is time to submit: each client's bar and the text drawn on it.
    bars = page.evaluate("""() => { const t = document.querySelector('.js-plotly-plot').data
                                      .find(t => t.type === 'bar' && t.xaxis === 'x');
                                    return Object.fromEntries(t.y.map((c, i) => [c, t.text[i]])); }""")
    assert bars == expected
    drawn = page.locator(".js-plotly-plot .subplot.xy .bartext").all_text_contents()
    assert sorted(drawn) == sorted(expected.values())


def _check_data(page, db, client, period, req):
    (files,), = _query(db, "SELECT count(*) FROM files WHERE client = ? OR list_contains(clients, ?)", [client, client])
    _heading(page, f"Files loaded ({files})")


def _check_glossary(page, db, client, period, req):
    doc = _settings_file(client)
    _visible_text(page, f"Definitions for {client}: time zone {doc['timezone']}, {doc['day_count']} days")
    k, n = doc["sla"]["first_submittals"], doc["sla"]["within_days"]
    _visible_text(page, f"SLA {k} {'submittal' if k == 1 else 'submittals'} within {n} {doc['day_count']} days of a "
                        "requisition's start.")


def _check_settings(page, db, client, period, req):
    expect(page.get_by_label("Time zone", exact=True)).to_have_value(_settings_file(client)["timezone"], timeout=30000)


# (URL path, title, has plotly charts, check). The first part of the path names the screenshot.
PAGES = [
    ("", "Overview", True, _check_overview),
    ("time_to_submit", "Time to submit", True, _check_time_to_submit),
    ("conversion", "Interview conversion", True, _check_conversion),
    ("deadlines", "Deadline adherence", True, _check_deadlines),
    ("time_to_fill", "Time to fill", True, _check_time_to_fill),
    ("hm_responsiveness", "Hiring-manager responsiveness", True, _check_hm_responsiveness),
    ("requisition", "Requisition detail", True, _check_requisition),
    ("portfolio", "Portfolio", True, _check_portfolio),
    ("data", "Data", False, _check_data),
    ("glossary", "Glossary", False, _check_glossary),
    ("settings", "Settings", False, _check_settings),
]
# One screenshot per page (the Overview test shoots every client), the clients taken in turn.
SHOT_CLIENT = {path: CLIENTS[i % len(CLIENTS)] for i, (path, *_) in enumerate(PAGES) if path}


def _deep_link(url: str, path: str, client: str) -> str:
    period, req = DEEP_LINKS[client]
    params = {"client": client, "as_of": AS_OF.isoformat(), "period": period}
    if path == "requisition":
        params["req"] = req
    return f"{url}/{path}?{urlencode(params)}"


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("path, title, plots, check", PAGES, ids=[p[0] or "overview" for p in PAGES])
def test_every_page_opens_from_a_deep_link_with_its_figures(server, page, path, title, plots, check, client):
    url, db = server.url, server.db
    _open(page, _deep_link(url, path, client), title, plots)
    check(page, db, client, DEEP_LINKS[client][0], DEEP_LINKS[client][1])
    assert "client=" + client.split()[0] in page.url    # the filters stay in the URL
    _assert_no_error(page)
    if SHOT_CLIENT.get(path) == client:
        _screenshot(page, f"{path}-{_slug(client)}")


def test_overview_deep_link_switch_client_and_reload(server, page):
    url, db = server.url, server.db
    page.goto(f"{url}/?client=Acme+Corp&as_of={AS_OF}")
    _wait_for_client(page, "Acme Corp")
    kpis = _kpi_text(page)
    assert page.get_by_text("Traceback").count() == 0
    for label, value in _expected(db, "Acme Corp").items():
        assert kpis[label] == value
    _screenshot(page, "overview-acme-corp")
    page.set_viewport_size(VIEWPORT)

    page.locator('[data-testid="stSelectbox"]').filter(has_text="Client").click()
    page.get_by_role("option", name="Northwind Health").click()
    _wait_for_client(page, "Northwind Health")
    page.wait_for_function("() => location.search.includes('Northwind')", timeout=30000)
    kpis = _kpi_text(page)
    for label, value in _expected(db, "Northwind Health").items():
        assert kpis[label] == value
    _screenshot(page, "overview-northwind-health")
    page.set_viewport_size(VIEWPORT)

    page.reload()
    _wait_for_client(page, "Northwind Health")
    assert _kpi_text(page) == kpis

    page.goto(f"{url}/?client=Globex+UK&as_of={AS_OF}")
    _wait_for_client(page, "Globex UK")
    for label, value in _expected(db, "Globex UK").items():
        assert _kpi_text(page)[label] == value
    _screenshot(page, "overview-globex-uk")


def _choose(page, widget: str, label: str, option: str) -> None:
    """Pick `option` in the sidebar selectbox or multiselect labelled `label`."""
    box = page.locator(f'[data-testid="stSidebar"] [data-testid="{widget}"]').filter(has_text=label)
    # Scrolled into view first: a menu opened while the sidebar still scrolls closes again.
    box.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def _sidebar_choices(page) -> dict:
    sidebar = page.locator('[data-testid="stSidebar"]')
    return {"period": sidebar.get_by_role("combobox", name="Period", exact=True).input_value(),
            "departments": sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Departments").inner_text()}


def test_a_filter_changed_on_time_to_submit_goes_into_the_url_and_survives_a_reload(server, page):
    url, db = server.url, server.db
    client = "Acme Corp"
    _open(page, f"{url}/time_to_submit?client=Acme+Corp&as_of={AS_OF}&period=Last+90+days", "Time to submit", True)
    _assert_tts_figures(page, _tts_figures(db, client, "Last 90 days"))

    _choose(page, "stSelectbox", "Period", "Last 30 days")
    page.wait_for_function("() => new URLSearchParams(location.search).get('period') === 'Last 30 days'",
                           timeout=30000)
    _visible_text(page, _period_caption(client, "Last 30 days"))
    _settled(page)
    _assert_tts_figures(page, _tts_figures(db, client, "Last 30 days"))

    # The client's largest department (`_tts_figures` checks it has first submittals in the period).
    (department,), = _query(db, """SELECT department FROM requisitions WHERE client = ?
                                   GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1""", [client])
    _choose(page, "stMultiSelect", "Departments", department)
    page.wait_for_function("d => new URLSearchParams(location.search).getAll('department').join() === d",
                           arg=department, timeout=30000)
    _visible_text(page, f"{client}; department: {department}; period")
    _settled(page)
    expected = _tts_figures(db, client, "Last 30 days", (department,))
    _assert_tts_figures(page, expected)
    before = {"url": page.url, "choices": _sidebar_choices(page), "titles": _chart_titles(page)}
    assert before["choices"]["period"] == "Last 30 days" and department in before["choices"]["departments"]
    _assert_no_error(page)

    page.reload()
    page.wait_for_selector(".js-plotly-plot", timeout=60000)
    _visible_text(page, f"{client}; department: {department}; period")
    _settled(page)
    _assert_tts_figures(page, expected)
    assert {"url": page.url, "choices": _sidebar_choices(page), "titles": _chart_titles(page)} == before
    _assert_no_error(page)


def test_clicking_a_met_bar_lists_and_downloads_exactly_the_rows_it_counts(server, page):
    url, db = server.url, server.db
    client, period = "Globex UK", "Last 90 days"
    with store.connection(db, read_only=True) as con:
        rep = Report(con, _filters(client, period))
        try:
            months = rep.aggregate("deadline_adherence", grain="month")
        finally:
            rep.close()
    i = int(months["met"].idxmax())    # the tallest "Met" bar: the easiest to hit, and not zero
    met, month = int(months["met"].iloc[i]), months["period"].iloc[i]
    assert met > 0

    _open(page, f"{url}/deadlines?{urlencode({'client': client, 'as_of': AS_OF, 'period': period})}",
          "Deadline adherence", plots=True)
    month_chart = page.locator(".js-plotly-plot").first
    assert "of deadlines met" in month_chart.locator(".gtitle").text_content()
    met_bars = month_chart.locator("g.trace.bars").first.locator("g.point path")    # trace 0 is "Met"
    assert met_bars.count() == len(months)
    # Plotly's drag layer sits over the bars and takes the click: click its centre with the mouse.
    box = met_bars.nth(i).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    label = f"Rows behind met deadlines, {month:%b %Y}: "
    _visible_text(page, label)
    _settled(page)
    assert page.locator("strong", has_text=label).all_inner_texts() == [label + str(met)]
    button = page.get_by_role("button", name="Download these rows (CSV)")
    assert button.count() == 1
    with page.expect_download() as download:
        button.click()
    with open(download.value.path(), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert len(rows) == met + 1    # the header and one line per row counted by the bar
    _assert_no_error(page)


def test_first_request_to_a_fresh_server_can_be_a_deep_link_to_any_page(sample_db, browser, tmp_path):
    with Server(sample_db, tmp_path) as fresh:   # a server nobody has opened yet
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{fresh.url}/data?client=Globex+UK&as_of={AS_OF}")
        page.wait_for_function("() => document.querySelector('h1') && "
                               "document.querySelector('h1').innerText === 'Data'", timeout=60000)
        page.wait_for_selector("text=Files loaded", timeout=60000)
        _settled(page)
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Overview" in nav and "Glossary" in nav   # the app's navigation, page titles as set
        assert page.get_by_text("Traceback").count() == 0
        assert "client=Globex" in page.url
        page.close()
        fresh.warn_deprecations()
