"""Each fact about a metric has one home beside its definition (metrics/definitions.py, the report's
`kpis()`, metrics/quality.py), and the screen and the deck read it there: which count is its n, its
target key, its status against the target, the words for the target and the change, the
data-quality checks and the upcoming-deadlines window."""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import streamlit as st
from pptx import Presentation
from streamlit.testing.v1 import AppTest

import charts
import store
from exports import deck
from loaders import settings as client_settings
from metrics import (CONVERSION_STEPS, METRICS, TARGET_UNITS, Filters, Report, change, change_words, definitions,
                     kpi_sentence, quality, target_status, target_words, views)

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 11, 20)
PERIOD = {"period": "Custom", "from": "2026-05-01", "to": "2026-10-31", "as_of": AS_OF.isoformat()}


def _filters(client: str = "Globex UK") -> Filters:
    return Filters(client, date_from=dt.date(2026, 5, 1), date_to=dt.date(2026, 10, 31), as_of=AS_OF)


def _page(db, monkeypatch, page: str, client: str = "Globex UK") -> AppTest:
    monkeypatch.setenv("RECRUITING_DB", str(db))
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=90)
    for key, value in {"client": client, **PERIOD}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _slide(prs, title: str):
    return next(s for s in prs.slides if s.shapes.title is not None and s.shapes.title.text == title)


def _texts(slide) -> str:
    return "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)


@pytest.fixture
def fresh_cache():
    """The dashboard's cached readers forget what earlier tests read (a window changed by a test
    must reach the page)."""
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def test_status_against_target_is_one_function_on_near_within_ten_percent_and_off():
    # Lower is better (days): on at or under the target, near up to target / 0.9, off beyond.
    assert target_status(5.0, 5.0, True) == "on target"
    assert target_status(4.0, 5.0, True) == "on target"
    assert target_status(5.5, 5.0, True) == "near target"     # 5 / 5.5 = 0.91
    assert target_status(5.6, 5.0, True) == "off target"      # 5 / 5.6 = 0.89
    # Higher is better (rates): on at or above, near down to 90% of the target, off below.
    assert target_status(0.45, 0.45, False) == "on target"
    assert target_status(0.50, 0.50 / 0.9 * 0.9, False) == "on target"
    assert target_status(0.41, 0.45, False) == "near target"  # 0.911
    assert target_status(0.40, 0.45, False) == "off target"   # 0.889
    assert target_status(0.0, 5.0, True) == "on target"       # no days at all beats any target
    assert target_status(3.0, None, True) == "no target"
    assert target_status(None, 3.0, True) == "no data"
    # No second copy of the rule: the chart builders and the dashboard import it.
    assert not hasattr(charts, "target_status")


def test_target_and_change_read_the_same_words_everywhere():
    assert target_words(5.0, "days", True) == "≤ 5.0 d"
    assert target_words(0.45, "rate", False) == "≥ 45%"
    assert target_words(None, "rate", False) is None
    assert change(0.46, 0.45, "rate") == 1 and change_words(1, "rate") == "1 pt"
    assert change_words(change(0.40, 0.50, "rate"), "rate", signed=True) == "-10 pts"
    assert change_words(change(4.0, 5.5, "days"), "days", signed=True) == "-1.5 d"
    assert change_words(change(4.0, 4.02, "days"), "days", signed=True) == "±0.0 d"
    assert change_words(change(0.451, 0.45, "rate"), "rate", signed=True) == "±0 pts"
    assert change(None, 0.45, "rate") is None and change(0.45, None, "rate") is None


def test_n_is_the_metrics_own_count_and_a_click_on_it_lists_its_rows(sample_db):
    with store.connection(sample_db, read_only=True) as con:
        rep = Report(con, _filters())
        try:
            for k in rep.kpis():
                m = METRICS[k["metric"]]
                assert k["n"] == rep.totals(m.key)[m.n_key]
                # The count is one of the metric's named subsets: the rows behind n are n rows.
                assert m.n_key in m.subsets
                assert len(rep.rows(m.key, subset=m.n_key)) == k["n"], m.key
        finally:
            rep.close()


def test_target_keys_are_the_metrics_and_the_settings_file_accepts_exactly_them():
    assert client_settings.TARGET_KEYS == tuple(TARGET_UNITS)
    assert set(client_settings.RATE_TARGETS) == {k for k, u in TARGET_UNITS.items() if u == "rate"}
    for m in METRICS.values():
        assert TARGET_UNITS[m.target_key] == m.unit
    assert [key for _, _, key in CONVERSION_STEPS][0] == METRICS["interview_conversion"].target_key
    assert all(TARGET_UNITS[key] == "rate" for _, _, key in CONVERSION_STEPS)
    from dashboard import editing
    assert set(editing.TARGET_LABELS) == set(TARGET_UNITS)


