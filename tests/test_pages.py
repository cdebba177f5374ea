"""Every dashboard page, headless (AppTest): it renders for every sample client, shows its charts
and figures, reproduces a URL's filters, and every chart point's drill-down lists exactly the
rows behind its number. Empty states say so in a sentence."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
import shutil
from pathlib import Path

import pandas as pd
import pytest

import charts
import store
from loaders.settings import parse_settings, save_client
from metrics import METRICS, Filters, Report, requisitions, target_status
from conftest import open_page

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ("Acme Corp", "Globex UK", "Northwind Health")
AS_OF = "2026-11-20"
# page file -> (title, the fewest plotly charts it shows for a sample client)
PAGES = {
    "overview": ("Overview", 4),
    "time_to_submit": ("Time to submit", 4),
    "conversion": ("Interview conversion", 6),
    "deadlines": ("Deadline adherence", 5),
    "time_to_fill": ("Time to fill", 4),
    "hm_responsiveness": ("Hiring-manager responsiveness", 2),
    "requisition": ("Requisition detail", 1),
    "portfolio": ("Portfolio", 1),
    "data": ("Data", 0),
    "glossary": ("Glossary", 0),
    "upload": ("Upload", 0),
    "schedules": ("Schedules", 0),
}
REQUISITION = {"Acme Corp": "1150", "Globex UK": "GX-1150", "Northwind Health": "NW-1150"}





def _report(db, filters: Filters, fn):
    with store.connection(db, read_only=True) as con:
        rep = Report(con, filters)
        try:
            return fn(rep)
        finally:
            rep.close()


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_for_every_sample_client_with_its_charts(sample_db, monkeypatch, page, client):
    at = open_page(sample_db, monkeypatch, page, client=client, as_of=AS_OF, req=REQUISITION[client])
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    title, charts_expected = PAGES[page]
    assert at.title[0].value == title
    assert len(at.get("plotly_chart")) >= charts_expected
    # Every chart with a metric carries a footnote naming its filters, n and data as of.
    footnotes = [c.value for c in at.caption if "Filters: " in c.value and "Data as of" in c.value]
    if page not in ("requisition", "portfolio", "data", "glossary"):
        assert len(footnotes) >= charts_expected


def test_a_url_with_filters_reproduces_them(sample_db, monkeypatch):
    with store.connection(sample_db, read_only=True) as con:
        dept, recruiter = con.execute("SELECT department, recruiter FROM requisitions WHERE client = 'Globex UK' "
                                      "ORDER BY requisition_id LIMIT 1").fetchall()[0]
    at = open_page(sample_db, monkeypatch, "time_to_submit", client="globex uk", period="Custom",
                   **{"from": "2026-02-01"}, to="2026-07-31", as_of="2026-09-01", department=dept,
                   recruiter=recruiter, grain="week", compare="0")
    assert not at.exception
    s = at.session_state
    assert (s["client"], s["preset"], s["period_dates"], s["as_of"]) == (
        "Globex UK", "Custom", (dt.date(2026, 2, 1), dt.date(2026, 7, 31)), dt.date(2026, 9, 1))
    assert (s["departments"], s["recruiters"], s["grain"], s["compare"]) == ([dept], [recruiter], "Week", "none")
    # ...and the numbers are those of these filters.
    f = Filters("Globex UK", departments=(dept,), recruiters=(recruiter,), date_from=dt.date(2026, 2, 1),
                date_to=dt.date(2026, 7, 31), as_of=dt.date(2026, 9, 1))
    n = _report(sample_db, f, lambda rep: rep.totals("time_to_submit")["n"])
    assert any(f"n = {n} requisitions" in c.value and dept in c.value for c in at.caption)


def test_kpi_cards_hide_the_previous_period_when_comparison_is_off(sample_db, monkeypatch):
    on = open_page(sample_db, monkeypatch, "overview", client="Acme Corp", as_of=AS_OF)
    off = open_page(sample_db, monkeypatch, "overview", client="Acme Corp", as_of=AS_OF, compare="0")
    assert any(m.delta for m in on.metric)
    assert not any(m.delta for m in off.metric)
    assert [m.value for m in on.metric] == [m.value for m in off.metric]


def _figures(rep: Report, labels: dict, targets: dict) -> list:
    """Every drillable figure the pages draw, built from the same report as the pages do."""
    tts, conv, dl = (rep.totals(k) for k in ("time_to_submit", "interview_conversion", "deadline_adherence"))
    hm = rep.totals("hm_feedback_days")
    figs = [
        charts.duration_trend("time_to_submit", rep.aggregate("time_to_submit", grain="week"), 3, tts, "week"),
        charts.distribution("time_to_submit", rep.rows("time_to_submit"), 3, tts),
        charts.conversion_funnel(conv, labels),
        charts.conversion_trend(rep.aggregate("interview_conversion", grain="month"), conv),
        charts.in_process(conv, labels),
        charts.adherence_by_month(rep.aggregate("deadline_adherence", grain="month"), 0.9, dl),
        charts.misses_by_reason(rep.aggregate("deadline_adherence", by="reason"), dl),
        charts.we_scorecard(rep.aggregate("time_to_submit", grain="month"),
                            rep.aggregate("hm_feedback_days", grain="month"), tts, hm, targets),
    ]
    for metric in METRICS:
        for by in ("department", "recruiter", "hiring_manager"):
            figs.append(charts.by_dimension(rep.aggregate(metric, by=by), metric, by, None))
    figs.append(charts.by_dimension(rep.aggregate("interview_conversion", by="source"), "interview_conversion",
                                    "source", None))
    return figs


@pytest.mark.parametrize("client", CLIENTS)
def test_drill_down_rows_count_equals_the_number_clicked_on_every_chart_point(sample_db, client):
    f = Filters(client, date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 10, 31), as_of=dt.date(2026, 11, 20))

    def check(rep):
        points = 0
        for fig in _figures(rep, {}, {}):
            for curve, trace in enumerate(fig.data):
                n_points = len(trace.x if trace.x is not None else trace.y)
                for index in range(n_points):
                    spec = charts.drill_spec(fig, curve, index)
                    if spec is None:
                        continue
                    args = {k: v for k, v in spec.items() if k not in ("metric", "count", "label") and v is not None}
                    rows = rep.rows(spec["metric"], **args)
                    assert len(rows) == spec["count"], (fig.layout.title.text, trace.name, spec)
                    points += 1
        return points
    assert _report(sample_db, f, check) > 100


def test_portfolio_shows_every_clients_kpis_against_its_own_target(sample_db, monkeypatch):
    at = open_page(sample_db, monkeypatch, "portfolio", client="Acme Corp", as_of=AS_OF, period="Year to date")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Client"]) == list(CLIENTS)
    for client in CLIENTS:
        f = Filters(client, date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 11, 20), as_of=dt.date(2026, 11, 20))
        kpis = {k["metric"]: k for k in _report(sample_db, f, lambda rep: rep.kpis())}
        row = table[table["Client"] == client].iloc[0]
        assert row["Time to submit"] == pytest.approx(kpis["time_to_submit"]["value"])
        assert row["Submit → interview"] == pytest.approx(100 * kpis["interview_conversion"]["value"])
        # The KPIs off or near their target are named in words.
        for key, k in kpis.items():
            status = k["status"]
            named = METRICS[key].short in row["Needs attention"]
            assert named == (status in ("off target", "near target")), (client, key, status)


def test_requisition_detail_tells_one_requisitions_story(sample_db, monkeypatch):
    at = open_page(sample_db, monkeypatch, "requisition", client="Acme Corp", as_of=AS_OF, req="1150")
    assert not at.exception
    f = Filters("Acme Corp", as_of=dt.date(2026, 11, 20))
    story = _report(sample_db, f, lambda rep: rep.requisition("1150"))
    req = story["requisition"]
    cards = {m.label: m.value for m in at.metric}
    assert cards["Time to submit"] == f"{req['tts_days']:g} d"
    assert cards["SLA: 2 in 5 business days"] == story["sla"]["status"].iloc[0].capitalize()
    headings = [s.value for s in at.subheader]
    assert f"Applications ({len(story['applications'])})" in headings
    assert f"Stage events ({len(story['events'])})" in headings
    # Stage events are shown in the client's own words.
    assert "Client Submission" in set(at.dataframe[1].value["raw_stage"])


def _harvest_folder(folder: Path) -> Path:
    """A Greenhouse Harvest export: jobs 1 (Engineer) and 3 (Designer), opened 2026-03-01, one application
    each, and the activity feed of job 1's candidate only: job 3's application has only the snapshot's
    rejection, its submittals are unknown."""
    def job(jid, name):
        return {"id": jid, "name": name, "status": "open", "opened_at": "2026-03-01T12:00:00Z", "closed_at": None,
                "updated_at": "2026-05-01T12:00:00Z", "departments": [{"name": "Eng"}], "openings": []}

    def app(aid, cand, jid, name, status, rejected_at=None):
        return {"id": aid, "candidate_id": cand, "prospect": False, "applied_at": "2026-03-02T12:00:00Z",
                "rejected_at": rejected_at, "last_activity_at": None, "status": status,
                "jobs": [{"id": jid, "name": name}], "source": {"public_name": "Referral"}}
    files = {"jobs.json": [job(1, "Engineer"), job(3, "Designer")],
             "applications.json": [app(101, 1001, 1, "Engineer", "active"),
                                   app(301, 3001, 3, "Designer", "rejected", "2026-03-20T12:00:00Z")],
             "activity_feed_1001.json": {"activities": [
                 {"id": 1, "created_at": "2026-03-05T12:00:00Z",
                  "body": "Jane Roe was moved into Hiring Manager Review for Engineer on 03/05/2026 by A User"}]}}
    folder.mkdir(parents=True)
    for name, obj in files.items():
        (folder / name).write_text(json.dumps(obj), encoding="utf-8")
    return folder


def test_requisition_detail_says_the_submittals_of_a_requisition_known_only_from_a_snapshot_are_unknown(
        tmp_path, monkeypatch):
    # Its SLA card said "Not started", its time to submit "first submittal —" and its outcome "0 submittals":
    # as if nobody had been submitted, where nothing says whether or when anyone was.
    from loaders.ingest import ingest
    db = tmp_path / "harvest.duckdb"
    with store.connection(db) as con:
        save_client(con, parse_settings('name = "Acme"\n[stages]\n"Hiring Manager Review" = "submitted"\n'))
        reports = ingest(con, [_harvest_folder(tmp_path / "export")], client="Acme")
    assert not [r.error for r in reports if r.error] and not sum(r.rows_rejected for r in reports)
    params = {"client": "Acme", "as_of": "2026-06-30", "period": "All time"}
    at = open_page(db, monkeypatch, "requisition", **params, req="3")
    assert not at.exception, [e.value for e in at.exception]
    cards = {m.label: m.value for m in at.metric}
    assert cards["SLA: 1 in 10 calendar days"] == cards["Time to submit"] == "—", cards
    captions = [c.value for c in at.caption]
    unknown = ("Not available: its submittals are unknown (no stage history loaded for its applications, only their "
               "outcomes)")
    assert f"{unknown}; it has no SLA deadline" in captions, captions
    assert f"{unknown}; start 01 Mar 2026" in captions, captions
    assert not [c for c in captions if "submittal —" in c or "0 submittals" in c or "Not started" in c], captions
    assert "SLA due" not in _marks(at)
    # The requisition with a history keeps its numbers.
    at = open_page(db, monkeypatch, "requisition", **params, req="1")
    cards = {m.label: m.value for m in at.metric}
    assert (cards["SLA: 1 in 10 calendar days"], cards["Time to submit"]) == ("Met", "4 d"), cards
    assert "SLA due" in _marks(at)


def _marks(at) -> list[str]:
    """The dates marked on the requisition's timeline (start, SLA due)."""
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return [a["text"] for a in spec["layout"].get("annotations", [])]


