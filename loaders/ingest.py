"""Loading files into the store: the project's import template, as CSV files or XLSX sheets.

Every source shape ends as a text table in the template's columns (one per canonical table), and
`store_table` checks, parses and stores it, so the loading rules of domain.md are written once:
- a row that cannot be loaded goes, with its raw values, file, sheet, row, column and reason, to
  `rejected_rows`; nothing is dropped silently;
- loading the same file again changes nothing (files are known by sha256);
- a newer export replaces the rows it carries (same client and id; for a stage event, the same
  application, stage word and time), and keeps the others; a requisition keeps the earliest
  `opened_at` ever seen;
- personal data columns (names, e-mails, phones) are never stored, and the drop is reported;
- a run of files loads in one transaction: a run that fails or is killed (a full disk) leaves the
  database as it was; a file that cannot be loaded is reported and left out, and the others load;
- files are measured before they are read (columns, a workbook's sheets, the XML they unpack to), so
  an absurd or hostile file is refused with a message instead of exhausting the machine.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import errno
import hashlib
import io
import itertools
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

import access
from loaders.parse import (TIME_HINT, cell_text, clean_sql, id_sql, instant_sql, int_bad_sql, int_sql,
                           iso_input, local_date_sql, time_struct, utc_offsets)
from loaders.settings import ats_company_clients, canonical_stage_sql, get_client, match_key, match_key_sql
from loaders import bullhorn, connectors, harvest, lever, tracker, xlsx
from loaders.template import (KEYS, TEMPLATE, Col, is_personal, kind_from_headers, kind_from_name,  # noqa: F401
                              normalise_header, unique_headers)
from loaders.shapes import SUPPORTED, Mapping, Shape, ShapeError, detect, find_lookup, stage_sql
from loaders.textfile import (ENCODING_SAMPLE, NotText, binary_message, encoding_note, sniff_delimiter,
                              text_encoding, utf8_text)
from loaders.vendor_json import REJECT, read_objects


DATA_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json", ".jsonl", ".ndjson", ".parquet"}


class LoadError(Exception):
    """A file that cannot be loaded at all; the message names the file (and sheet) and why."""


@dataclass
class Report:
    """What happened to one file (or one sheet of a workbook)."""
    path: str
    sheet: str | None = None
    kind: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    dropped_columns: list[str] = field(default_factory=list)
    clients: list[str] = field(default_factory=list)            # whose rows it held
    rejected_sample: list[tuple] = field(default_factory=list)   # (row, column, reason)
    unmapped: list[tuple] = field(default_factory=list)          # (stage word, events): loaded, not counted
    format: str | None = None      # the source shape it was read as ("template", a vendor shape's name)
    notes: list[str] = field(default_factory=list)             # what the shape could not carry
    skipped: str | None = None     # why nothing was loaded although the file is fine
    error: str | None = None       # why the file could not be loaded at all

    @property
    def file(self) -> str:
        """The file as reports name it: its folder and name (`export/applications.csv`)."""
        p = Path(self.path)
        return f"{p.parent.name}/{p.name}" if p.parent.name else p.name

    @property
    def label(self) -> str:
        return self.file + (f" [{self.sheet}]" if self.sheet else "")


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

    Arrow's CSV reader parses the file on every core and keeps file order, so each row's number
    is its position; DuckDB then reads the Arrow table in place. A file Arrow's strict reader
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
    arrow = _arrow_csv(text, head, delim)
    if arrow is not None:
        headers, arrow = arrow
        arrow = arrow.append_column("__row", _arrow_array(np.arange(2, arrow.num_rows + 2, dtype=np.int32)))
        con.register(f"{table}_arrow", arrow)
        source = f"{table}_arrow"
    else:
        check_csv_width(text, delim, "utf-8", shown=path)
        params = {"path": str(text), "delim": delim}
        reader = ("read_csv($path, all_varchar = true, header = true, delim = $delim, quote = '\"', "
                  "escape = '\"', null_padding = true, strict_mode = false, encoding = 'utf-8', "
                  f"sample_size = {CSV_SNIFF_ROWS})")
        try:
            names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {reader}", params).fetchall()]
            headers = unique_headers(names)
            columns = ", ".join(f"{_q(n)} AS {_q(h)}" for n, h in zip(names, headers))
            con.execute(f"""CREATE OR REPLACE TEMP TABLE {table}_csv AS
                SELECT {columns}, (ordinality + 1)::INTEGER AS __row FROM {reader} WITH ORDINALITY""", params)
        except duckdb.Error as exc:
            detail = " ".join(line.strip() for line in str(exc).splitlines()[:3] if line.strip())
            raise LoadError(f"{path}: not a readable CSV file: {detail.replace(str(text), str(path))}") from exc
        source = f"{table}_csv"
    blank = " AND ".join(f"{_q(h)} IS NULL" for h in headers)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT * FROM {source} WHERE NOT ({blank})")
    return headers


def _arrow_array(values: np.ndarray) -> pa.Array:
    """A numpy array of numbers as an Arrow array over the same memory (pa.array would import pandas)."""
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(values)])


def _arrow_csv(path: Path, head: bytes, delim: str):
    """(normalised column names, all-text Arrow table with those names) of a UTF-8 CSV file, or None
    when the file needs DuckDB's lenient reader: rows with more or fewer values than the header, a
    quote left open, or a header with an empty, repeated or multi-line name."""
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
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True, escape_char=False,
                                             newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[""],
                                                 strings_can_be_null=True, quoted_strings_can_be_null=True))
    except (pa.ArrowException, UnicodeError, ValueError):
        return None
    return names, table


def drop_staged(con, *names: str) -> None:
    """Drop staged tables and views: a CSV file is staged as a view over `<name>_arrow`, an Arrow
    table, or over `<name>_csv`."""
    for name in names:
        for obj, kind in con.execute("SELECT table_name, table_type FROM information_schema.tables "
                                     "WHERE table_catalog = 'temp' AND table_name IN (?, ?, ?)",
                                     [name, name + "_arrow", name + "_csv"]).fetchall():
            if obj == name + "_arrow":
                con.unregister(obj)
            else:
                con.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} IF EXISTS {_q(obj)}")


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
        texts.append(f"{sql.format(c=f'c{j}')} AS {_q(h)}")
    arrays["__row"] = pa.array(range(header_idx + 2, header_idx + 2 + len(body)), pa.int32())
    con.register(f"{table}_arrow", pa.table(arrays))
    blank = " AND ".join(f"coalesce(trim({_q(h)}), '') = ''" for h in headers) or "false"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT * FROM (SELECT {', '.join(texts)}, __row FROM {table}_arrow) WHERE NOT ({blank})""")
    con.unregister(f"{table}_arrow")
    return headers


# ---------------------------------------------------------------------------------------------
# Checking and storing one staged table.

def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _run(con, sql: str, params: dict):
    """Execute with the named parameters the statement uses (DuckDB refuses unused ones)."""
    return con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})


def _lit(text: str) -> str:
    """A SQL string literal for our own fixed texts (messages, column names); values from files
    and from users are bound as parameters instead."""
    return "'" + text.replace("'", "''") + "'"


