"""The client review deck, reopened with python-pptx: its slides, native charts holding the
metrics' numbers, footnotes, 16:9, branding; the client's "How we measure" and, only on request,
the internal appendix; LibreOffice renders it; the Overview's button and the batch command build it
with the same code."""
from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Inches

import store
from exports import deck
from loaders.settings import (SettingsError, describe_changes, parse_settings, save_client, settings_document,
                              settings_toml, stored_settings)
from metrics import HISTORY_NEEDED, Filters, Report, kpi_sentence, stage_labels

pytestmark = pytest.mark.deck
ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ("Acme Corp", "Globex UK", "Northwind Health")
AS_OF = dt.date(2026, 11, 20)
SLIDES = [
    "{client}: recruiting review",
    "Executive summary",
    "Time to submit",
    "Interview conversion",
    "Deadline adherence",
    "Time to fill",
    "Hiring-manager feedback time",
    "We and the client: both sides of the hiring speed",
    "Deadlines: misses by side and reason",
    "Upcoming deadlines",
    "How we measure (1 of 2)",
    "How we measure (2 of 2)",
]
INTERNAL = ["Internal appendix: rules that apply to every metric", "Internal appendix: data quality"]
# Words of how we read and store files, which a client's deck never shows.
INTERNAL_WORDS = ("numpy", "busday", "DataLoader", "upsert", "snapshot", "Greenhouse", "Bullhorn", "sha256", "SQL")
# chart name -> its native chart type
CHARTS = {
    "Chart: time_to_submit": XL_CHART_TYPE.COLUMN_CLUSTERED,
    "Chart: interview_conversion": XL_CHART_TYPE.BAR_CLUSTERED,
    "Chart: deadline_adherence": XL_CHART_TYPE.COLUMN_STACKED,
    "Chart: time_to_fill": XL_CHART_TYPE.BAR_CLUSTERED,
    "Chart: hm_feedback_days": XL_CHART_TYPE.BAR_CLUSTERED,
    # A line chart; python-pptx reads it back as LINE because the target lines have no markers.
    "Chart: we": XL_CHART_TYPE.LINE,
    "Chart: deadline_adherence misses": XL_CHART_TYPE.BAR_STACKED,
}


def _filters(client: str) -> Filters:
    return Filters(client, date_from=dt.date(2026, 5, 1), date_to=dt.date(2026, 10, 31), as_of=AS_OF)


def _open(data: bytes):
    return Presentation(io.BytesIO(data))


@pytest.fixture(scope="module")
def decks(sample_db) -> dict:
    """Each sample client's deck for one six-month period, as bytes."""
    with store.connection(sample_db, read_only=True) as con:
        return {c: deck.build(con, _filters(c)) for c in CLIENTS}


@pytest.fixture(scope="module")
def internal_deck(sample_db) -> bytes:
    """Globex UK's deck with the internal appendix."""
    with store.connection(sample_db, read_only=True) as con:
        return deck.build(con, _filters("Globex UK"), internal=True)


def _texts(slide) -> list[str]:
    """Every text on a slide: text boxes, table cells and chart categories."""
    out = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            out.append(shape.text_frame.text)
        if shape.has_table:
            out += [cell.text for row in shape.table.rows for cell in row.cells]
        if shape.has_chart:
            out += [str(c) for c in shape.chart.plots[0].categories]
    return out


def _finding(slide) -> tuple[str, str]:
    main, _, detail = next(s for s in slide.shapes if s.name == "Finding").text_frame.text.partition("\n")
    return main, detail


def _charts(prs) -> dict:
    return {shape.name: (slide, shape.chart) for slide in prs.slides for shape in slide.shapes if shape.has_chart}


def _values(chart, series: int = 0) -> list:
    return list(chart.plots[0].series[series].values)


@pytest.mark.parametrize("client", CLIENTS)
def test_deck_is_16_9_with_the_review_slides_in_order(decks, client):
    prs = _open(decks[client])
    assert (prs.slide_width, prs.slide_height) == (Inches(13.333), Inches(7.5))
    assert [s.shapes.title.text for s in prs.slides] == [t.format(client=client) for t in SLIDES]


