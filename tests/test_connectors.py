"""Exports that come through a data connector (`loaders/connectors.py`): Greenhouse's and Lever's
warehouse tables (Fivetran's schema, CSV or Parquet), Airbyte's and Singer's record streams, and
JSON known by its content. Each fixture under tests/fixtures/ is a small excerpt of the vendors'
published test data (tests/fixtures/README.md); each loads auto-detected from its folder, and a
golden test checks its summary by hand."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from loaders.ingest import LoadError, ingest, ingest_file
from loaders.settings import parse_settings, save_client

from conftest import D, assert_clean, run_summary

FIXTURES = Path(__file__).resolve().parent / "fixtures"

GREENHOUSE_SETTINGS = '''name = "Acme"
[stages]
"Application Review" = "applied"
"Second Screen" = "submitted"
"Post Second Screen" = "interviewed"
'''
LEVER_SETTINGS = '''name = "Acme"
[stages]
"New applicant" = "applied"
"Second Screen" = "submitted"
"Phone screen" = "submitted"
"On-site interview" = "interviewed"
"Offer" = "offered"
"Hired" = "hired"
"Overqualified" = "rejected"
"Underqualified" = "rejected"
'''


def _copy(name: str, tmp_path: Path) -> Path:
    """A fixture folder copied where a test may change it."""
    folder = tmp_path / name
    shutil.copytree(FIXTURES / name, folder)
    return folder


def _numbers(con, as_of: str) -> dict:
    s = run_summary(con, as_of=as_of)
    return {"time_to_submit": (s["time_to_submit"]["n"], s["time_to_submit"]["median"]),
            "conversion": tuple(s["interview_conversion"][k] for k in ("submitted", "interviewed", "offered", "hired")),
            "time_to_fill": (s["time_to_fill"]["n"], s["time_to_fill"]["median"]),
            "hm_feedback": (s["hm_feedback_days"]["n"], s["hm_feedback_days"]["median"])}


def _loaded(reports) -> list:
    """The reports of pieces stored (lookup tables are reported as read with their file)."""
    return [r for r in reports if r.kind]


# -- Greenhouse through a warehouse connector ------------------------------------------------------
# Worked by hand (UTC, calendar days, as of 2026-06-30):
# job 4198678003 "tomato farmer" opens 03-02; 4198806003 "chef" opens 03-04 and is closed with no
#   closed_at: it ends at its updated_at, 04-10. Job 4198835003 is marked deleted: not loaded.
# 25181083003: Second Screen (submitted) 03-05, Post Second Screen (interviewed) 03-09, offer sent
#   03-17, hired 03-20. Its scheduled interview of 03-09 is not loaded: its history covers it.
# 25175892003: submitted 03-06 09:00, rejected 03-08.
# 22694754003 (chef) has no history: its scheduled interview of 03-12 17:00 is its first stage
#   reached, so it counts as submitted then too (a skipped stage counts as passed).
# Time to submit: tomato farmer 03-02 -> 03-05 = 3, chef 03-04 -> 03-12 = 8: median 5.5.
# Conversion: 3 submitted, 2 interviewed, 1 offered, 1 hired. Time to fill: 03-02 -> 03-20 = 18.
# Feedback: 03-05 -> 03-09 = 4 and 03-06 -> 03-08 = 2 (22694754003 has nothing after): median 3.
GREENHOUSE_EXPECTED = {"time_to_submit": (2, 5.5), "conversion": (3, 2, 1, 1), "time_to_fill": (1, 18.0),
                       "hm_feedback": (2, 3.0)}


def test_greenhouse_connector_folder_loads_auto_detected_with_the_hand_worked_numbers(make_db):
    con = make_db(GREENHOUSE_SETTINGS)
    reports = ingest(con, [FIXTURES / "greenhouse_connector"], client="Acme")
    assert_clean(_loaded(reports))
    by_file = {r.file.split("/")[-1]: r for r in _loaded(reports)}
    assert {f: (r.kind, r.rows_loaded) for f, r in by_file.items()} == {
        "job.csv": ("requisitions", 2), "application.csv": ("applications", 3),
        "application_history.csv": ("stage_events", 7), "scheduled_interview.csv": ("stage_events", 1),
        "offer.csv": ("stage_events", 1)}
    lookups = {r.file.split("/")[-1] for r in reports if not r.kind}
    assert lookups == {"department.csv", "hiring_team.csv", "job_application.csv", "job_department.csv",
                       "job_stage.csv", "source.csv", "users.csv"}
    # One wording for every table read only for another (job_stage.csv is recognised as a shape).
    assert all(r.skipped.endswith(": read with the file that needs it, not loaded on its own")
               for r in reports if not r.kind)
    assert _numbers(con, "2026-06-30") == GREENHOUSE_EXPECTED
    # Who is credited: the responsible recruiter, the hiring manager and department by name.
    assert con.execute("SELECT requisition_id, title, department, hiring_manager, recruiter, opened_on, closed_on "
                       "FROM requisitions ORDER BY 1").fetchall() == [
        ("4198678003", "tomato farmer", "Product", "James Brown", "Aretha Franklin", D("2026-03-02"), None),
        ("4198806003", "chef", "Customer Success", "James Brown", "Nina Simone", D("2026-03-04"), D("2026-04-10"))]
    assert con.execute("SELECT application_id, requisition_id, source, status FROM applications ORDER BY 1").fetchall() == [
        ("22694754003", "4198806003", "Referral", "active"), ("25175892003", "4198678003", "LinkedIn", "rejected"),
        ("25181083003", "4198678003", "LinkedIn", "hired")]
    # Deleted rows and prospects are not data, and the report counts them.
    assert "1 row(s) the connector marks deleted skipped: they are no longer data" in by_file["job.csv"].notes
    assert "1 prospect(s) skipped: not applications to a requisition" in by_file["application.csv"].notes
    assert by_file["application.csv"].dropped_columns == ["location_address"]
    assert ("1 scheduled interview not loaded: its application has a stage history (application_history, beside "
            "this file or stored by an earlier load of this client's), which dates its stages"
            in by_file["scheduled_interview.csv"].notes)
    # Loading the same folder again changes nothing.
    again = ingest(con, [FIXTURES / "greenhouse_connector"], client="Acme")
    assert all(r.skipped for r in again)


def _every_value(con) -> str:
    """Every value of every stored table (the audit log and the files' list included), as text."""
    tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()]
    return " ".join(repr(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)


def test_connector_personal_columns_are_dropped_columns_under_the_files_own_headers_and_never_stored(make_db,
                                                                                                    tmp_path):
    # As the import template's and Bullhorn's: listed in the report's dropped columns (the Upload
    # page's "Personal data dropped", files.dropped_columns), not in a note, and no value of theirs
    # is stored, neither in a row nor with a rejected row's raw values.
    gh = _copy("greenhouse_connector", tmp_path)
    app = gh / "application.csv"
    lines = app.read_text().splitlines()
    lines[0] = lines[0].replace("location_address", "LOCATION_ADDRESS")   # as a Snowflake export writes it
    lines = [lines[0]] + [line.replace(",,false,", ",221B Baker Street,false,").replace(
        ",,true,", ",221B Baker Street,true,") for line in lines[1:]]
    lines[2] = lines[2].replace("2026-03-05 13:03:07.684", "soon")   # 25175892003: rejected
    app.write_text("\n".join(lines) + "\n")
    lv = _copy("lever_connector", tmp_path)
    opportunity = lv / "opportunity.csv"
    opportunity.write_text(opportunity.read_text().replace("2026-05-05 03:00:00,true", "soon,true"))   # abby: rejected
    con = make_db(GREENHOUSE_SETTINGS)
    reports = ingest(con, [gh], client="Acme") + ingest(con, [lv], client="Acme")
    assert not [r.error for r in reports if r.error]
    gh_app = next(r for r in reports if r.file.endswith("application.csv") and r.format.startswith("Greenhouse"))
    assert (gh_app.dropped_columns, gh_app.rows_rejected) == (["LOCATION_ADDRESS"], 1)
    lv_opp = {r.kind: r for r in reports if r.file.endswith("opportunity.csv")}
    assert (lv_opp["applications"].dropped_columns, lv_opp["applications"].rows_rejected) == (["name"], 1)
    assert lv_opp["stage_events"].dropped_columns == []   # the file's columns are listed once
    assert not [n for r in reports for n in r.notes if "personal" in n]
    assert sorted(con.execute("SELECT name, dropped_columns FROM files WHERE len(dropped_columns) > 0").fetchall()
                  ) == [("application.csv", ["LOCATION_ADDRESS"]), ("opportunity.csv", ["name"])]
    raw = dict(con.execute("SELECT file_name, raw FROM rejected_rows").fetchall())
    assert "25175892003" in raw["application.csv"] and "343d198c" in raw["opportunity.csv"]   # raw values kept
    everything = _every_value(con)
    assert not [v for v in ("Baker Street", "abby the beagle", "somebody") if v in everything]


def test_greenhouse_connector_reads_parquet_tables_as_it_reads_csv(make_db, tmp_path):
    folder = tmp_path / "parquet"
    folder.mkdir()
    with duckdb.connect() as db:
        for csv_file in sorted((FIXTURES / "greenhouse_connector").glob("*.csv")):
            db.execute(f"COPY (SELECT * FROM read_csv('{csv_file}', all_varchar = true)) "
                       f"TO '{folder / (csv_file.stem + '.parquet')}' (FORMAT parquet)")
    con = make_db(GREENHOUSE_SETTINGS)
    reports = ingest(con, [folder], client="Acme")
    assert_clean(_loaded(reports))
    assert _numbers(con, "2026-06-30") == GREENHOUSE_EXPECTED


def test_greenhouse_application_table_without_job_application_is_refused_naming_the_table(make_db, tmp_path):
    folder = _copy("greenhouse_connector", tmp_path)
    (folder / "job_application.csv").unlink()
    con = make_db(GREENHOUSE_SETTINGS)
    with pytest.raises(LoadError, match=r"application.csv: the Greenhouse connector application table needs the "
                                        r"connector's job_application table beside it"):
        ingest_file(con, folder / "application.csv", client="Acme")
    assert con.execute("SELECT count(*) FROM applications").fetchall() == [(0,)]


def test_a_closed_greenhouse_job_with_a_closed_at_keeps_it(make_db, tmp_path):
    folder = _copy("greenhouse_connector", tmp_path)
    job = folder / "job.csv"
    job.write_text(job.read_text().replace(",,FALSE,2026-03-04 09:00:00", ",2026-03-31 12:00:00,FALSE,2026-03-04 09:00:00"))
    con = make_db(GREENHOUSE_SETTINGS)
    ingest(con, [folder], client="Acme")
    assert con.execute("SELECT closed_on FROM requisitions WHERE title = 'chef'").fetchall() == [(D("2026-03-31"),)]


def test_a_connector_row_that_cannot_be_read_is_rejected_naming_its_file_and_row(make_db, tmp_path):
    folder = _copy("lever_connector", tmp_path)
    history = folder / "opportunity_stage_history.csv"
    history.write_text(history.read_text().replace("2026-05-05 03:00:00.000", "yesterday"))
    con = make_db(LEVER_SETTINGS)
    reports = ingest(con, [folder], client="Acme")
    rep = next(r for r in reports if r.file.endswith("opportunity_stage_history.csv"))
    assert (rep.rows_loaded, rep.rows_rejected) == (7, 1)
    assert con.execute('SELECT file_name, "row", "column" FROM rejected_rows').fetchall() == [
        ("opportunity_stage_history.csv", 7, "updated_at")]


# -- Lever through a warehouse connector -----------------------------------------------------------
# Worked by hand (UTC, as of 2026-06-30): posting "cat groomer" opens 05-01 (its requisition names
# minne riperton as hiring manager), "chef" opens 05-04 and is closed: it ends at updated_at 06-10
# (its hiring manager from its applications, kate bush). The deleted "marine biologist" is skipped.
# f9214712: Second Screen 05-03 20:00, On-site 05-06, back and on again (first entries count),
#   archived "Hired" 05-20. 343d198c: Second Screen 05-05 03:00, archived "Overqualified" 05-07.
# 3e4f0148 (chef): Second Screen 05-08 17:00.
# Time to submit 2 and 4: median 3. 3 submitted, 1 interviewed, 1 hired (offer skipped: passed).
# Time to fill 05-01 -> 05-20 = 19. Feedback 05-03 -> 05-06 = 3, 05-05 -> 05-07 = 2: median 2.5.
LEVER_EXPECTED = {"time_to_submit": (2, 3.0), "conversion": (3, 1, 1, 1), "time_to_fill": (1, 19.0),
                  "hm_feedback": (2, 2.5)}


def test_lever_connector_folder_loads_auto_detected_with_the_hand_worked_numbers(make_db):
    con = make_db(LEVER_SETTINGS)
    reports = ingest(con, [FIXTURES / "lever_connector"], client="Acme")
    assert_clean(_loaded(reports))
    assert sorted((r.file.split("/")[-1], r.kind, r.rows_loaded) for r in _loaded(reports)) == [
        ("opportunity.csv", "applications", 3), ("opportunity.csv", "stage_events", 2),
        ("opportunity_stage_history.csv", "stage_events", 8), ("posting.csv", "requisitions", 2)]
    assert _numbers(con, "2026-06-30") == LEVER_EXPECTED
    assert con.execute("SELECT title, department, hiring_manager, recruiter, closed_on, extra FROM requisitions "
                       "ORDER BY opened_at").fetchall() == [
        ("cat groomer", "Engineering", "minne riperton", "kate bush", None, '{"requisition_code":"2017"}'),
        ("chef", "Sales", "kate bush", "donna summer", D("2026-06-10"), '{"requisition_code":null}')]
    # Stage ids are named by the stage table, archive reasons by archive_reason; the candidate's
    # name column is never stored.
    assert con.execute("SELECT raw_stage, stage FROM stage_events WHERE application_id LIKE '343d198c%' "
                       "ORDER BY entered_at").fetchall() == [("Second Screen", "submitted"), ("Overqualified", "rejected")]
    opportunity = next(r for r in reports if r.file.endswith("opportunity.csv") and r.kind == "applications")
    assert opportunity.dropped_columns == ["name"]


def test_lever_opportunity_table_without_its_application_table_is_refused_naming_it(make_db, tmp_path):
    folder = _copy("lever_connector", tmp_path)
    (folder / "application.csv").unlink()
    con = make_db(LEVER_SETTINGS)
    with pytest.raises(LoadError, match="needs the connector's application table beside it"):
        ingest_file(con, folder / "opportunity.csv", client="Acme")


# -- Record streams (JSON Lines) -----------------------------------------------------------------------
# Airbyte's Greenhouse streams, worked by hand (UTC, as of 2021-01-31): "Test job" opens 2020-11-24;
# application 19215172003 is interviewed 2020-12-01 13:15 and offered 2020-12-05: submitted then
# (passed), interviewed, offered; time to submit 11-24 -> 12-01 = 7. Two prospects are skipped.

def test_airbyte_greenhouse_stream_feeds_the_harvest_loader_and_skips_state_messages(make_db, tmp_path):
    folder = tmp_path / "airbyte"
    folder.mkdir()
    shutil.copy(FIXTURES / "streams" / "airbyte_greenhouse.jsonl", folder)
    con = make_db('name = "Acme"\n')
    reports = ingest(con, [folder], client="Acme")
    assert_clean(reports)
    assert sorted((r.format, r.kind, r.rows_loaded) for r in reports) == [
        ("Airbyte stream applications (Greenhouse Harvest applications)", "applications", 1),
        ("Airbyte stream interviews (Greenhouse Harvest interviews)", "stage_events", 1),
        ("Airbyte stream jobs (Greenhouse Harvest jobs)", "requisitions", 1),
        ("Airbyte stream offers (Greenhouse Harvest offers)", "stage_events", 1)]
    notes = [n for r in reports for n in r.notes]
    assert "2 prospect(s) skipped: not applications to a requisition" in notes
    assert "1 STATE message(s) skipped (not records)" in notes
    assert "stream(s) close_reasons not read: this version takes nothing from them" in notes
    s = run_summary(con, as_of="2021-01-31")
    assert (s["time_to_submit"]["n"], s["time_to_submit"]["median"]) == (1, 7.0)
    assert [s["interview_conversion"][k] for k in ("submitted", "interviewed", "offered", "hired")] == [1, 1, 1, 0]
    assert con.execute("SELECT requisition_id, department FROM requisitions").fetchall() == [("4177046003", "Test dep1")]
    # Row numbers are the file's lines: the job is line 1, the interview line 6.
    assert con.execute("SELECT source_row FROM requisitions").fetchall() == [(1,)]
    assert con.execute("SELECT source_row FROM stage_events WHERE stage = 'interviewed'").fetchall() == [(6,)]


# Singer's Lever streams (from Airbyte's Lever sandbox records), worked by hand (UTC, as of
# 2021-09-30): "Senior Account Manager" opens 2021-08-09, its first submittal (9ea413b6's Phone
# screen) is that day: 0 days; "Administrative Assistant" opens 08-08 and 784ff8e2 reaches Offer on
# 08-09 (submitted and interviewed passed): 1 day. Median 0.5; 2 submitted, 1 interviewed, 1 offered.
# a739d309 never passed "New applicant" and was archived Underqualified.

def test_singer_lever_stream_takes_its_lookups_from_its_own_streams(make_db, tmp_path):
    folder = tmp_path / "singer"
    folder.mkdir()
    shutil.copy(FIXTURES / "streams" / "singer_lever.jsonl", folder)
    con = make_db(LEVER_SETTINGS)
    reports = ingest(con, [folder], client="Acme")
    assert_clean(reports)
    assert sorted((r.format, r.kind, r.rows_loaded) for r in reports) == [
        ("Singer stream opportunities (Lever opportunities)", "applications", 3),
        ("Singer stream opportunities (Lever opportunities)", "stage_events", 13),
        ("Singer stream postings (Lever postings)", "requisitions", 2)]
    s = run_summary(con, as_of="2021-09-30")
    assert (s["time_to_submit"]["n"], s["time_to_submit"]["median"]) == (2, 0.5)
    assert [s["interview_conversion"][k] for k in ("submitted", "interviewed", "offered", "hired")] == [2, 1, 1, 0]
    assert con.execute("SELECT raw_stage, stage FROM stage_events WHERE application_id LIKE 'a739d309%' "
                       "ORDER BY entered_at DESC LIMIT 1").fetchall() == [("Underqualified", "rejected")]
    assert "5 SCHEMA message(s) skipped (not records)" in [n for r in reports for n in r.notes]


def test_a_stream_record_that_cannot_be_read_is_rejected_naming_its_line(make_db, tmp_path):
    lines = (FIXTURES / "streams" / "singer_lever.jsonl").read_text().splitlines()
    bad = next(i for i, line in enumerate(lines) if '"stream": "postings", "record"' in line)
    record = json.loads(lines[bad])
    record["record"]["createdAt"] = "not a date"
    lines[bad] = json.dumps(record)
    path = tmp_path / "lever.jsonl"
    path.write_text("\n".join(lines) + "\n")
    con = make_db(LEVER_SETTINGS)
    reports = ingest_file(con, path, client="Acme")
    postings = next(r for r in reports if r.kind == "requisitions")
    assert postings.rows_rejected == 1
    assert con.execute('SELECT file_name, "row" FROM rejected_rows').fetchall() == [("lever.jsonl", bad + 1)]


# -- JSON by content, and messages ---------------------------------------------------------------------

def test_json_is_recognised_by_its_content_whatever_the_file_is_called(make_db, tmp_path):
    # Lever's objects in files named as nobody expects: a .txt, a prefixed name, JSON Lines.
    records = [json.loads(line) for line in (FIXTURES / "streams" / "singer_lever.jsonl").read_text().splitlines()]
    objects = {}
    for r in records:
        if r["type"] == "RECORD":
            objects.setdefault(r["stream"], []).append(r["record"])
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "postings export.txt").write_text(json.dumps({"data": objects["postings"], "hasNext": False}))
    (folder / "lever_opportunities.json").write_text(json.dumps(objects["opportunities"]))
    (folder / "lever_applications.jsonl").write_text("\n".join(json.dumps(o) for o in objects["applications"]) + "\n")
    (folder / "stages.json").write_text(json.dumps(objects["stages"]))
    (folder / "archive_reasons.json").write_text(json.dumps(objects["archive_reasons"]))
    con = make_db(LEVER_SETTINGS)
    reports = ingest(con, [folder], client="Acme")
    assert not [r.error for r in reports if r.error]
    assert {r.format for r in reports if r.kind} == {"Lever postings", "Lever opportunities"}
    s = run_summary(con, as_of="2021-09-30")
    assert (s["time_to_submit"]["n"], s["time_to_submit"]["median"]) == (2, 0.5)


