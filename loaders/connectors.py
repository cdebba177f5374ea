"""Exports that reach us through a data connector rather than from the ATS itself.

Two families:

**Warehouse tables** (Fivetran, Airbyte, Greenhouse's BI Connector): one table per vendor object,
saved as CSV or Parquet files named after the table, with the connector's own columns beside the
vendor's (`_fivetran_synced`, `_fivetran_deleted`). Each table is a small declarative `Table`: the
headers that recognise it (by content, not name), the template table it fills, the sibling tables
it reads, and the SQL that maps its columns. A file loads by itself with what it needs from beside
it, the way Lever's JSON lookups work; a lookup table alone is "read with the file that needs it".
Rules every table follows:
- a row the connector marks deleted (`_fivetran_deleted` true, Airbyte's `_ab_cdc_deleted_at`,
  Greenhouse's own `is_deleted`) is not data: it is skipped and counted in the report. Deleted rows
  of a link table (`job_department`, `hiring_team`, ...) are links that no longer hold. Names are
  still taken from deleted name rows (a stage removed from a job still names the history that
  entered it);
- personal columns (the candidate's `name`, e-mails) are never selected, and the report says so.

Greenhouse (Fivetran's schema, as in its dbt package `fivetran/dbt_greenhouse_source`):
- `job` -> requisitions: `opened_at` (a 2024 column) else `created_at`; `closed_at`, and a closed job
  without one ends at its `updated_at` (else it would await a first submittal forever); department
  from `job_department` + `department` (the first listed); hiring manager and recruiter from
  `hiring_team` (`role` hiring_managers / recruiters; the member marked `responsible` first, when
  the table has that column) named by `users` (or `user`), else by user id.
- `application` -> applications: requisition from `job_application` (required), source named by
  `source` when beside it; prospects are skipped and counted, as in Harvest.
- `application_history` (+ `job_stage`) -> stage events: `shapes.GREENHOUSE_HISTORY`.
- `scheduled_interview` -> an `interviewed` event at its `start`, only for applications that have
  no `application_history` rows: where the history exists it already says when the application
  reached its interview stages, and an interview from another source would move that date.
- `offer` -> an `offered` event per application at its earliest offer's `sent_at` (else
  `created_at`): an offer is a dated fact the stage history may lack (offers are often made
  without moving the application into an "Offer" stage); superseded (`deprecated`) versions count
  too, since an earlier version was an offer made then.

Lever (Fivetran's schema, `fivetran/dbt_lever_source`), the same rules as `lever.py`'s JSON:
- `posting` -> requisitions (department `categories_department` else `categories_team`; a closed
  or archived posting ends at `updated_at`; recruiter = `owner_id`, hiring manager from the linked
  `requisition` (`requisition_posting`) else the applications' `posting_hiring_manager_id`, named
  by `user`/`users`);
- `opportunity` -> applications (posting from `application`, required) and, for an archived one, an
  event named by the `archive_reason` text at `archived_at`;
- `opportunity_stage_history` -> stage events named by `stage`.

**Record streams** (JSON Lines): Airbyte's messages `{"type": "RECORD", "record": {"stream", "data",
"emitted_at"}}` (and the bare `{"stream", "data"}` records of its test files) and Singer's
`{"type": "RECORD", "stream", "record"}`; SCHEMA, STATE and LOG messages are skipped. Records are
grouped by stream and handed to the vendor's JSON code: Airbyte's source-greenhouse streams
(`jobs`, `applications`, Harvest objects) to `harvest.py`, plus its `interviews` /
`applications_interviews` and `offers` as interviewed and offered events (Harvest v1 holds no
stage history, so nothing covers them); source-lever-hiring streams (`opportunities`,
`applications`, `postings`, `stages`, `archive_reasons`) to `lever.py`, its lookups taken from the
same file's streams. Row numbers are the file's line numbers.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyarrow as pa

from loaders import harvest, lever
from loaders.shapes import ShapeError
from loaders.template import is_personal, unique_headers
from loaders.vendor_json import JsonError, text_table

PARQUET = ".parquet"


# ---------------------------------------------------------------------------------------------
# Warehouse tables.

@dataclass(frozen=True)
class Table:
    """One connector table: how to recognise it and what it becomes."""
    vendor: str                    # the --format that reads it
    name: str                      # the connector's table name (its file is named after it)
    signature: tuple[str, ...]     # normalised headers that identify it (all present)
    kind: str | None = None        # the template table it fills (None: a lookup)
    needs: tuple[str, ...] = ()    # sibling tables it cannot do without
    uses: tuple[str, ...] = ()     # sibling tables it reads when present
    build: Callable | None = None  # (Sql) -> [(kind, select, source_names)]
    aliases: tuple[str, ...] = ()  # other file names for the same table (Fivetran renamed user to users)

    @property
    def label(self) -> str:
        return f"{'Greenhouse' if self.vendor == 'greenhouse' else 'Lever'} connector {self.name}"


@dataclass
class Sql:
    """The staged tables a `Table.build` reads: their SQL names and columns."""
    tables: dict          # connector table name -> staged table
    columns: dict         # connector table name -> its normalised columns
    notes: list = field(default_factory=list)

    def has(self, table: str, column: str | None = None) -> bool:
        return table in self.tables and (column is None or column in self.columns[table])

    def col(self, table: str, column: str, alias: str) -> str:
        """`alias.column` when the staged table has it, else NULL (older syncs lack newer columns)."""
        return f'{alias}."{column}"' if self.has(table, column) else "NULL::VARCHAR"

    def deleted(self, table: str, alias: str) -> str:
        """SQL: whether a row is one the connector marks deleted."""
        flags = [f"lower(trim({self.col(table, c, alias)})) IN ('true', 't', '1')"
                 for c in ("fivetran_deleted", "is_deleted") if self.has(table, c)]
        if self.has(table, "ab_cdc_deleted_at"):
            flags.append(f"nullif(trim({alias}.ab_cdc_deleted_at), '') IS NOT NULL")
        return "coalesce(" + " OR ".join(flags) + ", false)" if flags else "false"

    def user_name(self, alias: str) -> str:
        """A user's name from `users` (Greenhouse: first and last name; Lever: name), else its id."""
        t = "users"
        parts = [f"nullif(trim(concat_ws(' ', {self.col(t, 'first_name', alias)}, {self.col(t, 'last_name', alias)})), '')",
                 f"nullif(trim({self.col(t, 'name', alias)}), '')"]
        return f"coalesce({', '.join(parts)})"

    def named_user(self, id_sql: str, alias: str) -> tuple[str, str]:
        """(a join naming user `id_sql` as `alias`.name, the name or the id itself)."""
        if not self.has("users"):
            return "", id_sql
        return (f"LEFT JOIN (SELECT trim(id) AS id, {self.user_name('u')} AS name FROM {self.tables['users']} u) {alias} "
                f"ON {alias}.id = trim({id_sql})", f"coalesce({alias}.name, {id_sql})")


