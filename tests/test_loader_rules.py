"""Loading rules of docs/domain.md, docs/interfaces.md and docs/formats.md, checked on tiny files
written into tmp_path and loaded through `ingest` (the same code as `python -m loaders ingest`)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import textwrap

import openpyxl
import pytest

from conftest import CHICAGO_TOML, D
from loaders.ingest import ingest
from loaders.settings import SettingsError, parse_settings, save_client
from metrics import Filters, summary

TABLES = ("clients", "stage_dictionary", "files", "requisitions", "applications", "stage_events",
          "commitments", "rejected_rows")

# A small complete data set (every template table), used where a test needs "a loaded database".
BASE = {
    "requisitions": """
        client,requisition_id,title,department,recruiter,opened_at,closed_at
        Acme,R1,Engineer,Eng,alice,2026-05-01,
        Acme,R2,Analyst,Sales,bob,2026-05-04,2026-06-20
    """,
    "applications": """
        client,application_id,requisition_id,source,status
        Acme,A1,R1,LinkedIn,active
        Acme,A2,R1,Referral,active
        Acme,A3,R2,Agency,hired
    """,
    "stage_events": """
        client,application_id,stage,entered_at
        Acme,A1,submitted,2026-05-05T15:00:00Z
        Acme,A1,interviewed,2026-05-08T15:00:00Z
        Acme,A2,submitted,2026-05-06T15:00:00Z
        Acme,A3,submitted,2026-05-07T15:00:00Z
        Acme,A3,offered,2026-05-20T15:00:00Z
        Acme,A3,hired,2026-05-25T15:00:00Z
    """,
    "commitments": """
        client,commitment_id,requisition_id,due_date,revised_due_date,revised_on,delivered_on,side,reason
        Acme,C1,R1,2026-05-10,2026-05-15,2026-05-08,2026-05-12,client,HM on leave
        Acme,C2,,2026-05-20,,,,,
    """,
}


def snapshot(con) -> dict:
    """Every stored row of every table (sorted), so 'the database is unchanged' can be compared."""
    out = {}
    for t in TABLES:
        cols = [r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()]
        keep = [f'"{c}"' for c in cols if c not in ("loaded_at", "updated_at")]
        out[t] = sorted(map(repr, con.execute(f"SELECT {', '.join(keep)} FROM {t}").fetchall()))
    return out


def counts(con) -> dict:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def csv_text(rows) -> str:
    """CSV text from rows of values, quoted as a spreadsheet program would write it."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def rejected(con) -> list[tuple]:
    return con.execute('SELECT file_name, sheet, kind, "row", "column", reason FROM rejected_rows '
                       'ORDER BY file_name, "row"').fetchall()


# ---------------------------------------------------------------------------------------------
# Time forms


# (raw value, stored UTC instant, stored local date in America/Chicago). CDT = UTC-5 (mid-March
# to early November), CST = UTC-6.
TIME_FORMS = [
    # ISO-8601 UTC with ms: 15:11 CDT
    ("2016-03-26T20:11:39.000Z", dt.datetime(2016, 3, 26, 20, 11, 39), dt.date(2016, 3, 26)),
    # ISO-8601 UTC without ms: 08:42 CST
    ("2013-12-11T14:42:58Z", dt.datetime(2013, 12, 11, 14, 42, 58), dt.date(2013, 12, 11)),
    # ISO with an explicit offset: 20:11 at UTC-5 is 01:11Z the next day, still the 26th locally
    ("2026-03-26T20:11:39-05:00", dt.datetime(2026, 3, 27, 1, 11, 39), dt.date(2026, 3, 26)),
    # date only: a local date, its instant is local midnight (05:00Z in CDT)
    ("2018-06-07", dt.datetime(2018, 6, 7, 5, 0), dt.date(2018, 6, 7)),
    # epoch milliseconds: 1628509001183 = 2021-08-09T11:36:41.183Z (06:36 CDT)
    ("1628509001183", dt.datetime(2021, 8, 9, 11, 36, 41, 183000), dt.date(2021, 8, 9)),
    # space-separated, no zone = UTC, with ms: 06:00Z is 00:00 CST, still the 31st
    ("2024-01-31 06:00:00.000", dt.datetime(2024, 1, 31, 6, 0), dt.date(2024, 1, 31)),
    # ... without ms, and with a trailing space
    ("2021-02-01 14:34:32", dt.datetime(2021, 2, 1, 14, 34, 32), dt.date(2021, 2, 1)),
    ("2021-02-01 14:34:32 ", dt.datetime(2021, 2, 1, 14, 34, 32), dt.date(2021, 2, 1)),
    # US short date, 2-digit year, with a time (a UTC instant): Jan 2nd 00:00Z = Jan 1st 18:00 CST
    ("1/2/16 00:00", dt.datetime(2016, 1, 2, 0, 0), dt.date(2016, 1, 1)),
    ("02/09/16 11:22", dt.datetime(2016, 2, 9, 11, 22), dt.date(2016, 2, 9)),
    # US short date, 4-digit year, no time: the local date June 1st (local midnight = 05:00Z)
    ("06/01/2025", dt.datetime(2025, 6, 1, 5, 0), dt.date(2025, 6, 1)),
    # Excel serial date: 45292 = 1899-12-30 + 45292 days = 2024-01-01, a local date (06:00Z in CST)
    ("45292", dt.datetime(2024, 1, 1, 6, 0), dt.date(2024, 1, 1)),
    # Excel serial with a time fraction: 2024-01-01 12:00Z (06:00 CST)
    ("45292.5", dt.datetime(2024, 1, 1, 12, 0), dt.date(2024, 1, 1)),
]


@pytest.mark.parametrize("raw, at, on", TIME_FORMS, ids=[t[0].strip() or "blank" for t in TIME_FORMS])
def test_every_time_form_is_read(make_db, raw, at, on):
    # One stage event per form; the CSV writer quotes the value so a trailing space survives.
    con = make_db(CHICAGO_TOML, {"stage_events": csv_text([
        ["client", "application_id", "stage", "entered_at"], ["Acme", "A1", "submitted", raw]])})
    assert con.execute("SELECT entered_at, entered_on FROM stage_events").fetchall() == [(at, on)]


