"""The sidebar's filters follow the user in a real browser (Chromium through Playwright): through
every link of the navigation, the browser's back button, a reload and a copied URL, the client,
departments, period, as-of date and comparison stay those the user chose, on screen and in the URL."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

import store
from browser_support import settled

try:
    from playwright.sync_api import expect
except ImportError:   # collected anyway: the `browser` marker skips (or, under CI, fails) each test
    expect = None

pytestmark = pytest.mark.browser
CLIENT = "Globex UK"
FROM, TO = "2026-07-01", "2026-09-30"
LATEST = "2026-11-20"   # the sample data's last day


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    yield ctx.new_page()
    ctx.close()
    server.warn_deprecations()


def _sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def _combo(page, label: str) -> str:
    return _sidebar(page).get_by_role("combobox", name=label, exact=True).input_value()


def _choose(page, kind: str, label: str, option: str) -> None:
    box = _sidebar(page).locator(f'[data-testid="{kind}"]').filter(has_text=label)
    # Scrolled into view first: a menu opened while the sidebar still scrolls closes again.
    box.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    settled(page)


def _dates(sidebar, label: str) -> str:
    """A date input's date or dates, as ISO dates (its form inputs hold them so)."""
    box = sidebar.locator('[data-testid="stDateInput"]').filter(has_text=label)
    expect(box).to_be_visible(timeout=30000)   # the sidebar may still be drawing
    inputs = box.locator("input[type=date]")
    inputs.first.wait_for(state="attached")
    # The form inputs are filled just after the widget is drawn.
    expect(inputs.first).not_to_have_value("", timeout=30000)
    return " to ".join(i.input_value() for i in inputs.all())


def _filters_shown(page) -> dict:
    """What the sidebar shows and what the URL says."""
    sidebar = _sidebar(page)
    # The filters reach the address bar a moment after the page is drawn (page.url may lag it too).
    page.wait_for_function("() => location.search.includes('client=')", timeout=30000)
    params = parse_qs(page.evaluate("() => location.search").lstrip("?"))
    period = _combo(page, "Period")
    return {
        "client": _combo(page, "Client"), "period": period, "compare": _combo(page, "Compare with"),
        "dates": _dates(sidebar, "From") if period == "Custom" else "", "as_of": _dates(sidebar, "As of"),
        "departments": sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Departments").inner_text(),
        "url": {k: v for k, v in params.items() if k in ("client", "period", "from", "to", "department", "compare")},
    }


def _wait_for_title(page, title: str) -> None:
    page.wait_for_function("t => [...document.querySelectorAll('h1')].some(h => h.innerText.trim() === t)",
                           arg=title, timeout=60000)
    settled(page)


def test_filters_survive_every_sidebar_link_the_back_button_and_a_reload(server, page):
    with store.connection(server.db, read_only=True) as con:
        (department,), = con.execute("SELECT min(department) FROM requisitions WHERE client = ?", [CLIENT]).fetchall()
    page.goto(f"{server.url}/?client=Globex+UK&period=Custom&from={FROM}&to={TO}")
    _wait_for_title(page, "Overview")
    # The rest is chosen as a user does, in the sidebar.
    _choose(page, "stMultiSelect", "Departments", department)
    _choose(page, "stSelectbox", "Compare with", "Same period last year")
    chosen = _filters_shown(page)
    assert chosen["client"] == CLIENT and chosen["period"] == "Custom" and department in chosen["departments"]
    assert chosen["dates"] == f"{FROM} to {TO}"
    assert chosen["as_of"] == LATEST and chosen["compare"] == "Same period last year"
    assert chosen["url"] == {"client": [CLIENT], "period": ["Custom"], "from": [FROM], "to": [TO],
                             "department": [department], "compare": ["last_year"]}
    scope = f"{CLIENT}; department: {department}; period {FROM} to {TO}"

    nav = page.locator('[data-testid="stSidebarNav"]')
    titles = [t.strip().splitlines()[-1] for t in nav.locator("a").all_inner_texts()]
    assert len(titles) >= 12, titles
    seen = []
    for title in titles + ["Overview"]:
        nav.locator("a").filter(has_text=title).first.click()
        _wait_for_title(page, {"Access": "Access"}.get(title, title))
        if not _sidebar(page).get_by_role("combobox", name="Client", exact=True).count():
            continue    # a page without the client filters (Access, Audit log): the next page still has them
        seen.append(title)
        assert _filters_shown(page) == chosen, title
        if title not in ("Portfolio", "Requisition detail", "Upload", "Data", "Glossary", "Settings", "Schedules",
                         "Access", "Audit log"):
            expect(page.get_by_text(scope).first).to_be_visible(timeout=30000)
    assert {"Overview", "Time to submit", "Interview conversion", "Deadline adherence",
            "Hiring-manager responsiveness", "Requisition detail", "Portfolio", "Glossary"} <= set(seen)

    # A change of period, then the browser's back button: the view before the change; a reload keeps it.
    nav.locator("a").filter(has_text="Time to submit").first.click()
    _wait_for_title(page, "Time to submit")
    _choose(page, "stSelectbox", "Period", "Last quarter")
    page.wait_for_function("() => new URLSearchParams(location.search).get('period') === 'Last quarter'")
    page.go_back()
    page.wait_for_function("() => new URLSearchParams(location.search).get('period') === 'Custom'")
    settled(page)
    assert _filters_shown(page) == chosen
    expect(page.get_by_text(scope).first).to_be_visible(timeout=30000)
    page.reload()
    _wait_for_title(page, "Time to submit")
    assert _filters_shown(page) == chosen
    expect(page.get_by_text(scope).first).to_be_visible(timeout=30000)

    # The URL, copied into a new window (a new session), opens the same view.
    copied = page.url
    other = page.context.browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    other.goto(copied)
    _wait_for_title(other, "Time to submit")
    assert _filters_shown(other) == chosen
    other.context.close()