@pytest.mark.parametrize("client", CLIENTS)
def test_every_chart_is_native_and_holds_the_summary_and_breakdown_numbers(decks, sample_db, client):
    charts_ = _charts(_open(decks[client]))
    assert {name: c.chart_type for name, (_, c) in charts_.items()} == CHARTS
    with store.connection(sample_db, read_only=True) as con:
        rep = Report(con, _filters(client))
        s = rep.summary()
        labels = stage_labels(con, rep.filters.client)
        tts_rows = rep.rows("time_to_submit")
        months = rep.aggregate("deadline_adherence", grain="month")
        ttf = rep.aggregate("time_to_fill", by="department")
        hm = rep.aggregate("hm_feedback_days", by="hiring_manager")
        tts_trend = rep.aggregate("time_to_submit", grain="month")
        hm_trend = rep.aggregate("hm_feedback_days", grain="month")
        rep.close()

    # Time to submit: binned columns holding every requisition of the summary's n.
    _, c = charts_["Chart: time_to_submit"]
    counts = _values(c)
    assert sum(counts) == s["time_to_submit"]["n"]
    for label, count in zip(c.plots[0].categories, counts):
        lo, _, hi = str(label).partition("–")
        assert count == tts_rows["tts_days"].between(int(lo), int(hi or lo)).sum(), label

    # The funnel as bars, in the client's own stage words.
    _, c = charts_["Chart: interview_conversion"]
    conv = s["interview_conversion"]
    assert list(c.plots[0].categories) == [labels[x] for x in ("submitted", "interviewed", "offered", "hired")]
    assert _values(c) == [conv["submitted"], conv["interviewed"], conv["offered"], conv["hired"]]

    # Deadlines per month: met / missed / pending, adding up to the summary.
    _, c = charts_["Chart: deadline_adherence"]
    adh = s["deadline_adherence"]
    for i, col in enumerate(("met", "missed", "pending")):
        assert _values(c, i) == list(months[col])
        assert sum(_values(c, i)) == adh[col]

    # Breakdowns: worst first, as the screen orders them, with n in each label.
    for name, table in (("Chart: time_to_fill", ttf), ("Chart: hm_feedback_days", hm)):
        _, c = charts_[name]
        expected = table.dropna(subset=["median"]).sort_values("median", ascending=False).head(deck.MAX_BARS)
        assert _values(c) == pytest.approx(list(expected["median"]))
        assert all(f"(n = {n})" in str(cat) for cat, n in zip(c.plots[0].categories, expected["n"]))

    # We and the client: both monthly medians on one line chart.
    _, c = charts_["Chart: we"]
    periods = sorted(set(tts_trend["period"]) | set(hm_trend["period"]))
    for i, trend in enumerate((tts_trend, hm_trend)):
        by_month = dict(zip(trend["period"], trend["median"]))
        assert _values(c, i) == [by_month.get(p) for p in periods]

    # Misses by reason, split by side, adding up to the summary's sides.
    _, c = charts_["Chart: deadline_adherence misses"]
    assert sum(_values(c, 0)) == adh["missed_by_side"]["rpo"]
    assert sum(_values(c, 1)) == adh["missed_by_side"]["client"]


def test_every_chart_carries_its_data_as_an_embedded_workbook_so_powerpoint_can_edit_it(decks):
    for client, data in decks.items():
        for name, (_, chart) in _charts(_open(data)).items():
            xlsx = chart.part.chart_workbook.xlsx_part
            assert xlsx is not None and xlsx.blob[:2] == b"PK", (client, name)


def test_a_client_with_no_data_gets_a_deck_of_sentences(sample_db_copy):
    with store.connection(sample_db_copy) as con:
        save_client(con, parse_settings('name = "Initech"\n'))
    with store.connection(sample_db_copy, read_only=True) as con:
        prs = _open(deck.build(con, Filters("Initech", as_of=AS_OF)))
    assert [s.shapes.title.text for s in prs.slides] == [t.format(client="Initech") for t in SLIDES]
    assert not _charts(prs)
    empty = [sh.text_frame.text for s in prs.slides for sh in s.shapes if sh.name == "Empty"]
    # Nothing loaded is no stage history either: every metric's slide says what it would need.
    assert set(empty) == {HISTORY_NEEDED} and len(empty) == 8


