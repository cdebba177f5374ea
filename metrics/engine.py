"""The metrics, computed in DuckDB SQL exactly as domain.md defines them.

A `Report` builds three small fact tables for one client, one set of requisition filters and one
as-of date (temporary tables on the caller's connection):
- `req`: one row per requisition, with its start, first submittal, K-th submittal, first hire,
  SLA due date and day counts;
- `app`: one row per application, with its submittal, the stages it reached, whether it ended,
  and its hiring-manager feedback time;
- `deadline`: one row per SLA deadline and per commitment, with its status.
Every metric is then an aggregate over one fact table, filtered on the fact's own date for the
period and grouped only by what is asked for (nothing, a dimension, or a week/month bucket).
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import duckdb

# The module, not its names: loaders.settings reads the metrics' target keys (definitions.py) while it loads.
from loaders import settings as client_settings
from store import STAGE_RANK_SQL
from metrics import definitions
from metrics.definitions import (CLOSED_STATUSES, METRICS, NOT_AVAILABLE, Metric, kpi_sentence, sla_promise,
                                 target_status)

# What each fact table can be broken down by.
_REQ_DIMS = ("department", "recruiter", "hiring_manager")
DIMENSIONS = {"req": _REQ_DIMS, "app": _REQ_DIMS + ("source",), "deadline": _REQ_DIMS + ("kind", "side", "reason")}
GRAINS = {"week", "month", "quarter"}
# The day count each duration metric summarises (a distribution's bar picks rows by it).
DAY_COLUMNS = {"time_to_submit": "tts_days", "time_to_fill": "ttf_days", "hm_feedback_days": "feedback_days"}
_counter = itertools.count(1)
# SQL: a requisition passes the requisition filters (parameters $deps, $recs, $hms, $req).
KEEP_SQL = """(len($deps::VARCHAR[]) = 0 OR list_contains($deps::VARCHAR[], department))
    AND (len($recs::VARCHAR[]) = 0 OR list_contains($recs::VARCHAR[], recruiter))
    AND (len($hms::VARCHAR[]) = 0 OR list_contains($hms::VARCHAR[], hiring_manager))
    AND ($req::VARCHAR IS NULL OR requisition_id = $req::VARCHAR)"""


def snapshot_event_sql(alias: str = "") -> str:
    """SQL: the stage event (of table `alias`, when given) is a snapshot's: `SNAPSHOT_EVENT_SQL`."""
    return f"lower(coalesce(json_extract_string({alias + '.' if alias else ''}extra, '$.snapshot'), '')) = 'true'"


# SQL: a stage event a loader derived from a snapshot (extra {"snapshot": "true"}): it says how an
# application ended, not which stages it passed nor when, so it is no stage history.
SNAPSHOT_EVENT_SQL = snapshot_event_sql()
# SQL: a requisition whose status says it is closed though it has no close date (parameter $closed:
# CLOSED_STATUSES). It is closed: never open, never awaiting a first submittal.
CLOSED_UNDATED_SQL = "(closed_on IS NULL AND coalesce(list_contains($closed::VARCHAR[], lower(trim(status))), false))"


def has_stage_history(con, client: str) -> bool:
    """Whether the client has a stage history: at least one stage event that is not a snapshot's.
    Per client, whatever the filters: a filter that selects nothing still has a history to select from."""
    return con.execute(f"SELECT EXISTS (SELECT 1 FROM stage_events WHERE client = ? AND NOT {SNAPSHOT_EVENT_SQL})",
                       [client]).fetchone()[0]


def has_snapshot_events(con, client: str) -> bool:
    """Whether any of the client's stage events is a snapshot's (`SNAPSHOT_EVENT_SQL`)."""
    return con.execute(f"SELECT EXISTS (SELECT 1 FROM stage_events WHERE client = ? AND {SNAPSHOT_EVENT_SQL})",
                       [client]).fetchone()[0]


def availability(con, client: str) -> dict:
    """What can be computed from what was loaded for the client: `stage_history` (`has_stage_history`),
    `snapshots` (whether any of its stage events is a snapshot's: `SNAPSHOT_EVENT_SQL`),
    `not_available` (metric -> why it has no number: `NOT_AVAILABLE`) and `notes` (metric -> what it
    leaves out). Every page, the command line and the deck ask this, and say its words.

    Without a stage history there is no submittal (a snapshot's current stage says nothing of when it
    was reached): no time to submit, SLA deadline, interview conversion or feedback time. Deadline
    adherence then counts the commitments alone, when there are any. Time to fill needs only a hire,
    which a snapshot's events record; with no stage event at all it has none either.
    """
    history = has_stage_history(con, client)
    snapshots = has_snapshot_events(con, client)
    missing, notes = {}, {}
    if not history:
        events, commitments = con.execute(
            "SELECT EXISTS (SELECT 1 FROM stage_events WHERE client = $c), "
            "EXISTS (SELECT 1 FROM commitments WHERE client = $c)", {"c": client}).fetchone()
        missing = {m.key: NOT_AVAILABLE for m in METRICS.values() if m.needs == "history" or not events}
        if commitments:
            del missing["deadline_adherence"]
            notes["deadline_adherence"] = f"SLA deadlines are {NOT_AVAILABLE}; commitments only"
    return {"stage_history": history, "snapshots": snapshots, "not_available": missing, "notes": notes}


