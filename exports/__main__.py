"""Command line: `python -m exports deck --client NAME [--from DATE] [--to DATE] [--as-of DATE]
[--compare previous|last_year|none] [--internal-appendix] -o FILE.pptx`, or every client's deck into a
folder: `python -m exports deck --all-clients --out DIR`; `python -m exports parquet DIR [--client NAME]`,
the canonical tables as Parquet (`exports/parquet.py`); `python -m exports digest --client NAME --to ADDRESS
[--send | -o FILE.eml | -o FILE.html]`, one client's digest e-mail (`exports/digest.py`); `python -m exports
schedules run [--dry-run DIR]`, the scheduled digests and decks that are due (`exports/schedules.py`)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import access
import store
from exports.deck import DeckError, build, file_name
from loaders.settings import get_client, list_clients
from metrics import COMPARISONS, PERIOD_PRESETS, Filters, UnknownClient
from metrics.__main__ import _date


def _record(db, client: str, filters: Filters, path: Path, internal: bool) -> None:
    """The deck in the audit log, under the OS user who ran the command (saying so when it holds
    the internal appendix, which is not for the client)."""
    with store.connection(db) as con:
        access.record(con, access.local_user(), "download", client, what="deck", via="command line",
                      filters=filters.describe(), file=str(path), **({"internal_appendix": True} if internal else {}))


def _decks(args) -> int:
    if args.date_from and args.date_to and args.date_from > args.date_to:
        print(f"error: --from {args.date_from} is after --to {args.date_to}", file=sys.stderr)
        return 2

    def filters(client: str) -> Filters:
        return Filters(client=client, date_from=args.date_from, date_to=args.date_to, as_of=args.as_of,
                       compare=args.compare)

    with_internal = " (with the internal appendix: not for the client)" if args.internal_appendix else ""
    try:
        if not args.all_clients:
            out = Path(args.output)
            if out.suffix.lower() != ".pptx":
                print(f"error: -o {out} must name a .pptx file", file=sys.stderr)
                return 2
            out.parent.mkdir(parents=True, exist_ok=True)
            # A read-only connection: a loader that holds the file makes us wait ("database busy, retrying").
            with store.connection(args.db, read_only=True) as con:
                build(con, filters(args.client), out, internal=args.internal_appendix)
                client = get_client(con, args.client)["client"]
            _record(args.db, client, filters(client), out, args.internal_appendix)
            print(f"{out}: review deck for {client}{with_internal}")
            return 0
        out_dir = Path(args.out)
        out_dir.mkdir(parents=True, exist_ok=True)
        with store.connection(args.db, read_only=True) as con:
            clients = list_clients(con)
        if not clients:
            print(f"error: no client in {args.db or store.default_db_path()}: load data first", file=sys.stderr)
            return 1
        from tqdm import tqdm
        failed = 0
        bar = tqdm(clients, unit="deck", disable=args.quiet or not sys.stderr.isatty(), file=sys.stderr)
        for client in bar:
            bar.set_description(client)
            # One short connection per client, so a loader waiting for the file gets it between decks.
            with store.connection(args.db, read_only=True) as con:
                path = out_dir / file_name(filters(client))
                try:
                    build(con, filters(client), path, internal=args.internal_appendix)
                except DeckError as exc:
                    failed += 1
                    tqdm.write(f"FAILED {client}: {exc}", file=sys.stderr)
                    continue
            _record(args.db, client, filters(client), path, args.internal_appendix)
            tqdm.write(f"{path}: review deck for {client}{with_internal}")
        return 1 if failed else 0
    except (UnknownClient, FileNotFoundError, store.DatabaseBusy, store.DamagedDatabase, DeckError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 1


def _parquet(args) -> int:
    """Every client's tables (or --client's) as Parquet under DIR, recorded in the audit log."""
    from exports.parquet import write_parquet
    try:
        with store.connection(args.db, read_only=True) as con:
            if args.client:
                found = get_client(con, args.client)
                if found is None:
                    raise UnknownClient(f"unknown client {args.client!r}; known clients: "
                                        + (", ".join(list_clients(con)) or "none"))
                clients = [found["client"]]
            else:
                clients = list_clients(con)
            if not clients:
                print(f"error: no client in {args.db or store.default_db_path()}: load data first", file=sys.stderr)
                return 1
            written = write_parquet(con, args.dir, clients)
    except (UnknownClient, FileNotFoundError, store.DatabaseBusy, store.DamagedDatabase) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot write into {args.dir}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    with store.connection(args.db) as con:
        for client in clients:
            access.record(con, access.local_user(), "download", client, what="parquet", via="command line",
                          file=str(Path(args.dir).resolve()))
    rows = ", ".join(f"{t} {n:,} row{'s' if n != 1 else ''}" for t, n in written.items())
    print(f"{args.dir}: {rows} ({len(clients)} client{'s' if len(clients) != 1 else ''}: {', '.join(clients)})")
    return 0


# What `digest -o FILE` writes, by the file's suffix.
DIGEST_FILES = {".eml": "the whole e-mail (MIME), as a mail program opens it",
                ".html": "the HTML part with its charts inside, as a browser opens it"}


def _digest(args) -> int:
    """One client's digest, sent through `[smtp]` (`--send`) or written to `-o FILE`; recorded in the
    audit log under the OS user."""
    import smtplib

    from exports import digest, mail
    from loaders.settings import match_key
    from metrics import local_today, options, period_dates
    out = Path(args.output) if args.output else None
    if out is not None and out.suffix.lower() not in DIGEST_FILES:
        print(f"error: -o {out} must end in " + " or ".join(f"{k} ({v})" for k, v in DIGEST_FILES.items()),
              file=sys.stderr)
        return 2
    if args.with_deck and out is not None and out.suffix.lower() == ".html":
        print("error: --with-deck attaches the review deck to the e-mail: use --send or -o FILE.eml", file=sys.stderr)
        return 2
    try:
        digest.recipients(args.to)
    except ValueError as exc:
        print(f"error: --to: {exc}", file=sys.stderr)
        return 2
    try:
        secrets = mail.read_secrets()
        dashboard_url = (digest.web_address(args.dashboard_url, "--dashboard-url") if args.dashboard_url
                         else digest.configured_dashboard_url(secrets))
    except mail.MailError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        smtp = mail.smtp_settings(secrets)
    except mail.MailError as exc:
        if args.send:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        smtp = None   # a file only takes its From: from the [smtp] block
    if args.send and smtp is None:
        print("error: sending is off: there is no [smtp] block in .streamlit/secrets.toml (in this folder or in "
              "~/.streamlit/). Add one with the mail server's host, port, security and from_address (see the "
              "README, \"Weekly digest\"), or write the digest to a file with -o FILE.eml", file=sys.stderr)
        return 1
    from_address = smtp.from_address if smtp else digest.DEFAULT_FROM
    try:
        with store.connection(args.db, read_only=True) as con:
            found = get_client(con, args.client)
            if found is None:
                raise UnknownClient(f"unknown client {args.client!r}; known clients: "
                                    + (", ".join(list_clients(con)) or "none"))
            client = found["client"]
            # Departments, recruiters and hiring managers match as client names do (trimmed, any case);
            # an unknown one is an error, not a digest of nothing.
            known, chosen = options(con, client), {}
            for key, col, flag in (("departments", "department", "--department"),
                                   ("recruiters", "recruiter", "--recruiter"),
                                   ("hiring_managers", "hiring_manager", "--hiring-manager")):
                chosen[key] = []
                for wanted in getattr(args, key) or ():
                    match = [v for v in known[col] if match_key(v) == match_key(wanted)]
                    if not match:
                        print(f"error: {flag} {wanted!r}: {client} has no such {col.replace('_', ' ')}; known: "
                              + (", ".join(known[col]) or "none"), file=sys.stderr)
                        return 1
                    chosen[key].append(match[0])
            as_of = args.as_of or local_today(found["timezone"])
            date_from, date_to = period_dates(args.period, as_of)
            filters = Filters(client=client, date_from=date_from, date_to=date_to, as_of=as_of, compare=args.compare,
                              **{k: tuple(v) for k, v in chosen.items()})
            data = digest.collect(con, filters)
            made = digest.render(data, dashboard_url=dashboard_url)
            html_file = out is not None and out.suffix.lower() == ".html"
            attachments = [digest.deck_attachment(con, data["filters"])] if args.with_deck else []
            msg = None if html_file else digest.message(made, args.to, from_address, attachments)
    except (UnknownClient, FileNotFoundError, store.DatabaseBusy, store.DamagedDatabase, DeckError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 1
    if made.image_problem:
        print(f"warning: the charts are left out of the digest: {made.image_problem}", file=sys.stderr)
    what = f"digest for {client}, {made.period}" + (" with the review deck" if args.with_deck else "")
    detail = {"to": args.to, "period": made.period, "filters": filters.describe(), "via": "command line",
              **({"deck": True} if args.with_deck else {})}
    if args.send:
        refused = {}
        try:
            with mail.Connection(smtp) as connection:
                connection.send(msg)
        except smtplib.SMTPRecipientsRefused as exc:   # the others got it: say who did not, record who did
            refused = {who.lower(): exc for who in exc.recipients}
        except (smtplib.SMTPException, OSError) as exc:
            print(f"error: the digest was not sent ({smtp.host}:{smtp.port}): {mail.answer(exc)}", file=sys.stderr)
            return 1
        delivered = [who for who in digest.recipients(args.to) if who.lower() not in refused]
        if refused:
            print(f"error: not sent to {', '.join(refused)} ({smtp.host}:{smtp.port}): "
                  f"{mail.answer(next(iter(refused.values())))}", file=sys.stderr)
            if not delivered:
                return 1
        action, detail = "digest sent", {**detail, "to": ", ".join(delivered)}
    elif out is None:   # neither sent nor written: shown here, as the plain-text part says it
        print(made.text)
        action, detail = "download", {"what": "digest", **detail, "file": "(shown on the terminal)"}
    else:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            if html_file:
                out.write_text(digest.html_with_images(made), encoding="utf-8")
            else:
                out.write_bytes(bytes(msg))
        except OSError as exc:
            print(f"error: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        action, detail = "download", {"what": "digest", **detail, "file": str(out)}
    with store.connection(args.db) as con:
        access.record(con, access.local_user(), action, client, **detail)
    if args.send:
        print(f"sent to {detail['to']} through {smtp.host}:{smtp.port}: {what}")
        return 1 if refused else 0
    if out is not None:
        print(f"{out}: {what}")
    return 0


def _schedules_run(args) -> int:
    """Send what is due (exit 1 when a send failed: the next run tries it again; 2 when sending is off)."""
    from exports import mail, schedules
    try:
        result = schedules.run(args.db, dry_run=Path(args.dry_run) if args.dry_run else None,
                               log=lambda text: print(text, flush=True))
    except mail.MailError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except store.DatabaseBusy as exc:
        print(f"error: {exc}; nothing was sent, the next run tries again", file=sys.stderr)
        return 1
    if not result.sends:
        print("nothing due")
    failed = result.count("failed")
    if failed:
        print(f"{failed} send{'s' if failed != 1 else ''} failed: the next run tries again", file=sys.stderr)
    return 1 if failed else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m exports", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("deck", help="the client review deck (PowerPoint, 16:9, editable charts)")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--client", help="the client (trimmed, any case)")
    who.add_argument("--all-clients", action="store_true", help="one deck per client, into --out DIR")
    p.add_argument("--from", dest="date_from", type=_date, help="first day of the period (default: all time)")
    p.add_argument("--to", dest="date_to", type=_date, help="last day of the period (default: all time)")
    p.add_argument("--as-of", dest="as_of", type=_date, help="the day the report describes (default: the "
                                                             "client's local today)")
    p.add_argument("--compare", choices=list(COMPARISONS), default="previous",
                   help="what the KPIs compare with: the previous period (a calendar quarter with the quarter "
                        "before, a month with the month before, any other period with the days of equal length "
                        "just before), the same period last year, or none (default: previous)")
    p.add_argument("--internal-appendix", action="store_true",
                   help="add the internal appendix (the rules every metric follows, data quality): for the "
                        "delivery team, not for the client")
    p.add_argument("-o", "--output", help="the .pptx file to write (with --client)")
    p.add_argument("--out", help="the folder to write the decks into (with --all-clients)")
    p.add_argument("--db", help="database file (default: $RECRUITING_DB, else the app's default)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    q = sub.add_parser("parquet", help="the canonical tables as Parquet, a folder per table, partitioned by client")
    q.add_argument("dir", help="the folder to write into (a client's partitions written before are replaced)")
    q.add_argument("--client", help="only this client (default: every client)")
    q.add_argument("--db", help="database file (default: $RECRUITING_DB, else the app's default)")
    d = sub.add_parser("digest", help="one client's digest e-mail: KPIs, upcoming deadlines, what awaits an answer",
                       description="One client's digest: the five KPIs against target and the comparison period, "
                                   "deadlines due in the next 14 days, the requisitions awaiting a first submittal, "
                                   "the submittals awaiting the hiring manager's answer, two charts, and links into "
                                   "the dashboard on the same filters and dates.")
    d.add_argument("--client", required=True, help="the client (trimmed, any case)")
    d.add_argument("--to", required=True, help="the recipient's e-mail address (several: separated by commas)")
    how = d.add_mutually_exclusive_group()   # neither: the plain-text digest on the terminal
    how.add_argument("--send", action="store_true", help="send it through the [smtp] settings of "
                                                         ".streamlit/secrets.toml")
    how.add_argument("-o", "--output", metavar="FILE", help="write it instead: FILE.eml, the whole e-mail; FILE.html, "
                                                            "the HTML with its charts inside, for a browser")
    d.add_argument("--period", choices=PERIOD_PRESETS, default="Last 30 days",
                   help="the period, ending on the as-of date (default: Last 30 days)")
    d.add_argument("--department", dest="departments", action="append", metavar="NAME",
                   help="only this department (repeat for several)")
    d.add_argument("--recruiter", dest="recruiters", action="append", metavar="NAME",
                   help="only this recruiter (repeat for several)")
    d.add_argument("--hiring-manager", dest="hiring_managers", action="append", metavar="NAME",
                   help="only this hiring manager (repeat for several)")
    d.add_argument("--as-of", dest="as_of", type=_date, help="the day the digest describes (default: the client's "
                                                             "local today)")
    d.add_argument("--compare", choices=list(COMPARISONS), default="previous",
                   help="what the KPIs compare with (default: previous, the period of equal length just before)")
    d.add_argument("--with-deck", action="store_true", help="attach the review deck for the same filters")
    d.add_argument("--dashboard-url", metavar="URL", help="where the links point (default: [digest] dashboard_url "
                                                          "of .streamlit/secrets.toml, else http://localhost:8501)")
    d.add_argument("--db", help="database file (default: $RECRUITING_DB, else the app's default)")
    r = sub.add_parser("schedules", help="scheduled digests and decks (the Schedules page makes them)")
    r_sub = r.add_subparsers(dest="action", required=True)
    run = r_sub.add_parser("run", help="send what is due, never twice; call it every few minutes (cron, a systemd timer)")
    run.add_argument("--dry-run", dest="dry_run", metavar="DIR",
                     help="write the messages that are due into DIR as .eml files instead; send and record nothing")
    run.add_argument("--db", help="database file (default: $RECRUITING_DB, else the app's default)")
    args = parser.parse_args(argv)
    if args.command == "parquet":
        return _parquet(args)
    if args.command == "schedules":
        return _schedules_run(args)
    if args.command == "digest":
        return _digest(args)
    if args.client and (not args.output or args.out):
        parser.error("--client writes one file: give -o FILE.pptx (--out DIR is for --all-clients)")
    if args.all_clients and (not args.out or args.output):
        parser.error("--all-clients writes one file per client: give --out DIR (-o FILE is for --client)")
    return _decks(args)


if __name__ == "__main__":
    sys.exit(main())