def store_table(con, *, table: str, kind: str, file_id: int, report: Report, client_override: str | None,
                columns: list[str], source_names: dict | None = None,
                allowed_clients: set[str] | None = None) -> None:
    """Check, parse and store staged text table `table` as canonical `kind` rows.

    `columns` are the staged table's (normalised) column names; `source_names` gives, for a
    column a vendor shape renamed, the file's own header, which messages and rejected rows use.
    Raises LoadError when the table lacks a required column; row-level problems go to rejected_rows.
    With `allowed_clients`, a row of a client not among them is rejected as a client that does not exist.
    """
    named = source_names or {}
    spec = TEMPLATE[kind]
    names = {c.name for c in spec}
    report.dropped_columns = [c for c in columns if c not in names and is_personal(c)]
    missing = [c.name for c in spec if c.required and c.name not in columns]
    if "client" not in columns and not client_override:
        missing.insert(0, "client")
    if missing:
        where = f"{report.path}" + (f", sheet {report.sheet}" if report.sheet else "")
        raise LoadError(f"{where}: missing required column(s) {', '.join(missing)} for {kind} "
                        f"(found: {', '.join(columns) or 'no columns'}); see the import template "
                        f"in the README" + ("; or pass --client NAME" if "client" in missing else ""))
    extras = [c for c in columns if c not in names and c not in ("client", REJECT) and c not in report.dropped_columns]

    def src(col):  # a column's clean value (see `cleaned` below), or NULL when the file lacks it
        return f"s.{_q(col)}" if col in columns else "NULL::VARCHAR"

    # Each column's clean value (trimmed, empty as NULL) is computed once, in the innermost query,
    # for every check and parser that reads it; extra columns are kept as the file wrote them.
    cleaned = ["s.__row"] + [f"{clean_sql('s.' + _q(c))} AS {_q(c)}" for c in columns if c in names or c == "client"]
    cleaned += [f"s.{_q(e)}" for e in extras + [REJECT] if e in columns]
    params = {"override": client_override, "override_key": match_key(client_override or "")}
    client_ref = f"coalesce({src('client')}, $override::VARCHAR)"
    # Resolve the file's client names once: most files name one client, which then becomes a
    # constant instead of a join per row; several clients join through a small map of their names.
    # With --client every row is that client's (a row naming another is rejected below).
    refs = [client_override] if client_override else [
        r[0] for r in _run(con, f"SELECT DISTINCT {client_ref} FROM (SELECT {clean_sql(src('client'))} AS client "
                                f"FROM {table} s) s", params).fetchall()]
    fields = ("client", "timezone", "date_order", "client_key")
    known = {ref: known_client(con, ref, allowed_clients) if ref is not None else None for ref in refs}
    zone = None   # the one time zone of every row, when the file is one client's
    if len(refs) == 1:
        settings = known[refs[0]] or {}
        zone = settings.get("timezone")
        params.update({f"c_{k}": settings.get(k) for k in fields})
        c = {k: f"$c_{k}::VARCHAR" for k in fields}
        client_join = ""
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE __client_map (raw VARCHAR, client VARCHAR, timezone VARCHAR, "
                    "date_order VARCHAR, client_key VARCHAR)")
        if known:   # (none in a file without rows)
            con.executemany("INSERT INTO __client_map VALUES (?, ?, ?, ?, ?)",
                            [[ref] + [(settings or {}).get(f) for f in fields] for ref, settings in known.items()])
        c = {k: f"c.{k}" for k in fields}
        client_join = f"LEFT JOIN __client_map c ON c.raw IS NOT DISTINCT FROM {client_ref}"
    sel = ["s.__row AS __row", f"{c['client']} AS client", f"{c['timezone']} AS __tz"]
    errors = [
        f"CASE WHEN {client_ref} IS NULL THEN 'client' || chr(9) || 'client is empty; fill the client column or pass --client' "
        f"WHEN {c['client']} IS NULL THEN 'client' || chr(9) || 'unknown client ''' || {client_ref} || "
        f"'''; create it first with: python -m loaders client SETTINGS.toml' END",
    ]
    if REJECT in columns:   # a vendor module's own reason for a row it could not build (vendor_json.rejection)
        errors.insert(0, f"s.{REJECT}")   # first: it says more than the checks below (`assign_clients`)
    if client_override and "client" in columns:
        errors.append(
            f"CASE WHEN {src('client')} IS NOT NULL AND lower({src('client')}) <> $override_key "
            f"AND {match_key_sql(src('client'))} <> $override_key "
            f"THEN 'client' || chr(9) || 'row is for client ''' || {src('client')} || ''', but --client is ' "
            f"|| $override END")
    isos = []   # ISO casts computed once per value in an inner query (see iso_input)
    for col in spec:
        x = src(col.name)
        label = _lit(named.get(col.name, col.name))
        if col.required:
            errors.append(f"CASE WHEN {x} IS NULL THEN {label} || chr(9) || "
                          f"'required value is empty' END")
        if col.kind in ("time", "date"):
            if col.name in columns:
                isos.append(iso_input(x, col.name))
                parsed = time_struct(x, col.name, c["date_order"])
            else:
                parsed = "{'d': NULL::DATE, 't': NULL::TIMESTAMP, 'bad': false}"
            sel += [f"{parsed} AS __p_{col.name}", f"{x} AS __raw_{col.name}"]
            errors.append(f"CASE WHEN __p_{col.name}.bad THEN {label} || chr(9) || 'could not read ''' || "
                          f"__raw_{col.name} || ''' as a date or time ({TIME_HINT})' END")
        elif col.kind == "int":
            sel.append(f"{int_sql(x)} AS {col.name}")
            errors.append(f"CASE WHEN {int_bad_sql(x)} THEN {label} || chr(9) || 'expected a whole number, "
                          f"got ''' || {x} || '''' END")
        elif col.kind == "id":
            sel.append(f"{id_sql(x)} AS {col.name}")
        elif col.kind == "side":
            sel.append(f"lower({x}) AS {col.name}")
            errors.append(f"CASE WHEN lower({x}) NOT IN ('rpo', 'client') THEN {label} || chr(9) || "
                          f"'side must be rpo or client (empty counts as rpo), got ''' || {x} || '''' END")
        elif col.kind == "lower":
            sel.append(f"lower({x}) AS {col.name}")
        else:
            sel.append(f"{x} AS {col.name}")
    if extras:
        sel.append("json_object(" + ", ".join(f"{_lit(e)}, s.{_q(e)}" for e in extras) + ") AS extra")
    else:
        sel.append("NULL::JSON AS extra")
    # Errors that depend on parsed values are evaluated in a second step (they refer to __p_ columns).
    row_errors = [e for e in errors if "__p_" not in e]
    parse_errors = [e for e in errors if "__p_" in e]
    periods = utc_offsets(con, zone) if zone else None   # fast local dates of the file's one zone
    final, micros = [], []   # micros: each instant as an integer, for the offset periods' search
    for col in spec:
        p = "__p_" + col.name
        if col.kind in ("time", "date") and periods:
            micros.append(f"epoch_us({p}.t) AS __u_{col.name}")
        local = local_date_sql(p, "__tz", periods, f"__u_{col.name}" if periods else None)
        if col.kind == "time":
            final += [f"{instant_sql(p, '__tz')} AS {col.name}", f"{local} AS {col.name.removesuffix('_at')}_on"]
        elif col.kind == "date":
            final.append(f"{local} AS {col.name}")
        else:
            final.append(col.name)
    err = f"coalesce(__err0, {', '.join(parse_errors)})" if parse_errors else "__err0"
    # One pass, as nested queries, each computing what the next reads once per row: clean values,
    # ISO casts, parsed values and row errors, instants as integers, then final values and the
    # first problem of each row.
    query = f"SELECT {', '.join(cleaned)} FROM {table} s"
    if isos:
        query = f"SELECT s.*, {', '.join(isos)} FROM ({query}) s"
    query = f"SELECT {', '.join(sel)}, coalesce({', '.join(row_errors)}) AS __err0 FROM ({query}) s {client_join}"
    if micros:
        query = f"SELECT *, {', '.join(micros)} FROM ({query})"
    _run(con, f"""CREATE OR REPLACE TEMP TABLE __checked AS
        SELECT __row, client, {', '.join(final)}, extra, {err} AS __err FROM ({query})""", params)
    # A key twice in one file is ambiguous: keep its first row, reject the others naming that row.
    # (A pass over the key hashes finds the few duplicates; a window over every row would cost far more.)
    keys = KEYS[kind]
    cols = ", ".join(("client",) + keys)
    on = " AND ".join(f"k.{c} IS NOT DISTINCT FROM d.{c}" for c in ("client",) + keys)
    # Find the hashes of the key that occur twice first (sorted: cheaper than grouping a million
    # distinct hashes), then compare the few candidates exactly.
    hashes = con.execute(f"SELECT hash({cols}) AS h FROM __checked WHERE __err IS NULL").fetchnumpy()["h"]
    hashes.sort()
    twice = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
    if len(twice):   # (handed over as an Arrow column: binding a list of many would cost seconds)
        con.register("__dup_hashes_arrow", pa.table([_arrow_array(twice)], names=["h"]))
        con.execute("CREATE OR REPLACE TEMP TABLE __dup_hashes AS SELECT h FROM __dup_hashes_arrow")
        con.unregister("__dup_hashes_arrow")
        con.execute(f"""UPDATE __checked k
            SET __err = {_lit(named.get(keys[0], keys[0]))} || chr(9) ||
                        {_lit('duplicate ' + ' + '.join(named.get(k, k) for k in keys) + ' in this file; row ')}
                        || d.first_row || ' holds the same and was kept'
            FROM (SELECT {cols}, min(__row) AS first_row FROM __checked
                  WHERE __err IS NULL AND hash({cols}) IN (SELECT h FROM __dup_hashes)
                  GROUP BY ALL HAVING count(*) > 1) d
            WHERE k.__err IS NULL AND {on} AND k.__row <> d.first_row""")
    report.rows_read, report.rows_rejected, report.clients = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE __err IS NOT NULL), "
        "coalesce(list(DISTINCT client ORDER BY client) FILTER (WHERE client IS NOT NULL), []) FROM __checked"
    ).fetchall()[0]
    if report.rows_rejected:
        _keep_rejected(con, table, kind, file_id, report, columns, named)
    report.rejected_sample = con.execute(
        "SELECT __row, split_part(__err, chr(9), 1), split_part(__err, chr(9), 2) FROM __checked "
        "WHERE __err IS NOT NULL ORDER BY __row LIMIT 5").fetchall()
    report.unmapped = _upsert(con, kind, file_id)
    report.rows_loaded = report.rows_read - report.rows_rejected


