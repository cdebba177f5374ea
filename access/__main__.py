"""Command line: who may see which clients, and the audit log.

    python -m access grant WHO --role admin|csm|viewer [--client NAME ...]
    python -m access revoke WHO [--client NAME ...]
    python -m access list
    python -m access audit [--since YYYY-MM-DD] [--user WHO] [--client NAME] [--action ACTION] [--json]

WHO is an e-mail address, or @domain for everyone at that domain. Changes are recorded in the audit
log under the OS user who ran the command.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

import access
import store


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m access", description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="database file (default: $RECRUITING_DB, else the app's default)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("grant", help="give a person or a domain a role (for some clients)")
    p.add_argument("who", help="an e-mail address, or @domain for everyone at that domain")
    p.add_argument("--role", required=True, choices=access.ROLES)
    p.add_argument("--client", action="append", default=[], help="a client the role applies to (repeat for several)")
    p = sub.add_parser("revoke", help="take grants away (all of them, or those of some clients)")
    p.add_argument("who")
    p.add_argument("--client", action="append", default=[])
    sub.add_parser("list", help="every grant")
    p = sub.add_parser("audit", help="the audit log, newest first")
    p.add_argument("--since", type=_date, help="from this day (UTC)")
    p.add_argument("--user", help="only this user's actions")
    p.add_argument("--client", help="only actions about this client")
    p.add_argument("--action", help=f"only this action ({', '.join(access.ACTIONS)})")
    p.add_argument("--json", action="store_true", help="one JSON array instead of a table")
    for p in sub.choices.values():
        p.add_argument("--db", default=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        with store.connection(args.db) as con:
            if args.command == "grant":
                print(access.grant(con, args.who, args.role, args.client))
            elif args.command == "revoke":
                print(access.revoke(con, args.who, args.client))
            elif args.command == "list":
                table = access.list_grants(con)
                print(table.to_string(index=False) if not table.empty else
                      "No grants yet: python -m access grant WHO --role admin|csm|viewer [--client NAME ...]")
            else:
                who = args.user.strip().lower() if args.user else None
                table = access.audit(con, since=args.since, user=who, client=args.client, action=args.action)
                if args.json:
                    table["at_utc"] = table["at_utc"].map(lambda t: t.isoformat())
                    table["detail"] = table["detail"].map(json.loads)
                    print(json.dumps(table.to_dict("records"), indent=2, ensure_ascii=False))
                else:
                    print(table.to_string(index=False, max_colwidth=80) if not table.empty else "No audit rows.")
    except (access.AccessError, store.DatabaseBusy, store.DamagedDatabase, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
