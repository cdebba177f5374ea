"""The Time to fill page (the deck's "Time to fill by department", on screen first), every deck chart
drawn by a page with the same builder, and charts that read well with few rows: whole-number count
axes, slim bars, and target labels away from the bars and their value labels."""
from __future__ import annotations

import ast
import base64
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import charts
import store
from browser_support import settled
from exports import deck
from metrics import METRICS, Filters, summary

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 11, 20)
DIMENSIONS = {"department", "recruiter", "hiring_manager", "source", "kind", "side", "reason"}


def _app_pages() -> list[str]:
    """The page files of app.py's PAGES table (read, not imported: importing app.py runs the app)."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    table = next(node.value for node in tree.body if isinstance(node, ast.Assign)
                 and any(getattr(t, "id", None) == "PAGES" for t in node.targets))
    return [page[0] for pages in ast.literal_eval(table).values() for page in pages]


def _values(array) -> list:
    """A plotly JSON array's values (plotly writes numbers as base64 typed arrays)."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"])).tolist()
    return list(array)


def _chart_specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


# -- the page ----------------------------------------------------------------------------------------

def test_time_to_fill_page_opens_from_the_navigation_and_counts_what_the_summary_counts(sample_db, monkeypatch):
    monkeypatch.setenv("RECRUITING_DB", str(sample_db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for key, value in {"client": "Acme Corp", "period": "All time", "as_of": AS_OF.isoformat()}.items():
        at.query_params[key] = value
    at.run()
    assert at.title[0].value == "Overview"
    at.switch_page("pages/time_to_fill.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Time to fill"

    with store.connection(sample_db, read_only=True) as con:
        expected = summary(con, Filters("Acme Corp", as_of=AS_OF))["time_to_fill"]
    assert expected["n"] > 50
    titles = [spec["layout"]["title"]["text"] for spec in _chart_specs(at)]
    assert titles[0].startswith("Time to fill by department")      # the deck's slide, first
    assert any(f"within {expected['median']:.1f} days" in t and f"n = {expected['n']}" in t for t in titles), titles
    assert any(t.startswith(f"Median time to fill {expected['median']:.1f} days") for t in titles), titles
    footnotes = [c.value for c in at.caption if "Filters: Acme Corp; period start to as of." in c.value]
    assert len(footnotes) == 4 and all(f"n = {expected['n']} requisitions filled" in c for c in footnotes)
    # The distribution's bars add up to n: a click on each lists its requisitions.
    dist = next(s for s in _chart_specs(at) if "within" in s["layout"]["title"]["text"])
    bars = next(t for t in dist["data"] if t["type"] == "bar")
    assert sum(_values(bars["y"])) == expected["n"] and bars["meta"]["drill"]["metric"] == "time_to_fill"
    assert any(s.value == f"Requisitions filled in the period ({expected['n']})" for s in at.subheader)


# -- every deck chart on a page ----------------------------------------------------------------------

def _recording(monkeypatch) -> set:
    """Record every chart builder call as (builder, metric, dimension), patching `charts` itself, which
    the pages and the deck call through."""
    calls = set()

    def record(name, args):
        metric = next((a for a in args if isinstance(a, str) and a in METRICS), None)
        by = next((a for a in args if isinstance(a, str) and a in DIMENSIONS), None)
        calls.add((name, metric, by))

    for name, builder in list(vars(charts).items()):
        if not (callable(builder) and hasattr(builder, "__wrapped__") and not name.startswith("_")):
            continue

        def wrapped(*args, _b=builder, **kwargs):
            record(_b.__name__, args)
            return _b(*args, **kwargs)
        monkeypatch.setattr(charts, name, wrapped)
    return calls


def test_every_chart_the_deck_draws_is_drawn_by_a_page_with_the_same_builder(sample_db_copy, monkeypatch):
    calls = _recording(monkeypatch)
    with store.connection(sample_db_copy, read_only=True) as con:
        deck.build(con, Filters("Acme Corp", as_of=AS_OF))
    in_deck = set(calls)
    assert ("by_dimension", "time_to_fill", "department") in in_deck and len(in_deck) >= 6
    calls.clear()
    for path in _app_pages():
        at = AppTest.from_file(str(ROOT / path), default_timeout=90)
        for key, value in {"client": "Acme Corp", "period": "All time", "as_of": AS_OF.isoformat(),
                           "req": "1150"}.items():
            at.query_params[key] = value
        at.run()
        assert not at.exception, (path, [e.value for e in at.exception])
    assert in_deck <= calls, sorted(in_deck - calls)


# -- charts that read well -----------------------------------------------------------------------------

def _three_requisitions() -> tuple[pd.DataFrame, dict]:
    rows = pd.DataFrame({"requisition_id": ["R1", "R2", "R3"], "tts_days": [2, 4, 5]})
    return rows, {"n": 3, "median": 4.0, "p90": 4.8}


def test_a_three_requisition_histogram_has_whole_number_counts_and_slim_bars():
    rows, totals = _three_requisitions()
    fig = charts.distribution("time_to_submit", rows, 3, totals)
    bars = next(t for t in fig.data if t.type == "bar")
    count_axis = fig.layout[bars.yaxis.replace("y", "yaxis")]
    assert count_axis.dtick == 1 and count_axis.tick0 == 0 and count_axis.tickformat == ",d"
    assert count_axis.range[0] == 0 and count_axis.range[1] >= 2     # not 0 to 1 in halves
    # Three slim bars on an axis at least ten days wide, one tick a day.
    day_axis = fig.layout[bars.xaxis.replace("x", "xaxis")]
    assert day_axis.range[1] - day_axis.range[0] >= 10 and day_axis.dtick == 1
    assert bars.width == 0.8 and list(bars.x) == [2, 4, 5]


@pytest.mark.parametrize("largest, step", [(1, 1), (3, 1), (7, 2), (13, 5), (103, 20), (250, 50)])
def test_count_axes_step_in_round_whole_numbers(largest, step):
    ticks = charts._count_ticks(largest)
    assert ticks["dtick"] == step and isinstance(ticks["dtick"], int) and largest / step <= 6


def test_target_labels_sit_outside_the_plot_clear_of_bars_and_value_labels():
    rows, totals = _three_requisitions()
    table = pd.DataFrame({"department": ["Sales", "Finance", "HR"], "n": [4, 5, 6], "median": [28.0, 23.0, 12.0]})
    by = charts.by_dimension(table, "time_to_fill", "department", 24.5)
    label, = [a for a in by.layout.annotations if a.text.startswith("target")]
    assert (label.yref, label.y, label.yanchor) == ("paper", 1, "bottom")     # above the plotting area
    bar = by.data[0]
    # Value labels past the bar's end, except one whose bar stops just short of the target line: it
    # would reach across the line, so it sits inside its bar.
    assert dict(zip(bar.y, bar.textposition)) == {"Sales": "outside", "Finance": "inside", "HR": "outside"}
    assert by.layout.xaxis.range[1] > 28.0
    trend = pd.DataFrame({"period": pd.to_datetime(["2026-05-01", "2026-06-01"]), "n": [2, 1],
                          "median": [5.0, 3.0], "p90": [5.0, 3.8]})
    for fig in (charts.duration_trend("time_to_submit", trend, 3, totals),
                charts.conversion_trend(pd.DataFrame({"period": pd.to_datetime(["2026-05-01"]), "submitted": [4],
                                                      "submit_to_interview": [0.5], "interview_to_offer": [0.5],
                                                      "offer_to_hire": [1.0]}), {"submit_to_interview": 0.5},
                                        "month", 0.45)):
        label, = [a for a in fig.layout.annotations if a.text.startswith("target")]
        assert (label.xref, label.x, label.xanchor) == ("paper", 1, "left")   # in the right margin
        assert fig.layout.margin.r >= 8 * len(label.text.split("<br>")[0])
    dist = charts.distribution("time_to_submit", rows, 3, totals)
    label, = [a for a in dist.layout.annotations if a.text.startswith("target")]
    assert (label.yref, label.y, label.yanchor) == ("paper", 1, "bottom")


def test_two_close_targets_label_their_lines_apart():
    trend = pd.DataFrame({"period": pd.to_datetime(["2026-05-01"]), "n": [3], "median": [3.0]})
    fig = charts.we_scorecard(trend, trend, {"median": 3.0}, {"median": 3.0},
                              {"time_to_submit_median": 3, "hm_feedback_median": 3})
    labels = {a.text: a.yanchor for a in fig.layout.annotations}
    assert labels == {"our target 3 d": "bottom", "HM target 3 d": "top"}


def test_breakdowns_name_codes_and_placeholder_groups_in_peoples_words():
    table = pd.DataFrame({"kind": ["sla", "commitment"], "due": [10, 4], "rate": [0.5, 0.75]})
    fig = charts.by_dimension(table, "deadline_adherence", "kind", 0.9)
    assert list(fig.layout.yaxis.ticktext) == ["SLA deadlines", "Commitments"]
    assert "(SLA deadlines)" in fig.layout.title.text and "(sla)" not in fig.layout.title.text
    assert [c[1] for c in fig.data[0].customdata] == ["SLA deadlines", "Commitments"]    # the hover's words
    # The group's own value still picks its rows.
    assert charts.drill_spec(fig, 0, 0)["value"] == "sla"
    assert charts.drill_spec(fig, 0, 0)["label"] == "deadlines due, kind SLA deadlines"
    unknown = pd.DataFrame({"recruiter": ["(unknown requisition)", "(not set)", "Ann"], "due": [1, 2, 3],
                            "rate": [0.2, 0.4, 0.9]})
    fig = charts.by_dimension(unknown, "deadline_adherence", "recruiter", None)
    assert list(fig.layout.yaxis.ticktext) == ["Unknown requisition", "Not set", "Ann"]
    assert "((" not in fig.layout.title.text and "None" not in fig.to_json()


# -- in a browser ----------------------------------------------------------------------------------------

@pytest.mark.browser
def test_time_to_fill_in_the_sidebar_opens_its_chart(server, browser):
    with store.connection(server.db, read_only=True) as con:
        n = summary(con, Filters("Acme Corp", as_of=AS_OF))["time_to_fill"]["n"]
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    try:
        page.goto(f"{server.url}/?client=Acme+Corp&period=All+time&as_of={AS_OF}")
        page.wait_for_function("() => [...document.querySelectorAll('h1')].some(h => h.innerText.trim() === 'Overview')",
                               timeout=60000)
        settled(page)
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Time to fill", exact=True).click()
        page.wait_for_function("() => [...document.querySelectorAll('h1')].some(h => h.innerText.trim() === "
                               "'Time to fill')", timeout=60000)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60000)
        settled(page)
        titles = " | ".join(page.locator(".js-plotly-plot .gtitle").all_text_contents())
        assert "Time to fill by department" in titles
        assert page.get_by_text(f"n = {n} requisitions filled").count() >= 1
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        ctx.close()
