"""The Upload page: files dropped in the browser go through the same loader as the command line;
a dry run changes nothing; zips are unpacked within a size limit."""
from __future__ import annotations

import io
import re
import shutil
import textwrap
from pathlib import Path

import pytest

import store
from dashboard import upload

from browser_support import Server, settled as _settled
from conftest import write_tables, zip_of

GREENHOUSE = """
    application_id,stage_id,stage_name,entered_on,exited_on
    GXA-00001,11,CV Sent,2026-05-01 14:00:00.000,
    GXA-00001,12,Talent Pool Review,2026-05-03 14:00:00.000,
    GXA-00001,12,Talent Pool Review,2026-05-03 14:00:00.000,
"""


class Uploaded(io.BytesIO):
    """What st.file_uploader hands over: bytes with a name."""
    def __init__(self, name: str, data: bytes):
        super().__init__(data)
        self.name = name


def test_a_zip_of_an_export_folder_is_unpacked_into_its_own_folder(tmp_path):
    data = zip_of({"export/application_stages.csv": "a,b\n1,2\n", "export/.DS_Store": "x"})
    (folder,) = upload.save_uploads([Uploaded("greenhouse.zip", data)], tmp_path)
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == ["application_stages.csv"]


def test_a_zip_bomb_is_refused_before_anything_is_written(tmp_path):
    bomb = zip_of({"big.csv": "0" * (3 * 1024 * 1024)})      # 3 MB unpacked, a few KB zipped
    assert len(bomb) < 100_000
    with pytest.raises(upload.UploadError, match="more than 1 MB"):
        upload.save_uploads([Uploaded("bomb.zip", bomb)], tmp_path, max_mb=1)
    assert list(tmp_path.iterdir()) == []


def test_a_zip_member_pointing_outside_the_archive_is_refused(tmp_path):
    with pytest.raises(upload.UploadError, match="outside the archive"):
        upload.save_uploads([Uploaded("evil.zip", zip_of({"../../etc/x.csv": "a\n1\n"}))], tmp_path / "in")


def test_the_dry_run_reports_the_detected_format_and_changes_nothing(sample_db_copy, tmp_path):
    paths = write_tables(tmp_path / "up", {"application_stages.csv": GREENHOUSE})
    with store.connection(sample_db_copy, read_only=True) as con:
        before = con.execute("SELECT count(*) FROM stage_events").fetchall()
    reports, preview, _ = upload.dry_run(paths, "Globex UK", "auto", None)
    (r,) = reports
    assert r.format == "Greenhouse application_stages (interval table)"
    assert (r.rows_read, r.rows_loaded, r.rows_rejected) == (3, 2, 1)
    assert r.unmapped == [("Talent Pool Review", 1)]
    assert list(preview["stage_events"]["raw_stage"]) == ["CV Sent", "Talent Pool Review"]
    with store.connection(sample_db_copy, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM stage_events").fetchall() == before


def test_upload_messages_name_the_users_files_not_the_servers_folder(sample_db_copy, tmp_path):
    # The upload is saved into a temporary folder on the server; reports and errors named the file
    # by its path there (/tmp/recruiting-upload-x1y2/export/applications.csv).
    folder = tmp_path / "recruiting-upload-x1y2"
    folder.mkdir()
    export = zip_of({"applications.csv": "client,application_id\nGlobex UK,A1\n"})   # lacks requisition_id
    paths = upload.save_uploads([Uploaded("export.zip", export), Uploaded("requisitions.csv", b"")], folder)
    reports, _, _ = upload.dry_run(paths, "Globex UK", "auto", None)
    # (A run loads requisitions before the applications that point at them.)
    assert [r.path for r in reports] == ["requisitions.csv", "export.zip/applications.csv"]
    assert reports[0].error.startswith("requisitions.csv: the file is empty")
    assert reports[1].error.startswith("export.zip/applications.csv: missing required column(s) requisition_id")
    assert not [r.error for r in reports if str(tmp_path) in r.error]
    assert list(upload.report_table(reports)["File"]) == ["requisitions.csv", "export.zip/applications.csv"]
    # The file is named once, not again at the start of why it cannot be loaded.
    assert _plain(upload.report_lines(reports)[1]).startswith(
        "- **export.zip/applications.csv**: cannot be loaded: missing required column(s) requisition_id")


def test_the_rejected_rows_download_is_formula_safe(sample_db_copy, monkeypatch):
    # The Upload page's download of the rows just rejected wrote a file name like `=1+2.csv` as a
    # live formula; it is now the same formula-safe CSV every other download is.
    import streamlit
    from streamlit.testing.v1 import AppTest
    data = (b"client,requisition_id,department,opened_at\nAcme Corp,R-NEW-1,Eng,2026-05-01\n"
            b"Acme Corp,R-NEW-2,Eng,not a date\n")
    monkeypatch.setattr(streamlit, "file_uploader", lambda *a, **k: [Uploaded("=1+2.csv", data)])
    button, download_button, downloads = streamlit.button, streamlit.download_button, {}

    def download(label, data, *args, **kwargs):
        downloads[label] = data
        return download_button(label, data, *args, **kwargs)
    monkeypatch.setattr(streamlit, "button", lambda label, *a, **k: label == "Load into the database" or button(label, *a, **k))
    monkeypatch.setattr(streamlit, "download_button", download)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "pages" / "upload.py"), default_timeout=90)
    at.query_params["client"] = "Acme Corp"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (rejected,) = [data for label, data in downloads.items() if "rejected row" in label]
    text = rejected().decode("utf-8-sig")    # made when clicked, and recorded in the audit log
    assert "\r\n'=1+2.csv," in text and "\n=1+2.csv" not in text, text
    with store.connection(sample_db_copy, read_only=True) as con:
        assert con.execute("SELECT detail->>'what' FROM audit WHERE action = 'download'").fetchall() == [
            ("rejected rows",)]