def _t(x: str) -> str:
    return f"nullif(trim({x}), '')"


# -- Greenhouse ---------------------------------------------------------------------------------

def _gh_job(s: Sql):
    j, t = s.tables["job"], "job"
    joins = []
    dept = "NULL::VARCHAR"
    if s.has("job_department") and s.has("department"):
        joins.append(f"""LEFT JOIN (SELECT trim(jd.job_id) AS job_id, arg_min(d.name, jd.__row) AS name
                    FROM {s.tables['job_department']} jd JOIN {s.tables['department']} d ON trim(d.id) = trim(jd.department_id)
                    WHERE NOT {s.deleted('job_department', 'jd')} GROUP BY ALL) dep ON dep.job_id = trim(j.id)""")
        dept = "dep.name"
    people = {}
    if s.has("hiring_team"):
        # The member marked responsible first (when the table says so), then the first listed.
        first = f"(NOT coalesce(lower(trim({s.col('hiring_team', 'responsible', 'h')})) IN ('true', 't', '1'), false), h.__row)"
        for role, alias in (("hiring_managers", "hm"), ("recruiters", "rc")):
            joins.append(f"""LEFT JOIN (SELECT trim(h.job_id) AS job_id, arg_min(trim(h.user_id), {first}) AS user_id
                        FROM {s.tables['hiring_team']} h WHERE lower(trim(h.role)) = '{role}'
                        AND NOT {s.deleted('hiring_team', 'h')} GROUP BY ALL) {alias} ON {alias}.job_id = trim(j.id)""")
            join, name = s.named_user(f"{alias}.user_id", f"{alias}_u")
            joins.append(join)
            people[alias] = name
    closed = (f"coalesce({_t('j.closed_at')}, CASE WHEN lower(trim(j.status)) = 'closed' "
              f"THEN {_t(s.col(t, 'updated_at', 'j'))} END)")
    select = f"""SELECT j.__row, j.id AS requisition_id, j.name AS title, {dept} AS department,
                    {people.get('hm', 'NULL::VARCHAR')} AS hiring_manager, {people.get('rc', 'NULL::VARCHAR')} AS recruiter,
                    coalesce({_t(s.col(t, 'opened_at', 'j'))}, j.created_at) AS opened_at, {closed} AS closed_at,
                    j.status, {s.col(t, 'requisition_id', 'j')} AS requisition_code
                 FROM {j} j {' '.join(joins)} WHERE NOT {s.deleted(t, 'j')}"""
    return [("requisitions", select, {"requisition_id": "id", "title": "name", "opened_at": "opened_at / created_at",
                                       "closed_at": "closed_at / updated_at"})]