def _keep_rejected(con, table, kind, file_id, report, columns, named) -> None:
    """Store each rejected row with its raw values (personal data excluded), file, sheet, row,
    column and reason."""
    con.execute(f"""INSERT INTO rejected_rows
        SELECT ?, k.client, ?, ?, ?, k.__row, split_part(k.__err, chr(9), 1), split_part(k.__err, chr(9), 2),
               json_object({', '.join(f"{_lit(named.get(c, c))}, s.{_q(c)}" for c in columns
                                      if c not in report.dropped_columns and c != REJECT)})
        FROM __checked k JOIN {table} s ON s.__row = k.__row
        WHERE k.__err IS NOT NULL""", [file_id, Path(report.path).name, report.sheet, kind])


def _upsert(con, kind: str, file_id: int) -> list[tuple[str, int]]:
    """Replace stored rows with the same key by the file's good rows (domain.md's loading rules).

    Returns the stage words the client's dictionary does not map, with their event counts."""
    target_cols = [r[0] for r in con.execute(f"DESCRIBE {kind}").fetchall()]
    new = "(SELECT * FROM __checked WHERE __err IS NULL)"
    if kind == "requisitions":
        # A reopened requisition keeps its first start: when the stored row opened earlier, its
        # opened and assigned dates (together, the start) win over the newer export's.
        keep = [f"CASE WHEN o.opened_at < n.opened_at THEN o.{c} ELSE n.{c} END AS {c}"
                for c in ("opened_at", "opened_on", "assigned_at", "assigned_on")]
        con.execute(f"""CREATE OR REPLACE TEMP TABLE __reqs AS
            SELECT n.* REPLACE ({', '.join(keep)})
            FROM {new} n LEFT JOIN requisitions o USING (client, requisition_id)""")
        new = "__reqs"
    # The stored rows with the same key are the ones the newer export carries; a stage event's key
    # is its application, the client's stage word and its time (stored as raw_stage).
    keys = ("client",) + KEYS[kind]
    on = " AND ".join(f"{kind}.{'raw_stage' if kind == 'stage_events' and c == 'stage' else c} = n.{c}"
                      for c in keys)
    if con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {kind} WHERE client IN (SELECT client FROM {new}) LIMIT 1)"
                   ).fetchall()[0][0]:  # nothing stored yet for these clients: nothing to replace
        con.execute(f"DELETE FROM {kind} USING (SELECT DISTINCT {', '.join(keys)} FROM {new}) n WHERE {on}")
    values = {"file_id": str(int(file_id)), "source_row": "n.__row"}
    join = ""
    if kind == "stage_events":
        # Resolve each distinct stage word once, then join on the word itself (a file has few).
        con.execute(f"""CREATE OR REPLACE TEMP TABLE __stage_map AS
            SELECT w.client, w.stage AS raw, w.events, {canonical_stage_sql('w.stage', 'd.stage')} AS stage
            FROM (SELECT client, stage, count(*) AS events FROM {new} GROUP BY ALL) w
            LEFT JOIN stage_dictionary d ON d.client = w.client AND d.raw_key = {match_key_sql('w.stage')}""")
        join = "LEFT JOIN __stage_map d ON d.client = n.client AND d.raw = n.stage"
        values.update(raw_stage="n.stage", stage="d.stage")
    select = ", ".join(values.get(c, f"n.{c}") for c in target_cols)
    con.execute(f"INSERT INTO {kind} ({', '.join(target_cols)}) SELECT {select} FROM {new} n {join}")
    if kind == "stage_events":
        return con.execute("SELECT raw, events FROM __stage_map WHERE stage IS NULL "
                           "ORDER BY events DESC, raw").fetchall()
    return []


# ---------------------------------------------------------------------------------------------
# Files: one transaction each.

def _missing_columns_error(path: Path, sheet: str, kind: str, rows) -> LoadError:
    """A sheet named as a template table must hold it: say which required columns are missing."""
    wanted = {c.name for c in TEMPLATE[kind]}
    best = max(rows[:30], default=[], key=lambda r: sum(normalise_header(c) in wanted for c in r))
    found = {normalise_header(c) for c in best} - {""}
    missing = [c.name for c in TEMPLATE[kind] if c.required and c.name not in found]
    return LoadError(f"{path}, sheet {sheet!r}: missing required column(s) {', '.join(missing)} for {kind} "
                     f"(found: {', '.join(sorted(found)) or 'no header row'}); see the import template in the README")


