"""Chart images and table files (`exports.files`), and the download buttons that hand them out.

Images are real renders in Debian's Chromium (one browser for the module); tables are checked
against the points of real chart builders on the sample data; a hostile text such as
`=HYPERLINK(...)` must stay text in CSV and XLSX; every dashboard chart carries PNG, SVG, CSV
and XLSX buttons whose files are made only when clicked.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import struct
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

import charts
import store
from exports import files
from metrics import Filters, Report

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = '=HYPERLINK("http://x","y")'
F = Filters("Acme Corp", date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 10, 31), as_of=dt.date(2026, 11, 20))
CONTEXT = {"Chart": "Test", "Filters": "Acme Corp; period 2026-03-01 to 2026-10-31", "n": "76 requisitions",
           "Data as of": "Data as of 20 Nov 2026"}


@pytest.fixture(scope="module")
def rep(sample_db):
    with store.connection(sample_db, read_only=True) as con:
        report = Report(con, F)
        yield report
        report.close()


@pytest.fixture(scope="module")
def images():
    """One browser for the module's images, stopped at the end."""
    yield files
    files.stop_images()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _xlsx(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def _figures(rep) -> dict:
    tts, conv, dl = (rep.totals(k) for k in ("time_to_submit", "interview_conversion", "deadline_adherence"))
    return {
        "tts_trend": charts.duration_trend("time_to_submit", rep.aggregate("time_to_submit", grain="month"), 3, tts),
        "distribution": charts.distribution("time_to_submit", rep.rows("time_to_submit"), 3, tts),
        "funnel": charts.conversion_funnel(conv, {}),
        "adherence": charts.adherence_by_month(rep.aggregate("deadline_adherence", grain="month"), 0.9, dl),
        "by_source": charts.by_dimension(rep.aggregate("interview_conversion", by="source"), "interview_conversion",
                                         "source", 0.5),
    }


# -- images ----------------------------------------------------------------------------------------

@pytest.mark.requires("chromium")
@pytest.mark.slow
def test_png_export_is_a_png_of_the_requested_size(rep, images):
    fig = _figures(rep)["adherence"]
    png = images.chart_image(fig, "png", width=800, height=450)
    assert len(png) > 10_000 and _png_size(png) == (800, 450)
    assert _png_size(images.chart_image(fig, "png", width=640, height=400, scale=2)) == (1280, 800)


@pytest.mark.requires("chromium")
@pytest.mark.slow
def test_svg_export_is_xml_of_the_requested_size_and_states_its_footnote(rep, images):
    footnote = "Filters: Acme Corp; period 2026-03-01 to 2026-10-31. n = 81 deadlines due. Data as of 20 Nov 2026."
    svg = images.chart_image(_figures(rep)["by_source"], "svg", width=900, height=600, footnote=footnote)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert (root.get("width"), root.get("height")) == ("900", "600")
    text = " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "Interview conversion by source" in text
    assert "n = 81 deadlines due" in text and "Data as of 20 Nov 2026" in text


@pytest.mark.requires("chromium")
@pytest.mark.slow
def test_a_footnote_adds_its_lines_under_the_figures_own_height(rep, images):
    fig = _figures(rep)["funnel"]
    assert _png_size(images.chart_image(fig, "png")) == (1200, 450)
    width, height = _png_size(images.chart_image(fig, "png", footnote="Filters: all. Data as of today."))
    assert width == 1200 and 450 < height < 520


@pytest.mark.requires("chromium")
@pytest.mark.slow
def test_one_browser_renders_a_batch_of_images(rep, images):
    figs = list(_figures(rep).values())
    images.chart_image(figs[0], "png")
    browser = files._browser.kaleido
    for fig in figs[1:]:
        images.chart_image(fig, "svg")
    assert files._browser.kaleido is browser


def test_without_chromium_images_say_what_to_install(rep, monkeypatch):
    files.stop_images()
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    assert "apt-get install chromium" in files.images_unavailable()
    with pytest.raises(files.ImagesUnavailable, match="apt-get install chromium"):
        files.chart_image(_figures(rep)["funnel"], "png")
    # Tables need no browser.
    assert files.table_csv(files.chart_table(_figures(rep)["funnel"]))


# -- the rows a chart plots ------------------------------------------------------------------------

def test_chart_table_holds_exactly_the_points_of_the_chart(rep):
    figs = _figures(rep)
    months = rep.aggregate("deadline_adherence", grain="month")
    table = files.chart_table(figs["adherence"])
    for series, col in (("Met", "met"), ("Missed", "missed"), ("Pending", "pending"), ("Adherence", "rate")):
        rows = table[table["series"] == series]
        assert list(rows["period"]) == [p.date() for p in months["period"]]
        assert list(rows["value"]) == pytest.approx(list(months[col]))
    assert set(table["series"]) == {"Met", "Missed", "Pending", "Adherence", "Target 90%"}
    for name, fig in figs.items():
        points = sum(len(t.x if t.type == "funnel" or t.orientation == "h" else t.y) for t in fig.data
                     if t.type != "box" and not (isinstance(t.meta, dict) and t.meta.get("summary")))
        assert len(files.chart_table(fig)) == points, name
    # The box over the distribution (with its points beyond the whiskers) summarises the
    # requisitions the bars count: not rows of its own.
    dist = files.chart_table(figs["distribution"])
    assert dist["value"].sum() == rep.totals("time_to_submit")["n"]


def test_the_distribution_s_box_carries_its_statistics_and_the_day_counts_beyond_its_whiskers(rep):
    # A big account's distribution has a hundred thousand requisitions: the chart carries the box's
    # quartiles and whiskers (as plotly's own box would draw them) and the distinct day counts
    # beyond them, never a value per requisition.
    rows = rep.rows("time_to_submit")
    days = rows["tts_days"].dropna()
    fig = charts.distribution("time_to_submit", rows, 3, rep.totals("time_to_submit"))
    box, beyond = fig.data[0], [t for t in fig.data if isinstance(t.meta, dict) and t.meta.get("summary")]
    assert box.type == "box" and box.x is None
    assert (box.q1[0], box.median[0], box.q3[0]) == tuple(days.quantile([0.25, 0.5, 0.75]))
    assert box.median[0] == rep.totals("time_to_submit")["median"]
    reach = 1.5 * (box.q3[0] - box.q1[0])
    inside = days[(days >= box.q1[0] - reach) & (days <= box.q3[0] + reach)]
    assert (box.lowerfence[0], box.upperfence[0]) == (inside.min(), inside.max())
    outside = sorted(set(days[(days < inside.min()) | (days > inside.max())]))
    assert list(beyond[0].x) == outside if outside else not beyond


def test_chart_table_names_its_columns_and_units(rep):
    figs = _figures(rep)
    by_source = files.chart_table(figs["by_source"])
    assert list(by_source.columns) == ["series", "source", "value", "unit", "n", "metric", "subset"]
    assert set(by_source["unit"]) == {"rate"}
    assert set(files.chart_table(figs["tts_trend"]).groupby("series")["unit"].first().items()) == {
        ("Median", "days"), ("90th percentile", "days")}
    assert set(files.chart_table(figs["funnel"])["unit"]) == {"count"}


def test_each_drillable_point_states_the_rows_behind_it(rep):
    table = files.chart_table(_figures(rep)["by_source"])
    for row in table.itertuples():
        rows = rep.rows(row.metric, subset=row.subset, by="source", value=row.source)
        assert len(rows) == row.n


def test_csv_and_xlsx_hold_exactly_the_rows_of_the_chart(rep):
    for name, fig in _figures(rep).items():
        table = files.chart_table(fig)
        rows = _csv_rows(files.table_csv(table))
        assert rows[0] == list(table.columns)
        assert len(rows) == len(table) + 1, name
        assert [r[0] for r in rows[1:]] == list(table["series"])
        assert [float(r[2]) for r in rows[1:]] == pytest.approx([float(v) for v in table["value"]])
        ws = _xlsx(files.table_xlsx(table, CONTEXT))["Data"]
        values = list(ws.iter_rows(min_row=2, values_only=True))
        assert len(values) == len(table), name
        assert [v[2] for v in values] == pytest.approx([float(v) for v in table["value"]])


# -- formula safety --------------------------------------------------------------------------------

def _hostile_chart(rep):
    table = rep.aggregate("time_to_submit", by="department")
    table.loc[table.index[0], "department"] = HOSTILE
    return charts.by_dimension(table, "time_to_submit", "department", None)


def test_a_hostile_text_stays_text_in_csv(rep):
    rows = _csv_rows(files.table_csv(files.chart_table(_hostile_chart(rep))))
    assert HOSTILE not in [cell for r in rows for cell in r]
    assert "'" + HOSTILE in [r[1] for r in rows]
    table = pd.DataFrame({"-note": ["@SUM(A1)", "+1", "-3 days", "\tx", "\rx", "plain"], "days": [-3, 1, 2, 3, 4, 5]})
    rows = _csv_rows(files.table_csv(table))
    assert rows[0] == ["'-note", "days"]
    assert [r[0] for r in rows[1:]] == ["'@SUM(A1)", "'+1", "'-3 days", "'\tx", "'\rx", "plain"]
    assert rows[1][1] == "-3"     # a negative number stays a number


def test_a_hostile_text_stays_text_in_xlsx(rep):
    table = files.chart_table(_hostile_chart(rep))
    table["value"] = table["value"].astype(object)
    table.loc[table.index[-1], "value"] = -3
    data = files.table_xlsx(table, {**CONTEXT, "Chart": HOSTILE})
    wb = _xlsx(data)
    cells = [c for row in wb["Data"].iter_rows() for c in row if c.value == HOSTILE]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
    about = wb["About"]
    assert (about["B1"].value, about["B1"].data_type) == (HOSTILE, "s")
    last = wb["Data"].cell(row=len(table) + 1, column=3)
    assert (last.value, last.data_type) == (-3, "n")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert not any("<f>" in s or "<f " in s for s in sheets)     # no formula anywhere


# -- XLSX layout -----------------------------------------------------------------------------------

def test_xlsx_has_a_styled_frozen_filtered_header_and_number_formats(rep):
    table = files.chart_table(_figures(rep)["adherence"])
    ws = _xlsx(files.table_xlsx(table, CONTEXT))["Data"]
    header = ws[1]
    assert [c.value for c in header] == list(table.columns)
    assert all(c.font.b and c.fill.fgColor.rgb.endswith("0072B2") for c in header)
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:G{len(table) + 1}"
    formats = {(r[0].value, r[3].value): (r[1], r[2]) for r in ws.iter_rows(min_row=2)}
    period, met = next(v for k, v in formats.items() if k[0] == "Met")
    assert isinstance(period.value, dt.datetime) and period.number_format == "yyyy-mm-dd"
    assert met.number_format == "0"
    _, rate = next(v for k, v in formats.items() if k[0] == "Adherence")
    assert rate.number_format == "0.0%"
    assert ws.column_dimensions["A"].width >= len("Target 90%")

    rows = rep.rows("time_to_submit")
    ws = _xlsx(files.table_xlsx(rows, CONTEXT))["Data"]
    columns = {c.value: c.column for c in ws[1]}
    assert ws.cell(row=2, column=columns["tts_days"]).number_format == "0.0"
    start = ws.cell(row=2, column=columns["start_on"])
    assert start.is_date and start.number_format == "yyyy-mm-dd"


def test_about_sheet_states_title_filters_n_and_data_as_of():
    table = pd.DataFrame({"department": ["Finance"], "median": [4.5]})
    about = _xlsx(files.table_xlsx(table, CONTEXT))["About"]
    stated = {r[0].value: r[1].value for r in about.iter_rows()}
    assert stated["Filters"] == CONTEXT["Filters"] and stated["Data as of"] == CONTEXT["Data as of"]
    assert stated["Chart"] == "Test" and stated["n"] == "76 requisitions" and stated["Rows"] == "1"
    with pytest.raises(ValueError, match="Filters"):
        files.table_xlsx(table, {"Chart": "Test", "Data as of": "today"})


# -- the dashboard's buttons -----------------------------------------------------------------------

@pytest.fixture
def deferred(monkeypatch):
    """The files the page's download buttons would make on a click: {button key: (make, file name)}."""
    got = {}
    original = MediaFileManager.add_deferred

    def capture(self, callable_, mimetype, coordinates, file_name=None, element_id=""):
        got[re.sub(r"^.*?-(dl-)", r"\1", element_id)] = (callable_, file_name)
        return original(self, callable_, mimetype, coordinates, file_name=file_name, element_id=element_id)
    monkeypatch.setattr(MediaFileManager, "add_deferred", capture)
    return got


def _page(db, monkeypatch, page: str, **params) -> AppTest:
    monkeypatch.setenv("RECRUITING_DB", str(db))
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=90)
    for key, value in {"client": "Acme Corp", "as_of": "2026-11-20", **params}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button_keys(at) -> list[str]:
    return [re.sub(r"^.*?-(dl-)", r"\1", b.proto.id) for b in at.get("download_button")]


