"""Staging a file: which files a folder holds, what encoding a text file is in, and reading CSV files and
workbook sheets into all-text temporary tables with `__row` (the file's own row numbers).

Files are measured before they are read (columns, a workbook's sheets, the XML they unpack to), so an
absurd or hostile file is refused with a message instead of exhausting the machine."""
from __future__ import annotations

import codecs
import csv
import functools
import datetime as dt
import hashlib
import io
import itertools
import zipfile
import zlib
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from loaders import xlsx
from loaders.parse import cell_text, quote_name
from loaders.report import LoadError
from loaders.template import TEMPLATE, kind_from_headers, normalise_header, unique_headers
from loaders.textfile import ENCODING_SAMPLE, binary_message, sniff_delimiter, text_encoding, utf8_text

# How much of a CSV file Arrow parses at a time (`_stream_csv`).
CSV_BLOCK = 4 << 20
DATA_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json", ".jsonl", ".ndjson", ".parquet"}


def fingerprint(path: Path) -> tuple[str, str | None]:
    """The file's sha256 and the encoding its text is in (`text_encoding`; None for binary data),
    in one read. ASCII blocks, the usual case, skip the UTF-8 check at C speed; a file that is not
    UTF-8 is judged by its first block and the block where UTF-8 first fails."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, head, sample = True, b"", b""
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(ENCODING_SAMPLE), b""):
            digest.update(chunk)
            head = head or chunk
            if utf8 and not (chunk.isascii() and not decoder.getstate()[0]):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8, sample = False, chunk
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8, sample = False, chunk
    return digest.hexdigest(), text_encoding(head, utf8, sample)


def file_encoding(path: Path) -> str | None:
    """The encoding of a file read beside the one being loaded (`fingerprint`'s: judged by its whole
    content), read once while the file is unchanged: the same sibling serves several files of a
    folder (a connector's users table, Bullhorn's JobSubmission.csv)."""
    stat = path.stat()
    return _file_encoding(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _file_encoding(path: str, size: int, mtime_ns: int) -> str | None:
    return fingerprint(Path(path))[1]


def expand_paths(paths) -> list[Path]:
    """Files named, and the data files inside folders named (recursively, sorted)."""
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in DATA_SUFFIXES
                              and not f.name.startswith((".", "~$"))))
        else:
            out.append(p)
    return out


# ---------------------------------------------------------------------------------------------
# Reading: each source becomes (sheet, kind, text table with __row) pieces.

# Bounds on what a file may hold, so that a damaged or hostile file is refused up front instead of
# exhausting the machine.
MAX_COLUMNS = 1000   # more columns than any export has (the widest seen hold about 150)
CSV_SNIFF_ROWS = 20480   # the rows DuckDB's lenient CSV reader takes its columns from (its sample_size)
MAX_SHEET_CELLS = 1_048_576 * 20   # a full Excel sheet of 20 columns
# A sheet is read as a grid from A1 to its last cell. A grid this many times larger than the cells
# written in it is mostly empty (a stray value far below or right of the data): it is refused
# rather than read, unless it is small anyway.
SPARSE_GRID, SMALL_GRID = 10, 2_000_000
MAX_XLSX_XML = 2 << 30   # bytes of XML a workbook may unpack to (a full sheet of 20 columns is ~1 GB)


def csv_headers(path: Path, encoding: str | None = None) -> list[str]:
    """A CSV file's header row as written (for mapping its columns to the template's), read in
    `encoding` (by default, the one `text_encoding` finds in its first megabyte)."""
    with open(path, "rb") as fh:
        head = fh.read(ENCODING_SAMPLE)
    encoding = encoding or text_encoding(head) or "utf-8"
    lines = head[:4096].decode(encoding, "replace").removeprefix("\ufeff").splitlines()
    row = next(csv.reader(lines[:1], delimiter=sniff_delimiter(head[:4096], encoding)), [])
    return [h.strip() for h in row if h.strip()]


def check_csv_width(path: Path, delimiter: str, encoding: str, rows: int = CSV_SNIFF_ROWS,
                    shown: Path | None = None) -> None:
    """Refuse a CSV file with more than MAX_COLUMNS values in its header or in a row the readers
    size their tables by (the first `rows`: DuckDB's lenient reader sizes by CSV_SNIFF_ROWS, Arrow's
    strict one by the header alone), before any table that wide is built: a file of 100,000 columns
    took minutes and gigabytes to read. Rows further down with extra values are read as the
    header's width (plus the extra columns of the first rows). Messages name `shown` (the user's
    file, when `path` is its UTF-8 copy) or `path`."""
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        try:
            for n, row in enumerate(itertools.islice(csv.reader(fh, delimiter=delimiter), rows), 1):
                if len(row) > MAX_COLUMNS:
                    raise LoadError(
                        f"{shown or path}: {'the header row' if n == 1 else f'row {n}'} has {len(row):,} values; "
                        f"a file may have at most {MAX_COLUMNS:,} columns (no export has more), so it was not read. "
                        f"Check that this is the export you meant and that its values are separated by {delimiter!r}")
        except csv.Error:
            return   # a value longer than the csv module reads: the readers refuse such a line themselves


def read_csv_piece(con, path: Path, table: str, encoding: str | None) -> list[str]:
    """Stage a CSV file as all-text `table` (with __row = spreadsheet-style row number, the header
    being row 1); returns its normalised column names. `encoding` is the file's (`fingerprint`):
    a file not in UTF-8 is read through a UTF-8 copy (`utf8_text`). A row with no value at all (a
    blank line) is skipped, as in workbooks."""
    with utf8_text(path, encoding) as text:
        return _read_utf8_csv(con, path, text, table)


def _read_utf8_csv(con, path: Path, text: Path, table: str) -> list[str]:
    """`read_csv_piece` of `text`, the file `path` in UTF-8 (messages name `path`).

    Arrow's streaming CSV reader parses the file in blocks in file order, so each row's number is
    its position, into a DuckDB table (`_stream_csv`: bounded memory). A file Arrow's strict reader
    refuses (ragged rows, stray quotes) is read by DuckDB's lenient reader instead, which numbers
    rows in its scan (WITH ORDINALITY: on one thread) and does not count blank lines."""
    try:
        with open(text, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the file: {exc.strerror}") from exc
    if not head.strip():
        raise LoadError(f"{path}: the file is empty; expected a header row and data rows")
    if b"\x00" in head:
        raise LoadError(binary_message(path))
    delim = sniff_delimiter(head[:4096])
    # The header is measured before Arrow reads the file (Arrow refuses any row wider than it);
    # the rows DuckDB's lenient reader sizes its table by, only when that reader is needed.
    check_csv_width(text, delim, "utf-8", rows=1, shown=path)
    source = _stream_csv(con, text, head, delim, table)
    if source is not None:
        headers, source = source
    else:
        check_csv_width(text, delim, "utf-8", shown=path)
        params = {"path": str(text), "delim": delim}
        reader = ("read_csv($path, all_varchar = true, header = true, delim = $delim, quote = '\"', "
                  "escape = '\"', null_padding = true, strict_mode = false, encoding = 'utf-8', "
                  f"sample_size = {CSV_SNIFF_ROWS})")
        try:
            names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {reader}", params).fetchall()]
            headers = unique_headers(names)
            columns = ", ".join(f"{quote_name(n)} AS {quote_name(h)}" for n, h in zip(names, headers))
            con.execute(f"""CREATE OR REPLACE TEMP TABLE {table}_csv AS
                SELECT {columns}, (ordinality + 1)::INTEGER AS __row FROM {reader} WITH ORDINALITY""", params)
        except duckdb.Error as exc:
            detail = " ".join(line.strip() for line in str(exc).splitlines()[:3] if line.strip())
            raise LoadError(f"{path}: not a readable CSV file: {detail.replace(str(text), str(path))}") from exc
        source = f"{table}_csv"
    blank = " AND ".join(f"{quote_name(h)} IS NULL" for h in headers)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT * FROM {source} WHERE NOT ({blank})")
    return headers


def arrow_array(values: np.ndarray) -> pa.Array:
    """A numpy array of numbers as an Arrow array over the same memory (pa.array would import pandas)."""
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(values)])


def _stream_csv(con, path: Path, head: bytes, delim: str, table: str):
    """Stage a UTF-8 CSV file as `<table>_csv` through Arrow's streaming reader: (normalised column
    names, `<table>_csv`), or None when the file needs DuckDB's lenient reader: rows with more or
    fewer values than the header, a quote left open, or a header with an empty, repeated or
    multi-line name.

    The file passes in blocks of `CSV_BLOCK` bytes, numbered in file order as they come (so each
    row's number is its position), into a DuckDB table, which spills to disk beyond the
    connection's memory limit: memory does not grow with the file."""
    try:
        header = next(csv.reader(io.StringIO(head.decode("utf-8", "replace").removeprefix("\ufeff")),
                                 delimiter=delim), [])
    except csv.Error:
        return None
    if (not header or any(not h.strip() or "\n" in h or "\r" in h for h in header)
            or len(set(header)) < len(header)):
        return None
    names = unique_headers(header)
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=CSV_BLOCK),
            parse_options=pacsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True, escape_char=False,
                                             newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[""],
                                                 strings_can_be_null=True, quoted_strings_can_be_null=True))
    except (pa.ArrowException, UnicodeError, ValueError):
        return None

    def numbered():
        first = 2   # the header is row 1
        for batch in reader:
            rows = arrow_array(np.arange(first, first + batch.num_rows, dtype=np.int32))
            first += batch.num_rows
            yield pa.RecordBatch.from_arrays(batch.columns + [rows], names=names + ["__row"])
    failed = []

    def guarded():
        try:
            yield from numbered()
        except (pa.ArrowException, UnicodeError, ValueError) as exc:   # a row Arrow's strict reader refuses
            failed.append(exc)
    stream = pa.RecordBatchReader.from_batches(
        pa.schema([(n, pa.string()) for n in names] + [("__row", pa.int32())]), guarded())
    con.register(f"{table}_stream", stream)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_csv AS SELECT * FROM {table}_stream")
    finally:
        con.unregister(f"{table}_stream")
    if failed:
        con.execute(f"DROP TABLE {table}_csv")
        return None
    return names, f"{table}_csv"