# An applications export carrying a candidate's e-mail and phone (never stored), blank cells and a
# column the template does not know (kept in `extra`), and a commitment missed on the RPO's side.
PERSONAL = """
    application_id,requisition_id,candidate_id,Candidate Email,Phone,source,applied_at,status,Referral note
    GXA-90001,GX-1001,C-9001,a@example.com,+44 20 7946 0001,LinkedIn,2026-11-01 10:00:00,active,a friend
    GXA-90002,GX-1001,,b@example.com,,,2026-11-02 11:00:00,,
"""
COMMITMENTS = """
    commitment_id,requisition_id,description,promised_count,due_date,delivered_on,side,reason
    CMT-9001,GX-1001,2 CVs sent,2,01/11/2026,,rpo,Slow sourcing
    CMT-9002,,Calibration call,,05/11/2026,03/11/2026,,
"""
DROPPED = "Dropped personal data columns (never stored): Candidate email, Phone."
# Stored names and values a person should never read on the Upload page.
RAW_KEYS = ("rows_read", "rows_loaded", "dropped_personal_columns", "dropped_columns", "source_row", "extra",
            "commitment_id", "promised_count")


def test_the_dry_run_names_the_dropped_personal_data_columns(sample_db_copy, tmp_path):
    paths = write_tables(tmp_path / "up", {"applications.csv": PERSONAL})
    reports, _, _ = upload.dry_run(paths, "Globex UK", "auto", None)
    (line,) = upload.report_lines(reports)
    assert line == ("- **applications.csv**: read as the import template into applications: 2 rows read, 2 to load, "
                    "0 rejected. " + DROPPED)
    assert list(upload.report_table(reports)["Personal data dropped"]) == ["Candidate email, Phone"]


