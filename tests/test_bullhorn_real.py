"""Bullhorn exports as they really come: one export covering many client corporations (split across
the clients they are, the others rejected by name, never merged), placements that count as hires only
with a status the client's dictionary maps to hired, appointments without their submission, and
Bullhorn's own DataLoader example files (tests/fixtures/bullhorn_dataloader/, see its README)."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from dashboard import upload
from loaders.bullhorn import NO_HISTORY_NOTE
from loaders.ingest import ingest
from loaders.settings import (SettingsError, add_stage_words, parse_settings, save_client, settings_document,
                              settings_toml, stored_settings)

from conftest import run_summary, write_tables

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "bullhorn_dataloader"
STAGES = '[stages]\n"Client Submission" = "submitted"\n"Placement: Approved" = "hired"\n'
# Acme is Bullhorn's corporation 501 ("Acme Holdings Inc", named by id in its settings); Globex UK is
# the corporation of its own name. The export's six other corporations are no client here.
ACME = 'name = "Acme"\nats_companies = ["501"]\n' + STAGES
GLOBEX = 'name = "Globex UK"\n' + STAGES
CORPORATIONS = {501: "Acme Holdings Inc", 502: "Globex UK", 503: "Initech", 504: "Umbrella Corp",
                505: "Stark Industries", 506: "Wayne Enterprises", 507: "Hooli", 508: "Soylent Corp"}


def _ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc).timestamp() * 1000)


def _write_json(folder: Path, files: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, objects in files.items():
        (folder / name).write_text(json.dumps({"total": len(objects), "start": 0, "count": len(objects),
                                               "data": objects}), encoding="utf-8")
    return folder


# One job order per corporation (JO-501 ... JO-508), a submission to each of the first three, its
# submittal in the status history, and a placement for each of the first two.
MULTI = {
    "JobOrder.json": [{"id": f"JO-{cc}", "title": "Engineer", "numOpenings": 1, "dateAdded": _ms("2026-05-01T15:00:00"),
                       "clientCorporation": {"id": cc, "name": name}} for cc, name in CORPORATIONS.items()],
    "JobSubmission.json": [{"id": f"S{cc}", "candidate": {"id": cc}, "jobOrder": {"id": f"JO-{cc}"},
                            "dateAdded": _ms("2026-05-03T20:00:00")} for cc in (501, 502, 503)],
    "JobSubmissionHistory.json": [{"id": cc, "jobSubmission": {"id": f"S{cc}"}, "status": "Client Submission",
                                   "dateAdded": _ms("2026-05-03T20:00:00")} for cc in (501, 502, 503)],
    "Placement.json": [{"id": cc, "jobSubmission": {"id": f"S{cc}"}, "status": "Approved",
                        "dateAdded": _ms("2026-05-20T16:00:00")} for cc in (501, 502)],
}


def _db(make_db, *settings):
    con = make_db(settings[0])
    for more in settings[1:]:
        save_client(con, parse_settings(more))
    return con


def _counts(con, client: str) -> tuple:
    s = run_summary(con, client=client, as_of="2026-06-30")
    reqs = con.execute("SELECT list(requisition_id ORDER BY requisition_id) FROM requisitions WHERE client = ?",
                       [client]).fetchall()[0][0]
    return reqs, s["interview_conversion"]["submitted"], s["interview_conversion"]["hired"]


def test_a_multi_company_export_is_split_across_its_clients_and_other_companies_are_rejected_by_name(make_db):
    con = _db(make_db, ACME, GLOBEX)
    reports = {r.format: r for r in ingest(con, [_write_json(make_db.folder(), MULTI)])}
    assert all(r.error is None for r in reports.values()), [r.error for r in reports.values()]
    # Each client has its own job order, submission, submittal and hire; nothing of the others.
    assert _counts(con, "Acme") == (["JO-501"], 1, 1)
    assert _counts(con, "Globex UK") == (["JO-502"], 1, 1)
    jobs = reports["Bullhorn JobOrder"]
    assert (jobs.rows_loaded, jobs.rows_rejected, jobs.clients) == (2, 6, ["Acme", "Globex UK"])
    assert jobs.notes == [
        "rows of client corporation(s) 'Hooli' (id 507), 'Initech' (id 503), 'Soylent Corp' (id 508), "
        "'Stark Industries' (id 505), 'Umbrella Corp' (id 504) and 1 more rejected: no client here is that "
        "company (a client's `ats_companies` setting names its companies)",
        "split by client corporation across the clients 'Acme', 'Globex UK'"]
    rejected = con.execute("SELECT kind, \"column\", reason, client FROM rejected_rows ORDER BY kind, \"row\"").fetchall()
    assert len(rejected) == 6 + 1 + 1   # six job orders; Initech's submission and its history entry
    assert ("requisitions", "clientCorporation.name",
            "client corporation 'Initech' (id 503) is no client here: name it in its client's `ats_companies` "
            "setting (if it is none of yours, leave it out); its rows are not loaded", None) in rejected
    assert all("'Initech' (id 503) is no client here" in r[2] for r in rejected if r[0] != "requisitions")


def test_with_client_the_rows_of_another_clients_company_and_of_no_client_are_rejected_not_merged(make_db):
    con = _db(make_db, ACME, GLOBEX)
    reports = {r.format: r for r in ingest(con, [_write_json(make_db.folder(), MULTI)], client="Acme")}
    assert _counts(con, "Acme") == (["JO-501"], 1, 1)
    assert con.execute("SELECT count(*) FROM (SELECT client FROM requisitions UNION ALL SELECT client FROM "
                       "applications UNION ALL SELECT client FROM stage_events) WHERE client <> 'Acme'"
                       ).fetchall() == [(0,)]
    jobs = reports["Bullhorn JobOrder"]
    assert (jobs.rows_loaded, jobs.rows_rejected) == (1, 7)
    reasons = {row: reason for row, _, reason in jobs.rejected_sample}
    assert reasons[2] == ("client corporation 'Globex UK' (id 502) is client 'Globex UK''s, not 'Acme''s: load its "
                          "rows as Globex UK's (on the Upload page, choose Globex UK; on the command line, leave out "
                          "--client to split the file across its clients)")
    assert "'Initech' (id 503) is no client here" in reasons[3]
    # The submittal and the placement of Globex's submission do not leak into Acme's numbers.
    history = reports["Bullhorn JobSubmissionHistory"]
    assert (history.rows_loaded, history.rows_rejected) == (1, 2)
    assert [r[2][:45] for r in history.rejected_sample] == [
        "client corporation 'Globex UK' (id 502) is cl", "client corporation 'Initech' (id 503) is no c"]
    assert (reports["Bullhorn Placement"].rows_loaded, reports["Bullhorn Placement"].rows_rejected) == (1, 1)


def test_events_loaded_on_their_own_follow_the_client_of_their_stored_submission(make_db):
    con = _db(make_db, ACME, GLOBEX)
    first = {k: v for k, v in MULTI.items() if k in ("JobOrder.json", "JobSubmission.json")}
    ingest(con, [_write_json(make_db.folder(), first)])
    # A later export of the status history alone (no files beside it): each entry is its submission's client's.
    (history,) = ingest(con, [_write_json(make_db.folder(), {"JobSubmissionHistory.json":
                                                             MULTI["JobSubmissionHistory.json"]})])
    assert (history.rows_loaded, history.rows_rejected, history.clients) == (2, 1, ["Acme", "Globex UK"])
    assert "its jobSubmission 'S503' is in no file beside this one and was not loaded before" in \
        history.rejected_sample[0][2]
    assert _counts(con, "Acme")[1:] == (1, 0) and _counts(con, "Globex UK")[1:] == (1, 0)


def test_a_placement_counts_as_a_hire_only_with_a_status_the_dictionary_maps_to_hired(make_db):
    con = _db(make_db, ACME)
    files = {**{k: v for k, v in MULTI.items() if k != "Placement.json"},
             "JobSubmission.json": [{"id": f"S{n}", "candidate": {"id": n}, "jobOrder": {"id": "JO-501"},
                                     "dateAdded": _ms("2026-05-03T20:00:00")} for n in (1, 2, 3)],
             "JobSubmissionHistory.json": [{"id": n, "jobSubmission": {"id": f"S{n}"}, "status": "Client Submission",
                                            "dateAdded": _ms("2026-05-03T20:00:00")} for n in (1, 2, 3)],
             "Placement.json": [{"id": n, "jobSubmission": {"id": f"S{n}"}, "status": status,
                                 "dateAdded": _ms("2026-05-20T16:00:00")}
                                for n, status in ((1, "Approved"), (2, "Submitted"), (3, "Terminated"))]}
    reports = {r.format: r for r in ingest(con, [_write_json(make_db.folder(), files)], client="Acme")}
    placements = reports["Bullhorn Placement"]
    assert (placements.rows_loaded, placements.rows_rejected) == (3, 0)
    # Loaded, but only the approved one is a hire; the others are reported as unmapped words.
    assert placements.unmapped == [("Placement: Submitted", 1), ("Placement: Terminated", 1)]
    assert _counts(con, "Acme")[1:] == (3, 1)


def test_a_placement_file_without_a_status_counts_only_when_the_dictionary_maps_its_word(make_db):
    con = _db(make_db, ACME)
    folder = make_db.folder()
    _write_json(folder, {k: MULTI[k] for k in ("JobOrder.json", "JobSubmission.json")})
    write_tables(folder, {"Placement.csv": """
        candidate.externalID,jobOrder.externalID,dateAdded,dateBegin
        501,JO-501,5/20/26 16:00,6/1/26 00:00
    """})
    reports = {r.format: r for r in ingest(con, [folder], client="Acme")}
    placements = reports["Bullhorn DataLoader Placement"]
    assert placements.unmapped == [("Placement", 1)]
    assert placements.notes == ["no status column: each placement is the stage word 'Placement', which counts as a "
                                "hire only when the client's dictionary maps it (\"Placement\" = \"hired\")"]
    assert _counts(con, "Acme")[2] == 0
    add_stage_words(con, "Acme", ["Placement"], "hired")
    assert _counts(con, "Acme")[2] == 1


def test_an_interview_without_its_submission_is_rejected_saying_which_submission_is_missing(make_db):
    con = _db(make_db, ACME)
    folder = make_db.folder()
    _write_json(folder, {"JobOrder.json": MULTI["JobOrder.json"][:1]})
    write_tables(folder, {"Appointment.csv": """
        externalID,candidateReference.externalID,jobOrder.externalID,type,dateBegin
        ap-1,C9,JO-501,Interview,5/6/26 15:00
    """})
    reports = {r.format: r for r in ingest(con, [folder], client="Acme")}
    (row, column, reason), = reports["Bullhorn DataLoader Appointment"].rejected_sample
    assert (row, column) == (2, "candidateReference + jobOrder")
    assert reason == ("no JobSubmission of candidate 'C9' to job order 'JO-501' was found: load JobSubmission.json "
                      "(or the DataLoader's JobSubmission.csv) beside this file, in the same folder")
    # With the submissions beside it, but not that one.
    _write_json(folder, {"JobSubmission.json": MULTI["JobSubmission.json"][:1]})
    (folder / "Appointment.csv").write_text((folder / "Appointment.csv").read_text() + "ap-2,C8,JO-501,Interview,"
                                            "5/7/26 15:00\n", encoding="utf-8")
    reports = {r.format: r for r in ingest(con, [folder / "Appointment.csv"], client="Acme")}
    assert reports["Bullhorn DataLoader Appointment"].rejected_sample[1][2] == (
        "no JobSubmission of candidate 'C8' to job order 'JO-501' is in JobSubmission.json beside this file")


def test_ats_companies_round_trip_and_one_company_is_one_clients(make_db):
    con = _db(make_db, ACME)
    s = stored_settings(con, "Acme")
    assert s.ats_companies == ["501"]
    assert parse_settings(settings_toml(settings_document(s))).ats_companies == ["501"]
    assert parse_settings('name = "X"\nats_companies = [1234, "Jergens Inc"]').ats_companies == ["1234", "Jergens Inc"]
    with pytest.raises(SettingsError, match="lists 'jergens inc' twice"):
        parse_settings('name = "X"\nats_companies = ["Jergens Inc", "jergens inc"]')
    with pytest.raises(SettingsError, match="`ats_companies` lists '501', which 'Acme' lists already"):
        save_client(con, parse_settings('name = "Globex UK"\nats_companies = ["501"]'))


# -- Bullhorn's own DataLoader examples (github.com/bullhorn/dataloader, examples/load/) --------------

def test_bullhorn_dataloader_examples_as_shipped_load_what_they_can_and_name_what_they_lack(make_db, tmp_path):
    # The examples name the corporation by externalID only; ClientCorporation.csv names it, so the
    # client's ats_companies can name it as people know it.
    con = _db(make_db, 'name = "Example Staffing"\nats_companies = ["DataLoader Example Company"]\n'
                       '[stages]\n"Sendout" = "submitted"\n')
    reports = {Path(r.path).name: r for r in ingest(con, [FIXTURES])}   # auto-detected, no --client
    # They are files to load into Bullhorn, which sets dateAdded itself: a job order's opening and a
    # placement's day are missing, and the message says so instead of guessing from startDate/dateBegin.
    assert "JobOrder.csv: this Bullhorn JobOrder file has no dateAdded column" in reports["JobOrder.csv"].error
    assert "Placement.csv: this Bullhorn Placement file has no dateAdded column" in reports["Placement.csv"].error
    assert reports["ClientCorporation.csv"].skipped.endswith("read with the file that needs it, not loaded on its own")
    appointments = reports["Appointment.csv"]
    assert (appointments.rows_read, appointments.rows_loaded) == (0, 0)
    assert appointments.notes == ["the file's 1 row is an appointment of type 'Meeting', not Interview: not read, "
                                  "as only interviews are stage events (the rows read are the file's 0 interviews)"]
    # The sendout's e-mail is a dropped personal data column, as in the import template, under its own header.
    assert (reports["Sendout.csv"].notes, reports["Sendout.csv"].dropped_columns) == ([], ["email"])
    submissions = reports["JobSubmission.csv"]
    assert (submissions.rows_loaded, submissions.clients) == (3, ["Example Staffing"])
    assert submissions.notes == [NO_HISTORY_NOTE]
    # Where each submission stands now is its application's status (a history it is not: see the note).
    assert con.execute("SELECT application_id, status FROM applications ORDER BY 1").fetchall() == [
        ("jobOrder-ext-1/candidate-2-ext-1", "accepted"), ("jobOrder-ext-1/candidate-3-ext-1", "complete"),
        ("jobOrder-ext-1/candidate-ext-1", "submitted")]
    assert (reports["Sendout.csv"].rows_loaded, reports["Sendout.csv"].clients) == (1, ["Example Staffing"])
    s = run_summary(con, client="Example Staffing", as_of="2016-12-31")
    # Hand-checked: the sendout of candidate-ext-1 (02/09/16 11:22) is the one submittal; no hire.
    assert {k: s["interview_conversion"][k] for k in ("submitted", "interviewed", "hired")} == {
        "submitted": 1, "interviewed": 0, "hired": 0}
    assert s["time_to_submit"]["n"] == 0
    assert con.execute("SELECT application_id, raw_stage, stage, entered_at FROM stage_events").fetchall() == [
        ("jobOrder-ext-1/candidate-ext-1", "Sendout", "submitted", dt.datetime(2016, 2, 9, 11, 22))]

    # Export them again with the dateAdded the messages ask for: the job order and placement load,
    # the job order's owner is credited, and the "Submitted" placement is no hire until mapped.
    folder = tmp_path / "with_date_added"
    shutil.copytree(FIXTURES, folder)
    for name, date in (("JobOrder.csv", "2/1/16 0:00"), ("Placement.csv", "8/1/16 0:00")):
        lines = (folder / name).read_text(encoding="utf-8").splitlines()
        (folder / name).write_text(f"{lines[0]},dateAdded\n{lines[1]},{date}\n", encoding="utf-8")
    reports = {Path(r.path).name: r for r in ingest(con, [folder])}
    assert [r.error for r in reports.values() if r.error] == []
    assert reports["Placement.csv"].unmapped == [("Placement: Submitted", 1)]
    assert con.execute("SELECT requisition_id, department, recruiter, opened_on, closed_on FROM requisitions"
                       ).fetchall() == [("jobOrder-ext-1", "DataLoader Example Company", "Recruiter CorporateUser",
                                         dt.date(2016, 2, 1), dt.date(2017, 1, 1))]
    s = run_summary(con, client="Example Staffing", as_of="2016-12-31", recruiters="Recruiter CorporateUser")
    assert (s["time_to_submit"]["n"], s["time_to_submit"]["median"]) == (1, 8.0)   # 02-01 -> 02-09
    assert (s["interview_conversion"]["submitted"], s["interview_conversion"]["hired"]) == (1, 0)
    add_stage_words(con, "Example Staffing", ["Placement: Submitted"], "hired")
    s = run_summary(con, client="Example Staffing", as_of="2016-12-31", recruiters="Recruiter CorporateUser")
    assert (s["interview_conversion"]["hired"], s["time_to_fill"]["n"], s["time_to_fill"]["median"]) == (1, 1, 182.0)


# -- whose a row is when its file names no client corporation -------------------------------------

def _submissions_alone(make_db, con, ids, **kw):
    """Load JobSubmission.json holding MULTI's submissions `ids` alone (no job orders beside)."""
    subs = [s for s in MULTI["JobSubmission.json"] if s["id"] in ids]
    (report,) = ingest(con, [_write_json(make_db.folder(), {"JobSubmission.json": subs})], **kw)
    return report