def _workbook_pieces(con, path: Path, fmt: str = "auto", mapping: Mapping | None = None):
    """The tables of a workbook, as `_pieces` yields them. With `--format auto` the import
    template's sheets are looked for first, then a recruiter tracker's (`tracker.py`); with a
    mapping, the sheet whose header row holds the mapping's columns. Hidden sheets are never read
    (recruiters hide old copies), and every sheet left out is reported with the reason."""
    with open(path, "rb") as fh:
        if fh.read(4) != b"PK\x03\x04":
            raise LoadError(f"{path}: not an Excel workbook (an .xlsx file is a zip archive; this one is "
                            "plain text or another format); save it as .xlsx from Excel, or rename it to .csv")
    sheets = list(read_xlsx_sheets(path))
    if mapping is not None:
        yield from _mapped_sheet_pieces(con, path, sheets, mapping)
        return
    if fmt in ("auto", "template"):
        chosen, skipped = _template_sheets(path, sheets, trackers_too=fmt == "auto")
        if fmt == "auto" and chosen and not any(kind_from_name(sheet) for sheet, hidden, _ in sheets if not hidden):
            # Sheets recognised by their headers only: a tracker whose submittal log says "Application
            # ID" also fits the template's applications; the reading that takes in more sheets wins.
            trackers = sum(not hidden and bool(tracker.recognise(rows, normalise_header, sheet))
                           for sheet, hidden, rows in sheets)
            chosen = [] if trackers > len(chosen) else chosen
        if chosen or fmt == "template":
            if not chosen:
                raise LoadError(f"{path}: no sheet holds a template table; name sheets {', '.join(TEMPLATE)} "
                                "with the template's column headers in them")
            kinds = {}
            for sheet, kind, _, _ in chosen:
                if kind in kinds:  # the same rows twice would overwrite each other unseen
                    raise LoadError(f"{path}: sheets {kinds[kind]!r} and {sheet!r} both hold {kind}; keep one of "
                                    "them (or hide the other) and load the workbook again")
                kinds[kind] = sheet
            for sheet, reason in skipped:
                yield sheet, None, None, reason, "template"
            for n, (sheet, kind, rows, header_idx) in enumerate(chosen):
                table = f"__src{n}"
                yield sheet, kind, table, (stage_rows(con, rows, header_idx, table), {}, []), "template"
            return
    yield from _tracker_pieces(con, path, sheets, fmt)


def _template_sheets(path: Path, sheets, trackers_too: bool = False):
    """The sheets holding template tables: (chosen (sheet, kind, rows, header row), skipped
    (sheet, reason)). Sheets named after a template table are the ones read; only when none is, a
    visible sheet whose headers fit a table is. With `trackers_too`, a sheet named like a table but
    laid out as a tracker sheet (a recruiter's "Commitments") makes the workbook a tracker: nothing
    is chosen."""
    by_name = any(kind_from_name(sheet) for sheet, hidden, _ in sheets if not hidden)
    chosen, skipped = [], []
    for sheet, hidden, rows in sheets:
        named = kind_from_name(sheet)
        if hidden:
            skipped.append((sheet, "hidden sheet, not read"))
        elif by_name and not named:
            skipped.append((sheet, "not named after a template table (" + ", ".join(TEMPLATE) + "), not read"))
        else:
            header_idx, kind = find_header_row(rows, named)
            if named and header_idx is None:
                if trackers_too and tracker.recognise(rows, normalise_header, sheet):
                    return [], []
                raise _missing_columns_error(path, sheet, named, rows)
            if kind is None:
                skipped.append((sheet, "no template table's headers found, not read"))
            else:
                chosen.append((sheet, kind, rows, header_idx))
    return chosen, skipped


def _tracker_pieces(con, path: Path, sheets, fmt: str):
    """A recruiter tracker workbook's sheets (`tracker.py`): each recognised sheet in template
    columns, and a submittal log's stage events, one table per milestone column (so that a date
    it cannot read is reported under that column's own header)."""
    chosen, skipped = [], []
    for sheet, hidden, rows in sheets:
        if hidden:
            skipped.append((sheet, "hidden sheet, not read"))
        elif found := tracker.recognise(rows, normalise_header, sheet):
            chosen.append((sheet, rows) + found)
        else:
            skipped.append((sheet, f"not a tracker sheet: {tracker.closest(rows, normalise_header)}"))
    if not chosen:
        listing = "; ".join(f"sheet {sheet!r}: {why}" for sheet, why in skipped) or "no sheets"
        raise LoadError(
            f"{path}: cannot tell what this workbook is ({listing}). "
            + (f"Import-template workbooks name their sheets {', '.join(TEMPLATE)}; " if fmt == "auto" else "")
            + "recruiter trackers (--format tracker) need a header row with a requisition tracker's "
            "Req # and Date Opened, a submittal log's Req # and Date Submitted, or a commitments sheet's Due "
            "and Promised or Delivered; another ATS's export: --format mapped --mapping FILE")
    for sheet, reason in skipped:
        yield sheet, None, None, reason, tracker.FORMAT
    n, seen_ids = 0, {}
    for sheet, rows, header_idx, kind in chosen:
        header = rows[header_idx]
        staged, found, names, notes = tracker.layout(path, sheet, rows, header_idx, kind, normalise_header, TEMPLATE)
        shape = f"recruiter tracker ({kind.name})"
        table, n = f"__src{n}", n + 1
        cols = stage_rows(con, staged, header_idx, table)
        id_col = TEMPLATE[kind.table][0].name
        # Monthly sheets of one log are fine, but a row repeating another sheet's id replaces it: say so.
        ids = {i for (i,) in con.execute(f"SELECT DISTINCT trim({_q(cols[found[id_col]])}) FROM {table}").fetchall() if i}
        for other, other_ids in seen_ids.get(kind.table, []):
            if ids & other_ids:
                notes.append(f"{len(ids & other_ids)} {id_col}(s) also on sheet {other!r}: the rows here replace those")
        seen_ids.setdefault(kind.table, []).append((sheet, ids))
        events = []   # made before the log's own table is stored (and dropped)
        for sql, info in _submittal_events(con, table, cols, found, header, names) if kind is tracker.SUBMITTAL_LOG else ():
            events.append((f"__src{n}", info))
            con.execute(f"CREATE OR REPLACE TEMP TABLE __src{n} AS {sql}")
            n += 1
        yield sheet, kind.table, table, (cols, names, notes), shape
        for ev, info in events:
            yield sheet, "stage_events", ev, info, shape


def _submittal_events(con, table: str, cols: list[str], found: dict, header: list, names: dict):
    """A submittal log's stage events (`tracker.events`): (SQL over the staged log, what
    `_pieces` yields for it), one per milestone column and one for the status word."""
    app = _q(cols[found["application_id"]])
    for stage, times, label in tracker.events(found, cols, header):
        word = _lit(stage) if stage else f"trim({_q(cols[found['status']])})"
        when = "coalesce(" + ", ".join([f"nullif(trim({_q(c)}), '')" for c in times] + ["NULL::VARCHAR"]) + ")"
        rows = f"""FROM {table} WHERE nullif(trim({app}), '') IS NOT NULL AND nullif({word}, '') IS NOT NULL"""
        notes = [f"stage events {stage!r} from column {label}" if stage else
                 f"the status word as a stage event in the client's words, dated by {label}"]
        if not stage:
            notes += [f"row {r}: status {w!r} has no date in its row (no outcome or milestone date), not loaded "
                      "as a stage event"
                      for r, w in con.execute(f"SELECT __row, {word} {rows} AND {when} IS NULL ORDER BY __row").fetchall()]
        source = {"application_id": names["application_id"], "entered_at": label}
        if not stage:
            source["stage"] = names["status"]
        yield (f"SELECT __row, {app} AS application_id, {word} AS stage, {when} AS entered_at {rows} AND {when} IS NOT NULL",
               (["application_id", "stage", "entered_at"], source, notes))