def test_the_preview_hides_extra_and_source_row_and_shows_blanks_as_empty(sample_db_copy, tmp_path):
    paths = write_tables(tmp_path / "up", {"applications.csv": PERSONAL, "commitments.csv": COMMITMENTS})
    _, preview, _ = upload.dry_run(paths, "Globex UK", "auto", None)
    assert {"extra", "source_row"} <= set(preview["applications"].columns)   # stored, but not for reading
    apps, labels = upload.readable(preview["applications"])
    assert not {"extra", "source_row"} & set(apps.columns)
    assert list(apps["candidate_id"]) == ["C-9001", ""] and list(apps["source"]) == ["LinkedIn", ""]
    assert list(apps["applied_at"].astype(str)) == ["2026-11-01 10:00:00", "2026-11-02 11:00:00"]  # no blank: a time
    commitments, labels = upload.readable(preview["commitments"])
    assert list(commitments["side"]) == ["RPO", ""]
    assert list(commitments["promised_count"]) == ["2", ""] and list(commitments["delivered_on"]) == ["", "2026-11-03"]
    assert labels["commitment_id"] == "Commitment" and labels["promised_count"]["label"] == "Promised"
    for table in (apps, commitments):
        assert not table.isna().any().any()
        assert not {"None", "nan", "NaT", "<NA>"} & set(table.astype(str).stack())


def _upload_page(monkeypatch, files: dict[str, bytes], load: bool):
    """The Upload page run in AppTest with `files` dropped on it (and Load clicked when `load`)."""
    import streamlit
    from streamlit.testing.v1 import AppTest
    monkeypatch.setattr(streamlit, "file_uploader", lambda *a, **k: [Uploaded(n, d) for n, d in files.items()])
    button = streamlit.button
    monkeypatch.setattr(streamlit, "button",
                        lambda label, *a, **k: (load and label == "Load into the database") or button(label, *a, **k))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "pages" / "upload.py"), default_timeout=90)
    at.query_params["client"] = "Globex UK"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _words_on(at) -> str:
    """What the page says: its text, messages and the headers of its tables."""
    import json
    parts = [str(e.value) for kind in ("subheader", "caption", "markdown", "success", "warning", "info", "error")
             for e in getattr(at, kind)]
    for d in at.dataframe:
        config = json.loads(d.proto.columns or "{}")
        parts += [(config.get(str(c)) or {}).get("label") or str(c) for c in d.value.columns]
    return "\n".join(parts)


def test_the_load_report_names_the_dropped_personal_data_columns_in_words(sample_db_copy, monkeypatch):
    at = _upload_page(monkeypatch, {"applications.csv": textwrap.dedent(PERSONAL).lstrip().encode(),
                                    "commitments.csv": textwrap.dedent(COMMITMENTS).lstrip().encode()}, load=True)
    assert "Loaded 4 rows from 2 files." in [s.value for s in at.success]
    reports = [m.value for m in at.markdown if m.value.startswith("- **applications.csv**")]
    assert len(reports) == 2 and all(DROPPED in r for r in reports), reports   # the dry run's and the load's
    assert "2 rows read, 2 loaded, 0 rejected" in reports[1]
    words = _words_on(at)
    assert not [key for key in RAW_KEYS if key in words], words
    assert "Personal data dropped" in words and "Rows read" in words
    for d in at.dataframe:
        cells = set(d.value.astype(str).stack())
        assert not {"None", "nan", "NaT", "<NA>", "rpo", "template"} & cells, d.value
    # Sample Globex UK's own commitments.csv had a rejected row: not this load's, so not offered.
    assert not [b for b in at.get("download_button") if "rejected" in b.proto.label]


FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _fixture_files(*folders: str) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for folder in folders for f in sorted((FIXTURES / folder).iterdir())}