def test_date_order_setting_decides_slash_dates(make_db):
    # "03/04/2026" is April 3rd for a DMY client and March 4th for an MDY one; "13/04/2026" is a
    # valid DMY date but no MDY date (month 13) and is rejected there, never silently swapped.
    events = csv_text([["client", "application_id", "stage", "entered_at"],
                       ["Acme", "A1", "submitted", "03/04/2026"],
                       ["Acme", "A2", "submitted", "13/04/2026"],
                       ["Acme", "A3", "submitted", "25/03/2026 09:15"]])
    dmy = make_db(CHICAGO_TOML + 'date_order = "DMY"\n', {"stage_events": events})
    assert dict(dmy.execute("SELECT application_id, entered_on FROM stage_events").fetchall()) == {
        "A1": dt.date(2026, 4, 3), "A2": dt.date(2026, 4, 13), "A3": dt.date(2026, 3, 25)}
    assert dmy.execute("SELECT entered_at FROM stage_events WHERE application_id = 'A3'").fetchone()[0] \
        == dt.datetime(2026, 3, 25, 9, 15)

    mdy = make_db(CHICAGO_TOML, {"stage_events": events}, check=False)
    assert dict(mdy.execute("SELECT application_id, entered_on FROM stage_events").fetchall()) == {
        "A1": dt.date(2026, 3, 4)}
    bad = {(r[3], r[4]) for r in rejected(mdy)}
    assert bad == {(3, "entered_at"), (4, "entered_at")}


# ---------------------------------------------------------------------------------------------
# Re-loading and newer exports


def test_same_file_loaded_twice_changes_nothing(make_db, summ, tmp_path):
    # Loading the same files again (from the same place, or a copy elsewhere) must leave every
    # table, the rejected rows and the summary exactly as they were. One row is bad on purpose
    # (unreadable date) so that rejected rows are not duplicated either.
    tables = dict(BASE)
    tables["commitments"] = textwrap.dedent(BASE["commitments"]) + "Acme,C3,,someday,,,,,\n"
    con = make_db(CHICAGO_TOML, tables, check=False)
    first = make_db.reports
    assert sum(r.rows_rejected for r in first) == 1
    before, before_summary = snapshot(con), summ(con, as_of="2026-07-01")
    paths = [r.path for r in first]

    again = ingest(con, paths)
    assert not [r.error for r in again if r.error]
    # Files that loaded whole are skipped; the one with the bad row reads that row again, which is
    # rejected again and recorded once, as before.
    assert sorted((r.skipped is None, r.rows_read, r.rows_loaded) for r in again) == [(False, 0, 0)] * 3 + [(True, 1, 0)]
    assert snapshot(con) == before
    assert summ(con, as_of="2026-07-01") == before_summary

    copy = tmp_path / "copy"
    copy.mkdir()
    for p in paths:
        shutil.copy(p, copy)
    ingest(con, [copy])
    assert snapshot(con)["requisitions"] == before["requisitions"]
    assert counts(con)["rejected_rows"] == 1
    assert summ(con, as_of="2026-07-01") == before_summary


def test_newer_export_replaces_the_rows_it_carries(make_db, summ):
    # A newer applications export carries A1 (now hired, another source) and a new A3b; A2 and A3
    # are not in it and stay as they were. A newer commitments export adds C2's delivery date.
    # Another client with the same requisition id R1 is not touched (same client AND id).
    con = make_db(CHICAGO_TOML, BASE)
    save_client(con, parse_settings('name = "Globex"\n'))
    make_db.load(con, {"requisitions": """
        client,requisition_id,title,department,opened_at
        Globex,R1,Globex engineer,Ops,2026-05-01
    """})
    dl_before = summ(con, as_of="2026-07-01")["deadline_adherence"]

    make_db.load(con, {
        "applications": """
            client,application_id,requisition_id,source,status
            Acme,A1,R1,Job board,hired
            Acme,A3b,R2,LinkedIn,active
        """,
        "commitments": """
            client,commitment_id,requisition_id,due_date,delivered_on,side
            Acme,C2,,2026-05-20,2026-05-19,rpo
        """,
        "requisitions": """
            client,requisition_id,title,department,opened_at
            Acme,R1,Senior engineer,Eng,2026-05-01
        """})
    apps = {r[0]: r[1:] for r in con.execute(
        "SELECT application_id, requisition_id, source, status FROM applications WHERE client = 'Acme'").fetchall()}
    assert apps == {"A1": ("R1", "Job board", "hired"), "A2": ("R1", "Referral", "active"),
                    "A3": ("R2", "Agency", "hired"), "A3b": ("R2", "LinkedIn", "active")}
    assert con.execute("SELECT count(*) FROM commitments").fetchone()[0] == 2
    assert con.execute("SELECT delivered_on FROM commitments WHERE commitment_id = 'C2'").fetchone()[0] \
        == dt.date(2026, 5, 19)
    titles = dict(con.execute("SELECT client, title FROM requisitions WHERE requisition_id = 'R1'").fetchall())
    assert titles == {"Acme": "Senior engineer", "Globex": "Globex engineer"}
    # C2 was missed (nothing delivered, due 05-20); now it is met: one more met, one fewer missed.
    dl_after = summ(con, as_of="2026-07-01")["deadline_adherence"]
    assert (dl_after["met"], dl_after["missed"]) == (dl_before["met"] + 1, dl_before["missed"] - 1)


# ---------------------------------------------------------------------------------------------
# Personal data, ids, clients, duplicates, hostile text


