"""Benchmark vendor shapes against DuckDB's raw `read_csv` of the same file.

    python benchmarks/shapes.py --events 1000000 [--json]

Writes the synthetic client's stage events of `benchmarks/run.py` as a Greenhouse BI Connector
`application_stages` interval CSV (`application_id, stage_id, stage_name, entered_on, exited_on`,
times as `2024-01-31 06:00:00.000`), then loads it with the project's ingest (`--format auto`,
which recognises the shape) and with a plain `read_csv` into a table, interleaved, best of 3 each.

Goal (at 1M rows): the project's ingest <= 3x the raw read_csv.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):   # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.run import _build_in_child, duckdb_read_csv, log, project_ingest  # noqa: E402


def write_greenhouse_intervals(template_csv: Path, out: Path) -> int:
    """The template's stage events as a Greenhouse interval CSV; returns its rows."""
    import duckdb
    con = duckdb.connect()
    con.execute(f"""COPY (
        SELECT application_id, (hash(stage) % 1000)::VARCHAR AS stage_id, stage AS stage_name,
               strftime(CASE WHEN length(entered_at) = 10 THEN entered_at::TIMESTAMP
                             ELSE entered_at::TIMESTAMPTZ AT TIME ZONE 'UTC' END, '%Y-%m-%d %H:%M:%S.%g') AS entered_on,
               '' AS exited_on
        FROM read_csv(?, all_varchar = true)) TO '{out}' (HEADER, DELIMITER ',')""", [str(template_csv)])
    return con.execute("SELECT count(*) FROM read_csv(?)", [str(out)]).fetchall()[0][0]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="stage events to generate")
    parser.add_argument("--json", action="store_true", help="print one JSON line with the figures")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="recruiting-shapes-"))
    try:
        files = _build_in_child(args.events, folder, False)
        gh = folder / "greenhouse"
        gh.mkdir()
        rows = write_greenhouse_intervals(Path(files["csv"]) / "stage_events.csv", gh / "application_stages.csv")
        settings = Path(files["settings"]).read_text(encoding="utf-8")
        log(f"Greenhouse interval CSV of {rows:,} rows; project ingest and raw read_csv, interleaved (best of 3)...")
        ours, raw = [], []
        for i in range(3):
            ours.append(project_ingest([str(gh / "application_stages.csv")], settings, folder / f"ours{i}.duckdb"))
            raw.append(duckdb_read_csv(gh, folder / f"raw{i}.duckdb"))
        result = {"rows": rows, "ingest_greenhouse_intervals_s": round(min(ours), 3),
                  "duckdb_read_csv_s": round(min(raw), 3), "ratio": round(min(ours) / min(raw), 2)}
        if args.json:
            print(json.dumps(result))
        else:
            print(f"Greenhouse application_stages, {rows:,} rows: ingest {result['ingest_greenhouse_intervals_s']:.2f} s, "
                  f"raw read_csv {result['duckdb_read_csv_s']:.2f} s, ratio {result['ratio']:.2f}x (goal <= 3x): "
                  f"{'met' if result['ratio'] <= 3 else 'NOT MET'}")
        return 0 if result["ratio"] <= 3 else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