def test_every_chart_slide_has_its_footnote_with_n_and_data_as_of(decks):
    for client, data in decks.items():
        for name, (slide, _) in _charts(_open(data)).items():
            notes = [s.text_frame.text for s in slide.shapes if s.name == "Footnote"]
            assert len(notes) == 1, (client, name)
            assert "Filters: " in notes[0] and "n = " in notes[0], (client, name)
            assert f"Data as of {AS_OF:%d %b %Y}" in notes[0], (client, name)


def test_executive_summary_gives_each_kpi_against_target_and_previous_period(decks, sample_db):
    prs = _open(decks["Globex UK"])
    table = next(s for s in prs.slides[1].shapes if s.name == "KPI table").table
    rows = [[table.cell(i, j).text for j in range(6)] for i in range(1, len(table.rows))]
    with store.connection(sample_db, read_only=True) as con:
        rep = Report(con, _filters("Globex UK"))
        kpis = rep.kpis()
        rep.close()
    import charts
    assert [r[0] for r in rows] == [k["title"] for k in kpis]
    for row, k in zip(rows, kpis):
        assert row[1] == charts.fmt_value(k["value"], k["unit"])
        assert row[2] == charts.fmt_value(k["previous"], k["unit"])
        assert row[4] == k["status"]
        assert row[5] == k["sentence"] and f"n = {k['n']}" in row[5]


def test_data_quality_appendix_counts_the_data_pages_rows(internal_deck, sample_db):
    from metrics import views
    table = next(s for s in _open(internal_deck).slides[-1].shapes if s.name == "Quality table").table
    counts = {table.cell(i, 0).text: int(table.cell(i, 1).text) for i in range(1, len(table.rows))}
    with store.connection(sample_db, read_only=True) as con:
        rep = Report(con, _filters("Globex UK"))
        q = views.data_quality(rep)
        rep.close()
    # sample_data/README.md lists Globex's deliberate problems, which the Data page shows too.
    assert counts["Rejected rows"] == len(q["rejected"]) == 4
    assert counts["Unmapped stage words"] == len(q["unmapped"]) == 1
    assert counts["Out-of-order events"] == len(q["out_of_order"]) == 1
    assert counts["Commitments with an unknown requisition"] == 2


@pytest.mark.parametrize("client", CLIENTS)
def test_default_deck_says_how_we_measure_in_the_clients_words_and_holds_no_internal_slide(decks, sample_db, client):
    import charts
    from loaders.settings import get_client, get_dictionary
    prs = _open(decks[client])
    titles = [s.shapes.title.text for s in prs.slides]
    assert not [t for t in titles if t.startswith("Internal appendix")]
    measure = [s for s in prs.slides if s.shapes.title.text.startswith("How we measure")]
    assert len(measure) == 2
    text = "\n".join(t for s in measure for t in _texts(s))
    with store.connection(sample_db, read_only=True) as con:
        settings, dictionary = get_client(con, client), get_dictionary(con, client)
    rates = {"submit_to_interview", "interview_to_offer", "offer_to_hire", "deadline_adherence"}
    for key, value in settings["targets"].items():
        assert charts.fmt_value(value, "rate" if key in rates else "days") in text, key
    for word, _ in dictionary:
        assert word in text, word
    assert settings["timezone"] in text
    assert ("business days" if settings["day_count"] == "business" else "calendar days") in text
    everything = "\n".join(t for s in prs.slides for t in _texts(s))
    for word in INTERNAL_WORDS:
        assert word.lower() not in everything.lower(), word
    # People's words: no raw keys, no "None" for a blank, no doubled parentheses.
    raw = re.search(r".{0,30}\b(sla|rpo|None)\b.{0,30}", everything)
    assert raw is None, raw
    assert "((" not in everything


