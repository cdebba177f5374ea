"""Benchmark the summary on Apache Spark (local mode) against the DuckDB engine, on the same data.

    python -m benchmarks.spark --events 1000000 [--master local[*]] [--json] [--keep DIR]

The synthetic client of `benchmarks.run` (business days with holidays, SLA K=2 within N=5) with N
stage events is generated and loaded by the project's own ingest, then written as the Parquet folder
`python -m exports parquet` writes. Then, on the same filters as `benchmarks.run` (a one-year period,
as-of inside it):

- `duckdb_summary_s`       `metrics.summary` on the store (it reads the stored facts), best of 3
- `duckdb_live_summary_s`  the same from the stage events (`Report(live=True)`), best of 3
- `spark_start_s`          starting Spark's JVM (the SparkSession), once
- `spark_first_summary_s`  the first summary on Spark (the views of the folder included): the JVM warms up
- `spark_summary_s`        `metrics.spark.summary` after that warm-up, best of 3

and the Spark summary must equal DuckDB's (floats to a 1e-9 relative tolerance).
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import AS_OF, CLIENT, PERIOD, _build_in_child, best_of, log, project_ingest


def differences(a, b, path: str = "summary") -> list[str]:
    """Where two summaries differ (floats to a 1e-9 relative tolerance)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a)} vs {sorted(b)}"]
        return [d for k in a for d in differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, float) and isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) else [f"{path}: {a} vs {b}"]
    return [] if a == b and type(a) is type(b) else [f"{path}: {a!r} vs {b!r}"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="stage events to generate")
    parser.add_argument("--master", default="local[*]", help="Spark's master URL (default local[*])")
    parser.add_argument("--json", action="store_true", help="print one JSON line with the figures")
    parser.add_argument("--keep", metavar="DIR", help="write the data, database and Parquet here and keep them")
    args = parser.parse_args(argv)

    import store
    from exports.parquet import write_parquet
    from metrics import Filters, Report, spark, summary

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="recruiting-spark-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db, lake = folder / "bench.duckdb", folder / "lake"
    for old in (db, lake):
        shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
    try:
        files = _build_in_child(args.events, folder, False)
        log("the project's ingest of the CSV folder...")
        ingest_s = project_ingest([files["csv"]], Path(files["settings"]).read_text(encoding="utf-8"), db)
        filters = Filters(client=CLIENT, date_from=PERIOD[0], date_to=PERIOD[1], as_of=AS_OF)
        r = {"events": args.events, "ingest_s": ingest_s}

        def live(con):
            report = Report(con, filters, live=True)
            try:
                return report.summary()
            finally:
                report.close()

        with store.connection(db, read_only=True) as con:
            t0 = time.perf_counter()
            write_parquet(con, lake, [CLIENT])
            r["export_parquet_s"] = time.perf_counter() - t0
            log("DuckDB summaries (best of 3 each)...")
            r["duckdb_summary_s"], expected = best_of(3, summary, con, filters)
            r["duckdb_live_summary_s"], expected_live = best_of(3, live, con)

        log(f"Spark ({args.master}): starting the JVM...")
        t0 = time.perf_counter()
        session = spark.session(args.master)
        r["spark_start_s"] = time.perf_counter() - t0
        with spark.connect(lake, spark=session) as con:
            t0 = time.perf_counter()
            first = spark.summary(con, filters)
            r["spark_first_summary_s"] = time.perf_counter() - t0
            log("Spark summaries after the warm-up (best of 3)...")
            r["spark_summary_s"], got = best_of(3, spark.summary, con, filters)
        session.stop()

        diffs = differences(expected, got) + differences(expected, first) + differences(expected, expected_live)
        r["same_summary"] = not diffs
        if args.json:
            print(json.dumps(r))
        else:
            print(_table(r, args.master))
        if diffs:
            log("SUMMARIES DISAGREE (DuckDB vs Spark):")
            for d in diffs:
                log(f"  {d}")
            return 1
        log("the DuckDB and Spark summaries agree")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def _table(r: dict, master: str) -> str:
    rows = [
        ("DuckDB summary (stored facts)", r["duckdb_summary_s"], "best of 3"),
        ("DuckDB summary (live, from events)", r["duckdb_live_summary_s"], "best of 3"),
        (f"Spark {master}: JVM start", r["spark_start_s"], "once"),
        (f"Spark {master}: first summary", r["spark_first_summary_s"], "cold JVM, views of the folder"),
        (f"Spark {master}: summary", r["spark_summary_s"], "best of 3 after the warm-up"),
    ]
    ratio = r["spark_summary_s"] / r["duckdb_summary_s"] if r["duckdb_summary_s"] else float("nan")
    return "\n".join(
        [f"events: {r['events']:,}   (ingest {r['ingest_s']:.1f} s, Parquet export {r['export_parquet_s']:.1f} s)",
         f"{'figure':<42}{'seconds':>10}  note"]
        + [f"{name:<42}{value:>10.3f}  {note}" for name, value, note in rows]
        + [f"Spark (warm) / DuckDB: {ratio:.0f}x; the same summary: {'yes' if r['same_summary'] else 'NO'}"])


if __name__ == "__main__":
    sys.exit(main())
