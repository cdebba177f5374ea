"""Recruiter tracker workbooks (`--format tracker`): the requisition tracker, submittal log and
commitments sheet as recruiters keep them (formats.md, "Recruiter spreadsheets"), and another ATS's
export saved as a workbook, read through a column mapping. Fixtures are built here with openpyxl
(values invented); the canonical rows they give are worked out by hand in the comments."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from loaders.ingest import LoadError, ingest, ingest_file
from loaders.template import TEMPLATE, normalise_header
from loaders.shapes import read_mapping

from conftest import D, run_summary

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = 'name = "Acme"\ntimezone = "America/Chicago"\n[stages]\n"Client Rejected" = "rejected"\n'


def serial(day: dt.date) -> int:
    """An Excel date serial (what a formula's saved value holds for a date)."""
    return (day - dt.date(1899, 12, 30)).days


def save(wb, path: Path, cached: dict | None = None) -> Path:
    """Save `wb`, then write the saved values of its formulas ({sheet title: {formula: value}}), as
    Excel does on saving (openpyxl writes formulas with no value)."""
    wb.save(path)
    if not cached:
        return path
    parts = {f"xl/worksheets/sheet{i + 1}.xml": cached.get(ws.title, {}) for i, ws in enumerate(wb.worksheets)}
    with zipfile.ZipFile(path) as z:
        items = [(info, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            for formula, value in parts.get(info.filename, {}).items():
                text = data.decode("utf-8")
                text = text.replace(f"<f>{formula.lstrip('=')}</f><v></v>", f"<f>{formula.lstrip('=')}</f><v>{value}</v>")
                data = text.encode("utf-8")
            z.writestr(info, data)
    return path


def tracker_workbook(path: Path, **changes) -> Path:
    """The recruiter's workbook most tests read. By hand (Chicago, calendar days, MDY):

    Sheet "Reqs" (requisition tracker): a merged title row, a notes row, a blank row, the header on
    row 4. 1042 Engineer opened 05-04 (a date cell); 1043 Analyst opened "05/06/2026" (text, MDY),
    its department "Eng" merged down from 1042's cell; row 7 blank; 1044 Designer "Design " (trailing
    space) opened by the formula =F5+3, saved value 2026-05-07; row 9 "TOTAL" with =SUM(H5:H8) = 4.
    Sheet "Submittals" (submittal log), header on row 2, no submittal id column: ids are
    <Req ID>/<Candidate ID>. 1042/501 submitted 05-07 (date cell), interviewed "5/12/2026", offered
    05-15 (a date-time cell at 00:00: a date), started 06-01, status "Hired"; 1042/502 submitted
    "05/08/2026", status "Client Rejected" (the client's word for rejected), dated by its only
    milestone, the submittal; 1043/503 submitted 2026-05-11 15:30 (a date-time cell: UTC, 10:30 in
    Chicago). Row 6 blank, row 7 "Total" with =COUNTA(B3:B5) = 3. The "Candidate" names are never stored.
    Sheet "Commitments" (named like the template's table, laid out as a tracker), header on row 2,
    ids <Req #> due <Due>: 1042 3 to interview due 05-15, delivered 05-14 (met); 1043 due
    "05/20/2026", revised to 05-27 on "5/18/2026" (in time), delivered 05-26 (missed: client side,
    "HM on leave"); 1044 due 05-29, nothing delivered (missed as of 06-30, RPO side by default).
    Sheet "Old reqs" is hidden (an old copy: 1042 opened in 2020); "Lists" holds dropdown values.
    """
    wb = openpyxl.Workbook()
    reqs = wb.active
    reqs.title = "Reqs"
    reqs.append(["Acme Corp - open requisitions"])
    reqs.merge_cells("A1:H1")
    reqs.append(["Updated weekly by the RPO team; dates as typed by recruiters"])
    reqs.append([])
    reqs.append(["Req #", "Job Title", "Dept", "HM", "Recruiter", "Date Opened", "Status", "# Openings"])
    reqs.append([1042, "Engineer", "Eng", "Ada King", "Rex Ruiz", dt.date(2026, 5, 4), "Open", 2])
    reqs.append([1043, "Analyst", None, "Ada King", "Rex Ruiz ", changes.get("opened_1043", "05/06/2026"), "Open", 1])
    reqs.merge_cells("C5:C6")
    reqs.append([])
    reqs.append([1044, "Designer", "Design ", "Bo Li", "Rex Ruiz", "=F5+3", "Open", 1])
    reqs.append(["TOTAL", None, None, None, None, None, None, "=SUM(H5:H8)"])
    subs = wb.create_sheet("Submittals")
    subs.append(["Submittal log - Acme"])
    subs.append(["Req ID", "Candidate ID", "Candidate", "Date Submitted", "Interview Date", "Offer Date", "Start Date",
                 "Status", "Source"])
    subs.append([1042, 501, "Jane Roe", dt.date(2026, 5, 7), "5/12/2026", dt.datetime(2026, 5, 15), dt.date(2026, 6, 1),
                 "Hired", "Referral"])
    subs.append([1042, 502, "John Doe", "05/08/2026", None, None, None, changes.get("status_502", "Client Rejected"), None])
    subs.append([1043, 503, "Kim Lee", dt.datetime(2026, 5, 11, 15, 30), None, None, None, None, "LinkedIn"])
    subs.append([])
    subs.append(["Total", None, None, None, None, None, None, None, "=COUNTA(B3:B5)"])
    com = wb.create_sheet("Commitments")
    com.append(["What we promised"])
    com.append(["Req #", "# Promised", "Description", "Due", "Revised Due", "Revised On", "Delivered", "Side", "Reason"])
    com.append([1042, 3, "3 candidates to interview", dt.date(2026, 5, 15), None, None, dt.date(2026, 5, 14), None, None])
    com.append([1043, 2, "2 submittals", "05/20/2026", dt.date(2026, 5, 27), "5/18/2026", dt.date(2026, 5, 26),
                "Client", "HM on leave"])
    com.append([1044, 1, "1 submittal", dt.date(2026, 5, 29), None, None, changes.get("delivered_1044"), None, None])
    old = wb.create_sheet("Old reqs")
    old.append(["Req #", "Dept", "Date Opened"])
    old.append([1042, "Eng", dt.date(2020, 1, 6)])
    old.sheet_state = "hidden"
    lists = wb.create_sheet("Lists")
    lists.append(["Statuses"])
    lists.append(["Open"])
    return save(wb, path, {"Reqs": {"=F5+3": serial(dt.date(2026, 5, 7)), "=SUM(H5:H8)": 4},
                           "Submittals": {"=COUNTA(B3:B5)": 3}})


def _load(make_db, tmp_path, settings=SETTINGS, **changes):
    con = make_db(settings)
    path = tracker_workbook(tmp_path / "Acme tracker.xlsx", **changes)
    reports = ingest(con, [path], client="Acme")
    assert [r.error for r in reports if r.error] == []
    return con, reports


def _report(reports, sheet, kind="stage_events", note=None):
    """The report of one table read from `sheet` (a stage events one by a note it carries)."""
    return next(r for r in reports if r.sheet == sheet and r.kind == kind
                and (note is None or any(note in n for n in r.notes)))


def _rejected(con):
    return con.execute('SELECT sheet, kind, "row", "column", reason FROM rejected_rows ORDER BY sheet, "row"').fetchall()


def test_requisition_tracker_sheet_becomes_requisitions_below_its_title_rows(make_db, tmp_path):
    con, reports = _load(make_db, tmp_path)
    rep = _report(reports, "Reqs", "requisitions")
    assert (rep.format, rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (
        "recruiter tracker (requisition tracker)", 3, 3, 0)
    rows = con.execute("SELECT requisition_id, title, department, hiring_manager, recruiter, opened_on, status, "
                       "openings, source_row FROM requisitions ORDER BY 1").fetchall()
    assert rows == [
        ("1042", "Engineer", "Eng", "Ada King", "Rex Ruiz", D("2026-05-04"), "open", 2, 5),
        ("1043", "Analyst", "Eng", "Ada King", "Rex Ruiz", D("2026-05-06"), "open", 1, 6),   # merged, text date
        ("1044", "Designer", "Design", "Bo Li", "Rex Ruiz", D("2026-05-07"), "open", 1, 8),  # formula's value
    ]


def test_submittal_log_becomes_applications_and_one_stage_event_per_milestone(make_db, tmp_path):
    con, reports = _load(make_db, tmp_path)
    apps = _report(reports, "Submittals", "applications")
    assert (apps.format, apps.rows_loaded, apps.rows_rejected) == ("recruiter tracker (submittal log)", 3, 0)
    assert "no 'Submittal ID' column: application_id made from Req ID + Candidate ID" in apps.notes
    assert con.execute("SELECT application_id, requisition_id, candidate_id, source, status FROM applications "
                       "ORDER BY 1").fetchall() == [("1042/501", "1042", "501", "Referral", "hired"),
                                                    ("1042/502", "1042", "502", None, "client rejected"),
                                                    ("1043/503", "1043", "503", "LinkedIn", None)]
    events = con.execute("SELECT application_id, raw_stage, stage, entered_at, entered_on FROM stage_events "
                         "ORDER BY application_id, entered_at, raw_stage").fetchall()
    assert events == [
        ("1042/501", "submitted", "submitted", dt.datetime(2026, 5, 7, 5), D("2026-05-07")),
        ("1042/501", "interviewed", "interviewed", dt.datetime(2026, 5, 12, 5), D("2026-05-12")),
        ("1042/501", "offered", "offered", dt.datetime(2026, 5, 15, 5), D("2026-05-15")),
        ("1042/501", "Hired", "hired", dt.datetime(2026, 6, 1, 5), D("2026-06-01")),   # the status word
        ("1042/501", "hired", "hired", dt.datetime(2026, 6, 1, 5), D("2026-06-01")),   # the start date
        ("1042/502", "Client Rejected", "rejected", dt.datetime(2026, 5, 8, 5), D("2026-05-08")),
        ("1042/502", "submitted", "submitted", dt.datetime(2026, 5, 8, 5), D("2026-05-08")),
        ("1043/503", "submitted", "submitted", dt.datetime(2026, 5, 11, 15, 30), D("2026-05-11")),
    ]
    interviews = _report(reports, "Submittals", note="'interviewed' from column Interview Date")
    assert (interviews.rows_read, interviews.rows_loaded) == (1, 1)
    assert _rejected(con) == []


def test_commitments_sheet_becomes_commitments_with_ids_from_requisition_and_due_date(make_db, tmp_path):
    con, reports = _load(make_db, tmp_path)
    rep = _report(reports, "Commitments", "commitments")
    assert (rep.format, rep.rows_loaded) == ("recruiter tracker (commitments)", 3)
    rows = con.execute("SELECT commitment_id, requisition_id, description, promised_count, due_date, "
                       "revised_due_date, revised_on, delivered_on, side, reason FROM commitments ORDER BY 1").fetchall()
    assert rows == [
        ("1042 due 2026-05-15", "1042", "3 candidates to interview", 3, D("2026-05-15"), None, None, D("2026-05-14"),
         None, None),
        ("1043 due 05/20/2026", "1043", "2 submittals", 2, D("2026-05-20"), D("2026-05-27"), D("2026-05-18"),
         D("2026-05-26"), "client", "HM on leave"),
        ("1044 due 2026-05-29", "1044", "1 submittal", 1, D("2026-05-29"), None, None, None, None, None),
    ]


def test_totals_row_is_skipped_and_named_in_the_report(make_db, tmp_path):
    con, reports = _load(make_db, tmp_path)
    assert "row 9: totals row, not read" in _report(reports, "Reqs", "requisitions").notes
    assert "row 7: totals row, not read" in _report(reports, "Submittals", "applications").notes
    assert con.execute("SELECT count(*) FROM requisitions WHERE requisition_id ILIKE '%total%'").fetchall() == [(0,)]
    assert _rejected(con) == []


def test_hidden_sheet_is_never_read_and_is_reported(make_db, tmp_path):
    con, reports = _load(make_db, tmp_path)
    skipped = {r.sheet: r.skipped for r in reports if r.skipped}
    assert skipped["Old reqs"] == "hidden sheet, not read"
    assert skipped["Lists"].startswith("not a tracker sheet")
    assert con.execute("SELECT opened_on FROM requisitions WHERE requisition_id = '1042'").fetchall() == [
        (D("2026-05-04"),)]


def test_candidate_names_in_a_tracker_are_never_stored(make_db, tmp_path):
    con, reports = _load(make_db, tmp_path)
    assert _report(reports, "Submittals", "applications").dropped_columns == ["candidate"]
    stored = " ".join(str(r) for t in ("applications", "stage_events", "rejected_rows", "files")
                      for r in con.execute(f"SELECT * FROM {t}").fetchall())
    assert not [name for name in ("Jane Roe", "John Doe", "Kim Lee") if name in stored]


def test_tracker_workbook_gives_the_same_summary_as_the_template(make_db, tmp_path):
    # The same facts (see tracker_workbook) in the import template. By hand, May-June, as of 06-30:
    # time to submit 1042 05-04 -> 05-07 = 3, 1043 05-06 -> 05-11 = 5 (median 4, p90 4.8), 1044 awaiting;
    # 3 submitted, 1 interviewed, offered, hired; SLA (1 within 10 days) met for 1042 and 1043, missed
    # for 1044; commitments: 1042 met, 1043 missed (client, revised in time), 1044 missed (rpo):
    # due 6, met 3, rate 0.5; time to fill 1042 05-04 -> 06-01 = 28; feedback 501: 05-07 -> 05-12 = 5.
    con, _ = _load(make_db, tmp_path)
    template = make_db(SETTINGS, {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,1042,Eng,2026-05-04
            Acme,1043,Eng,2026-05-06
            Acme,1044,Design,2026-05-07
        """,
        "applications": """
            client,application_id,requisition_id,candidate_id
            Acme,A1,1042,501
            Acme,A2,1042,502
            Acme,A3,1043,503
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-05-07
            Acme,A1,interviewed,2026-05-12
            Acme,A1,offered,2026-05-15
            Acme,A1,hired,2026-06-01
            Acme,A2,submitted,2026-05-08
            Acme,A2,Client Rejected,2026-05-08
            Acme,A3,submitted,2026-05-11T15:30:00Z
        """,
        "commitments": """
            client,commitment_id,requisition_id,due_date,revised_due_date,revised_on,delivered_on,side,reason
            Acme,C1,1042,2026-05-15,,,2026-05-14,,
            Acme,C2,1043,2026-05-20,2026-05-27,2026-05-18,2026-05-26,client,HM on leave
            Acme,C3,1044,2026-05-29,,,,,
        """})
    for filters in ({"date_from": "2026-05-01", "date_to": "2026-06-30"}, {}, {"departments": "Eng"}):
        ours, theirs = (run_summary(c, as_of="2026-06-30", **filters) for c in (con, template))
        assert ours == theirs, filters
    s = run_summary(con, as_of="2026-06-30", date_from="2026-05-01", date_to="2026-06-30")
    assert s["time_to_submit"] == {"n": 2, "median": 4.0, "mean": 4.0, "p90": 4.8, "awaiting_first_submittal": 1,
                                   "not_available": None, "note": None}
    assert {k: s["interview_conversion"][k] for k in ("submitted", "interviewed", "offered", "hired")} == {
        "submitted": 3, "interviewed": 1, "offered": 1, "hired": 1}
    assert s["deadline_adherence"] == {"due": 6, "met": 3, "missed": 3, "rate": 0.5, "pending": 0,
                                       "missed_by_side": {"rpo": 2, "client": 1}, "revised": 1, "revised_in_time": 1,
                                       "not_available": None, "note": None}
    assert (s["time_to_fill"]["median"], s["hm_feedback_days"]["median"]) == (28.0, 5.0)


def test_status_word_the_dictionary_lacks_is_loaded_unmapped_and_reported(make_db, tmp_path):
    con, reports = _load(make_db, tmp_path, settings='name = "Acme"\ntimezone = "America/Chicago"\n')
    status = _report(reports, "Submittals", note="status word")
    assert status.unmapped == [("Client Rejected", 1)]
    assert con.execute("SELECT stage FROM stage_events WHERE raw_stage = 'Client Rejected'").fetchall() == [(None,)]


def test_newer_tracker_replaces_what_the_older_said(make_db, tmp_path):
    # A week later the recruiter marks 1044's promise delivered (05-28) and 502 as withdrawn: the
    # same derived ids, so the rows are replaced, not doubled.
    con, _ = _load(make_db, tmp_path, settings=SETTINGS + '"Withdrew" = "withdrawn"\n')
    newer = tracker_workbook(tmp_path / "Acme tracker (1).xlsx", delivered_1044=dt.date(2026, 5, 28),
                             status_502="Withdrew")
    assert [r.error for r in ingest(con, [newer], client="Acme") if r.error] == []
    assert con.execute("SELECT count(*), count(delivered_on) FROM commitments").fetchall() == [(3, 3)]
    assert con.execute("SELECT count(*) FROM applications").fetchall() == [(3,)]
    assert con.execute("SELECT status FROM applications WHERE application_id = '1042/502'").fetchall() == [("withdrew",)]
    adherence = run_summary(con, as_of="2026-06-30")["deadline_adherence"]
    assert (adherence["due"], adherence["met"]) == (6, 4)


def test_bad_date_cell_is_rejected_naming_sheet_row_and_column(make_db, tmp_path):
    con, reports = _load(make_db, tmp_path, opened_1043="next week")
    rep = _report(reports, "Reqs", "requisitions")
    assert (rep.rows_loaded, rep.rows_rejected) == (2, 1)
    ((sheet, kind, row, column, reason),) = _rejected(con)
    assert (sheet, kind, row, column) == ("Reqs", "requisitions", 6, "Date Opened")
    assert "could not read 'next week' as a date" in reason


def test_bad_milestone_date_rejects_that_event_under_its_own_column(make_db, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Submittals"
    ws.append(["Req #", "Submittal ID", "Date Submitted", "1st Interview"])
    ws.append([1042, 9001.0, dt.date(2026, 5, 7), "after lunch"])
    con = make_db(SETTINGS)
    reports = ingest_file(con, save(wb, tmp_path / "log.xlsx"), client="Acme", fmt="tracker")
    assert con.execute("SELECT application_id, raw_stage FROM stage_events").fetchall() == [("9001", "submitted")]
    ((sheet, kind, row, column, reason),) = _rejected(con)
    assert (sheet, kind, row, column) == ("Submittals", "stage_events", 2, "1st Interview")
    assert "could not read 'after lunch' as a date" in reason
    assert not any("made from" in n for r in reports for n in r.notes)   # the Submittal ID is the id


def test_formula_with_no_saved_value_rejects_its_row_saying_so(make_db, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Promises"
    ws.append(["Req #", "Promised", "Due", "Delivered", "Days late"])
    ws.append([1042, 3, "=TODAY()+7", None, None])
    ws.append([1043, 2, dt.date(2026, 5, 20), dt.date(2026, 5, 19), "=D3-C3"])
    con = make_db(SETTINGS)
    (rep,) = ingest_file(con, save(wb, tmp_path / "promises.xlsx"), client="Acme")
    assert (rep.format, rep.rows_loaded, rep.rows_rejected) == ("recruiter tracker (commitments)", 1, 1)
    ((sheet, _, row, column, reason),) = _rejected(con)
    assert (sheet, row, column) == ("Promises", 2, "Due")
    assert "=TODAY()+7" in reason and "no saved value" in reason
    # A formula outside the columns read is only named.
    assert any(n.startswith("row 3, column Days late: formula =D3-C3 has no saved value") for n in rep.notes)


def test_outcome_with_no_date_in_its_row_is_named_in_the_report(make_db, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Tracker"])
    ws.append(["Req #", "Candidate ID", "Date Submitted", "Outcome"])
    ws.append([1042, 501, dt.date(2026, 5, 7), "Rejected"])
    ws.append([1042, 502, None, "Withdrawn"])
    con = make_db(SETTINGS)
    reports = ingest_file(con, save(wb, tmp_path / "log.xlsx"), client="Acme")
    status = _report(reports, "Sheet", note="status word")
    assert "row 4: status 'Withdrawn' has no date in its row (no outcome or milestone date), " \
           "not loaded as a stage event" in status.notes
    assert con.execute("SELECT application_id, stage FROM stage_events ORDER BY 1, 2").fetchall() == [
        ("1042/501", "rejected"), ("1042/501", "submitted")]
    assert con.execute("SELECT count(*) FROM applications").fetchall() == [(2,)]


def test_submittal_log_without_any_id_column_is_refused_and_nothing_loads(make_db, tmp_path):
    # Candidates known by name only: no id can be made, and names are never stored. The good
    # requisition tracker before it in the same workbook is not half-loaded either.
    wb = openpyxl.Workbook()
    reqs = wb.active
    reqs.title = "Reqs"
    reqs.append(["Req #", "Dept", "Date Opened"])
    reqs.append([1042, "Eng", dt.date(2026, 5, 1)])
    ws = wb.create_sheet("Log")
    ws.append(["Req #", "Candidate", "Date Submitted"])
    ws.append([1042, "Jane Roe", dt.date(2026, 5, 7)])
    con = make_db(SETTINGS)
    with pytest.raises(LoadError, match="log.xlsx, sheet 'Log': a submittal log needs a 'Submittal ID' column, "
                                        "or 'Req #' and 'Candidate ID' columns to make one from"):
        ingest_file(con, save(wb, tmp_path / "log.xlsx"), client="Acme")
    assert con.execute("SELECT (SELECT count(*) FROM requisitions), (SELECT count(*) FROM applications), "
                       "(SELECT count(*) FROM files)").fetchall() == [(0, 0, 0)]


def test_unrecognisable_workbook_is_refused_listing_its_sheets_and_the_format_to_pass(make_db, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Pipeline"
    ws.append(["Weekly pipeline"])
    ws.append(["Req #", "Candidate ID", "Stage"])
    ws.append([1042, 501, "Onsite"])
    notes = wb.create_sheet("Notes")
    notes.append(["Call the HM on Monday"])
    con = make_db(SETTINGS)
    with pytest.raises(LoadError) as exc:
        ingest_file(con, save(wb, tmp_path / "pipeline.xlsx"), client="Acme")
    message = str(exc.value)
    assert "pipeline.xlsx: cannot tell what this workbook is" in message
    assert "sheet 'Pipeline': not a tracker sheet: closest to a submittal log (found Req #, Candidate ID; " \
           "lacks a 'Date Submitted' column)" in message
    assert "sheet 'Notes': not a tracker sheet: no tracker headers (first row: Call the HM on Monday)" in message
    assert "--format tracker" in message and "--format mapped --mapping FILE" in message


def test_template_workbook_is_still_read_as_the_template(make_db, tmp_path):
    # Sheets named after the template's tables win over tracker recognition.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "requisitions"
    ws.append(["client", "requisition_id", "department", "opened_at"])
    ws.append(["Acme", "R1", "Eng", dt.date(2026, 5, 1)])
    con = make_db(SETTINGS)
    (rep,) = ingest_file(con, save(wb, tmp_path / "template.xlsx"))
    assert (rep.format, rep.kind, rep.rows_loaded) == ("template", "requisitions", 1)
    # ...and a tracker asked for as the template is not guessed at.
    with pytest.raises(LoadError, match="sheet .Commitments.: missing required column"):
        ingest_file(con, tracker_workbook(tmp_path / "t.xlsx"), client="Acme", fmt="template")


MAPPING = '''kind = "stage_events"
[columns]
application_id = "Application ID"
stage = "Status"
entered_at = "Changed On"
'''


def test_mapped_export_saved_as_a_workbook_loads_from_the_sheet_holding_its_columns(make_db, tmp_path):
    wb = openpyxl.Workbook()
    cover = wb.active
    cover.title = "About"
    cover.append(["Exported from the ATS report builder"])
    ws = wb.create_sheet("Report")
    ws.append(["Status changes, May 2026"])
    ws.append([])
    ws.append(["Application ID", "Status", "Changed On", "Sub Status"])
    ws.append([101, "Onsite", dt.datetime(2026, 5, 6, 15), "x"])
    ws.append([102, "REJECTED", "2026-05-07T12:00:00Z", None])
    (tmp_path / "m.toml").write_text(MAPPING, encoding="utf-8")
    mapping = read_mapping(tmp_path / "m.toml", TEMPLATE, normalise_header)
    con = make_db(SETTINGS)
    reports = ingest_file(con, save(wb, tmp_path / "status.xlsx"), client="Acme", fmt="mapped", mapping=mapping)
    rep = next(r for r in reports if r.kind)
    assert (rep.sheet, rep.format, rep.rows_loaded) == ("Report", "mapped stage_events (m.toml)", 2)
    assert [r.skipped for r in reports if r.sheet == "About"] == ["not the sheet the mapping reads"]
    assert con.execute("SELECT application_id, raw_stage, stage, entered_at, source_row, extra FROM stage_events "
                       "ORDER BY 1").fetchall() == [
        ("101", "Onsite", None, dt.datetime(2026, 5, 6, 15), 4, '{"sub_status":"x"}'),
        ("102", "REJECTED", "rejected", dt.datetime(2026, 5, 7, 12), 5, '{"sub_status":null}')]
    # A workbook with no sheet holding the mapping's columns is refused, listing what it found.
    with pytest.raises(LoadError, match=r"no visible sheet has the column\(s\) the mapping .* names"):
        ingest_file(con, tracker_workbook(tmp_path / "t.xlsx"), client="Acme", fmt="mapped", mapping=mapping)


@pytest.mark.slow
def test_command_line_reads_a_tracker_workbook_and_says_which_format_it_chose(tmp_path):
    db = tmp_path / "cli.duckdb"
    (tmp_path / "acme.toml").write_text(SETTINGS, encoding="utf-8")
    path = tracker_workbook(tmp_path / "Acme tracker.xlsx")

    def run(*args):
        return subprocess.run([sys.executable, "-m", "loaders", "--db", str(db), *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    assert run("client", str(tmp_path / "acme.toml")).returncode == 0
    out = run("ingest", str(path), "--client", "Acme", "--quiet")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "[Reqs]: requisitions (read as recruiter tracker (requisition tracker)): read 3, loaded 3, rejected 0" \
        in out.stdout
    assert "[Commitments]: commitments (read as recruiter tracker (commitments)): read 3, loaded 3" in out.stdout
    assert "note: row 9: totals row, not read" in out.stdout
    assert "[Old reqs]: skipped: hidden sheet, not read" in out.stdout
    again = run("ingest", str(path), "--client", "Acme", "--format", "tracker", "--quiet")
    assert again.returncode == 0 and "already loaded" in again.stdout
    assert "tracker" in run("ingest", "--help").stdout


def test_auto_detection_prefers_the_tracker_when_it_reads_more_sheets_than_the_template(make_db, tmp_path):
    # "Requisition ID" + "Application ID" fit the template's applications by their headers too, but
    # read so the Date Submitted would be lost and the "Reqs" sheet left out: the tracker reads both.
    wb = openpyxl.Workbook()
    reqs = wb.active
    reqs.title = "Reqs"
    reqs.append(["Req #", "Dept", "Date Opened"])
    reqs.append(["R1", "Eng", dt.date(2026, 5, 1)])
    log = wb.create_sheet("May")
    log.append(["Requisition ID", "Application ID", "Date Submitted"])
    log.append(["R1", "A1", dt.date(2026, 5, 4)])
    log.append(["R1", "A2", dt.date(2026, 5, 6)])
    june = wb.create_sheet("June")
    june.append(["Requisition ID", "Application ID", "Date Submitted"])
    june.append(["R1", "A2", dt.date(2026, 6, 2)])   # A2 again: June's row replaces May's, and says so
    con = make_db(SETTINGS)
    reports = ingest_file(con, save(wb, tmp_path / "book.xlsx"), client="Acme")
    assert {(r.sheet, r.kind, r.format) for r in reports if r.kind != "stage_events"} == {
        ("Reqs", "requisitions", "recruiter tracker (requisition tracker)"),
        ("May", "applications", "recruiter tracker (submittal log)"),
        ("June", "applications", "recruiter tracker (submittal log)")}
    june_apps = _report(reports, "June", "applications")
    assert "1 application_id(s) also on sheet 'May': the rows here replace those" in june_apps.notes
    assert con.execute("SELECT application_id, source_row, file_id FROM applications ORDER BY 1").fetchall() == [
        ("A1", 2, 1), ("A2", 2, 1)]
    s = run_summary(con, as_of="2026-06-30")
    assert (s["time_to_submit"]["median"], s["interview_conversion"]["submitted"]) == (3.0, 2)


def test_rows_holding_only_formula_results_are_skipped_and_named(make_db, tmp_path):
    # "Days open" is filled down below the data; Excel saved a number in every row of it.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Reqs"
    ws.append(["Req #", "Dept", "Date Opened", "Days open"])
    ws.append([1042, "Eng", dt.date(2026, 5, 4), "=TODAY()-C2"])
    for row in (3, 4, 5):
        ws.append([None, None, None, f"=TODAY()-C{row}"])
    cached = {f"=TODAY()-C{row}": 46000 - row for row in (2, 3, 4, 5)}
    con = make_db(SETTINGS)
    (rep,) = ingest_file(con, save(wb, tmp_path / "reqs.xlsx", {"Reqs": cached}), client="Acme")
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (1, 1, 0)
    assert rep.notes == ["rows 3 to 5: only formula results, no id, not read"]
    assert con.execute("SELECT requisition_id, extra FROM requisitions").fetchall() == [("1042", '{"days_open":"45998"}')]


def test_delivered_column_holding_counts_is_kept_but_not_read_as_dates(make_db, tmp_path):
    # "Promised 3 by Fri, delivered 2": the Delivered column counts candidates; no delivery date.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Promises"
    ws.append(["Req #", "Promised", "Delivered", "Due"])
    ws.append([1042, 3, 2, dt.date(2026, 5, 15)])
    ws.append([1043, 1, None, dt.date(2026, 5, 20)])
    con = make_db(SETTINGS)
    (rep,) = ingest_file(con, save(wb, tmp_path / "promises.xlsx"), client="Acme")
    assert (rep.rows_loaded, rep.rows_rejected) == (2, 0)
    assert "column Delivered holds counts, not dates: kept with each row, and no delivery date is read from it" \
        in rep.notes
    assert con.execute("SELECT commitment_id, promised_count, delivered_on, extra FROM commitments ORDER BY 1"
                       ).fetchall() == [("1042 due 2026-05-15", 3, None, '{"delivered":"2"}'),
                                        ("1043 due 2026-05-20", 1, None, '{"delivered":null}')]
