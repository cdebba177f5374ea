"""Vendor export shapes: Greenhouse's interval table and event log, and any other ATS through a
saved column mapping. Golden tests on hand-written files of each real shape (values invented,
fields as the vendors name them), auto-detection, and the same numbers from every shape."""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from loaders.ingest import LoadError, ingest, ingest_file
from loaders.template import TEMPLATE, normalise_header
from loaders.settings import parse_settings, save_client
from loaders.shapes import ShapeError, mapping_toml, read_mapping

from conftest import D, run_summary, write_tables

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = '''name = "Acme"
timezone = "America/Chicago"
[stages]
"Application Review" = "applied"
"Hiring Manager Review" = "submitted"
"Onsite" = "interviewed"
"Offer" = "offered"
'''
# Two requisitions and three applications, in the import template; the stage history of the
# applications then comes in each vendor shape.
BASE = {
    "requisitions": """
        client,requisition_id,department,opened_at
        Acme,R1,Eng,2026-05-01
        Acme,R2,Eng,2026-05-04
    """,
    "applications": """
        client,application_id,requisition_id
        Acme,101,R1
        Acme,102,R1
        Acme,201,R2
    """,
}
# The history every shape below carries, worked by hand (Chicago, calendar days, as of 2026-06-30):
# 101 applied 05-01, submitted 05-03 20:00 UTC (local 05-03), onsite 05-06, hired 05-20;
# 102 submitted 05-05 03:00 UTC (local 05-04!), rejected 05-07;
# 201 applied 05-04, submitted 05-08, still there.
# Time to submit: R1 = days(05-01, 05-03) = 2; R2 = days(05-04, 05-08) = 4: median 3.
# Conversion: 3 submitted, 1 interviewed, 1 hired (skipped offer counts as passed).
INTERVALS = """
    application_id,stage_id,stage_name,entered_on,exited_on
    101,11,Application Review,2026-05-01 14:00:00.000,2026-05-03 20:00:00.000
    101,12,Hiring Manager Review,2026-05-03 20:00:00.000,2026-05-06 15:00:00.000
    101,13,Onsite,2026-05-06 15:00:00.000,2026-05-20 16:00:00.000
    101,14,hired,2026-05-20 16:00:00.000,
    102,12,Hiring Manager Review,2026-05-05 03:00:00.000 ,2026-05-07 12:00:00.000
    102,15,rejected,2026-05-07 12:00:00.000,
    201,11,Application Review,2026-05-04 09:00:00.000,2026-05-08 17:00:00.000
    201,12,Hiring Manager Review,2026-05-08 17:00:00.000,
"""
HISTORY = """
    application_id,updated_at,new_stage_id,new_status
    101,2026-05-01 14:00:00,11,active
    101,2026-05-03 20:00:00,12,active
    101,2026-05-06 15:00:00,13,active
    101,2026-05-20 16:00:00,,hired
    102,2026-05-05 03:00:00,12,active
    102,2026-05-07 12:00:00,,rejected
    201,2026-05-04 09:00:00,11,active
    201,2026-05-08 17:00:00,12,active
"""
JOB_STAGE = """
    id,job_id,name
    11,900,Application Review
    12,900,Hiring Manager Review
    13,900,Onsite
"""
# Another ATS's event log (SmartRecruiters-like headers) and the client's saved mapping for it.
OTHER_LOG = """
    Application ID,Status,Changed On,Sub Status
    101,Application Review,2016-05-01T14:00:00Z,x
    101,Hiring Manager Review,2026-05-03T20:00:00Z,
    101,Onsite,2026-05-06T15:00:00Z,
    101,HIRED,2026-05-20T16:00:00Z,
    102,Hiring Manager Review,2026-05-05T03:00:00Z,
    102,REJECTED,2026-05-07T12:00:00Z,
    201,Application Review,2026-05-04T09:00:00Z,
    201,Hiring Manager Review,2026-05-08T17:00:00Z,
""".replace("2016-05-01", "2026-05-01")
MAPPING = '''kind = "stage_events"
[columns]
application_id = "Application ID"
stage = "Status"
entered_at = "Changed On"
'''
TEMPLATE_EVENTS = {"stage_events": "application_id,stage,entered_at\n" + "\n".join(
    f"{a},{s},{t}" for a, s, t in (
    ("101", "Application Review", "2026-05-01T14:00:00Z"), ("101", "Hiring Manager Review", "2026-05-03T20:00:00Z"),
    ("101", "Onsite", "2026-05-06T15:00:00Z"), ("101", "hired", "2026-05-20T16:00:00Z"),
    ("102", "Hiring Manager Review", "2026-05-05T03:00:00Z"), ("102", "rejected", "2026-05-07T12:00:00Z"),
    ("201", "Application Review", "2026-05-04T09:00:00Z"),
    ("201", "Hiring Manager Review", "2026-05-08T17:00:00Z")))}

EXPECTED = {"n": 2, "median": 3.0, "submitted": 3, "interviewed": 1, "hired": 1}


def _template_db(make_db):
    """The same history loaded from the import template, to compare a vendor shape with."""
    con = make_db(SETTINGS, BASE)
    make_db.load(con, TEMPLATE_EVENTS, client="Acme")
    return con


def _summary(con) -> dict:
    return run_summary(con, date_from=D("2026-05-01"), date_to=D("2026-05-31"), as_of="2026-06-30")


def _numbers(con) -> dict:
    s = run_summary(con, as_of="2026-06-30")
    return {"n": s["time_to_submit"]["n"], "median": s["time_to_submit"]["median"],
            **{k: s["interview_conversion"][k] for k in ("submitted", "interviewed", "hired")}}