def application_facts_sql(snapshots: bool, *, one_requisition: bool = False) -> str:
    """SQL: each application of client $client (its id, requisition, candidate, source and status;
    whether its requisition is known, and the requisition's department, recruiter and hiring
    manager) with what its stage events say, as the local dates on which it happened, so that the facts as
    of any date follow from them (`Report._build` compares them with $as_of): the submittal
    (`sub_at`, `sub_on`), the first interview or later stage (`interview_on`), offer or later
    (`offer_on`), hire (`hire_on`), end (`end_on`) and the hiring manager's answer (`feedback_on`);
    all NULL for an application without a mapped event.

    `one_requisition`: only the applications of requisition $req are read (one requisition's
    story). `snapshots`: the client has snapshot events (`SNAPSHOT_EVENT_SQL`); without them the
    query skips their rules.

    Reached a stage = entered it or any later one (skipped stages count as passed); the time it was
    reached is the earliest such entry. Rejected/withdrawn/unmapped events have no rank. A
    snapshot's outcome has no rank either: it gives a hire or an end, never a submittal, interview
    or offer (a hire implies the interview and offer only of an application its history shows
    submitted, which the fact table `app` decides). Where the history has an event of the same
    stage, the snapshot's is not read (the history wins, whatever the dates).

    Why dates suffice: a local date never decreases as the instant grows, so the earliest entry
    has the earliest local date (min() serves where arg_min() would cost more), and the events
    entered on or before an as-of date have a submittal exactly when `sub_on` is on or before it,
    and then the same one; likewise for every other fact. The answer is the first mapped event
    strictly after the submittal instant, so it is on or after `sub_on`.
    """
    # The snapshot's events of a stage the application's history has too (few: a join from the
    # snapshot's side, not a window over every event); none without snapshot events.
    shadowed = """, shadowed AS (
                SELECT DISTINCT h.application_id, h.stage
                FROM se h JOIN (SELECT application_id, stage FROM se WHERE snapshot) s USING (application_id, stage)
                WHERE NOT h.snapshot
            )""" if snapshots else ""
    not_shadowed = ("\n                WHERE NOT (snapshot AND (application_id, stage) IN "
                    "(SELECT (application_id, stage) FROM shadowed))") if snapshots else ""
    one = """
                  -- one requisition's story reads only its own applications' events
                  AND application_id IN (
                      SELECT application_id FROM applications WHERE client = $client AND requisition_id = $req::VARCHAR)"""
    return f"""
            WITH se AS (
                SELECT application_id, stage, entered_at, entered_on,
                       {SNAPSHOT_EVENT_SQL if snapshots else 'false'} AS snapshot
                FROM stage_events
                WHERE client = $client AND stage IS NOT NULL{one if one_requisition else ''}
            ){shadowed}, ev AS (
                SELECT application_id, entered_at, entered_on, stage = 'hired' AS hire,
                       CASE WHEN NOT snapshot THEN {STAGE_RANK_SQL} END AS rank,
                       stage IN ('hired', 'rejected', 'withdrawn') AS ends
                FROM se{not_shadowed}
            ), reach AS (
                SELECT application_id,
                       min(entered_at) FILTER (WHERE rank >= 3) AS sub_at,
                       min(entered_on) FILTER (WHERE rank >= 3) AS sub_on,
                       min(entered_on) FILTER (WHERE rank >= 4) AS interview_on,
                       min(entered_on) FILTER (WHERE rank >= 5) AS offer_on,
                       min(entered_on) FILTER (WHERE hire) AS hire_on,
                       min(entered_on) FILTER (WHERE ends) AS end_on
                FROM ev GROUP BY application_id
            ), feedback AS (
                -- the hiring manager's answer: the next mapped event strictly after the submittal instant
                SELECT e.application_id, min(e.entered_on) AS feedback_on
                FROM ev e JOIN reach r USING (application_id)
                WHERE e.entered_at > r.sub_at
                GROUP BY e.application_id
            )
            SELECT a.application_id, a.requisition_id, a.candidate_id, a.source, a.status,
                   q.requisition_id IS NOT NULL AS known_req, q.department, q.recruiter, q.hiring_manager,
                   r.* EXCLUDE (application_id), f.feedback_on
            FROM applications a
            LEFT JOIN requisitions q ON q.client = a.client AND q.requisition_id = a.requisition_id
            LEFT JOIN reach r ON r.application_id = a.application_id
            LEFT JOIN feedback f ON f.application_id = a.application_id
            WHERE a.client = $client{' AND a.requisition_id = $req::VARCHAR' if one_requisition else ''}"""


def refresh_facts(con, clients) -> None:
    """Store what each application's stage events say (`application_facts_sql`) for `clients`, and
    what they were computed from (`facts_state`): every writer of stage events or applications
    calls it in its transaction, so a report, for any as-of date, reads them instead of working
    through every event again. A report checks `facts_state` first and works from the events when
    the facts do not match the data (rows written by anything else)."""
    for client in sorted(set(clients)):
        params = {"client": client}
        snapshots = has_snapshot_events(con, client)
        con.execute("DELETE FROM application_facts WHERE client = $client", params)
        con.execute("DELETE FROM facts_state WHERE client = $client", params)
        con.execute(f"INSERT INTO application_facts SELECT $client, * FROM ({application_facts_sql(snapshots)})",
                    params)
        con.execute(f"INSERT INTO facts_state SELECT $client, *, now()::TIMESTAMP FROM ({_COUNTS_SQL})", params)


# SQL: what the client's stored facts are computed from (how many events, applications and
# requisitions it has),
# which `Report._stored_facts` compares with `facts_state` before reading them.
_COUNTS_SQL = """SELECT count(*) AS events, (SELECT count(*) FROM applications WHERE client = $client) AS applications,
                        (SELECT count(*) FROM requisitions WHERE client = $client) AS requisitions
                 FROM stage_events WHERE client = $client"""


class UnknownClient(LookupError):
    """The client named is not in the database."""