def _gh_application(s: Sql):
    a, t = s.tables["application"], "application"
    prospect = f"lower(trim({s.col(t, 'prospect', 'a')})) IN ('true', 't', '1')"
    source = "a.source_id"
    join = ""
    if s.has("source", "name"):
        join = f"LEFT JOIN {s.tables['source']} src ON trim(src.id) = trim(a.source_id)"
        source = "coalesce(src.name, a.source_id)"
    select = f"""SELECT a.__row, a.id AS application_id, ja.job_id AS requisition_id, a.candidate_id,
                    {source} AS source, a.applied_at,
                    CASE WHEN lower(trim(a.status)) = 'in_process' THEN 'active' ELSE a.status END AS status
                 FROM {a} a
                 LEFT JOIN (SELECT trim(application_id) AS application_id, arg_min(job_id, __row) AS job_id
                            FROM {s.tables['job_application']} x WHERE NOT {s.deleted('job_application', 'x')}
                            GROUP BY ALL) ja ON ja.application_id = trim(a.id)
                 {join}
                 WHERE NOT {s.deleted(t, 'a')} AND NOT coalesce({prospect}, false)"""
    s.notes.append(("prospects", f"SELECT count(*) FROM {a} a WHERE NOT {s.deleted(t, 'a')} AND {prospect}",
                    "{} prospect(s) skipped: not applications to a requisition"))
    return [("applications", select, {"application_id": "id", "requisition_id": "job_application.job_id",
                                       "source": "source_id"})]


def _gh_interviews(s: Sql):
    i, t = s.tables["scheduled_interview"], "scheduled_interview"
    start = 'i."start"'   # (a keyword in SQL)
    live = f"NOT {s.deleted(t, 'i')} AND {_t(start)} IS NOT NULL"
    covered = "false"
    if s.has("application_history"):
        covered = (f"trim(i.application_id) IN (SELECT trim(application_id) FROM {s.tables['application_history']})")
        s.notes.append(("covered", f"SELECT count(*) FROM {i} i WHERE {live} AND {covered}",
                        "{} scheduled interview(s) of applications with an application_history not loaded: "
                        "their history says when they reached each stage"))
    # Two interviews of one application at the same time (a panel) are one event.
    select = f"""SELECT min(i.__row) AS __row, trim(i.application_id) AS application_id, 'interviewed' AS stage,
                    trim({start}) AS entered_at, list(trim(i.id) ORDER BY i.__row)[1] AS scheduled_interview_id
                 FROM {i} i WHERE {live} AND NOT {covered} GROUP BY ALL"""
    return [("stage_events", select, {"application_id": "application_id", "entered_at": "start"})]


def _gh_offers(s: Sql):
    o, t = s.tables["offer"], "offer"
    when = f"coalesce({_t(s.col(t, 'sent_at', 'o'))}, {_t(s.col(t, 'created_at', 'o'))})"
    select = f"""SELECT arg_min(o.__row, {when}) AS __row, trim(o.application_id) AS application_id, 'offered' AS stage,
                    min({when}) AS entered_at, arg_min(trim(o.id), {when}) AS offer_id
                 FROM {o} o WHERE NOT {s.deleted(t, 'o')} AND {when} IS NOT NULL GROUP BY ALL"""
    return [("stage_events", select, {"application_id": "application_id", "entered_at": "sent_at / created_at"})]