def _mapped_sheet_pieces(con, path: Path, sheets, mapping: Mapping):
    """Another ATS's export saved as a workbook: the visible sheet whose header row (title rows
    may sit above it) holds every column the mapping names."""
    shape = mapping.shape
    fits, seen = [], []
    for sheet, hidden, rows in sheets:
        if hidden:
            continue
        header_idx = next((i for i, row in enumerate(rows[:30])
                           if set(shape.signature) <= {normalise_header(c) for c in row}), None)
        if header_idx is None:
            first = next((r for r in rows[:30] if any(cell_text(c) for c in r)), [])
            seen.append(f"sheet {sheet!r}: " + (", ".join(normalise_header(c) for c in first if cell_text(c))[:160]
                                                 or "empty"))
        else:
            fits.append((sheet, rows, header_idx))
    if len(fits) != 1:
        raise LoadError(f"{path}: " + (
            f"no visible sheet has the column(s) the mapping {mapping.origin} names "
            f"({', '.join(shape.signature)}); found {'; '.join(seen) or 'no visible sheets'}" if not fits else
            f"sheets {', '.join(repr(f[0]) for f in fits)} all hold the mapping's columns; keep one of them "
            "(or hide the others) and load the workbook again"))
    for sheet, hidden, _ in sheets:
        if sheet != fits[0][0]:
            yield sheet, None, None, "hidden sheet, not read" if hidden else "not the sheet the mapping reads", shape.name
    sheet, rows, header_idx = fits[0]
    cols = stage_rows(con, rows, header_idx, "__src0")
    table, cols, names = _apply_shape(con, path, shape, "__src0", cols)
    yield sheet, shape.kind, table, (cols, names, []), shape.name


def _pieces(con, path: Path, encoding: str | None, fmt: str = "auto", mapping: Mapping | None = None):
    """Stage a file's tables in template columns; yield (sheet, kind, temp table, (columns, the
    file's own header of each renamed column, notes for the report), shape name), or (sheet, None,
    None, reason, shape name) for a sheet or file left out."""
    if not path.exists():
        raise LoadError(f"{path}: no such file")
    # JSON and JSON Lines are known by their content, whatever the file is called (`.txt`, `.jsonl`).
    if path.suffix.lower() == ".json" or (path.suffix.lower() not in (".xlsx", ".xlsm", connectors.PARQUET)
                                          and connectors.looks_like_json(path)):
        yield from _json_pieces(con, path, fmt)
        return
    if fmt == tracker.FORMAT and path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise LoadError(f"{path}: --format tracker reads recruiters' tracker workbooks (.xlsx); for a CSV file "
                        "use the import template's columns, or --format mapped --mapping FILE")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        if fmt not in ("auto", "template", tracker.FORMAT, "mapped"):
            raise LoadError(f"{path}: --format {fmt} reads CSV or JSON files; this version reads workbooks in the "
                            "import template, as recruiter trackers (--format tracker) and through a column mapping "
                            "(--mapping FILE); save the sheet as CSV")
        yield from _workbook_pieces(con, path, fmt, mapping)
        return
    parquet = path.suffix.lower() == connectors.PARQUET
    if (fmt in ("auto", bullhorn.FORMAT) and mapping is None and not parquet
            and bullhorn.is_dataloader(path, csv_headers(path, encoding))):
        with open(path, "rb") as fh:
            delimiter = sniff_delimiter(fh.read(4096), encoding or "utf-8")
        check_csv_width(path, delimiter, encoding or "utf-8")
        items = bullhorn.dataloader_objects(path, delimiter, encoding)
        pieces, notes = bullhorn.tables(path, items, first=2)
        entity = bullhorn.entity(path, [])
        yield from _arrow_pieces(con, f"Bullhorn DataLoader {entity}", pieces, notes, bullhorn.SOURCE_NAMES[entity])
        return
    cols = connectors.stage_parquet(con, path, "__src0") if parquet else read_csv_piece(con, path, "__src0", encoding)
    if mapping is not None:
        shape = mapping.shape
        missing = [h for h in shape.signature if h not in cols]
        if missing:
            raise LoadError(f"{path}: the mapping {mapping.origin} names column(s) {', '.join(missing)}, which this "
                            f"file lacks (found: {', '.join(cols)}); correct the mapping or pass another file")
    else:
        template_kind = (kind_from_name(path.name) or kind_from_headers(cols)) if fmt in ("auto", "template") else None
        if template_kind:
            yield None, template_kind, "__src0", (cols, {}, []), "template"
            return
        shapes = detect(cols, fmt) if fmt != "template" else []
        if not shapes and fmt != "template" and (table := connectors.detect(cols, fmt, path.name)):
            yield from _connector_pieces(con, path, table, cols)
            return
        if not shapes:
            raise LoadError(f"{path}: cannot tell what this file is (columns: {', '.join(cols[:12])}"
                            f"{', ...' if len(cols) > 12 else ''}). Template files are named "
                            f"{', '.join(k + '.csv' for k in TEMPLATE)} or hold their required columns; "
                            + connectors.unrecognised_hint(fmt))
        if len(shapes) > 1:
            raise LoadError(f"{path}: this file fits several formats ({'; '.join(s.name for s in shapes)}); "
                            f"pass --format to choose")
        shape = shapes[0]
    if not shape.kind:
        yield None, None, None, f"{shape.name}: read with the export that needs it, not loaded on its own", shape.name
        return
    table, cols, names = _apply_shape(con, path, shape, "__src0", cols)
    yield None, shape.kind, table, (cols, names, []), shape.name


def _connector_pieces(con, path: Path, table, cols: list[str]):
    """A data connector's warehouse table file (`connectors.py`), read with the sibling tables it needs."""
    def stage(sibling: Path, name: str) -> list[str]:
        if sibling.suffix.lower() == connectors.PARQUET:
            return connectors.stage_parquet(con, sibling, name)
        return read_csv_piece(con, sibling, name, fingerprint(sibling)[1])

    def headers_of(p: Path) -> list[str]:
        if p.suffix.lower() == connectors.PARQUET:
            return connectors.parquet_headers(con, p)
        return [normalise_header(h) for h in csv_headers(p)]
    built = connectors.pieces(con, path, table, "__src0", cols, stage, lambda n: drop_staged(con, n), headers_of)
    if not built:
        yield None, None, None, f"{table.label}: read with the file that needs it, not loaded on its own", table.label
    for kind, name, out_cols, names, notes in built:
        yield None, kind, name, (out_cols, names, notes), table.label


def _json_pieces(con, path: Path, fmt: str):
    """The template tables of a vendor's JSON export file (Greenhouse Harvest, Bullhorn, Lever), a
    JSON Lines file of its objects, or a data connector's record stream (`connectors.py`)."""
    records = connectors.read_json(path)
    if records.protocol:
        for name, pieces, notes, names in connectors.stream_pieces(path, records, fmt):
            yield from _arrow_pieces(con, name, pieces, notes, names)
        return
    items = records.items
    names = {}
    if fmt in ("auto", harvest.FORMAT) and (objects := harvest.kind_of(path, items)):
        name = f"Greenhouse Harvest {objects}"
        pieces, notes = harvest.tables(path, items)
    elif fmt in ("auto", bullhorn.FORMAT) and (entity := bullhorn.entity(path, items)):
        name = f"Bullhorn {entity}"
        pieces, notes = bullhorn.tables(path, items)
        names = bullhorn.SOURCE_NAMES[entity]
    elif fmt in ("auto", lever.FORMAT) and (objects := lever.kind_of(path, items)):
        name = f"Lever {objects}"
        pieces, notes = lever.tables(path, items, kind=objects)
    else:
        raise LoadError(f"{path}: not a recognised JSON export; this version reads, by their fields, Greenhouse "
                        f"Harvest jobs and applications, Bullhorn's {', '.join(bullhorn.ENTITIES.values())}, "
                        f"Lever's {', '.join(lever.OBJECTS)}, and Airbyte or Singer record streams of them"
                        + (f" (--format {fmt} was given: try the default, auto)" if fmt != "auto" else ""))
    if records.rows != list(range(1, len(records.rows) + 1)):   # JSON Lines: objects' positions -> line numbers
        pieces = [(kind, connectors.renumber(arrow, records.rows)) for kind, arrow in pieces]
    yield from _arrow_pieces(con, name, pieces, notes, names)


