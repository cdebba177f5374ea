"""An independent, vectorised pandas implementation of the machine-readable summary (domain.md).

It exists to check the project's `metrics.summary` (SQL in DuckDB) and to be the "pandas" side of
its speed goal, so it is deliberately written from domain.md and the glossary's rules
(`metrics.RULES`) for the cases domain.md leaves open, never from the code in `metrics/`. It reads the stored canonical tables with plain
`SELECT * ... WHERE client = ?` queries and does every computation over whole columns with
pandas/numpy (sorting, `drop_duplicates`, `groupby`), never a Python loop over rows.

Conventions used throughout:
- local dates are `numpy.datetime64[D]` arrays (NaT = missing), instants `datetime64[us]` (UTC);
- applications and requisitions are addressed by integer positions (`pandas.Index.get_indexer`),
  so per-entity results are plain numpy arrays aligned with those indexes.

Run `python -m benchmarks.pandas_summary` for the hand-checked self-check at the bottom.
"""
from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

# Canonical stage ranks (domain.md). `rejected`, `withdrawn` and unmapped (NULL) have no rank:
# they never count as reaching a stage.
RANK = {"applied": 1, "screened": 2, "submitted": 3, "interviewed": 4, "offered": 5, "hired": 6}
SUBMITTED, INTERVIEWED, OFFERED, HIRED = 3, 4, 5, 6
TABLES = ("requisitions", "applications", "stage_events", "commitments")


# ---------------------------------------------------------------------------------------------
# Small helpers over whole arrays.

def _as_day(value) -> np.datetime64 | None:
    """A date argument (datetime.date, ISO string or None) as numpy day precision."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    return np.datetime64(dt.date.fromisoformat(value) if isinstance(value, str) else value, "D")


def _days_col(series: pd.Series) -> np.ndarray:
    """A date column as datetime64[D] (NULL -> NaT). DuckDB reads DATE as datetime64[us], and pandas
    keeps day arrays as datetime64[s], but numpy's business-day functions want day precision."""
    return series.to_numpy(dtype="datetime64[us]").astype("datetime64[D]")


def _in_period(days: np.ndarray, date_from, date_to) -> np.ndarray:
    """Local dates inside the inclusive period; NaT is never inside (comparisons with NaT are False)."""
    ok = ~np.isnat(days)
    if date_from is not None:
        ok &= days >= date_from
    if date_to is not None:
        ok &= days <= date_to
    return ok