def test_lever_opportunities_without_applications_say_once_which_file_to_add(make_db, tmp_path):
    records = [json.loads(line) for line in (FIXTURES / "streams" / "singer_lever.jsonl").read_text().splitlines()]
    opportunities = [r["record"] for r in records if r.get("stream") == "opportunities" and r["type"] == "RECORD"]
    path = tmp_path / "opportunities.json"
    path.write_text(json.dumps(opportunities))
    con = make_db(LEVER_SETTINGS)
    apps = next(r for r in ingest_file(con, path, client="Acme") if r.kind == "applications")
    assert apps.rows_rejected == 3
    assert len([n for n in apps.notes if "add applications.json" in n]) == 1


@pytest.mark.parametrize("fmt, expected, not_expected", [
    ("auto", "another ATS's export loads with --format mapped --mapping FILE", "pass --format greenhouse"),
    ("lever", "--format lever reads Lever's API JSON and its connector tables", "pass --format greenhouse"),
    ("greenhouse", "--format greenhouse reads Greenhouse's application_stages", "pass --format greenhouse"),
])
def test_an_unrecognised_file_is_told_what_fits_not_a_format_it_already_tried(make_db, tmp_path, fmt, expected,
                                                                              not_expected):
    path = tmp_path / "export.csv"
    path.write_text("Job,Candidate Stage,When\nJ1,New,2026-05-01\n")
    con = make_db('name = "Acme"\n')
    with pytest.raises(LoadError, match="cannot tell what this file is") as err:
        ingest_file(con, path, client="Acme", fmt=fmt)
    assert expected in str(err.value) and not_expected not in str(err.value)


