"""The registry of source formats: how a file is recognised (by content, whatever it is called) and
staged as the template's tables. Each yields pieces `(sheet, kind, staged table, (columns, the file's
own header of each renamed column, notes), shape name)`, or `(sheet, None, None, why not, shape name)`
for a sheet or file left out.

- the import template (CSV files, workbook sheets) and recruiters' trackers (`tracker.py`);
- any other ATS through a saved column mapping (`shapes.Mapping`);
- vendors' CSV shapes (`shapes.py`), Bullhorn's DataLoader files (`bullhorn.py`), warehouse connector
  tables and record streams (`connectors.py`);
- vendors' JSON: Greenhouse Harvest (`harvest.py`), Bullhorn REST (`bullhorn.py`), Lever (`lever.py`)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from loaders import bullhorn, connectors, harvest, lever, tracker
from loaders.checks import SEQ
from loaders.parse import cell_text, quote_name, sql_text
from loaders.report import LoadError
from loaders.shapes import Mapping, Shape, detect
from loaders.staging import (check_csv_width, csv_headers, drop_staged, file_encoding, find_header_row,
                             read_csv_piece, read_xlsx_sheets, stage_rows)
from loaders.template import TEMPLATE, kind_from_headers, kind_from_name, normalise_header
from loaders.textfile import sniff_delimiter


# Why a file that fills no table of its own was read: it names or links what another file holds.
READ_BESIDE = "read with the file that needs it, not loaded on its own"


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
        ids = {i for (i,) in con.execute(f"SELECT DISTINCT trim({quote_name(cols[found[id_col]])}) FROM {table}").fetchall() if i}
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
    app = quote_name(cols[found["application_id"]])
    for stage, times, label in tracker.events(found, cols, header):
        word = sql_text(stage) if stage else f"trim({quote_name(cols[found['status']])})"
        when = "coalesce(" + ", ".join([f"nullif(trim({quote_name(c)}), '')" for c in times] + ["NULL::VARCHAR"]) + ")"
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
    table, cols, names = _apply_shape(con, shape, "__src0", cols)
    yield sheet, shape.kind, table, (cols, names, []), shape.name


# Files that hold what others point at load first in a run (requisitions, then applications, then
# the rest, each group in the order given): a row whose client is that of the stored row it points at
# (`checks.assign_clients`) finds it whatever the files are called.
_PARENT_FILES = ({"requisition", "requisitions", "job", "jobs", "joborder", "joborders", "posting", "postings",
                  "clientcorporation", "clientcorporations"},
                 {"application", "applications", "jobsubmission", "jobsubmissions", "opportunity", "opportunities",
                  "jobapplication"})


def load_order(path: Path) -> int:
    """Where a file goes in a run's order (see `_PARENT_FILES`), by its name."""
    stem = "".join(ch for ch in path.stem.lower() if ch.isalnum())
    return next((rank for rank, names in enumerate(_PARENT_FILES) if stem in names), len(_PARENT_FILES))


def file_pieces(con, path: Path, encoding: str | None, fmt: str = "auto", mapping: Mapping | None = None,
                client: str | None = None):
    """Stage a file's tables in template columns; yield (sheet, kind, temp table, (columns, the
    file's own header of each renamed column, notes for the report), shape name), or (sheet, None,
    None, reason, shape name) for a sheet or file left out. `client`: the client the load names
    (--client), whose stored rows a connector table may consult (`connectors.pieces`)."""
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
            yield from _connector_pieces(con, path, table, cols, encoding, client)
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
        yield None, None, None, f"{shape.name}: {READ_BESIDE}", shape.name
        return
    live, deleted = connectors.without_deleted(con, "__src0", cols)   # (a connector's copy of a vendor table)
    table, cols, names = _apply_shape(con, shape, live, cols)
    yield None, shape.kind, table, (cols, names, connectors.deleted_note(deleted)), shape.name


def _connector_pieces(con, path: Path, table, cols: list[str], encoding: str | None, client: str | None):
    """A data connector's warehouse table file (`connectors.py`), read with the sibling tables it needs,
    for `client` (the load's, or None)."""
    def stage(sibling: Path, name: str) -> list[str]:
        if sibling.suffix.lower() == connectors.PARQUET:
            return connectors.stage_parquet(con, sibling, name)
        return read_csv_piece(con, sibling, name, file_encoding(sibling))

    def headers_of(p: Path) -> list[str]:
        if p.suffix.lower() == connectors.PARQUET:
            return connectors.parquet_headers(con, p)
        return [normalise_header(h) for h in csv_headers(p)]
    own = (connectors.parquet_names(con, path) if path.suffix.lower() == connectors.PARQUET
           else csv_headers(path, encoding))
    built = connectors.pieces(con, path, table, "__src0", cols, stage, lambda n: drop_staged(con, n), headers_of,
                              client=client, own={normalise_header(h): h for h in own})
    if not built:
        yield None, None, None, f"{table.label}: {READ_BESIDE}", table.label
    for kind, name, out_cols, names, notes in built:
        yield None, kind, name, (out_cols, names, notes), table.label


