"""Command line: `python -m loaders client CONFIG.toml` and `python -m loaders ingest PATH...`."""
from __future__ import annotations

import argparse
import sys

import duckdb

import store
from loaders.ingest import LoadError, ingest, is_disk_full
from loaders.template import TEMPLATE, normalise_header
from loaders.settings import SettingsError, read_settings_file, save_client, transaction
from loaders.shapes import FORMATS, ShapeError, read_mapping


def format_report(reports) -> str:
    """The per-file report: rows read / loaded / rejected, the first rejected rows with reasons."""
    lines = []
    said: dict[tuple, set] = {}   # a file read into two tables carries its notes on both: said once
    for r in reports:
        if r.error:
            lines.append(f"FAILED {r.error}")
            continue
        if r.skipped:
            lines.append(f"{r.label}: skipped: {r.skipped}")
            continue
        shape = f" (read as {r.format})" if r.format and r.format != "template" else ""
        lines.append(f"{r.label}: {r.kind}{shape}: read {r.rows_read}, loaded {r.rows_loaded}, "
                     f"rejected {r.rows_rejected}")
        seen = said.setdefault((r.path, r.sheet), set())
        for note in r.notes:
            if note not in seen:
                lines.append(f"  note: {note}")
        seen.update(r.notes)
        if r.dropped_columns:
            lines.append(f"  dropped personal-data column(s), not stored: {', '.join(r.dropped_columns)}")
        if r.unmapped:
            words = ", ".join(f"{word!r} ({n} event{'s' if n != 1 else ''})" for word, n in r.unmapped)
            lines.append(f"  stage word(s) not in the client's dictionary, loaded as unmapped and not counted "
                         f"as reaching any stage until mapped: {words}")
        for row, col, reason in r.rejected_sample:
            lines.append(f"  row {row}, column {col}: {reason}")
        if r.rows_rejected > len(r.rejected_sample):
            lines.append(f"  ... and {r.rows_rejected - len(r.rejected_sample)} more rejected row(s) "
                         "(all kept in the rejected-rows table, shown on the Data page)")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loaders", description=__doc__)
    parser.add_argument("--db", help="database file (default: $RECRUITING_DB, else the app's default)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_client = sub.add_parser("client", help="create or update a client from its settings file")
    p_client.add_argument("config", help="the client's settings TOML file")
    p_client.add_argument("--db", default=argparse.SUPPRESS)
    p_ingest = sub.add_parser("ingest", help="load files or folders")
    p_ingest.add_argument("paths", nargs="+")
    p_ingest.add_argument("--client", help="the client the files belong to (when they have no client column)")
    p_ingest.add_argument("--format", default="auto", choices=FORMATS,
                          help="what the files are (default auto: recognised by their content, and the report says "
                               "which format it chose); tracker: recruiters' tracker workbooks (a requisition "
                               "tracker, a submittal log, a commitments sheet); mapped: another ATS's CSV or XLSX "
                               "export read through --mapping")
    p_ingest.add_argument("--mapping", help="a saved column mapping file (for --format mapped; CSV files or the "
                                            "workbook sheet whose header row holds the mapping's columns)")
    p_ingest.add_argument("--max-mb", type=float,
                          help="refuse files larger than this many MB (default: no limit; a file of any size the "
                               "disk holds loads in bounded memory)")
    p_ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    p_ingest.add_argument("--db", default=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.command == "client":
        try:
            settings = read_settings_file(args.config)
        except SettingsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        try:
            with store.connection(args.db) as con:
                with transaction(con):
                    changed = save_client(con, settings, file=str(args.config))
        except (SettingsError, store.DamagedDatabase, store.DatabaseBusy) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"client {settings.name}: saved ({settings.timezone}, {settings.day_count} days, "
              f"SLA {settings.sla_first_submittals} submittal(s) within {settings.sla_within_days} days, "
              f"{len(settings.stages)} stage words)" + (f"; {changed} stored events re-mapped" if changed else ""))
        return 0

    mapping = None
    if args.mapping:
        try:
            mapping = read_mapping(args.mapping, TEMPLATE, normalise_header)
        except ShapeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        if args.format == "auto":
            args.format = "mapped"
    try:
        with store.connection(args.db) as con:
            reports = ingest(con, args.paths, client=args.client, fmt=args.format, mapping=mapping,
                             max_mb=args.max_mb, progress=not args.quiet and sys.stderr.isatty())
    except (store.DamagedDatabase, store.DatabaseBusy) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (LoadError, duckdb.Error, OSError) as exc:
        # Once the disk is full, closing the database fails as well: the first error is the one to tell.
        first = exc
        while not isinstance(first, LoadError) and isinstance(first.__context__, (LoadError, duckdb.Error, OSError)):
            first = first.__context__
        if isinstance(first, LoadError):
            print(f"error: {first}", file=sys.stderr)
        elif is_disk_full(first):
            print("error: no space left on device for the database: nothing of this load was stored. Free some "
                  "disk space, then load the files again", file=sys.stderr)
        else:
            raise
        return 1
    print(format_report(reports))
    if not reports:
        print("error: no data files found in " + ", ".join(args.paths), file=sys.stderr)
        return 1
    # A file whose every row was rejected loaded nothing: a scheduled load must fail visibly then
    # (a file loaded before, skipped as unchanged, is fine).
    empty = []
    for path in dict.fromkeys(r.path for r in reports):
        read = [r for r in reports if r.path == path and not r.error and not r.skipped]
        if read and sum(r.rows_read for r in read) and not sum(r.rows_loaded for r in read):
            rows = sum(r.rows_read for r in read)
            empty.append(f"{read[0].file} ({rows} row{'' if rows == 1 else 's'})")
    if empty:
        print(f"error: no row could be loaded from {', '.join(empty)}: every row was rejected (the reasons are "
              "above); correct the file or the client's settings and load it again", file=sys.stderr)
    return 1 if empty or any(r.error for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
