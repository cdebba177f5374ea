"""Drill-down lists and the words around charts: a click on a half-width chart lists its rows as wide
as the page, the clicked measure first, requisition ids opening Requisition detail; the files of
those rows are headed in people's words with blanks left blank; the KPI cards name the period they
compare with; a page states its metric's definition once."""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from urllib.parse import urlencode

import pytest
from openpyxl import load_workbook

import store
from browser_support import settled
from exports import files
from metrics import METRICS, Filters, Report
from conftest import open_page

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 11, 20)
# Stored column names that must not reach a reader (the examples among them).
STORED_NAMES = ("first_sub_on", "kth_sub_on", "tts_days", "sla_due_on", "requisition_id", "known_req")
NOT_BLANK = ("None", "nan", "NaN", "NaT", "<NA>")


def _tts_rows(db):
    with store.connection(db, read_only=True) as con:
        rep = Report(con, Filters("Acme Corp", as_of=AS_OF))
        try:
            return rep.rows("time_to_submit")
        finally:
            rep.close()




# -- files of drill rows ---------------------------------------------------------------------------

def test_drill_row_files_have_peoples_headers_and_blank_blanks(sample_db):
    rows = _tts_rows(sample_db)
    assert rows["assigned_on"].isna().any() and rows["ttf_days"].isna().any(), "the sample has gaps to show"

    lines = list(csv.reader(io.StringIO(files.table_csv(rows, people=True).decode("utf-8-sig"))))
    header, body = lines[0], lines[1:]
    assert {"First submittal", "Time to submit (days)", "SLA due", "Requisition", "Assigned"} <= set(header)
    assert not set(header) & set(STORED_NAMES)
    assigned = header.index("Assigned")
    assert any(line[assigned] == "" for line in body)
    assert not any(cell in NOT_BLANK for line in body for cell in line)

    ws = load_workbook(io.BytesIO(files.table_xlsx(rows, {"Filters": "Acme Corp", "Data as of": "today"},
                                                   people=True)))["Data"]
    columns = {c.value: c.column for c in ws[1]}
    assert [c.value for c in ws[1]] == header
    # Formats follow the stored column, whatever its header says.
    assert ws.cell(row=2, column=columns["Time to submit (days)"]).number_format == "0.0"
    assert ws.cell(row=2, column=columns["First submittal"]).is_date
    cells = [c.value for row in ws.iter_rows(min_row=2) for c in row]
    assert None in cells and not any(v in NOT_BLANK for v in cells)


# -- the words on the pages ------------------------------------------------------------------------

def test_kpi_cards_say_which_period_they_compare_with(sample_db, monkeypatch):
    at = open_page(sample_db, monkeypatch, "overview", client="Acme Corp", period="Custom", **{"from": "2026-07-01"},
                   to="2026-09-30", as_of=AS_OF.isoformat())
    assert not at.exception, [e.value for e in at.exception]
    cards = [m for m in at.metric if m.label in {m.short for m in METRICS.values()}]
    assert len(cards) == len(METRICS)
    assert {m.proto.delta_description for m in cards if m.delta} == {"vs Q2 2026"}
    assert any("Changes against Q2 2026 (2026-04-01 to 2026-06-30)" in c.value for c in at.caption)


def test_time_to_submit_states_its_definition_once(sample_db, monkeypatch):
    at = open_page(sample_db, monkeypatch, "time_to_submit", client="Acme Corp", period="All time",
                   as_of=AS_OF.isoformat())
    assert not at.exception, [e.value for e in at.exception]
    phrase = "a reopened requisition keeps its first start"
    assert phrase in METRICS["time_to_submit"].definition
    texts = [e.value for e in (*at.markdown, *at.caption)]
    assert sum(phrase in t for t in texts) == 1
    assert [e.label for e in at.expander][:1] == ["What time to submit counts"]
    # Every chart still says its filters and n.
    assert sum("Filters: Acme Corp" in t and "n = " in t for t in texts) >= 4


# -- in a browser ----------------------------------------------------------------------------------

@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    yield ctx.new_page()
    ctx.close()
    server.warn_deprecations()


def _open(page, url: str, title: str) -> None:
    page.goto(url)
    page.wait_for_function("t => [...document.querySelectorAll('h1')].some(h => h.innerText.trim() === t)",
                           arg=title, timeout=60000)
    page.wait_for_selector(".js-plotly-plot, [data-testid='stHeading'] h3", timeout=60000)
    settled(page)


@pytest.mark.browser
def test_a_click_on_a_half_width_chart_lists_its_rows_page_wide_measure_first_linking_requisitions(server, page):
    params = {"client": "Acme Corp", "period": "All time", "as_of": AS_OF.isoformat()}
    _open(page, f"{server.url}/time_to_submit?{urlencode(params)}", "Time to submit")
    # The distribution, in the left column.
    chart = page.locator(".js-plotly-plot").filter(has_text="days to first submittal")
    bars = chart.locator("g.trace.bars g.point path")
    bars.first.wait_for(state="attached", timeout=30000)
    boxes = [bars.nth(i).bounding_box() for i in range(bars.count())]
    box = max((b for b in boxes if b), key=lambda b: b["height"])   # the tallest bar: easy to hit
    # Plotly's drag layer sits over the bars and takes the click: click its centre with the mouse.
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("text=Rows behind", timeout=30000)
    settled(page)

    table = page.locator('[data-testid="stDataFrame"]').first    # above the charts by dimension and the tables
    page_wide = page.locator('[data-testid="stExpander"]').first.bounding_box()["width"]  # the definition's
    assert table.bounding_box()["width"] >= 0.93 * page_wide
    assert table.bounding_box()["width"] > 1.6 * chart.bounding_box()["width"]

    headers = table.locator('th[role="columnheader"]').all_inner_texts()
    assert headers[:2] == ["Time to submit (days)", "Requisition"]
    href = table.locator('[data-testid="glide-cell-1-0"]').inner_text()
    assert href.startswith("requisition?") and "client=Acme+Corp" in href and "period=All+time" in href

    with page.expect_download() as download:
        page.get_by_role("button", name="Download these rows (CSV)").click()
    with open(download.value.path(), newline="", encoding="utf-8-sig") as f:
        lines = list(csv.reader(f))
    assert lines[0][:2] == ["Time to submit (days)", "Requisition"] and "First submittal" in lines[0]
    assert not set(lines[0]) & set(STORED_NAMES)
    assert not any(cell in NOT_BLANK for line in lines for cell in line)
    req = lines[1][1]

    _open(page, f"{server.url}/{href}", "Requisition detail")
    page.wait_for_function("r => [...document.querySelectorAll('h3')].some(h => h.innerText.startsWith(r + ' · '))",
                           arg=req, timeout=30000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_role("combobox", name="Client", exact=True).input_value() == "Acme Corp"
    assert sidebar.get_by_role("combobox", name="Period", exact=True).input_value() == "All time"