def test_internal_appendix_follows_the_clients_slides_only_on_request(internal_deck):
    prs = _open(internal_deck)
    assert [s.shapes.title.text for s in prs.slides] == [t.format(client="Globex UK") for t in SLIDES + INTERNAL]
    rules = "\n".join(_texts(prs.slides[len(SLIDES)]))
    assert "numpy.busday_count" in rules and "DataLoader" in rules


@pytest.mark.parametrize("compare, header, words", [
    ("previous", "Q2 2026", "compared with Q2 2026 (2026-04-01 to 2026-06-30)"),
    ("last_year", "Same period last year", "compared with the same period last year (2025-07-01 to 2025-09-30)"),
    ("none", None, None),
])
def test_executive_summary_names_the_period_it_compares_with(sample_db, compare, header, words):
    q3 = Filters("Acme Corp", date_from=dt.date(2026, 7, 1), date_to=dt.date(2026, 9, 30), as_of=AS_OF, compare=compare)
    with store.connection(sample_db, read_only=True) as con:
        prs = _open(deck.build(con, q3))
        rep = Report(con, q3)
        kpis = rep.kpis()
        rep.close()
    summary = prs.slides[1]
    _, detail = _finding(summary)
    table = next(s for s in summary.shapes if s.name == "KPI table").table
    columns = [table.cell(0, j).text for j in range(len(table.columns))]
    legend = next(s for s in summary.shapes if s.name == "Legend").text_frame.text
    if header is None:
        assert detail == "Period 2026-07-01 to 2026-09-30" and columns == ["KPI", "This period", "Target", "Status",
                                                                           "What changed"]
        assert "No comparison" in legend
        return
    import charts
    assert detail == f"Period 2026-07-01 to 2026-09-30, {words}"
    assert columns[2] == header and words.removeprefix("compared with ") in legend
    assert [table.cell(i + 1, 2).text for i in range(len(kpis))] == [charts.fmt_value(k["previous"], k["unit"])
                                                                     for k in kpis]
    # The figures beside each metric's chart name the same period.
    figures = next(s for s in prs.slides[2].shapes if s.name == "Figures").text_frame.text
    assert f"Compared with: {header}" in figures


@pytest.mark.parametrize("most", [deck.MAX_BARS, 3])
def test_a_breakdowns_finding_names_only_groups_on_its_chart(sample_db, monkeypatch, most):
    monkeypatch.setattr(deck, "MAX_BARS", most)
    with store.connection(sample_db, read_only=True) as con:
        prs = _open(deck.build(con, _filters("Acme Corp")))
        rep = Report(con, _filters("Acme Corp"))
        managers = rep.aggregate("hm_feedback_days", by="hiring_manager")["median"].notna().sum()
        rep.close()
    assert managers > deck.MAX_BARS       # Acme's hiring managers do not all fit on the chart
    for name, (slide, chart) in _charts(prs).items():
        if name not in ("Chart: hm_feedback_days", "Chart: time_to_fill"):
            continue
        on_chart = {str(c).rsplit(" (n = ", 1)[0] for c in chart.plots[0].categories}
        _, detail = _finding(slide)
        named = set(re.findall(r"\(([^()]+)\)", detail))
        assert named and named <= on_chart, (name, detail)
    hm_slide, _ = _charts(prs)["Chart: hm_feedback_days"]
    _, detail = _finding(hm_slide)
    assert detail.startswith(f"the {deck.MAX_BARS} slowest of {managers} hiring managers: median feedback time from ")
    figures = next(s for s in hm_slide.shapes if s.name == "Figures").text_frame.text
    assert f"the {deck.MAX_BARS} slowest of {managers}" in figures


def test_placeholder_groups_read_as_words_and_real_names_stay_as_they_are():
    import pandas as pd
    table = pd.DataFrame({"reason": ["(not set)", "(unknown requisition)", "(Contract)"]})
    assert list(deck._group_names(table, "reason")["reason"]) == ["Not set", "Unknown requisition", "(Contract)"]