class _DayCounter:
    """domain.md's `days(a, b)` and the SLA due date, in the client's day-count mode."""

    def __init__(self, business: bool, holidays: np.ndarray):
        self.business = business
        self.holidays = holidays

    def days(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """b - a in days as float (NaN where either is missing); negative when b < a, kept on purpose
        because out-of-order data must show, not vanish."""
        out = np.full(len(a), np.nan)
        ok = ~(np.isnat(a) | np.isnat(b))
        if self.business:
            out[ok] = np.busday_count(a[ok], b[ok], holidays=self.holidays)
        else:
            out[ok] = (b[ok] - a[ok]).astype(np.int64)
        return out

    def add(self, start: np.ndarray, n: int) -> np.ndarray:
        """start + n days; in business mode numpy's busday_offset rolling a weekend/holiday start
        forward first (domain.md's examples: a Saturday start counts from Monday)."""
        out = np.full(len(start), np.datetime64("NaT", "D"), dtype="datetime64[D]")
        ok = ~np.isnat(start)
        if self.business:
            out[ok] = np.busday_offset(start[ok], n, roll="forward", holidays=self.holidays)
        else:
            out[ok] = start[ok] + np.timedelta64(n, "D")
        return out


def _first_per_group(keys: np.ndarray, order: np.ndarray, n_groups: int, nth: int = 0) -> np.ndarray:
    """For each group 0..n_groups-1, the position (into `keys`) of its `nth` smallest `order` value,
    or -1 when the group has fewer than nth+1 members. Ties keep the input order (stable sort)."""
    out = np.full(n_groups, -1, dtype=np.int64)
    if len(keys) == 0:
        return out
    frame = pd.DataFrame({"k": keys, "o": order})
    frame = frame.sort_values(["k", "o"], kind="stable")
    pos_in_group = frame.groupby("k", sort=False).cumcount().to_numpy()
    chosen = frame[pos_in_group == nth]
    out[chosen["k"].to_numpy()] = chosen.index.to_numpy()
    return out


def _take(values: np.ndarray, positions: np.ndarray, fill) -> np.ndarray:
    """values[positions] with `fill` where position is -1."""
    out = np.full(len(positions), fill, dtype=values.dtype)
    hit = positions >= 0
    out[hit] = values[positions[hit]]
    return out


def _stats(values: np.ndarray, *, mean_p90: bool = False) -> dict:
    """n, median (and mean, p90) of a day-count sample; statistics are None for an empty sample.
    Percentiles interpolate linearly, as DuckDB's quantile_cont."""
    values = values[~np.isnan(values)]
    n = int(len(values))
    out = {"n": n, "median": float(np.median(values)) if n else None}
    if mean_p90:
        out["mean"] = float(np.mean(values)) if n else None
        out["p90"] = float(np.percentile(values, 90)) if n else None
    return out


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


# ---------------------------------------------------------------------------------------------
# The summary.

def _load(con, client: str) -> tuple[dict, dict[str, pd.DataFrame]]:
    """The client's settings row and its four canonical tables as pandas frames."""
    key = " ".join(str(client).split()).lower()   # client names match trimmed, case-insensitively
    cur = con.execute("SELECT * FROM clients WHERE client_key = ?", [key])
    row = cur.fetchone()
    if row is None:
        raise ValueError(f"unknown client {client!r}")
    settings = dict(zip([d[0] for d in cur.description], row))
    name = settings["client"]
    frames = {t: con.execute(f"SELECT * FROM {t} WHERE client = ?", [name]).df() for t in TABLES}
    return settings, frames


def pandas_summary(con, client, departments=(), recruiters=(), hiring_managers=(), date_from=None,
                   date_to=None, as_of=None) -> dict:
    """The summary JSON object of domain.md for one client, computed in pandas/numpy.

    Filters are lists matched with "any of"; dates are datetime.date or ISO strings (None = open
    bound; as_of None = the client's local today).
    """
    settings, f = _load(con, client)
    if as_of is None:
        # The report describes the client's local today, not the server's.
        as_of = dt.datetime.now(ZoneInfo(settings["timezone"])).date()
    d_from, d_to, d_asof = _as_day(date_from), _as_day(date_to), _as_day(as_of)
    holidays = np.array(list(settings["holidays"] or []), dtype="datetime64[D]")
    counter = _DayCounter(settings["day_count"] == "business", holidays)

    # --- Requisitions, their start, and which pass the filters.
    req = f["requisitions"].drop_duplicates("requisition_id", keep="last").reset_index(drop=True)
    req_index = pd.Index(req["requisition_id"])
    # Start = assigned (when the RPO got it) where known, else opened; a reopened requisition's
    # earliest opened date is already what the loader stored.
    start = np.where(req["assigned_on"].isna(), _days_col(req["opened_on"]), _days_col(req["assigned_on"]))
    closed = _days_col(req["closed_on"])
    selected = np.ones(len(req), dtype=bool)
    for column, wanted in (("department", departments), ("recruiter", recruiters),
                           ("hiring_manager", hiring_managers)):
        if wanted:
            selected &= req[column].isin(list(wanted)).to_numpy()
    any_filter = bool(departments or recruiters or hiring_managers)

    def keep_by_requisition(req_ids: pd.Series) -> np.ndarray:
        """Rows (applications, commitments) whose requisition passes the filters. An unknown or
        missing requisition passes only when no filter is set (it belongs to no department)."""
        pos = req_index.get_indexer(req_ids)
        return np.where(pos >= 0, selected[np.maximum(pos, 0)] if len(req) else False, not any_filter)

    # --- Applications: those in the table, plus any application id only seen in events (its
    # requisition is unknown, so it counts only without filters; never dropped silently).
    apps = f["applications"].drop_duplicates("application_id", keep="last")
    ev_all = f["stage_events"]
    app_index = pd.Index(apps["application_id"]).append(
        pd.Index(ev_all["application_id"].dropna().unique()).difference(apps["application_id"]))
    app_req = pd.Series(apps["requisition_id"].to_numpy(), index=apps["application_id"].to_numpy()) \
        .reindex(app_index)
    app_req_pos = req_index.get_indexer(app_req)
    app_kept = keep_by_requisition(app_req)
    n_apps = len(app_index)

    # --- Stage events that happened by as_of and carry a canonical stage or outcome.
    at = ev_all["entered_at"].to_numpy(dtype="datetime64[us]")
    on = _days_col(ev_all["entered_on"])
    app_of_event = app_index.get_indexer(ev_all["application_id"])   # -1: no application id at all
    usable = ~np.isnat(at) & ~np.isnat(on) & (on <= d_asof) & ev_all["stage"].notna().to_numpy() \
        & (app_of_event >= 0)
    ev = pd.DataFrame({
        "app": app_of_event[usable],
        "at": at[usable], "on": on[usable],
        "rank": ev_all["stage"].map(RANK).to_numpy(dtype=float)[usable],   # NaN: rejected/withdrawn
    }).sort_values("at", kind="stable").reset_index(drop=True)

    # Reached S = any event at S or later (skipped stages count as passed, re-entries once).
    max_rank = np.zeros(n_apps)
    ranked = ev[ev["rank"].notna()]
    top = ranked.groupby("app")["rank"].max()
    max_rank[top.index.to_numpy()] = top.to_numpy()

    # Submittal = the earliest entry into submitted or any later stage (events are sorted by instant).
    subs = ev[ev["rank"] >= SUBMITTED].drop_duplicates("app")
    sub_at = np.full(n_apps, np.datetime64("NaT", "us"), dtype="datetime64[us]")
    sub_on = np.full(n_apps, np.datetime64("NaT", "D"), dtype="datetime64[D]")
    sub_at[subs["app"].to_numpy()] = subs["at"].to_numpy()
    sub_on[subs["app"].to_numpy()] = _days_col(subs["on"])

    # Per requisition: first submittal, K-th submittal (SLA) and first hire, over all its applications.
    has_sub = ~np.isnat(sub_at) & (app_req_pos >= 0)
    sub_req = app_req_pos[has_sub]
    sub_order = sub_at[has_sub].view(np.int64)
    sub_days = sub_on[has_sub]
    first_sub_on = _take(sub_days, _first_per_group(sub_req, sub_order, len(req)), np.datetime64("NaT", "D"))
    kth_sub_on = _take(sub_days, _first_per_group(sub_req, sub_order, len(req),
                                                  nth=int(settings["sla_first_submittals"]) - 1),
                       np.datetime64("NaT", "D"))
    hires = ev[ev["rank"] >= HIRED].drop_duplicates("app")
    hire_req = app_req_pos[hires["app"].to_numpy()]
    known = hire_req >= 0
    hire_days = _days_col(hires["on"])[known]
    first_hire_on = _take(hire_days, _first_per_group(hire_req[known], hires["at"].to_numpy()[known]
                                                      .view(np.int64), len(req)), np.datetime64("NaT", "D"))

    # --- Time-to-submit, for the selected requisitions whose first submittal is in the period.
    tts_in = selected & _in_period(first_sub_on, d_from, d_to)
    tts = _stats(counter.days(start[tts_in], first_sub_on[tts_in]), mean_p90=True)
    # Awaiting: as seen on E = min(to, as_of): started, still open, nothing submitted yet.
    e_day = d_asof if d_to is None else min(d_to, d_asof)
    awaiting = selected & ~np.isnat(start) & (start <= e_day) & (np.isnat(closed) | (closed > e_day)) \
        & (np.isnat(first_sub_on) | (first_sub_on > e_day))

    # --- Interview conversion: the cohort submitted in the period.
    cohort = app_kept & _in_period(sub_on, d_from, d_to)
    reached = {s: int((cohort & (max_rank >= r)).sum())
               for s, r in (("submitted", SUBMITTED), ("interviewed", INTERVIEWED), ("offered", OFFERED),
                            ("hired", HIRED))}

    # --- Hiring-manager feedback: first canonical event (outcomes included) strictly after the
    # submittal instant, for the cohort. `ev` is sorted by instant, so the first row per app wins.
    in_cohort = cohort[ev["app"].to_numpy()]
    after = ev[in_cohort & (ev["at"].to_numpy() > sub_at[ev["app"].to_numpy()])].drop_duplicates("app")
    fb_apps = after["app"].to_numpy()
    hm = _stats(counter.days(sub_on[fb_apps], _days_col(after["on"])))

    # --- Deadlines: one SLA deadline per selected requisition that had started by as_of (one
    # starting later did not exist yet on the report's day), plus the tracker's commitments.
    started = selected & (start <= d_asof)
    sla_due = counter.add(start, int(settings["sla_within_days"]))[started]
    sla_delivered = kth_sub_on[started]   # already limited to submittals by as_of
    com = f["commitments"]
    com = com[keep_by_requisition(com["requisition_id"])]
    com_due = _days_col(com["due_date"])
    com_delivered = _days_col(com["delivered_on"])
    com_delivered[com_delivered > d_asof] = np.datetime64("NaT", "D")   # delivered after as_of: not yet
    # An empty side is the RPO's (domain.md); SLA misses are always the RPO's.
    com_side = com["side"].astype(object).where(com["side"].notna(), "").to_numpy(dtype=str)
    com_side = np.char.lower(np.char.strip(com_side))
    com_side[com_side == ""] = "rpo"

    due = np.concatenate([sla_due, com_due])
    delivered = np.concatenate([sla_delivered, com_delivered])
    side = np.concatenate([np.full(len(sla_due), "rpo"), com_side]).astype(str)
    counted = _in_period(due, d_from, d_to)   # judged against the original due date
    done = ~np.isnat(delivered)
    met = counted & done & (delivered <= due)
    missed = counted & ((done & (delivered > due)) | (~done & (due < d_asof)))
    pending = counted & ~done & (due >= d_asof)
    by_side = {"rpo": 0, "client": 0}
    sides, counts = np.unique(side[missed], return_counts=True)
    by_side.update({str(s): int(c) for s, c in zip(sides, counts)})

    com_counted = _in_period(com_due, d_from, d_to)
    revised_on = _days_col(com["revised_on"])
    # A revision dated after as_of has not happened yet on the report's day.
    revised = com_counted & com["revised_due_date"].notna().to_numpy() \
        & (np.isnat(revised_on) | (revised_on <= d_asof))
    revised_in_time = revised & ~np.isnat(revised_on) & (revised_on < com_due)

    # --- Time-to-fill, for the selected requisitions whose first hire is in the period.
    ttf_in = selected & _in_period(first_hire_on, d_from, d_to)
    ttf = _stats(counter.days(start[ttf_in], first_hire_on[ttf_in]))

    n_met, n_missed = int(met.sum()), int(missed.sum())
    return {
        "client": settings["client"],
        "department": list(departments)[0] if departments else None,
        "from": d_from.item().isoformat() if d_from is not None else None,
        "to": d_to.item().isoformat() if d_to is not None else None,
        "as_of": d_asof.item().isoformat(),
        "time_to_submit": {"n": tts["n"], "median": tts["median"], "mean": tts["mean"], "p90": tts["p90"],
                           "awaiting_first_submittal": int(awaiting.sum())},
        "interview_conversion": {
            **reached,
            "submit_to_interview": _ratio(reached["interviewed"], reached["submitted"]),
            "interview_to_offer": _ratio(reached["offered"], reached["interviewed"]),
            "offer_to_hire": _ratio(reached["hired"], reached["offered"]),
        },
        "deadline_adherence": {
            "due": n_met + n_missed, "met": n_met, "missed": n_missed, "rate": _ratio(n_met, n_met + n_missed),
            "pending": int(pending.sum()), "missed_by_side": by_side,
            "revised": int(revised.sum()), "revised_in_time": int(revised_in_time.sum()),
        },
        "time_to_fill": ttf,
        "hm_feedback_days": hm,
    }


def diff_summaries(expected, got, path: str = "", rel: float = 1e-9) -> list[str]:
    """Differences between two summary dicts, as readable lines (empty list = identical).

    Floats compare with a relative tolerance (the two implementations may sum in another order);
    everything else, including int-versus-float and None, must match exactly.
    """
    if isinstance(expected, dict) and isinstance(got, dict):
        out = []
        for key in expected.keys() | got.keys():
            sub = f"{path}.{key}" if path else str(key)
            if key not in got:
                out.append(f"{sub}: missing (expected {expected[key]!r})")
            elif key not in expected:
                out.append(f"{sub}: unexpected key (got {got[key]!r})")
            else:
                out += diff_summaries(expected[key], got[key], sub, rel)
        return sorted(out)
    same_type = type(expected) is type(got) or (isinstance(expected, float) and isinstance(got, float))
    if same_type and isinstance(expected, float):
        if math.isclose(expected, got, rel_tol=rel, abs_tol=1e-12):
            return []
    elif same_type and expected == got:
        return []
    return [f"{path}: expected {expected!r} ({type(expected).__name__}), got {got!r} ({type(got).__name__})"]


# ---------------------------------------------------------------------------------------------
# Self-check on tiny hand-checkable tables (run: python -m benchmarks.pandas_summary).

def _selfcheck_db(day_count: str = "business"):
    """A two-requisition client in Chicago whose every figure is worked out by hand below."""
    import duckdb
    from store import SCHEMA

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(SCHEMA)
    con.execute("INSERT INTO clients VALUES ('Acme', 'acme', 'America/Chicago', ?, ['2026-07-03']::DATE[], "
                "'MDY', 2, 5, NULL, NULL, NULL)", [day_count])
    reqs = [
        # id, dept, hm, recruiter, opened_on, assigned_on, closed_on
        ("R1", "Eng", "Hana", "Rita", "2026-06-20", "2026-06-29", None),   # Monday start (assigned)
        ("R2", "Sales", "Sam", "Rob", "2026-07-10", None, None),          # Friday start
        ("R3", "Eng", "Hana", "Rob", "2026-07-01", None, "2026-07-05"),   # closed before any submittal
        ("R4", "Eng", "Hana", "Rita", "2026-07-20", None, None),          # open, awaiting
    ]
    for r in reqs:
        con.execute("INSERT INTO requisitions (client, requisition_id, department, hiring_manager, recruiter, "
                    "opened_on, assigned_on, closed_on) VALUES ('Acme', ?, ?, ?, ?, ?, ?, ?)", list(r))
    for app, req in [("A1", "R1"), ("A2", "R1"), ("A3", "R1"), ("B1", "R2"), ("B2", "R2"), ("X1", "R9")]:
        con.execute("INSERT INTO applications (client, application_id, requisition_id) VALUES ('Acme', ?, ?)",
                    [app, req])
    events = [
        # app, stage, entered_at (UTC), entered_on (Chicago)
        ("A1", "applied", "2026-06-29 15:00", "2026-06-29"),
        ("A1", "submitted", "2026-07-01 04:30", "2026-06-30"),     # late evening in Chicago
        ("A1", "interviewed", "2026-07-02 15:00", "2026-07-02"),
        ("A1", None, "2026-07-06 15:00", "2026-07-06"),            # unmapped word: ignored
        ("A1", "submitted", "2026-07-07 15:00", "2026-07-07"),     # re-entry: counts once
        ("A1", "offered", "2026-07-08 15:00", "2026-07-08"),
        ("A1", "hired", "2026-07-09 15:00", "2026-07-09"),
        ("A2", "interviewed", "2026-07-06 15:00", "2026-07-06"),   # skipped submitted: it is the submittal
        ("A2", "rejected", "2026-07-07 15:00", "2026-07-07"),
        ("A3", "screened", "2026-07-01 15:00", "2026-07-01"),
        ("A3", "withdrawn", "2026-07-02 15:00", "2026-07-02"),     # outcomes never reach a stage
        ("B1", "submitted", "2026-07-14 15:00", "2026-07-14"),
        ("B1", None, "2026-07-15 15:00", "2026-07-15"),            # unmapped: not the HM's feedback
        ("B2", "submitted", "2026-07-21 15:00", "2026-07-21"),
        ("B2", "interviewed", "2026-08-20 15:00", "2026-08-20"),   # after as_of: ignored
        ("X1", "submitted", "2026-07-15 15:00", "2026-07-15"),     # unknown requisition
        ("X1", "withdrawn", "2026-07-16 15:00", "2026-07-16"),
        ("Z9", "submitted", "2026-07-16 15:00", "2026-07-16"),     # event of an unlisted application
    ]
    for app, stage, at, on in events:
        con.execute("INSERT INTO stage_events (client, application_id, raw_stage, stage, entered_at, entered_on)"
                    " VALUES ('Acme', ?, coalesce(?, 'On hold'), ?, ?, ?)", [app, stage, stage, at, on])
    commitments = [
        # id, req, due, revised_due, revised_on, delivered, side      (as of 07-31)
        ("C1", "R1", "2026-07-10", "2026-07-15", "2026-07-08", "2026-07-14", "client"),  # missed; revised in time
        ("C2", "R2", "2026-07-20", "2026-07-25", "2026-07-22", "2026-07-19", "rpo"),     # met; revised late
        ("C3", None, "2026-07-22", "2026-07-30", None, None, None),   # missed, empty side; revised, no revised_on
        ("C4", "R9", "2026-08-05", None, None, "2026-08-10", "client"),                  # due after the period
        ("C5", "R1", "2026-07-31", "2026-08-05", "2026-08-03", None, "rpo"),  # pending; revision after as_of
        ("C6", "R2", "2026-05-29", None, None, "2026-05-29", "rpo"),                     # before the period
    ]
    for c in commitments:
        con.execute("INSERT INTO commitments (client, commitment_id, requisition_id, due_date, revised_due_date, "
                    "revised_on, delivered_on, side) VALUES ('Acme', ?, ?, ?, ?, ?, ?, ?)", list(c))
    return con


def _selfcheck() -> None:
    """Compare against figures worked out by hand (comments give the arithmetic)."""
    con = _selfcheck_db("business")
    period = dict(date_from=dt.date(2026, 6, 1), date_to=dt.date(2026, 7, 31), as_of=dt.date(2026, 7, 31))
    got = pandas_summary(con, " ACME ", **period)
    expected = {
        "client": "Acme", "department": None, "from": "2026-06-01", "to": "2026-07-31", "as_of": "2026-07-31",
        # R1: start Mon 06-29, first submittal A1 06-30 -> 1 business day. R2: start Fri 07-10, first
        # submittal 07-14 -> Fri, Mon = 2. R3 closed 07-05 with nothing; R4 open, nothing -> awaiting 1.
        "time_to_submit": {"n": 2, "median": 1.5, "mean": 1.5, "p90": 1.9, "awaiting_first_submittal": 1},
        # Cohort: A1 (06-30), A2 (07-06), B1 (07-14), B2 (07-21), X1 (07-15, no filter), Z9 (07-16).
        # Interviewed: A1, A2 (B2's interview is after as_of). Offered, hired: A1.
        "interview_conversion": {"submitted": 6, "interviewed": 2, "offered": 1, "hired": 1,
                                 "submit_to_interview": 2 / 6, "interview_to_offer": 0.5, "offer_to_hire": 1.0},
        # SLA (K=2, N=5 business days): R1 due busday_offset(06-29, 5) over the 07-03 holiday = 07-07;
        # 2nd submittal A2 07-06 -> met. R2 due 07-17; only B1 and B2 (07-21) -> 2nd on 07-21: missed (rpo).
        # R3 start 07-01 due 07-09: no submittal -> missed (rpo). R4 start 07-20 due 07-27: missed (rpo).
        # C1 missed client; C2 met; C3 missed, empty side -> rpo; C4 due 08-05 outside; C5 pending; C6 outside.
        # due = met 2 + missed 5; revised: C1, C2, C3 (C5's revision is after as_of); in time: C1 only.
        "deadline_adherence": {"due": 7, "met": 2, "missed": 5, "rate": 2 / 7, "pending": 1,
                               "missed_by_side": {"rpo": 4, "client": 1}, "revised": 3, "revised_in_time": 1},
        # R1 first hire A1 07-09: weekdays in [06-29, 07-09) are 8, minus the 07-03 holiday = 7.
        "time_to_fill": {"n": 1, "median": 7.0},
        # A1: next canonical event after 07-01 04:30Z is interviewed 07-02 -> 06-30..07-02 = 2 days.
        # A2: rejected 07-07 -> 1. B1: only unmapped -> none. B2: interview after as_of -> none.
        # X1: withdrawn 07-16 -> 1. Z9: none.  Median of [2, 1, 1] = 1.
        "hm_feedback_days": {"n": 3, "median": 1.0},
    }
    _assert_same(expected, got, "business, no filter")

    # Department Eng: R1, R3, R4 only; unknown requisitions (X1, Z9, C3, C4) drop out.
    got = pandas_summary(con, "Acme", departments=["Eng"], **period)
    eng = {
        **expected, "department": "Eng",
        "time_to_submit": {"n": 1, "median": 1.0, "mean": 1.0, "p90": 1.0, "awaiting_first_submittal": 1},
        "interview_conversion": {"submitted": 2, "interviewed": 2, "offered": 1, "hired": 1,
                                 "submit_to_interview": 1.0, "interview_to_offer": 0.5, "offer_to_hire": 1.0},
        # SLA R1 met, R3 missed, R4 missed; C1 missed (client), C5 pending.
        "deadline_adherence": {"due": 4, "met": 1, "missed": 3, "rate": 0.25, "pending": 1,
                               "missed_by_side": {"rpo": 2, "client": 1}, "revised": 1, "revised_in_time": 1},
        "hm_feedback_days": {"n": 2, "median": 1.5},
    }
    _assert_same(eng, got, "business, department Eng")

    # Calendar days, as_of 07-10, no period: E = 07-10.
    con = _selfcheck_db("calendar")
    got = pandas_summary(con, "Acme", as_of=dt.date(2026, 7, 10))
    cal = {
        "client": "Acme", "department": None, "from": None, "to": None, "as_of": "2026-07-10",
        # Only R1 has a submittal by 07-10: 06-29 -> 06-30 = 1. Awaiting on 07-10: R2 (started that day);
        # R3 closed 07-05; R4 not started.
        "time_to_submit": {"n": 1, "median": 1.0, "mean": 1.0, "p90": 1.0, "awaiting_first_submittal": 1},
        "interview_conversion": {"submitted": 2, "interviewed": 2, "offered": 1, "hired": 1,
                                 "submit_to_interview": 1.0, "interview_to_offer": 0.5, "offer_to_hire": 1.0},
        # SLA calendar: R1 due 07-04, 2nd submittal 07-06 -> missed. R2 due 07-15 pending. R3 due 07-06,
        # missed. R4 starts after as_of: no SLA deadline yet (glossary rule). C1 due 07-10,
        # delivered 07-14 (after as_of: not yet), due not before as_of -> pending. C2 (delivered after
        # as_of), C3, C4 (delivered after as_of), C5 pending; C6 met. Revised: C1 (07-08 <= as_of, in
        # time); C2's and C5's revisions are after as_of; C3 has no revised_on -> revised, not in time.
        "deadline_adherence": {"due": 3, "met": 1, "missed": 2, "rate": 1 / 3, "pending": 6,
                               "missed_by_side": {"rpo": 2, "client": 0}, "revised": 2, "revised_in_time": 1},
        "time_to_fill": {"n": 1, "median": 10.0},
        "hm_feedback_days": {"n": 2, "median": 1.5},
    }
    _assert_same(cal, got, "calendar, all time, as_of 07-10")

    # Recruiter filter matching nothing: every count 0, every statistic None.
    got = pandas_summary(con, "Acme", recruiters=["Nobody"], as_of="2026-07-31")
    assert got["time_to_submit"] == {"n": 0, "median": None, "mean": None, "p90": None,
                                     "awaiting_first_submittal": 0}, got
    assert got["deadline_adherence"]["rate"] is None and got["deadline_adherence"]["missed_by_side"] == \
        {"rpo": 0, "client": 0}, got
    assert got["interview_conversion"]["submit_to_interview"] is None, got
    # Out-of-order data in business mode: numpy.busday_count is the contract, including its
    # negative counts, which count the weekdays in (b, a]: Mon 07-13 -> Sun 07-12 is -1, not 0.
    counter = _DayCounter(True, np.array(["2026-07-03"], dtype="datetime64[D]"))
    back = counter.days(np.array(["2026-07-13", "2026-07-06", "2026-07-08"], dtype="datetime64[D]"),
                        np.array(["2026-07-12", "2026-07-02", "2026-07-08"], dtype="datetime64[D]"))
    assert back.tolist() == [-1.0, -1.0, 0.0], back   # Mon 07-06 -> Thu 07-02 over the 07-03 holiday: -1
    print("pandas_summary self-check: all hand-worked figures match")


def _assert_same(expected: dict, got: dict, label: str) -> None:
    problems = diff_summaries(expected, got)
    if problems:
        raise AssertionError(f"self-check {label}: " + "; ".join(problems))


if __name__ == "__main__":
    _selfcheck()