def test_personal_data_columns_are_dropped_reported_and_stored_nowhere(make_db):
    # candidate_name, email and phone are dropped (reported on the file's report and in the files
    # table); their values appear in no table, not even in the raw values of a rejected row
    # (row 3 lacks its requisition_id and is rejected).
    secrets = ["Jane Doe", "jane.doe@example.com", "+1 312 555 0100", "John Roe", "john@example.org",
               "312-555-0199"]
    con = make_db(CHICAGO_TOML, {"applications": csv_text([
        ["client", "application_id", "requisition_id", "candidate_name", "email", "phone", "source"],
        ["Acme", "A1", "R1", "Jane Doe", "jane.doe@example.com", "+1 312 555 0100", "LinkedIn"],
        ["Acme", "A2", "", "John Roe", "john@example.org", "312-555-0199", "Referral"]])}, check=False)
    (rep,) = make_db.reports
    assert sorted(rep.dropped_columns) == ["candidate_name", "email", "phone"]
    assert (rep.rows_loaded, rep.rows_rejected) == (1, 1)
    stored = con.execute("SELECT dropped_columns FROM files").fetchone()[0]
    assert sorted(stored) == ["candidate_name", "email", "phone"]
    for t in TABLES:
        if t == "files":
            continue  # names the dropped columns (that is the report), holds no values
        cols = [r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()]
        assert not {"candidate_name", "email", "phone"} & set(cols), t
        dump = repr(con.execute(f"SELECT * FROM {t}").fetchall())
        for s in secrets:
            assert s not in dump, (t, s)
    raw = con.execute("SELECT raw FROM rejected_rows").fetchone()[0]
    assert "Referral" in raw and "A2" in raw   # the raw values are kept, minus the personal ones