def test_kpi_sentence_says_what_changed_and_whether_it_is_better():
    base = {"metric": "time_to_submit", "unit": "days", "lower_is_better": True, "n": 12}
    assert kpi_sentence({**base, "value": 4.0, "previous": 5.5, "target": 5.0}, True) == (
        "Time to submit improved to 4.0 d from 5.5 d (down 1.5 d); on target (target ≤ 5.0 d); n = 12 requisitions.")
    rate = {"metric": "interview_conversion", "unit": "rate", "lower_is_better": False, "n": 40}
    assert kpi_sentence({**rate, "value": 0.40, "previous": 0.50, "target": 0.45}, True).startswith(
        "Interview conversion worsened to 40% from 50% (down 10 pts); off target (target ≥ 45%)")
    assert "held steady at 4.0 d" in kpi_sentence({**base, "value": 4.0, "previous": 4.02, "target": None}, True)
    assert kpi_sentence({**base, "value": None, "previous": 3.0, "target": 5.0, "n": 0}, True) == (
        "Time to submit: no data in this period (n = 0).")


def test_distribution_bins_keep_every_value_and_every_empty_bin():
    import pandas as pd
    assert deck.distribution_bins(pd.Series([1, 1, 3])) == (["1", "2", "3"], [2, 0, 1])
    labels, counts = deck.distribution_bins(pd.Series(list(range(-2, 60))))
    # 62 days in bins of 4, aligned so that one bin starts at day 0.
    assert sum(counts) == 62 and labels[:2] == ["-4–-1", "0–3"] and len(labels) <= 21


@pytest.mark.requires("libreoffice", "poppler")
def test_libreoffice_renders_the_deck_one_page_per_slide(decks, tmp_path):
    soffice, pdfinfo = shutil.which("soffice"), shutil.which("pdfinfo")
    path = tmp_path / "acme.pptx"
    path.write_bytes(decks["Acme Corp"])
    run = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                          "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    info = subprocess.run([pdfinfo, str(tmp_path / "acme.pdf")], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages == len(SLIDES)


@pytest.fixture
def deferred(monkeypatch) -> list:
    """The deferred downloads a page offers, as (callable, keyword arguments). Streamlit runs a
    deferred download's callable when the button is clicked, on its own thread; AppTest has no
    browser to click it, so a test keeps the callable and calls it."""
    from streamlit.runtime.media_file_manager import MediaFileManager
    offered = []
    register = MediaFileManager.add_deferred
    monkeypatch.setattr(MediaFileManager, "add_deferred",
                        lambda self, fn, *a, **k: offered.append((fn, k)) or register(self, fn, *a, **k))
    return offered


def test_overview_download_button_builds_the_deck_for_the_current_filters(sample_db_copy, deferred):
    from streamlit.testing.v1 import AppTest
    # A copy: the download is recorded in the database's audit log.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for key, value in {"client": "Northwind Health", "period": "Custom", "from": "2026-05-01", "to": "2026-10-31",
                       "as_of": AS_OF.isoformat()}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels[0] == "Download review deck" and labels.count("Download review deck") == 1
    (fn, kwargs), = [(fn, k) for fn, k in deferred if str(k.get("file_name", "")).endswith(".pptx")]
    assert kwargs["file_name"] == "northwind-health-review-2026-05-01-to-2026-10-31.pptx"
    prs = _open(fn())
    assert prs.slides[0].shapes.title.text == "Northwind Health: recruiting review"
    # The same numbers as the command line's deck for the same filters.
    with store.connection(sample_db_copy, read_only=True) as con:
        cli = _open(deck.build(con, _filters("Northwind Health")))
        recorded = con.execute("SELECT client, detail->>'what', detail->>'file' FROM audit WHERE action = 'download'"
                               ).fetchall()
    assert {n: _values(c) for n, (_, c) in _charts(prs).items()} == {n: _values(c) for n, (_, c) in _charts(cli).items()}
    assert recorded == [("Northwind Health", "deck", kwargs["file_name"])]