def test_greenhouse_interval_table_loads_as_stage_events_with_the_hand_worked_numbers(make_db):
    con = make_db(SETTINGS, BASE)
    folder = make_db.folder()
    (path,) = write_tables(folder, {"application_stages.csv": INTERVALS})
    (report,) = ingest_file(con, path, client="Acme")
    assert report.format == "Greenhouse application_stages (interval table)" and report.kind == "stage_events"
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (8, 8, 0)
    assert _numbers(con) == EXPECTED
    # The stage id is kept as provenance; the exited time is stored.
    row = con.execute("SELECT extra, exited_at FROM stage_events WHERE application_id = '101' "
                      "AND raw_stage = 'Onsite'").fetchall()[0]
    assert row[0] == '{"stage_id":"13"}' and str(row[1]) == "2026-05-20 16:00:00"


def test_greenhouse_interval_duplicates_and_empty_entered_on_are_rejected_naming_its_columns(make_db):
    con = make_db(SETTINGS, BASE)
    text = INTERVALS + "    101,13,Onsite,2026-05-06 15:00:00.000,2026-05-20 16:00:00.000\n    201,13,Onsite,,\n"
    (path,) = write_tables(make_db.folder(), {"application_stages.csv": text})
    (report,) = ingest_file(con, path, client="Acme")
    assert (report.rows_loaded, report.rows_rejected) == (8, 2)
    rejected = con.execute('SELECT "row", "column", reason FROM rejected_rows ORDER BY "row"').fetchall()
    assert rejected[0][:2] == (10, "application_id") and "stage_name + entered_on" in rejected[0][2]
    assert rejected[1] == (11, "entered_on", "required value is empty")
    assert _numbers(con) == EXPECTED   # nothing counted twice


def test_greenhouse_event_log_names_stages_from_job_stage_and_ends_on_the_terminal_status(make_db):
    con = make_db(SETTINGS, BASE)
    paths = write_tables(make_db.folder(), {"application_history.csv": HISTORY, "job_stage.csv": JOB_STAGE})
    history, job_stage = (ingest_file(con, p, client="Acme") for p in paths)
    (h,) = history
    assert h.format == "Greenhouse application_history (event log)" and h.rows_loaded == 8
    assert job_stage[0].skipped and "not loaded on its own" in job_stage[0].skipped
    assert _numbers(con) == EXPECTED
    words = con.execute("SELECT raw_stage, stage FROM stage_events WHERE application_id = '101' "
                        "ORDER BY entered_at").fetchall()
    assert words == [("Application Review", "applied"), ("Hiring Manager Review", "submitted"),
                     ("Onsite", "interviewed"), ("hired", "hired")]


def test_greenhouse_event_log_without_its_stage_names_is_refused_and_nothing_loads(make_db):
    con = make_db(SETTINGS, BASE)
    (path,) = write_tables(make_db.folder(), {"application_history.csv": HISTORY})
    with pytest.raises(LoadError, match="job_stage"):
        ingest_file(con, path, client="Acme")
    assert con.execute("SELECT count(*) FROM stage_events").fetchall() == [(0,)]


def test_another_ats_loads_through_the_clients_saved_column_mapping(make_db, tmp_path):
    con = make_db(SETTINGS, BASE)
    (path,) = write_tables(make_db.folder(), {"status_changes.csv": OTHER_LOG})
    (tmp_path / "acme_mapping.toml").write_text(MAPPING, encoding="utf-8")
    mapping = read_mapping(tmp_path / "acme_mapping.toml", TEMPLATE, normalise_header)
    (report,) = ingest_file(con, path, client="Acme", fmt="mapped", mapping=mapping)
    assert report.format == "mapped stage_events (acme_mapping.toml)" and report.rows_loaded == 8
    assert _numbers(con) == EXPECTED
    # Columns the mapping does not name are kept as provenance.
    assert con.execute("SELECT extra FROM stage_events WHERE entered_at = '2026-05-01 14:00:00'"
                       ).fetchall() == [('{"sub_status":"x"}',)]


@pytest.mark.parametrize("mapping, message", [
    ('kind = "stages"\n', "`kind`"),
    ('kind = "stage_events"\n[columns]\napplication_id = "A"\nstage = "S"\n', "entered_at"),
    ('kind = "stage_events"\n[columns]\napplication_id = "A"\nstage = "S"\nentered_at = "E"\nwhen = "W"\n',
     "not stage_events columns"),
    ('kind = "stage_events\n', "not valid TOML"),
])
def test_a_mapping_that_cannot_be_used_is_refused_saying_why(tmp_path, mapping, message):
    path = tmp_path / "m.toml"
    path.write_text(mapping, encoding="utf-8")
    with pytest.raises(ShapeError, match=message):
        read_mapping(path, TEMPLATE, normalise_header)


@pytest.mark.parametrize("header", ['Status "now"', 'C:\\exports\\Status', "Étape – d’entrée 状態", "Status\nnow",
                                    "it's \"quoted\" \\ and\ttabbed"])
def test_a_mapping_saved_by_the_upload_page_reads_back_whatever_its_headers_hold(tmp_path, header):
    # The Upload page wrote `name = "{header}"`: a quote or a backslash in a header made invalid TOML.
    columns = {"application_id": "Application ID", "stage": header, "entered_at": "Changed On"}
    path = tmp_path / "m.toml"
    path.write_text(mapping_toml("stage_events", columns), encoding="utf-8")
    assert tomllib.loads(path.read_text(encoding="utf-8")) == {"kind": "stage_events", "columns": columns}
    mapping = read_mapping(path, TEMPLATE, normalise_header)
    assert (mapping.kind, mapping.columns) == ("stage_events", {k: normalise_header(v) for k, v in columns.items()})


