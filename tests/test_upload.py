"""The Upload page: files dropped in the browser go through the same loader as the command line;
a dry run changes nothing; zips are unpacked within a size limit."""
from __future__ import annotations

import io
import shutil
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
    assert list(upload.report_table(reports)["file"]) == ["export.zip/applications.csv", "requisitions.csv"]
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
