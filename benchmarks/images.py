"""Benchmark chart images: PNG exports of the dashboard's charts with one running browser.

    python -m benchmarks.images [--charts 10] [--json]

Builds the sample database (three clients), builds N charts with the dashboard's chart builders
and exports each as the dashboard's PNG button does (`exports.files.chart_image`, twice the
pixels, footnote under the plot), all through one Chromium that stays running:

- `first_s`   the first image (starts the browser);
- `rest_mean_s`, `rest_max_s`  each later image;
and, as the baseline measured in the same run, `cold_call_s`: kaleido's one-shot
`calc_fig_sync` (a browser started and stopped for every image), mean of 3.

Goal: every PNG after the first < 1 s.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import log

AS_OF = dt.date(2026, 11, 20)
COLD_RUNS = 3


def sample_charts(db: Path, count: int) -> list[tuple[str, object, str]]:
    """`count` (name, figure, footnote) from the sample clients, built as the pages build them."""
    import charts
    import store
    from loaders.settings import get_client, list_clients
    from metrics import METRICS, Filters, Report
    out = []
    with store.connection(db, read_only=True) as con:
        for client in list_clients(con):
            info = get_client(con, client)
            f = Filters(client, date_from=dt.date(2026, 1, 1), date_to=AS_OF, as_of=AS_OF)
            rep = Report(con, f)
            try:
                tts, conv, dl = (rep.totals(k) for k in
                                 ("time_to_submit", "interview_conversion", "deadline_adherence"))
                figs = [
                    ("time_to_submit", charts.duration_trend("time_to_submit",
                                                             rep.aggregate("time_to_submit", grain="month"), 3, tts)),
                    ("time_to_submit", charts.distribution("time_to_submit", rep.rows("time_to_submit"), 3, tts)),
                    ("interview_conversion", charts.conversion_funnel(conv, {})),
                    ("deadline_adherence", charts.adherence_by_month(rep.aggregate("deadline_adherence", grain="month"),
                                                                     0.9, dl)),
                    ("time_to_submit", charts.by_dimension(rep.aggregate("time_to_submit", by="recruiter"),
                                                           "time_to_submit", "recruiter", 4)),
                ]
            finally:
                rep.close()
            for metric, fig in figs:
                footnote = charts.caption(metric, info, f.describe(), "n", f"Data as of {AS_OF:%d %b %Y}")
                out.append((f"{client}: {METRICS[metric].short}", fig, footnote))
    return (out * (count // len(out) + 1))[:count]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--charts", type=int, default=10, help="how many chart images to export")
    parser.add_argument("--json", action="store_true", help="print one JSON line with the figures")
    args = parser.parse_args(argv)

    import kaleido

    from exports import files
    from loaders.sample import build_sample_database
    problem = files.images_unavailable()
    if problem:
        raise SystemExit(problem)
    db = Path(tempfile.mkdtemp(prefix="recruiting-images-")) / "sample.duckdb"
    log("building the sample database...")
    build_sample_database(db)
    figs = sample_charts(db, args.charts)

    log(f"{COLD_RUNS} one-shot kaleido calls (a browser each)...")
    cold = []
    for _, fig, footnote in figs[:COLD_RUNS]:
        fig, extra = files.with_footnote(fig, footnote, 1200)
        t0 = time.perf_counter()
        kaleido.calc_fig_sync(fig.to_dict(), opts={"format": "png", "width": 1200, "height": 450 + extra, "scale": 2},
                              kopts={"mathjax": False})
        cold.append(time.perf_counter() - t0)

    log(f"{len(figs)} PNGs through one running browser...")
    times, sizes = [], []
    try:
        for _, fig, footnote in figs:
            t0 = time.perf_counter()
            png = files.chart_image(fig, "png", scale=2, footnote=footnote)
            times.append(time.perf_counter() - t0)
            sizes.append(len(png))
    finally:
        files.stop_images()
    rest = times[1:] or times
    result = {"charts": len(figs), "first_s": round(times[0], 3), "rest_mean_s": round(statistics.mean(rest), 3),
              "rest_max_s": round(max(rest), 3), "cold_call_s": round(statistics.mean(cold), 3),
              "mean_png_kb": round(statistics.mean(sizes) / 1024)}
    if args.json:
        print(json.dumps(result))
    else:
        met = "met" if result["rest_max_s"] < 1 else "NOT MET"
        print(f"| PNG export ({result['charts']} charts, 2400 px wide, mean {result['mean_png_kb']} KB) | seconds |\n"
              f"|---|---|\n"
              f"| first image (starts the browser) | {result['first_s']:.2f} |\n"
              f"| each later image: mean / max (goal < 1 s: {met}) | {result['rest_mean_s']:.2f} / "
              f"{result['rest_max_s']:.2f} |\n"
              f"| baseline: one-shot kaleido call, a browser per image (mean of {COLD_RUNS}) | "
              f"{result['cold_call_s']:.2f} |")
    return 0 if result["rest_max_s"] < 1 else 1


if __name__ == "__main__":
    sys.exit(main())