def test_ids_typed_as_numbers_read_as_integers(make_db, summ):
    # A spreadsheet turned ids into "1042.0" / "7.0"; they must be the same ids as "1042" / "7",
    # so the application, its events and the commitment join their requisition.
    # R 1042 opened 05-01, application 7 submitted 05-04 -> time to submit 3; the commitment
    # on 1042 counts under its department (Eng).
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,1042.0,Eng,2026-05-01
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,7.0,1042
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,7,submitted,2026-05-04T15:00:00Z
        """,
        "commitments": """
            client,commitment_id,requisition_id,due_date
            Acme,501.0,1042.0,2026-05-10
        """})
    assert con.execute("SELECT requisition_id FROM requisitions").fetchall() == [("1042",)]
    assert con.execute("SELECT application_id, requisition_id FROM applications").fetchall() == [("7", "1042")]
    assert con.execute("SELECT application_id FROM stage_events").fetchall() == [("7",)]
    assert con.execute("SELECT commitment_id, requisition_id FROM commitments").fetchall() == [("501", "1042")]
    s = summ(con, as_of="2026-06-01", departments="Eng")
    assert (s["time_to_submit"]["n"], s["time_to_submit"]["median"]) == (1, 3.0)
    assert s["interview_conversion"]["submitted"] == 1
    # SLA of 1042 (met on 05-04) + the commitment (missed): both under Eng.
    assert s["deadline_adherence"]["due"] == 2


def test_unknown_client_rows_are_rejected_with_a_clear_reason(make_db):
    # " acme " matches Acme (trimmed, case-insensitive); "Nobody Inc" is no client: its row
    # (sheet row 4, the header being row 1) is rejected, saying which client is unknown.
    con = make_db(CHICAGO_TOML, {"requisitions": """
        client,requisition_id,department,opened_at
        Acme,R1,Eng,2026-05-01
         acme ,R2,Eng,2026-05-01
        Nobody Inc,R3,Eng,2026-05-01
    """}, check=False)
    (rep,) = make_db.reports
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (3, 2, 1)
    assert sorted(r[0] for r in con.execute("SELECT requisition_id FROM requisitions").fetchall()) == ["R1", "R2"]
    ((file_name, _, kind, row, column, reason),) = rejected(con)
    assert (file_name, kind, row, column) == ("requisitions.csv", "requisitions", 4, "client")
    assert "unknown client" in reason.lower() and "Nobody Inc" in reason


def test_duplicate_id_in_one_file_keeps_the_first_and_rejects_the_duplicate(make_db):
    # R1 appears on rows 2 and 4: row 2 ("First") is kept; row 4 is rejected with a reason
    # naming the row that was kept.
    con = make_db(CHICAGO_TOML, {"requisitions": """
        client,requisition_id,title,department,opened_at
        Acme,R1,First,Eng,2026-05-01
        Acme,R2,Other,Eng,2026-05-01
        Acme,R1,Second,Eng,2026-05-02
    """}, check=False)
    (rep,) = make_db.reports
    assert (rep.rows_loaded, rep.rows_rejected) == (2, 1)
    assert con.execute("SELECT title FROM requisitions WHERE requisition_id = 'R1'").fetchall() == [("First",)]
    ((_, _, _, row, column, reason),) = rejected(con)
    assert (row, column) == (4, "requisition_id")
    assert "duplicate" in reason.lower() and "row 2" in reason
    assert "Second" in con.execute("SELECT raw FROM rejected_rows").fetchone()[0]


def test_duplicate_keys_written_with_padding_or_three_times_keep_each_first_row(make_db):
    # A1's event is on rows 2, 3 (padded with spaces) and 4; A2's on rows 5 and 6: rows 2 and 5
    # are kept, and each other row is rejected naming the row kept.
    con = make_db(CHICAGO_TOML, {"stage_events.csv": csv_text([
        ["client", "application_id", "stage", "entered_at"],
        ["Acme", "A1", "submitted", "2026-05-05T15:00:00Z"],
        ["Acme", "\u00a0A1 ", " submitted", "2026-05-05T15:00:00Z "],
        ["Acme", "A1", "submitted", "2026-05-05T15:00:00Z"],
        ["Acme", "A2", "interviewed", "2026-05-08 15:00:00"],
        ["Acme", "A2", "interviewed", "2026-05-08 15:00:00"],
    ]).encode()}, check=False)
    (rep,) = make_db.reports
    assert (rep.rows_loaded, rep.rows_rejected) == (2, 3)
    assert con.execute("SELECT application_id, source_row FROM stage_events ORDER BY 1").fetchall() == [
        ("A1", 2), ("A2", 5)]
    assert [(r[3], r[4], r[5].rsplit("; ", 1)[1]) for r in rejected(con)] == [
        (3, "application_id", "row 2 holds the same and was kept"),
        (4, "application_id", "row 2 holds the same and was kept"),
        (6, "application_id", "row 5 holds the same and was kept")]


def test_a_client_named_with_padding_or_other_capitals_is_one_client(make_db):
    con = make_db(CHICAGO_TOML, {"requisitions.csv": csv_text([
        ["client", "requisition_id", "department", "opened_at"],
        ["\u00a0Acme", "R1", "Eng", "2026-05-01"], ["acme ", "R2", "Eng", "2026-05-01"],
        ["ACME", "R3", "Eng", "2026-05-01"]]).encode()})
    assert con.execute("SELECT client, count(*) FROM requisitions GROUP BY 1").fetchall() == [("Acme", 3)]


def test_formula_and_sql_like_text_is_stored_as_plain_text(make_db):
    # Cell text is data: a formula stays its text, SQL stays text, quotes survive, and every
    # table is still there afterwards. A row for a hostile unknown client name is rejected,
    # and its reason quotes the name verbatim.
    formula = '=HYPERLINK("x")'
    sql = "'); DROP TABLE requisitions; --"
    sql_id = "x'); DROP TABLE requisitions; --"
    hostile_client = "O'Brien'); DROP TABLE clients; --"
    con = make_db(CHICAGO_TOML, {
        "requisitions": csv_text([
            ["client", "requisition_id", "title", "department", "hiring_manager", "opened_at", "notes"],
            ["Acme", "R1", formula, sql, 'Robert"); DELETE FROM clients; --', "2026-05-01", "=1+2"],
            ["Acme", sql_id, "@SUM(A1:A9)", "Eng", "+cmd|' /C calc'!A0", "2026-05-01", "-2+3"],
            [hostile_client, "R3", "t", "Eng", "", "2026-05-01", ""]]),
        "stage_events": csv_text([
            ["client", "application_id", "stage", "entered_at"],
            ["Acme", "A1", "'); DROP TABLE stage_events; --", "2026-05-02T15:00:00Z"]])}, check=False)
    assert counts(con)["clients"] == 1
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT requisition_id, title, department, hiring_manager, extra->>'notes' FROM requisitions").fetchall()}
    assert rows == {"R1": (formula, sql, 'Robert"); DELETE FROM clients; --', "=1+2"),
                    sql_id: ("@SUM(A1:A9)", "Eng", "+cmd|' /C calc'!A0", "-2+3")}
    assert con.execute("SELECT raw_stage, stage FROM stage_events").fetchall() == [
        ("'); DROP TABLE stage_events; --", None)]
    ((_, _, _, row, column, reason),) = rejected(con)
    assert (row, column) == (4, "client")
    assert hostile_client in reason


def test_unreadable_date_is_rejected_naming_file_row_and_column(make_db):
    # Row 3 (header = row 1) has opened_at "next tuesday": rejected; the rejected-rows record
    # names the file, the row and the column, the reason quotes the value, and the raw values
    # are kept. Row 2 loads.
    con = make_db(CHICAGO_TOML, {"requisitions": """
        client,requisition_id,department,opened_at
        Acme,R1,Eng,2026-05-01
        Acme,R2,Eng,next tuesday
    """}, check=False)
    (rep,) = make_db.reports
    assert (rep.rows_loaded, rep.rows_rejected) == (1, 1)
    ((row, column, reason),) = rep.rejected_sample
    assert (row, column) == (3, "opened_at")
    assert "next tuesday" in reason
    ((file_name, _, kind, row, column, reason),) = rejected(con)
    assert (file_name, kind, row, column) == ("requisitions.csv", "requisitions", 3, "opened_at")
    assert "next tuesday" in reason
    raw = con.execute("SELECT raw FROM rejected_rows").fetchone()[0]
    assert "R2" in raw and "next tuesday" in raw


# ---------------------------------------------------------------------------------------------
# Files that cannot be loaded at all: the report says why, the database is unchanged


def _loaded_base(make_db, summ):
    con = make_db(CHICAGO_TOML, BASE)
    return con, snapshot(con), summ(con, as_of="2026-07-01")


def test_missing_required_column_fails_the_file_and_changes_nothing(make_db, summ):
    # A requisitions file without opened_at: the whole file fails (even its good-looking rows),
    # the report's error names the file and the column, and nothing in the database changes.
    con, before, before_summary = _loaded_base(make_db, summ)
    reports = make_db.load(con, {"requisitions": """
        client,requisition_id,title,department
        Acme,R1,Renamed,Eng
        Acme,R9,New,Eng
    """}, check=False)
    (rep,) = reports
    assert rep.error and "requisitions.csv" in rep.error and "opened_at" in rep.error
    assert snapshot(con) == before
    assert summ(con, as_of="2026-07-01") == before_summary


def test_empty_file_is_reported_and_changes_nothing(make_db, summ):
    con, before, before_summary = _loaded_base(make_db, summ)
    (rep,) = make_db.load(con, {"requisitions.csv": b""}, check=False)
    assert rep.error and "requisitions.csv" in rep.error and "empty" in rep.error.lower()
    assert snapshot(con) == before
    assert summ(con, as_of="2026-07-01") == before_summary


@pytest.mark.parametrize("content", [
    bytes(range(256)) * 16,                                         # with NUL bytes
    b"\x89PNG\r\n\x1a\n" + bytes(range(1, 256)) * 8,                # no NUL byte
], ids=["with-nul", "png-like"])
def test_binary_garbage_named_csv_is_reported_and_changes_nothing(make_db, summ, content):
    con, before, before_summary = _loaded_base(make_db, summ)
    (rep,) = make_db.load(con, {"requisitions.csv": content}, check=False)
    assert rep.error and "requisitions.csv" in rep.error
    assert snapshot(con) == before
    assert summ(con, as_of="2026-07-01") == before_summary


def test_text_file_named_xlsx_is_reported_and_changes_nothing(make_db, summ):
    con, before, before_summary = _loaded_base(make_db, summ)
    text = "client,requisition_id,department,opened_at\nAcme,R9,Eng,2026-05-01\n"
    (rep,) = make_db.load(con, {"requisitions.xlsx": text.encode()}, check=False)
    assert rep.error and "requisitions.xlsx" in rep.error
    assert "excel" in rep.error.lower() or "workbook" in rep.error.lower()
    assert snapshot(con) == before
    assert summ(con, as_of="2026-07-01") == before_summary


# ---------------------------------------------------------------------------------------------
# A recruiter's XLSX workbook


def test_xlsx_workbook_with_title_row_blank_rows_date_cells_and_numeric_ids(make_db, summ, tmp_path):
    # Sheet "requisitions": a title row, a blank row, the header on row 3, data on rows 4, 6, 7
    # (row 5 blank). 1042 has a real date cell (a local date: May 4th); 1043 a text date
    # "05/06/2026" (MDY: May 6th) and an assigned_at date-time cell with a time of day
    # (2026-05-07 15:30, a UTC instant); 1044's opened_at "someday" is rejected on sheet
    # "requisitions", row 7, column opened_at. Ids are numeric cells.
    # Stage events: application 7's submittal is a date-time cell 2026-05-08 03:00 (UTC) ->
    # May 7th in Chicago; application 8's is text "2026-05-12T15:00:00Z".
    # Time to submit: 1042 05-04 -> 05-07 = 3; 1043 starts at assigned 05-07 -> 05-12 = 5.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "requisitions"
    ws.append(["Acme requisition tracker - Q2 2026"])
    ws.append([])
    ws.append(["Client", "Requisition ID", "Title", "Department", "Opened At", "Assigned At"])
    ws.append(["Acme", 1042, "Engineer", "Eng", dt.date(2026, 5, 4), None])
    ws.append([])
    ws.append(["Acme ", 1043, "Analyst", "Sales", "05/06/2026", dt.datetime(2026, 5, 7, 15, 30)])
    ws.append(["Acme", 1044, "Broken", "Eng", "someday", None])
    apps = wb.create_sheet("applications")
    apps.append(["client", "application_id", "requisition_id"])
    apps.append(["Acme", 7, 1042])
    apps.append(["Acme", 8, 1043])
    events = wb.create_sheet("stage_events")
    events.append(["client", "application_id", "stage", "entered_at"])
    events.append(["Acme", 7, "submitted", dt.datetime(2026, 5, 8, 3, 0)])
    events.append(["Acme", 8, "submitted", "2026-05-12T15:00:00Z"])
    commitments = wb.create_sheet("commitments")
    commitments.append(["client", "commitment_id", "requisition_id", "due_date", "delivered_on"])
    commitments.append(["Acme", 501, 1042, dt.date(2026, 5, 15), dt.date(2026, 5, 14)])
    path = tmp_path / "tracker.xlsx"
    wb.save(path)

    con = make_db(CHICAGO_TOML)
    reports = ingest(con, [path])
    assert all(r.error is None for r in reports), [r.error for r in reports]
    by_kind = {r.kind: r for r in reports}
    req = by_kind["requisitions"]
    assert (req.sheet, req.rows_read, req.rows_loaded, req.rows_rejected) == ("requisitions", 3, 2, 1)
    assert [(r.rows_loaded, r.rows_rejected) for r in (by_kind["applications"], by_kind["stage_events"],
                                                       by_kind["commitments"])] == [(2, 0), (2, 0), (1, 0)]

    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT requisition_id, opened_on, opened_at, assigned_at, assigned_on, source_row FROM requisitions").fetchall()}
    assert rows == {
        "1042": (dt.date(2026, 5, 4), dt.datetime(2026, 5, 4, 5, 0), None, None, 4),
        "1043": (dt.date(2026, 5, 6), dt.datetime(2026, 5, 6, 5, 0), dt.datetime(2026, 5, 7, 15, 30),
                 dt.date(2026, 5, 7), 6),
    }
    assert dict(con.execute("SELECT application_id, entered_on FROM stage_events").fetchall()) == {
        "7": dt.date(2026, 5, 7), "8": dt.date(2026, 5, 12)}
    assert con.execute("SELECT commitment_id, requisition_id, due_date, delivered_on FROM commitments").fetchall() \
        == [("501", "1042", dt.date(2026, 5, 15), dt.date(2026, 5, 14))]
    ((file_name, sheet, kind, row, column, reason),) = rejected(con)
    assert (file_name, sheet, kind, row, column) == ("tracker.xlsx", "requisitions", "requisitions", 7, "opened_at")
    assert "someday" in reason

    s = summ(con, as_of="2026-06-01")
    assert (s["time_to_submit"]["n"], s["time_to_submit"]["median"]) == (2, 4.0)
    eng = summ(con, as_of="2026-06-01", departments="Eng")["deadline_adherence"]
    # Eng: SLA of 1042 (due 05-14, submitted 05-07) met + commitment 501 met.
    assert (eng["due"], eng["met"]) == (2, 2)


def test_workbook_sheet_missing_a_required_column_fails_the_file_and_changes_nothing(make_db, summ, tmp_path):
    # The template's tables are "file / sheet": a sheet named `commitments` whose header lacks the
    # required due_date is the workbook form of a CSV file missing a column. Its row must not
    # vanish with a generic "no template table found": the report's error names the file, the
    # sheet and the missing column, and (one transaction per file) the good `requisitions` sheet
    # of the same workbook is not half-loaded either: the database is unchanged.
    con, before, before_summary = _loaded_base(make_db, summ)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "requisitions"
    ws.append(["client", "requisition_id", "department", "opened_at"])
    ws.append(["Acme", "R9", "Eng", dt.date(2026, 5, 1)])
    sheet = wb.create_sheet("commitments")
    sheet.append(["client", "commitment_id", "requisition_id", "delivered_on"])
    sheet.append(["Acme", "C9", "R9", dt.date(2026, 5, 3)])
    path = tmp_path / "tracker.xlsx"
    wb.save(path)
    reports = ingest(con, [path])
    errors = [r.error for r in reports if r.error]
    assert errors, [(r.sheet, r.skipped) for r in reports]
    assert any("tracker.xlsx" in e and "commitments" in e and "due_date" in e for e in errors), errors
    assert snapshot(con) == before
    assert summ(con, as_of="2026-07-01") == before_summary


def test_client_renamed_with_other_capitals_keeps_its_data(make_db, summ):
    con = make_db(CHICAGO_TOML, {
        "requisitions": "client,requisition_id,department,opened_at\nAcme,R1,Eng,2026-05-01\n",
        "applications": "client,application_id,requisition_id\nAcme,A1,R1\n",
        "stage_events": "client,application_id,stage,entered_at\nAcme,A1,submitted,2026-05-04T15:00:00Z\n",
    })
    save_client(con, parse_settings('name = "ACME"\ntimezone = "America/Chicago"\n'))
    s = summary(con, Filters("acme", as_of=D("2026-06-01")))
    assert s["client"] == "ACME"
    assert (s["time_to_submit"]["n"], s["time_to_submit"]["median"]) == (1, 3.0)
    assert con.execute("SELECT DISTINCT client FROM requisitions").fetchall() == [("ACME",)]


def test_date_order_cannot_change_once_data_is_loaded(make_db):
    # (A new time zone re-derives the stored local dates instead: tests/test_settings_page.py.)
    con = make_db(CHICAGO_TOML, {
        "requisitions": "client,requisition_id,department,opened_at\nAcme,R1,Eng,2026-05-01\n"})
    with pytest.raises(SettingsError, match="date_order"):
        save_client(con, parse_settings('name = "Acme"\ntimezone = "America/Chicago"\ndate_order = "DMY"\n'))
    # Everything else may change: targets, SLA, holidays, the stage dictionary.
    save_client(con, parse_settings('name = "Acme"\ntimezone = "America/Chicago"\n[sla]\nwithin_days = 5\n'))


def _workbook(sheets: dict, hidden=()) -> bytes:
    """An XLSX file's bytes: {sheet name: rows}; sheets named in `hidden` are hidden."""
    import openpyxl
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if name in hidden:
            ws.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