def test_overview_deck_with_the_internal_appendix_only_when_ticked_and_named_so(sample_db_copy, deferred):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for key, value in {"client": "Acme Corp", "period": "Last quarter", "as_of": AS_OF.isoformat()}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception and at.checkbox(key="deck_internal").value is False

    def latest_deck():
        fn, kwargs = [(fn, k) for fn, k in deferred if str(k.get("file_name", "")).endswith(".pptx")][-1]
        return kwargs["file_name"], [s.shapes.title.text for s in _open(fn()).slides if s.shapes.title is not None]
    name, titles = latest_deck()
    assert not name.endswith("-internal.pptx") and not any(t.startswith("Internal appendix") for t in titles)
    at.checkbox(key="deck_internal").check().run()
    name, titles = latest_deck()
    assert name.endswith("-internal.pptx")
    assert [t for t in titles if t.startswith("Internal appendix")] == [
        "Internal appendix: rules that apply to every metric", "Internal appendix: data quality"]
    with store.connection(sample_db_copy, read_only=True) as con:
        recorded = con.execute("SELECT detail->>'file', detail->>'internal_appendix' FROM audit "
                               "WHERE action = 'download' ORDER BY at_utc").fetchall()
    assert recorded[-1] == (name, "true")


def _exports(*args, db) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exports", "deck", "--db", str(db), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_batch_command_writes_one_deck_per_sample_client(sample_db_copy, tmp_path):
    run = _exports("--all-clients", "--out", str(tmp_path / "decks"), "--from", "2026-05-01", "--to", "2026-10-31",
                   "--as-of", AS_OF.isoformat(), db=sample_db_copy)
    assert run.returncode == 0, run.stderr
    files = sorted((tmp_path / "decks").glob("*.pptx"))
    assert [f.name for f in files] == [f"{slug}-review-2026-05-01-to-2026-10-31.pptx"
                                       for slug in ("acme-corp", "globex-uk", "northwind-health")]
    for client, path in zip(CLIENTS, files):
        assert [s.shapes.title.text for s in Presentation(str(path)).slides] == [t.format(client=client)
                                                                                 for t in SLIDES]


def test_internal_appendix_flag_adds_the_internal_slides_to_every_clients_deck(sample_db_copy, tmp_path):
    run = _exports("--all-clients", "--internal-appendix", "--compare", "last_year", "--out", str(tmp_path),
                   "--from", "2026-07-01", "--to", "2026-09-30", "--as-of", AS_OF.isoformat(), "--quiet",
                   db=sample_db_copy)
    assert run.returncode == 0, run.stderr
    for client, path in zip(CLIENTS, sorted(tmp_path.glob("*.pptx"))):
        prs = Presentation(str(path))
        assert [s.shapes.title.text for s in prs.slides] == [t.format(client=client) for t in SLIDES + INTERNAL]
        assert "compared with the same period last year (2025-07-01 to 2025-09-30)" in _finding(prs.slides[1])[1]
    assert run.stdout.count("(with the internal appendix: not for the client)") == len(CLIENTS)
    with store.connection(sample_db_copy, read_only=True) as con:
        marked = con.execute("SELECT count(*) FROM audit WHERE action = 'download' "
                             "AND detail->>'internal_appendix' = 'true'").fetchone()[0]
    assert marked == len(CLIENTS)


def test_deck_command_writes_one_file_and_refuses_an_unknown_client(sample_db_copy, tmp_path):
    out = tmp_path / "globex.pptx"
    ok = _exports("--client", " globex uk", "--as-of", AS_OF.isoformat(), "--internal-appendix", "-o", str(out),
                  db=sample_db_copy)
    assert ok.returncode == 0, ok.stderr
    assert [s.shapes.title.text for s in Presentation(str(out)).slides][-3:] == SLIDES[-1:] + INTERNAL
    bad = _exports("--client", "Globex", "-o", str(tmp_path / "x.pptx"), db=sample_db_copy)
    assert bad.returncode == 1 and "unknown client 'Globex'" in bad.stderr and "Globex UK" in bad.stderr
    missing = _exports("--client", "Globex UK", "-o", str(tmp_path / "x.pptx"), db=tmp_path / "none.duckdb")
    assert missing.returncode == 1 and "does not exist" in missing.stderr


