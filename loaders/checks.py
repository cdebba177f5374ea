"""The checking rules: one staged text table in the template's columns is checked, parsed and stored
(`store_table`), so every source shape obeys the same loading rules (domain.md):
- a row that cannot be loaded goes, with its raw values, file, sheet, row, column and reason, to
  `rejected_rows`; nothing is dropped silently;
- a newer export replaces the rows it carries (same client and id; for a stage event, the same
  application, stage word and time) and keeps the others; a requisition keeps its earliest `opened_at`;
- personal data columns are never stored, and the drop is reported;
- every row is some client's: the file's `client` column, `--client`, or the client whose ATS company
  the row names (`assign_clients`), never merged into another's.

`check_sql` writes the one query that checks and parses a table (a test keeps a snapshot of it)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from loaders.parse import (TIME_HINT, clean_sql, id_sql, instant_sql, int_bad_sql, int_sql, iso_input, local_date_sql,
                           quote_name, run_sql, sql_text, time_struct, utc_offsets)
from loaders.report import LoadError, Report, listed
from loaders.settings import ats_company_clients, canonical_stage_sql, get_client, match_key, match_key_sql
from loaders.staging import arrow_array, drop_staged
from loaders.template import KEYS, TEMPLATE, is_personal
from loaders.vendor_json import REJECT

# ---------------------------------------------------------------------------------------------
# Checking and storing one staged table.

# A staged table's row identity when several of its rows come from one row of the file (they share
# `__row`): a vendor module's rows (`formats._arrow_pieces`).
SEQ = "__seq"


def store_table(con, *, table: str, kind: str, file_id: int, report: Report, client_override: str | None,
                columns: list[str], source_names: dict | None = None,
                allowed_clients: set[str] | None = None) -> None:
    """Check, parse and store staged text table `table` as canonical `kind` rows.

    `columns` are the staged table's (normalised) column names; `source_names` gives, for a
    column a vendor shape renamed, the file's own header, which messages and rejected rows use.
    Raises LoadError when the table lacks a required column; row-level problems go to rejected_rows.
    With `allowed_clients`, a row of a client not among them is rejected as a client that does not exist.
    """
    named = source_names or {}
    spec = TEMPLATE[kind]
    names = {c.name for c in spec}
    report.dropped_columns = [c for c in columns if c not in names and is_personal(c)]
    missing = [c.name for c in spec if c.required and c.name not in columns]
    if "client" not in columns and not client_override:
        missing.insert(0, "client")
    if missing:
        where = f"{report.path}" + (f", sheet {report.sheet}" if report.sheet else "")
        raise LoadError(f"{where}: missing required column(s) {', '.join(missing)} for {kind} "
                        f"(found: {', '.join(columns) or 'no columns'}); see the import template "
                        f"in the README" + ("; or pass --client NAME" if "client" in missing else ""))
    params = {"override": client_override, "override_key": match_key(client_override or "")}
    # Resolve the file's client names once: most files name one client, which then becomes a
    # constant instead of a join per row; several clients join through a small map of their names.
    # With --client every row is that client's (a row naming another is rejected below).
    refs = [client_override] if client_override else [
        r[0] for r in run_sql(con, f"SELECT DISTINCT {client_sql(columns)} FROM (SELECT "
                                   f"{clean_sql(_src(columns, 'client'))} AS client FROM {table} s) s",
                              params).fetchall()]
    fields = ("client", "timezone", "date_order", "client_key")
    known = {ref: known_client(con, ref, allowed_clients) if ref is not None else None for ref in refs}
    zone = None   # the one time zone of every row, when the file is one client's
    if len(refs) == 1:
        settings = known[refs[0]] or {}
        zone = settings.get("timezone")
        params.update({f"c_{k}": settings.get(k) for k in fields})
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE __client_map (raw VARCHAR, client VARCHAR, timezone VARCHAR, "
                    "date_order VARCHAR, client_key VARCHAR)")
        if known:   # (none in a file without rows)
            con.executemany("INSERT INTO __client_map VALUES (?, ?, ?, ?, ?)",
                            [[ref] + [(settings or {}).get(f) for f in fields] for ref, settings in known.items()])
    seq = SEQ in [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]
    run_sql(con, check_sql(kind, table, columns, named=named, dropped=report.dropped_columns,
                           client_override=client_override, one_client=len(refs) == 1,
                           periods=utc_offsets(con, zone) if zone else None, seq=seq), params)
    # A key twice in one file is ambiguous: keep its first row, reject the others naming that row.
    # (A pass over the key hashes finds the few duplicates; a window over every row would cost far more.)
    keys = KEYS[kind]
    cols = ", ".join(("client",) + keys)
    on = " AND ".join(f"k.{c} IS NOT DISTINCT FROM d.{c}" for c in ("client",) + keys)
    # Find the hashes of the key that occur twice first (sorted: cheaper than grouping a million
    # distinct hashes), then compare the few candidates exactly.
    hashes = con.execute(f"SELECT hash({cols}) AS h FROM __checked WHERE __err IS NULL").fetchnumpy()["h"]
    hashes.sort()
    twice = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
    if len(twice):   # (handed over as an Arrow column: binding a list of many would cost seconds)
        con.register("__dup_hashes_arrow", pa.table([arrow_array(twice)], names=["h"]))
        con.execute("CREATE OR REPLACE TEMP TABLE __dup_hashes AS SELECT h FROM __dup_hashes_arrow")
        con.unregister("__dup_hashes_arrow")
        con.execute(f"""UPDATE __checked k
            SET __err = {sql_text(named.get(keys[0], keys[0]))} || chr(9) ||
                        {sql_text('duplicate ' + ' + '.join(named.get(k, k) for k in keys) + ' in this file; row ')}
                        || d.first_row || ' holds the same and was kept'
            FROM (SELECT {cols}, min(__row) AS first_row FROM __checked
                  WHERE __err IS NULL AND hash({cols}) IN (SELECT h FROM __dup_hashes)
                  GROUP BY ALL HAVING count(*) > 1) d
            WHERE k.__err IS NULL AND {on} AND k.__row <> d.first_row""")
    report.rows_read, report.rows_rejected, report.clients = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE __err IS NOT NULL), "
        "coalesce(list(DISTINCT client ORDER BY client) FILTER (WHERE client IS NOT NULL), []) FROM __checked"
    ).fetchall()[0]
    if report.rows_rejected:
        _keep_rejected(con, table, kind, file_id, report, columns, named, seq)
    report.rejected_sample = con.execute(
        "SELECT __row, split_part(__err, chr(9), 1), split_part(__err, chr(9), 2) FROM __checked "
        "WHERE __err IS NOT NULL ORDER BY __row LIMIT 5").fetchall()
    report.unmapped = _upsert(con, kind, file_id)
    report.rows_loaded = report.rows_read - report.rows_rejected


def _src(columns: list[str], col: str) -> str:
    """A column's clean value (see `check_sql`'s innermost query), or NULL when the file lacks it."""
    return f"s.{quote_name(col)}" if col in columns else "NULL::VARCHAR"


def client_sql(columns: list[str]) -> str:
    """Whose a row is, as the file says: its `client` value, else --client (`$override`)."""
    return f"coalesce({_src(columns, 'client')}, $override::VARCHAR)"


# Items of the statement's lists one per line, so that a change reads as a change of its lines.
_LIST = ",\n  "


def check_sql(kind: str, table: str, columns: list[str], *, named: dict | None = None, dropped=(),
              client_override: str | None = None, one_client: bool = True, periods: tuple | None = None,
              seq: bool = False) -> str:
    """The statement that checks and parses staged table `table` (text columns `columns`, and
    `__row`) as canonical `kind` rows into temp table `__checked`: each row's parsed values, its
    client, its extra columns as JSON, and `__err`, its first problem (`column<TAB>reason`) or NULL.

    `one_client`: every row is one client's, whose settings are the parameters `$c_client`,
    `$c_timezone`, `$c_date_order` and `$c_client_key`; else rows join `__client_map` (raw name ->
    settings). `periods`: the UTC offsets of that one client's zone (`parse.utc_offsets`), for fast
    local dates. `seq`: the staged table has `SEQ` (several rows per file row), which `__checked` keeps."""
    named = named or {}
    spec = TEMPLATE[kind]
    names = {c.name for c in spec}
    extras = [c for c in columns if c not in names and c not in ("client", REJECT) and c not in dropped]

    def src(col):
        return _src(columns, col)

    # Each column's clean value (trimmed, empty as NULL) is computed once, in the innermost query,
    # for every check and parser that reads it; extra columns are kept as the file wrote them.
    keep = ["s.__row"] + ([f"s.{SEQ}"] if seq else [])
    cleaned = keep + [f"{clean_sql('s.' + quote_name(c))} AS {quote_name(c)}" for c in columns
                      if c in names or c == "client"]
    cleaned += [f"s.{quote_name(e)}" for e in extras + [REJECT] if e in columns]
    client_ref = client_sql(columns)
    fields = ("client", "timezone", "date_order", "client_key")
    if one_client:
        c = {k: f"$c_{k}::VARCHAR" for k in fields}
        client_join = ""
    else:
        c = {k: f"c.{k}" for k in fields}
        client_join = f"LEFT JOIN __client_map c ON c.raw IS NOT DISTINCT FROM {client_ref}"
    sel = keep + [f"{c['client']} AS client", f"{c['timezone']} AS __tz"]
    errors = [
        f"CASE WHEN {client_ref} IS NULL THEN 'client' || chr(9) || 'client is empty; fill the client column or pass --client' "
        f"WHEN {c['client']} IS NULL THEN 'client' || chr(9) || 'unknown client ''' || {client_ref} || "
        f"'''; create it first with: python -m loaders client SETTINGS.toml' END",
    ]
    if REJECT in columns:   # a vendor module's own reason for a row it could not build (vendor_json.rejection)
        errors.insert(0, f"s.{REJECT}")   # first: it says more than the checks below (`assign_clients`)
    if client_override and "client" in columns:
        errors.append(
            f"CASE WHEN {src('client')} IS NOT NULL AND lower({src('client')}) <> $override_key "
            f"AND {match_key_sql(src('client'))} <> $override_key "
            f"THEN 'client' || chr(9) || 'row is for client ''' || {src('client')} || ''', but --client is ' "
            f"|| $override END")
    isos = []   # ISO casts computed once per value in an inner query (see iso_input)
    for col in spec:
        x = src(col.name)
        label = sql_text(named.get(col.name, col.name))
        if col.required:
            errors.append(f"CASE WHEN {x} IS NULL THEN {label} || chr(9) || "
                          f"'required value is empty' END")
        if col.kind in ("time", "date"):
            if col.name in columns:
                isos.append(iso_input(x, col.name))
                parsed = time_struct(x, col.name, c["date_order"])
            else:
                parsed = "{'d': NULL::DATE, 't': NULL::TIMESTAMP, 'bad': false}"
            sel += [f"{parsed} AS __p_{col.name}", f"{x} AS __raw_{col.name}"]
            errors.append(f"CASE WHEN __p_{col.name}.bad THEN {label} || chr(9) || 'could not read ''' || "
                          f"__raw_{col.name} || ''' as a date or time ({TIME_HINT})' END")
        elif col.kind == "int":
            sel.append(f"{int_sql(x)} AS {col.name}")
            errors.append(f"CASE WHEN {int_bad_sql(x)} THEN {label} || chr(9) || 'expected a whole number, "
                          f"got ''' || {x} || '''' END")
        elif col.kind == "id":
            sel.append(f"{id_sql(x)} AS {col.name}")
        elif col.kind == "side":
            sel.append(f"lower({x}) AS {col.name}")
            errors.append(f"CASE WHEN lower({x}) NOT IN ('rpo', 'client') THEN {label} || chr(9) || "
                          f"'side must be rpo or client (empty counts as rpo), got ''' || {x} || '''' END")
        elif col.kind == "lower":
            sel.append(f"lower({x}) AS {col.name}")
        else:
            sel.append(f"{x} AS {col.name}")
    if extras:
        sel.append("json_object(" + ", ".join(f"{sql_text(e)}, s.{quote_name(e)}" for e in extras) + ") AS extra")
    else:
        sel.append("NULL::JSON AS extra")
    # Errors that depend on parsed values are evaluated in a second step (they refer to __p_ columns).
    row_errors = [e for e in errors if "__p_" not in e]
    parse_errors = [e for e in errors if "__p_" in e]
    final, micros = [], []   # micros: each instant as an integer, for the offset periods' search
    for col in spec:
        p = "__p_" + col.name
        if col.kind in ("time", "date") and periods:
            micros.append(f"epoch_us({p}.t) AS __u_{col.name}")
        local = local_date_sql(p, "__tz", periods, f"__u_{col.name}" if periods else None)
        if col.kind == "time":
            final += [f"{instant_sql(p, '__tz')} AS {col.name}", f"{local} AS {col.name.removesuffix('_at')}_on"]
        elif col.kind == "date":
            final.append(f"{local} AS {col.name}")
        else:
            final.append(col.name)
    err = f"coalesce(__err0, {_LIST.join(parse_errors)})" if parse_errors else "__err0"
    # One pass, as nested queries, each computing what the next reads once per row: clean values,
    # ISO casts, parsed values and row errors, instants as integers, then final values and the
    # first problem of each row.
    query = f"SELECT {_LIST.join(cleaned)} FROM {table} s"
    if isos:
        query = f"SELECT s.*, {_LIST.join(isos)} FROM ({query}) s"
    query = f"SELECT {_LIST.join(sel)}, coalesce({_LIST.join(row_errors)}) AS __err0 FROM ({query}) s {client_join}"
    if micros:
        query = f"SELECT *, {_LIST.join(micros)} FROM ({query})"
    first = ["__row"] + ([SEQ] if seq else []) + ["client"]
    return (f"CREATE OR REPLACE TEMP TABLE __checked AS\n"
            f"SELECT {_LIST.join(first + final + ['extra', f'{err} AS __err'])}\nFROM ({query})")


def _keep_rejected(con, table, kind, file_id, report, columns, named, seq: bool = False) -> None:
    """Store each rejected row with its raw values (personal data excluded), file, sheet, row,
    column and reason. Several staged rows from one file row (`seq`) keep their own values."""
    on = f"s.{SEQ} = k.{SEQ}" if seq else "s.__row = k.__row"
    con.execute(f"""INSERT INTO rejected_rows
        SELECT ?, k.client, ?, ?, ?, k.__row, split_part(k.__err, chr(9), 1), split_part(k.__err, chr(9), 2),
               json_object({', '.join(f"{sql_text(named.get(c, c))}, s.{quote_name(c)}" for c in columns
                                      if c not in report.dropped_columns and c != REJECT)})
        FROM __checked k JOIN {table} s ON {on}
        WHERE k.__err IS NOT NULL""", [file_id, Path(report.path).name, report.sheet, kind])



def _upsert(con, kind: str, file_id: int) -> list[tuple[str, int]]:
    """Replace stored rows with the same key by the file's good rows (domain.md's loading rules).

    Returns the stage words the client's dictionary does not map, with their event counts."""
    target_cols = [r[0] for r in con.execute(f"DESCRIBE {kind}").fetchall()]
    new = "(SELECT * FROM __checked WHERE __err IS NULL)"
    if kind == "requisitions":
        # A reopened requisition keeps its first start: when the stored row opened earlier, its
        # opened and assigned dates (together, the start) win over the newer export's.
        keep = [f"CASE WHEN o.opened_at < n.opened_at THEN o.{c} ELSE n.{c} END AS {c}"
                for c in ("opened_at", "opened_on", "assigned_at", "assigned_on")]
        con.execute(f"""CREATE OR REPLACE TEMP TABLE __reqs AS
            SELECT n.* REPLACE ({', '.join(keep)})
            FROM {new} n LEFT JOIN requisitions o USING (client, requisition_id)""")
        new = "__reqs"
    # The stored rows with the same key are the ones the newer export carries; a stage event's key
    # is its application, the client's stage word and its time (stored as raw_stage).
    keys = ("client",) + KEYS[kind]
    on = " AND ".join(f"{kind}.{'raw_stage' if kind == 'stage_events' and c == 'stage' else c} = n.{c}"
                      for c in keys)
    if con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {kind} WHERE client IN (SELECT client FROM {new}) LIMIT 1)"
                   ).fetchall()[0][0]:  # nothing stored yet for these clients: nothing to replace
        con.execute(f"DELETE FROM {kind} USING (SELECT DISTINCT {', '.join(keys)} FROM {new}) n WHERE {on}")
    values = {"file_id": str(int(file_id)), "source_row": "n.__row"}
    join = ""
    if kind == "stage_events":
        # Resolve each distinct stage word once, then join on the word itself (a file has few).
        con.execute(f"""CREATE OR REPLACE TEMP TABLE __stage_map AS
            SELECT w.client, w.stage AS raw, w.events, {canonical_stage_sql('w.stage', 'd.stage')} AS stage
            FROM (SELECT client, stage, count(*) AS events FROM {new} GROUP BY ALL) w
            LEFT JOIN stage_dictionary d ON d.client = w.client AND d.raw_key = {match_key_sql('w.stage')}""")
        join = "LEFT JOIN __stage_map d ON d.client = n.client AND d.raw = n.stage"
        values.update(raw_stage="n.stage", stage="d.stage")
    select = ", ".join(values.get(c, f"n.{c}") for c in target_cols)
    con.execute(f"INSERT INTO {kind} ({', '.join(target_cols)}) SELECT {select} FROM {new} n {join}")
    if kind == "stage_events":
        return con.execute("SELECT raw, events FROM __stage_map WHERE stage IS NULL "
                           "ORDER BY events DESC, raw").fetchall()
    return []