# -- Rows the connector marks deleted, opportunities on several postings, incremental syncs ---------------

def _add_column(path: Path, name: str, values: dict[int, str]) -> None:
    """Add a column `name` to a CSV file: `values` by data row (from 1), 'false' elsewhere."""
    lines = path.read_text().splitlines()
    out = [lines[0] + "," + name] + [line + "," + values.get(i, "false") for i, line in enumerate(lines[1:], start=1)]
    path.write_text("\n".join(out) + "\n")


def test_a_lever_stage_change_the_connector_marks_deleted_is_skipped_and_counted(make_db, tmp_path):
    folder = _copy("lever_connector", tmp_path)
    history = folder / "opportunity_stage_history.csv"
    # A deleted row: 343d198c reaching Second Screen three days before it did.
    history.write_text(history.read_text() + "343d198c-7533-4d1e-9908-8e1bee98d417,2026-05-02 03:00:00.000,"
                       "2026-05-05 11:34:12.974,3b24b1b1-ca67-4f29-aaab-b4dde6e0f54e,4,\n")
    _add_column(history, "_fivetran_deleted", {9: "true"})
    con = make_db(LEVER_SETTINGS)
    reports = ingest(con, [folder], client="Acme")
    assert_clean(_loaded(reports))
    rep = next(r for r in reports if r.file.endswith("opportunity_stage_history.csv"))
    assert rep.rows_loaded == 8
    assert "1 row(s) the connector marks deleted skipped: they are no longer data" in rep.notes
    assert _numbers(con, "2026-06-30") == LEVER_EXPECTED