def _plain(markdown: str) -> str:
    """Markdown as it reads on screen: the escapes of file contents (`application\\_id`) undone."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _lines_on(at) -> list[str]:
    """The page's report lines (each file's sentence and its rejected rows), as they read."""
    return [_plain(line) for m in at.markdown for line in m.value.splitlines() if line.lstrip().startswith("- ")]


def test_the_file_picker_takes_every_file_the_loader_reads(sample_db_copy, monkeypatch):
    # The picker offered csv, tsv, txt, xlsx, xlsm, json and zip only: an Airbyte or Singer record
    # stream (.jsonl) or a connector's Parquet tables could not be dropped at all, though the
    # loader reads them.
    import streamlit
    asked = {}
    monkeypatch.setattr(streamlit, "file_uploader", lambda *a, **k: asked.update(k) or [
        Uploaded(n, d) for n, d in _fixture_files("streams").items()])
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "pages" / "upload.py"), default_timeout=90)
    at.query_params["client"] = "Globex UK"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert {"jsonl", "ndjson", "parquet", "json", "csv", "xlsx", "zip"} <= set(asked["type"])
    lines = _lines_on(at)
    assert any(line.startswith("- **singer_lever.jsonl**: read as Singer stream postings") for line in lines), lines


def test_the_load_counts_files_and_says_which_were_read_only_for_the_others(sample_db_copy, monkeypatch):
    # A connector folder of 12 tables said "Loaded 14 rows from 12 file(s)": its 7 lookup tables
    # (department, users, job_stage, ...) loaded nothing themselves, and each was listed as "skipped".
    at = _upload_page(monkeypatch, _fixture_files("greenhouse_connector"), load=True)
    assert [s.value for s in at.success] == ["Loaded 14 rows from 5 files, 7 more read with them (names and links "
                                             "they need)."]
    lines = [line for line in _lines_on(at) if line.startswith("- **department.csv**")]
    assert lines and all(line == "- **department.csv**: Greenhouse connector department, read with the file that "
                                  "needs it, not loaded on its own" for line in lines), lines


def test_a_refused_file_is_named_once_and_counted_apart(sample_db_copy, monkeypatch):
    # Bullhorn's DataLoader examples: JobOrder.csv and Placement.csv lack dateAdded and are refused.
    at = _upload_page(monkeypatch, _fixture_files("bullhorn_dataloader"), load=True)
    # (Globex UK's rows: the examples' corporation is no client here, so their rows are rejected.)
    (summary,) = [w.value for w in at.warning if w.value.startswith("Loaded")]
    assert summary.endswith(" rows from 3 files, 1 more read with them (names and links they need); 2 files could "
                            "not be loaded (each file says why below)."), summary
    refused = [line for line in _lines_on(at) if line.startswith("- **JobOrder.csv**")]
    assert refused and all(line.startswith("- **JobOrder.csv**: cannot be loaded: this Bullhorn JobOrder file has no "
                                           "dateAdded column") for line in refused), refused


def test_the_report_lists_the_first_rejected_rows_and_says_a_files_notes_once(sample_db_copy, tmp_path):
    # The reasons of the rejected rows were only in the last column of a wide table, off screen;
    # a Harvest applications file (read into applications and into stage events) said its notes twice.
    reports, _, _ = upload.dry_run([FIXTURES / "greenhouse_harvest" / "export"], "Globex UK", "auto", None)
    lines = [_plain(line) for line in upload.report_lines(reports)]
    feeds = lines.index(next(line for line in lines if line.startswith("- **export/activity_feeds.json**")))
    assert lines[feeds + 1] == ("  - row 4, column body: a move into 'Phone Screen for Accountant': candidate 978033 "
                                "has no application for a job ending that text (their jobs: Archaeologist)")
    applications = [line for line in lines if line.startswith("- **export/applications.json**")]
    assert len(applications) == 2 and "no stage history" in applications[0], applications
    assert "no stage history" not in applications[1] and "prospect" not in applications[1], applications


def test_the_rejected_rows_download_holds_each_row_once(sample_db_copy):
    # The rows just rejected were picked by file name alone: a file read into two tables (or two
    # files of one name in a zip's folders) took the same last rows twice.
    from loaders.report import Report
    import pandas as pd
    rejected = pd.DataFrame({"file": ["a.json"] * 3, "sheet": [None] * 3,
                             "kind": ["applications", "stage_events", "stage_events"],
                             "row": [2, 3, 4], "column": ["x"] * 3, "reason": ["r"] * 3, "raw": ["{}"] * 3})
    loaded = [Report("a.json", kind="applications", rows_rejected=1),
              Report("a.json", kind="stage_events", rows_rejected=1)]
    assert sorted(upload.rejected_of(loaded, rejected)["row"]) == [2, 4]


def _dry_and_loaded_lines(at) -> tuple[list[str], list[str]]:
    """The dry run's report lines and the load's, as they read on the page (with "to load" and
    "loaded" the same word, so that they compare)."""
    lines = [line.replace(" loaded, ", " to load, ") for line in _lines_on(at) if line.startswith("- **")]
    return lines[:len(lines) // 2], lines[len(lines) // 2:]


def test_the_dry_run_of_files_loaded_before_says_what_the_load_then_does(sample_db_copy, monkeypatch):
    # The dry run's database held only the client's settings, so it could not know a file was loaded
    # before: the second upload of these files promised "3 rows read, 2 to load, 1 rejected" and an
    # application to load, while the load read only the row rejected before and skipped the other file.
    # (Its rejected row has a time no one can read; a row rejected as a repeat of another is not read again.)
    stages = GREENHOUSE.replace("GXA-00001,12,Talent Pool Review,2026-05-03 14:00:00.000,\n",
                                "GXA-00001,12,Talent Pool Review,2026-05-03 14:00:00.000,\n"
                                "GXA-00001,13,Onsite,sometime,\n", 1)
    stages = stages.rsplit("GXA-00001,12,Talent Pool Review,2026-05-03 14:00:00.000,\n", 1)[0]
    files = {"application_stages.csv": textwrap.dedent(stages).lstrip().encode(),
             "applications.csv": textwrap.dedent(PERSONAL).lstrip().encode()}
    dry, loaded = _dry_and_loaded_lines(_upload_page(monkeypatch, files, load=True))
    assert dry == loaded and "3 rows read, 2 to load, 1 rejected" in dry[1], dry
    dry, loaded = _dry_and_loaded_lines(_upload_page(monkeypatch, files, load=True))
    assert dry == loaded, (dry, loaded)
    assert dry[0] == "- **applications.csv**: skipped: already loaded (same sha256): nothing changed", dry
    # (Only the row rejected then is read again; whether it loads now is the loader's rule, the same in both.)
    assert dry[1].startswith("- **application_stages.csv**: read as Greenhouse application_stages (interval table) "
                             "into stage events: 1 row read, ") and "loaded before, when 1 of its rows was rejected" \
        in dry[1], dry
    second = dry
    # A row that still cannot load is read again each time, and the database stays as it was.
    dry, loaded = _dry_and_loaded_lines(_upload_page(monkeypatch, files, load=True))
    assert dry == loaded == second, dry


def test_the_dry_run_reads_only_the_record_of_the_files_uploaded(sample_db_copy, tmp_path):
    # (Not the whole files and rejected_rows tables: the rows of the files with the uploaded bytes.)
    import dashboard
    from loaders.ingest import ingest
    from loaders.staging import fingerprint
    (path,) = write_tables(tmp_path / "up", {"application_stages.csv": GREENHOUSE})
    with store.connection(sample_db_copy) as con:
        ingest(con, [path], client="Globex UK")
        (file_id,) = con.execute("SELECT file_id FROM files WHERE name = 'application_stages.csv'").fetchone()
    before = dashboard.loaded_before("Globex UK", [fingerprint(path)[0]])
    assert [f[0] for f in before["files"]] == [file_id]
    assert before["rejected_rows"] == [(file_id, None, "stage_events", 4, "duplicate application_id + stage_name + "
                                        "entered_on in this file; row 3 holds the same and was kept")]
    assert dashboard.loaded_before("Acme Corp", [fingerprint(path)[0]]) == {"files": [], "rejected_rows": []}


def test_the_dry_run_says_when_a_rows_client_is_that_of_a_job_order_loaded_before(sample_db_copy, monkeypatch):
    # A Bullhorn submission whose job order is in no file beside it names no client corporation: the
    # load gives it the client of that job order loaded before, which the dry run does not read.
    at = _upload_page(monkeypatch, {"JobSubmission.csv": (FIXTURES / "bullhorn_dataloader" / "JobSubmission.csv")
                                    .read_bytes()}, load=False)
    assert [c.value for c in at.caption if "naming no client corporation" in c.value] == [
        "3 rows naming no client corporation count here as Globex UK's: the load gives each the client of its job "
        "order or submission loaded before, which the dry run does not read."]
    # The template's rows are the chosen client's, wherever their requisition is: nothing to say.
    at = _upload_page(monkeypatch, {"applications.csv": textwrap.dedent(PERSONAL).lstrip().encode()}, load=False)
    assert not [c.value for c in at.caption if "naming no client corporation" in c.value]


def test_the_command_line_says_a_files_notes_once(sample_db_copy):
    from loaders.__main__ import format_report
    from loaders.report import Report
    note = "Harvest v1 holds no stage history (a snapshot)"
    out = format_report([Report("x/applications.json", kind="applications", notes=[note]),
                         Report("x/applications.json", kind="stage_events", notes=[note])])
    assert out.count(note) == 1, out


def _choose(page, widget, option) -> None:
    """Open a select widget and click one of its options. A rerun that redraws the widget just as
    it opens closes its list again, so the list is opened again (as a user would) until it shows."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    for _ in range(4):
        widget.click()
        try:
            option.wait_for(state="visible", timeout=5000)
            break
        except PlaywrightTimeout:   # the list closed before it showed
            _settled(page)
    option.click()