# -- Lever --------------------------------------------------------------------------------------

def _lv_posting(s: Sql):
    p, t = s.tables["posting"], "posting"
    joins, hm = [], []
    if s.has("requisition") and s.has("requisition_posting"):
        joins.append(f"""LEFT JOIN (SELECT trim(rp.posting_id) AS posting_id, arg_min(r.hiring_manager_id, rp.__row) AS hm,
                        arg_min(r.requisition_code, rp.__row) AS code
                    FROM {s.tables['requisition_posting']} rp JOIN {s.tables['requisition']} r ON trim(r.id) = trim(rp.requisition_id)
                    WHERE NOT {s.deleted('requisition_posting', 'rp')} AND NOT {s.deleted('requisition', 'r')}
                    GROUP BY ALL) req ON req.posting_id = trim(p.id)""")
        hm.append(_t("req.hm"))
    if s.has("application", "posting_hiring_manager_id"):
        joins.append(f"""LEFT JOIN (SELECT trim(posting_id) AS posting_id, arg_min(posting_hiring_manager_id, __row) AS hm
                    FROM {s.tables['application']} WHERE {_t('posting_hiring_manager_id')} IS NOT NULL
                    GROUP BY ALL) app ON app.posting_id = trim(p.id)""")
        hm.append(_t("app.hm"))
    hm_id = f"coalesce({', '.join(hm)})" if hm else "NULL::VARCHAR"
    join, hm_name = s.named_user(hm_id, "hm_u")
    joins.append(join)
    join, owner = s.named_user(s.col(t, "owner_id", "p"), "ow_u")
    joins.append(join)
    code = f"coalesce({_t(s.col(t, 'requisition_code', 'p'))}, {'req.code' if 'req.hm' in hm_id else 'NULL'})"
    closed = (f"CASE WHEN lower(trim(p.state)) IN {lever.CLOSED_STATES} THEN {_t(s.col(t, 'updated_at', 'p'))} END")
    select = f"""SELECT p.__row, p.id AS requisition_id, p.text AS title,
                    coalesce({_t(s.col(t, 'categories_department', 'p'))}, {_t(s.col(t, 'categories_team', 'p'))}) AS department,
                    {hm_name} AS hiring_manager, {owner} AS recruiter, p.created_at AS opened_at, {closed} AS closed_at,
                    p.state AS status, {code} AS requisition_code
                 FROM {p} p {' '.join(joins)} WHERE NOT {s.deleted(t, 'p')}"""
    return [("requisitions", select, {"requisition_id": "id", "title": "text", "department": "categories_department",
                                       "opened_at": "created_at", "closed_at": "updated_at", "status": "state"})]


def _lv_opportunity(s: Sql):
    o, t = s.tables["opportunity"], "opportunity"
    apps = f"""SELECT o.__row, o.id AS application_id, a.posting_id AS requisition_id, o.contact AS candidate_id,
                  o.origin AS source, o.created_at AS applied_at
               FROM {o} o LEFT JOIN (SELECT trim(opportunity_id) AS opportunity_id, arg_min(posting_id, __row) AS posting_id
                                     FROM {s.tables['application']} GROUP BY ALL) a ON a.opportunity_id = trim(o.id)
               WHERE NOT {s.deleted(t, 'o')}"""
    events = f"""SELECT o.__row, o.id AS application_id, coalesce(r.text, o.archived_reason_id) AS stage,
                    o.archived_at AS entered_at
                 FROM {o} o LEFT JOIN {s.tables['archive_reason']} r ON trim(r.id) = trim(o.archived_reason_id)
                 WHERE NOT {s.deleted(t, 'o')} AND {_t('o.archived_at')} IS NOT NULL"""
    return [("applications", apps, {"application_id": "id", "requisition_id": "application.posting_id",
                                     "candidate_id": "contact", "source": "origin", "applied_at": "created_at"}),
            ("stage_events", events, {"application_id": "id", "stage": "archived_reason_id",
                                       "entered_at": "archived_at"})]