def test_a_greenhouse_history_row_the_connector_marks_deleted_is_skipped_and_counted(make_db, tmp_path):
    folder = _copy("greenhouse_connector", tmp_path)
    history = folder / "application_history.csv"
    # A deleted row: 25181083003 in Second Screen two days before it was.
    history.write_text(history.read_text() + "25181083003,2026-03-03 15:00:00,2026-03-03 15:08:57.413,5417151003,active\n")
    _add_column(history, "_fivetran_deleted", {8: "true"})
    con = make_db(GREENHOUSE_SETTINGS)
    reports = ingest(con, [folder], client="Acme")
    assert_clean(_loaded(reports))
    rep = next(r for r in reports if r.file.endswith("application_history.csv"))
    assert (rep.format, rep.rows_loaded) == ("Greenhouse application_history (event log)", 7)
    assert "1 row(s) the connector marks deleted skipped: they are no longer data" in rep.notes
    assert _numbers(con, "2026-06-30") == GREENHOUSE_EXPECTED


def test_a_deleted_link_row_is_a_link_that_no_longer_holds_and_deleted_names_still_name(make_db, tmp_path):
    folder = _copy("lever_connector", tmp_path)
    # 3e4f0148's link to the chef posting was deleted (it is now on cat groomer), and the stage
    # "Second Screen" was removed from the account: it still names the history that entered it.
    app = folder / "application.csv"
    app.write_text(app.read_text() + app.read_text().splitlines()[3].replace("cd232946", "dd232946").replace(
        "a6e1dfd5-1153-44d5-a44a-e4ab1f69ea76", "86ee3246-40a0-4f3f-b4df-88cab0720bbd") + "\n")
    _add_column(app, "_fivetran_deleted", {3: "true"})
    stage = folder / "stage.csv"
    stage.write_text(stage.read_text().replace("3b24b1b1-ca67-4f29-aaab-b4dde6e0f54e,false", "3b24b1b1-ca67-4f29-aaab-b4dde6e0f54e,true"))
    con = make_db(LEVER_SETTINGS)
    reports = ingest(con, [folder], client="Acme")
    assert_clean(_loaded(reports))
    assert con.execute("SELECT requisition_id FROM applications WHERE application_id LIKE '3e4f0148%'").fetchall() == [
        ("86ee3246-40a0-4f3f-b4df-88cab0720bbd",)]
    assert con.execute("SELECT count(*) FROM stage_events WHERE raw_stage = 'Second Screen'").fetchall() == [(4,)]