@pytest.mark.browser
def test_uploading_in_the_browser_maps_unknown_words_and_loads_through_the_same_loader(sample_db, browser, tmp_path):
    db = tmp_path / "upload.duckdb"
    shutil.copy(sample_db, db)
    (csv,) = write_tables(tmp_path / "up", {"application_stages.csv": GREENHOUSE})
    with Server(db, tmp_path) as server:
        page = browser.new_page(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
        try:
            page.goto(server.url + "/upload?client=Globex%20UK")
            page.wait_for_selector("[data-testid='stFileUploaderDropzoneInput']", state="attached", timeout=60000)
            page.set_input_files("[data-testid='stFileUploaderDropzoneInput']", [str(csv)])
            page.wait_for_selector("text=Dry run: what would load", timeout=60000)
            # The detected format shows once the dry run has read the file (later on a busy machine
            # than the heading above it).
            page.wait_for_selector("text=Greenhouse application_stages (interval table)", timeout=60000)
            _settled(page)
            # The unknown word is mapped into the client's dictionary before loading; the dry run reruns.
            _choose(page, page.locator("[data-testid='stMain'] [data-testid='stMultiSelect']"),
                    page.get_by_role("option", name="Talent Pool Review"))
            _choose(page, page.locator("[data-testid='stMain'] [data-testid='stSelectbox']").filter(has_text="Counts as"),
                    page.get_by_role("option", name="interviewed", exact=True))
            page.get_by_role("button", name="Add to dictionary").click()
            page.wait_for_selector("text='Talent Pool Review' now counts as interviewed.", timeout=60000)
            _settled(page)
            assert "not in Globex UK's dictionary" not in page.inner_text("body")
            page.get_by_role("button", name="Load into the database").click()
            page.wait_for_selector("text=Loaded 2 rows from 1 file.", timeout=60000)
            with page.expect_download() as download:
                page.get_by_role("button", name="Download the 1 rejected row(s) (CSV)").click()
            rejected = Path(download.value.path()).read_text(encoding="utf-8")
            assert "duplicate application_id + stage_name + entered_on" in rejected
        finally:
            page.close()
        server.warn_deprecations()
    with store.connection(db, read_only=True) as con:
        rows = con.execute("SELECT raw_stage, stage FROM stage_events WHERE application_id = 'GXA-00001' "
                           "AND entered_at >= '2026-05-01' ORDER BY entered_at").fetchall()
        files = con.execute("SELECT name, format FROM files WHERE name = 'application_stages.csv'").fetchall()
    assert rows == [("CV Sent", "submitted"), ("Talent Pool Review", "interviewed")]
    assert files == [("application_stages.csv", "Greenhouse application_stages (interval table)")]