def test_an_export_whose_header_holds_quotes_and_a_backslash_loads_through_its_saved_mapping(make_db, tmp_path):
    con = make_db(SETTINGS, BASE)
    header = 'Status "as of" C:\\today'
    log = OTHER_LOG.replace("Status,", '"' + header.replace('"', '""') + '",', 1)
    (path,) = write_tables(make_db.folder(), {"status_changes.csv": log})
    (tmp_path / "m.toml").write_text(mapping_toml("stage_events", {
        "application_id": "Application ID", "stage": header, "entered_at": "Changed On"}), encoding="utf-8")
    (report,) = ingest_file(con, path, client="Acme", fmt="mapped",
                            mapping=read_mapping(tmp_path / "m.toml", TEMPLATE, normalise_header))
    assert report.rows_loaded == 8 and _numbers(con) == EXPECTED


def test_a_mapping_naming_a_column_the_export_lacks_is_refused(make_db, tmp_path):
    con = make_db(SETTINGS, BASE)
    (path,) = write_tables(make_db.folder(), {"status_changes.csv": OTHER_LOG.replace("Changed On", "When")})
    (tmp_path / "m.toml").write_text(MAPPING, encoding="utf-8")
    with pytest.raises(LoadError, match="changed_on"):
        ingest_file(con, path, client="Acme", fmt="mapped",
                    mapping=read_mapping(tmp_path / "m.toml", TEMPLATE, normalise_header))