LEVER_TWO_POSTINGS = ("f9214712-30b0-4d5a-9890-5a5dca493c07", "86ee3246-40a0-4f3f-b4df-88cab0720bbd",
                      "a6e1dfd5-1153-44d5-a44a-e4ab1f69ea76")


def test_a_lever_opportunity_on_two_postings_is_loaded_once_on_the_first_and_the_report_says_so(make_db, tmp_path):
    # Lever keeps one stage history per opportunity: it cannot be split between two postings, and
    # copying it to both would count one candidate's submittal twice.
    folder = _copy("lever_connector", tmp_path)
    opportunity, first, second = LEVER_TWO_POSTINGS
    app = folder / "application.csv"
    app.write_text(app.read_text() + f"b89b86cd-6b8b-4dc7-b8a9-0cd0a726ec67,2026-05-20 22:09:03.424,,,,,,"
                   f"2026-05-02 14:00:00.000,,{second},,,,posting,{opportunity}\n")
    con = make_db(LEVER_SETTINGS)
    reports = ingest(con, [folder], client="Acme")
    assert_clean(_loaded(reports))
    assert con.execute("SELECT requisition_id FROM applications WHERE application_id = ?", [opportunity]).fetchall() == [
        (first,)]
    rep = next(r for r in reports if r.file.endswith("opportunity.csv") and r.kind == "applications")
    assert (f"1 opportunity(ies) on more than one posting, each loaded once on its first application's posting "
            f"(Lever keeps one stage history per opportunity): {opportunity} (not loaded on {second})") in rep.notes
    assert _numbers(con, "2026-06-30") == LEVER_EXPECTED


