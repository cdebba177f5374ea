"""The Upload page's Streamlit glue: files dropped in the browser go through the same loader as
`python -m loaders ingest`.

Uploaded files are written to a temporary folder (a zip of an export folder is unpacked there,
within a size limit), then either tried in a throw-away in-memory database holding the client's
settings and the database's record of these same files (the dry run: detected format, rows read /
loaded / rejected, a preview of the canonical rows) or loaded into the real database through
`dashboard.write`.
"""
from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

import dashboard
import store
from dashboard import widgets
from exports import files
from loaders.checks import COMPANY_COLUMNS
from loaders.ingest import UPLOAD_MAX_MB, ingest, without_folder
from loaders.report import LoadError, Report
from loaders.staging import DATA_SUFFIXES, csv_headers, expand_paths, fingerprint, read_xlsx_sheets
from loaders.template import TEMPLATE, normalise_header
from loaders.settings import parse_settings, save_client
from loaders.shapes import SUPPORTED, Mapping, mapping_toml

PREVIEW_ROWS = 20


class UploadError(ValueError):
    """An upload refused before any loading (too large, a zip that cannot be unpacked safely)."""


MAX_ZIP_ENTRIES = 500   # more files than any export folder holds
CHUNK = 1 << 20


def save_uploads(files, folder: Path, max_mb: int = UPLOAD_MAX_MB) -> list[Path]:
    """Write uploaded files into `folder`, unpacking a zip into a folder of its own name (so that
    `export.zip/applications.csv` is how its files are shown); refuses more than `max_mb` in all,
    counted unpacked. A zip is refused before anything is written when it declares too much or too
    many files, and while unpacking when its entries inflate to more than they declare."""
    limit, total, paths = max_mb * 1024 * 1024, 0, []
    for f in files:
        data = f.getvalue()
        name = Path(f.name).name
        if name.lower().endswith(".zip"):
            total = _unzip(f, name, folder / name, total, limit, max_mb)
            paths.append(folder / name)
        else:
            total += len(data)
            if total > limit:
                raise UploadError(f"{name}: the upload is larger than {max_mb} MB; load it from the command line")
            (folder / name).write_bytes(data)
            paths.append(folder / name)
    return paths