def _tracker_log() -> bytes:
    """The same history as a recruiter's submittal log (tests/test_tracker.py): date-time cells are
    UTC instants; 102's outcome has its own date, 101's "Hired" is dated by its start date."""
    import datetime as dt
    import io

    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Submittal log"
    ws.append(["Acme submittals, May 2026"])
    ws.append(["Req #", "Submittal ID", "Candidate", "Date Submitted", "Interview Date", "Start Date", "Outcome",
               "Outcome Date"])
    ws.append(["R1", 101, "Ann", dt.datetime(2026, 5, 3, 20), dt.datetime(2026, 5, 6, 15), dt.datetime(2026, 5, 20, 16),
               "Hired", None])
    ws.append(["R1", 102, "Bo", dt.datetime(2026, 5, 5, 3), None, None, "rejected", dt.datetime(2026, 5, 7, 12)])
    ws.append(["R2", 201, "Cy", dt.datetime(2026, 5, 8, 17), None, None, None, None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# Another ATS's interval table (Ashby-like headers: one row per application x stage, the time it
# left the stage empty while it is still there) and its saved mapping.
OTHER_INTERVALS = """
    Application,title,enteredStageAt,leftStageAt
    101,Application Review,2026-05-01T14:00:00Z,2026-05-03T20:00:00Z
    101,Hiring Manager Review,2026-05-03T20:00:00Z,2026-05-06T15:00:00Z
    101,Onsite,2026-05-06T15:00:00Z,2026-05-20T16:00:00Z
    101,Hired,2026-05-20T16:00:00Z,
    102,Hiring Manager Review,2026-05-05T03:00:00Z,2026-05-07T12:00:00Z
    102,Rejected,2026-05-07T12:00:00Z,
    201,Application Review,2026-05-04T09:00:00Z,2026-05-08T17:00:00Z
    201,Hiring Manager Review,2026-05-08T17:00:00Z,
"""
INTERVAL_MAPPING = '''kind = "stage_events"
[columns]
application_id = "Application"
stage = "title"
entered_at = "enteredStageAt"
exited_at = "leftStageAt"
'''


def test_every_shape_gives_the_same_summary_as_the_template(make_db, tmp_path):
    template = TEMPLATE_EVENTS
    (tmp_path / "m.toml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "intervals.toml").write_text(INTERVAL_MAPPING, encoding="utf-8")
    mapping = read_mapping(tmp_path / "m.toml", TEMPLATE, normalise_header)
    intervals = read_mapping(tmp_path / "intervals.toml", TEMPLATE, normalise_header)
    summaries = []
    for files, kwargs in ((template, {}), ({"application_stages.csv": INTERVALS}, {}),
                          ({"application_history.csv": HISTORY, "job_stage.csv": JOB_STAGE}, {}),
                          ({"status_changes.csv": OTHER_LOG}, {"fmt": "mapped", "mapping": mapping}),
                          ({"stage_intervals.csv": OTHER_INTERVALS}, {"fmt": "mapped", "mapping": intervals}),
                          ({"tracker.xlsx": _tracker_log()}, {})):
        con = make_db(SETTINGS, BASE)
        for path in write_tables(make_db.folder(), files):
            ingest_file(con, path, client="Acme", **kwargs)
        summaries.append(_summary(con))
        assert _numbers(con) == EXPECTED, files
    assert all(s == summaries[0] for s in summaries[1:])
    assert summaries[0]["time_to_submit"]["median"] == 3.0


def test_auto_detection_says_what_it_could_not_recognise_and_which_format_to_pass(make_db):
    con = make_db(SETTINGS, BASE)
    (path,) = write_tables(make_db.folder(), {"export.csv": "Job,Candidate Stage,When\nJ1,New,2026-05-01\n"})
    with pytest.raises(LoadError, match="--format mapped --mapping FILE"):
        ingest_file(con, path, client="Acme")
    # A Greenhouse file asked for as the template is not guessed at.
    (path,) = write_tables(make_db.folder(), {"application_stages.csv": INTERVALS})
    with pytest.raises(LoadError, match="cannot tell what this file is"):
        ingest_file(con, path, client="Acme", fmt="template")


@pytest.mark.slow
def test_command_line_loads_a_mapped_export_and_names_the_shape_it_read(tmp_path):
    db = tmp_path / "cli.duckdb"
    (tmp_path / "acme.toml").write_text(SETTINGS, encoding="utf-8")
    (tmp_path / "m.toml").write_text(MAPPING, encoding="utf-8")
    folder = tmp_path / "export"
    write_tables(folder, {**BASE, "status_changes.csv": OTHER_LOG})

    def run(*args):
        return subprocess.run([sys.executable, "-m", "loaders", "--db", str(db), *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    assert run("client", str(tmp_path / "acme.toml")).returncode == 0
    base = run("ingest", str(folder / "requisitions.csv"), str(folder / "applications.csv"), "--client", "Acme")
    assert base.returncode == 0, base.stderr
    out = run("ingest", str(folder / "status_changes.csv"), "--client", "Acme", "--mapping", str(tmp_path / "m.toml"))
    assert out.returncode == 0, out.stderr
    assert "stage_events (read as mapped stage_events (m.toml)): read 8, loaded 8, rejected 0" in out.stdout
    # A tracker is a workbook: a CSV file asked for as one is refused, saying what it could not find.
    (folder / "tracker.csv").write_text("Req #,Date Opened\n1042,2026-05-04\n", encoding="utf-8")
    bad = run("ingest", str(folder / "tracker.csv"), "--client", "Acme", "--format", "tracker")
    assert bad.returncode == 1 and "tracker.csv: --format tracker reads" in bad.stdout


# -- Lever (JSON) ------------------------------------------------------------------------------

def _ms(text: str) -> int:
    import datetime as dt
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc).timestamp() * 1000)


HM, ONSITE = "0b9a1c2e-hm", "7f3d9e4a-onsite"
LEVER = {
    "postings.json": {"data": [
        {"id": "R1", "text": "Engineer", "categories": {"department": "Eng", "team": "Platform"},
         "hiringManager": "hm-1", "owner": "rec-1", "state": "published", "createdAt": _ms("2026-05-01T15:00:00")},
        {"id": "R2", "text": "Analyst", "categories": {"team": "Eng"}, "state": "published",
         "createdAt": _ms("2026-05-04T15:00:00")}], "hasNext": False},
    "stages.json": [{"id": "applicant-new", "text": "Application Review"}, {"id": HM, "text": "Hiring Manager Review"},
                    {"id": ONSITE, "text": "Onsite"}],
    "archive_reasons.json": [{"id": "hired-1", "text": "Hired"}, {"id": "nofit-1", "text": "Not a fit"}],
    "applications.json": [{"id": "a1", "opportunityId": "101", "posting": "R1"},
                          {"id": "a2", "opportunityId": "102", "posting": "R1"},
                          {"id": "a3", "opportunityId": "201", "posting": "R2"}],
    "opportunities.json": [
        {"id": "101", "contact": "c1", "origin": "applied", "createdAt": _ms("2026-05-01T14:00:00"), "applications": ["a1"],
         "stageChanges": [{"toStageId": "applicant-new", "updatedAt": _ms("2026-05-01T14:00:00")},
                          {"toStageId": HM, "updatedAt": _ms("2026-05-03T20:00:00")},
                          {"toStageId": ONSITE, "updatedAt": _ms("2026-05-06T15:00:00")},
                          # back to the manager's review and on again: the first entries count
                          {"toStageId": HM, "updatedAt": _ms("2026-05-07T15:00:00")},
                          {"toStageId": ONSITE, "updatedAt": _ms("2026-05-08T15:00:00")}],
         "archived": {"reason": "hired-1", "archivedAt": _ms("2026-05-20T16:00:00")}},
        {"id": "102", "contact": "c2", "origin": "sourced", "applications": ["a2"],
         "stageChanges": [{"toStageId": HM, "updatedAt": _ms("2026-05-05T03:00:00")}],
         "archived": {"reason": "nofit-1", "archivedAt": _ms("2026-05-07T12:00:00")}},
        {"id": "201", "contact": "c3", "origin": "referred", "applications": ["a3"], "archived": None,
         "stageChanges": [{"toStageId": "applicant-new", "updatedAt": _ms("2026-05-04T09:00:00")},
                          {"toStageId": HM, "updatedAt": _ms("2026-05-08T17:00:00")}]},
    ],
}
LEVER_SETTINGS = SETTINGS + '"Not a fit" = "rejected"\n'


def _write_json(folder: Path, files: dict) -> list[Path]:
    import json
    folder.mkdir(parents=True, exist_ok=True)
    for name, doc in files.items():
        (folder / name).write_text(json.dumps(doc), encoding="utf-8")
    return [folder / name for name in files]


def test_lever_export_folder_loads_postings_opportunities_and_their_stage_changes(make_db):
    con = make_db(LEVER_SETTINGS)
    folder = make_db.folder()
    _write_json(folder, LEVER)
    reports = ingest(con, [folder], client="Acme")
    by_kind = {(r.format, r.kind): r for r in reports}
    assert by_kind[("Lever postings", "requisitions")].rows_loaded == 2
    assert by_kind[("Lever opportunities", "applications")].rows_loaded == 3
    assert by_kind[("Lever opportunities", "stage_events")].rows_loaded == 10   # 8 changes, 2 archivings
    assert [r.skipped for r in reports if r.skipped and "stages" in r.skipped]
    assert _numbers(con) == EXPECTED
    # ...and the very summary the template gives for the same history.
    assert _summary(con) == _summary(_template_db(make_db))
    # The archive reason is the outcome, through the dictionary; the team stands in for a missing department.
    assert con.execute("SELECT raw_stage, stage FROM stage_events WHERE application_id = '102' ORDER BY entered_at"
                       ).fetchall() == [("Hiring Manager Review", "submitted"), ("Not a fit", "rejected")]
    assert con.execute("SELECT department FROM requisitions WHERE requisition_id = 'R2'").fetchall() == [("Eng",)]


def test_a_closed_lever_posting_ends_at_its_last_update_and_stops_awaiting_a_submittal(make_db):
    # Lever's posting object has `state` (published, internal, closed, ...) and `updatedAt`, and no
    # close date (hire.lever.co/developer/documentation, "Postings"). R3 was closed with no candidate.
    postings = LEVER["postings.json"]["data"] + [
        {"id": "R3", "text": "Designer", "categories": {"department": "Eng"}, "state": "closed",
         "createdAt": _ms("2026-05-02T15:00:00"), "updatedAt": _ms("2026-05-25T18:00:00")}]
    con = make_db(LEVER_SETTINGS)
    folder = make_db.folder()
    _write_json(folder, {**LEVER, "postings.json": {"data": postings, "hasNext": False}})
    ingest(con, [folder], client="Acme")
    assert con.execute("SELECT requisition_id, closed_on FROM requisitions ORDER BY 1").fetchall() == [
        ("R1", None), ("R2", None), ("R3", D("2026-05-25"))]
    # Before its close it awaited a first submittal; after it, it no longer does. R2's first
    # submittal is on 05-08 (its manager's review), R1's on 05-03.
    assert run_summary(con, as_of="2026-05-20")["time_to_submit"]["awaiting_first_submittal"] == 1
    assert run_summary(con, as_of="2026-06-30")["time_to_submit"]["awaiting_first_submittal"] == 0


def test_lever_archive_reason_missing_from_the_dictionary_is_loaded_unmapped_and_reported(make_db):
    con = make_db(SETTINGS)
    folder = make_db.folder()
    _write_json(folder, LEVER)
    reports = ingest(con, [folder], client="Acme")
    events = next(r for r in reports if r.kind == "stage_events")
    assert events.unmapped == [("Not a fit", 1)]


def test_lever_malformed_json_is_refused_saying_where(make_db):
    con = make_db(SETTINGS)
    folder = make_db.folder()
    folder.mkdir(parents=True)
    (folder / "opportunities.json").write_text('[{"id": "101", "stageChanges": [}]', encoding="utf-8")
    with pytest.raises(LoadError, match=r"opportunities.json: not valid JSON at line 1, column 33"):
        ingest_file(con, folder / "opportunities.json", client="Acme", fmt="lever")
    assert con.execute("SELECT count(*) FROM stage_events").fetchall() == [(0,)]


# -- Greenhouse Harvest v1 (JSON) ----------------------------------------------------------------

HARVEST = {
    "jobs.json": [
        {"id": "R1", "name": "Engineer", "requisition_id": "ENG-7", "status": "open",
         "created_at": "2026-04-20T10:00:00.000Z", "opened_at": "2026-05-01", "closed_at": None,
         "departments": [{"id": 1, "name": "Eng", "parent_id": None}],
         "hiring_team": {"hiring_managers": [{"id": 9, "first_name": "Ada", "last_name": "King"}],
                         "recruiters": [{"id": 8, "name": "Rex Ruiz"}]},
         # the opening filled later is not the requisition's start
         "openings": [{"id": 5, "opening_id": "1", "status": "closed", "opened_at": "2026-05-01",
                       "closed_at": "2026-05-20", "application_id": "101", "close_reason": "Hired"}]},
        {"id": "R2", "name": "Analyst", "requisition_id": None, "status": "open", "created_at": "2026-05-04",
         "opened_at": None, "closed_at": None, "departments": [{"id": 1, "name": "Eng"}],
         "hiring_team": {"hiring_managers": [], "recruiters": []}, "openings": []},
    ],
    "applications.json": [
        {"id": "101", "candidate_id": "c1", "prospect": False, "applied_at": "2026-05-01T14:00:00.000Z",
         "status": "hired", "current_stage": {"id": 14, "name": "Offer"}, "jobs": [{"id": "R1", "name": "Engineer"}],
         "source": {"id": 3, "public_name": "LinkedIn"}},
        {"id": "102", "candidate_id": "c2", "prospect": False, "applied_at": "2026-05-04T10:00:00Z",
         "status": "rejected", "current_stage": None, "jobs": [{"id": "R1", "name": "Engineer"}], "source": None},
        {"id": "201", "candidate_id": "c3", "prospect": False, "applied_at": "2026-05-04T09:00:00Z",
         "status": "in_process", "current_stage": {"id": 12, "name": "Hiring Manager Review"},
         "jobs": [{"id": "R2", "name": "Analyst"}], "source": {"public_name": "Referral"}},
        {"id": "900", "candidate_id": "c9", "prospect": True, "applied_at": None, "status": "active",
         "current_stage": None, "jobs": [], "source": None},
    ],
}


def test_greenhouse_harvest_jobs_and_applications_load_as_a_snapshot_and_say_what_it_limits(make_db):
    con = make_db(SETTINGS)
    folder = make_db.folder()
    _write_json(folder, HARVEST)
    reports = ingest(con, [folder], client="Acme")
    jobs, apps, outcomes = reports   # (a run loads the jobs first)
    assert (jobs.format, jobs.rows_loaded, apps.format, apps.rows_loaded) == (
        "Greenhouse Harvest jobs", 2, "Greenhouse Harvest applications", 3)
    assert apps.notes[0] == "1 prospect(s) skipped: not applications to a requisition"
    assert "no stage history" in apps.notes[1]
    # The outcomes the snapshot carries: 101's hire at its filled opening's close; 102 was rejected
    # on a day the file does not say (no rejected_at, no last_activity_at), which is said, not guessed.
    assert (outcomes.kind, outcomes.rows_loaded, outcomes.rows_rejected) == ("stage_events", 1, 1)
    assert outcomes.rejected_sample[0][1:] == (
        "status", "status is rejected, but it has no rejected_at and no last_activity_at: no date")
    reqs = con.execute("SELECT requisition_id, department, hiring_manager, recruiter, opened_on, openings, extra "
                       "FROM requisitions ORDER BY 1").fetchall()
    assert [r[:6] for r in reqs] == [("R1", "Eng", "Ada King", "Rex Ruiz", D("2026-05-01"), 1),
                                     ("R2", "Eng", None, None, D("2026-05-04"), None)]
    assert reqs[0][6] == '{"requisition_code":"ENG-7"}'
    assert con.execute("SELECT application_id, status, source FROM applications ORDER BY 1").fetchall() == [
        ("101", "hired", "LinkedIn"), ("102", "rejected", None), ("201", "active", "Referral")]


def test_a_greenhouse_job_credits_its_responsible_recruiter_not_the_first_listed(make_db):
    # Harvest's GET jobs response lists every recruiter on the hiring team, each with `responsible`
    # (developers.greenhouse.io/harvest.html, "GET: Retrieve Job": hiring_team.recruiters[].responsible).
    jobs = [dict(HARVEST["jobs.json"][0], hiring_team={
        "hiring_managers": [{"id": 9, "first_name": "Ada", "last_name": "King", "name": "Ada King"}],
        "recruiters": [{"id": 8, "first_name": "Rex", "last_name": "Ruiz", "name": "Rex Ruiz", "responsible": False},
                       {"id": 6, "first_name": "Una", "last_name": "Ode", "name": "Una Ode", "responsible": True}]})]
    con = make_db(SETTINGS)
    folder = make_db.folder()
    _write_json(folder, {"jobs.json": jobs})
    ingest(con, [folder], client="Acme")
    assert con.execute("SELECT recruiter FROM requisitions").fetchall() == [("Una Ode",)]


def test_a_greenhouse_export_folder_with_its_stage_history_gives_the_templates_summary(make_db):
    con = make_db(SETTINGS)
    folder = make_db.folder()
    _write_json(folder, HARVEST)
    write_tables(folder, {"application_stages.csv": INTERVALS})
    ingest(con, [folder], client="Acme")
    assert _summary(con) == _summary(_template_db(make_db))
    assert _numbers(con) == EXPECTED


# -- Bullhorn (REST JSON) ------------------------------------------------------------------------

def _page(objects: list) -> dict:
    return {"total": len(objects), "start": 0, "count": len(objects), "data": objects}


BULLHORN = {
    "JobOrder.json": _page([
        {"id": "R1", "title": "Engineer", "status": "Accepting Candidates", "isOpen": True, "numOpenings": 1,
         "dateAdded": _ms("2026-05-01T15:00:00"), "dateClosed": None, "clientCorporation": {"id": 7, "name": "Acme"},
         "clientContact": {"id": 3, "firstName": "Ada", "lastName": "King"}, "owner": {"id": 2, "firstName": "Rex",
                                                                                       "lastName": "Ruiz"}},
        {"id": "R2", "title": "Analyst", "isOpen": True, "numOpenings": 2, "dateAdded": _ms("2026-05-04T15:00:00"),
         "clientCorporation": {"id": 7, "name": "Acme"}, "department": "Eng"}]),
    "JobSubmission.json": _page([
        {"id": "101", "candidate": {"id": 1}, "jobOrder": {"id": "R1"}, "status": "Placed", "source": "Web",
         "dateAdded": _ms("2026-05-03T20:00:00"), "dateWebResponse": _ms("2026-05-01T14:00:00")},
        {"id": "102", "candidate": {"id": 2}, "jobOrder": {"id": "R1"}, "status": "Client Rejected",
         "dateAdded": _ms("2026-05-05T03:00:00")},
        # promoted from a web response on 05-08: Bullhorn reset dateAdded, the history keeps the truth
        {"id": "201", "candidate": {"id": 3}, "jobOrder": {"id": "R2"}, "status": "Client Submission",
         "dateAdded": _ms("2026-05-08T17:00:00"), "dateWebResponse": _ms("2026-05-04T09:00:00")}]),
    "JobSubmissionHistory.json": _page([
        {"id": 1, "jobSubmission": {"id": "101"}, "status": "New Lead", "dateAdded": _ms("2026-05-01T14:00:00")},
        {"id": 2, "jobSubmission": {"id": "101"}, "status": "Client Submission", "dateAdded": _ms("2026-05-03T20:00:00")},
        {"id": 3, "jobSubmission": {"id": "102"}, "status": "Client Submission", "dateAdded": _ms("2026-05-05T03:00:00")},
        {"id": 4, "jobSubmission": {"id": "102"}, "status": "Client Rejected", "dateAdded": _ms("2026-05-07T12:00:00")},
        {"id": 5, "jobSubmission": {"id": "201"}, "status": "New Lead", "dateAdded": _ms("2026-05-04T09:00:00")},
        {"id": 6, "jobSubmission": {"id": "201"}, "status": "Client Submission", "dateAdded": _ms("2026-05-08T17:00:00")}]),
    "Appointment.json": _page([
        {"id": 1, "type": "Interview", "dateBegin": _ms("2026-05-06T15:00:00"), "jobOrder": {"id": "R1"},
         "candidateReference": {"id": 1}},
        {"id": 2, "type": "Meeting", "dateBegin": _ms("2026-05-06T15:00:00"), "jobOrder": {"id": "R1"},
         "candidateReference": {"id": 1}}]),
    "Placement.json": _page([{"id": 1, "jobSubmission": {"id": "101"}, "dateAdded": _ms("2026-05-20T16:00:00"),
                              "status": "Approved"}]),
}
# A placement counts as a hire only with a status the dictionary maps to hired.
BULLHORN_SETTINGS = SETTINGS + '"Client Submission" = "submitted"\n"Client Rejected" = "rejected"\n"Placement: Approved" = "hired"\n'


def test_bullhorn_export_takes_the_submittal_from_the_status_history_not_the_reset_date_added(make_db):
    con = make_db(BULLHORN_SETTINGS)
    folder = make_db.folder()
    _write_json(folder, BULLHORN)
    reports = {r.format: r for r in ingest(con, [folder], client="Acme")}
    assert reports["Bullhorn JobOrder"].rows_loaded == 2
    assert reports["Bullhorn JobSubmission"].rows_loaded == 3
    assert reports["Bullhorn JobSubmissionHistory"].rows_loaded == 6
    assert reports["Bullhorn JobSubmissionHistory"].unmapped == [("New Lead", 2)]   # not a submittal
    assert reports["Bullhorn Appointment"].notes == [
        "1 of the file's 2 rows is an appointment of type 'Meeting', not Interview: not read, as only interviews "
        "are stage events (the rows read are the file's 1 interview)"]
    assert _numbers(con) == EXPECTED
    assert _summary(con) == _summary(_template_db(make_db))
    # A job order has no department: the export's own when present, else the client corporation.
    assert con.execute("SELECT requisition_id, department, hiring_manager, recruiter FROM requisitions ORDER BY 1"
                       ).fetchall() == [("R1", "Acme", "Ada King", "Rex Ruiz"), ("R2", "Eng", None, None)]


# The same export in Bullhorn's DataLoader CSV flavour: dotted headers, US short dates (no zone:
# UTC; a date at 00:00 is a bare date), padded cells, submissions known by job order and candidate.
DATALOADER = {
    "JobOrder.csv": """
        externalID,title,status,isOpen,numOpenings,dateAdded,clientCorporation.externalID,clientCorporation.name,clientContact.firstName,clientContact.lastName,owner.name,department
        R1,Engineer,Accepting Candidates,TRUE,1,5/1/26 15:00,cc-7,Acme,Ada,King,Rex Ruiz,
        R2,Analyst,Accepting Candidates,TRUE,2,5/4/26 00:00,cc-7,Acme,,,,Eng
    """,
    "JobSubmission.csv": """
        candidate.externalID,jobOrder.externalID,status   ,source,dateAdded    ,dateWebResponse,sendingUser.name
        1                   ,R1                 ,Placed   ,Web   ,5/3/26 20:00 ,5/1/26 14:00   ,Rex Ruiz
        2                   ,R1                 ,Client Rejected,,5/5/26 3:00,,Rex Ruiz
        3                   ,R2                 ,Client Submission,,5/8/26 17:00,5/4/26 9:00,
    """,
    "JobSubmissionHistory.csv": """
        jobSubmission.externalID,status,dateAdded,modifyingUser.name
        R1/1,New Lead,05/01/2026 14:00,Web
        R1/1,Client Submission,05/03/2026 20:00,Rex Ruiz
        R1/2,Client Submission,05/05/2026 03:00,Rex Ruiz
        R1/2,Client Rejected,05/07/2026 12:00,Ada King
        R2/3,New Lead,05/04/2026 09:00,Web
        R2/3,Client Submission,05/08/2026 17:00,Rex Ruiz
    """,
    "Placement.csv": """
        candidate.externalID,jobOrder.externalID,dateAdded,dateBegin,status
        1,R1,5/20/26 16:00,6/1/26 00:00,Approved
    """,
    "Appointment.csv": """
        externalID,candidateReference.externalID,jobOrder.externalID,type,dateBegin,subject
        ap-1,1,R1,Interview,5/6/26 15:00,Onsite
        ap-2,1,R1,Meeting,5/6/26 15:00,Debrief
    """,
}


def test_bullhorn_dataloader_csv_gives_the_same_numbers_as_the_rest_export(make_db):
    con = make_db(BULLHORN_SETTINGS)
    folder = make_db.folder()
    write_tables(folder, DATALOADER)
    reports = {r.format: r for r in ingest(con, [folder], client="Acme")}
    assert set(reports) == {"Bullhorn DataLoader JobOrder", "Bullhorn DataLoader JobSubmission",
                            "Bullhorn DataLoader JobSubmissionHistory", "Bullhorn DataLoader Placement",
                            "Bullhorn DataLoader Appointment"}
    assert all(r.error is None and r.rows_rejected == 0 for r in reports.values()), reports
    assert reports["Bullhorn DataLoader JobSubmissionHistory"].unmapped == [("New Lead", 2)]
    assert _numbers(con) == EXPECTED
    assert _summary(con) == _summary(_template_db(make_db))
    # Submissions without an id are known by job order and candidate; a date at 00:00 is that day.
    assert con.execute("SELECT application_id FROM applications ORDER BY 1").fetchall() == [
        ("R1/1",), ("R1/2",), ("R2/3",)]
    assert con.execute("SELECT requisition_id, opened_on, department, hiring_manager FROM requisitions ORDER BY 1"
                       ).fetchall() == [("R1", D("2026-05-01"), "Acme", "Ada King"), ("R2", D("2026-05-04"), "Eng", None)]


def test_bullhorn_dataloader_date_that_cannot_be_read_is_rejected_naming_row_and_column(make_db):
    con = make_db(BULLHORN_SETTINGS)
    folder = make_db.folder()
    write_tables(folder, {"JobOrder.csv": DATALOADER["JobOrder.csv"].replace("5/4/26 00:00", "5/44/26")})
    (rep,) = ingest(con, [folder], client="Acme")
    assert rep.format == "Bullhorn DataLoader JobOrder" and (rep.rows_loaded, rep.rows_rejected) == (1, 1)
    row, column, reason = rep.rejected_sample[0]
    assert (row, column) == (3, "dateAdded") and "5/44/26" in reason


def test_bullhorn_job_orders_of_another_known_client_are_refused_and_an_unknown_corporation_is_rejected(make_db):
    con = make_db(BULLHORN_SETTINGS)
    save_client(con, parse_settings('name = "Globex UK"'))
    folder = make_db.folder()
    theirs = DATALOADER["JobOrder.csv"].replace("cc-7,Acme", "cc-9,Globex UK")
    write_tables(folder, {"JobOrder.csv": theirs})
    (rep,) = ingest(con, [folder], client="Acme")
    assert "export of 'Globex UK', not of 'Acme' (--client)" in rep.error
    assert con.execute("SELECT count(*) FROM requisitions").fetchall() == [(0,)]
    # A corporation that is no client here is not merged into --client: its rows are rejected, named,
    # until the client's settings name it among its ATS companies.
    write_tables(folder, {"JobOrder.csv": DATALOADER["JobOrder.csv"].replace("cc-7,Acme", "cc-7,Acme Corporation Inc")})
    (rep,) = ingest(con, [folder], client="Acme")
    assert (rep.rows_loaded, rep.rows_rejected) == (0, 2)
    assert "client corporation 'Acme Corporation Inc' (id cc-7) is no client here" in rep.rejected_sample[0][2]
    save_client(con, parse_settings(BULLHORN_SETTINGS.replace('[stages]', 'ats_companies = ["cc-7"]\n[stages]')))
    write_tables(folder, {"JobOrder.csv": DATALOADER["JobOrder.csv"].replace("cc-7,Acme", "cc-7,Acme Corporation Inc ")})
    (rep,) = ingest(con, [folder], client="Acme")
    assert (rep.rows_loaded, rep.rows_rejected) == (2, 0)


def test_a_file_over_a_size_limit_given_is_refused_and_nothing_loads(make_db):
    con = make_db(SETTINGS, BASE)
    (path,) = write_tables(make_db.folder(), {"application_stages.csv": INTERVALS})
    with pytest.raises(LoadError, match="over the 0.0001 MB limit"):
        ingest_file(con, path, client="Acme", max_mb=0.0001)
    assert con.execute("SELECT count(*) FROM stage_events").fetchall() == [(0,)]
    assert ingest_file(con, path, client="Acme")[0].rows_loaded == 8   # by default there is no limit


def test_auto_detection_names_the_shape_of_every_fixture_by_content(make_db):
    # Every fixture above, in one folder each, loaded with --format auto: each file's report names
    # the shape it was recognised as (the tracker's fixtures are checked in test_tracker.py).
    expected = {
        "template": ({**BASE, **TEMPLATE_EVENTS}, {"template"}),
        "greenhouse intervals": ({"application_stages.csv": INTERVALS},
                                 {"Greenhouse application_stages (interval table)"}),
        "greenhouse history": ({"application_history.csv": HISTORY, "job_stage.csv": JOB_STAGE},
                               {"Greenhouse application_history (event log)", "Greenhouse job_stage (stage names)"}),
        "greenhouse harvest": (HARVEST, {"Greenhouse Harvest jobs", "Greenhouse Harvest applications"}),
        "lever": (LEVER, {f"Lever {n}" for n in ("postings", "opportunities", "applications", "stages",
                                                 "archive_reasons")}),
        "bullhorn": (BULLHORN, {f"Bullhorn {e}" for e in ("JobOrder", "JobSubmission", "JobSubmissionHistory",
                                                          "Placement", "Appointment")}),
        "bullhorn dataloader": (DATALOADER, {f"Bullhorn DataLoader {e}" for e in (
            "JobOrder", "JobSubmission", "JobSubmissionHistory", "Placement", "Appointment")}),
    }
    for name, (files, formats) in expected.items():
        con = make_db(BULLHORN_SETTINGS + '"Not a fit" = "rejected"\n')
        folder = make_db.folder()
        json_files = {k: v for k, v in files.items() if k.endswith(".json")}
        _write_json(folder, json_files)
        write_tables(folder, {k: v for k, v in files.items() if k not in json_files})
        reports = ingest(con, [folder], client="Acme")
        assert not [r.error for r in reports if r.error], name
        assert {r.format for r in reports} == formats, name