def _lv_history(s: Sql):
    h = s.tables["opportunity_stage_history"]
    select = f"""SELECT h.__row, h.opportunity_id AS application_id, coalesce(st.text, h.stage_id) AS stage,
                    h.updated_at AS entered_at, h.stage_id
                 FROM {h} h LEFT JOIN {s.tables['stage']} st ON trim(st.id) = trim(h.stage_id)"""
    return [("stage_events", select, {"application_id": "opportunity_id", "stage": "stage_id",
                                       "entered_at": "updated_at"})]


TABLES = (
    # Greenhouse
    Table("greenhouse", "job", ("id", "name", "status", "created_at", "closed_at", "confidential"), "requisitions",
          uses=("job_department", "department", "hiring_team", "users"), build=_gh_job),
    Table("greenhouse", "application", ("id", "candidate_id", "applied_at", "current_stage_id", "prospect", "status"),
          "applications", needs=("job_application",), uses=("source",), build=_gh_application),
    Table("greenhouse", "scheduled_interview", ("id", "application_id", "start", "interview_id", "status"),
          "stage_events", uses=("application_history",), build=_gh_interviews),
    Table("greenhouse", "offer", ("id", "application_id", "status", "sent_at", "starts_at"), "stage_events",
          build=_gh_offers),
    Table("greenhouse", "job_application", ("application_id", "job_id")),
    Table("greenhouse", "job_department", ("department_id", "job_id")),
    Table("greenhouse", "department", ("id", "name", "parent_id")),
    Table("greenhouse", "hiring_team", ("job_id", "role", "user_id")),
    Table("greenhouse", "users", ("id", "first_name", "last_name", "site_admin"), aliases=("user",)),
    Table("greenhouse", "source", ("id", "name", "source_type_id")),
    # Lever
    Table("lever", "posting", ("id", "text", "state", "categories_team", "created_at"), "requisitions",
          uses=("requisition", "requisition_posting", "application", "users"), build=_lv_posting),
    Table("lever", "opportunity", ("id", "contact", "origin", "stage_id", "archived_reason_id", "archived_at"),
          "applications", needs=("application", "archive_reason"), build=_lv_opportunity),
    Table("lever", "opportunity_stage_history", ("opportunity_id", "stage_id", "updated_at"), "stage_events",
          needs=("stage",), build=_lv_history),
    Table("lever", "application", ("id", "opportunity_id", "posting_id")),
    Table("lever", "requisition", ("id", "requisition_code", "hiring_manager_id", "headcount_total")),
    Table("lever", "requisition_posting", ("posting_id", "requisition_id")),
    Table("lever", "users", ("id", "name", "access_role"), aliases=("user",)),
    # Read by name only: both are (id, text).
    Table("lever", "stage", ("id", "text")),
    Table("lever", "archive_reason", ("id", "text")),
)
# A sibling table the Greenhouse loaders read that is another module's shape.
_HISTORY = Table("greenhouse", "application_history", ("application_id", "updated_at", "new_stage_id", "new_status"))


def detect(headers: list[str], fmt: str, name: str = "") -> Table | None:
    """The connector table a file holds, by its headers; tables that share their headers (Lever's
    `stage` and `archive_reason`, both `id, text`) by the file's name as well."""
    hs = set(headers)
    fits = [t for t in TABLES if fmt in ("auto", t.vendor) and set(t.signature) <= hs]
    if len(fits) > 1:
        named = [t for t in fits if _stem(name) in (t.name, *t.aliases)]
        fits = named or [t for t in fits if len(t.signature) == max(len(f.signature) for f in fits)]
    return fits[0] if len(fits) == 1 else None


def _stem(name: str) -> str:
    """A table file's name as the connector's table name: `job_stage.csv`, `JOB_STAGE.parquet`,
    `greenhouse.job_stage.csv`, `users (1).csv` -> job_stage, users."""
    stem = Path(name).name.lower().split(" ")[0].split("(")[0]
    for suffix in (".csv", ".parquet", ".tsv", ".txt"):
        stem = stem.removesuffix(suffix)
    return stem.rsplit(".", 1)[-1].strip("_- ")


def _find(folder: Path, table: Table, vendor: str, headers_of) -> Path | None:
    """The sibling file holding `table`: named after it (or its alias), else the one file whose
    headers are its signature."""
    files = [p for p in sorted(folder.iterdir()) if p.is_file() and p.suffix.lower() in (".csv", PARQUET, ".tsv")]
    names = (table.name, *table.aliases)
    named = [p for p in files if _stem(p.name) in names or _stem(p.name).rstrip("s") in names]
    if named:
        return named[0]
    if table is not _HISTORY and any(t.signature == table.signature for t in TABLES if t is not table):
        return None
    fits = [p for p in files if set(table.signature) <= set(headers_of(p))]
    return fits[0] if len(fits) == 1 else None


