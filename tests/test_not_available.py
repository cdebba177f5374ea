"""What was not loaded is said, not counted: a client whose data holds no stage history (a snapshot
such as Greenhouse Harvest v1 jobs and applications) gets "not available" for every metric that
needs one, on every page, in the command line's summary and in the deck; and a requisition whose
status says it is closed, with no close date, never awaits a first submittal."""
from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import pytest
from pptx import Presentation

from conftest import D, open_page, run_summary
from exports import deck
from metrics import Filters
from metrics import __main__ as cli
from metrics import views
from metrics.engine import NOT_AVAILABLE, Report, has_stage_history

TOML = 'name = "Acme"\ntimezone = "America/Chicago"\n'
AS_OF = "2026-07-01"
# A snapshot: requisitions and applications with their status today, and the one stage event a
# loader derives from the hired application (marked as such in its extra columns).
SNAPSHOT = {
    "requisitions": """
        client,requisition_id,title,department,opened_at,closed_at,status
        Acme,R1,Engineer,Eng,2026-06-01,,open
        Acme,R2,Analyst,Eng,2026-06-01,2026-06-25,closed
        Acme,R3,Designer,Design,2026-06-05,,open
    """,
    "applications": """
        client,application_id,requisition_id,candidate_id,applied_at,status
        Acme,A1,R1,C1,2026-06-02,hired
        Acme,A2,R3,C2,2026-06-06,active
    """,
    "stage_events": """
        client,application_id,stage,entered_at,snapshot
        Acme,A1,hired,2026-06-20,true
    """,
}
NEED_HISTORY = ("time_to_submit", "interview_conversion", "deadline_adherence", "hm_feedback_days")
NA_TEXT = "not available: no stage history loaded for this client"


@pytest.fixture
def snapshot_db(make_db):
    con = make_db(TOML, SNAPSHOT)
    return con


def test_a_snapshot_event_is_stored_as_such_and_is_no_stage_history(snapshot_db):
    extra = snapshot_db.execute("SELECT extra FROM stage_events").fetchone()[0]
    assert json.loads(extra) == {"snapshot": "true"}
    assert not has_stage_history(snapshot_db, "Acme")
    assert NOT_AVAILABLE == NA_TEXT


def test_a_snapshot_only_client_says_not_available_instead_of_a_number(snapshot_db):
    s = run_summary(snapshot_db, as_of=AS_OF)
    assert s["stage_history"] is False
    for key in NEED_HISTORY:
        assert s[key]["not_available"] == NA_TEXT, key
        numbers = {k: v for k, v in s[key].items() if k not in ("not_available", "note")}
        assert all(v is None or v == {"rpo": None, "client": None} for v in numbers.values()), (key, numbers)
    # Before: 0% adherence, every requisition "missed by RPO"; 19 days to submit from a hire alone.
    assert s["deadline_adherence"]["rate"] is None and s["deadline_adherence"]["missed_by_side"]["rpo"] is None
    assert s["time_to_submit"]["median"] is None and s["time_to_submit"]["awaiting_first_submittal"] is None
    # A hire can come from a snapshot: time to fill stays computed (R1 start 06-01 -> hire 06-20).
    assert s["time_to_fill"]["not_available"] is None and (s["time_to_fill"]["n"], s["time_to_fill"]["median"]) == (1, 19)


def test_kpis_say_not_available_with_its_reason(snapshot_db):
    rep = Report(snapshot_db, Filters("Acme", as_of=D(AS_OF), date_from=D("2026-06-01"), date_to=D("2026-06-30")))
    kpis = {k["metric"]: k for k in rep.kpis()}
    rep.close()
    for key in NEED_HISTORY:
        k = kpis[key]
        assert (k["value"], k["n"], k["previous"], k["status"]) == (None, None, None, "not available"), key
        assert NA_TEXT in k["sentence"], k["sentence"]
    assert kpis["time_to_fill"]["value"] == 19 and kpis["time_to_fill"]["status"] != "not available"