def _arrow_pieces(con, name: str, pieces: list, notes: list[str], names: dict):
    """Stage the template tables a vendor module built (Arrow tables with `__row`); `names` gives
    the vendor's field behind a template column, for messages."""
    if not pieces:
        yield None, None, None, f"{name}: read with the file that needs it, not loaded on its own", name
    for n, (kind, arrow) in enumerate(pieces):
        table = f"__src{n}"
        con.register(f"{table}_arrow", arrow)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table}_arrow")
        con.unregister(f"{table}_arrow")
        yield None, kind, table, ([c for c in arrow.column_names if c != "__row"], names, notes), name


def _apply_shape(con, path: Path, shape: Shape, table: str, cols: list[str]) -> tuple[str, list[str], dict]:
    """Turn a staged vendor table into the template's columns: renames (no data copied), or the
    shape's SQL with the sibling export it needs. Returns the table, its columns and, for each
    template column, the file's own header (for messages)."""
    if shape.lookup:
        lookup = find_lookup(path, shape)
        if lookup.suffix.lower() == ".json":   # Harvest's job_stages.json
            con.register("__lookup_arrow", harvest.job_stages(lookup))
            con.execute("CREATE OR REPLACE TEMP TABLE __lookup AS SELECT * FROM __lookup_arrow")
            con.unregister("__lookup_arrow")
        elif lookup.suffix.lower() == connectors.PARQUET:   # a warehouse connector's job_stage
            connectors.stage_parquet(con, lookup, "__lookup")
        else:
            read_csv_piece(con, lookup, "__lookup", fingerprint(lookup)[1])
        con.execute(f"CREATE OR REPLACE TEMP TABLE __shaped AS {stage_sql(shape, table, '__lookup')}")
        drop_staged(con, "__lookup", table)
        return ("__shaped", [r[0] for r in con.execute("DESCRIBE __shaped").fetchall() if r[0] != "__row"],
                shape.source_names)
    renames = {}
    for src, dst in shape.rename.items():
        if src not in cols or src == dst:
            continue
        if dst in cols:   # the export has a column of that name too: keep it, as provenance
            renames[dst] = dst + "_source"
        renames[src] = dst
    if not renames:
        return table, list(cols), {}
    # A view over the staged rows with the template's names: nothing is copied.
    con.execute(f"CREATE OR REPLACE TEMP VIEW {table}_shaped AS SELECT * RENAME ("
                + ", ".join(f"{_q(a)} AS {_q(b)}" for a, b in renames.items()) + f") FROM {table}")
    return (f"{table}_shaped", [renames.get(c, c) for c in cols],
            {dst: src for src, dst in shape.rename.items()})


# The column that says whose rows a file holds.
OWNER_COLUMNS = ("client",)
# Columns that name the ATS company a row is of instead (Bullhorn's client corporation): a client's
# `ats_companies` setting says which client that is (`assign_clients`).
COMPANY_COLUMNS = ("client_corporation_id", "client_corporation")