def _lookup_table(vendor: str, name: str) -> Table:
    return _HISTORY if name == "application_history" else next(t for t in TABLES if t.vendor == vendor and t.name == name)


def pieces(con, path: Path, table: Table, staged: str, cols: list[str], stage, drop, headers_of):
    """The template tables a connector table file gives: (kind, staged table, columns, source
    names, notes) for each, built from the file (staged as `staged`, columns `cols`) and the
    sibling tables it reads: `stage(path, name)` stages a sibling and returns its columns,
    `drop(name)` drops it, `headers_of(path)` reads a file's headers. A lookup table gives nothing.
    Raises ShapeError when a sibling it needs is missing."""
    if table.build is None:
        return []
    tables, columns = {table.name: staged}, {table.name: cols}
    for i, need in enumerate(table.needs + table.uses):
        sibling = _find(path.parent, _lookup_table(table.vendor, need), table.vendor, headers_of)
        if sibling is None:
            if need in table.needs:
                raise ShapeError(f"{path}: the {table.label} table needs the connector's {need} table beside it "
                                 f"({need}.csv or {need}.parquet, from the same sync); add it and load again")
            continue
        tables[need] = f"__conn_lookup{i}"
        columns[need] = stage(sibling, tables[need])
    s = Sql(tables, columns)
    built = table.build(s)
    notes = []
    deleted = con.execute(f"SELECT count(*) FROM {staged} x WHERE {s.deleted(table.name, 'x')}").fetchall()[0][0]
    if deleted:
        notes.append(f"{deleted} row(s) the connector marks deleted skipped: they are no longer data")
    personal = [c for c in cols if is_personal(c)] if table.kind == "applications" else []
    if personal:
        notes.append(f"personal data not stored: column(s) {', '.join(personal)}")
    for _, sql, text in s.notes:
        n = con.execute(sql).fetchall()[0][0]
        if n:
            notes.append(text.format(n))
    out = []
    for n, (kind, select, names) in enumerate(built):
        name = f"__conn{n}"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {select}")
        out_cols = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall() if r[0] != "__row"]
        out.append((kind, name, out_cols, names, notes))
    for name in tables.values():
        if name != staged:
            drop(name)
    return out


def stage_parquet(con, path: Path, table: str) -> list[str]:
    """Stage a Parquet file as an all-text table with `__row` (the record's number, from 1);
    returns its normalised column names."""
    try:
        names = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
    except Exception as exc:   # DuckDB's IO or invalid-input error
        raise ShapeError(f"{path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from exc
    headers = unique_headers(names)

    def q(name):
        return '"' + name.replace('"', '""') + '"'
    columns = ", ".join(f"CAST({q(n)} AS VARCHAR) AS {q(h)}" for n, h in zip(names, headers))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {columns}, ordinality::INTEGER AS __row "
                f"FROM read_parquet($p) WITH ORDINALITY", {"p": str(path)})
    return headers


def parquet_headers(con, path: Path) -> list[str]:
    """A Parquet file's normalised column names (empty when it cannot be read)."""
    try:
        return unique_headers(r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall())
    except Exception:   # not a Parquet file: it has no headers to match
        return []


def unrecognised_hint(fmt: str) -> str:
    """What to tell someone whose file no format recognised: auto already tried every vendor, so
    naming one (`--format greenhouse`) would not help; after `--format X`, say what X reads."""
    reads = {"greenhouse": "Greenhouse's application_stages and application_history exports, Harvest JSON, and "
                           "its connector tables (" + ", ".join(t.name for t in TABLES if t.vendor == "greenhouse") + ")",
             "lever": "Lever's API JSON and its connector tables (" + ", ".join(
                 t.name for t in TABLES if t.vendor == "lever") + ")",
             "bullhorn": "Bullhorn's REST JSON and DataLoader CSV files named after their entity (JobOrder.csv, "
                         "JobSubmission.csv, ...)"}
    if fmt in reads:
        return (f"--format {fmt} reads {reads[fmt]}, and this file is none of them; the default (--format auto) "
                "tries every format, and another ATS's export loads with --format mapped --mapping FILE")
    return ("vendor exports (Greenhouse, Lever, Bullhorn, their data connectors' tables) are recognised by their "
            "columns; another ATS's export loads with --format mapped --mapping FILE")