def test_a_submission_of_another_clients_stored_job_order_is_rejected_not_loaded_as_the_chosen_clients(make_db):
    con = _db(make_db, ACME, GLOBEX)
    ingest(con, [_write_json(make_db.folder(), {"JobOrder.json": MULTI["JobOrder.json"]})])   # split: Acme, Globex
    # The Upload page always passes the client: S502 is Globex's, S501 is Acme's (JO-501) and is rejected.
    report = _submissions_alone(make_db, con, {"S501", "S502"}, client="Globex UK")
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)
    assert con.execute("SELECT client, application_id FROM applications").fetchall() == [("Globex UK", "S502")]
    (row, column, reason), = report.rejected_sample
    assert (row, column) == (1, "jobOrder")
    assert reason == ("its jobOrder 'JO-501' is client 'Acme''s job order, not 'Globex UK''s: load the row as Acme's "
                      "(on the Upload page, choose Acme; on the command line, leave out --client to split the file "
                      "across its clients)")
    # Without --client it is split across its job orders' clients.
    report = _submissions_alone(make_db, con, {"S501", "S502"})
    assert (report.rows_loaded, report.rows_rejected, report.clients) == (2, 0, ["Acme", "Globex UK"])


def test_a_submission_of_a_job_order_outside_the_uploaders_clients_is_rejected_without_naming_that_client(make_db):
    con = _db(make_db, ACME, GLOBEX)
    ingest(con, [_write_json(make_db.folder(), {"JobOrder.json": MULTI["JobOrder.json"]})])
    for kw in ({"client": "Globex UK"}, {}):
        report = _submissions_alone(make_db, con, {"S501", "S502"}, allowed_clients={"Globex UK"}, **kw)
        assert (report.rows_loaded, report.rows_rejected, report.clients) == (1, 1, ["Globex UK"]), kw
        (row, column, reason), = report.rejected_sample
        assert reason == "it belongs to another client's job order (its jobOrder 'JO-501'); it is not loaded"
        assert "Acme" not in " ".join(report.notes + [str(r) for r in report.rejected_sample])
        assert con.execute("SELECT count(*) FROM rejected_rows WHERE client = 'Acme'").fetchall() == [(0,)]
    assert con.execute("SELECT client, application_id FROM applications").fetchall() == [("Globex UK", "S502")]