def test_a_lever_json_opportunity_on_two_postings_is_loaded_once_on_the_first_and_the_report_says_so(make_db, tmp_path):
    lines = (FIXTURES / "streams" / "singer_lever.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    opp = next(r for r in records if r.get("stream") == "opportunities" and r["type"] == "RECORD"
               and r["record"]["id"].startswith("9ea413b6"))
    app = next(r for r in records if r.get("stream") == "applications" and r["type"] == "RECORD"
               and r["record"]["opportunityId"].startswith("9ea413b6"))
    second = json.loads(json.dumps(app))
    second["record"].update(id="d965d257-0000-4000-8000-000000000000", posting="f45efa75-63f3-466c-93c2-643d3147968d")
    opp["record"]["applications"].append(second["record"]["id"])
    path = tmp_path / "lever.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records + [second]) + "\n")
    con = make_db(LEVER_SETTINGS)
    reports = ingest_file(con, path, client="Acme")
    apps = next(r for r in reports if r.kind == "applications")
    assert apps.rows_loaded == 3
    oid = opp["record"]["id"]
    assert con.execute("SELECT requisition_id FROM applications WHERE application_id = ?", [oid]).fetchall() == [
        (app["record"]["posting"],)]
    assert any(n.startswith("1 opportunity(ies) on more than one posting") and f"{oid} (not loaded on "
               "f45efa75-63f3-466c-93c2-643d3147968d)" in n for n in apps.notes)