def _unzip(f, name: str, target: Path, total: int, limit: int, max_mb: int) -> int:
    """Unpack one uploaded zip into `target`; returns the bytes unpacked so far in the upload."""
    too_big = f"{name}: unpacks to more than {max_mb} MB; load its files from the command line"
    entries = _declared_entries(f.getvalue())
    if entries > MAX_ZIP_ENTRIES:
        raise UploadError(f"{name}: holds {entries:,} entries, more than the {MAX_ZIP_ENTRIES} files of any "
                          "export folder; zip only the export's own files")
    try:
        archive = zipfile.ZipFile(f)
    except zipfile.BadZipFile as exc:
        raise UploadError(f"{name}: not a readable zip archive ({exc})") from exc
    members = [m for m in archive.infolist() if not m.is_dir() and not Path(m.filename).name.startswith(".")]
    if len(archive.infolist()) > MAX_ZIP_ENTRIES:
        raise UploadError(f"{name}: holds {len(archive.infolist()):,} entries, more than the {MAX_ZIP_ENTRIES} files "
                          "of any export folder; zip only the export's own files")
    if total + sum(m.file_size for m in members) > limit:
        raise UploadError(too_big)
    root = target.resolve()
    for m in members:
        out = (target / m.filename).resolve()
        if not out.is_relative_to(root):   # ../ or an absolute name: no writing outside the archive's folder
            raise UploadError(f"{name}: member {m.filename!r} points outside the archive")
    for m in members:
        out = (target / m.filename).resolve()
        # The sizes an entry declares are not trusted: bytes are counted as they are inflated.
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(m) as src, open(out, "wb") as dst:
                while chunk := src.read(CHUNK):
                    total += len(chunk)
                    if total > limit:
                        raise UploadError(too_big)
                    dst.write(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise UploadError(f"{name}: {m.filename!r} is damaged ({exc}); zip the export again") from exc
        except OSError as exc:
            raise UploadError(f"{name}: {m.filename!r} cannot be unpacked ({exc.strerror})") from exc
    return total


def _declared_entries(data: bytes) -> int:
    """The number of entries a zip's end record declares, read before the archive is opened
    (opening it reads every entry's record into memory). A central directory too large for
    MAX_ZIP_ENTRIES entries counts as too many, whatever its count says."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - (1 << 16) - 22))
    if end < 0 or len(data) < end + 22:
        return 0   # no end record: zipfile says what is wrong
    count, size = struct.unpack_from("<HI", data, end + 10)
    return count if size <= MAX_ZIP_ENTRIES * 4096 else max(count, MAX_ZIP_ENTRIES + 1)


def _saved_in(paths: list[Path]) -> Path | None:
    """The folder `save_uploads` wrote the upload into (its files and unpacked zips sit side by
    side there): messages name each file by its path within it, as the user named it."""
    return paths[0].parent if paths else None


def dry_run(paths: list[Path], client: str, fmt: str, mapping: Mapping | None, *,
            allowed_clients: set[str] | None = None) -> tuple[list[Report], dict, int]:
    """Load into an in-memory database holding the client's settings and what the database
    knows of these very files (`dashboard.loaded_before`: a file loaded before is skipped, or read
    again for the rows it rejected, as the load does): the reports, the first canonical rows of each
    table, and how many rows take their client from a job order or submission the upload does not
    hold (`unseen_owners`). Nothing reaches the real database. `allowed_clients`: the clients the
    user may load into (see `loaders.ingest.ingest_file`)."""
    info = dashboard.client_info(client)
    before = dashboard.loaded_before(info["client"], [fingerprint(f)[0] for f in expand_paths(paths) if f.is_file()])
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(store.SCHEMA)
        save_client(con, parse_settings(info["settings_toml"], origin=f"{client}'s settings"))
        if before["files"]:
            con.executemany(f"INSERT INTO files VALUES ({', '.join('?' * len(before['files'][0]))})", before["files"])
        if before["rejected_rows"]:
            con.executemany('INSERT INTO rejected_rows (file_id, sheet, kind, "row", reason) VALUES (?, ?, ?, ?, ?)',
                            before["rejected_rows"])
        reports = ingest(con, paths, client=client, fmt=fmt, mapping=mapping, allowed_clients=allowed_clients,
                         shown_from=_saved_in(paths))
        preview = {kind: con.execute(f"SELECT * EXCLUDE (client, file_id) FROM {kind} ORDER BY source_row "
                                     f"LIMIT {PREVIEW_ROWS}").df() for kind in TEMPLATE}
        return reports, {k: v for k, v in preview.items() if not v.empty}, unseen_owners(con)
    finally:
        con.close()


def unseen_owners(con) -> int:
    """The rows of the dry run's database (`con`) whose client the load takes from a stored job order
    or submission, which the dry run cannot see: rows naming no ATS company (their file has the
    company columns, empty) that point at a job order or submission not in the upload. The dry run
    counts them as the chosen client's; the load rejects those of another client's (see
    `loaders.checks.assign_clients`)."""
    no_company = " AND ".join(f"json_exists(extra, '$.{c}') AND nullif(trim(extra->>'{c}'), '') IS NULL"
                              for c in COMPANY_COLUMNS)
    return con.execute(f"""SELECT
        (SELECT count(*) FROM applications a WHERE {no_company}
            AND NOT EXISTS (SELECT 1 FROM requisitions r WHERE r.requisition_id = a.requisition_id))
      + (SELECT count(*) FROM stage_events e WHERE {no_company}
            AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.application_id = e.application_id))""").fetchone()[0]


def load(paths: list[Path], client: str, fmt: str, mapping: Mapping | None, *,
         allowed_clients: set[str] | None = None) -> list[Report]:
    """Load into the database with a progress bar; all files or none (raises LoadError when the
    load cannot go on, e.g. the disk is full)."""
    bar = st.progress(0.0, text="Loading...")

    def tell(done, total, name):
        bar.progress(done / total if total else 1.0, text=f"Loading {name}" if name else "Loaded")
    try:
        return dashboard.write(lambda con: ingest(con, paths, client=client, fmt=fmt, mapping=mapping, progress=tell,
                                                  allowed_clients=allowed_clients, shown_from=_saved_in(paths),
                                                  user=dashboard.user()),
                               "the uploaded files", client)
    finally:
        bar.empty()   # the report below says what happened


def unseen_owners_line(count: int, client: str) -> str | None:
    """What the dry run cannot tell (`unseen_owners`), in one line; None when it can tell everything."""
    if not count:
        return None
    return (f"{count} row{'s' if count != 1 else ''} naming no client corporation count here as {client}'s: the load "
            "gives each the client of its job order or submission loaded before, which the dry run does not read.")


def _name(r: Report) -> str:
    return r.path + (f" [{r.sheet}]" if r.sheet else "")


# Stored words as people say them: the tables a file loads into, the side of a missed deadline, the
# kinds of deadline.
VALUE_WORDS = {
    **files.VALUE_WORDS,
    "kind": {"requisitions": "Requisitions", "applications": "Applications", "stage_events": "Stage events",
             "commitments": "Commitments", **files.VALUE_WORDS["kind"]},
}
VALUE_WORDS["table"] = VALUE_WORDS["kind"]
# The columns of the Upload preview and the Data page that the dashboard's common labels
# (`widgets.COLUMN_LABELS`) do not name.
LABELS = {
    "file": "File", "sheet": "Sheet", "kind": "Table", "table": "Table", "rows_read": "Rows read",
    "rows_loaded": "Loaded", "rows_rejected": "Rejected", "dropped_personal_columns": "Personal data dropped",
    "loaded_at": st.column_config.DatetimeColumn("Loaded (UTC)", format="YYYY-MM-DD HH:mm"), "sha256": "SHA-256",
    "row": "Row", "column": "Column", "raw": "Values in the file", "duplicate": "Duplicate",
    "stage_word": "Stage word", "events": "Events", "applications": "Applications",
    "later_stage_word": "Later stage word", "earlier_stage_word": "Earlier stage word",
    "later_entered_at": st.column_config.DatetimeColumn("Later stage entered (UTC)", format="YYYY-MM-DD HH:mm"),
    "earlier_entered_at": st.column_config.DatetimeColumn("Earlier stage entered (UTC)", format="YYYY-MM-DD HH:mm"),
    "time_to_submit_days": "Time to submit (days)", "time_to_fill_days": "Time to fill (days)",
    "commitment_id": "Commitment", "promised_count": "Promised",
}
# Kept to trace a row back to its file (the columns the template does not know, the row number),
# not for reading: the rejected rows and the Data page name the file and row.
HIDDEN_COLUMNS = ("extra", "source_row")


def column_words(name: str) -> str:
    """A column named by its normalised header (`candidate_email`) as a person reads it: `Candidate email`."""
    words = str(name).replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _format_words(r: Report) -> str:
    return "the import template" if r.format == "template" else str(r.format)


def _kind_words(kind: str | None) -> str:
    return VALUE_WORDS["kind"].get(kind, kind or "").lower()


def _dropped(r: Report) -> str:
    return ", ".join(map(column_words, r.dropped_columns))


def report_table(reports: list[Report], loaded: bool = False) -> pd.DataFrame:
    """One row per file (or sheet): what it was read as, what happened to its rows and which
    personal data columns were dropped; headers in people's words."""
    return pd.DataFrame([{
        "File": _name(r), "Read as": _format_words(r).replace("the import", "Import") if r.format else "",
        "Table": VALUE_WORDS["kind"].get(r.kind, r.kind or ""), "Rows read": r.rows_read,
        "Loaded" if loaded else "To load": r.rows_loaded, "Rejected": r.rows_rejected,
        "Personal data dropped": _dropped(r),
        "Note": _error_words(r) or _read_beside(r) or r.skipped or "; ".join(
            notes + [_rejected_words(row, col, why) for row, col, why in r.rejected_sample]
            + (["..."] if r.rows_rejected > len(r.rejected_sample) else [])),
    } for r, notes in zip(reports, _new_notes(reports))])