def test_a_history_entry_of_another_clients_stored_submission_is_rejected_naming_it(make_db):
    con = _db(make_db, ACME, GLOBEX)
    ingest(con, [_write_json(make_db.folder(), {k: MULTI[k] for k in ("JobOrder.json", "JobSubmission.json")})])
    history = [h for h in MULTI["JobSubmissionHistory.json"] if h["id"] in (501, 502)]
    (report,) = ingest(con, [_write_json(make_db.folder(), {"JobSubmissionHistory.json": history})], client="Acme")
    assert (report.rows_loaded, report.rows_rejected, report.clients) == (1, 1, ["Acme"])
    assert report.rejected_sample[0][1:] == ("jobSubmission", (
        "its jobSubmission 'S502' is client 'Globex UK''s submission, not 'Acme''s: load the row as Globex UK's "
        "(on the Upload page, choose Globex UK; on the command line, leave out --client to split the file across "
        "its clients)"))
    # A file all of whose rows are another client's is that client's export: refused whole, as a template file is.
    (report,) = ingest(con, [_write_json(make_db.folder(), {"JobSubmissionHistory.json": history[1:]})], client="Acme")
    assert "this is an export of 'Globex UK', not of 'Acme'" in report.error


# -- DataLoader files known by their name ------------------------------------------------------------