@dataclass(frozen=True)
class Filters:
    """What a report is about: one client, optional requisition filters, a period and an as-of date."""
    client: str
    departments: tuple[str, ...] = ()
    recruiters: tuple[str, ...] = ()
    hiring_managers: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    as_of: dt.date | None = None
    requisition: str | None = None   # one requisition only (its story on Requisition detail)
    compare: str = "previous"   # what the KPIs compare with: one of COMPARISONS

    @property
    def filtered(self) -> bool:
        return bool(self.departments or self.recruiters or self.hiring_managers or self.requisition)

    def previous(self) -> "Filters | None":
        """The period the KPIs compare with (None for an open-ended period or with `compare="none"`).

        "previous": a calendar month, quarter or year (or the part of one up to a day: quarter to
        date) compares with the same part of the month, quarter or year before; any other period
        with the days of equal length just before it. "last_year": the same dates one year earlier.
        """
        if self.compare == "none" or self.date_from is None or self.date_to is None:
            return None
        if self.compare == "last_year":
            return replace(self, date_from=_years_before(self.date_from, 1), date_to=_years_before(self.date_to, 1))
        unit, whole = self._calendar_span()
        if unit is None:
            length = (self.date_to - self.date_from).days + 1
            return replace(self, date_from=self.date_from - dt.timedelta(days=length),
                           date_to=self.date_from - dt.timedelta(days=1))
        start = _months_before(self.date_from, _UNIT_MONTHS[unit])
        end_of_unit = self.date_from - dt.timedelta(days=1)
        if whole:
            return replace(self, date_from=start, date_to=end_of_unit)
        # Part of one (to date): the same number of days into the unit before, within it.
        return replace(self, date_from=start,
                       date_to=min(start + (self.date_to - self.date_from), end_of_unit))

    def _calendar_span(self) -> tuple[str | None, bool]:
        """The calendar month, quarter or year the period begins and lies in (`calendar_unit`; None
        for any other period), and whether the period is the whole of it."""
        unit = calendar_unit(self.date_from, self.date_to)
        return unit, unit is not None and self.date_to == _unit_end(self.date_from, _UNIT_MONTHS[unit])

    def comparison(self) -> str | None:
        """What the KPIs compare with, in words: `Q2 2026 (2026-04-01 to 2026-06-30)`, `the same period
        last year (...)`, `the previous 90 days (...)`; None when there is no comparison."""
        prev = self.previous()
        if prev is None:
            return None
        return f"{self.comparison_name()} ({prev.period_text()})"

    def comparison_name(self) -> str | None:
        """The short name of the comparison period, for a KPI card: `Q2 2026`, `Oct 2026`, `2025`,
        `the same period last year`, `the previous 90 days`; None when there is no comparison."""
        prev = self.previous()
        if prev is None:
            return None
        if self.compare == "last_year":
            return "the same period last year"
        unit, whole = self._calendar_span()
        if unit == "year":
            return f"{prev.date_from.year}" if whole else f"the same days of {prev.date_from.year}"
        if unit == "quarter":
            name = f"Q{(prev.date_from.month - 1) // 3 + 1} {prev.date_from.year}"
            return name if whole else f"the same days of {name}"
        if unit == "month":
            name = f"{prev.date_from:%b %Y}"
            return name if whole else f"the same days of {name}"
        days = (self.date_to - self.date_from).days + 1
        return "the previous day" if days == 1 else f"the previous {days} days"

    def describe(self) -> str:
        """The filters in words, for captions and footnotes."""
        parts = []
        for label, values in (("requisition", (self.requisition,) if self.requisition else ()),
                              ("department", self.departments), ("recruiter", self.recruiters),
                              ("hiring manager", self.hiring_managers)):
            if values:
                parts.append(f"{label}: {', '.join(values)}")
        return f"{self.client}; " + ("; ".join(parts) + "; " if parts else "") + f"period {self.period_text()}"

    def period_text(self) -> str:
        """The period in words: `2026-07-01 to 2026-09-30`, `start to as of` for all time."""
        return (f"{self.date_from.isoformat() if self.date_from else 'start'} to "
                f"{self.date_to.isoformat() if self.date_to else 'as of'}")


# The periods a view or a schedule names, each ending on (or just before) its as-of date.
PERIOD_PRESETS = ("Last 30 days", "Last 90 days", "This quarter", "Last quarter", "Year to date", "All time")


