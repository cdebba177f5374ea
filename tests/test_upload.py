"""The Upload page: files dropped in the browser go through the same loader as the command line;
a dry run changes nothing; zips are unpacked within a size limit."""
from __future__ import annotations

import io
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
    reports, preview = upload.dry_run(paths, "Globex UK", "auto", None)
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
    reports, _ = upload.dry_run(paths, "Globex UK", "auto", None)
    assert [r.path for r in reports] == ["export.zip/applications.csv", "requisitions.csv"]
    assert reports[0].error.startswith("export.zip/applications.csv: missing required column(s) requisition_id")
    assert reports[1].error.startswith("requisitions.csv: the file is empty")
    assert not [r.error for r in reports if str(tmp_path) in r.error]
    assert list(upload.report_table(reports)["File"]) == ["export.zip/applications.csv", "requisitions.csv"]
    assert upload.report_lines(reports)[0].startswith("- **export.zip/applications.csv**: cannot be loaded: export.zip/")


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
    reports, _ = upload.dry_run(paths, "Globex UK", "auto", None)
    (line,) = upload.report_lines(reports)
    assert line == ("- **applications.csv**: read as the import template into applications: 2 rows read, 2 to load, "
                    "0 rejected. " + DROPPED)
    assert list(upload.report_table(reports)["Personal data dropped"]) == ["Candidate email, Phone"]


def test_the_preview_hides_extra_and_source_row_and_shows_blanks_as_empty(sample_db_copy, tmp_path):
    paths = write_tables(tmp_path / "up", {"applications.csv": PERSONAL, "commitments.csv": COMMITMENTS})
    _, preview = upload.dry_run(paths, "Globex UK", "auto", None)
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
    assert "Loaded 4 rows from 2 file(s)." in [s.value for s in at.success]
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
            page.wait_for_selector("text=Loaded 2 rows from 1 file(s)", timeout=60000)
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