def test_a_dataloader_placement_without_date_begin_loads(make_db):
    con = _db(make_db, ACME)
    folder = make_db.folder()
    _write_json(folder, {k: MULTI[k] for k in ("JobOrder.json", "JobSubmission.json")})
    write_tables(folder, {"Placement.csv": """
        candidate.externalID,jobOrder.externalID,dateAdded,status
        501,JO-501,5/20/26 16:00,Approved
    """})
    reports = {r.format: r for r in ingest(con, [folder], client="Acme")}
    placements = reports["Bullhorn DataLoader Placement"]
    assert (placements.error, placements.rows_loaded, placements.rows_rejected) == (None, 1, 0)
    assert _counts(con, "Acme")[2] == 1


def test_a_dataloader_file_whose_first_row_has_empty_cells_is_read_as_the_entity_it_is_named(make_db):
    con = _db(make_db, ACME)
    folder = make_db.folder()
    _write_json(folder, {"JobOrder.json": MULTI["JobOrder.json"][:1]})
    write_tables(folder, {"JobSubmission.csv": """
        externalID,candidate.externalID,jobOrder.externalID,dateAdded
        S0,,,5/3/26 20:00
        S1,C1,JO-501,5/3/26 20:00
    """})
    (report,) = [r for r in ingest(con, [folder], client="Acme") if r.format == "Bullhorn DataLoader JobSubmission"]
    assert (report.error, report.rows_loaded, report.rows_rejected) == (None, 1, 1)
    assert report.rejected_sample[0][:2] == (2, "jobOrder")


