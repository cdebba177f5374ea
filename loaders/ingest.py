"""Loading files into the store: a run of files, each in its format, in one transaction.

Where each part lives (a newcomer's map):
- `template.py`: the import template's tables and columns, the canonical model's shape;
- `staging.py`: which files a folder holds, their encoding (`textfile.py`), reading CSV files and
  workbook sheets into all-text staged tables, with bounds against absurd or hostile files;
- `formats.py`: the registry of source formats, recognising each file by content and staging it as
  template tables (vendor shapes in `shapes.py`, `harvest.py`, `bullhorn.py`, `lever.py`,
  `connectors.py`, `tracker.py`);
- `checks.py`: the checking rules, written once for every format (`store_table`), and whose client
  each row is (`assign_clients`);
- `report.py`: what a load tells its user.

Here: the files of a run and their transaction.
- loading the same file again changes nothing (files are known by sha256);
- a run of files loads in one transaction: a run that fails or is killed (a full disk) leaves the
  database as it was; a file that cannot be loaded is reported and left out, and the others load;
- every run is recorded in the audit log.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

import duckdb

import access
from loaders.checks import COMPANY_COLUMNS, assign_clients, check_owner, known_client, store_table
from loaders.formats import file_pieces, load_order
from loaders.report import LoadError, Report
from loaders.shapes import SUPPORTED, Mapping, ShapeError
from loaders.staging import drop_staged, expand_paths, fingerprint
from loaders.textfile import NotText, encoding_note
from metrics.engine import refresh_facts

# The largest upload the dashboard takes in all (a browser sends the whole file to the server first).
# The command line and `ingest` take a file of any size the disk holds: memory stays bounded.
UPLOAD_MAX_MB = 200
# DuckDB's memory during a load: what a load's tables need beyond it (a large file's staged rows,
# their checks and joins) spills to a folder beside the database. With Arrow's blocks of the file
# being read (staging.CSV_BLOCK) and Python's own, a load of any size stays within about 2 GB.
LOAD_MEMORY_MB = 1200
ALREADY_LOADED = "already loaded (same sha256): nothing changed"
# The loads of a file: the same bytes (sha256), for the same --client.
_EARLIER = "SELECT file_id FROM files WHERE sha256 = ? AND client IS NOT DISTINCT FROM ?"
# The reason of a row rejected as a repeat of an earlier row of its file (checks.store_table), as SQL.
REPEATED_ROW = "'duplicate .* in this file; row [0-9]+ holds the same and was kept'"


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
                step=None, mapping: Mapping | None = None, max_mb: float | None = None, *,
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
    if max_mb is not None and size_mb > max_mb:
        raise LoadError(f"{path}: {size_mb:.0f} MB is over the {max_mb:g} MB limit (--max-mb); load it without "
                        "--max-mb to take a file of any size")
    digest, encoding = fingerprint(path)
    same = [digest, client_name]
    last = con.execute(f"SELECT max(file_id) FROM ({_EARLIER})", same).fetchall()[0][0]
    again, retry = [], None
    if last is not None:
        # Rows it rejected may load now (their client, job order or submission was loaded since, or the
        # settings changed): those rows, and only those, are read again; the rows it loaded then stay as
        # they are (a newer export may have replaced them since), and so does a row rejected as a repeat
        # of another row of the file (read alone it would load: the file's first row keeps its key).
        # Their earlier rejections give way to this load's.
        retry = {(sheet, kind): rows for sheet, kind, rows in con.execute(
            f'SELECT sheet, kind, list(DISTINCT "row") FROM rejected_rows WHERE file_id IN ({_EARLIER}) '
            f"AND coalesce(reason, '') NOT SIMILAR TO {REPEATED_ROW} GROUP BY ALL", same).fetchall()}
        if not retry:
            return [Report(shown, skipped=ALREADY_LOADED)]
        n = sum(map(len, retry.values()))
        again = [f"loaded before, when {n} of its rows {'was' if n == 1 else 'were'} rejected: "
                 f"{'that row was' if n == 1 else 'those rows were'} read again, so that "
                 f"{'it loads if it can' if n == 1 else 'the ones that can load now do'} "
                 "(the rows loaded then are left as they are)"]
    reports = []
    # A file read again is the same file: what it loads now, and its rows still rejected, are its own.
    file_id = last if retry is not None else con.execute(
        "SELECT coalesce(max(file_id), 0) + 1 FROM files").fetchall()[0][0]
    for sheet, kind, table, cols, shape in file_pieces(con, path, encoding, fmt, mapping, client=client_name):
        rep = Report(shown, sheet=sheet, kind=kind, format=shape)
        if kind is None:
            rep.skipped = cols
            reports.append(rep)
            continue
        if step:
            step(f"{rep.label}: checking {kind}")
        cols, names, rep.notes = cols
        if retry is not None:
            if not retry.get((sheet, kind)):
                rep.skipped = ALREADY_LOADED
                reports.append(rep)
                drop_staged(con, table, "__src0_live", "__src0")
                continue
            con.execute(f"CREATE OR REPLACE TEMP TABLE __retry AS SELECT * FROM {table} WHERE list_contains(?, __row)",
                        [retry[(sheet, kind)]])
            drop_staged(con, table)
            table = "__retry"
            con.execute(f"DELETE FROM rejected_rows WHERE file_id IN ({_EARLIER}) AND sheet IS NOT DISTINCT FROM ? "
                        'AND kind = ? AND list_contains(?, "row")', same + [sheet, kind, retry[(sheet, kind)]])
        rep.notes = again + encoding_note(encoding) + rep.notes
        if "client" not in cols and any(c in cols for c in COMPANY_COLUMNS):
            table, cols, owners = assign_clients(con, table, cols, kind, client_name, allowed_clients, names)
            rep.notes = rep.notes + owners
        if client_name:
            check_owner(con, table, cols, client_name, rep.path + (f", sheet {sheet!r}" if sheet else ""),
                         allowed_clients)
        store_table(con, table=table, kind=kind, file_id=file_id, report=rep, client_override=client_name,
                    columns=cols, source_names=names, allowed_clients=allowed_clients)
        if retry is not None:   # (the rows read stay the file's; loaded and rejected are now as they are)
            con.execute("UPDATE files SET rows_loaded = rows_loaded + ?, clients = list_sort(list_distinct("
                        "list_concat(clients, ?::VARCHAR[]))), rows_rejected = (SELECT count(*) FROM rejected_rows r "
                        "WHERE r.file_id = files.file_id AND r.sheet IS NOT DISTINCT FROM files.sheet AND r.kind = "
                        "files.kind) WHERE file_id = ? AND sheet IS NOT DISTINCT FROM ? AND kind = ?",
                        [rep.rows_loaded, rep.clients, file_id, sheet, kind])
        else:
            con.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
                        [file_id, client_name, str(path.resolve()), path.name, digest, shape, sheet, kind,
                         rep.rows_read, rep.rows_loaded, rep.rows_rejected, rep.dropped_columns, rep.clients])
        drop_staged(con, table, "__src0_live", "__src0")
        reports.append(rep)
    return reports


def ingest(con, paths, client: str | None = None, fmt: str = "auto", progress=False,
           mapping: Mapping | None = None, max_mb: float | None = None, *,
           allowed_clients: set[str] | None = None, shown_from: Path | None = None,
           user: str | None = None) -> list[Report]:
    """Load files and folders in one transaction, recorded in the audit log under `user` (default:
    the OS user, as for the command line); a file that cannot be loaded gets a Report with
    `error` set and the others load. Raises RunError, with nothing stored, when the load cannot go
    on at all (the disk is full): a run is never left half-stored.

    `progress`: True for a terminal progress bar, or a callable `(files done, files, name)`
    (the dashboard's bar). `allowed_clients`, `shown_from`: see `ingest_file`."""
    files = sorted(expand_paths(paths), key=load_order)
    # Row numbers come from WITH ORDINALITY / the sheet, and every listing says ORDER BY, so the
    # engine may reorder rows freely while loading (measurably faster on large files).
    preserve, memory = con.execute("SELECT current_setting('preserve_insertion_order'), "
                                   "current_setting('memory_limit')").fetchall()[0]
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SET memory_limit = '{LOAD_MEMORY_MB}MB'")
    try:
        return _ingest_files(con, files, client, fmt, progress, mapping, max_mb, allowed_clients, shown_from,
                             user or access.local_user())
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if preserve else 'false'}")
        con.execute(f"SET memory_limit = '{memory}'")


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
                    # What the reports read of each application's events, for every client this run touched.
                    refresh_facts(con, {c for r in reports for c in r.clients})
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


def _files_stored(con) -> tuple | None:
    """What the transaction has stored of files so far: file rows, their loaded rows and the rejected
    rows (a file read again updates its file rows and replaces its rejected rows); None once an error
    has ended the transaction."""
    try:
        return con.execute("SELECT (SELECT count(*) FROM files), (SELECT sum(rows_loaded) FROM files), "
                           "(SELECT count(*) FROM rejected_rows)").fetchall()[0]
    except duckdb.Error:
        return None