def test_kpis_give_status_and_sentence_which_the_deck_and_the_kpi_cards_show(sample_db, monkeypatch, fresh_cache):
    from dashboard import widgets
    with store.connection(sample_db, read_only=True) as con:
        rep = Report(con, _filters())
        kpis = rep.kpis()
        rep.close()
        prs = Presentation(io.BytesIO(deck.build(con, _filters())))
    for k in kpis:
        assert k["status"] == target_status(k["value"], k["target"], k["lower_is_better"])
        assert k["sentence"] == kpi_sentence(k, compare=True)
    table = next(s for s in _slide(prs, "Executive summary").shapes if s.name == "KPI table").table
    rows = [[table.cell(i, j).text for j in range(6)] for i in range(1, len(table.rows))]
    assert [(r[3], r[4], r[5]) for r in rows] == [
        (target_words(k["target"], k["unit"], k["lower_is_better"]) or "—", k["status"], k["sentence"]) for k in kpis]

    at = _page(sample_db, monkeypatch, "overview")
    cards = {m.label: m for m in at.metric}
    captions = [c.value for c in at.caption]
    for k in kpis:
        card = cards[k["short"]]
        shown = change(k["value"], k["previous"], k["unit"])
        assert card.delta == (None if shown is None else change_words(shown, k["unit"], signed=True)), k["metric"]
        # The card's target line: the same target words and status as the deck's row.
        line = widgets.target_text(k["status"], k["target"], k["unit"], k["lower_is_better"])
        assert any(c.startswith(f"{line}  \nn = {k['n']}") for c in captions), (k["metric"], line)
        if k["target"] is not None:
            assert target_words(k["target"], k["unit"], k["lower_is_better"]) in line
            assert k["status"] in line


def test_the_upcoming_window_is_one_constant_for_the_engine_the_page_and_the_deck(
        sample_db, monkeypatch, fresh_cache):
    monkeypatch.setattr(definitions, "UPCOMING_DAYS", 7)
    with store.connection(sample_db, read_only=True) as con:
        rep = Report(con, _filters())
        try:
            week, data = rep.upcoming(), views.deadlines(rep)
            assert data["upcoming_days"] == 7 and len(data["upcoming"]) == len(week)
            assert week.empty or week["days_left"].max() <= 7
            monkeypatch.setattr(definitions, "UPCOMING_DAYS", 60)
            assert len(rep.upcoming()) >= len(week)
            monkeypatch.setattr(definitions, "UPCOMING_DAYS", 7)
        finally:
            rep.close()
        prs = Presentation(io.BytesIO(deck.build(con, _filters())))
    slide = _texts(_slide(prs, "Upcoming deadlines"))
    assert "in the next 7 days" in slide and "to 7 days later" in slide and "14 days" not in slide

    at = _page(sample_db, monkeypatch, "deadlines")
    assert f"Upcoming deadlines: the next 7 days ({len(week)})" in [h.value for h in at.subheader]
    assert any("to 7 days later" in c.value for c in at.caption)
    assert not any("14 days" in c.value for c in at.caption)


def test_the_data_page_and_the_internal_appendix_list_the_same_quality_checks(sample_db, monkeypatch, fresh_cache):
    with store.connection(sample_db, read_only=True) as con:
        rep = Report(con, _filters())
        q = views.data_quality(rep)
        rep.close()
        prs = Presentation(io.BytesIO(deck.build(con, _filters(), internal=True)))
    assert set(q) == {key for key, _, _ in quality.CHECKS}
    table = next(s for s in _slide(prs, "Internal appendix: data quality").shapes if s.name == "Quality table").table
    on_slide = [(table.cell(i, 0).text, int(table.cell(i, 1).text), table.cell(i, 2).text)
                for i in range(1, len(table.rows))]
    at = _page(sample_db, monkeypatch, "data")
    headings = [h.value for h in at.subheader]
    captions = [c.value for c in at.caption]
    for (key, title, meaning), (slide_title, rows, slide_text) in zip(quality.CHECKS, on_slide, strict=True):
        assert slide_title == title and rows == len(q[key])
        assert slide_text.startswith(meaning[:100])
        assert f"{title} ({len(q[key])})" in headings
        assert any(c.startswith(meaning) for c in captions), title


def test_counts_in_titles_are_singular_for_one():
    import pandas as pd
    from metrics import count_of
    assert (count_of(1, "hire"), count_of(2, "hire"), count_of(0, "client")) == ("1 hire", "2 hires", "0 clients")
    one = pd.DataFrame({"client": ["Globex UK", "Globex UK"], "metric": ["time_to_submit", "hm_feedback_days"],
                        "value": [6.0, 5.0], "target": [6.0, 4.0], "status": ["on target", "off target"]})
    assert charts.portfolio(one).layout.title.text == "1 KPI off target across 1 client"