def test_a_sibling_file_is_read_in_the_encoding_its_whole_content_is_in(make_db):
    # A DataLoader JobSubmission.csv of ~1.9 MB of ASCII, then one Windows-1252 dash: it loads as
    # Windows-1252, and the placement beside it reads it the same way.
    con = _db(make_db, ACME)
    folder = make_db.folder()
    _write_json(folder, {"JobOrder.json": MULTI["JobOrder.json"][:1]})
    rows = [f"S{n},C{n},JO-501,5/3/26 20:00,Job board" for n in range(40_000)]
    text = "externalID,candidate.externalID,jobOrder.externalID,dateAdded,source\n" + "\n".join(rows) + "\n"
    (folder / "JobSubmission.csv").write_bytes(text.encode("ascii") + "S-last,C-last,JO-501,5/3/26 20:00,Referral "
                                               "– staff\n".encode("cp1252"))
    assert (folder / "JobSubmission.csv").stat().st_size > 1 << 20
    write_tables(folder, {"Placement.csv": """
        candidate.externalID,jobOrder.externalID,dateAdded,dateBegin,status
        C7,JO-501,5/20/26 16:00,6/1/26 00:00,Approved
    """})
    reports = {Path(r.path).name: r for r in ingest(con, [folder], client="Acme")}
    assert [r.error for r in reports.values() if r.error] == []
    assert reports["JobSubmission.csv"].rows_loaded == 40_001
    assert (reports["Placement.csv"].rows_loaded, reports["Placement.csv"].rows_rejected) == (1, 0)
    assert con.execute("SELECT source FROM applications WHERE application_id = 'S-last'").fetchall() == [
        ("Referral – staff",)]