def test_an_unknown_requisition_in_the_url_is_named_not_an_exception(sample_db, monkeypatch):
    at = open_page(sample_db, monkeypatch, "requisition", client="Acme Corp", as_of=AS_OF, req="NOPE-1")
    assert not at.exception
    assert any("NOPE-1" in w.value for w in at.warning)


@pytest.fixture(scope="module")
def empty_client_db(tmp_path_factory, sample_db):
    path = tmp_path_factory.mktemp("empty") / "with_empty_client.duckdb"
    shutil.copy(sample_db, path)
    with store.connection(path) as con:
        save_client(con, parse_settings('name = "Initech"\n'))
    return path


@pytest.mark.parametrize("page", PAGES)
def test_a_client_with_no_data_gets_sentences_not_exceptions(empty_client_db, monkeypatch, page):
    at = open_page(empty_client_db, monkeypatch, page, client="Initech", as_of=AS_OF)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == PAGES[page][0]


@pytest.mark.parametrize("page", [p for p in PAGES if p not in ("data", "glossary")])
def test_a_filter_that_matches_nothing_gets_sentences_not_exceptions(sample_db, monkeypatch, page):
    at = open_page(sample_db, monkeypatch, page, client="Acme Corp", period="Custom", **{"from": "2010-01-01"},
                   to="2010-03-31", as_of="2010-03-31")
    assert not at.exception, [e.value for e in at.exception]
    # A chart with nothing to draw says so in a sentence instead of showing an empty axis.
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        has_points = any(len(t.get("x") or t.get("y") or []) for t in spec["data"])
        sentences = [a["text"] for a in spec["layout"].get("annotations", []) if "target" not in a["text"]]
        assert has_points or sentences, spec["layout"]["title"]