def _error_words(r: Report) -> str | None:
    """Why a file could not be loaded, without the file's name the loader's message starts with:
    the report names the file already (not `JobOrder.csv: cannot be loaded: JobOrder.csv: ...`)."""
    if not r.error:
        return None
    for name in (_name(r), r.path, r.label, r.file, Path(r.path).name):
        if r.error.startswith(f"{name}: "):
            return r.error[len(name) + 2:]
    return r.error


def _new_notes(reports: list[Report]) -> list[list[str]]:
    """Each report's notes less those a report of the same file (or sheet) said before: a file read
    into two tables (Harvest applications: applications and their outcomes as stage events) carries
    the file's notes on both."""
    said: dict[tuple, set] = {}
    out = []
    for r in reports:
        seen = said.setdefault((r.path, r.sheet), set())
        out.append([n for n in r.notes if n not in seen])
        seen.update(r.notes)
    return out


def _read_beside(r: Report) -> str | None:
    """Why a file that fills no table was still read (a connector's `department`, Harvest's job
    stages: names and links the other files need), without its shape's name; else None."""
    prefix = f"{r.format}: "
    if r.skipped and r.format and r.skipped.startswith(prefix) and "not loaded on its own" in r.skipped:
        return r.skipped[len(prefix):]
    return None


def _rejected_words(row, column, why) -> str:
    return f"row {row}" + (f", column {column}" if column else "") + f": {why}"


