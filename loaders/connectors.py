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
  Greenhouse's own `is_deleted`) is not data: the rule is applied once, where a table is staged
  (`live_rows`, in `pieces`: the file and every sibling table it reads), so no build reads such a
  row, and the file's report counts the rows it skipped. Deleted rows of a link table
  (`job_department`, `hiring_team`, `application`, ...) are links that no longer hold. A table of
  names (`Table.names`: users, department, source, stage, archive_reason, job_stage) keeps its
  deleted rows: a stage removed from a job still names the history that entered it;
- personal columns (the candidate's `name`, e-mails, `location_address`) are never selected; the
  report lists them among its dropped personal data columns, under the file's own headers, as it
  does the import template's.

Greenhouse (Fivetran's schema, as in its dbt package `fivetran/dbt_greenhouse_source`):
- `job` -> requisitions: `opened_at` (a 2024 column) else `created_at`; `closed_at`, and a closed job
  (a status in `template.CLOSED_STATUSES`) without one ends at its `updated_at` (else it would await a first submittal forever); department
  from `job_department` + `department` (the first listed); hiring manager and recruiter from
  `hiring_team` (`role` hiring_managers / recruiters; the member marked `responsible` first, when
  the table has that column) named by `users` (or `user`), else by user id.
- `application` -> applications: requisition from `job_application` (required), source named by
  `source` when beside it; each row is mapped by `harvest.application_row`, the rule written once
  (prospects skipped and counted, `in_process` is `active`).
- `application_history` (+ `job_stage`, or Harvest's `job_stages.json`) -> stage events: the SQL of
  `shapes.GREENHOUSE_HISTORY`, reported under its name.
- `scheduled_interview` -> an `interviewed` event at its `start`, only for applications that have
  no stage history: no `application_history` rows beside it, and none stored by an earlier load
  of the same client (an incremental sync brings interviews without the history loaded before;
  stored events from application_history or application_stages count, the load's client's only:
  a connector table names no client, so it loads only for the client the load names). Where the
  history exists it already says when the application reached its interview stages, and an
  interview from another source would move that date.
- `offer` -> an `offered` event per application at its earliest offer's `sent_at` (else
  `created_at`): an offer is a dated fact the stage history may lack (offers are often made
  without moving the application into an "Offer" stage); superseded (`deprecated`) versions count
  too, since an earlier version was an offer made then.

Lever (Fivetran's schema, `fivetran/dbt_lever_source`), the same rules as `lever.py`'s JSON:
- `posting` -> requisitions (department `categories_department` else `categories_team`; a closed
  or archived posting (`template.CLOSED_STATUSES`) ends at `updated_at`; recruiter = `owner_id`, hiring manager from the linked
  `requisition` (`requisition_posting`) else the applications' `posting_hiring_manager_id`, named
  by `user`/`users`);
- `opportunity` -> applications (posting from `application`, required) and, for an archived one, an
  event named by the `archive_reason` text at `archived_at`: the rows are handed to `lever.py` as
  Lever's opportunity objects (their applications the earliest created first) and mapped by its
  `opportunity_tables`, so the rules are written once; an opportunity on more than one posting is
  loaded on its first application's posting, and the report names it (`lever.py` says why);
- `opportunity_stage_history` -> stage events named by `stage`, by `lever.stage_event`.

**Record streams** (JSON Lines): Airbyte's messages `{"type": "RECORD", "record": {"stream", "data",
"emitted_at"}}` (and the bare `{"stream", "data"}` records of its test files) and Singer's
`{"type": "RECORD", "stream", "record"}`; SCHEMA, STATE and LOG messages are skipped. Records are
grouped by stream, each stream's ATS told by its name and its records' fields (a file may hold
both connectors' streams; both have `applications`, told apart record by record), and handed to
the vendor's JSON code: Airbyte's source-greenhouse streams
(`jobs`, `applications`, Harvest objects) to `harvest.py`, plus its `interviews` /
`applications_interviews` and `offers` as interviewed and offered events (Harvest v1 holds no
stage history, so nothing covers them); source-lever-hiring streams (`opportunities`,
`applications`, `postings`, `stages`, `archive_reasons`) to `lever.py`, its lookups taken from the
same file's streams. A stream this version takes nothing from is named in the report. Row numbers
are the file's line numbers.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyarrow as pa

from loaders import harvest, lever
from loaders.parse import quote_name, sql_text
from loaders.shapes import GREENHOUSE_HISTORY, GREENHOUSE_JOB_STAGE, GREENHOUSE_STAGES, ShapeError, stage_sql
from loaders.template import CLOSED_STATUSES, is_personal, unique_headers
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
    build: Callable | None = None  # (Sql) -> [(kind, select SQL or Arrow table, source_names)]
    aliases: tuple[str, ...] = ()  # other file names for the same table (Fivetran renamed user to users)
    names: bool = False            # a table of names: its deleted rows still name what they named
    title: str | None = None       # what the load report calls it, when not "<vendor> connector <name>"
    json: Callable | None = None   # (path) -> Arrow table: the vendor's JSON export of the same table

    @property
    def label(self) -> str:
        return self.title or f"{'Greenhouse' if self.vendor == 'greenhouse' else 'Lever'} connector {self.name}"


def deleted_sql(columns, alias: str) -> str:
    """SQL: whether a row of a staged table with `columns` is one the connector marks deleted."""
    flags = [f"lower(trim({alias}.{c})) IN ('true', 't', '1')" for c in ("fivetran_deleted", "is_deleted")
             if c in columns]
    if "ab_cdc_deleted_at" in columns:
        flags.append(f"nullif(trim({alias}.ab_cdc_deleted_at), '') IS NOT NULL")
    return "coalesce(" + " OR ".join(flags) + ", false)" if flags else "false"


def without_deleted(con, staged: str, columns) -> tuple[str, int]:
    """(a view of staged table `staged` without the rows the connector marks deleted, how many it
    left out); (`staged`, 0) when its `columns` hold no deleted flag."""
    where = deleted_sql(columns, "x")
    if where == "false":
        return staged, 0
    view = f"{staged}_live"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {staged} x WHERE NOT {where}")
    return view, con.execute(f"SELECT count(*) FROM {staged} x WHERE {where}").fetchall()[0][0]


def deleted_note(count: int) -> list[str]:
    """The load report's note on the rows the connector marks deleted, when there were any."""
    return [f"{count} row(s) the connector marks deleted skipped: they are no longer data"] if count else []


def live_rows(con, staged: str, table: Table, columns) -> tuple[str, int]:
    """The deleted-row rule, applied where a connector table is staged (`without_deleted`). A table
    of names keeps them (a stage removed from a job still names the history that entered it):
    (`staged`, 0)."""
    return (staged, 0) if table.names else without_deleted(con, staged, columns)


@dataclass
class Sql:
    """The staged tables a `Table.build` reads (the rows the connector marks deleted already left
    out): their SQL names and columns, and the connection for a build that maps rows in Python."""
    tables: dict          # connector table name -> staged table
    columns: dict         # connector table name -> its normalised columns
    con: object = None
    client: str | None = None   # the client the load names (None: no stored rows are consulted)
    notes: list = field(default_factory=list)   # (key, SQL counting rows, count -> text) or a note's text

    def rows(self, sql: str) -> list[dict]:
        cur = self.con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def has(self, table: str, column: str | None = None) -> bool:
        return table in self.tables and (column is None or column in self.columns[table])

    def col(self, table: str, column: str, alias: str) -> str:
        """`alias.column` when the staged table has it, else NULL (older syncs lack newer columns)."""
        return f'{alias}."{column}"' if self.has(table, column) else "NULL::VARCHAR"

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
                    GROUP BY ALL) dep ON dep.job_id = trim(j.id)""")
        dept = "dep.name"
    people = {}
    if s.has("hiring_team"):
        # The member marked responsible first (when the table says so), then the first listed.
        first = f"(NOT coalesce(lower(trim({s.col('hiring_team', 'responsible', 'h')})) IN ('true', 't', '1'), false), h.__row)"
        for role, alias in (("hiring_managers", "hm"), ("recruiters", "rc")):
            joins.append(f"""LEFT JOIN (SELECT trim(h.job_id) AS job_id, arg_min(trim(h.user_id), {first}) AS user_id
                        FROM {s.tables['hiring_team']} h WHERE lower(trim(h.role)) = '{role}' GROUP BY ALL) {alias} ON {alias}.job_id = trim(j.id)""")
            join, name = s.named_user(f"{alias}.user_id", f"{alias}_u")
            joins.append(join)
            people[alias] = name
    closed = (f"coalesce({_t('j.closed_at')}, CASE WHEN lower(trim(j.status)) IN {CLOSED_STATUSES} "
              f"THEN {_t(s.col(t, 'updated_at', 'j'))} END)")
    select = f"""SELECT j.__row, j.id AS requisition_id, j.name AS title, {dept} AS department,
                    {people.get('hm', 'NULL::VARCHAR')} AS hiring_manager, {people.get('rc', 'NULL::VARCHAR')} AS recruiter,
                    coalesce({_t(s.col(t, 'opened_at', 'j'))}, j.created_at) AS opened_at, {closed} AS closed_at,
                    j.status, {s.col(t, 'requisition_id', 'j')} AS requisition_code
                 FROM {j} j {' '.join(joins)}"""
    return [("requisitions", select, {"requisition_id": "id", "title": "name", "opened_at": "opened_at / created_at",
                                       "closed_at": "closed_at / updated_at"})]


def _gh_application(s: Sql):
    """Application rows as Harvest's application objects, mapped by `harvest.application_row` (the
    rules written once: prospects skipped and counted, `in_process` is `active`). The job is the
    application's first `job_application` link: one without a link is no prospect for want of it,
    and is rejected (its requisition is empty)."""
    a, t = s.tables["application"], "application"
    source = "a.source_id"
    join = ""
    if s.has("source", "name"):
        join = f"LEFT JOIN {s.tables['source']} src ON trim(src.id) = trim(a.source_id)"
        source = "coalesce(src.name, a.source_id)"
    rows = s.rows(f"""SELECT a.__row, a.id, a.candidate_id, {source} AS source, a.applied_at, a.status,
                        coalesce(lower(trim({s.col(t, 'prospect', 'a')})) IN ('true', 't', '1'), false) AS prospect,
                        ja.job_id
                     FROM {a} a
                     LEFT JOIN (SELECT trim(application_id) AS application_id, arg_min(job_id, __row) AS job_id
                                FROM {s.tables['job_application']} x GROUP BY ALL) ja ON ja.application_id = trim(a.id)
                     {join}
                     ORDER BY a.__row""")
    apps = [harvest.application_row(r["__row"], {
        "id": r["id"], "candidate_id": r["candidate_id"], "source": {"public_name": r["source"]},
        "applied_at": r["applied_at"], "status": r["status"], "prospect": r["prospect"],
        "jobs": [{"id": r["job_id"]}] if r["job_id"] is not None else []}) for r in rows]
    if prospects := sum(row is None for row in apps):
        s.notes.append(harvest.PROSPECTS.format(prospects))
    return [("applications", text_table([row for row in apps if row], harvest.APPLICATION_COLUMNS),
             {"application_id": "id", "requisition_id": "job_application.job_id", "source": "source_id"})]


def _gh_interviews(s: Sql):
    i = s.tables["scheduled_interview"]
    start = 'i."start"'   # (a keyword in SQL)
    live = f"{_t(start)} IS NOT NULL"
    # A stage history beside it (this sync's application_history) or stored by an earlier load of
    # this client's (an incremental sync brings interviews without the history it loaded before);
    # another client's history of an application with the same id says nothing of this one. A
    # connector table names no client: its rows are the load's client's (without one the load is
    # refused, `checks.store_table`), so without a client no stored history is looked at.
    covered = []
    if s.client:
        histories = ", ".join(sql_text(name) for name in HISTORIES)
        covered.append(f"""trim(i.application_id) IN (SELECT e.application_id FROM stage_events e JOIN files f
                           ON f.file_id = e.file_id WHERE f.format IN ({histories})
                           AND e.client = {sql_text(s.client)})""")
    if s.has("application_history"):
        history = s.tables["application_history"]
        covered.append(f"trim(i.application_id) IN (SELECT trim(application_id) FROM {history})")
    covered = f"({' OR '.join(covered) or 'false'})"
    s.notes.append(("covered", f"SELECT count(*) FROM {i} i WHERE {live} AND {covered}", lambda n: (
        f"{n} scheduled interview{'s' if n != 1 else ''} not loaded: "
        + ("its application has" if n == 1 else "their applications have")
        + " a stage history (application_history, beside this file or stored by an earlier load of this client's), "
        + f"which dates {'its' if n == 1 else 'their'} stages")))
    # Two interviews of one application at the same time (a panel) are one event.
    select = f"""SELECT min(i.__row) AS __row, trim(i.application_id) AS application_id, 'interviewed' AS stage,
                    trim({start}) AS entered_at, list(trim(i.id) ORDER BY i.__row)[1] AS scheduled_interview_id
                 FROM {i} i WHERE {live} AND NOT {covered} GROUP BY ALL"""
    return [("stage_events", select, {"application_id": "application_id", "entered_at": "start"})]


def _gh_history(s: Sql):
    """application_history named by job_stage: `shapes.GREENHOUSE_HISTORY`."""
    return [("stage_events", stage_sql(GREENHOUSE_HISTORY, s.tables["application_history"], s.tables["job_stage"]),
             GREENHOUSE_HISTORY.source_names)]


# The shapes whose stage events are an application's stage history (as the load report names them).
HISTORIES = (GREENHOUSE_HISTORY.name, GREENHOUSE_STAGES.name)


def _gh_offers(s: Sql):
    o, t = s.tables["offer"], "offer"
    when = f"coalesce({_t(s.col(t, 'sent_at', 'o'))}, {_t(s.col(t, 'created_at', 'o'))})"
    select = f"""SELECT arg_min(o.__row, {when}) AS __row, trim(o.application_id) AS application_id, 'offered' AS stage,
                    min({when}) AS entered_at, arg_min(trim(o.id), {when}) AS offer_id
                 FROM {o} o WHERE {when} IS NOT NULL GROUP BY ALL"""
    return [("stage_events", select, {"application_id": "application_id", "entered_at": "sent_at / created_at"})]


# -- Lever --------------------------------------------------------------------------------------

def _lv_posting(s: Sql):
    p, t = s.tables["posting"], "posting"
    joins, hm = [], []
    if s.has("requisition") and s.has("requisition_posting"):
        joins.append(f"""LEFT JOIN (SELECT trim(rp.posting_id) AS posting_id, arg_min(r.hiring_manager_id, rp.__row) AS hm,
                        arg_min(r.requisition_code, rp.__row) AS code
                    FROM {s.tables['requisition_posting']} rp JOIN {s.tables['requisition']} r ON trim(r.id) = trim(rp.requisition_id)
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
    closed = (f"CASE WHEN lower(trim(p.state)) IN {CLOSED_STATUSES} THEN {_t(s.col(t, 'updated_at', 'p'))} END")
    select = f"""SELECT p.__row, p.id AS requisition_id, p.text AS title,
                    coalesce({_t(s.col(t, 'categories_department', 'p'))}, {_t(s.col(t, 'categories_team', 'p'))}) AS department,
                    {hm_name} AS hiring_manager, {owner} AS recruiter, p.created_at AS opened_at, {closed} AS closed_at,
                    p.state AS status, {code} AS requisition_code
                 FROM {p} p {' '.join(joins)}"""
    return [("requisitions", select, {"requisition_id": "id", "title": "text", "department": "categories_department",
                                       "opened_at": "created_at", "closed_at": "updated_at", "status": "state"})]


def _lv_opportunity(s: Sql):
    """Opportunity rows as Lever's opportunity objects, mapped by `lever.opportunity_tables` (the
    rules written once for Lever's JSON and its connector): its applications, the earliest created
    first, name its posting."""
    o, a, t = s.tables["opportunity"], s.tables["application"], "opportunity"
    rows = s.rows(f"""SELECT o.__row, o.id, o.contact, o.origin, o.created_at, {_t(s.col(t, 'archived_at', 'o'))} AS archived_at,
                        {s.col(t, 'archived_reason_id', 'o')} AS archived_reason_id,
                        list(trim(a.id) ORDER BY {s.col('application', 'created_at', 'a')}, a.__row)
                            FILTER (WHERE a.id IS NOT NULL) AS applications
                     FROM {o} o LEFT JOIN {a} a ON trim(a.opportunity_id) = trim(o.id)
                     GROUP BY ALL ORDER BY o.__row""")
    items = [{"id": r["id"], "contact": r["contact"], "origin": r["origin"], "createdAt": r["created_at"],
              "applications": r["applications"] or [],
              "archived": {"reason": r["archived_reason_id"], "archivedAt": r["archived_at"]}} for r in rows]
    postings = {r["id"]: r["posting_id"] for r in s.rows(f"SELECT trim(id) AS id, posting_id FROM {a}")}
    reasons = {r["id"]: r["text"] for r in s.rows(f"SELECT trim(id) AS id, text FROM {s.tables['archive_reason']}")}
    ((_, apps), (_, events)), notes = lever.opportunity_tables(items, {}, reasons, postings)
    s.notes.extend(notes)
    numbers = [r["__row"] for r in rows]
    return [("applications", renumber(apps, numbers), {"application_id": "id", "requisition_id": "application.posting_id",
                                                         "candidate_id": "contact", "source": "origin",
                                                         "applied_at": "created_at"}),
            ("stage_events", renumber(events, numbers), {"application_id": "id", "stage": "archived_reason_id",
                                                           "entered_at": "archived_at"})]


def _lv_history(s: Sql):
    """Stage changes, one a row, mapped by `lever.stage_event` and named by the stage table."""
    stages = {r["id"]: r["text"] for r in s.rows(f"SELECT trim(id) AS id, text FROM {s.tables['stage']}")}
    rows = s.rows(f"SELECT __row, opportunity_id, stage_id, updated_at FROM {s.tables['opportunity_stage_history']} "
                  "ORDER BY __row")
    events = [lever.stage_event(r["__row"], r["opportunity_id"], {"toStageId": r["stage_id"], "updatedAt": r["updated_at"]},
                                stages) for r in rows]
    return [("stage_events", text_table(events, lever.EVENT_COLUMNS),
             {"application_id": "opportunity_id", "stage": "stage_id", "entered_at": "updated_at"})]


TABLES = (
    # Greenhouse
    Table("greenhouse", "job", ("id", "name", "status", "created_at", "closed_at", "confidential"), "requisitions",
          uses=("job_department", "department", "hiring_team", "users"), build=_gh_job),
    Table("greenhouse", "application", ("id", "candidate_id", "applied_at", "current_stage_id", "prospect", "status"),
          "applications", needs=("job_application",), uses=("source",), build=_gh_application),
    Table("greenhouse", "scheduled_interview", ("id", "application_id", "start", "interview_id", "status"),
          "stage_events", uses=("application_history",), build=_gh_interviews),
    Table("greenhouse", "application_history", GREENHOUSE_HISTORY.signature, "stage_events", needs=("job_stage",),
          build=_gh_history, title=GREENHOUSE_HISTORY.name),
    Table("greenhouse", "offer", ("id", "application_id", "status", "sent_at", "starts_at"), "stage_events",
          build=_gh_offers),
    Table("greenhouse", "job_application", ("application_id", "job_id")),
    Table("greenhouse", "job_department", ("department_id", "job_id")),
    Table("greenhouse", "department", ("id", "name", "parent_id"), names=True),
    Table("greenhouse", "hiring_team", ("job_id", "role", "user_id")),
    Table("greenhouse", "users", ("id", "first_name", "last_name", "site_admin"), aliases=("user",), names=True),
    Table("greenhouse", "source", ("id", "name", "source_type_id"), names=True),
    # Read beside application_history only (a file of it alone is `shapes.GREENHOUSE_JOB_STAGE`).
    Table("greenhouse", "job_stage", GREENHOUSE_JOB_STAGE.signature, names=True, json=harvest.job_stages),
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
    Table("lever", "users", ("id", "name", "access_role"), aliases=("user",), names=True),
    # Read by name only: both are (id, text).
    Table("lever", "stage", ("id", "text"), names=True),
    Table("lever", "archive_reason", ("id", "text"), names=True),
)


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
    for suffix in (".csv", ".parquet", ".tsv", ".txt", ".json"):
        stem = stem.removesuffix(suffix)
    return stem.rsplit(".", 1)[-1].strip("_- ")


def _find(folder: Path, table: Table, vendor: str, headers_of) -> Path | None:
    """The sibling file holding `table`: named after it (or its alias; its vendor's JSON export
    too, when it has one), else the one file whose headers are its signature."""
    files = [p for p in sorted(folder.iterdir()) if p.is_file() and p.suffix.lower() in (".csv", PARQUET, ".tsv")]
    jsons = [p for p in sorted(folder.iterdir()) if table.json and p.is_file() and p.suffix.lower() == ".json"]
    names = (table.name, *table.aliases)
    named = [p for p in files + jsons if _stem(p.name) in names or _stem(p.name).rstrip("s") in names]
    if named:
        return named[0]
    if any(t.signature == table.signature for t in TABLES if t is not table):
        return None
    fits = [p for p in files if set(table.signature) <= set(headers_of(p))]
    return fits[0] if len(fits) == 1 else None


def _lookup_table(vendor: str, name: str) -> Table:
    return next(t for t in TABLES if t.vendor == vendor and t.name == name)


def pieces(con, path: Path, table: Table, staged: str, cols: list[str], stage, drop, headers_of,
           client: str | None = None, own: dict | None = None):
    """The template tables a connector table file gives: (kind, staged table, columns, source
    names, notes) for each, built from the file (staged as `staged`, columns `cols`) and the
    sibling tables it reads: `stage(path, name)` stages a sibling and returns its columns,
    `drop(name)` drops it, `headers_of(path)` reads a file's headers. A lookup table gives nothing.
    The deleted-row rule (`live_rows`) is applied here, once, to the file and to every sibling;
    the notes count the file's rows it left out. `client`: the client the file is loaded for (the
    stored rows consulted are that client's; none without it). `own`: the file's own header of each
    of `cols`, naming its personal data columns in the report. Raises ShapeError when a sibling it
    needs is missing."""
    if table.build is None:
        return []
    main, deleted = live_rows(con, staged, table, cols)
    tables, columns, siblings, views = {table.name: main}, {table.name: cols}, [], [main]
    for i, need in enumerate(table.needs + table.uses):
        lookup = _lookup_table(table.vendor, need)
        sibling = _find(path.parent, lookup, table.vendor, headers_of)
        if sibling is None:
            if need in table.needs:
                raise ShapeError(f"{path}: the {table.label} table needs the connector's {need} table beside it "
                                 f"({need}.csv or {need}.parquet, from the same sync"
                                 + (f"; or the vendor's {need}s.json" if lookup.json else "") + "); add it and load again")
            continue
        name = f"__conn_lookup{i}"
        siblings.append(name)
        if sibling.suffix.lower() == ".json":
            con.register(f"{name}_arrow", lookup.json(sibling))
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
            con.unregister(f"{name}_arrow")
            columns[need] = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall() if r[0] != "__row"]
        else:
            columns[need] = stage(sibling, name)
        tables[need], _ = live_rows(con, name, lookup, columns[need])
        views.append(tables[need])
    s = Sql(tables, columns, con=con, client=client)
    built = table.build(s)
    notes = deleted_note(deleted)
    # A candidate's table (not a job's, whose `name` is its title): its personal data columns
    # (Greenhouse's location_address, Lever's name) are never selected by a build. They are added to
    # the file's first table of its kind as empty columns under the file's own headers, so that the
    # load report lists them among its dropped personal data columns as it does the template's
    # (`checks.store_table`): no value of theirs is read.
    personal = [(own or {}).get(c, c) for c in cols if is_personal(c)] if table.kind != "requisitions" else []
    for note in s.notes:
        if isinstance(note, str):
            notes.append(note)
        elif n := con.execute(note[1]).fetchall()[0][0]:
            notes.append(note[2](n))
    out = []
    for n, (kind, select, names) in enumerate(built):
        name = f"__conn{n}"
        if isinstance(select, pa.Table):   # a build that maps rows in Python (Lever's rules, in lever.py)
            con.register(f"{name}_arrow", select)
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
            con.unregister(f"{name}_arrow")
        else:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {select}")
        out_cols = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall() if r[0] != "__row"]
        if kind == table.kind and personal:
            for header in (h for h in personal if h not in out_cols):
                con.execute(f"ALTER TABLE {name} ADD COLUMN {quote_name(header)} VARCHAR")
                out_cols.append(header)
            personal = []
        out.append((kind, name, out_cols, names, notes))
    for view in views:
        if view.endswith("_live"):
            con.execute(f"DROP VIEW IF EXISTS {view}")
    for name in siblings:
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


def parquet_names(con, path: Path) -> list[str]:
    """A Parquet file's column names as written (empty when it cannot be read)."""
    try:
        return [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
    except Exception:   # not a Parquet file: it has no headers to match
        return []


def parquet_headers(con, path: Path) -> list[str]:
    """A Parquet file's normalised column names (empty when it cannot be read)."""
    return unique_headers(parquet_names(con, path))


def unrecognised_hint(fmt: str) -> str:
    """What to tell someone whose file no format recognised: auto already tried every vendor, so
    naming one (`--format greenhouse`) would not help; after `--format X`, say what X reads."""
    reads = {"greenhouse": "Greenhouse's application_stages export, Harvest JSON, and its connector tables ("
                           + ", ".join(t.name for t in TABLES if t.vendor == "greenhouse") + ")",
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


def _vendor_of(stream: str, obj: dict) -> str | None:
    """Which ATS a stream's record comes from, by the stream's name and the record's fields (both
    connectors have `applications`; Lever's `interviews` and `offers` name no application_id)."""
    if stream == "applications":
        return "lever" if "opportunityId" in obj else "greenhouse" if {"candidate_id", "jobs"} & set(obj) else None
    if stream in ("interviews", "applications_interviews", "offers"):
        return "greenhouse" if "application_id" in obj else None
    if stream == "jobs":
        return "greenhouse"
    return "lever" if stream in LEVER_STREAMS else None


def _by_vendor(streams: dict) -> dict:
    """The streams of each ATS: vendor -> {stream: (objects, line numbers)}; a file may hold both
    connectors' records (an `applications` stream of both is parted record by record)."""
    out = {}
    for name, (items, rows) in streams.items():
        for item, row in zip(items, rows):
            vendor = _vendor_of(name, item) if name == "applications" else _vendor_of(name, items[0])
            got = out.setdefault(vendor, {}).setdefault(name, ([], []))
            got[0].append(item)
            got[1].append(row)
    return out


VENDOR_NAMES = {"greenhouse": "Greenhouse", "lever": "Lever"}


def stream_pieces(path: Path, records: Records, fmt: str):
    """The template tables of a connector's message stream: [(shape name, [(kind, Arrow table)],
    notes, source names)], one entry per stream that carries data. Each stream is read as its
    ATS's (a file may hold Greenhouse's and Lever's); streams this version takes nothing from,
    and another ATS's streams when `--format` names one, are named in a note."""
    by_vendor = _by_vendor(records.streams)
    head = f"{records.protocol} stream"
    skipped = [f"{n} {kind} message(s) skipped (not records)" for kind, n in sorted(records.skipped.items())]
    out, unused, other = [], sorted(by_vendor.get(None, {})), []
    read = {v: st for v, st in by_vendor.items() if v and fmt in ("auto", v)}
    other = sorted(f"{n} ({VENDOR_NAMES[v]}'s)" for v, st in by_vendor.items() if v and v not in read for n in st)
    if not read:
        raise JsonError(f"{path}: a {head} of {', '.join(sorted(records.streams)) or 'no records'}: this version "
                        "reads Airbyte's and Singer's Greenhouse (jobs, applications, interviews, offers) and Lever "
                        "(opportunities, applications, postings, stages, archive_reasons) streams"
                        + (f" (--format {fmt} was given)" if fmt != "auto" else ""))
    streams = read.get("greenhouse", {})
    # Airbyte lists scheduled interviews twice (`interviews` and per application): read one.
    twice = {"applications_interviews"} if "interviews" in streams else set()
    for name in sorted(streams):
        items, rows = streams[name]
        if name in ("jobs", "applications"):
            fake = path.with_name(f"{name}.json")   # harvest recognises its objects by kind
            tables, notes = harvest.tables(fake, items)
            out.append((f"{head} {name} (Greenhouse Harvest {name})",
                        [(k, renumber(t, rows)) for k, t in tables], notes, {}))
        elif name not in twice:
            out.append((f"{head} {name} (Greenhouse Harvest {name})", [("stage_events", renumber(
                _harvest_events(name, items), rows))], [], {"entered_at": "start" if name != "offers" else "sent_at"}))
        else:
            unused.append(f"{name} (the same interviews as the interviews stream)")
    streams = read.get("lever", {})
    objects = {name: items for name, (items, _) in streams.items()}
    for name in ("postings", "opportunities"):
        if name in streams:
            items, rows = streams[name]
            tables, notes = lever.tables(path, items, kind=name, streams=objects)
            out.append((f"{head} {name} (Lever {name})", [(k, renumber(t, rows)) for k, t in tables], notes, {}))
    notes = skipped + ([f"stream(s) {', '.join(sorted(unused))} not read: this version takes nothing from them"]
                       if unused else [])
    if other:
        notes.append(f"stream(s) {', '.join(other)} not read: --format {fmt} was given")
    if out:
        out[0] = (out[0][0], out[0][1], out[0][2] + notes, out[0][3])
    else:
        out.append((f"{head} lookups", [], notes, {}))
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