def test_the_default_view_is_the_clients_latest_data_not_today(server, page):
    page.goto(f"{server.url}/?client=Globex+UK")
    _wait_for_title(page, "Overview")
    shown = _filters_shown(page)
    assert shown["as_of"] == LATEST and shown["period"] == "Last 90 days" and shown["compare"] == "Previous period"
    expect(_sidebar(page).get_by_text("Latest data: 20 Nov 2026")).to_be_visible()
    expect(page.get_by_text(f"{CLIENT}; period 2026-08-23 to {LATEST}").first).to_be_visible()
    # The as-of date is not written into the URL while it follows the latest data.
    assert "as_of" not in parse_qs(urlparse(page.url).query)


def _card(page, label: str) -> str:
    """The text of the KPI card whose label is `label`."""
    card = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label))
    return card.first.inner_text()


def _median_change(db, quarter: tuple[str, str], before: tuple[str, str]) -> str:
    """Time to submit's change between two periods as a card shows it, worked out from the summary."""
    import datetime as dt
    from metrics import Filters, summary
    with store.connection(db, read_only=True) as con:
        now, then = (summary(con, Filters(CLIENT, date_from=dt.date.fromisoformat(a), date_to=dt.date.fromisoformat(b),
                                          as_of=dt.date.fromisoformat(LATEST)))["time_to_submit"]["median"]
                     for a, b in (quarter, before))
    diff = round(now - then, 1)
    return f"{'+' if diff > 0 else '-' if diff < 0 else '±'}{abs(diff):.1f} d"


def test_a_quarter_compares_with_the_quarter_before_or_the_same_quarter_last_year(server, page):
    page.goto(f"{server.url}/?client=Globex+UK&period=Custom&from={FROM}&to={TO}")
    _wait_for_title(page, "Overview")
    expect(page.get_by_text("Changes against Q2 2026 (2026-04-01 to 2026-06-30).")).to_be_visible()
    card = _card(page, "Time to submit")
    assert "vs Q2 2026" in card, card
    assert _median_change(server.db, (FROM, TO), ("2026-04-01", "2026-06-30")) in card, card

    _choose(page, "stSelectbox", "Compare with", "Same period last year")
    expect(page.get_by_text("Changes against the same period last year (2025-07-01 to 2025-09-30).")).to_be_visible()
    card = _card(page, "Time to submit")
    assert "vs last year" in card, card
    assert _median_change(server.db, (FROM, TO), ("2025-07-01", "2025-09-30")) in card, card
    assert parse_qs(urlparse(page.url).query)["compare"] == ["last_year"]

    _choose(page, "stSelectbox", "Compare with", "No comparison")
    expect(page.get_by_text("Changes against")).to_have_count(0)
    assert " vs " not in _card(page, "Time to submit")


def test_a_custom_period_applies_once_both_of_its_dates_are_chosen(server, page):
    page.set_viewport_size({"width": 1440, "height": 1300})   # the calendar opens within the window
    page.goto(f"{server.url}/time_to_submit?client=Globex+UK&period=Custom&from={FROM}&to={TO}")
    _wait_for_title(page, "Time to submit")
    field = _sidebar(page).locator('[data-testid="stDateInput"]').filter(has_text="From").locator(
        '[data-testid="stDateInputField"]')
    field.scroll_into_view_if_needed()
    box = field.bounding_box()
    page.mouse.click(box["x"] + box["width"] - 12, box["y"] + box["height"] / 2)   # its calendar button
    days = page.get_by_role("grid", name="Choose date range, July 2026").get_by_role("gridcell")
    days.get_by_text("15", exact=True).first.click()
    page.wait_for_timeout(1500)
    settled(page)
    # One date chosen: the view and its URL are as they were.
    expect(page.get_by_text(f"{CLIENT}; period {FROM} to {TO}").first).to_be_visible()
    assert "from=2026-07-01" in page.evaluate("() => location.search")
    days.get_by_text("20", exact=True).first.click()
    expect(page.get_by_text(f"{CLIENT}; period 2026-07-15 to 2026-07-20").first).to_be_visible(timeout=30000)
    page.wait_for_function("() => location.search.includes('from=2026-07-15&to=2026-07-20')")