REQ_HEADER = ["client", "requisition_id", "department", "opened_at"]


def test_personal_data_in_any_header_spelling_is_dropped(make_db):
    headers = ["FirstName", "candidate.lastName", "Home Address", "Name (Candidate)", "E-mail", "Mobile Phone"]
    values = ["Jane", "Doe", "1 Main St", "Jane Doe", "jd@example.com", "+1 312 555 0100"]
    con = make_db(CHICAGO_TOML, {"applications": csv_text([
        ["client", "application_id", "requisition_id", "source"] + headers,
        ["Acme", "A1", "R1", "Referral"] + values])})
    (rep,) = make_db.reports
    assert len(rep.dropped_columns) == len(headers)
    stored = " ".join(str(r) for t in ("applications", "rejected_rows", "files")
                      for r in con.execute(f"SELECT * FROM {t}").fetchall())
    assert not [v for v in values if v in stored]
    assert "Referral" in stored   # other columns are kept


def test_hidden_and_unnamed_sheets_are_not_read_and_are_reported(make_db):
    # An old copy of the requisitions sits in a hidden sheet: it must not overwrite the real one.
    book = _workbook({"requisitions": [REQ_HEADER, ["Acme", "R1", "Eng", "2026-03-01"]],
                      "old copy": [REQ_HEADER, ["Acme", "R1", "Ops", "2025-01-01"]],
                      "Notes": [["Call the HM on Monday"]]}, hidden=("old copy",))
    con = make_db(CHICAGO_TOML, {"book.xlsx": book}, check=False)
    assert con.execute("SELECT department, opened_on FROM requisitions").fetchall() == [("Eng", D("2026-03-01"))]
    skipped = {r.sheet: r.skipped for r in make_db.reports if r.skipped}
    assert "hidden" in skipped["old copy"] and "not read" in skipped["Notes"]


