"""The dashboard, headless (streamlit.testing AppTest): first start, KPI values, empty state."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import charts
import store
from metrics import METRICS, Filters, summary

ROOT = Path(__file__).resolve().parent.parent



def _kpis(at) -> dict:
    return {m.label: m.value for m in at.metric}


def _expected_kpis(db, filters: Filters) -> dict:
    with store.connection(db, read_only=True) as con:
        s = summary(con, filters)
    value = {
        "time_to_submit": s["time_to_submit"]["median"],
        "interview_conversion": s["interview_conversion"]["submit_to_interview"],
        "deadline_adherence": s["deadline_adherence"]["rate"],
        "time_to_fill": s["time_to_fill"]["median"],
        "hm_feedback_days": s["hm_feedback_days"]["median"],
    }
    return {METRICS[k].short: charts.fmt_value(v, METRICS[k].unit) for k, v in value.items()}


def test_first_start_builds_the_sample_database_and_shows_the_overview(tmp_path, monkeypatch):
    default = tmp_path / "default.duckdb"
    monkeypatch.delenv("RECRUITING_DB", raising=False)
    monkeypatch.setattr(store, "DEFAULT_DB", default)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert default.exists()
    assert at.title[0].value == "Overview"
    assert len(at.get("plotly_chart")) == 4
    with store.connection(default, read_only=True) as con:
        clients = [r[0] for r in con.execute("SELECT client FROM clients ORDER BY 1").fetchall()]
    assert clients == ["Acme Corp", "Globex UK", "Northwind Health"]
    assert at.selectbox(key="client").options == clients


@pytest.mark.parametrize("params, filters", [
    ({"client": "Acme Corp", "period": "Last 90 days", "as_of": "2026-11-20"},
     Filters("Acme Corp", date_from=dt.date(2026, 8, 23), date_to=dt.date(2026, 11, 20), as_of=dt.date(2026, 11, 20))),
    ({"client": "globex uk", "period": "Custom", "from": "2026-01-01", "to": "2026-06-30", "as_of": "2026-09-01",
      "department": "Technology"},
     Filters("Globex UK", departments=("Technology",), date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 6, 30),
             as_of=dt.date(2026, 9, 1))),
])
def test_overview_kpis_equal_the_metrics_summary_for_the_same_filters(sample_db, monkeypatch, params, filters):
    monkeypatch.setenv("RECRUITING_DB", str(sample_db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert _kpis(at) == _expected_kpis(sample_db, filters)
    # Every chart carries its footnote: definition, filters, n and data as of.
    footnotes = [c.value for c in at.caption if "n = " in c.value and "Data as of" in c.value]
    assert len(footnotes) >= 3


def test_changing_the_client_in_the_sidebar_updates_kpis_and_url(sample_db, monkeypatch):
    monkeypatch.setenv("RECRUITING_DB", str(sample_db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["as_of"] = "2026-11-20"
    at.run()
    at.selectbox(key="client").set_value("Northwind Health").run()
    assert not at.exception
    assert at.query_params["client"] == "Northwind Health"
    expected = _expected_kpis(sample_db, Filters("Northwind Health", date_from=dt.date(2026, 8, 23),
                                                 date_to=dt.date(2026, 11, 20), as_of=dt.date(2026, 11, 20)))
    assert _kpis(at) == expected


def test_named_empty_database_shows_how_to_load_instead_of_sample_data(tmp_path, monkeypatch):
    empty = tmp_path / "empty.duckdb"
    monkeypatch.setenv("RECRUITING_DB", str(empty))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert not empty.exists()  # an explicitly named database is never filled with sample data
    text = " ".join(i.value for i in at.info)
    assert "No data" in text and "python -m loaders" in text


def test_glossary_page_runs_alone_with_the_clients_settings(sample_db, monkeypatch):
    monkeypatch.setenv("RECRUITING_DB", str(sample_db))
    at = AppTest.from_file(str(ROOT / "pages" / "glossary.py"), default_timeout=60)
    at.query_params["client"] = "Acme Corp"
    at.run()
    assert not at.exception
    body = " ".join(m.value for m in at.markdown)
    assert "America/Chicago" in body and "business days" in body
    dictionary = at.dataframe[0].value
    words = dict(zip(dictionary["Client's word"], dictionary["Counts as"]))
    assert words["Client Submission"] == "submitted" and words["Client Rejected"] == "rejected"


def test_data_page_shows_the_sample_clients_data_quality_problems(sample_db, monkeypatch):
    monkeypatch.setenv("RECRUITING_DB", str(sample_db))
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=60)
    at.query_params["client"] = "Globex UK"
    at.run()
    assert not at.exception
    headings = [s.value for s in at.subheader]
    # sample_data/README.md lists Globex's deliberate problems: 4 rejected rows, the unmapped
    # "Talent Pool", one out-of-order pair, one event of an unknown application, two commitments
    # pointing at requisitions that do not exist.
    assert "Rejected rows (4)" in headings
    assert "Unmapped stage words (1)" in headings
    assert "Out-of-order events (1)" in headings
    assert "Events of unknown applications (1)" in headings
    assert "Commitments with an unknown requisition (2)" in headings