def drop_staged(con, *names: str) -> None:
    """Drop staged tables and views: a CSV file is staged as a view over the table `<name>_csv`."""
    for name in names:
        for obj, kind in con.execute("SELECT table_name, table_type FROM information_schema.tables "
                                     "WHERE table_catalog = 'temp' AND table_name IN (?, ?)",
                                     [name, name + "_csv"]).fetchall():
            con.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} IF EXISTS {quote_name(obj)}")


def _check_extent(path: Path, sheet: str, e: xlsx.Extent) -> None:
    """Refuse a sheet too large to read, naming its last cell and what to do."""
    where = f"{path}, sheet {sheet!r}"
    reach = f"its cells reach {xlsx.column_letters(e.columns)}{e.rows} ({e.rows:,} rows x {e.columns:,} columns)"
    stray = "delete the rows and columns after the data (in Excel, Ctrl+End goes to the last cell) and save again"
    if e.columns > MAX_COLUMNS:
        raise LoadError(f"{where}: {reach}; a sheet may have at most {MAX_COLUMNS:,} columns (no export has "
                        f"more), so it was not read. If the far cells are stray, {stray}")
    if e.cells <= MAX_SHEET_CELLS and e.grid > max(SMALL_GRID, SPARSE_GRID * e.cells):
        raise LoadError(f"{where}: {reach} but it holds only {e.cells:,} cell(s): a stray value far from the "
                        f"data, so it was not read. {stray[0].upper()}{stray[1:]}")
    if e.cells > MAX_SHEET_CELLS or e.grid > MAX_SHEET_CELLS:
        raise LoadError(f"{where}: {reach}, more than the {MAX_SHEET_CELLS:,} cells a sheet may hold, so it was "
                        f"not read; split it into smaller workbooks or save it as CSV. If the far cells are "
                        f"stray, {stray}")