def _brand(db: Path, client_toml: str, branding: str) -> None:
    text = (ROOT / "sample_data" / "clients" / client_toml).read_text(encoding="utf-8") + "\n[branding]\n" + branding
    with store.connection(db) as con:
        save_client(con, parse_settings(text))


def test_branding_puts_the_logo_accent_and_template_layouts_in_the_deck(sample_db_copy, tmp_path):
    from PIL import Image
    logo = tmp_path / "logo.png"
    Image.new("RGB", (300, 100), "#7A1F5C").save(logo)
    template = tmp_path / "template.pptx"
    tpl = Presentation()
    tpl.slide_width, tpl.slide_height = Inches(13.333), Inches(7.5)
    tpl.slide_layouts[5].name = "Acme Title Only"
    tpl.slides.add_slide(tpl.slide_layouts[0])       # an example slide, not part of the review
    tpl.save(template)
    _brand(sample_db_copy, "acme.toml", f'logo = "{logo}"\naccent = "#7A1F5C"\ntemplate = "{template}"\n')
    with store.connection(sample_db_copy, read_only=True) as con:
        prs = _open(deck.build(con, _filters("Acme Corp")))
    assert len(prs.slides) == len(SLIDES)
    assert {s.slide_layout.name for s in list(prs.slides)[1:]} == {"Acme Title Only"}
    assert all(any(sh.shape_type == 13 for sh in s.shapes) for s in prs.slides)   # a picture: the logo
    _, chart = _charts(prs)["Chart: time_to_submit"]
    assert str(chart.plots[0].series[0].format.fill.fore_color.rgb) == "7A1F5C"


def test_a_4_3_template_or_a_missing_logo_is_refused_naming_the_setting(sample_db_copy, tmp_path):
    square = tmp_path / "square.pptx"
    Presentation().save(square)                      # python-pptx's default is 4:3
    _brand(sample_db_copy, "globex.toml", f'template = "{square}"\n')
    with store.connection(sample_db_copy, read_only=True) as con, pytest.raises(deck.DeckError, match="16:9"):
        deck.build(con, _filters("Globex UK"))
    _brand(sample_db_copy, "globex.toml", f'logo = "{tmp_path / "nope.png"}"\n')
    run = _exports("--client", "Globex UK", "-o", str(tmp_path / "x.pptx"), db=sample_db_copy)
    assert run.returncode == 1 and "branding.logo" in run.stderr and "nope.png" in run.stderr
    # The Overview says so beside a disabled button, rather than failing the download.
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=90)
    at.query_params["client"] = "Globex UK"
    at.run()
    assert not at.exception
    assert at.get("download_button")[0].proto.disabled
    assert any("branding.logo" in w.value and "nope.png" in w.value for w in at.warning)


@pytest.mark.parametrize("branding, key", [
    ('accent = "blue"', "branding.accent"),
    ('logo = "logo.gif"', "branding.logo"),
    ('template = "deck.potx"', "branding.template"),
    ('font = "Arial"', "branding.font"),
])
def test_invalid_branding_settings_are_refused_naming_the_key(branding, key):
    with pytest.raises(SettingsError, match=key.replace(".", r"\.")):
        parse_settings(f'name = "X"\n[branding]\n{branding}\n')


def test_branding_is_stored_with_the_settings_and_survives_a_settings_round_trip(sample_db_copy):
    _brand(sample_db_copy, "northwind.toml", 'accent = "#1F6FB2"\nlogo = "branding/northwind.png"\n')
    with store.connection(sample_db_copy, read_only=True) as con:
        stored = stored_settings(con, "Northwind Health")
    assert stored.branding == {"accent": "#1F6FB2", "logo": "branding/northwind.png"}
    # The Settings page saves through settings_document: branding is kept, and a change is named.
    again = parse_settings(settings_toml(settings_document(stored)))
    assert again.branding == stored.branding
    plain = parse_settings((ROOT / "sample_data" / "clients" / "northwind.toml").read_text(encoding="utf-8"))
    assert "`branding.accent`: none → #1F6FB2" in describe_changes(plain, again)
