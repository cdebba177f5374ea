"""Command line: `python -m metrics summary --client NAME [...] --json`, on the DuckDB store (`--db`),
or with `--engine spark` on Apache Spark over the Parquet folder `python -m exports parquet` wrote
(`--data DIR`; metrics/spark.py), giving the same summary."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

import store
from loaders.settings import get_client, match_key
from metrics import Filters, UnknownClient, options, summary
from metrics import spark


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None


def _human(s: dict) -> str:
    def num(v, pct=False):
        if v is None:
            return "n/a"
        return f"{v:.0%}" if pct else (f"{v:.1f}" if isinstance(v, float) else str(v))
    t, c, d, f, h = (s[k] for k in ("time_to_submit", "interview_conversion", "deadline_adherence",
                                    "time_to_fill", "hm_feedback_days"))
    lines = [
        ("Time to submit      ", t, f"median {num(t['median'])} d, mean {num(t['mean'])}, p90 {num(t['p90'])} "
                                    f"(n={t['n']}); awaiting first submittal: {t['awaiting_first_submittal']}"),
        ("Interview conversion ", c, f"submitted {c['submitted']}, interviewed {c['interviewed']} "
                                     f"({num(c['submit_to_interview'], True)}), offered {c['offered']} "
                                     f"({num(c['interview_to_offer'], True)}), hired {c['hired']} "
                                     f"({num(c['offer_to_hire'], True)})"),
        ("Deadline adherence  ", d, f"{num(d['rate'], True)}: met {d['met']} of {d['due']} due, pending "
                                    f"{d['pending']}; missed by RPO {d['missed_by_side']['rpo']}, by client "
                                    f"{d['missed_by_side']['client']}; revised {d['revised']} "
                                    f"({d['revised_in_time']} in time)"),
        ("Time to fill        ", f, f"median {num(f['median'])} d (n={f['n']})"),
        ("HM feedback         ", h, f"median {num(h['median'])} d (n={h['n']})"),
    ]
    # A metric the loaded data cannot give says why instead of its (empty) numbers.
    return "\n".join([
        f"{s['client']}" + (f" / {s['department']}" if s["department"] else "")
        + f"  period {s['from'] or 'start'} .. {s['to'] or 'as of'}  as of {s['as_of']}"]
        + [label + (m.get("not_available") or text + (f" ({m['note']})" if m.get("note") else ""))
           for label, m, text in lines])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m metrics", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("summary", help="the summary of one client's metrics")
    p.add_argument("--client", required=True)
    p.add_argument("--department")
    p.add_argument("--from", dest="date_from", type=_date)
    p.add_argument("--to", dest="date_to", type=_date)
    p.add_argument("--as-of", dest="as_of", type=_date)
    p.add_argument("--db", help="database file (default: $RECRUITING_DB, else the app's default)")
    p.add_argument("--json", action="store_true", help="print the JSON object of domain.md")
    p.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                   help="duckdb (default): the store (--db); spark: Apache Spark over a Parquet folder (--data)")
    p.add_argument("--data", metavar="DIR", help="with --engine spark: the folder `python -m exports parquet DIR` "
                                                 "wrote (a local path, or a URI the cluster reads)")
    p.add_argument("--master", help="with --engine spark: Spark's master URL (default local[*]; spark://host:7077, "
                                    "yarn); SPARK_REMOTE=sc://host:15002, when set, connects to Spark Connect instead")
    args = parser.parse_args(argv)
    if args.date_from and args.date_to and args.date_from > args.date_to:
        print(f"error: --from {args.date_from} is after --to {args.date_to}", file=sys.stderr)
        return 2
    if args.engine == "spark" and (not args.data or args.db):
        print("error: --engine spark reads --data DIR, the folder `python -m exports parquet DIR` wrote "
              "(not --db)", file=sys.stderr)
        return 2
    if args.engine == "duckdb" and (args.data or args.master):
        print("error: --data and --master are for --engine spark", file=sys.stderr)
        return 2
    if args.engine == "spark":
        connection, compute = spark.connect(args.data, master=args.master), spark.summary
    else:
        connection, compute = store.connection(args.db, read_only=True), summary
    try:
        with connection as con:
            departments = ()
            if args.department:
                # Departments match as client names do (trimmed, any case); an unknown one is an error,
                # not a quiet zero.
                client = get_client(con, args.client)
                known = options(con, client["client"])["department"] if client else []
                match = [d for d in known if match_key(d) == match_key(args.department)]
                if known and not match:
                    print(f"error: no department {args.department!r} for {args.client}; known: "
                          f"{', '.join(known)}", file=sys.stderr)
                    return 1
                departments = tuple(match[:1]) or (args.department,)
            filters = Filters(client=args.client, departments=departments,
                              date_from=args.date_from, date_to=args.date_to, as_of=args.as_of)
            result = compute(con, filters)
    except (UnknownClient, FileNotFoundError, store.DatabaseBusy, store.DamagedDatabase,
            spark.SparkUnavailable) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 1
    print(json.dumps(result) if args.json else _human(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