# -- what the load report says about a Bullhorn file -------------------------------------------------

def test_a_job_submission_file_without_its_status_history_says_the_stage_metrics_need_it(make_db):
    # "Submitted" is mapped, yet a JobSubmission's status is where it stands now, not a dated stage:
    # no submittal comes of it, and the report says which file gives one (as Harvest's says for its gap).
    con = _db(make_db, ACME + '"Submitted" = "submitted"\n')
    folder = make_db.folder()
    _write_json(folder, {"JobOrder.json": MULTI["JobOrder.json"][:1]})
    write_tables(folder, {"JobSubmission.csv": """
        candidate.externalID,jobOrder.externalID,dateAdded,status
        C1,JO-501,5/3/26 20:00,Submitted
    """})
    reports = {r.format: r for r in ingest(con, [folder], client="Acme")}
    submissions = reports["Bullhorn DataLoader JobSubmission"]
    assert (submissions.rows_loaded, submissions.notes) == (1, [NO_HISTORY_NOTE])
    assert NO_HISTORY_NOTE.startswith("no JobSubmissionHistory beside this file: a submission's status says where it "
                                      "stands now, not when it got there")
    assert "Time to submit, interview conversion, SLA deadlines and hiring-manager feedback" in NO_HISTORY_NOTE
    # Its status is the application's (lower-cased, as every status is stored), not an extra column.
    assert con.execute("SELECT status, json_extract_string(extra, '$.bullhorn_status') FROM applications"
                       ).fetchall() == [("submitted", None)]
    assert con.execute("SELECT count(*) FROM stage_events").fetchall() == [(0,)]
    assert not run_summary(con, client="Acme", as_of="2026-06-30")["time_to_submit"]["n"]   # no data
    # The REST export says the same; with the status history beside it, nothing is missing to say.
    (rest,) = ingest(con, [_write_json(make_db.folder(), {"JobSubmission.json": MULTI["JobSubmission.json"][:1]})],
                     client="Acme")
    assert rest.notes == [NO_HISTORY_NOTE]
    with_history = {r.format: r for r in ingest(con, [_write_json(make_db.folder(), {
        k: MULTI[k] for k in ("JobOrder.json", "JobSubmission.json", "JobSubmissionHistory.json")})])}
    assert NO_HISTORY_NOTE not in with_history["Bullhorn JobSubmission"].notes