def test_two_sheets_holding_the_same_table_fail_the_workbook(make_db):
    book = _workbook({"Sheet1": [REQ_HEADER, ["Acme", "R1", "Eng", "2026-03-01"]],
                      "Sheet2": [REQ_HEADER, ["Acme", "R1", "Ops", "2025-01-01"]]})
    con = make_db(CHICAGO_TOML, {"book.xlsx": book}, check=False)
    (rep,) = make_db.reports
    assert "'Sheet1' and 'Sheet2' both hold requisitions" in rep.error
    assert con.execute("SELECT count(*) FROM requisitions").fetchall() == [(0,)]


def test_xlsx_column_mixing_date_and_date_time_cells_keeps_each_time_of_day(make_db):
    # A date cell (a local date) above date-time cells (UTC instants): each keeps its own meaning.
    book = _workbook({"stage_events": [
        ["client", "application_id", "stage", "entered_at"],
        ["Acme", "A1", "applied", dt.date(2026, 3, 8)],
        ["Acme", "A1", "submitted", dt.datetime(2026, 3, 9, 4, 30)],    # 23:30 on the 8th in Chicago
        ["Acme", "A1", "interviewed", dt.datetime(2026, 3, 9, 18, 30)]]})
    con = make_db(CHICAGO_TOML, {"book.xlsx": book})
    rows = con.execute("SELECT raw_stage, entered_at, entered_on FROM stage_events ORDER BY entered_at").fetchall()
    assert rows == [("applied", dt.datetime(2026, 3, 8, 6, 0), D("2026-03-08")),
                    ("submitted", dt.datetime(2026, 3, 9, 4, 30), D("2026-03-08")),
                    ("interviewed", dt.datetime(2026, 3, 9, 18, 30), D("2026-03-09"))]


def test_latin1_csv_from_a_spreadsheet_program_is_read(make_db):
    data = "client,requisition_id,department,opened_at\nAcme,R1,Ingénierie,2026-03-02\n".encode("latin-1")
    con = make_db(CHICAGO_TOML, {"requisitions.csv": data})
    assert con.execute("SELECT department FROM requisitions").fetchall() == [("Ingénierie",)]


def test_rows_of_a_large_csv_keep_their_line_numbers(make_db):
    # 200,000 stage events (about 9 MB: the reader parses it in many blocks, on every core).
    # Unreadable dates on lines 2, 100,001 and 200,001 (the header is line 1) are rejected naming
    # exactly those lines, and every stored row's source_row is its own line.
    lines = ["client,application_id,stage,entered_at"]
    for i in range(200_000):
        lines.append(f"Acme,A{i + 2},submitted," + ("soon" if i in (0, 99_999, 199_999) else "2026-05-05T15:00:00Z"))
    con = make_db(CHICAGO_TOML, {"stage_events.csv": ("\n".join(lines) + "\n").encode()}, check=False)
    (rep,) = make_db.reports
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (200_000, 199_997, 3)
    assert [r[3] for r in rejected(con)] == [2, 100_001, 200_001]
    assert con.execute("SELECT count(*) FROM stage_events "
                       "WHERE source_row <> substr(application_id, 2)::INTEGER").fetchall() == [(0,)]