def test_a_stream_file_of_greenhouse_and_lever_records_reads_both(make_db, tmp_path):
    # Singer's Lever records in Airbyte's envelope, after Airbyte's Greenhouse records: one file.
    greenhouse = (FIXTURES / "streams" / "airbyte_greenhouse.jsonl").read_text().splitlines()
    lever_lines = []
    for line in (FIXTURES / "streams" / "singer_lever.jsonl").read_text().splitlines():
        r = json.loads(line)
        if r["type"] == "RECORD":
            lever_lines.append(json.dumps({"type": "RECORD", "record": {"stream": r["stream"], "data": r["record"],
                                                                        "emitted_at": 1}}))
    path = tmp_path / "both.jsonl"
    path.write_text("\n".join(greenhouse + lever_lines) + "\n")
    con = make_db(LEVER_SETTINGS)
    reports = ingest_file(con, path, client="Acme")
    notes = [n for r in reports for n in r.notes]
    assert not [n for n in notes if "jobs" in n and "not read" in n], notes
    assert sorted((r.format, r.kind, r.rows_loaded) for r in reports if r.kind) == [
        ("Airbyte stream applications (Greenhouse Harvest applications)", "applications", 1),
        ("Airbyte stream interviews (Greenhouse Harvest interviews)", "stage_events", 1),
        ("Airbyte stream jobs (Greenhouse Harvest jobs)", "requisitions", 1),
        ("Airbyte stream offers (Greenhouse Harvest offers)", "stage_events", 1),
        ("Airbyte stream opportunities (Lever opportunities)", "applications", 3),
        ("Airbyte stream opportunities (Lever opportunities)", "stage_events", 13),
        ("Airbyte stream postings (Lever postings)", "requisitions", 2)]
    assert con.execute("SELECT count(*) FROM requisitions").fetchall() == [(3,)]


def test_scheduled_interviews_of_applications_whose_history_is_already_stored_are_not_loaded(make_db, tmp_path):
    # An incremental sync brings only scheduled_interview: 25181083003's history, loaded before,
    # says when it reached its interview stages; an interview the day before its Second Screen
    # would move its submittal (and the requisition's time to submit) a day earlier.
    con = make_db(GREENHOUSE_SETTINGS)
    ingest(con, [FIXTURES / "greenhouse_connector"], client="Acme")
    sync = tmp_path / "sync"
    sync.mkdir()
    interviews = (FIXTURES / "greenhouse_connector" / "scheduled_interview.csv").read_text().splitlines()
    (sync / "scheduled_interview.csv").write_text("\n".join([interviews[0], interviews[1].replace(
        "17614337003", "17614337004").replace("2026-03-09 15:00:00,complete", "2026-03-04 15:00:00,complete")]) + "\n")
    (rep,) = ingest(con, [sync], client="Acme")
    assert rep.rows_loaded == 0
    assert any(n.startswith("1 scheduled interview not loaded: its application has a stage history")
               for n in rep.notes), rep.notes
    assert _numbers(con, "2026-06-30") == GREENHOUSE_EXPECTED