def test_a_requisitions_story_read_alone_equals_its_story_within_the_whole_client(sample_db):
    # Requisition detail builds a report of the one requisition for speed; it must tell the same story.
    f = Filters("Globex UK", as_of=dt.date(2026, 11, 20))
    with store.connection(sample_db, read_only=True) as con:
        ids = list(requisitions(con, f)["requisition_id"])
        whole = Report(con, f)
        for rid in ids[::7]:
            alone = Report(con, replace(f, requisition=rid))
            a, b = whole.requisition(rid), alone.requisition(rid)
            alone.close()
            assert str(a["requisition"]) == str(b["requisition"])
            for part in ("sla", "commitments", "applications", "events"):
                pd.testing.assert_frame_equal(a[part].reset_index(drop=True), b[part].reset_index(drop=True))
        whole.close()


def test_a_kpi_without_a_target_is_never_shown_off_target():
    # A portfolio table holds NaN where one client has no target that another has.
    assert target_status(5.0, float("nan"), True) == "no target"
    assert target_status(5.0, None, True) == "no target"
    assert target_status(None, 3.0, True) == "no data"
    assert target_status(3.3, 3.0, True) == "near target"
    assert target_status(0.40, 0.45, False) == "off target"


def test_a_cleared_requisition_leaves_the_url_and_a_client_switch_leaves_it_behind(sample_db, monkeypatch):
    at = open_page(sample_db, monkeypatch, "requisition", client="Acme Corp", as_of=AS_OF, req="1150")
    assert "req" in at.query_params
    at.selectbox(key="req").set_value(None).run()
    assert not at.exception
    assert "req" not in at.query_params and not at.metric   # no story drawn
    at.selectbox(key="req").set_value("1150").run()
    assert at.metric
    at.selectbox(key="client").set_value("Globex UK").run()
    assert not at.exception and not at.warning
    assert "req" not in at.query_params and at.selectbox(key="req").value is None