def test_blank_lines_in_a_csv_are_skipped_and_later_rows_keep_their_line_numbers(make_db):
    # A blank line (line 3) carries no data and is skipped, as a blank row of a workbook is; the
    # unreadable date below it is reported on line 5, where a spreadsheet shows it.
    con = make_db(CHICAGO_TOML, {"requisitions.csv": (
        b"client,requisition_id,department,opened_at\nAcme,R1,Eng,2026-05-01\n\n"
        b"Acme,R2,Eng,2026-05-02\nAcme,R3,Eng,someday\n")}, check=False)
    (rep,) = make_db.reports
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (3, 2, 1)
    assert [(r[3], r[4]) for r in rejected(con)] == [(5, "opened_at")]
    assert con.execute("SELECT requisition_id, source_row FROM requisitions ORDER BY 1").fetchall() == [
        ("R1", 2), ("R2", 4)]


def test_a_row_with_fewer_values_than_the_header_loads_with_the_rest_empty(make_db):
    # Spreadsheet programs leave off trailing empty values: the strict reader refuses such a file,
    # the lenient one reads it, and nothing is lost.
    con = make_db(CHICAGO_TOML, {"requisitions.csv": (
        b"client,requisition_id,department,opened_at,closed_at\nAcme,R1,Eng,2026-05-01\n"
        b"Acme,R2,Sales,2026-05-04,2026-06-20\n")})
    assert con.execute("SELECT requisition_id, department, closed_on, source_row FROM requisitions ORDER BY 1"
                       ).fetchall() == [("R1", "Eng", None, 2), ("R2", "Sales", D("2026-06-20"), 3)]


def test_a_short_row_far_into_a_large_csv_loads_every_row_with_its_line_number(make_db, monkeypatch):
    # A large file is parsed in blocks (loaders.staging.CSV_BLOCK, made tiny here): rows of the
    # first blocks are staged before the strict reader meets the short row at line 2,002. The file
    # is then read by the lenient reader from the start: no row is lost or staged twice.
    from loaders import staging
    monkeypatch.setattr(staging, "CSV_BLOCK", 4096)
    rows = "".join(f"Acme,R{i},Eng,2026-05-01,2026-06-01\n" for i in range(1, 2001))
    con = make_db(CHICAGO_TOML, {"requisitions.csv": (
        "client,requisition_id,department,opened_at,closed_at\n" + rows + "Acme,R2001,Sales,2026-05-04\n").encode()})
    (rep,) = make_db.reports
    assert (rep.rows_read, rep.rows_loaded) == (2001, 2001)
    assert con.execute("SELECT count(DISTINCT requisition_id), min(source_row), max(source_row) FROM requisitions"
                       ).fetchall() == [(2001, 2, 2002)]
    assert con.execute("SELECT department, closed_on FROM requisitions WHERE requisition_id = 'R2001'").fetchall() == [
        ("Sales", None)]


def test_values_padded_with_any_kind_of_space_read_as_without_it(make_db):
    # Spreadsheets pad values with no-break and other Unicode spaces as well as plain ones: each is
    # trimmed from both ends (not from inside), and a value of spaces only counts as empty.
    nb, ideo, thin = "\u00a0", "\u3000", "\u2009"
    con = make_db(CHICAGO_TOML, {"requisitions.csv": csv_text([
        ["client", "requisition_id", "department", "opened_at"],
        [f"{nb}Acme", f" R1{nb}", f"{ideo}Ingénierie R&D{thin}", f"{thin}2026-05-01T15:00:00Z "],
        ["Acme", f"{nb} ", "Eng", "2026-05-02"],
    ]).encode()}, check=False)
    assert con.execute("SELECT requisition_id, department, opened_at FROM requisitions").fetchall() == [
        ("R1", "Ingénierie R&D", dt.datetime(2026, 5, 1, 15, 0))]
    assert [(r[3], r[4], r[5]) for r in rejected(con)] == [(3, "requisition_id", "required value is empty")]


def test_clean_values_equal_trimmed_values_for_every_kind_of_space():
    # The loaders' clean value skips trim() where it cannot change the value: it must equal
    # trim() for every Unicode space separator at either end, inside, or alone.
    import duckdb
    import unicodedata
    from loaders.parse import clean_sql
    spaces = [chr(c) for c in range(0x3100) if unicodedata.category(chr(c)) == "Zs"]
    others = ["\t", "\n", "\u200b", "\ufeff", "é", "名"]
    values = ["", "a", "a b", "Zoë", "名前"]
    for ch in spaces + others:
        values += [ch, ch * 2, f"{ch}a", f"a{ch}", f"{ch}a{ch}", f"a{ch}b", f"{ch}Zoë", f"Zoë{ch}"]
    got = duckdb.sql(f"SELECT x, {clean_sql('x')} AS clean, nullif(trim(x), '') AS trimmed "
                     f"FROM (SELECT unnest($v::VARCHAR[]) AS x)", params={"v": values}).fetchall()
    assert len(got) == len(values) and len(spaces) == 17
    assert [r for r in got if r[1] != r[2]] == []


def test_data_page_lists_every_file_and_rejected_row_of_the_client(make_db):
    # Files naming their client in a column (no --client), and a row naming an unknown client:
    # all belong on the client's Data page, the stray row with the file it came from.
    from metrics import quality
    con = make_db(CHICAGO_TOML, {
        "applications": "client,application_id,requisition_id\nAcme,A1,R1\nAcme Crop,A2,R1\n",
        "commitments": "client,commitment_id,due_date\nAcme,C1,2026-05-01\n"}, check=False)
    assert sorted(quality.files(con, "Acme")["file"]) == ["applications.csv", "commitments.csv"]
    rejected = quality.rejected_rows(con, "Acme")
    assert list(rejected["row"]) == [3] and "Acme Crop" in rejected["reason"][0]