def test_an_appointment_file_counts_the_rows_it_does_not_read_among_the_files_rows(make_db):
    con = _db(make_db, ACME)
    folder = make_db.folder()
    _write_json(folder, {k: MULTI[k] for k in ("JobOrder.json", "JobSubmission.json")})
    write_tables(folder, {"Appointment.csv": """
        externalID,candidateReference.externalID,jobOrder.externalID,type,dateBegin
        ap-1,501,JO-501,Interview,5/6/26 15:00
        ap-2,501,JO-501,Meeting,5/7/26 15:00
        ap-3,501,JO-501,,5/8/26 15:00
    """})
    (appointments,) = [r for r in ingest(con, [folder], client="Acme") if r.format == "Bullhorn DataLoader Appointment"]
    assert (appointments.rows_read, appointments.rows_loaded, appointments.rows_rejected) == (1, 1, 0)
    assert appointments.notes == ["2 of the file's 3 rows are appointments of type 'Meeting', (no type), not "
                                  "Interview: not read, as only interviews are stage events (the rows read are the "
                                  "file's 1 interview)"]


def test_a_file_without_a_field_it_needs_says_what_it_is_and_what_to_do_in_plain_sentences(make_db):
    con = _db(make_db, ACME)
    folder = make_db.folder()
    write_tables(folder, {"JobOrder.csv": """
        title,numOpenings,clientCorporation.externalID
        Engineer,1,501
    """})
    (jobs,) = ingest(con, [folder / "JobOrder.csv"], client="Acme")
    message = jobs.error.split("JobOrder.csv: ", 1)[1]
    assert message == (
        "this Bullhorn JobOrder file has no id and dateAdded columns. id is the job order's id, in a column or "
        "field named id or externalID. dateAdded is the day the job order was opened, which starts its time to "
        "submit and time to fill. DataLoader's load examples leave it out because Bullhorn sets it itself when it "
        "creates the job order. Export JobOrder from Bullhorn with id and dateAdded, then load the file again; "
        "nothing of this file was loaded")
    write_tables(folder, {"Placement.csv": """
        dateBegin,status
        6/1/26 00:00,Approved
    """})
    (placements,) = ingest(con, [folder / "Placement.csv"], client="Acme")
    assert placements.error.split("Placement.csv: ", 1)[1] == (
        "this Bullhorn Placement file has no dateAdded and jobSubmission columns. dateAdded is the day of the "
        "placement, which is the day of the hire. dateBegin is the start date, so it is not used in its place. "
        "jobSubmission is the submission the placement is for. A file without it needs both candidate and "
        "jobOrder instead. Export Placement from Bullhorn with dateAdded and jobSubmission, then load the file "
        "again; nothing of this file was loaded")