def read_xlsx_sheets(path: Path):
    """Yield (sheet name, hidden, rows) for each sheet; rows are lists of cell values (cached values),
    from row 1 and column A, with merged cells filled down. A hidden sheet's rows are not read
    (an empty list): hidden sheets are never loaded.

    Each sheet's extent is measured in its XML first (`xlsx.sheet_extents`), so a sheet too large
    to read is refused (LoadError naming the file and sheet) before any memory is spent on it."""
    from python_calamine import CalamineWorkbook
    try:
        with zipfile.ZipFile(path) as z:
            extents = xlsx.sheet_extents(z, MAX_SHEET_CELLS, MAX_XLSX_XML)
    except xlsx.WorkbookError as exc:
        raise LoadError(f"{path}: {exc}, so it was not read; save the sheets as CSV") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, zlib.error) as exc:
        raise LoadError(f"{path}: not a readable Excel workbook (a damaged zip: {exc}); save it again as "
                        ".xlsx or as CSV") from exc
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for non-workbooks
        raise LoadError(f"{path}: not a readable Excel workbook ({exc}); save it as .xlsx or as CSV") from exc
    for meta in wb.sheets_metadata:
        hidden = "hidden" in str(meta.visible).lower()   # Hidden or VeryHidden
        if hidden:
            yield meta.name, hidden, []
            continue
        _check_extent(path, meta.name, extents.get(meta.name, extents[None]))
        sheet = wb.get_sheet_by_name(meta.name)
        rows = sheet.to_python(skip_empty_area=False)
        # A value merged down several rows (a department over its requisitions) belongs to each
        # of them; a merge across columns only is a label spanning them, kept in its first cell.
        for (r0, c0), (r1, _) in getattr(sheet, "merged_cell_ranges", None) or ():
            for r in range(r0 + 1, min(r1 + 1, len(rows))):
                if c0 < len(rows[r]) and rows[r][c0] in ("", None):
                    rows[r][c0] = rows[r0][c0]
        yield meta.name, hidden, rows