def test_export_of_recent_events_adds_to_the_history_and_replaces_only_what_it_carries(make_db, summ):
    # First export: A1 submitted 05-04. Second export (recent events only): A1 interviewed 05-06,
    # and the submitted event again with its exited_at now known. A1's history keeps the submittal
    # (not duplicated) and gains the interview.
    con = make_db(CHICAGO_TOML, {
        "requisitions": "client,requisition_id,department,opened_at\nAcme,R1,Eng,2026-05-01\n",
        "applications": "client,application_id,requisition_id\nAcme,A1,R1\n",
        "stage_events": "client,application_id,stage,entered_at\nAcme,A1,submitted,2026-05-04T15:00:00Z\n"})
    make_db.load(con, {"stage_events": "client,application_id,stage,entered_at,exited_at\n"
                                       "Acme,A1,submitted,2026-05-04T15:00:00Z,2026-05-06T15:00:00Z\n"
                                       "Acme,A1,interviewed,2026-05-06T15:00:00Z,\n"})
    rows = con.execute("SELECT raw_stage, exited_on FROM stage_events ORDER BY entered_at").fetchall()
    assert rows == [("submitted", D("2026-05-06")), ("interviewed", None)]
    s = summ(con, as_of="2026-06-01")
    assert (s["time_to_submit"]["median"], s["interview_conversion"]["interviewed"]) == (3.0, 1)


def test_rows_naming_another_client_than_the_client_option_are_rejected(make_db):
    con = make_db(CHICAGO_TOML)
    reports = make_db.load(con, {"requisitions": "client,requisition_id,department,opened_at\n"
                                                 " acme ,R1,Eng,2026-05-01\n"      # the same client, spelled loosely
                                                 ",R2,Eng,2026-05-01\n"            # empty: the --client's
                                                 "\u00a0Globex ,R3,Eng,2026-05-01\n"},  # another, padded
                           client="Acme", check=False)
    (rep,) = reports
    assert (rep.rows_loaded, rep.rows_rejected) == (2, 1)
    assert rep.rejected_sample == [(4, "client", "row is for client 'Globex', but --client is Acme")]


def test_a_file_that_is_wholly_another_clients_export_is_refused_and_nothing_loads(make_db):
    con = make_db(CHICAGO_TOML, {"requisitions": "client,requisition_id,department,opened_at\n"
                                                 "Acme,R1,Eng,2026-05-01\n"})
    (rep,) = make_db.load(con, {"requisitions": "client,requisition_id,department,opened_at\n"
                                                "Globex,R1,Sales,2026-06-01\n"
                                                "Globex,R2,Sales,2026-06-01\n"}, client="Acme", check=False)
    assert rep.error and "export of 'Globex', not of 'Acme' (--client); nothing was loaded" in rep.error
    assert con.execute("SELECT requisition_id, department FROM requisitions").fetchall() == [("R1", "Eng")]


def test_stage_words_missing_from_the_dictionary_are_loaded_as_unmapped_and_reported(make_db):
    con = make_db('name = "Acme"\ntimezone = "America/Chicago"\n[stages]\n"Client Submission" = "submitted"\n', {
        "stage_events": "client,application_id,stage,entered_at\n"
                        "Acme,A1,Client Submission,2026-05-04T15:00:00Z\n"
                        "Acme,A1,On Hold,2026-05-05T15:00:00Z\n"
                        "Acme,A2,On Hold,2026-05-06T15:00:00Z\n"
                        "Acme,A2,Talent Pool,2026-05-07T15:00:00Z\n"})
    (rep,) = make_db.reports
    assert rep.unmapped == [("On Hold", 2), ("Talent Pool", 1)]
    assert con.execute("SELECT raw_stage, stage FROM stage_events ORDER BY entered_at").fetchall() == [
        ("Client Submission", "submitted"), ("On Hold", None), ("On Hold", None), ("Talent Pool", None)]


def zoneinfo_periods(zone: str, years=(1990, 2060)) -> list[tuple[dt.datetime, int]]:
    """The offset periods of `zone` from Python's zoneinfo (the system's time zone data), found
    independently of the loader: a day at a time, then the minute of each change by bisection."""
    from zoneinfo import ZoneInfo
    tz = ZoneInfo(zone)

    def offset(t):
        return int(t.replace(tzinfo=dt.timezone.utc).astimezone(tz).utcoffset().total_seconds())
    day, end = dt.datetime(years[0], 1, 1), dt.datetime(years[1] + 1, 1, 1)
    periods = [(day, offset(day))]
    while day < end:
        nxt = day + dt.timedelta(days=1)
        if offset(nxt) != periods[-1][1]:
            lo, hi = day, nxt
            while hi - lo > dt.timedelta(minutes=1):
                mid = lo + dt.timedelta(minutes=(hi - lo) // dt.timedelta(minutes=1) // 2)
                lo, hi = (mid, hi) if offset(mid) == periods[-1][1] else (lo, mid)
            periods.append((hi, offset(hi)))
        day = nxt
    return periods


@pytest.mark.parametrize("zone", ["America/Chicago", "Europe/London", "Australia/Lord_Howe", "America/St_Johns",
                                  "Asia/Kolkata", "Pacific/Apia", "UTC"])
def test_local_dates_from_offset_periods_equal_a_time_zone_conversion(zone):
    # The loader's fast local date (the zone's offset periods, read from DuckDB's conversion) must
    # list the same offset changes as Python's zoneinfo, and agree with DuckDB's conversion on
    # every instant: a minute either side of each change and of midnight, and 20,000 at random.
    import random

    import duckdb

    from loaders.parse import local_date_sql, utc_offsets
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    periods = utc_offsets(con, zone)
    assert list(periods) == zoneinfo_periods(zone)
    rng = random.Random(7)
    instants = [s + dt.timedelta(minutes=m) for s, _ in periods for m in (-61, -1, 0, 1, 59)]
    base = dt.datetime(1989, 6, 1)
    instants += [base + dt.timedelta(minutes=rng.randrange(0, 75 * 525600)) for _ in range(20000)]
    con.execute("CREATE TABLE t AS SELECT {'d': NULL::DATE, 't': x} AS p FROM (SELECT unnest($xs::TIMESTAMP[]) AS x)",
                {"xs": instants})
    fast, icu = local_date_sql("p", "$tz", periods), local_date_sql("p", "$tz")
    wrong = con.execute(f"SELECT count(*), min(p.t) FILTER (WHERE {fast} <> {icu}) FROM t WHERE {fast} <> {icu}",
                        {"tz": zone}).fetchall()[0]
    assert wrong[0] == 0, wrong