def listed(names, limit: int = 5) -> str:
    """Names for a message: the first `limit` and how many more (`'A', 'B' and 3 more`); texts are
    quoted unless they are labels already (`'Jergens Inc' (id 12)`)."""
    names = list(names)
    shown = ", ".join(n if n.startswith(("'", "id ")) else repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def known_client(con, name: str, allowed_clients: set[str] | None = None) -> dict | None:
    """The stored settings of client `name` (any spelling `get_client` matches), or None when there
    is no such client, or when `allowed_clients` (display names) is given and it is not among them:
    a client outside the uploader's scope is indistinguishable from one that does not exist."""
    found = get_client(con, name)
    return found if found and (allowed_clients is None or found["client"] in allowed_clients) else None


def _check_owner(con, table: str, cols: list[str], client: str, where: str,
                 allowed_clients: set[str] | None = None) -> None:
    """Refuse a file that is another client's export although `--client` names this one: no row is
    this client's and some are another's (the template's `client`, or the client of the rows' ATS
    company: see `assign_clients`)."""
    for col in (c for c in OWNER_COLUMNS if c in cols):
        names = [r[0] for r in con.execute(f"SELECT DISTINCT trim({_q(col)}) FROM {table} "
                                           f"WHERE nullif(trim({_q(col)}), '') IS NOT NULL ORDER BY 1").fetchall()]
        if not names or any(match_key(n) == match_key(client) for n in names):
            continue
        others = [n for n in names if known_client(con, n, allowed_clients)]
        raise LoadError(f"{where}: this is an export of {listed(others or names)}, not of {client!r} (--client); "
                        f"nothing was loaded. Load it with --client {(others or names)[0]!r}, or pick the right file")


# Where the client of a row naming no ATS company is found when no file beside it names one: the
# stored row it points at (a submission's job order; an event's submission).
_PARENTS = {"applications": ("requisition_id", "requisitions"), "stage_events": ("application_id", "applications")}


def _company_label(company_id: str | None, company: str | None) -> str:
    return f"{company!r} (id {company_id})" if company and company_id else repr(company) if company else \
        f"id {company_id!r}"


def assign_clients(con, table: str, cols: list[str], kind: str, client: str | None,
                   allowed_clients: set[str] | None, names: dict) -> tuple[str, list[str], list[str]]:
    """Give each row of a file that names ATS companies (`COMPANY_COLUMNS`) instead of clients its
    client, so that an export of several companies is split across the clients they are, never
    merged into one:

    - a row's company is the client whose `ats_companies` setting lists the company's id or name,
      else the client named like it; the rows of a company that is no client (or a client outside
      `allowed_clients`) are rejected, naming the company; with `client` (--client), so are the rows
      of another client's company, naming the company and its client (without --client they load
      as that client's);
    - a row naming no company is the client of the stored row it points at (`_PARENTS`), else
      `client`'s; without either it is rejected, saying why.
    Returns the new staged table (with `client` and `REJECT` columns), its columns and notes for the
    load report."""
    owners = {k: c for k, c in ats_company_clients(con).items() if allowed_clients is None or c in allowed_clients}
    clients = {match_key(c): c for (c,) in con.execute("SELECT client FROM clients").fetchall()
               if allowed_clients is None or c in allowed_clients}

    def value(col):   # a staged column's clean value, or NULL when the file lacks it
        return f"nullif(trim(s.{_q(col)}), '')" if col in cols else "NULL::VARCHAR"

    cid, cname = (value(c) for c in COMPANY_COLUMNS)
    company_col = names.get(COMPANY_COLUMNS[1], COMPANY_COLUMNS[1])
    rows, nobody, theirs = [], [], []
    for company_id, company in con.execute(f"SELECT DISTINCT {cid}, {cname} FROM {table} s "
                                           f"WHERE {cid} IS NOT NULL OR {cname} IS NOT NULL ORDER BY 2, 1").fetchall():
        owner = next((owners[match_key(x)] for x in (company_id, company) if x and match_key(x) in owners),
                     clients.get(match_key(company or "")))
        label, reason = _company_label(company_id, company), None
        if owner is None:
            nobody.append(label)
            reason = (f"client corporation {label} is no client here: name it in its client's `ats_companies` "
                      "setting (if it is none of yours, leave it out); its rows are not loaded")
        elif client and owner != client:
            theirs.append(f"{label} ({owner})")
            reason = (f"client corporation {label} is client {owner!r}, not {client!r} (--client): load the file "
                      "without --client to split it across its clients")
        rows.append([company_id, company, owner, reason and f"{company_col}\t{reason}"])
    con.execute("CREATE OR REPLACE TEMP TABLE __companies (cid VARCHAR, cname VARCHAR, owner VARCHAR, reason VARCHAR)")
    if rows:
        con.executemany("INSERT INTO __companies VALUES (?, ?, ?, ?)", rows)
    params: dict = {"client": client}
    parent_col, parent_table = _PARENTS.get(kind, (None, None))
    if parent_col in cols:
        # The candidates: rows of --client's client only, or of the clients in scope.
        scope = [client] if client else sorted(allowed_clients) if allowed_clients is not None else None
        if scope is not None:
            params["scope"] = scope
        _run(con, f"CREATE OR REPLACE TEMP TABLE __parents AS SELECT {parent_col} AS id, list(DISTINCT client "
                  f"ORDER BY client) AS clients FROM {parent_table} "
                  f"{'' if scope is None else 'WHERE list_contains($scope, client)'} GROUP BY 1", params)
        parent, field = id_sql(value(parent_col)), _lit(names.get(parent_col, parent_col))
        join = f"LEFT JOIN __parents p ON p.id = {parent}"
        without = (f"CASE WHEN len(p.clients) = 1 THEN p.clients[1] WHEN p.clients IS NULL THEN $client END",
                   f"CASE WHEN len(p.clients) > 1 THEN {field} || chr(9) || 'its ' || {field} || ' ''' || {parent} "
                   f"|| ''' is loaded for several clients (' || array_to_string(p.clients, ', ') || '): pass --client' "
                   f"WHEN p.clients IS NULL AND $client IS NULL THEN {field} || chr(9) || 'no client corporation "
                   f"says whose row this is: its ' || {field} || ' ''' || coalesce({parent}, '') || ''' is in no file "
                   f"beside this one and was not loaded before; load them together, or pass --client' END")
    else:
        join = ""
        without = ("$client", f"CASE WHEN $client IS NULL THEN {_lit(company_col)} || chr(9) || "
                              "'no client corporation says whose row this is: pass --client' END")
    earlier = f"s.{REJECT}" if REJECT in cols else "NULL::VARCHAR"
    has_company = f"({cid} IS NOT NULL OR {cname} IS NOT NULL)"
    _run(con, f"""CREATE OR REPLACE TEMP TABLE __owned AS
        SELECT s.*{f' EXCLUDE ({REJECT})' if REJECT in cols else ''},
               CASE WHEN {has_company} THEN c.owner ELSE {without[0]} END AS client,
               coalesce({earlier}, CASE WHEN {has_company} THEN c.reason ELSE {without[1]} END) AS {REJECT}
        FROM {table} s
        LEFT JOIN __companies c ON c.cid IS NOT DISTINCT FROM {cid} AND c.cname IS NOT DISTINCT FROM {cname}
        {join}""", params)
    drop_staged(con, table, "__companies", "__parents")
    notes = []
    if nobody:
        notes.append(f"rows of client corporation(s) {listed(nobody)} rejected: no client here is that company "
                     "(a client's `ats_companies` setting names its companies)")
    if theirs:
        notes.append(f"rows of client corporation(s) {listed(theirs)} rejected: they are other clients' and "
                     f"--client is {client!r}; load the file without --client to split it across its clients")
    split = [c for (c,) in con.execute("SELECT DISTINCT client FROM __owned WHERE client IS NOT NULL AND "
                                       f"{REJECT} IS NULL ORDER BY 1").fetchall()]
    if len(split) > 1:
        notes.append(f"split by client corporation across the clients {listed(split)}")
    return "__owned", [c for c in cols if c != REJECT] + ["client", REJECT], notes


MAX_MB = 200   # the largest file loaded unless the caller says otherwise (--max-mb)


class RunError(LoadError):
    """A load that cannot go on at all (the disk is full): nothing of the run was stored."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether an error (DuckDB's or the system's) says the disk is full."""
    return "No space left on device" in str(exc) or getattr(exc, "errno", None) == errno.ENOSPC


def shown_name(path: Path, shown_from: Path | None = None) -> str:
    """How messages name a file: as given, or, for a file under `shown_from` (the folder an upload
    was saved into, holding the files as the user named them), by its path within that folder."""
    if shown_from is not None:
        for root in (shown_from, shown_from.resolve()):
            if path.is_relative_to(root):
                return path.relative_to(root).as_posix()
    return str(path)


def without_folder(text: str, shown_from: Path | None) -> str:
    """A message without the server's folder an upload was saved into (messages are written with
    each file's path wherever they are raised, sibling files' paths included): see `shown_name`."""
    if shown_from is None:
        return text
    for root in (shown_from.resolve(), shown_from):
        text = text.replace(f"{root}{os.sep}", "")
    return text


def ingest_file(con, path: Path | str, client: str | None = None, fmt: str = "auto",
                step=None, mapping: Mapping | None = None, max_mb: float = MAX_MB, *,
                allowed_clients: set[str] | None = None, shown_from: Path | None = None) -> list[Report]:
    """Load one file in one transaction; returns one Report per table (sheet) it held.

    Raises LoadError (with nothing changed in the database) when the file cannot be loaded.
    `step(message)` is called as work progresses (for progress bars). `mapping` (from
    `shapes.read_mapping`) reads another ATS's export through its saved column mapping.
    `allowed_clients` (display names): rows of any other client are rejected as those of a client
    that does not exist (and `client` outside them is unknown). `shown_from`: see `shown_name`.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        reports = _load_file(con, Path(path), client, fmt, step, mapping, max_mb, allowed_clients, shown_from)
        con.execute("COMMIT")
    except BaseException as exc:
        _rollback(con)
        if isinstance(exc, (duckdb.Error, OSError)) and is_disk_full(exc):   # (COMMIT itself)
            raise RunError(_disk_full_message(shown_name(Path(path), shown_from))) from exc
        raise
    return reports


def _rollback(con) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass   # no transaction left to roll back (a failed COMMIT ends it), or the disk is gone


def _disk_full_message(name: str | None) -> str:
    return (f"no space left on device while {f'loading {name}' if name else 'storing the files'}: nothing of "
            "this load was stored (a load stores all its files or none). Free some disk space where the database "
            "is, then load the files again")


def _load_file(con, path: Path, client, fmt, step, mapping, max_mb, allowed_clients, shown_from) -> list[Report]:
    """`ingest_file` inside the caller's transaction: raises LoadError (file problems), RunError
    (the disk is full); what it stored stays in the transaction either way."""
    shown = shown_name(path, shown_from)
    try:
        return _store_file(con, path, shown, client, fmt, step, mapping, max_mb, allowed_clients)
    except RunError:
        raise
    except LoadError as exc:
        raise LoadError(without_folder(str(exc), shown_from)) from exc
    except (ShapeError, NotText) as exc:
        raise LoadError(without_folder(str(exc), shown_from)) from exc
    except (duckdb.Error, OSError) as exc:
        if is_disk_full(exc):
            raise RunError(_disk_full_message(shown)) from exc
        if isinstance(exc, OSError):
            raise
        raise LoadError(f"{shown}: could not be loaded: {str(exc).splitlines()[0]}") from exc


def _store_file(con, path: Path, shown: str, client, fmt, step, mapping, max_mb, allowed_clients) -> list[Report]:
    if fmt not in SUPPORTED:
        raise LoadError(f"{path}: format {fmt!r} is not supported yet; this version reads "
                        f"{', '.join(SUPPORTED[1:])} (or auto, the default)")
    if fmt == "mapped" and mapping is None:
        raise LoadError(f"{path}: --format mapped needs --mapping FILE (the client's saved column mapping)")
    client_name = None
    if client:
        known = known_client(con, client, allowed_clients)
        if known is None:
            raise LoadError(f"{path}: unknown client {client!r}; create it first with: "
                            "python -m loaders client SETTINGS.toml")
        client_name = known["client"]
    if not path.exists():
        raise LoadError(f"{path}: no such file")
    size_mb = path.stat().st_size / (1024 * 1024)
    if size_mb > max_mb:
        raise LoadError(f"{path}: {size_mb:.0f} MB is over the {max_mb:g} MB limit; split the export, or raise the "
                        "limit with --max-mb if the machine has the memory for it")
    digest, encoding = fingerprint(path)
    seen = con.execute("SELECT count(*) FROM files WHERE sha256 = ? AND client IS NOT DISTINCT FROM ?",
                       [digest, client_name]).fetchall()[0][0]
    if seen:
        return [Report(shown, skipped="already loaded (same sha256): nothing changed")]
    reports = []
    file_id = con.execute("SELECT coalesce(max(file_id), 0) + 1 FROM files").fetchall()[0][0]
    for sheet, kind, table, cols, shape in _pieces(con, path, encoding, fmt, mapping):
        rep = Report(shown, sheet=sheet, kind=kind, format=shape)
        if kind is None:
            rep.skipped = cols
            reports.append(rep)
            continue
        if step:
            step(f"{rep.label}: checking {kind}")
        cols, names, rep.notes = cols
        rep.notes = encoding_note(encoding) + rep.notes
        if "client" not in cols and any(c in cols for c in COMPANY_COLUMNS):
            table, cols, owners = assign_clients(con, table, cols, kind, client_name, allowed_clients, names)
            rep.notes = rep.notes + owners
        if client_name:
            _check_owner(con, table, cols, client_name, rep.path + (f", sheet {sheet!r}" if sheet else ""),
                         allowed_clients)
        store_table(con, table=table, kind=kind, file_id=file_id, report=rep, client_override=client_name,
                    columns=cols, source_names=names, allowed_clients=allowed_clients)
        con.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
                    [file_id, client_name, str(path.resolve()), path.name, digest, shape, sheet, kind,
                     rep.rows_read, rep.rows_loaded, rep.rows_rejected, rep.dropped_columns, rep.clients])
        drop_staged(con, table, "__src0")
        reports.append(rep)
    return reports


def ingest(con, paths, client: str | None = None, fmt: str = "auto", progress=False,
           mapping: Mapping | None = None, max_mb: float = MAX_MB, *,
           allowed_clients: set[str] | None = None, shown_from: Path | None = None,
           user: str | None = None) -> list[Report]:
    """Load files and folders in one transaction, recorded in the audit log under `user` (default:
    the OS user, as for the command line); a file that cannot be loaded gets a Report with
    `error` set and the others load. Raises RunError, with nothing stored, when the load cannot go
    on at all (the disk is full): a run is never left half-stored.

    `progress`: True for a terminal progress bar, or a callable `(files done, files, name)`
    (the dashboard's bar). `allowed_clients`, `shown_from`: see `ingest_file`."""
    files = expand_paths(paths)
    # Row numbers come from WITH ORDINALITY / the sheet, and every listing says ORDER BY, so the
    # engine may reorder rows freely while loading (measurably faster on large files).
    preserve = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = false")
    try:
        return _ingest_files(con, files, client, fmt, progress, mapping, max_mb, allowed_clients, shown_from,
                             user or access.local_user())
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if preserve else 'false'}")


def _record_loads(con, reports: list[Report], user: str) -> None:
    """One audit row per file of the run (in its transaction): which file (sha256), its rows, whose."""
    by_file: dict[str, list[Report]] = {}
    for r in reports:
        by_file.setdefault(r.path, []).append(r)
    for path, parts in by_file.items():
        clients = sorted({c for r in parts for c in r.clients})
        sha = con.execute("SELECT sha256 FROM files WHERE path = ? ORDER BY file_id DESC LIMIT 1",
                          [str(path)]).fetchall()
        access.record(con, user, "load", clients[0] if len(clients) == 1 else None, file=parts[0].label.split(" [")[0],
                      sha256=sha[0][0] if sha else None, clients=clients,
                      rows_read=sum(r.rows_read for r in parts), rows_loaded=sum(r.rows_loaded for r in parts),
                      rows_rejected=sum(r.rows_rejected for r in parts),
                      skipped=next((r.skipped for r in parts if r.skipped), None),
                      error=next((r.error for r in parts if r.error), None))


def _ingest_files(con, files, client, fmt, progress, mapping, max_mb, allowed_clients, shown_from,
                  user) -> list[Report]:
    bar = None
    tell = progress if callable(progress) else None
    if progress and not tell:
        from tqdm import tqdm
        bar = tqdm(total=len(files), unit="file", leave=False, dynamic_ncols=True)
    step = (lambda m: bar.set_postfix_str(m[-40:])) if bar else None
    failed: dict[Path, Report] = {}
    try:
        while True:   # once; again (without it) when a failing file had stored part of itself
            if bar:
                bar.reset()
            reports, again = [], False
            con.execute("BEGIN TRANSACTION")
            try:
                for i, f in enumerate(files):
                    if tell:
                        tell(i, len(files), f.name)
                    if bar:
                        bar.set_description(f.name)
                        bar.update(1)
                    if f in failed:
                        reports.append(failed[f])
                        continue
                    stored = _files_stored(con)
                    try:
                        reports += _load_file(con, f, client, fmt, step, mapping, max_mb, allowed_clients, shown_from)
                    except RunError:
                        raise
                    except LoadError as exc:
                        failed[f] = Report(shown_name(f, shown_from), error=str(exc))
                        reports.append(failed[f])
                        # DuckDB has no savepoints: a file that had stored a part of itself (a workbook's
                        # first sheets), or whose error ended the transaction, is undone by storing the
                        # files before it again in a new one.
                        again = _files_stored(con) != stored
                        if again:
                            break
                if not again:
                    _record_loads(con, reports, user)
                con.execute("ROLLBACK" if again else "COMMIT")
            except BaseException as exc:
                _rollback(con)
                if isinstance(exc, (duckdb.Error, OSError)) and is_disk_full(exc):   # (COMMIT itself)
                    raise RunError(_disk_full_message(None)) from exc
                raise
            if not again:
                break
    finally:
        if bar:
            bar.close()
    if tell:
        tell(len(files), len(files), "")
    return reports


def _files_stored(con) -> int | None:
    """How many file rows the transaction sees (None once an error has ended it)."""
    try:
        return con.execute("SELECT count(*) FROM files").fetchall()[0][0]
    except duckdb.Error:
        return None