# The column that says whose rows a file holds.
OWNER_COLUMNS = ("client",)
# Columns that name the ATS company a row is of instead (Bullhorn's client corporation): a client's
# `ats_companies` setting says which client that is (`assign_clients`).
COMPANY_COLUMNS = ("client_corporation_id", "client_corporation")

def known_client(con, name: str, allowed_clients: set[str] | None = None) -> dict | None:
    """The stored settings of client `name` (any spelling `get_client` matches), or None when there
    is no such client, or when `allowed_clients` (display names) is given and it is not among them:
    a client outside the uploader's scope is indistinguishable from one that does not exist."""
    found = get_client(con, name)
    return found if found and (allowed_clients is None or found["client"] in allowed_clients) else None


def check_owner(con, table: str, cols: list[str], client: str, where: str,
                 allowed_clients: set[str] | None = None) -> None:
    """Refuse a file that is another client's export although `--client` names this one: no row is
    this client's and some are another's (the template's `client`, or the client of the rows' ATS
    company: see `assign_clients`)."""
    for col in (c for c in OWNER_COLUMNS if c in cols):
        names = [r[0] for r in con.execute(f"SELECT DISTINCT trim({quote_name(col)}) FROM {table} "
                                           f"WHERE nullif(trim({quote_name(col)}), '') IS NOT NULL ORDER BY 1").fetchall()]
        if not names or any(match_key(n) == match_key(client) for n in names):
            continue
        others = [n for n in names if known_client(con, n, allowed_clients)]
        raise LoadError(f"{where}: this is an export of {listed(others or names)}, not of {client!r} (--client); "
                        f"nothing was loaded. Load it with --client {(others or names)[0]!r}, or pick the right file")