@dataclass(frozen=True)
class JsonFormat:
    """A vendor's JSON export: how its files are recognised and read into template tables."""
    format: str                      # the --format that reads it
    vendor: str                      # what load reports call it ("Greenhouse Harvest jobs")
    reads: Callable[[], str]         # the objects it reads, for the message about a file none reads
    recognise: Callable              # (path, objects) -> the kind of objects the file holds, by their fields
    read: Callable                   # (path, objects, kind) -> ([(template table, Arrow table)], notes)
    source_names: Callable = lambda kind: {}   # kind -> {template column: the vendor's field}, for messages


# Tried in this order; the first that recognises a file reads it.
JSON_FORMATS = (
    JsonFormat(harvest.FORMAT, "Greenhouse Harvest", lambda: f"Greenhouse Harvest {', '.join(harvest.KINDS)}",
               harvest.kind_of, lambda path, items, kind: harvest.tables(path, items)),
    JsonFormat(bullhorn.FORMAT, "Bullhorn", lambda: f"Bullhorn's {', '.join(bullhorn.ENTITIES.values())}",
               bullhorn.entity, lambda path, items, kind: bullhorn.tables(path, items),
               lambda kind: bullhorn.SOURCE_NAMES[kind]),
    JsonFormat(lever.FORMAT, "Lever", lambda: f"Lever's {', '.join(lever.OBJECTS)}",
               lever.kind_of, lambda path, items, kind: lever.tables(path, items, kind=kind)),
)


def _json_pieces(con, path: Path, fmt: str):
    """The template tables of a vendor's JSON export file (`JSON_FORMATS`), a JSON Lines file of its
    objects, or a data connector's record stream (`connectors.py`)."""
    records = connectors.read_json(path)
    if records.protocol:
        for name, pieces, notes, names in connectors.stream_pieces(path, records, fmt):
            yield from _arrow_pieces(con, name, pieces, notes, names)
        return
    items = records.items
    found = next(((f, kind) for f in JSON_FORMATS if fmt in ("auto", f.format)
                  and (kind := f.recognise(path, items))), None)
    if found is None:
        raise LoadError(f"{path}: not a recognised JSON export; this version reads, by their fields, "
                        f"{'; '.join(f.reads() for f in JSON_FORMATS)}; and Airbyte or Singer record streams of them"
                        + (f" (--format {fmt} was given: try the default, auto)" if fmt != "auto" else ""))
    shape, kind = found
    pieces, notes = shape.read(path, items, kind)
    if records.rows != list(range(1, len(records.rows) + 1)):   # JSON Lines: objects' positions -> line numbers
        pieces = [(k, connectors.renumber(arrow, records.rows)) for k, arrow in pieces]
    yield from _arrow_pieces(con, f"{shape.vendor} {kind}", pieces, notes, shape.source_names(kind))


def _arrow_pieces(con, name: str, pieces: list, notes: list[str], names: dict):
    """Stage the template tables a vendor module built (Arrow tables with `__row`); `names` gives
    the vendor's field behind a template column, for messages."""
    if not pieces:
        yield None, None, None, f"{name}: {READ_BESIDE}", name
    for n, (kind, arrow) in enumerate(pieces):
        table = f"__src{n}"
        # One object may give several rows (a Lever opportunity's stage changes share its `__row`):
        # `__seq` tells them apart, so a rejected row keeps its own raw values (`checks._keep_rejected`).
        arrow = arrow.append_column(SEQ, pa.array(range(arrow.num_rows), pa.int64()))
        con.register(f"{table}_arrow", arrow)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table}_arrow")
        con.unregister(f"{table}_arrow")
        yield None, kind, table, ([c for c in arrow.column_names if c not in ("__row", SEQ)], names, notes), name


def _apply_shape(con, shape: Shape, table: str, cols: list[str]) -> tuple[str, list[str], dict]:
    """Turn a staged vendor table into the template's columns by renames (no data copied). Returns
    the table, its columns and, for each template column, the file's own header (for messages)."""
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
                + ", ".join(f"{quote_name(a)} AS {quote_name(b)}" for a, b in renames.items()) + f") FROM {table}")
    return (f"{table}_shaped", [renames.get(c, c) for c in cols],
            {dst: src for src, dst in shape.rename.items()})