def test_requisition_links_in_a_table_carry_every_filter_of_the_view(sample_db, monkeypatch):
    from urllib.parse import parse_qs, urlparse
    view = {"client": "Globex UK", "period": "Custom", "from": "2026-07-01", "to": "2026-09-30", "compare": "last_year"}
    first = open_page(sample_db, monkeypatch, "overview", **view)
    awaiting = first.dataframe[-1].value
    department = awaiting["department"].iloc[0]
    at = open_page(sample_db, monkeypatch, "overview", **view, department=department)
    links = at.dataframe[-1].value["requisition_id"]
    assert len(links) >= 1
    for link in links:
        url = urlparse(link)
        assert url.path == "requisition"
        params = {k: v for k, v in parse_qs(url.query).items()}
        assert params.pop("req")[0].startswith("GX-")
        assert params == {"client": ["Globex UK"], "period": ["Custom"], "from": ["2026-07-01"], "to": ["2026-09-30"],
                          "department": [department], "compare": ["last_year"]}


def test_a_big_account_s_table_shows_its_first_rows_and_says_the_downloads_hold_them_all(sample_db, monkeypatch):
    from dashboard import widgets
    monkeypatch.setattr(widgets, "SHOWN_ROWS", 3)
    at = open_page(sample_db, monkeypatch, "time_to_fill", client="Acme Corp", as_of=AS_OF, period="All time")
    assert not at.exception
    table = at.dataframe[-1].value
    heading = next(h.value for h in at.subheader if h.value.startswith("Requisitions filled in the period"))
    total = int(heading.rsplit("(", 1)[1].rstrip(")"))
    assert total > 3 and len(table) == 3
    assert any(c.value == f"The first 3 of {total:,} rows, in this order; the CSV and XLSX below hold them all."
               for c in at.caption)


def test_a_big_account_s_requisitions_are_found_by_a_word_before_they_are_picked(sample_db, monkeypatch):
    import dashboard
    monkeypatch.setattr(dashboard, "PICKER_ROWS", 5)
    at = open_page(sample_db, monkeypatch, "requisition", client="Acme Corp", as_of=AS_OF, req="1150")
    assert not at.exception
    # The requisition in the URL is listed beside the newest five, and its story is drawn.
    assert len(at.selectbox(key="req").options) == 6 and at.selectbox(key="req").value == "1150" and at.metric
    at.text_input(key="req_find").set_value("1150").run()
    options = at.selectbox(key="req").options
    assert options and all("1150" in o for o in options)