def test_a_client_with_a_real_history_keeps_its_numbers_and_a_filter_of_nothing_its_usual_words(make_db):
    con = make_db(TOML, {**SNAPSHOT, "stage_events": """
        client,application_id,stage,entered_at
        Acme,A1,submitted,2026-06-04
        Acme,A1,hired,2026-06-20
    """})
    assert has_stage_history(con, "Acme")
    s = run_summary(con, as_of=AS_OF)
    assert s["stage_history"] is True and s["time_to_submit"]["median"] == 3
    assert all(s[key]["not_available"] is None for key in NEED_HISTORY)
    empty = run_summary(con, as_of=AS_OF, departments="Nowhere")
    assert empty["time_to_submit"]["n"] == 0 and empty["time_to_submit"]["not_available"] is None
    rep = Report(con, Filters("Acme", departments=("Nowhere",), as_of=D(AS_OF)))
    sentence = {k["metric"]: k["sentence"] for k in rep.kpis()}["time_to_submit"]
    rep.close()
    assert "no data in this period" in sentence and "not available" not in sentence


def test_without_a_history_commitments_still_count_and_sla_deadlines_are_said_missing(make_db):
    con = make_db(TOML, {**SNAPSHOT, "commitments": """
        client,commitment_id,requisition_id,description,due_date,delivered_on,side
        Acme,K1,R1,3 profiles,2026-06-10,2026-06-09,rpo
        Acme,K2,R3,2 profiles,2026-06-12,,client
    """})
    d = run_summary(con, as_of=AS_OF)["deadline_adherence"]
    assert d["not_available"] is None
    assert (d["due"], d["met"], d["missed"], d["rate"]) == (2, 1, 1, 0.5)
    assert d["missed_by_side"] == {"rpo": 0, "client": 1}
    assert "SLA deadlines" in d["note"] and NA_TEXT in d["note"]


def test_the_command_line_says_not_available(snapshot_db, make_db, tmp_path):
    path = snapshot_db.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    snapshot_db.close()
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["summary", "--client", "Acme", "--as-of", AS_OF, "--db", path]) == 0
    text = out.getvalue()
    for title in ("Time to submit", "Interview conversion", "Deadline adherence", "HM feedback"):
        line = next(line for line in text.splitlines() if line.startswith(title))
        assert NA_TEXT in line, line
    assert "0%" not in text and "missed by RPO" not in text
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["summary", "--client", "Acme", "--as-of", AS_OF, "--db", path, "--json"]) == 0
    assert json.loads(out.getvalue())["time_to_submit"]["not_available"] == NA_TEXT


def _slide_texts(prs) -> dict:
    out = {}
    for s in prs.slides:
        texts = []
        for sh in s.shapes:
            if sh.has_text_frame:
                texts.append(sh.text_frame.text)
            if sh.has_table:
                texts += [c.text for row in sh.table.rows for c in row.cells]
        out[s.shapes.title.text] = "\n".join(texts)
    return out


def test_the_deck_says_not_available_on_every_slide_of_a_metric_that_needs_a_history(snapshot_db):
    prs = Presentation(io.BytesIO(deck.build(snapshot_db, Filters("Acme", as_of=D(AS_OF)))))
    texts = _slide_texts(prs)
    for title in ("Time to submit", "Interview conversion", "Deadline adherence", "Hiring-manager feedback time",
                  "We and the client: both sides of the hiring speed", "Deadlines: misses by side and reason"):
        assert NA_TEXT in texts[title].lower() or "not available" in texts[title].lower(), (title, texts[title])
        assert "0%" not in texts[title] and "missed" not in texts[title].split("Not available")[0].lower(), title
    table = next(sh.table for s in prs.slides if s.shapes.title.text == "Executive summary"
                 for sh in s.shapes if sh.has_table)
    rows = {row.cells[0].text: [c.text for c in row.cells] for row in table.rows}
    for title in ("Time to submit", "Interview conversion", "Deadline adherence", "Hiring-manager feedback time"):
        assert rows[title][1] == "not available" and NA_TEXT in rows[title][-1], rows[title]
    assert rows["Time to fill"][1] == "19.0 d"
    assert "snapshot" not in "\n".join(texts.values()).lower()   # the client's deck keeps our file words out
    names = [sh.name for s in prs.slides for sh in s.shapes]
    assert "Chart: time_to_fill" in names and "Chart: time_to_submit" not in names