def test_bullhorn_personal_data_fields_are_dropped_columns_under_the_files_own_headers(make_db):
    # As the import template's are: listed in the report's dropped columns (the Upload page's
    # "Personal data dropped"), never stored, neither in a row's extra values nor with a rejected row.
    con = _db(make_db, ACME)
    folder = make_db.folder()
    jobs = [{**MULTI["JobOrder.json"][0], "clientContact": {"id": 9, "firstName": "Ada", "lastName": "King",
                                                            "email": "ada@acme.example"}}]
    sendouts = [{"id": 1, "candidate": {"id": 501, "firstName": "Sam"}, "jobOrder": {"id": "JO-501"},
                 "clientCorporation": {"id": 501}, "dateAdded": _ms("2026-05-04T10:00:00"), "email": "sam@example.com"}]
    _write_json(folder, {"JobOrder.json": jobs, "Sendout.json": sendouts})
    write_tables(folder, {"JobSubmission.csv": """
        externalID,candidate.externalID,candidate.firstName,candidate.lastName,candidate.email,jobOrder.externalID,dateAdded,sendingUser.name
        S501,501,Sam,Smith,sam@example.com,JO-501,5/3/26 20:00,Rex Ruiz
        S502,502,Kim,Lee,kim@example.com,JO-999,not a date,Rex Ruiz
    """})
    reports = {Path(r.path).name: r for r in ingest(con, [folder], client="Acme")}
    assert [r.error for r in reports.values() if r.error] == []
    assert {name: r.dropped_columns for name, r in reports.items()} == {
        "JobOrder.json": ["clientContact.email"],   # the hiring manager's name is read, the e-mail is not
        "JobSubmission.csv": ["candidate.email", "candidate.firstName", "candidate.lastName"],
        "Sendout.json": ["candidate.firstName", "email"]}
    assert all(not r.notes or "personal" not in " ".join(r.notes) for r in reports.values())
    assert list(upload.report_table([reports["Sendout.json"]], loaded=True)["Personal data dropped"]) == [
        "Candidate.firstName, Email"]
    assert con.execute("SELECT hiring_manager FROM requisitions").fetchall() == [("Ada King",)]
    assert reports["JobSubmission.csv"].rows_rejected == 1
    stored = sorted(c for (c,) in con.execute("SELECT DISTINCT array_to_string(dropped_columns, ', ') FROM files"
                                              ).fetchall())
    assert stored == ["candidate.email, candidate.firstName, candidate.lastName", "candidate.firstName, email",
                      "clientContact.email"]
    everything = " ".join(str(row) for table in ("requisitions", "applications", "stage_events", "rejected_rows")
                          for row in con.execute(f"SELECT * FROM {table}").fetchall())
    assert not any(v in everything for v in ("Sam", "Smith", "Kim", "example.com"))


def test_a_rest_placement_naming_only_its_candidate_and_job_order_is_read_and_finds_its_submission(make_db,
                                                                                                    tmp_path):
    # A Placement.json whose objects carry candidate and jobOrder but no jobSubmission or dateBegin was
    # "not a recognised JSON export".
    con = make_db('name = "Acme"\nats_companies = ["501"]\n' + STAGES)
    orders = [{"id": "JO-1", "title": "Eng", "numOpenings": 1, "dateAdded": 1777647600000,
               "clientCorporation": {"id": 501, "name": "Corp501"}}]
    subs = [{"id": "S1", "candidate": {"id": 7}, "jobOrder": {"id": "JO-1"}, "dateAdded": 1777838400000}]
    placements = [{"id": 90, "candidate": {"id": 7}, "jobOrder": {"id": "JO-1"}, "status": "Approved",
                   "dateAdded": 1778000000000}]
    write_tables(tmp_path / "bh", {"JobOrder.json": json.dumps(orders), "JobSubmission.json": json.dumps(subs),
                                   "Placement.json": json.dumps(placements)})
    reports = ingest(con, [tmp_path / "bh"])
    assert not [r.error for r in reports if r.error]
    assert con.execute("SELECT client, application_id, raw_stage, stage FROM stage_events").fetchall() == [
        ("Acme", "S1", "Placement: Approved", "hired")]
