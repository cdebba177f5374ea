"""Greenhouse Harvest v1 JSON as Greenhouse publishes it: the Harvest docs' examples and the
greenhouse_io gem's recorded 2014 responses (tests/fixtures/greenhouse_harvest/, sources in
tests/fixtures/README.md), and a small export folder built from those shapes, hand-checked.

The snapshot's outcomes (hired at the filled opening's close, rejected at `rejected_at`) are stage
events marked `snapshot` = `true` in `stage_events.extra`; the activity feed is the stage history."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from loaders.ingest import LoadError, ingest, ingest_file

from conftest import write_tables

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "greenhouse_harvest"
DOCS = FIXTURES / "published" / "harvest_docs"
GEM_2014 = FIXTURES / "published" / "greenhouse_io_2014"
UTC = 'name = "Acme"\n'
# The export folder's client: Chicago, and the stage words its Greenhouse account uses.
ACME = '''name = "Acme"
timezone = "America/Chicago"
[stages]
"Recruiter Phone Screen" = "screened"
"Hiring Manager Review" = "submitted"
"Face to Face" = "interviewed"
"Offer" = "offered"
'''


def _read(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _write(folder: Path, files: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, obj in files.items():
        (folder / name).write_text(json.dumps(obj), encoding="utf-8")
    return folder


def _events(con):
    return con.execute("SELECT application_id, raw_stage, stage, strftime(entered_at, '%Y-%m-%d %H:%M:%S.%g'), extra "
                       "FROM stage_events ORDER BY application_id, entered_at").fetchall()


def _docs_hire() -> dict:
    """The docs' application, as the hire that filled the docs job's opening 126 (application 1232)."""
    hired = dict(_read(DOCS / "application.json"), id=1232, status="hired", rejected_at=None, rejection_reason=None,
                 jobs=[{"id": 6404, "name": "Archaeologist"}])
    return hired


def test_a_harvest_export_alone_counts_the_hire_of_its_filled_opening(make_db, summ):
    # Harvest docs' job 6404: opening 126 was filled by application 1232, closed 2016-02-03T16:39:09.811Z.
    # The docs' application 985314 was rejected at 2016-08-17T21:08:29.686Z.
    con = make_db(UTC)
    folder = _write(make_db.folder(), {"jobs.json": [_read(DOCS / "job.json")],
                                       "applications.json": [_docs_hire(), _read(DOCS / "application.json")]})
    ingest(con, [folder], client="Acme")
    assert _events(con) == [
        ("1232", "hired", "hired", "2016-02-03 16:39:09.811", '{"snapshot":"true","snapshot_from":"openings.closed_at"}'),
        ("985314", "rejected", "rejected", "2016-08-17 21:08:29.686", '{"snapshot":"true","snapshot_from":"rejected_at"}')]
    # Time to fill: the job opened 2013-12-11 and its first hire came 2016-02-03: 365 + 365 + 54 days.
    s = summ(con, as_of="2026-06-30")
    assert (s["time_to_fill"]["n"], s["time_to_fill"]["median"]) == (1, 784.0)


def test_every_snapshot_event_says_so_in_its_extra_and_a_feed_event_does_not(make_db):
    con = make_db(ACME)
    ingest(con, [FIXTURES / "export"], client="Acme")
    flagged = con.execute("SELECT raw_stage, count(*) FROM stage_events WHERE extra->>'snapshot' = 'true' "
                          "GROUP BY ALL ORDER BY 1").fetchall()
    assert flagged == [("hired", 1), ("rejected", 1)]
    assert con.execute("SELECT count(*) FROM stage_events WHERE extra->>'snapshot' IS NULL").fetchall() == [(7,)]


def test_a_hire_no_opening_dates_takes_its_last_activity_and_the_report_counts_it(make_db):
    con = make_db(UTC)
    hired = dict(_docs_hire(), last_activity_at="2016-02-05T10:00:00Z")
    folder = _write(make_db.folder(), {"applications.json": [hired]})   # no jobs file: no opening
    apps, outcomes = ingest(con, [folder], client="Acme")
    assert apps.notes[0] == ("1 hired or rejected outcome(s) dated by last_activity_at: no filled opening or "
                             "rejected_at says when they ended")
    assert _events(con) == [("1232", "hired", "hired", "2016-02-05 10:00:00.000",
                             '{"snapshot":"true","snapshot_from":"last_activity_at"}')]


def test_a_hire_with_no_date_anywhere_is_rejected_saying_why_never_dated_by_a_guess(make_db):
    con = make_db(UTC)
    folder = _write(make_db.folder(), {"applications.json": [dict(_docs_hire(), last_activity_at=None)]})
    apps, outcomes = ingest(con, [folder], client="Acme")
    assert (apps.rows_loaded, outcomes.rows_loaded, outcomes.rows_rejected) == (1, 0, 1)
    assert outcomes.rejected_sample[0][1] == "status"
    assert outcomes.rejected_sample[0][2].startswith("status is hired, but no job opening beside it names this "
                                                     "application with a closed_at, and it has no last_activity_at")
    assert _events(con) == []


def test_a_closed_job_with_no_closed_at_ends_at_its_last_update(make_db):
    job = dict(_read(DOCS / "job.json"), closed_at=None)   # docs: closed, updated_at 2013-12-12T14:42:58Z
    still_open = dict(job, id=6405, status="open", updated_at="2014-01-05T10:00:00Z")
    con = make_db(UTC)
    ingest(con, [_write(make_db.folder(), {"jobs.json": [job, still_open]})], client="Acme")
    assert con.execute("SELECT requisition_id, status, closed_on::VARCHAR FROM requisitions ORDER BY 1").fetchall() == [
        ("6404", "closed", "2013-12-12"), ("6405", "open", None)]


def test_the_2014_greenhouse_files_are_read_by_their_fields_whatever_they_are_called(make_db):
    # greenhouse_io's recorded 2014 responses: an application says person_id (not candidate_id) and
    # comes as one object; jobs have no hiring team; /v1/jobs/{id}/stages has no job_id.
    folder = make_db.folder()
    folder.mkdir(parents=True)
    for src, name in (("application.json", "export (3).json"), ("jobs.json", "download.json"),
                      ("stages.json", "stages.json"), ("activity_feed_1.json", "activity_feed_1.json")):
        shutil.copy(GEM_2014 / src, folder / name)
    con = make_db(UTC)
    reports = {r.file.split("/")[-1]: r for r in ingest(con, [folder], client="Acme")}
    assert {n: r.format for n, r in reports.items()} == {
        "export (3).json": "Greenhouse Harvest applications", "download.json": "Greenhouse Harvest jobs",
        "stages.json": "Greenhouse Harvest job stages", "activity_feed_1.json": "Greenhouse Harvest activity feed"}
    assert con.execute("SELECT application_id, requisition_id, candidate_id, source, status FROM applications"
                       ).fetchall() == [("1", "4595", "1", "Jobs page on your website", "active")]
    assert con.execute("SELECT requisition_id, title, department, hiring_manager, recruiter, opened_on::VARCHAR "
                       "FROM requisitions").fetchall() == [
        ("4690", "Position Opening 1", "Enterprise", None, None, "2013-11-06")]
    # The feed's move names a job ("Bermuda Admissions") none of candidate 1's applications is for.
    feed = reports["activity_feed_1.json"]
    assert (feed.rows_loaded, feed.rows_rejected) == (0, 1)
    assert feed.rejected_sample == [(1, "body", "a move into 'Preliminary Phone Screen for Bermuda Admissions': "
                                     "candidate 1 has no application for a job ending that text (their jobs: "
                                     "Associate Admissions Producer (Bermuda))")]
    assert feed.notes == ["1 activity other than stage moves not read"]


def test_the_docs_activity_feed_gives_a_stage_event_and_no_candidate_name_is_stored(make_db):
    con = make_db(UTC + '[stages]\n"Recruiter Phone Screen" = "screened"\n')
    reports = ingest(con, [DOCS], client="Acme")
    assert not [r.error for r in reports if r.error]
    # "John Locke was moved into Recruiter Phone Screen for Accounting Manager on 03/27/2014 by Boone
    # Carlyle", created 2014-03-26T20:26:38Z: candidate 978031's application 985314 is for that job.
    assert _events(con)[0] == ("985314", "Recruiter Phone Screen", "screened", "2014-03-26 20:26:38.000",
                               '{"activity_id":"6757869","candidate_id":"978031"}')
    stored = json.dumps(con.execute("SELECT * FROM stage_events").fetchall(), default=str)
    stored += json.dumps(con.execute("SELECT * FROM rejected_rows").fetchall(), default=str)
    assert "Locke" not in stored and "example.com" not in stored


def test_an_activity_feed_that_does_not_say_whose_it_is_is_refused_saying_how_to_name_it(make_db):
    con = make_db(UTC)
    folder = make_db.folder()
    _write(folder, {"applications.json": [_read(DOCS / "application.json")],
                    "feed.json": _read(DOCS / "activity_feed_978031.json")})
    with pytest.raises(LoadError, match=r"feed.json: an activity feed does not say whose it is; name the file "
                                        r"with the candidate id \(activity_feed_<candidate id>.json\)"):
        ingest_file(con, folder / "feed.json", client="Acme")


def test_a_feed_saved_twice_by_a_browser_is_not_taken_for_candidate_one(make_db):
    # A second download of activity_feed.json is saved as "activity_feed (1).json": its "1" named the
    # candidate, so another candidate's moves could have been read as candidate 1's.
    con = make_db(UTC)
    folder = make_db.folder()
    _write(folder, {"applications.json": [_read(DOCS / "application.json")],
                    "activity_feed (1).json": _read(DOCS / "activity_feed_978031.json")})
    with pytest.raises(LoadError, match=r"an activity feed does not say whose it is"):
        ingest_file(con, folder / "activity_feed (1).json", client="Acme")
    # The id written against "activity_feed" still names it, with or without a download's suffix.
    _write(folder, {"activity_feed_978031 (1).json": _read(DOCS / "activity_feed_978031.json")})
    (rep,) = [r for r in ingest_file(con, folder / "activity_feed_978031 (1).json", client="Acme") if r.kind]
    assert rep.error is None and rep.rows_read > 0


def test_job_stages_json_names_the_stages_of_application_history_beside_it(make_db):
    # The folder of issue 16: jobs.json, applications.json, job_stages.json and application_history.csv.
    stages = [dict(_read(DOCS / "job_stage.json"), id=sid, name=name, job_id=6404)
              for sid, name in ((11, "Application Review"), (12, "Hiring Manager Review"))]
    folder = _write(make_db.folder(), {"jobs.json": [_read(DOCS / "job.json")], "applications.json": [_docs_hire()],
                                       "job_stages.json": stages})
    write_tables(folder, {"application_history.csv": """
        application_id,updated_at,new_stage_id,new_status
        1232,2015-12-01 14:00:00,11,active
        1232,2015-12-03 20:00:00,12,active
        1232,2016-02-03 16:40:00,,hired
    """})
    con = make_db(UTC + '[stages]\n"Hiring Manager Review" = "submitted"\n')
    reports = ingest(con, [folder], client="Acme")
    assert not [r.error for r in reports if r.error]
    assert [r.skipped for r in reports if r.skipped] == [
        "Greenhouse Harvest job stages: read with the file that needs it, not loaded on its own"]
    assert [e[:3] for e in _events(con)] == [("1232", "Application Review", None),
                                             ("1232", "Hiring Manager Review", "submitted"),
                                             ("1232", "hired", "hired"), ("1232", "hired", "hired")]


def test_the_export_folder_loads_by_content_and_gives_the_hand_checked_summary(make_db, summ):
    # tests/fixtures/greenhouse_harvest/export (Chicago; as of 2026-06-30), worked by hand:
    # job 6404 Accounting Manager opened 04-01 (responsible recruiter Stegosaurus Heels); 6405
    # Archaeologist opened 04-06 (Samuel Skateboard).
    # 1232 (6404): screen 04-06, HM review 04-08 15:00Z, face to face 04-15, offer 05-11, hired at
    #   its opening's close 05-18 (snapshot); 985314 (6404): HM review 04-09, rejected 04-20 (snapshot);
    # 985315 (6405): HM review 04-10, face to face 04-14; its move "for Accountant" has no application.
    # Time to submit: 6404 days(04-01, 04-08) = 7, 6405 days(04-06, 04-10) = 4: median 5.5.
    # Conversion: 3 submitted, 2 interviewed, 1 offered, 1 hired. Time to fill: days(04-01, 05-18) = 47.
    # Feedback: 7 (04-08 -> 04-15), 11 (04-09 -> 04-20), 4 (04-10 -> 04-14): median 7.
    # SLA (1 within 10 days): both met. 6404 is closed with no closed_at: its updated_at, 05-20.
    con = make_db(ACME)
    reports = ingest(con, [FIXTURES / "export"], client="Acme")
    assert not [r.error for r in reports if r.error]
    assert sum(r.rows_rejected for r in reports) == 1
    s = summ(con, as_of="2026-06-30")
    assert {k: s["time_to_submit"][k] for k in ("n", "median", "mean", "awaiting_first_submittal")} == {
        "n": 2, "median": 5.5, "mean": 5.5, "awaiting_first_submittal": 0}
    assert {k: s["interview_conversion"][k] for k in ("submitted", "interviewed", "offered", "hired")} == {
        "submitted": 3, "interviewed": 2, "offered": 1, "hired": 1}
    assert (s["time_to_fill"]["n"], s["time_to_fill"]["median"]) == (1, 47.0)
    assert (s["hm_feedback_days"]["n"], s["hm_feedback_days"]["median"]) == (3, 7.0)
    assert {k: s["deadline_adherence"][k] for k in ("due", "met", "missed")} == {"due": 2, "met": 2, "missed": 0}
    # Who is credited: the job's responsible recruiter, not the first listed.
    heels = summ(con, as_of="2026-06-30", recruiters="Stegosaurus Heels")["interview_conversion"]
    skateboard = summ(con, as_of="2026-06-30", recruiters="Samuel Skateboard")["interview_conversion"]
    assert (heels["submitted"], heels["hired"], skateboard["submitted"], skateboard["hired"]) == (2, 1, 1, 0)
    assert con.execute("SELECT requisition_id, hiring_manager, recruiter, closed_on::VARCHAR FROM requisitions "
                       "ORDER BY 1").fetchall() == [("6404", "Kaylee Prime", "Stegosaurus Heels", "2026-05-20"),
                                                    ("6405", "Hank Hollandaise", "Samuel Skateboard", None)]
    assert con.execute("SELECT count(*) FROM applications").fetchall() == [(3,)]   # the prospect is skipped


def test_a_prospect_is_skipped_and_an_application_on_no_job_that_is_none_is_rejected(make_db):
    # harvest.application_row, the rule the connectors' application table is mapped by too: a
    # prospect (Greenhouse's flag; an object without it, when on no job) is no application to a
    # requisition; one flagged as no prospect that names no job has lost its job, which is said.
    docs = dict(_read(DOCS / "application.json"), status="active", rejected_at=None)
    no_flag = {k: v for k, v in docs.items() if k != "prospect"}
    apps = [dict(docs, id=1, status="in_process"), dict(docs, id=2, prospect=True, jobs=[]),
            dict(no_flag, id=3, jobs=[]), dict(docs, id=4, prospect=False, jobs=[])]
    folder = _write(make_db.folder(), {"applications.json": apps})
    con = make_db(UTC)
    (rep,) = [r for r in ingest(con, [folder], client="Acme") if r.kind == "applications"]
    assert (rep.rows_loaded, rep.rows_rejected) == (1, 1)
    assert "2 prospect(s) skipped: not applications to a requisition" in rep.notes
    assert con.execute('SELECT "row", "column" FROM rejected_rows').fetchall() == [(4, "requisition_id")]
    assert con.execute("SELECT application_id, status FROM applications").fetchall() == [("1", "active")]