@pytest.mark.requires("chromium")   # its image buttons are enabled
def test_every_chart_on_a_page_has_png_svg_csv_and_xlsx_buttons(sample_db, monkeypatch, deferred):
    at = _page(sample_db, monkeypatch, "time_to_submit", period="Custom", to="2026-10-31", **{"from": "2026-03-01"})
    keys = _button_keys(at)
    for chart in ("distribution", "trend", "by-department", "by-recruiter"):
        assert [k for k in keys if k.startswith(f"dl-{chart}-")] == [f"dl-{chart}-{x}" for x in
                                                                    ("png", "svg", "csv", "xlsx")]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels[:4] == ["PNG", "SVG", "CSV", "XLSX"]
    assert not any(b.proto.disabled for b in at.get("download_button"))
    # Nothing is made until a click; then the files hold the chart's rows, named client-chart-period.
    make, name = deferred["dl-trend-csv"]
    assert name == "acme_corp-time_to_submit-trend-2026_03_01_to_2026_10_31.csv"
    with store.connection(sample_db, read_only=True) as con:
        rep = Report(con, F)
        trend = rep.aggregate("time_to_submit", grain="month")
        rep.close()
    rows = _csv_rows(make())
    assert [float(r[2]) for r in rows[1:] if r[0] == "Median"] == pytest.approx(list(trend["median"]))
    make, name = deferred["dl-trend-xlsx"]
    assert name.endswith("-trend-2026_03_01_to_2026_10_31.xlsx")
    stated = {r[0].value: r[1].value for r in _xlsx(make())["About"].iter_rows()}
    assert stated["Filters"] == "Acme Corp; period 2026-03-01 to 2026-10-31"
    assert stated["Data as of"].startswith("Data as of 20 Nov 2026")
    assert stated["n"].endswith("requisitions") and "Median time to submit" in stated["Chart"]
    # Tables below the charts have their CSV and XLSX too.
    assert {"dl-table-requisitions-csv", "dl-table-requisitions-xlsx"} <= set(keys)


