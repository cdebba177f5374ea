"""Files not saved in UTF-8: Excel on Windows saves CSV in Windows-1252 (cp1252), its "Unicode text"
and some ATS exports in UTF-16 (tab-separated, with a byte order mark). The encoding is judged once
per file (`loaders.textfile.text_encoding`), every CSV reader uses it, and the load report names it."""
from __future__ import annotations

import codecs

import pytest

from conftest import CHICAGO_TOML, write_tables
from loaders.ingest import ingest
from loaders.staging import csv_headers
from loaders.textfile import text_encoding

DICTIONARY = CHICAGO_TOML + '[stages]\n"Offer – Verbal" = "offered"\n"Client Submission" = "submitted"\n'

EVENTS = ("client,application_id,stage,entered_at\n"
          "Acme,A1,Client Submission,2026-05-04T15:00:00Z\n"
          "Acme,A1,Offer – Verbal,2026-05-11T15:00:00Z\n")

# Titles as recruiters type them in Excel: curly quotes, a euro sign, an en dash, an accent.
REQUISITIONS = ("client,requisition_id,title,department,opened_at\n"
                "Acme,R1,“Senior” Engineer – €90k,Eng,2026-03-02\n"
                "Acme,R2,Café Manager ‘Paris’,Ops,2026-03-03\n")


def _rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_a_cp1252_stage_word_with_an_en_dash_maps_to_the_dictionarys_stage(make_db):
    # Read as Latin-1, byte 0x96 was the control character U+0096, not "–": the word stayed unmapped.
    con = make_db(DICTIONARY, {"stage_events.csv": EVENTS.encode("cp1252")})
    (rep,) = make_db.reports
    assert rep.unmapped == []
    assert _rows(con, "SELECT raw_stage, stage FROM stage_events ORDER BY entered_at") == [
        ("Client Submission", "submitted"), ("Offer – Verbal", "offered")]


def test_euro_signs_and_curly_quotes_survive_in_the_titles_of_a_cp1252_file(make_db):
    con = make_db(CHICAGO_TOML, {"requisitions.csv": REQUISITIONS.encode("cp1252")})
    assert _rows(con, "SELECT title FROM requisitions ORDER BY requisition_id") == [
        ("“Senior” Engineer – €90k",), ("Café Manager ‘Paris’",)]


@pytest.mark.parametrize("codec, name", [("utf-16-le", "UTF-16 LE"), ("utf-16-be", "UTF-16 BE")])
def test_a_utf16_tab_separated_export_loads_with_the_same_numbers_as_its_utf8_twin(make_db, codec, name):
    # Excel's "Unicode text": UTF-16 with a byte order mark, tab-separated, CRLF line ends. A blank
    # line, a value over two lines and an unreadable date keep every row number as in the UTF-8 file
    # (a row is a record: the header is row 1, the blank line row 3, the two-line value row 5).
    text = ("client\tapplication_id\tstage\tentered_at\r\n"
            "Acme\tA1\tClient Submission\t2026-05-04T15:00:00Z\r\n"
            "\r\n"
            "Acme\tA1\t\"Offer – Verbal\"\t2026-05-11T15:00:00Z\r\n"
            "Acme\tA2\t\"Client\r\nSubmission\"\t2026-05-05T15:00:00Z\r\n"
            "Acme\tA3\tClient Submission\tsoon\r\n"
            "Acme\tA4\tOffer – Verbal 東京\t2026-05-12T15:00:00Z\r\n")
    bom = codecs.BOM_UTF16_LE if codec == "utf-16-le" else codecs.BOM_UTF16_BE
    stored = "SELECT application_id, raw_stage, stage, entered_at, source_row FROM stage_events ORDER BY 1, 4"
    results = []
    for data in (text.encode("utf-8"), bom + text.encode(codec)):
        con = make_db(DICTIONARY, {"stage_events.txt": data}, check=False)
        (rep,) = make_db.reports
        assert rep.error is None, rep.error
        rejected = _rows(con, "SELECT row, \"column\" FROM rejected_rows")
        results.append(((rep.rows_read, rep.rows_loaded, rep.rows_rejected), rejected, _rows(con, stored), rep.notes))
    (utf8_counts, utf8_rejected, utf8_rows, utf8_notes), (counts, rejected, rows, notes) = results
    assert (counts, rejected, rows) == (utf8_counts, utf8_rejected, utf8_rows)
    assert counts == (5, 4, 1) and rejected == [(6, "entered_at")]
    assert [r[-1] for r in rows] == [2, 4, 5, 7]
    assert ("A4", "Offer – Verbal 東京", None) in [r[:3] for r in rows]
    assert utf8_notes == [] and notes == [f"read as {name}: not UTF-8"]


def test_the_load_report_names_the_encoding_a_file_was_read_as(make_db):
    make_db(DICTIONARY, {"stage_events.csv": EVENTS.encode("cp1252")})
    assert make_db.reports[0].notes == ["read as Windows-1252 (cp1252): not UTF-8"]
    make_db(DICTIONARY, {"stage_events.csv": EVENTS.encode("utf-8")})
    assert make_db.reports[0].notes == []


