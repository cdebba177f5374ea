"""A snapshot's outcome events (Greenhouse Harvest v1: hired at the filled opening's close, rejected at
`rejected_at`; stage_events.extra {"snapshot": "true"}) say how an application ended, never that it
was submitted, interviewed or offered, nor when: they count for hires and endings only. Where the
application's real history records the same outcome, the history's is the one counted.

Hand-built Harvest folders, UTC, as of 2026-06-30."""
from __future__ import annotations

import json
from pathlib import Path

from conftest import D, write_tables
from loaders.ingest import ingest
from metrics import CLOSED_STATUSES as METRICS_CLOSED_STATUSES
from metrics import RULES
from metrics.engine import Filters, Report

TOML = '''name = "Acme"
[stages]
"Hiring Manager Review" = "submitted"
"Face to Face" = "interviewed"
"Offer" = "offered"
'''
AS_OF = "2026-06-30"


def _write(folder: Path, files: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, obj in files.items():
        (folder / name).write_text(json.dumps(obj), encoding="utf-8")
    return folder


def _job(jid: int, name: str, status: str, closed_at=None, filled: dict | None = None) -> dict:
    """A Harvest job opened 2026-03-01; `filled`: application id -> its opening's closed_at."""
    return {"id": jid, "name": name, "status": status, "opened_at": "2026-03-01T12:00:00Z", "closed_at": closed_at,
            "updated_at": "2026-05-01T12:00:00Z", "departments": [{"name": "Eng"}],
            "openings": [{"id": jid * 10 + i, "application_id": app, "closed_at": when}
                         for i, (app, when) in enumerate((filled or {}).items())]}


def _app(aid: int, cand: int, jid: int, name: str, status: str, rejected_at=None) -> dict:
    return {"id": aid, "candidate_id": cand, "prospect": False, "applied_at": "2026-03-02T12:00:00Z",
            "rejected_at": rejected_at, "last_activity_at": None, "status": status,
            "jobs": [{"id": jid, "name": name}], "source": {"public_name": "Referral"}}


def _move(aid: int, where: str, at: str) -> dict:
    return {"id": aid, "created_at": at, "body": f"Jane Roe was moved into {where} on 01/01/2026 by A User"}


def _feed_folder(make_db) -> Path:
    # J1: 101's feed: HM review 03-05, face to face 03-10, offer 03-15; its opening closed 04-10.
    # J2: 201 hired (opening closed 04-20), no feed. J3 (open): 301 rejected 03-20, no feed.
    # J4 (open): no application at all.
    return _write(make_db.folder(), {
        "jobs.json": [_job(1, "Engineer", "closed", "2026-04-10T12:00:00Z", {101: "2026-04-10T12:00:00Z"}),
                      _job(2, "Analyst", "closed", "2026-04-20T12:00:00Z", {201: "2026-04-20T12:00:00Z"}),
                      _job(3, "Designer", "open"), _job(4, "Writer", "open")],
        "applications.json": [_app(101, 1001, 1, "Engineer", "hired"), _app(201, 2001, 2, "Analyst", "hired"),
                              _app(301, 3001, 3, "Designer", "rejected", "2026-03-20T12:00:00Z")],
        "activity_feed_1001.json": {"activities": [
            _move(1, "Offer for Engineer", "2026-03-15T12:00:00Z"),
            _move(2, "Face to Face for Engineer", "2026-03-10T12:00:00Z"),
            _move(3, "Hiring Manager Review for Engineer", "2026-03-05T12:00:00Z")]},
    })


def _report(con, **kw) -> Report:
    return Report(con, Filters("Acme", as_of=D(kw.pop("as_of", AS_OF)), **kw))


def test_a_snapshot_outcome_never_makes_a_submittal_once_the_client_has_a_history(make_db, summ):
    con = make_db(TOML)
    reports = ingest(con, [_feed_folder(make_db)], client="Acme")
    assert not [r.error for r in reports if r.error] and not sum(r.rows_rejected for r in reports)
    s = summ(con, as_of=AS_OF)
    assert s["stage_history"] is True
    # Time to submit: J1 only, days(03-01, 03-05) = 4 (before: J2's hire gave it 50 days). J4
    # awaits its first submittal; J3's only event is the snapshot's rejection: its submittals are
    # unknown, so it awaits nothing.
    assert {k: s["time_to_submit"][k] for k in ("n", "median", "awaiting_first_submittal")} == {
        "n": 1, "median": 4.0, "awaiting_first_submittal": 1}
    # Conversion: the one real submittal (101); 201 is no submittal, interview or offer.
    assert {k: s["interview_conversion"][k] for k in ("submitted", "interviewed", "offered", "hired")} == {
        "submitted": 1, "interviewed": 1, "offered": 1, "hired": 1}
    # SLA (1 within 10 days): J1 met (03-05), J4 missed (nothing); J2 and J3 have no known submittals:
    # no SLA deadline (before: J2 and J3 "missed by RPO").
    d = s["deadline_adherence"]
    assert (d["due"], d["met"], d["missed"], d["missed_by_side"]["rpo"]) == (2, 1, 1, 1)
    # The snapshot's hires still fill: J1 days(03-01, 04-10) = 40, J2 days(03-01, 04-20) = 50.
    assert (s["time_to_fill"]["n"], s["time_to_fill"]["median"]) == (2, 45.0)
    # Feedback: 101 from 03-05 to 03-10.
    assert (s["hm_feedback_days"]["n"], s["hm_feedback_days"]["median"]) == (1, 5.0)
    rep = _report(con)
    try:
        apps = rep.rows("interview_conversion")
        assert list(apps["application_id"]) == ["101"]
        assert list(rep.awaiting()["requisition_id"]) == ["4"]
        sla = rep.rows("deadline_adherence", subset="sla_due")
        assert sorted(sla["requisition_id"]) == ["1", "4"]
        story = rep.requisition("2")
        # J2's story: hired, and nothing claimed about stages before the hire.
        assert story["sla"].empty
        assert list(story["applications"]["hired"]) == [True]
        assert not {"sub_on", "interviewed", "offered", "feedback_days"} & set(story["applications"].columns)
        assert (story["requisition"]["submittals"], story["requisition"]["hires"]) == (0, 1)
    finally:
        rep.close()


def test_a_snapshot_hire_after_a_real_submittal_counts_as_the_hire(make_db, summ):
    # 101 is submitted (feed) and then hired (snapshot) with no offer move: the hire counts, and
    # the funnel stays a funnel (a hired candidate was offered).
    con = make_db(TOML)
    folder = _feed_folder(make_db)
    feed = {"activities": [_move(3, "Hiring Manager Review for Engineer", "2026-03-05T12:00:00Z")]}
    _write(folder, {"activity_feed_1001.json": feed})
    ingest(con, [folder], client="Acme")
    c = summ(con, as_of=AS_OF)["interview_conversion"]
    assert {k: c[k] for k in ("submitted", "interviewed", "offered", "hired", "in_process")} == {
        "submitted": 1, "interviewed": 1, "offered": 1, "hired": 1, "in_process": 0}


def _history_folder(make_db, history: str) -> Path:
    """J1 opened 03-01: 101 hired (its opening closed 03-25 in the snapshot), 102 rejected at
    03-20 12:00 (snapshot), 103 rejected at 03-22 10:00 (snapshot); `history`: application_history.csv."""
    folder = _write(make_db.folder(), {
        "jobs.json": [_job(1, "Engineer", "closed", "2026-04-01T12:00:00Z", {101: "2026-03-25T12:00:00Z"})],
        "applications.json": [_app(101, 1001, 1, "Engineer", "hired"),
                              _app(102, 1002, 1, "Engineer", "rejected", "2026-03-20T12:00:00Z"),
                              _app(103, 1003, 1, "Engineer", "rejected", "2026-03-22T10:00:00Z")],
        "job_stages.json": [{"id": 12, "name": "Hiring Manager Review", "job_id": 1, "interviews": []}],
    })
    write_tables(folder, {"application_history.csv": history})
    return folder


HISTORY = """
    application_id,updated_at,new_stage_id,new_status
    101,2026-03-05 12:00:00,12,active
    101,2026-04-01 12:00:00,,hired
    102,2026-03-06 12:00:00,12,active
    103,2026-03-07 12:00:00,12,active
    103,2026-03-22 10:00:00,,rejected
"""


def test_the_history_s_outcome_wins_over_the_snapshot_s_of_the_same_stage(make_db, summ):
    con = make_db(TOML)
    folder = _history_folder(make_db, HISTORY)
    reports = ingest(con, [folder], client="Acme")
    assert not [r.error for r in reports if r.error]
    # A newer export of the jobs and applications, loaded after the history: the snapshot's
    # rejection of 103 has the history's word and time, so it replaces the history's row.
    newer = {name: [dict(o, exported=2) for o in json.loads((folder / name).read_text(encoding="utf-8"))]
             for name in ("jobs.json", "applications.json")}
    reports = ingest(con, [_write(make_db.folder(), newer)], client="Acme")
    assert not [r.error for r in reports if r.error]
    assert con.execute("SELECT extra->>'snapshot' FROM stage_events WHERE application_id = '103' "
                       "AND stage = 'rejected'").fetchall() == [("true",)]
    hires = con.execute("SELECT strftime(entered_at, '%m-%d'), extra->>'snapshot' FROM stage_events "
                        "WHERE application_id = '101' AND stage = 'hired' ORDER BY entered_at").fetchall()
    assert hires == [("03-25", "true"), ("04-01", None)]   # both stored, one counted
    s = summ(con, as_of=AS_OF)
    # Time to fill: the history's hire, days(03-01, 04-01) = 31 (before: the snapshot's 03-25, 24).
    assert (s["time_to_fill"]["n"], s["time_to_fill"]["median"]) == (1, 31.0)
    c = s["interview_conversion"]
    # 102's rejection is the snapshot's alone: it still ends 102. 103's is the snapshot's row that
    # replaced the history's: still counted, once.
    assert {k: c[k] for k in ("submitted", "hired", "in_process")} == {"submitted": 3, "hired": 1, "in_process": 0}
    # Feedback: 101 03-05 -> 04-01 (27; not the snapshot's 03-25), 102 03-06 -> 03-20 (14), 103 03-07 -> 03-22 (15).
    assert (s["hm_feedback_days"]["n"], s["hm_feedback_days"]["median"]) == (3, 15.0)
    rep = _report(con)
    try:
        assert rep.requisition("1")["requisition"]["hires"] == 1
    finally:
        rep.close()
    # As of 03-28 the history has no hire yet: the snapshot's earlier date is not taken either.
    early = summ(con, as_of="2026-03-28")
    assert early["time_to_fill"]["n"] == 0 and early["interview_conversion"]["hired"] == 0


def test_closed_statuses_have_one_home_the_loaders_and_the_metrics_share(make_db):
    from loaders.template import CLOSED_STATUSES
    assert METRICS_CLOSED_STATUSES is CLOSED_STATUSES
    assert set(CLOSED_STATUSES) == {"closed", "filled", "cancelled", "canceled", "archived"}
    rule = next(r for r in RULES if "close date" in r)
    assert all(word in rule for word in ("closed", "filled", "cancelled", "archived"))
    # Harvest: a job whose status says closed (in any of the words), with no closed_at, ends at its last update.
    jobs = [dict(_job(i, f"Job {i}", status), updated_at=f"2026-05-0{i}T12:00:00Z")
            for i, status in enumerate(("closed", "Filled", " archived ", "open"), start=1)]
    con = make_db(TOML)
    ingest(con, [_write(make_db.folder(), {"jobs.json": jobs})], client="Acme")
    assert con.execute("SELECT requisition_id, closed_on::VARCHAR FROM requisitions ORDER BY 1").fetchall() == [
        ("1", "2026-05-01"), ("2", "2026-05-02"), ("3", "2026-05-03"), ("4", None)]