@pytest.mark.requires("chromium")
@pytest.mark.slow
def test_a_png_button_renders_the_chart_with_its_footnote(sample_db_copy, monkeypatch, deferred, images):
    _page(sample_db_copy, monkeypatch, "conversion")
    make, name = deferred["dl-funnel-png"]
    assert re.fullmatch(r"acme_corp-interview_conversion-funnel-\d{4}_\d\d_\d\d_to_2026_11_20\.png", name)
    width, height = _png_size(make())
    assert width == 2400 and height > 900        # twice 1200 x 450, plus the footnote
    svg = deferred["dl-funnel-svg"][0]()
    assert "Data as of 20 Nov 2026" in " ".join(ET.fromstring(svg).itertext())


def test_without_chromium_the_image_buttons_say_what_to_install(sample_db, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    at = _page(sample_db, monkeypatch, "overview")
    buttons = at.get("download_button")
    images = [b for b in buttons if b.proto.label in ("PNG", "SVG")]
    tables = [b for b in buttons if b.proto.label in ("CSV", "XLSX")]
    assert images and all(b.proto.disabled and "apt-get install chromium" in b.proto.help for b in images)
    assert tables and not any(b.proto.disabled for b in tables)
    assert any("apt-get install chromium" in c.value for c in at.caption)


def test_portfolio_and_breakdown_tables_download_as_csv_and_xlsx(sample_db_copy, monkeypatch, deferred):
    at = _page(sample_db_copy, monkeypatch, "portfolio", period="Year to date")
    assert {"dl-portfolio-png", "dl-portfolio-table-xlsx"} <= set(_button_keys(at))
    make, name = deferred["dl-portfolio-table-xlsx"]
    assert name == "all_clients-portfolio_kpis-2026_01_01_to_2026_11_20.xlsx"
    wb = _xlsx(make())
    ws = wb["Data"]
    assert [c.value for c in ws[1]] == ["Client", "KPI", "Value", "Unit", "Target", "Status", "n"]
    assert len({r[0] for r in ws.iter_rows(min_row=2, values_only=True)}) == 3
    rate = next(r for r in ws.iter_rows(min_row=2) if r[3].value == "rate")
    assert rate[2].number_format == "0.0%"
    assert "every client" in {r[0].value: r[1].value for r in wb["About"].iter_rows()}["Filters"]

    at = _page(sample_db_copy, monkeypatch, "hm_responsiveness")
    assert {"dl-table-hiring_manager-csv", "dl-table-hiring_manager-xlsx"} <= set(_button_keys(at))
    make, name = deferred["dl-table-hiring_manager-csv"]
    assert "-hm_feedback_days-by-hiring_manager-" in name
    assert _csv_rows(make())[0][:2] == ["Hiring manager", "n"]


def test_downloads_write_stored_codes_in_peoples_words(sample_db_copy, monkeypatch, deferred):
    _page(sample_db_copy, monkeypatch, "deadlines", period="All time")
    make, _ = deferred["dl-by-kind-csv"]            # the chart's points
    header, *rows = _csv_rows(make())
    assert header[:2] == ["series", "kind"]         # a chart's file keeps its column names
    assert sorted({r[1] for r in rows}) == ["Commitment", "SLA deadline"]
    make, _ = deferred["dl-table-upcoming_deadlines-csv"]
    header, *rows = _csv_rows(make())
    kind, side = header.index("Kind"), header.index("Side")
    assert {r[kind] for r in rows} <= {"Commitment", "SLA deadline"} and {r[side] for r in rows} <= {"RPO", "Client"}


def test_an_empty_chart_exports_its_header_and_says_why_it_is_empty():
    fig = charts.by_dimension(pd.DataFrame(columns=["department", "median", "n"]), "time_to_submit", "department",
                              None)
    table = files.chart_table(fig)
    assert table.empty and _csv_rows(files.table_csv(table)) == [["series", "category", "value", "unit"]]
    assert files.chart_notes(fig) == "Nothing to compare in this period"
    assert _xlsx(files.table_xlsx(table, CONTEXT))["Data"].max_row == 1