def test_only_the_load_clients_stored_history_keeps_its_scheduled_interviews_out(make_db, tmp_path):
    # Globex's history of an application with the same id says nothing of Acme's application: an
    # interview synced for Acme is loaded; synced for Globex, whose history is stored, it is not.
    con = make_db(GREENHOUSE_SETTINGS)
    save_client(con, parse_settings(GREENHOUSE_SETTINGS.replace("Acme", "Globex")))
    ingest(con, [FIXTURES / "greenhouse_connector"], client="Globex")
    sync = tmp_path / "sync"
    sync.mkdir()
    interviews = (FIXTURES / "greenhouse_connector" / "scheduled_interview.csv").read_text().splitlines()
    (sync / "scheduled_interview.csv").write_text("\n".join(interviews[:2]) + "\n")   # 25181083003's
    (acme,) = ingest(con, [sync], client="Acme")
    assert (acme.rows_loaded, [n for n in acme.notes if "scheduled interview" in n]) == (1, [])
    (globex,) = ingest(con, [sync], client="Globex")
    assert globex.rows_loaded == 0
    assert con.execute("SELECT client, count(*) FROM stage_events WHERE stage = 'interviewed' AND "
                       "extra->>'scheduled_interview_id' IS NOT NULL GROUP BY ALL ORDER BY 1").fetchall() == [
        ("Acme", 1), ("Globex", 1)]   # (Globex's own: 22694754003's, which has no history)


def test_a_connector_application_with_no_job_link_is_rejected_not_counted_as_a_prospect(make_db, tmp_path):
    # The application rule is written once (harvest.application_row); the connector's job is its
    # job_application link, and a link marked deleted no longer holds: that application's job is
    # missing, which is said, where calling it a prospect would drop it silently.
    folder = _copy("greenhouse_connector", tmp_path)
    _add_column(folder / "job_application.csv", "_fivetran_deleted", {3: "true"})   # 22694754003's link
    con = make_db(GREENHOUSE_SETTINGS)
    reports = ingest(con, [folder], client="Acme")
    rep = next(r for r in reports if r.file.endswith("/application.csv"))
    assert (rep.rows_loaded, rep.rows_rejected) == (2, 1)
    assert "1 prospect(s) skipped: not applications to a requisition" in rep.notes
    assert con.execute('SELECT "row", "column" FROM rejected_rows WHERE file_name = ?', ["application.csv"]
                       ).fetchall() == [(4, "job_application.job_id")]
    assert con.execute("SELECT status FROM applications WHERE application_id = '25181083003'").fetchall() == [
        ("hired",)]


def test_every_closed_status_word_ends_a_connector_requisition_without_a_close_date(make_db, tmp_path):
    # template.CLOSED_STATUSES, the one list: a Greenhouse job, a Lever posting (connector table or
    # API JSON) whose status says it is closed ends at its last update, whichever word says it.
    gh = _copy("greenhouse_connector", tmp_path)
    job = gh / "job.csv"
    job.write_text(job.read_text().replace(",closed,", ",Filled ,"))
    lv = _copy("lever_connector", tmp_path)
    posting = lv / "posting.csv"
    posting.write_text(posting.read_text().replace(",closed,chef,", ",cancelled,chef,"))
    con = make_db(GREENHOUSE_SETTINGS)
    ingest(con, [gh], client="Acme")
    ingest(con, [lv], client="Acme")
    assert con.execute("SELECT title, closed_on FROM requisitions WHERE lower(trim(status)) IN ('filled', 'cancelled') "
                       "ORDER BY 1").fetchall() == [("chef", D("2026-04-10")), ("chef", D("2026-06-10"))]
    from loaders import lever
    ((_, table),), _ = lever.tables(tmp_path / "postings.json", [
        {"id": "p1", "text": "chef", "state": "Canceled", "createdAt": 1, "updatedAt": 2, "categories": {}}],
        kind="postings")
    assert table.column("closed_at").to_pylist() == ["2"]


def test_an_interval_table_row_the_connector_marks_deleted_is_skipped_and_counted(make_db, tmp_path):
    # Greenhouse's application_stages as a connector copies it, with its deleted flag: the deleted
    # entry of stage 12 is no longer data (it had moved the submittal a day earlier).
    from conftest import write_tables
    con = make_db(GREENHOUSE_SETTINGS)
    write_tables(tmp_path / "gh", {"application_stages.csv": """
        application_id,stage_id,stage_name,entered_on,exited_on,_fivetran_deleted,_fivetran_synced
        101,11,Application Review,2026-05-01 14:00:00,,false,2026-06-01 00:00:00
        101,12,Hiring Manager Review,2026-05-02 14:00:00,,true,2026-06-01 00:00:00
        101,12,Hiring Manager Review,2026-05-03 14:00:00,,false,2026-06-01 00:00:00
    """})
    (rep,) = ingest(con, [tmp_path / "gh" / "application_stages.csv"], client="Acme")
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (2, 2, 0)
    assert "1 row(s) the connector marks deleted skipped: they are no longer data" in rep.notes
    assert con.execute("SELECT raw_stage, entered_on FROM stage_events ORDER BY entered_on").fetchall() == [
        ("Application Review", D("2026-05-01")), ("Hiring Manager Review", D("2026-05-03"))]
