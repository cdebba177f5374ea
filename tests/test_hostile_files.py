"""Damaged, absurd or hostile files are refused up front, with a message naming the file (and sheet)
and what to do, in bounded memory and time; nothing already loaded is lost.

The hostile files are built here, by hand and small: a workbook's XML written into a zip with
zipfile (never a million-row sheet built cell by cell), a zip whose entry lies about its size.
Whatever could exhaust the machine without the bounds runs in a child process with an address-space
limit, so that a regression fails the test instead of the test run.
"""
from __future__ import annotations

import io
import resource
import struct
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from conftest import zip_of

ROOT = Path(__file__).resolve().parent.parent


# -- building files by hand -------------------------------------------------------------------------

def _col(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _cells(r: int, values) -> str:
    return "".join(f'<c r="{_col(j + 1)}{r}" t="inlineStr"><is><t>{v}</t></is></c>' for j, v in enumerate(values))


def write_xlsx(path: Path, rows, sheet: str = "requisitions") -> Path:
    """A minimal XLSX file: one sheet whose `<sheetData>` is the XML strings `rows` yields, written
    into the zip as they come (so a large sheet never sits in memory)."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.spreadsheetml.worksheet+xml"/></Types>')
        z.writestr("_rels/.rels", f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                                  f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
                                  f'</Relationships>')
        z.writestr("xl/workbook.xml", f'<workbook {ns} xmlns:r="{rel}"><sheets>'
                                      f'<sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write(f"<worksheet {ns}><sheetData>".encode())
            for row in rows:
                f.write(row.encode())
            f.write(b"</sheetData></worksheet>")
    return path


REQ_HEADER = ["client", "requisition_id", "department", "opened_at"]


def stray_cell_workbook(path: Path, far: str) -> Path:
    """A small, correct requisitions sheet, and one stray value at cell `far` (e.g. XFD1048576)."""
    row = int("".join(ch for ch in far if ch.isdigit()))
    return write_xlsx(path, [f'<row r="1">{_cells(1, REQ_HEADER)}</row>',
                             f'<row r="2">{_cells(2, ["Acme", "R1", "Eng", "2026-05-01"])}</row>',
                             f'<row r="{row}"><c r="{far}"><v>1</v></c></row>'])


def run_bounded(code: str, memory_mb: int = 2048, timeout: int = 120) -> tuple[subprocess.CompletedProcess, int]:
    """Run Python `code` in a child process whose address space is capped at `memory_mb`; returns
    the process and its peak resident memory in MB (the child prints it last)."""
    def cap():
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    script = textwrap.dedent(code) + "\nimport resource; print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=cap)
    peak = [int(line.split()[1]) // 1024 for line in proc.stdout.splitlines() if line.startswith("PEAK ")]
    return proc, (peak[0] if peak else -1)


READ_SHEETS = """
    from pathlib import Path
    from loaders.report import LoadError
    from loaders.staging import read_xlsx_sheets
    try:
        for name, hidden, rows in read_xlsx_sheets(Path({path!r})):
            print("READ", name, len(rows))
    except LoadError as exc:
        print("REFUSED", exc)
"""


# -- workbooks ---------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("far, why", [("XFD1048576", "at most 1,000 columns"),
                                      ("CV1000000", "holds only 9 cell(s): a stray value far from the data")])
def test_a_stray_value_far_from_the_data_is_refused_up_front_naming_the_file_and_sheet(tmp_path, far, why):
    # Before: XFD1048576 made calamine ask for 512 GiB (the process aborted); CV1000000 took 4 GB and 55 s.
    path = stray_cell_workbook(tmp_path / "reqs.xlsx", far)
    assert path.stat().st_size < 5000
    proc, peak = run_bounded(READ_SHEETS.format(path=str(path)), memory_mb=1500)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (line,) = [line for line in proc.stdout.splitlines() if line.startswith(("REFUSED", "READ"))]
    assert line.startswith("REFUSED") and "reqs.xlsx, sheet 'requisitions'" in line, line
    assert f"its cells reach {far}" in line and why in line and "Ctrl+End" in line, line
    assert peak < 400, peak


def test_a_sheet_wider_than_any_export_is_refused(tmp_path):
    from loaders.report import LoadError
    from loaders.staging import read_xlsx_sheets
    path = write_xlsx(tmp_path / "wide.xlsx", [f'<row r="1">{_cells(1, [f"h{j}" for j in range(1001)])}</row>'])
    with pytest.raises(LoadError, match=r"wide.xlsx, sheet 'requisitions': its cells reach ALM1 .*at most 1,000 columns"):
        list(read_xlsx_sheets(path))


def test_a_far_cell_written_in_another_shape_is_measured_too(tmp_path):
    # Cells with a namespace prefix, or without `r` (calamine places them after the cell before),
    # take the parsing path; they reach just as far.
    from loaders.report import LoadError
    from loaders.staging import read_xlsx_sheets
    prefixed = write_xlsx(tmp_path / "prefixed.xlsx", [
        f'<row r="1">{_cells(1, REQ_HEADER)}</row>',
        '<row r="1048576"><x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'r="XFD1048576"><x:v>1</x:v></x:c></row>'])
    unplaced = write_xlsx(tmp_path / "unplaced.xlsx", [
        f'<row r="1">{_cells(1, REQ_HEADER)}</row>', '<row r="2">' + "<c><v>1</v></c>" * 1200 + "</row>"])
    with pytest.raises(LoadError, match="its cells reach XFD1048576"):
        list(read_xlsx_sheets(prefixed))
    with pytest.raises(LoadError, match="its cells reach ATD2"):
        list(read_xlsx_sheets(unplaced))


def test_a_hidden_sheet_is_not_read_at_all(tmp_path):
    # Hidden sheets are never loaded, so a stray cell in one (an old copy) does not stop the workbook.
    from loaders.staging import read_xlsx_sheets
    path = stray_cell_workbook(tmp_path / "hidden.xlsx", "XFD1048576")
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b'sheetId="1"', b'sheetId="1" state="hidden"')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)
    assert list(read_xlsx_sheets(path)) == [("requisitions", True, [])]


@pytest.mark.slow
def test_a_sheet_of_100000_rows_and_20_columns_still_loads(tmp_path):
    header = REQ_HEADER + [f"note_{j}" for j in range(16)]
    row = "".join(f'<c r="{_col(j + 1)}{{r}}" t="inlineStr"><is><t>{v}</t></is></c>'
                  for j, v in enumerate(["Acme", "R{r}", "Eng", "2026-05-01"] + ["x{r}"] * 16))
    path = write_xlsx(tmp_path / "requisitions.xlsx", [f'<row r="1">{_cells(1, header)}</row>'] +
                      [f'<row r="{r}">' + row.format(r=r) + "</row>" for r in range(2, 100_002)])
    proc, peak = run_bounded(READ_SHEETS.format(path=str(path)), memory_mb=3000)
    assert "READ requisitions 100001" in proc.stdout, (proc.stdout, proc.stderr[-2000:])
    assert peak < 1000, peak


# -- CSV files ---------------------------------------------------------------------------------------

INGEST_FILE = """
    from loaders.ingest import LoadError, ingest_file
    import store
    con = store.connect({db!r})
    try:
        ingest_file(con, {path!r}, client="Acme")
        print("LOADED")
    except LoadError as exc:
        print("REFUSED", exc)
"""


@pytest.mark.slow
@pytest.mark.parametrize("where", ["header", "row"])
def test_a_csv_file_wider_than_any_export_is_refused_before_it_is_read(tmp_path, where):
    # Before: 100,000 columns in the header took 217 s and 3.3 GB; in one row under a normal
    # header, DuckDB's lenient reader spent 84 s on it before reading a single row.
    import store
    from loaders.settings import parse_settings, save_client
    db = tmp_path / "db.duckdb"
    with store.connection(db) as con:
        save_client(con, parse_settings('name = "Acme"\ntimezone = "UTC"\n'))
    wide = ",".join(f"c{j}" for j in range(100_000))
    text = (f"{wide}\n" + ",".join("1" * 100_000) + "\n" if where == "header" else
            "requisition_id,department,opened_at\n" + ",".join("1" * 100_000) + "\nR1,Eng,2026-05-01\n")
    path = tmp_path / "requisitions.csv"
    path.write_text(text)
    proc, peak = run_bounded(INGEST_FILE.format(db=str(db), path=str(path)), memory_mb=2000, timeout=60)
    (line,) = [line for line in proc.stdout.splitlines() if line.startswith(("REFUSED", "LOADED"))] or [proc.stderr[-800:]]
    expected = "the header row has 100,000 values" if where == "header" else "row 2 has 100,000 values"
    assert line.startswith("REFUSED") and f"requisitions.csv: {expected}" in line and "at most 1,000 columns" in line, line
    assert peak < 400, peak


# -- zip uploads -------------------------------------------------------------------------------------

class Uploaded(io.BytesIO):
    """What st.file_uploader hands over: bytes with a name."""
    def __init__(self, name: str, data: bytes):
        super().__init__(data)
        self.name = name


def lying_zip(inflated_mb: int, declared: int = 1000, name: str = "applications.csv") -> bytes:
    """A zip whose one entry declares `declared` bytes but inflates to `inflated_mb` MB: a normal
    zip of a very compressible file, with the sizes in its local header and central directory patched."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open(name, "w") as f:
            for _ in range(inflated_mb):
                f.write(b"0" * (1 << 20))
    data = bytearray(buf.getvalue())
    struct.pack_into("<I", data, data.index(b"PK\x03\x04") + 22, declared)
    struct.pack_into("<I", data, data.index(b"PK\x01\x02") + 24, declared)
    return bytes(data)


def test_a_zip_entry_inflating_past_what_it_declares_is_refused_in_bounded_memory(tmp_path):
    # Before: a 1 MB zip declaring 1,000 bytes and inflating to 1 GB grew the server to 2.3 GB, then
    # ended in a traceback (zipfile's CRC error).
    from dashboard import upload
    bomb = lying_zip(256)
    assert len(bomb) < 300_000
    tracemalloc.start()
    try:
        with pytest.raises(upload.UploadError, match=r"export.zip: 'applications.csv' is damaged"):
            upload.save_uploads([Uploaded("export.zip", bomb)], tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024, peak


def test_a_zip_of_more_files_than_any_export_folder_is_refused_before_anything_is_written(tmp_path):
    from dashboard import upload
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(501):
            z.writestr(f"f{i}.csv", "")
    with pytest.raises(upload.UploadError, match="many.zip: holds 501 entries, more than the 500 files"):
        upload.save_uploads([Uploaded("many.zip", buf.getvalue())], tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("member", ["../ab/x.csv", "../a.zipped/x.csv", "/tmp/x.csv"])
def test_a_zip_member_reaching_into_a_sibling_folder_is_refused(tmp_path, member):
    # `../ab/x.csv` in a.zip passed a comparison of path strings (`.../ab` starts with `.../a`).
    from dashboard import upload
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(member, "a\n1\n")
    with pytest.raises(upload.UploadError, match="points outside the archive"):
        upload.save_uploads([Uploaded("a.zip", buf.getvalue())], tmp_path / "in")
    assert not [p for p in tmp_path.rglob("x.csv")]


def test_the_mapping_editor_refuses_a_workbook_too_large_to_read_naming_the_users_file(tmp_path):
    from dashboard import upload
    from loaders.ingest import LoadError
    book = stray_cell_workbook(tmp_path / "made.xlsx", "XFD1048576").read_bytes()
    folder = tmp_path / "recruiting-upload-x1y2"
    folder.mkdir()
    paths = upload.save_uploads([Uploaded("export.zip", zip_of({"status/reqs.xlsx": book}))], folder)
    with pytest.raises(LoadError) as exc:
        upload.first_headers(paths)
    assert str(exc.value).startswith("export.zip/status/reqs.xlsx, sheet 'requisitions': its cells reach XFD1048576")


