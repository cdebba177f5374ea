"""Benchmark the client review deck on a large client.

    python -m benchmarks.deck --events 1000000 [--json] [--db EXISTING.duckdb]

Builds the synthetic client of `benchmarks/run.py` (N stage events; skipped with --db), then times
`exports.deck.build` for a one-year period on a read-only connection, as `python -m exports deck`
runs it: `deck_s` is the median of 3 builds, `deck_max_s` the slowest, `collect_s` the median of
the part spent reading the data (one `Report` and the pages' queries, `exports.deck.collect`); the
rest lays out the slides and writes the file. The baseline,
measured in the same run on the same connection: `metrics.summary` alone (`summary_s`, median of 3).

Goal (at 1M events): a deck in < 5 s.
"""
from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import AS_OF, CLIENT, PERIOD, _build_in_child, log, project_ingest

RUNS = 3
GOAL_S = 5.0


def _median_time(fn, runs: int = RUNS) -> tuple[float, float, object]:
    """Median and slowest seconds of `runs` calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), max(times), result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="stage events to generate")
    parser.add_argument("--db", help="time an existing database holding the benchmark client instead")
    parser.add_argument("--json", action="store_true", help="print one JSON line with the figures")
    args = parser.parse_args(argv)

    db = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="recruiting-deck-")) / "bench.duckdb"
    if not args.db:
        tmp = db.parent
        files = _build_in_child(args.events, tmp, False)
        log("loading the benchmark client...")
        project_ingest([files["csv"]], Path(files["settings"]).read_text(encoding="utf-8"), db)

    import store
    from exports import deck
    from metrics import Filters, summary
    f = Filters(CLIENT, date_from=PERIOD[0], date_to=PERIOD[1], as_of=AS_OF)
    with store.connection(db, read_only=True) as con:
        summary(con, f)     # warms DuckDB's buffers for both, so neither pays for the first read
        log("summary...")
        summary_s, _, _ = _median_time(lambda: summary(con, f))
        log("deck...")
        runs = []
        for _ in range(RUNS):
            # The steps of `deck.build`, timed apart: reading the data, then laying out and saving the file.
            t0 = time.perf_counter()
            collected = deck.collect(con, f)
            t1 = time.perf_counter()
            buf = io.BytesIO()
            deck.render_deck(collected).save(buf)
            runs.append((time.perf_counter() - t0, t1 - t0))
        deck_s, deck_max_s = statistics.median(r[0] for r in runs), max(r[0] for r in runs)
        collect_s = statistics.median(r[1] for r in runs)
        data = buf.getvalue()
    from pptx import Presentation
    slides = len(Presentation(io.BytesIO(data)).slides)
    result = {"events": args.events if not args.db else None, "summary_s": round(summary_s, 3),
              "deck_s": round(deck_s, 3), "deck_max_s": round(deck_max_s, 3), "collect_s": round(collect_s, 3),
              "slides": slides, "deck_kb": round(len(data) / 1024), "goal_s": GOAL_S}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"| figure ({result['events'] or 'existing database'} events) | time | goal | |\n|---|---|---|---|\n"
              f"| review deck, {slides} slides, {result['deck_kb']} KB (median of {RUNS}) | {deck_s:.2f} s "
              f"(slowest {deck_max_s:.2f} s; reading the data {collect_s:.2f} s) | < {GOAL_S:g} s | "
              f"{'met' if deck_max_s < GOAL_S else 'NOT MET'} |\n"
              f"| baseline: metrics.summary alone (median of {RUNS}) | {summary_s:.3f} s | | |")
    return 0 if deck_max_s < GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main())