def test_a_file_in_another_single_byte_encoding_is_read_in_it_not_as_windows_1252(make_db):
    text = "client,requisition_id,department,opened_at\n" + "".join(
        f"Acme,R{i},Отдел разработки программного обеспечения,2026-03-02\n" for i in range(1, 6))
    con = make_db(CHICAGO_TOML, {"requisitions.csv": text.encode("cp1251")})
    assert make_db.reports[0].notes == ["read as Windows-1251 (cp1251): not UTF-8"]
    assert _rows(con, "SELECT DISTINCT department FROM requisitions") == [
        ("Отдел разработки программного обеспечения",)]


@pytest.mark.parametrize("text, encoding", [
    ("Acme,R1,Ingénierie,2026-03-02\n", "cp1252"),    # Latin-1 reads it the same: cp1252 is named
    ("Acme,R1,“Senior” Engineer – €90k,Eng\n", "cp1252"),   # Latin-1: control characters for “ – ”
    ("Acme,R1,Größe Straße Übung – „Zitat“\n", "cp1252"),   # cp1250 reads it the same
    ("Acme,R1,Développeur senior – équipe données, Montréal\n", "cp1252"),
    ("Acme,R1,Отдел разработки программного обеспечения\n" * 5, "cp1251"),
    ("Acme,R1,Kierownik sprzedaży – Łódź\nAcme,R2,Księgowa\n", "cp1250"),
    ("Acme,R1,Τμήμα πωλήσεων\n", "cp1253"),
    ("Acme,R1,エンジニアリング部門\n" * 3, "cp932"),
])
def test_windows_1252_is_chosen_unless_another_encoding_reads_the_file_clearly_better(text, encoding):
    assert text_encoding(text.encode(encoding)) == encoding


def test_utf8_and_utf16_files_are_known_by_their_bytes():
    assert text_encoding(EVENTS.encode("utf-8")) == "utf-8"
    assert text_encoding(codecs.BOM_UTF16_LE + EVENTS.encode("utf-16-le")) == "utf-16-le"


def test_a_bullhorn_dataloader_file_saved_by_excel_is_read_in_its_encoding(make_db):
    con = make_db(DICTIONARY)
    folder = make_db.folder()
    write_tables(folder, {"JobOrder.csv": "externalID,title,status,dateAdded,clientCorporation.name\n"
                                          "R1,Engineer – Backend €,Accepting Candidates,5/1/26 15:00,Acme\n",
                          "JobSubmission.csv": "candidate.externalID,jobOrder.externalID,status,dateAdded\n"
                                               "1,R1,Offer – Verbal,5/3/26 20:00\n",
                          "JobSubmissionHistory.csv": "jobSubmission.externalID,status,dateAdded\n"
                                                      "R1/1,Client Submission,05/03/2026 20:00\n"
                                                      "R1/1,Offer – Verbal,05/07/2026 12:00\n"})
    for path in folder.iterdir():
        path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252"))
    reports = ingest(con, [folder], client="Acme")
    assert [r.error for r in reports if r.error] == []
    assert all("read as Windows-1252 (cp1252): not UTF-8" in r.notes for r in reports if r.kind)
    assert _rows(con, "SELECT title FROM requisitions") == [("Engineer – Backend €",)]
    assert ("Offer – Verbal", "offered") in _rows(con, "SELECT raw_stage, stage FROM stage_events")


def test_the_mapping_editor_reads_the_headers_of_a_utf16_export(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "Candidate ID\tÉtape – courante\tDate\r\nc1\tOffre\t2026-05-01\r\n"
                     .encode("utf-16-le"))
    assert csv_headers(path) == ["Candidate ID", "Étape – courante", "Date"]


def test_a_byte_that_is_not_text_in_the_files_encoding_is_refused_naming_row_and_column(make_db):
    # The encoding is judged by the first megabyte; a byte further on that Windows-1252 does not
    # define (0x81) is found while the file is read, and named.
    rows = "".join(f"Acme,R{i},Engineer – Backend,Eng,2026-03-02\n" for i in range(2, 40_002))   # R{i} on row i
    data = (REQUISITIONS.splitlines()[0] + "\n" + rows).encode("cp1252")
    data = data.replace("R30000,Engineer –".encode("cp1252"), b"R30000,Engineer \x81")
    assert len(data) > 1 << 20 and b"\x81" in data
    con = make_db(CHICAGO_TOML, {"requisitions.csv": data}, check=False)
    (rep,) = make_db.reports
    assert rep.error and "requisitions.csv" in rep.error
    assert "row 30000, column 'title'" in rep.error and "0x81" in rep.error and "Windows-1252" in rep.error
    assert _rows(con, "SELECT count(*) FROM requisitions") == [(0,)]


@pytest.mark.parametrize("data", [
    codecs.BOM_UTF16_LE + b"\x00\x00" * 64 + bytes(range(256)) * 16,    # a UTF-16 mark, then NUL characters
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 16,       # an image named .csv
])
def test_binary_data_is_still_refused_as_not_a_text_file(make_db, data):
    con = make_db(CHICAGO_TOML, {"requisitions.csv": data}, check=False)
    (rep,) = make_db.reports
    assert rep.error and "requisitions.csv" in rep.error and "not a text CSV file" in rep.error
    assert _rows(con, "SELECT count(*) FROM requisitions") == [(0,)]