def load_summary(loaded: list[Report]) -> str:
    """The load in one sentence: the rows loaded and from how many files, counted as files (a file
    read into two tables is one file; a file skipped or refused loaded nothing)."""
    paths = list(dict.fromkeys(r.path for r in loaded))
    failed = [p for p in paths if any(r.error for r in loaded if r.path == p)]
    read = [p for p in paths if p not in failed and any(not r.skipped for r in loaded if r.path == p)]
    beside = [p for p in paths if p not in failed and p not in read
              and all(_read_beside(r) for r in loaded if r.path == p)]
    skipped = len(paths) - len(failed) - len(read) - len(beside)

    def files(n):
        return f"{n} file{'' if n == 1 else 's'}"
    rows = sum(r.rows_loaded for r in loaded)
    return (f"Loaded {rows} row{'' if rows == 1 else 's'} from {files(len(read))}"
            + (f", {len(beside)} more read with them (names and links they need)" if beside else "")
            + (f"; {files(skipped)} skipped" if skipped else "")
            + (f"; {files(len(failed))} could not be loaded" if failed else "")
            + (" (each file says why below)" if skipped or failed else "") + ".")


def rejected_of(loaded: list[Report], rejected: pd.DataFrame) -> pd.DataFrame:
    """The rejected rows (the Data page's table) of the files just loaded. The table names files,
    not loads, and lists them oldest load first: of a file loaded before under the same name, only
    the last rows (as many as this load rejected) are this load's."""
    # Counted per file name, sheet and table: a file read into two tables, or two files of one
    # name in different folders of a zip, would otherwise each take the same last rows.
    counts: dict[tuple, int] = {}
    for r in loaded:
        if r.rows_rejected and not r.error:
            key = (Path(r.path).name, r.sheet or "", r.kind)
            counts[key] = counts.get(key, 0) + r.rows_rejected
    parts = []
    for (name, sheet, kind), n in counts.items():
        same = rejected[(rejected["file"] == name) & (rejected["sheet"].fillna("") == sheet)]
        if "kind" in rejected.columns and kind:
            same = same[same["kind"] == kind]
        parts.append(same.tail(n))
    return pd.concat(parts) if parts else rejected.iloc[:0]


def unmapped_words(reports: list[Report]) -> pd.DataFrame:
    """The stage words the client's dictionary lacks, with how many events of the upload carry
    each (most first): what the dictionary editor offers."""
    counts: dict[str, int] = {}
    for r in reports:
        for word, events in r.unmapped:
            counts[word] = counts.get(word, 0) + events
    return pd.DataFrame(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])), columns=["stage_word", "events"])


def report_lines(reports: list[Report], loaded: bool = False) -> list[str]:
    """Each file in a sentence: what it was read as, what would happen (or, `loaded`, happened)
    to its rows, and which personal data columns were dropped (never stored)."""
    def text(t):   # a message quoting file contents, inside Markdown: our `code` spans stay code
        return dashboard.as_text(t, keep_code=True)
    lines = []
    for r, notes in zip(reports, _new_notes(reports)):
        name = dashboard.as_text(_name(r))
        if _read_beside(r):
            lines.append(f"- **{name}**: {text(_format_words(r))}, {text(_read_beside(r))}")
            continue
        if r.error or r.skipped:
            lines.append(f"- **{name}**: {'cannot be loaded' if r.error else 'skipped'}: "
                         f"{text(_error_words(r) or r.skipped)}")
            continue
        lines.append(f"- **{name}**: read as {text(_format_words(r))} into {_kind_words(r.kind)}: {r.rows_read} "
                     f"row{'s' if r.rows_read != 1 else ''} read, {r.rows_loaded} {'loaded' if loaded else 'to load'}, "
                     f"{r.rows_rejected} rejected" + "".join(f"; {text(note)}" for note in notes) + "."
                     + (f" Dropped personal data columns (never stored): {dashboard.as_text(_dropped(r))}."
                        if r.dropped_columns else ""))
        # The first rejected rows with their reasons, as the command line prints them.
        lines += [f"  - {text(_rejected_words(row, col, why))}" for row, col, why in r.rejected_sample]
        more = r.rows_rejected - len(r.rejected_sample)
        if more > 0:
            lines.append(f"  - ... and {more} more rejected row{'s' if more != 1 else ''}"
                         + (": every rejected row is in the download below and on the Data page" if loaded else ""))
    return lines