# ---------------------------------------------------------------------------------------------
# JSON by content, JSON Lines and record streams.

def looks_like_json(path: Path) -> bool:
    """Whether a file is JSON (or JSON Lines) by its content: its first non-blank byte is `[` or `{`
    (after a UTF-8 byte order mark)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return head[:1] in (b"[", b"{")


@dataclass
class Records:
    """What a JSON file holds: its objects with their row numbers (a list's positions, or JSON
    Lines' line numbers), or, for a connector's message stream, its records by stream."""
    items: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    streams: dict = field(default_factory=dict)   # stream -> (objects, line numbers)
    protocol: str | None = None                    # "Airbyte" or "Singer" for a message stream
    skipped: dict = field(default_factory=dict)    # message type -> count


def read_json(path: Path) -> Records:
    """A JSON export (a list, a page `{"data": [...]}`, or one object) or JSON Lines, by content."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JsonError(f"{path}: not UTF-8 text; JSON exports are UTF-8") from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise JsonError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
        return _json_lines(path, text)
    if isinstance(doc, dict) and _message(doc):
        return _json_lines(path, text)
    items = doc.get("data") if isinstance(doc, dict) and "data" in doc else ([doc] if isinstance(doc, dict) else doc)
    if not isinstance(items, list) or not all(isinstance(o, dict) for o in items):
        raise JsonError(f"{path}: expected a list of objects (or a page with \"data\": [...])")
    return Records(items=items, rows=list(range(1, len(items) + 1)))


def _message(obj: dict) -> tuple[str, str | None, dict | None] | None:
    """(protocol, stream, data) of a connector message; data None for one that is not a record."""
    kind = obj.get("type")
    if kind == "RECORD" and isinstance(obj.get("record"), dict):
        rec = obj["record"]
        if "stream" in obj:   # Singer: the stream beside the record
            return "Singer", str(obj["stream"]), rec
        if isinstance(rec.get("data"), dict):
            return "Airbyte", str(rec.get("stream")), rec["data"]
    if kind in ("SCHEMA", "STATE", "LOG", "TRACE", "CATALOG", "SPEC", "CONNECTION_STATUS", "CONTROL",
                "ACTIVATE_VERSION", "BATCH"):
        return None, None, None   # both protocols have STATE: the records say whose stream it is
    if set(obj) >= {"stream", "data"} and isinstance(obj.get("data"), dict) and len(obj) <= 4:
        return "Airbyte", str(obj["stream"]), obj["data"]   # a record without its envelope (Airbyte's test files)
    return None


def _json_lines(path: Path, text: str) -> Records:
    out = Records()
    protocols = set()
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise JsonError(f"{path}: line {n} is not valid JSON (column {exc.colno}: {exc.msg}); JSON Lines hold "
                            "one JSON object per line") from exc
        if not isinstance(obj, dict):
            raise JsonError(f"{path}: line {n} holds {type(obj).__name__}, not an object; JSON Lines hold one "
                            "JSON object per line")
        msg = _message(obj)
        if msg is None:
            out.items.append(obj)
            out.rows.append(n)
            continue
        protocol, stream, data = msg
        if protocol:
            protocols.add(protocol)
        if data is None:
            out.skipped[obj.get("type")] = out.skipped.get(obj.get("type"), 0) + 1
            continue
        items, rows = out.streams.setdefault(stream, ([], []))
        items.append(data)
        rows.append(n)
    if out.streams or out.skipped:
        if out.items:
            raise JsonError(f"{path}: line {out.rows[0]} is a plain object among connector messages; a stream file "
                            "holds only its connector's messages")
        out.protocol = "Singer" if protocols == {"Singer"} else "Airbyte"
    return out


def renumber(table: pa.Table, rows: list[int]) -> pa.Table:
    """A vendor module's table (its `__row` = the object's position, from 1) with the file's own
    row numbers (JSON Lines: line numbers)."""
    positions = table.column("__row").to_pylist()
    return table.set_column(table.column_names.index("__row"), "__row",
                            pa.array([rows[p - 1] for p in positions], pa.int32()))


GREENHOUSE_STREAMS = {"jobs", "applications", "interviews", "applications_interviews", "offers"}
LEVER_STREAMS = {"opportunities", "postings"} | set(lever.LOOKUPS)


def _vendor(streams: dict) -> str | None:
    """Which ATS a connector's streams come from, by their objects' fields."""
    def first(name):
        items = streams.get(name, ([], []))[0]
        return items[0] if items else {}
    if "stageChanges" in first("opportunities") or "opportunityId" in first("applications") or "postings" in streams:
        return "lever"
    if "hiring_team" in first("jobs") or "candidate_id" in first("applications") or "jobs" in first("applications"):
        return "greenhouse"
    return None


def stream_pieces(path: Path, records: Records, fmt: str):
    """The template tables of a connector's message stream: [(shape name, [(kind, Arrow table)],
    notes, source names)], one entry per stream that carries data; streams with nothing for the
    model are named in a note (or as a skipped entry with no tables)."""
    streams, vendor = records.streams, _vendor(records.streams)
    head = f"{records.protocol} stream"
    skipped = [f"{n} {kind} message(s) skipped (not records)" for kind, n in sorted(records.skipped.items())]
    out, unused = [], []
    if vendor == "greenhouse" and fmt in ("auto", harvest.FORMAT):
        # Airbyte lists scheduled interviews twice (`interviews` and per application): read one.
        twice = {"applications_interviews"} if "interviews" in streams else set()
        for name in sorted(streams):
            items, rows = streams[name]
            if name in ("jobs", "applications"):
                fake = path.with_name(f"{name}.json")   # harvest recognises its objects by kind
                tables, notes = harvest.tables(fake, items)
                out.append((f"{head} {name} (Greenhouse Harvest {name})",
                            [(k, renumber(t, rows)) for k, t in tables], notes, {}))
            elif name in ("interviews", "applications_interviews", "offers") and name not in twice:
                out.append((f"{head} {name} (Greenhouse Harvest {name})", [("stage_events", renumber(
                    _harvest_events(name, items), rows))], [], {"entered_at": "start" if name != "offers" else "sent_at"}))
            else:
                unused.append(name)
    elif vendor == "lever" and fmt in ("auto", lever.FORMAT):
        objects = {name: items for name, (items, _) in streams.items()}
        for name in ("postings", "opportunities"):
            if name in streams:
                items, rows = streams[name]
                tables, notes = lever.tables(path, items, kind=name, streams=objects)
                out.append((f"{head} {name} (Lever {name})", [(k, renumber(t, rows)) for k, t in tables], notes, {}))
        unused = [n for n in sorted(streams) if n not in ("postings", "opportunities") and n not in lever.LOOKUPS]
    else:
        raise JsonError(f"{path}: a {head} of {', '.join(sorted(streams)) or 'no records'}: this version reads "
                        "Airbyte's and Singer's Greenhouse (jobs, applications, interviews, offers) and Lever "
                        "(opportunities, applications, postings, stages, archive_reasons) streams"
                        + (f" (--format {fmt} was given)" if fmt != "auto" else ""))
    notes = skipped + ([f"stream(s) {', '.join(unused)} not read: nothing in them for the metrics"] if unused else [])
    if out:
        out[0] = (out[0][0], out[0][1], out[0][2] + notes, out[0][3])
    return out


def _harvest_events(stream: str, items: list[dict]) -> pa.Table:
    """Harvest scheduled interviews (`start {date_time | date}`) as interviewed events, offers
    (`sent_at`, else `created_at`) as offered events, one per object."""
    rows = []
    for i, o in enumerate(items, start=1):
        if stream == "offers":
            when, stage = o.get("sent_at") or o.get("created_at"), "offered"
        else:
            start = o.get("start") or {}
            when = start.get("date_time") or start.get("date") if isinstance(start, dict) else start
            stage = "interviewed"
        rows.append({"__row": i, "application_id": o.get("application_id"), "stage": stage, "entered_at": when,
                     "source_id": o.get("id"), "interview_status" if stage == "interviewed" else "offer_status":
                     o.get("status")})
    cols = ["application_id", "stage", "entered_at", "source_id",
            "offer_status" if stream == "offers" else "interview_status"]
    return text_table(rows, cols)


