"""Benchmark vendor shapes against DuckDB's raw `read_csv` of the same file.

    python -m benchmarks.shapes --events 1000000 [--json]

Writes the synthetic client's stage events of `benchmarks/run.py` as a Greenhouse BI Connector
`application_stages` interval CSV (`application_id, stage_id, stage_name, entered_on, exited_on`,
times as `2024-01-31 06:00:00.000`), then loads it with the project's ingest (`--format auto`,
which recognises the shape) and with a plain `read_csv` into a table, interleaved, best of 3 each.

Goal (at 1M rows): the project's ingest <= 3x the raw read_csv.

It also writes a Lever export folder of `--lever N` opportunities (default 100,000; seeded, about
five stage changes each, a third archived) and times the project's ingest of the folder.
Goal: 100k opportunities in < 10 s.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.run import _build_in_child, duckdb_read_csv, log, project_ingest


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


def write_lever(n: int, folder: Path) -> int:
    """A seeded Lever export folder of `n` opportunities; returns the stage changes written."""
    import json
    import random
    rng = random.Random(42)
    stages = [{"id": f"stage-{i}", "text": w} for i, w in enumerate(STAGE_WORDS)]
    reasons = [{"id": "r-hired", "text": "Hired"}, {"id": "r-fit", "text": "Not a fit"}]
    postings = [{"id": f"P{j}", "text": f"Role {j}", "categories": {"department": f"Dept {j % 7}"},
                 "createdAt": 1_735_689_600_000 + j * 3_600_000} for j in range(max(1, n // 50))]
    opps, apps, changes = [], [], 0
    for i in range(n):
        t = 1_735_689_600_000 + rng.randrange(0, 500) * 86_400_000
        steps = [{"toStageId": f"stage-{k}", "updatedAt": t + k * rng.randrange(3_600_000, 400_000_000)}
                 for k in range(rng.randrange(1, len(STAGE_WORDS) + 1))]
        changes += len(steps)
        archived = ({"reason": rng.choice(["r-hired", "r-fit"]), "archivedAt": steps[-1]["updatedAt"] + 86_400_000}
                    if i % 3 == 0 else None)
        opps.append({"id": f"O{i}", "contact": f"C{i}", "origin": "applied", "createdAt": t,
                     "applications": [f"A{i}"], "stageChanges": steps, "archived": archived})
        apps.append({"id": f"A{i}", "opportunityId": f"O{i}", "posting": postings[i % len(postings)]["id"]})
    folder.mkdir(parents=True, exist_ok=True)
    for name, doc in (("stages", stages), ("archive_reasons", reasons), ("postings", postings),
                      ("applications", apps), ("opportunities", {"data": opps, "hasNext": False})):
        (folder / f"{name}.json").write_text(json.dumps(doc), encoding="utf-8")
    return changes


STAGE_WORDS = ("Application Review", "Phone Screen", "Hiring Manager Review", "Onsite", "Offer")
LEVER_SETTINGS = 'name = "{client}"\n[stages]\n' + "".join(
    f'"{w}" = "{s}"\n' for w, s in zip(STAGE_WORDS, ("applied", "screened", "submitted", "interviewed", "offered")))
LEVER_SETTINGS += '"Not a fit" = "rejected"\n'


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="stage events to generate")
    parser.add_argument("--lever", type=int, default=100_000, help="Lever opportunities to generate")
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
        changes = write_lever(args.lever, folder / "lever")
        log(f"Lever export of {args.lever:,} opportunities ({changes:,} stage changes); project ingest...")
        result["lever_opportunities"] = args.lever
        result["ingest_lever_s"] = round(project_ingest([str(folder / "lever")], LEVER_SETTINGS.format(
            client="Bench Corp"), folder / "lever.duckdb"), 2)
        if args.json:
            print(json.dumps(result))
        else:
            print(f"Greenhouse application_stages, {rows:,} rows: ingest {result['ingest_greenhouse_intervals_s']:.2f} s, "
                  f"raw read_csv {result['duckdb_read_csv_s']:.2f} s, ratio {result['ratio']:.2f}x (goal <= 3x): "
                  f"{'met' if result['ratio'] <= 3 else 'NOT MET'}")
            print(f"Lever, {args.lever:,} opportunities: ingest {result['ingest_lever_s']:.2f} s (goal < 10 s): "
                  f"{'met' if result['ingest_lever_s'] < 10 else 'NOT MET'}")
        return 0 if result["ratio"] <= 3 and result["ingest_lever_s"] < 10 else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