@pytest.mark.parametrize("page,title", [("overview", "Overview"), ("time_to_submit", "Time to submit"),
                                        ("conversion", "Interview conversion"), ("deadlines", "Deadline adherence"),
                                        ("hm_responsiveness", "Hiring-manager responsiveness"),
                                        ("requisition", "Requisition detail"), ("portfolio", "Portfolio")])
def test_every_page_says_not_available_for_a_snapshot_only_client(snapshot_db, monkeypatch, page, title):
    path = snapshot_db.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    snapshot_db.close()
    params = {"client": "Acme", "as_of": AS_OF, "period": "All time"}
    if page == "requisition":
        params["req"] = "R1"
    at = open_page(path, monkeypatch, page, **params)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == title
    shown = " ".join([m.value for m in at.markdown] + [m.value for m in at.caption]
                     + [e.value for e in at.info] + [e.value for e in at.warning]
                     + [str(m.value) for m in at.metric] + [m.label for m in at.metric])
    assert "not available" in shown.lower(), shown
    assert "no stage history loaded for this client" in shown, shown
    values = [str(m.value) for m in at.metric if m.label in ("Deadline adherence", "Adherence", "Submit → interview")]
    assert "0%" not in values, values


# -- a closed requisition with no close date -------------------------------------------------------------

CLOSED = {
    "requisitions": """
        client,requisition_id,title,department,opened_at,closed_at,status
        Acme,R1,Open one,Eng,2026-06-01,,open
        Acme,R2,Closed,Eng,2026-06-01,,Closed
        Acme,R3,Filled,Eng,2026-06-01,,filled
        Acme,R4,Cancelled,Eng,2026-06-01,, Cancelled
        Acme,R5,Archived,Eng,2026-06-01,,archived
        Acme,R6,Dated,Eng,2026-06-01,2026-06-20,closed
    """,
    "applications": """
        client,application_id,requisition_id,candidate_id,applied_at,status
        Acme,A1,R6,C1,2026-06-02,active
    """,
    "stage_events": """
        client,application_id,stage,entered_at
        Acme,A1,screened,2026-06-03
    """,
}


def test_a_closed_requisition_without_a_close_date_never_awaits_a_first_submittal(make_db):
    con = make_db(TOML, CLOSED)
    s = run_summary(con, as_of=AS_OF)
    assert s["time_to_submit"]["awaiting_first_submittal"] == 1   # R1 only; R6 closed on 06-20
    rep = Report(con, Filters("Acme", as_of=D(AS_OF)))
    try:
        assert list(rep.awaiting()["requisition_id"]) == ["R1"]
        q = views.data_quality(rep)
    finally:
        rep.close()
    assert sorted(q["closed_without_close_date"]["requisition_id"]) == ["R2", "R3", "R4", "R5"]
    from metrics.quality import CHECKS
    assert any(key == "closed_without_close_date" and "close date" in title.lower() for key, title, _ in CHECKS)


def test_the_glossary_says_which_status_words_close_a_requisition():
    from metrics import RULES
    rule = next(r for r in RULES if "close date" in r)
    assert all(word in rule for word in ("closed", "filled", "cancelled", "archived"))


def test_a_requisitions_story_without_a_history_claims_no_stage_reached(snapshot_db):
    rep = Report(snapshot_db, Filters("Acme", as_of=D(AS_OF)))
    try:
        apps = rep.requisition("R1")["applications"]
    finally:
        rep.close()
    # "Not interviewed" would be a guess: only the outcome (the snapshot's hire) is known.
    assert not {"sub_on", "interviewed", "offered", "feedback_days"} & set(apps.columns)
    assert list(apps["hired"]) == [True]