# Where the client of a row naming no ATS company is found when no file beside it names one: the
# stored row it points at (a submission's job order; an event's submission), and what that row is.
_PARENTS = {"applications": ("requisition_id", "requisitions", "job order"),
            "stage_events": ("application_id", "applications", "submission")}
# How a row of another client's is loaded, on the Upload page (which always names a client) and
# on the command line.
_LOAD_AS = ("(on the Upload page, choose {owner}; on the command line, leave out --client to split the file across "
            "its clients)")


def _company_label(company_id: str | None, company: str | None) -> str:
    return f"{company!r} (id {company_id})" if company and company_id else repr(company) if company else \
        f"id {company_id!r}"


def assign_clients(con, table: str, cols: list[str], kind: str, client: str | None,
                   allowed_clients: set[str] | None, names: dict) -> tuple[str, list[str], list[str]]:
    """Give each row of a file that names ATS companies (`COMPANY_COLUMNS`) instead of clients its
    client, so that an export of several companies is split across the clients they are, never
    merged into one:

    - a row's company is the client whose `ats_companies` setting lists the company's id or name,
      else the client named like it; the rows of a company that is no client (or a client outside
      `allowed_clients`) are rejected, naming the company; with `client` (--client), so are the rows
      of another client's company, naming the company and its client (without --client they load
      as that client's);
    - a row naming no company is the client of the stored row it points at (`_PARENTS`, looked up
      across all clients), else `client`'s; without either it is rejected, saying why. With
      `client`, a row pointing at another client's stored row is rejected, naming that client, or
      only as "another client's" when it is outside `allowed_clients` (as `known_client` hides it).
    Returns the new staged table (with `client` and `REJECT` columns), its columns and notes for the
    load report."""
    owners = {k: c for k, c in ats_company_clients(con).items() if allowed_clients is None or c in allowed_clients}
    clients = {match_key(c): c for (c,) in con.execute("SELECT client FROM clients").fetchall()
               if allowed_clients is None or c in allowed_clients}

    def value(col):   # a staged column's clean value, or NULL when the file lacks it
        return f"nullif(trim(s.{quote_name(col)}), '')" if col in cols else "NULL::VARCHAR"

    cid, cname = (value(c) for c in COMPANY_COLUMNS)
    company_col = names.get(COMPANY_COLUMNS[1], COMPANY_COLUMNS[1])
    rows, nobody, theirs = [], [], []
    for company_id, company in con.execute(f"SELECT DISTINCT {cid}, {cname} FROM {table} s "
                                           f"WHERE {cid} IS NOT NULL OR {cname} IS NOT NULL ORDER BY 2, 1").fetchall():
        owner = next((owners[match_key(x)] for x in (company_id, company) if x and match_key(x) in owners),
                     clients.get(match_key(company or "")))
        label, reason = _company_label(company_id, company), None
        if owner is None:
            nobody.append(label)
            reason = (f"client corporation {label} is no client here: name it in its client's `ats_companies` "
                      "setting (if it is none of yours, leave it out); its rows are not loaded")
        elif client and owner != client:
            theirs.append(f"{label} ({owner})")
            reason = (f"client corporation {label} is client {owner!r}'s, not {client!r}'s: load its rows as "
                      f"{owner}'s " + _LOAD_AS.format(owner=owner))
        rows.append([company_id, company, owner, reason and f"{company_col}\t{reason}"])
    con.execute("CREATE OR REPLACE TEMP TABLE __companies (cid VARCHAR, cname VARCHAR, owner VARCHAR, reason VARCHAR)")
    if rows:
        con.executemany("INSERT INTO __companies VALUES (?, ?, ?, ?)", rows)
    params: dict = {"client": client}
    parent_col, parent_table, noun = _PARENTS.get(kind, (None, None, None))
    if parent_col in cols:
        # The stored rows the file's rows point at, of every client: a row pointing at another client's
        # is that client's (rejected when it is not `client`'s), never `client`'s for want of seeing it.
        # `seen`: those of the clients in the uploader's scope, the only clients a message names.
        parent, field = id_sql(value(parent_col)), sql_text(names.get(parent_col, parent_col))
        params["scope"] = sorted(allowed_clients) if allowed_clients is not None else None
        named = "array_to_string(list_transform(p.seen, lambda c: '''' || c || ''''), ', ')"
        its = f"'its ' || {field} || ' ''' || p.id || ''' '"
        load_as = sql_text(_LOAD_AS)
        run_sql(con, f"""CREATE OR REPLACE TEMP TABLE __parents AS
            SELECT p.id,
                   CASE WHEN list_contains(p.clients, $client::VARCHAR) THEN $client::VARCHAR
                        WHEN len(p.seen) = 1 THEN p.seen[1] END AS owner,
                   {field} || chr(9) || CASE
                     WHEN list_contains(p.clients, $client::VARCHAR) THEN NULL
                     WHEN len(p.seen) = 0 THEN {sql_text(f"it belongs to another client's {noun} (its ")} || {field}
                          || ' ''' || p.id || {sql_text("'); it is not loaded")}
                     WHEN $client::VARCHAR IS NULL AND len(p.seen) = 1 THEN NULL
                     WHEN $client::VARCHAR IS NULL THEN {its} || 'is loaded for several clients (' || {named}
                          || '): pass --client'
                     WHEN len(p.seen) = 1 THEN {its} || 'is client ''' || p.seen[1] || {sql_text(f"''s {noun}, not ")}
                          || {sql_text(f"{client!r}'s: load the row as ")} || p.seen[1] || '''s '
                          || replace({load_as}, '{{owner}}', p.seen[1])
                     ELSE {its} || {sql_text(f"is a {noun} of the clients ")} || {named}
                          || {sql_text(f", not of {client!r}: load the row as its client's ")}
                          || replace({load_as}, '{{owner}}', 'that client')
                   END AS reason
            FROM (SELECT p.*, list_filter(p.clients, lambda c: $scope::VARCHAR[] IS NULL
                                                            OR list_contains($scope::VARCHAR[], c)) AS seen
                  FROM (SELECT {parent_col} AS id, list(DISTINCT client ORDER BY client) AS clients
                        FROM {parent_table} WHERE {parent_col} IN (SELECT {parent} FROM {table} s) GROUP BY 1) p) p""",
                params)
        join = f"LEFT JOIN __parents p ON p.id = {parent}"
        without = ("CASE WHEN p.id IS NULL THEN $client::VARCHAR ELSE p.owner END",
                   f"CASE WHEN p.id IS NOT NULL THEN p.reason WHEN $client::VARCHAR IS NULL THEN {field} || chr(9) || "
                   f"'no client corporation says whose row this is: its ' || {field} || ' ''' || coalesce({parent}, '') "
                   f"|| ''' is in no file beside this one and was not loaded before; load them together, or pass "
                   f"--client' END")
    else:
        join = ""
        without = ("$client", f"CASE WHEN $client IS NULL THEN {sql_text(company_col)} || chr(9) || "
                              "'no client corporation says whose row this is: pass --client' END")
    earlier = f"s.{REJECT}" if REJECT in cols else "NULL::VARCHAR"
    has_company = f"({cid} IS NOT NULL OR {cname} IS NOT NULL)"
    run_sql(con, f"""CREATE OR REPLACE TEMP TABLE __owned AS
        SELECT s.*{f' EXCLUDE ({REJECT})' if REJECT in cols else ''},
               CASE WHEN {has_company} THEN c.owner ELSE {without[0]} END AS client,
               coalesce({earlier}, CASE WHEN {has_company} THEN c.reason ELSE {without[1]} END) AS {REJECT}
        FROM {table} s
        LEFT JOIN __companies c ON c.cid IS NOT DISTINCT FROM {cid} AND c.cname IS NOT DISTINCT FROM {cname}
        {join}""", params)
    drop_staged(con, table, "__companies", "__parents")
    notes = []
    if nobody:
        notes.append(f"rows of client corporation(s) {listed(nobody)} rejected: no client here is that company "
                     "(a client's `ats_companies` setting names its companies)")
    if theirs:
        notes.append(f"rows of client corporation(s) {listed(theirs)} rejected: they are other clients', not "
                     f"{client!r}'s; load them as their clients' " + _LOAD_AS.format(owner="their client"))
    split = [c for (c,) in con.execute("SELECT DISTINCT client FROM __owned WHERE client IS NOT NULL AND "
                                       f"{REJECT} IS NULL ORDER BY 1").fetchall()]
    if len(split) > 1:
        notes.append(f"split by client corporation across the clients {listed(split)}")
    return "__owned", [c for c in cols if c != REJECT] + ["client", REJECT], notes