def period_dates(preset: str, as_of: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day of a named period (`PERIOD_PRESETS`) as of `as_of`; (None, None)
    for all time. The dashboard's sidebar and a schedule's sends read it, so a scheduled digest
    covers what the same link shows."""
    q_start = dt.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    if preset == "Last 30 days":
        return as_of - dt.timedelta(days=29), as_of
    if preset == "Last 90 days":
        return as_of - dt.timedelta(days=89), as_of
    if preset == "This quarter":
        return q_start, as_of
    if preset == "Last quarter":
        end = q_start - dt.timedelta(days=1)
        return dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end
    if preset == "Year to date":
        return dt.date(as_of.year, 1, 1), as_of
    if preset == "All time":
        return None, None
    raise ValueError(f"unknown period {preset!r}: one of {', '.join(PERIOD_PRESETS)}")


# The calendar units a period may be, largest first, and their length in months.
_UNIT_MONTHS = {"year": 12, "quarter": 3, "month": 1}
# What the KPIs may compare with (Filters.compare).
COMPARISONS = {"previous": "Previous period", "last_year": "Same period last year", "none": "No comparison"}


def calendar_unit(start: dt.date, end: dt.date) -> str | None:
    """"year", "quarter" or "month" when [start, end] begins on the first day of one and ends within
    it (the largest such unit); None for any other period."""
    for unit, months in _UNIT_MONTHS.items():
        if start.day == 1 and (start.month - 1) % months == 0 and start <= end <= _unit_end(start, months):
            return unit
    return None


def _unit_end(start: dt.date, months: int) -> dt.date:
    """The last day of the `months`-long unit that begins on `start`."""
    return _months_before(start, -months) - dt.timedelta(days=1)


def _months_before(day: dt.date, months: int) -> dt.date:
    """The first-of-month `day` moved `months` months back (forward when negative)."""
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same date `years` years earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def local_today(timezone: str) -> dt.date:
    """Today's date in the client's time zone (the default as-of date)."""
    return dt.datetime.now(ZoneInfo(timezone)).date()


def _bidx(d: str) -> str:
    """SQL: business days before date `d` counted from a Monday epoch, less weekday holidays before it.

    busday_count(a, b) is then bidx(b) - bidx(a) for b on or after a, exactly as numpy. Holidays
    before `d` are looked up in `$hc` (a prefix count per day between the first and last holiday,
    see `Report._holiday_params`), so the cost per row is constant.
    """
    n = f"datediff('day', DATE '1970-01-05', {d})"
    weeks = f"floor({n} / 7)::BIGINT"
    before = (f"(CASE WHEN {d} <= $hmin THEN 0 WHEN {d} > $hmax THEN $hn "
              f"ELSE $hc[datediff('day', $hmin, {d})] END)")
    return f"(5 * {weeks} + least({n} - 7 * {weeks}, 5) - {before})"


class Report:
    """Metrics for one client, filters and as-of date, over fact tables built once on `con`."""

    def __init__(self, con, filters: Filters, *, live: bool = False):
        self.con = con
        self.live = live   # compute from the events even where stored facts hold (`refresh_facts`)
        client = client_settings.get_client(con, filters.client)
        if client is None:
            raise UnknownClient(f"unknown client {filters.client!r}; known clients: "
                                + (", ".join(client_settings.list_clients(con)) or "none"))
        self.settings = client
        self.available = availability(con, client["client"])
        as_of = filters.as_of or local_today(client["timezone"])
        self.filters = replace(filters, client=client["client"], as_of=as_of)
        self.business = client["day_count"] == "business"
        # Holidays on weekends never count in busday_count, so they must not be subtracted either.
        self.holidays = sorted({h for h in client["holidays"] if h.weekday() < 5})
        self.prefix = f"__m{next(_counter)}_"
        self._totals = {}   # (metric, from, to) -> totals: kpis() and summary() ask for the same ones
        self._variables = {}   # the session variables of this report's views (`_exec_as`)
        self._build()

    # -- building the facts ---------------------------------------------------------------------
    def _params(self, **extra) -> dict:
        f = self.filters
        params = {"client": f.client, "as_of": f.as_of, "k": self.settings["sla_first_submittals"],
                  "n": self.settings["sla_within_days"], "deps": list(f.departments),
                  "recs": list(f.recruiters), "hms": list(f.hiring_managers), "req": f.requisition,
                  "filtered": f.filtered, "hol": self.holidays, **self._holiday_params(),
                  "sla_promise": sla_promise(self.settings),
                  "history": self.available["stage_history"], "closed": list(CLOSED_STATUSES)}
        params.update(extra)
        return params

    def _holiday_params(self) -> dict:
        """`$hc[i]` = weekday holidays before day `$hmin + i` (1-based), from the first to the last."""
        hol = self.holidays
        if not hol:
            return {"hmin": dt.date(1970, 1, 1), "hmax": dt.date(1970, 1, 1), "hc": [], "hn": 0}
        span = (hol[-1] - hol[0]).days
        counts, k = [], 0
        for i in range(1, span + 1):
            while k < len(hol) and hol[k] < hol[0] + dt.timedelta(days=i):
                k += 1
            counts.append(k)
        return {"hmin": hol[0], "hmax": hol[-1], "hc": counts, "hn": len(hol)}

    def _exec(self, sql: str, **extra):
        used = {k: v for k, v in self._params(**extra).items() if f"${k}" in sql}
        return self.con.execute(sql, used)

    def _exec_as(self, view: bool, name: str, sql: str) -> None:
        """Create the temporary table `name` as `sql`, or (`view`) a temporary view. A view keeps no
        parameters: each one it uses is bound to a session variable of this report's, which it reads."""
        if not view:
            self._exec(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
            return
        used = {k: v for k, v in self._params().items() if f"${k}" in sql}
        for key, value in used.items():
            self.con.execute(f"SET VARIABLE {self.prefix}{key} = $v", {"v": value})
        self._variables.update(used)
        sql = re.sub(r"\$([A-Za-z_]\w*)", lambda m: f"getvariable('{self.prefix}{m.group(1)}')"
                     if m.group(1) in used else m.group(0), sql)
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")

    def days(self, a: str, b: str) -> str:
        """SQL for days(a, b) between two local-date expressions in this client's day-count mode."""
        if self.business:
            # numpy.busday_count counts [a, b) forwards, and (b, a] negated when b is before a.
            return (f"(CASE WHEN {b} >= {a} THEN {_bidx(b)} - {_bidx(a)} "
                    f"ELSE {_bidx(f'({b} + 1)')} - {_bidx(f'({a} + 1)')} END)")
        return f"datediff('day', {a}, {b})"

    def t(self, name: str) -> str:
        """The name of one of this report's fact tables."""
        return self.prefix + name

    def _stored_facts(self) -> bool:
        """Whether the client's stored facts (`refresh_facts`) hold: computed from the events,
        applications and requisitions stored now. Off with `live`."""
        if self.live:
            return False
        try:
            row = self._exec(f"""SELECT s.events = c.events AND s.applications = c.applications
                                        AND s.requisitions = c.requisitions
                                 FROM facts_state s, ({_COUNTS_SQL}) c WHERE s.client = $client""").fetchone()
        except duckdb.CatalogException:   # a database written before stored facts existed
            return False
        return bool(row and row[0])

    def _build(self) -> None:
        p = self.t
        # submittals_known: false for a requisition whose applications' only stage events are a
        # snapshot's outcomes (whatever the as-of date): nothing says whether or when anyone was
        # submitted, so it has no SLA deadline and awaits no first submittal.
        # (A client without snapshot events, the usual case, skips the work: every submittal is known.)
        snapshots = self.available["snapshots"]
        known = f"""SELECT a.requisition_id, bool_or(NOT {snapshot_event_sql('e')}) AS history
                    FROM stage_events e JOIN applications a ON a.client = e.client AND a.application_id = e.application_id
                    WHERE e.client = $client GROUP BY a.requisition_id""" if snapshots else \
            "SELECT NULL::VARCHAR AS requisition_id, NULL::BOOLEAN AS history LIMIT 0"
        self._exec(f"""CREATE OR REPLACE TEMP TABLE {p('reqall')} AS
            WITH known AS ({known})
            SELECT requisition_id, title, department, recruiter, hiring_manager, status, openings,
                   opened_on, assigned_on, coalesce(assigned_on, opened_on) AS start_on, closed_on,
                   coalesce(k.history, true) AS submittals_known, {KEEP_SQL} AS keep
            FROM requisitions LEFT JOIN known k USING (requisition_id) WHERE client = $client""")
        stored = self._stored_facts()
        facts = ("SELECT * EXCLUDE (client) FROM application_facts WHERE client = $client "
                 "AND ($req::VARCHAR IS NULL OR requisition_id = $req::VARCHAR)") if stored \
            else application_facts_sql(snapshots, one_requisition=self.filters.requisition is not None)
        # The facts as of the as-of date: what happened on or before it (application_facts_sql).
        # Over stored facts, a view: each query reads only the columns it needs of the stored table
        # (cheaper than copying every application into a table); from the events, a table.
        self._exec_as(stored, p('app'), f"""
            WITH r AS (
                SELECT application_id, requisition_id, candidate_id, source, status,
                       known_req, department, recruiter, hiring_manager,
                       CASE WHEN sub_on <= $as_of THEN sub_at END AS sub_at,
                       CASE WHEN sub_on <= $as_of THEN sub_on END AS sub_on,
                       interview_on <= $as_of AS reached_interview, offer_on <= $as_of AS reached_offer,
                       CASE WHEN hire_on <= $as_of THEN hire_on END AS hire_on,
                       end_on <= $as_of AS ended,
                       CASE WHEN feedback_on <= $as_of THEN feedback_on END AS feedback_on
                FROM ({facts})
            )
            SELECT r.application_id, r.requisition_id, r.candidate_id, r.source, r.status,
                   r.known_req, r.department, r.recruiter, r.hiring_manager,
                   r.sub_at, r.sub_on,
                   coalesce(r.reached_interview OR (r.hire_on IS NOT NULL AND r.sub_at IS NOT NULL), false) AS interviewed,
                   coalesce(r.reached_offer OR (r.hire_on IS NOT NULL AND r.sub_at IS NOT NULL), false) AS offered,
                   r.hire_on IS NOT NULL AS hired, r.hire_on, coalesce(r.ended, false) AS ended, r.feedback_on,
                   {self.days('r.sub_on', 'r.feedback_on')} AS feedback_days
            FROM r
            -- the requisition filters (KEEP_SQL) on the application's requisition, which must be known
            WHERE NOT $filtered OR (known_req AND {KEEP_SQL})""")
        if self.business:
            # Due = numpy.busday_offset(start, N, roll='forward'): the business day whose index is
            # bidx(start) + N (rolling a weekend/holiday start forward does not change its index).
            due = f"(SELECT c.d FROM cal c WHERE c.bidx = {_bidx('q.start_on')} + $n)"
            cal = f""", cal AS (
                SELECT d::DATE AS d, {_bidx('d::DATE')} AS bidx
                FROM range((SELECT min(start_on) FROM {p('reqall')})::TIMESTAMP,
                           ((SELECT max(start_on) FROM {p('reqall')}) + (2 * $n + 30 + len($hol))::INTEGER)::TIMESTAMP,
                           INTERVAL 1 DAY) t(d)
                WHERE isodow(d) < 6 AND NOT list_contains($hol, d::DATE))"""
        else:
            due, cal = "q.start_on + $n::INTEGER", ""
        self._exec(f"""CREATE OR REPLACE TEMP TABLE {p('req')} AS
            WITH subs AS (
                SELECT requisition_id, sub_at, sub_on,
                       row_number() OVER (PARTITION BY requisition_id ORDER BY sub_at) AS k
                FROM {p('app')} WHERE known_req AND sub_at IS NOT NULL
            ), s AS (
                SELECT requisition_id, min(sub_on) AS first_sub_on,
                       max(sub_on) FILTER (WHERE k = $k) AS kth_sub_on, count(*) AS submittals
                FROM subs GROUP BY requisition_id
            ), h AS (
                SELECT requisition_id, min(hire_on) AS first_hire_on, count(*) AS hires
                FROM {p('app')} WHERE known_req AND hire_on IS NOT NULL GROUP BY requisition_id
            ){cal}
            SELECT q.* EXCLUDE (keep), s.first_sub_on, s.kth_sub_on, coalesce(s.submittals, 0) AS submittals,
                   h.first_hire_on, coalesce(h.hires, 0) AS hires,
                   {self.days('q.start_on', 's.first_sub_on')} AS tts_days,
                   {self.days('q.start_on', 'h.first_hire_on')} AS ttf_days,
                   {due} AS sla_due_on
            FROM {p('reqall')} q LEFT JOIN s USING (requisition_id) LEFT JOIN h USING (requisition_id)
            WHERE q.keep""")
        self._exec(f"""CREATE OR REPLACE TEMP TABLE {p('deadline')} AS
            WITH d AS (
                SELECT 'sla' AS kind, requisition_id AS deadline_id, requisition_id, true AS known_req,
                       department, recruiter, hiring_manager,
                       $sla_promise AS description,
                       sla_due_on AS due_on, kth_sub_on AS delivered_on, NULL::DATE AS revised_due_date,
                       NULL::DATE AS revised_on, 'rpo' AS side, NULL::VARCHAR AS given_reason,
                       false AS revised, false AS revised_in_time
                -- without a stage history (the client's, or this requisition's) there are no
                -- submittals to judge an SLA deadline by
                FROM {p('req')} WHERE start_on <= $as_of AND $history AND submittals_known
                UNION ALL
                SELECT 'commitment', c.commitment_id, c.requisition_id, q.requisition_id IS NOT NULL,
                       q.department, q.recruiter, q.hiring_manager, c.description,
                       c.due_date, CASE WHEN c.delivered_on <= $as_of THEN c.delivered_on END,
                       c.revised_due_date, c.revised_on, coalesce(c.side, 'rpo'), c.reason,
                       c.revised_due_date IS NOT NULL AND (c.revised_on IS NULL OR c.revised_on <= $as_of),
                       c.revised_due_date IS NOT NULL AND c.revised_on <= $as_of AND c.revised_on < c.due_date
                FROM commitments c LEFT JOIN {p('reqall')} q ON q.requisition_id = c.requisition_id
                WHERE c.client = $client AND (NOT $filtered OR q.keep)
            )
            SELECT *,
                   CASE WHEN delivered_on <= due_on THEN 'met'
                        WHEN delivered_on IS NOT NULL OR due_on < $as_of THEN 'missed'
                        ELSE 'pending' END AS status,
                   CASE WHEN delivered_on > due_on OR (delivered_on IS NULL AND due_on < $as_of) THEN
                        coalesce(given_reason, CASE WHEN kind = 'sla' THEN 'SLA: too few submittals in time'
                                                    ELSE '(no reason given)' END) END AS reason
            FROM d""")

    # -- aggregating ----------------------------------------------------------------------------
    def _period_sql(self, col: str) -> str:
        return f"($from::DATE IS NULL OR {col} >= $from::DATE) AND ($to::DATE IS NULL OR {col} <= $to::DATE)"

    @staticmethod
    def _group_sql(m: Metric, by: str | None, grain: str | None) -> tuple[str, str] | None:
        """The GROUP BY expression and its column name for a dimension or a time grain."""
        if by:
            if by not in DIMENSIONS[m.fact]:
                raise ValueError(f"cannot break {m.key} down by {by!r}; use one of {', '.join(DIMENSIONS[m.fact])}")
            # Rows whose requisition is unknown have no department (etc.): they form their own group.
            if by in _REQ_DIMS and m.fact != "req":
                return f"CASE WHEN NOT known_req THEN '(unknown requisition)' ELSE coalesce({by}, '(not set)') END", by
            return f"coalesce({by}, '(not set)')", by
        if grain:
            if grain not in GRAINS:
                raise ValueError(f"unknown grain {grain!r}; use one of {sorted(GRAINS)}")
            return f"date_trunc('{grain}', {m.date})::DATE", "period"
        return None

    def _aggregate_sql(self, metric: str, by: str | None, grain: str | None) -> str:
        m: Metric = METRICS[metric]
        group = self._group_sql(m, by, grain)
        aggs = ", ".join(f"{expr} AS {name}" for name, expr in m.aggregates.items())
        select = f"{group[0]} AS {group[1]}, {aggs}" if group else aggs
        sql = f"SELECT {select} FROM {self.t(m.fact)} WHERE {m.date} IS NOT NULL AND {self._period_sql(m.date)}"
        return sql + (" GROUP BY 1 ORDER BY 1" if group else "")

    def aggregate(self, metric: str, *, by: str | None = None, grain: str | None = None,
                  filters: Filters | None = None):
        """The metric's aggregates for the period, grouped by a dimension or a week/month bucket.

        Returns a pandas DataFrame, one row per group, the group column (`by`, or `period` for a
        time grain) first. Groups are local dates / values; the rows add up to `totals`.
        `filters` may differ from the report's only in the period.
        """
        f = filters or self.filters
        return self._exec(self._aggregate_sql(metric, by, grain),
                          **{"from": f.date_from, "to": f.date_to}).df()

    def totals(self, metric: str, filters: Filters | None = None) -> dict:
        """The metric's overall aggregates for the period, as plain Python values (None when empty)."""
        f = filters or self.filters
        key = (metric, f.date_from, f.date_to)
        if key not in self._totals:
            cur = self._exec(self._aggregate_sql(metric, None, None), **{"from": f.date_from, "to": f.date_to})
            self._totals[key] = dict(zip([d[0] for d in cur.description], cur.fetchall()[0]))
        return dict(self._totals[key])

    def awaiting(self, filters: Filters | None = None):
        """Requisitions awaiting a first submittal at E = min(to, as_of), with their age in days."""
        f = filters or self.filters
        end = min(f.date_to, f.as_of) if f.date_to else f.as_of
        return self._exec(f"""
            SELECT requisition_id, title, department, recruiter, hiring_manager, start_on,
                   {self.days('start_on', '$end::DATE')} AS age_days
            FROM {self.t('req')}
            WHERE start_on <= $end::DATE AND (closed_on IS NULL OR closed_on > $end::DATE)
              AND NOT {CLOSED_UNDATED_SQL} AND submittals_known
              AND (first_sub_on IS NULL OR first_sub_on > $end::DATE)
            ORDER BY age_days DESC, requisition_id""", end=end).df()

    def rows(self, metric: str, filters: Filters | None = None, *, subset: str | None = None,
             by: str | None = None, value=None, grain: str | None = None, period: dt.date | None = None,
             days: int | None = None):
        """The fact rows behind one of the metric's numbers for the period (drill-down and exports).

        `subset` names one of the metric's counts (`Metric.subsets`); `by`/`value` picks one group of
        `aggregate(by=...)`, `grain`/`period` one bucket of `aggregate(grain=...)`, and `days` the
        rows of a duration metric with exactly that day count. The number of
        rows returned equals that count in that group: both use the same conditions.
        """
        m: Metric = METRICS[metric]
        f = filters or self.filters
        where = [f"{m.date} IS NOT NULL", self._period_sql(m.date)]
        params = {"from": f.date_from, "to": f.date_to}
        if subset is not None:
            if subset not in m.subsets:
                raise ValueError(f"{metric} has no subset {subset!r}; use one of {', '.join(m.subsets)}")
            where.append(f"({m.subsets[subset]})")
        if by or grain:
            where.append(f"{self._group_sql(m, by, grain)[0]} = $value")
            params["value"] = value if by else period
        if days is not None:
            where.append(f"{DAY_COLUMNS[metric]} = $days")
            params["days"] = days
        return self._exec(f"SELECT * FROM {self.t(m.fact)} WHERE {' AND '.join(where)} ORDER BY {m.date}",
                          **params).df()

    def awaiting_feedback(self, filters: Filters | None = None):
        """The period's submittals still waiting for the hiring manager's answer at the as-of date,
        with their age in days (the rows behind the `awaiting_feedback` count)."""
        f = filters or self.filters
        cond = METRICS["hm_feedback_days"].subsets["awaiting_feedback"]
        return self._exec(f"""
            SELECT application_id, requisition_id, candidate_id, department, recruiter, hiring_manager,
                   sub_on, {self.days('sub_on', '$as_of')} AS age_days
            FROM {self.t('app')}
            WHERE sub_on IS NOT NULL AND {self._period_sql('sub_on')} AND {cond}
            ORDER BY age_days DESC, application_id""", **{"from": f.date_from, "to": f.date_to}).df()

    def upcoming(self):
        """Deadlines nothing was delivered for yet that fall due from the as-of date to
        `UPCOMING_DAYS` calendar days after it: what a CSM warns the client about. Not limited to
        the period."""
        return self._exec(f"""
            SELECT kind, deadline_id, requisition_id, department, recruiter, hiring_manager, description,
                   due_on, revised_due_date, side, datediff('day', $as_of, due_on) AS days_left
            FROM {self.t('deadline')}
            WHERE status = 'pending' AND due_on BETWEEN $as_of AND $as_of + $days::INTEGER
            ORDER BY due_on, kind, deadline_id""", days=definitions.UPCOMING_DAYS).df()

    def requisition(self, requisition_id: str) -> dict | None:
        """One requisition's story at the as-of date: its facts (dates, SLA due date, day counts),
        its SLA deadline, its applications, their stage events in the client's words, and the
        commitments made on it. None when the requisition is unknown (or filtered out)."""
        req = self._exec(f"SELECT * FROM {self.t('req')} WHERE requisition_id = $req", req=requisition_id).df()
        if req.empty:
            return None
        deadlines = self._exec(f"SELECT * FROM {self.t('deadline')} WHERE requisition_id = $req "
                               "ORDER BY kind DESC, due_on, deadline_id", req=requisition_id).df()
        apps = self._exec(f"""
            SELECT application_id, candidate_id, source, status, sub_on, interviewed, offered, hired, ended,
                   feedback_on, feedback_days
            FROM {self.t('app')} WHERE requisition_id = $req ORDER BY sub_on NULLS LAST, application_id""",
                          req=requisition_id).df()
        if not self.available["stage_history"] or not req["submittals_known"].iloc[0]:
            # Without a history, "not interviewed" would be a guess: only the outcomes are known.
            apps = apps.drop(columns=["sub_on", "interviewed", "offered", "feedback_on", "feedback_days"])
        events = self._exec(f"""
            SELECT e.application_id, e.raw_stage, coalesce(e.stage, '(unmapped)') AS stage, e.entered_at,
                   e.entered_on, e.exited_at
            FROM stage_events e JOIN {self.t('app')} a USING (application_id)
            WHERE e.client = $client AND a.requisition_id = $req AND e.entered_on <= $as_of
            ORDER BY e.application_id, e.entered_at""", req=requisition_id).df()
        return {"requisition": req.iloc[0].to_dict(), "sla": deadlines[deadlines["kind"] == "sla"],
                "commitments": deadlines[deadlines["kind"] == "commitment"], "applications": apps, "events": events}

    def summary(self, filters: Filters | None = None) -> dict:
        """The machine-readable summary of domain.md (a stable contract; keys only ever added)."""
        f = filters or self.filters
        tts = self.totals("time_to_submit", f)
        conv = self.totals("interview_conversion", f)
        dl = self.totals("deadline_adherence", f)
        ttf = self.totals("time_to_fill", f)
        hm = self.totals("hm_feedback_days", f)
        na, notes = self.available["not_available"], self.available["notes"]

        def said(metric: str, values: dict) -> dict:
            # A metric that cannot be computed has no numbers, only the reason (keys stay present).
            if metric in na:
                values = {k: dict.fromkeys(v) if isinstance(v, dict) else None for k, v in values.items()}
            return {**values, "not_available": na.get(metric), "note": notes.get(metric)}
        return {
            "client": f.client,
            "department": f.departments[0] if f.departments else None,
            "from": f.date_from.isoformat() if f.date_from else None,
            "to": f.date_to.isoformat() if f.date_to else None,
            "as_of": f.as_of.isoformat(),
            "stage_history": self.available["stage_history"],
            "time_to_submit": said("time_to_submit", {**{k: tts[k] for k in ("n", "median", "mean", "p90")},
                                                      "awaiting_first_submittal": len(self.awaiting(f))}),
            "interview_conversion": said("interview_conversion", {k: conv[k] for k in (
                "submitted", "interviewed", "offered", "hired", "submit_to_interview",
                "interview_to_offer", "offer_to_hire", "in_process")}),
            "deadline_adherence": said("deadline_adherence", {
                **{k: dl[k] for k in ("due", "met", "missed", "rate", "pending")},
                "missed_by_side": {"rpo": dl["missed_rpo"], "client": dl["missed_client"]},
                **{k: dl[k] for k in ("revised", "revised_in_time")}}),
            "time_to_fill": said("time_to_fill", {k: ttf[k] for k in ("n", "median", "mean", "p90")}),
            "hm_feedback_days": said("hm_feedback_days", {k: hm[k] for k in ("n", "median", "mean")}),
        }

    def target(self, metric: str) -> float | None:
        """The client's target for the metric's headline number (None when not set)."""
        return self.settings["targets"].get(METRICS[metric].target_key)

    def kpis(self, compare: bool = True) -> list[dict]:
        """Each metric's headline number with its target, n, (with `compare`) the comparison
        period's value, its status against the target (`target_status`) and the sentence saying
        what changed (`kpi_sentence`): what the KPI cards, the deck's summary and the digest show."""
        prev = self.filters.previous() if compare else None
        out = []
        for m in METRICS.values():
            now = self.totals(m.key)
            before = self.totals(m.key, prev) if prev else None
            target = self.target(m.key)
            missing = self.available["not_available"].get(m.key)
            k = {"metric": m.key, "title": m.title, "short": m.short, "unit": m.unit, "value": now[m.kpi],
                 "n": now[m.n_key], "previous": before[m.kpi] if before else None, "target": target,
                 "lower_is_better": m.lower_is_better, "totals": now,
                 "status": target_status(now[m.kpi], target, m.lower_is_better),
                 "not_available": missing, "note": self.available["notes"].get(m.key)}
            if missing:   # no number: neither this period's, nor the comparison's, nor a status against target
                k.update(value=None, n=None, previous=None, status="not available")
            out.append({**k, "sentence": kpi_sentence(k, compare=prev is not None)})
        return out

    def close(self) -> None:
        for name in ("reqall", "app", "req", "deadline"):
            kind = "VIEW" if name == "app" and self._variables else "TABLE"
            self.con.execute(f"DROP {kind} IF EXISTS {self.t(name)}")
        for key in self._variables:
            self.con.execute(f"RESET VARIABLE {self.prefix}{key}")


def summary(con, filters: Filters, *, live: bool = False) -> dict:
    """The machine-readable summary (domain.md) for `filters` (`live`: see `Report`)."""
    report = Report(con, filters, live=live)
    try:
        return report.summary()
    finally:
        report.close()


def requisitions(con, filters: Filters):
    """The client's requisitions passing the requisition filters, newest start first (a list to
    choose from: no report is built)."""
    client = client_settings.get_client(con, filters.client)
    if client is None:
        raise UnknownClient(f"unknown client {filters.client!r}")
    return con.execute(f"""
        SELECT requisition_id, title, department, coalesce(assigned_on, opened_on) AS start_on, status
        FROM requisitions WHERE client = $client AND {KEEP_SQL}
        ORDER BY start_on DESC NULLS LAST, requisition_id""",
        {"client": client["client"], "deps": list(filters.departments), "recs": list(filters.recruiters),
         "hms": list(filters.hiring_managers), "req": filters.requisition}).df()


def options(con, client: str) -> dict:
    """The values a client's filters can take: departments, recruiters, hiring managers."""
    out = {}
    for col in ("department", "recruiter", "hiring_manager"):
        out[col] = [r[0] for r in con.execute(
            f"SELECT DISTINCT {col} FROM requisitions WHERE client = ? AND {col} IS NOT NULL ORDER BY 1",
            [client]).fetchall()]
    return out


def stage_labels(con, client: str) -> dict:
    """Each canonical stage in the client's own words (its dictionary), for funnels and decks."""
    words = {}
    for raw, stage in con.execute("SELECT raw_stage, stage FROM stage_dictionary WHERE client = ? "
                                  "ORDER BY rowid", [client]).fetchall():
        words.setdefault(stage, []).append(raw)
    return {s: " / ".join(words[s][:2]) if s in words else s.capitalize()
            for s in ("applied", "screened", "submitted", "interviewed", "offered", "hired")}


def latest_data(con, client: str) -> dt.date | None:
    """The last day on which the client's data records something (a stage entered or left, a
    requisition opened, assigned or closed, an application, a deadline delivered or revised): the
    default as-of date, so that a report never claims fresher data than was loaded. Days after
    today in the client's time zone (a typo in a file) do not count."""
    today = local_today(_timezone(con, client))
    row = con.execute("""
        SELECT max(day) FROM (
            SELECT unnest([entered_on, exited_on]) AS day FROM stage_events WHERE client = $c
            UNION ALL SELECT unnest([opened_on, assigned_on, closed_on]) FROM requisitions WHERE client = $c
            UNION ALL SELECT applied_on FROM applications WHERE client = $c
            UNION ALL SELECT unnest([delivered_on, revised_on]) FROM commitments WHERE client = $c)
        WHERE day <= $t""", {"c": client, "t": today}).fetchone()
    return row[0] if row else None


def _timezone(con, client: str) -> str:
    row = con.execute("SELECT timezone FROM clients WHERE client = ?", [client]).fetchone()
    return row[0] if row and row[0] else "UTC"


def last_loaded(con, client: str):
    """When data for the client was last loaded (None if never): the "data as of" of captions."""
    rows = con.execute("SELECT max(loaded_at) FROM files WHERE client = ? OR list_contains(clients, ?)",
                       [client, client]).fetchall()
    return rows[0][0] if rows else None