def find_header_row(rows, kind: str | None, limit: int = 30):
    """Index of the header row: the first row holding every required column of `kind`
    (or of any template table when `kind` is unknown), allowing title rows and notes above it."""
    for i, row in enumerate(rows[:limit]):
        headers = [normalise_header(c) for c in row]
        if kind and all(c.name in headers for c in TEMPLATE[kind] if c.required and c.name != "client"):
            return i, kind
        if not kind:
            found = kind_from_headers(headers)
            if found:
                return i, found
    return None, kind


# Cell types whose whole column converts in C, with the SQL (over `{c}`) that makes them the text
# the parsers read. Exactly one type per column (besides empty cells): Arrow would otherwise
# coerce, e.g. read date-time cells after a date cell as dates and drop their time of day.
_TYPED_COLUMNS = {
    str: "nullif({c}, '')",
    # a date-time cell at 00:00 is a bare local date (see cell_text)
    dt.datetime: ("CASE WHEN {c}::TIME = TIME '00:00:00' THEN strftime({c}, '%Y-%m-%d') "
                  "ELSE strftime({c}, '%Y-%m-%d %H:%M:%S.%f') END"),
    dt.date: "strftime({c}, '%Y-%m-%d')",
    # ids typed as numbers: 1042.0 reads 1042
    float: ("CASE WHEN {c} = floor({c}) AND abs({c}) < 1e15 THEN CAST(CAST({c} AS BIGINT) AS VARCHAR) "
            "ELSE CAST({c} AS VARCHAR) END"),
    int: "CAST({c} AS VARCHAR)",
    bool: "CAST({c} AS VARCHAR)",
}


def _column(values: list) -> tuple[pa.Array, str]:
    """One sheet column as an Arrow array, and the SQL (over `{c}`) that turns it into text."""
    kinds = set(map(type, values)) - {type(None)}
    if len(kinds) <= 1:
        kind = next(iter(kinds), str)
        if kind in _TYPED_COLUMNS:
            try:
                return pa.array(values), _TYPED_COLUMNS[kind]
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                pass  # e.g. integers beyond 64 bits: convert cell by cell below
    return pa.array([cell_text(c) for c in values], pa.string()), "{c}"


def stage_rows(con, rows, header_idx: int, table: str) -> list[str]:
    """Stage spreadsheet rows below the header as an all-text temp table with their sheet row numbers.

    Blank separator rows (empty or white-space cells only) are layout, not data: they are left out.
    """
    headers = unique_headers(rows[header_idx])
    width = len(headers)
    body = rows[header_idx + 1:]
    if any(len(r) != width for r in body):
        body = [list(r[:width]) + [None] * (width - len(r)) for r in body]
    columns = list(zip(*body)) if body else [()] * width
    arrays, texts = {}, []
    for j, (h, values) in enumerate(zip(headers, columns)):
        arrays[f"c{j}"], sql = _column(list(values))
        texts.append(f"{sql.format(c=f'c{j}')} AS {quote_name(h)}")
    arrays["__row"] = pa.array(range(header_idx + 2, header_idx + 2 + len(body)), pa.int32())
    con.register(f"{table}_arrow", pa.table(arrays))
    blank = " AND ".join(f"coalesce(trim({quote_name(h)}), '') = ''" for h in headers) or "false"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT * FROM (SELECT {', '.join(texts)}, __row FROM {table}_arrow) WHERE NOT ({blank})""")
    con.unregister(f"{table}_arrow")
    return headers