def _time_format(values: pd.Series, label) -> str | None:
    """How a column of dates or times with blanks reads as text (None for any other column): as
    its label says (a stored DATE arrives as a time at midnight), else a date when every time is midnight."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        return None
    kind = label.get("type_config", {}).get("type") if isinstance(label, dict) else None
    if kind == "date" or (kind is None and (values.dropna() == values.dropna().dt.normalize()).all()):
        return "%Y-%m-%d"
    return "%Y-%m-%d %H:%M"


def _raw_text(raw) -> str:
    """A rejected row's values as the file had them (`commitment_id: CMT-0030 · due_date: 31/31/2026`),
    its blank cells left out, instead of a JSON object."""
    try:
        values = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return str(raw)
    if not isinstance(values, dict):
        return "" if values is None else str(values)
    return " · ".join(f"{k}: {v}" for k, v in values.items() if v not in (None, ""))


def readable(table: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """A stored table as a person reads it, and the column labels to show it with: the internal
    `extra` and `source_row` columns hidden, stored words in people's words (`rpo` -> RPO,
    `stage_events` -> Stage events), raw values as `column: value`, and blanks blank. Streamlit
    draws a missing value as "None", so a column with blanks is shown as text (times to the minute)."""
    shown = table.drop(columns=[c for c in HIDDEN_COLUMNS if c in table.columns]).reset_index(drop=True)
    labels = {**widgets.COLUMN_LABELS, **LABELS}
    config = {}
    for col in shown.columns:
        label = labels.get(col, column_words(col))
        values = shown[col]
        if col in VALUE_WORDS:
            values = values.map(lambda v, words=VALUE_WORDS[col]: words.get(v, v) if isinstance(v, str) else v)
        if col == "raw":
            values = values.map(_raw_text)
        if col == "dropped_personal_columns":   # stored as normalised headers, joined by ", "
            values = values.map(lambda v: ", ".join(map(column_words, v.split(", "))) if isinstance(v, str) and v
                                else v)
        if values.isna().any():
            time_format = _time_format(values, label)
            numeric = pd.api.types.is_numeric_dtype(values)
            values = widgets.gaps_as_text(values, time_format)
            label = st.column_config.TextColumn(label["label"] if isinstance(label, dict) else label,
                                                alignment="right" if numeric else None)
        shown[col] = values
        config[col] = label
    return shown, config


def show_table(table: pd.DataFrame) -> None:
    """`table` drawn as `readable` makes it."""
    shown, config = readable(table)
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config)


def mapping_editor(headers: list[str], client: str) -> Mapping | None:
    """Map an unrecognised export's columns to a template table; returns the mapping when every
    required column is mapped (and offers it as a file to keep for later exports)."""
    kind = st.selectbox("The export holds", list(TEMPLATE), index=2, key="upload.kind")
    columns = {}
    cols = st.columns(3)
    for i, col in enumerate(TEMPLATE[kind]):
        choice = cols[i % 3].selectbox(f"{col.name}{' (required)' if col.required else ''}", ["—"] + headers,
                                       key=f"upload.map.{kind}.{col.name}")
        if choice != "—":
            columns[col.name] = choice
    missing = [c.name for c in TEMPLATE[kind] if c.required and c.name not in columns]
    if missing:
        st.info(f"Map the required column(s) {', '.join(missing)} to go on.")
        return None
    st.download_button("Download this mapping (TOML) to re-use with --mapping", mapping_toml(kind, columns).encode(),
                       file_name=f"{client.lower().replace(' ', '_')}_{kind}_mapping.toml", mime="application/toml")
    return Mapping(kind, {k: normalise_header(v) for k, v in columns.items()}, "the mapping made on this page")


def first_headers(paths: list[Path]) -> list[str]:
    """The header row of the first CSV or workbook among the uploads (for the mapping editor). In
    a workbook, the first visible sheet's row with the most text cells among its first 30 (title
    rows above the header are passed over). Raises LoadError for a workbook that cannot be read."""
    files = [f for f in expand_paths(paths) if f.suffix.lower() in (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")]
    if not files:
        return []
    if files[0].suffix.lower() not in (".xlsx", ".xlsm"):
        return csv_headers(files[0])
    try:
        for _, hidden, rows in read_xlsx_sheets(files[0]):
            if not hidden and rows:
                best = max(rows[:30], key=lambda r: sum(isinstance(c, str) and bool(c.strip()) for c in r))
                return [c.strip() for c in best if isinstance(c, str) and c.strip()]
    except LoadError as exc:   # a workbook too large to read, or no workbook at all
        raise LoadError(without_folder(str(exc), _saved_in(paths))) from exc
    return []


FORMAT_CHOICES = list(SUPPORTED)
# What the file picker accepts: every file the loader reads (JSON Lines record streams and a
# connector's Parquet tables included), and zips of export folders.
UPLOAD_TYPES = sorted(s.lstrip(".") for s in DATA_SUFFIXES) + ["zip"]
