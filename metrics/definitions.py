"""Each metric defined once, as data: what it counts, how, its KPI, target key and wording.

The SQL in `engine.py` aggregates with the `aggregates` below; the glossary page, chart footnotes,
the deck and the README's glossary all render `definition` with the client's settings filled in,
so the words and the numbers cannot drift apart.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

# The requisition statuses that say it is closed, with or without a close date: one list, the
# loaders' (the canonical model's module), re-exported for the metrics and the pages.
from loaders.template import CLOSED_STATUSES  # noqa: F401


@dataclass(frozen=True)
class Metric:
    key: str                       # the summary's key
    title: str
    short: str                     # the KPI card's label
    fact: str                      # which fact table: req | app | deadline
    date: str                      # the fact's date column that places a row in a period
    aggregates: dict               # output name -> SQL aggregate over the fact table
    kpi: str                       # the aggregate shown as this metric's headline number
    n_key: str                     # the count behind the headline number: its "n"
    unit: str                      # days | rate
    lower_is_better: bool
    target_key: str
    definition: str                # plain-language definition; {placeholders} from the settings
    counts: str                    # what one row of the sample is, for "n = ..." captions
    # What must have been loaded for the client to compute it (`engine.availability`): "history",
    # a stage history (when each application entered each stage); "events", any stage event, the
    # current stages a snapshot gives included (a hire is a hire whenever it was recorded).
    needs: str = "history"
    # Named subsets of the fact rows, each the rows behind one count the charts show: a click on
    # a number lists `Report.rows(metric, subset=name)`, whose length is that number.
    subsets: dict = field(default_factory=dict)


def days_word(day_count: str) -> str:
    """How a client's day counts read: 'business days' or 'calendar days'."""
    return "business days" if day_count == "business" else "calendar days"


def count_of(n: int, word: str) -> str:
    """`1 hire`, `2 hires`: a count and its noun, plural unless it is one."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def sla_promise(settings: dict) -> str:
    """The client's SLA in words: `1 submittal within 10 calendar days`."""
    k, n = settings.get("sla_first_submittals", 1), settings.get("sla_within_days", 10)
    return f"{count_of(k, 'submittal')} within {n} {days_word(settings.get('day_count', 'calendar'))}"


def _counts(subsets: dict) -> dict:
    """One count aggregate per named subset, so a count and the rows behind it share one condition."""
    return {name: f"count(*) FILTER (WHERE {cond})" for name, cond in subsets.items()}


_STATS = lambda col: {  # noqa: E731 - a tiny table builder reads better inline
    "n": f"count({col})",
    "median": f"quantile_cont({col}, 0.5)",
    "mean": f"avg({col})",
    "p90": f"quantile_cont({col}, 0.9)",
}

# The subsets (and the counts built from them) of interview conversion, deadline adherence and
# hiring-manager feedback time.
_CONV = {
    "submitted": "true",
    "interviewed": "interviewed",
    "offered": "offered",
    "hired": "hired",
    "in_process": "NOT ended",
    "awaiting_interview": "NOT interviewed AND NOT ended",
    "awaiting_offer": "interviewed AND NOT offered AND NOT ended",
    "awaiting_hire": "offered AND NOT hired AND NOT ended",
}
_DEADLINES = {
    "due": "status <> 'pending'",
    "met": "status = 'met'",
    "missed": "status = 'missed'",
    "pending": "status = 'pending'",
    "missed_rpo": "status = 'missed' AND side = 'rpo'",
    "missed_client": "status = 'missed' AND side = 'client'",
    "revised": "revised",
    "revised_in_time": "revised_in_time",
    "sla_due": "kind = 'sla' AND status <> 'pending'",
    "sla_met": "kind = 'sla' AND status = 'met'",
    "commitments_due": "kind = 'commitment' AND status <> 'pending'",
    "commitments_met": "kind = 'commitment' AND status = 'met'",
}
_FEEDBACK = {
    "n": "feedback_days IS NOT NULL",
    "awaiting_feedback": "feedback_on IS NULL AND NOT ended",
}

METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric(
        key="time_to_submit", title="Time to submit", short="Time to submit", fact="req", date="first_sub_on",
        aggregates=_STATS("tts_days"), subsets={"n": "tts_days IS NOT NULL"}, kpi="median", n_key="n", unit="days",
        lower_is_better=True,
        target_key="time_to_submit_median", counts="requisitions",
        definition=(
            "Days from the requisition's start (the date the RPO was assigned it, else the date it opened; "
            "a reopened requisition keeps its first start) to the first submittal of any candidate on it, "
            "counted in {days_word} on local dates in {timezone}. A candidate is submitted when the "
            "application first reaches the 'submitted' stage or any later stage (skipped stages count as "
            "passed). Covers requisitions whose first submittal falls in the period; median, mean and "
            "90th percentile (linear interpolation).")),
    Metric(
        key="interview_conversion", title="Interview conversion", short="Submit → interview", fact="app", date="sub_on",
        subsets=_CONV,
        aggregates={
            **_counts(_CONV),
            "submit_to_interview": "count(*) FILTER (WHERE interviewed) / nullif(count(*), 0)",
            "interview_to_offer": "count(*) FILTER (WHERE offered) / nullif(count(*) FILTER (WHERE interviewed), 0)",
            "offer_to_hire": "count(*) FILTER (WHERE hired) / nullif(count(*) FILTER (WHERE offered), 0)",
        },
        kpi="submit_to_interview", n_key="submitted", unit="rate", lower_is_better=False,
        target_key="submit_to_interview",
        counts="submitted candidates",
        definition=(
            "Cohort: the applications whose submittal falls in the period. Submit-to-interview = "
            "cohort applications that reached 'interviewed' (or later) / cohort size; interview-to-offer = "
            "reached 'offered' / reached 'interviewed'; offer-to-hire = reached 'hired' / reached 'offered'. "
            "Rejected, withdrawn and unmapped stage words never count as reaching a stage. In process: "
            "no hire, rejection or withdrawal yet.")),
    Metric(
        key="deadline_adherence", title="Deadline adherence", short="Deadline adherence", fact="deadline", date="due_on",
        subsets=_DEADLINES,
        aggregates={
            **_counts(_DEADLINES),
            "rate": "count(*) FILTER (WHERE status = 'met') / nullif(count(*) FILTER (WHERE status <> 'pending'), 0)",
        },
        kpi="rate", n_key="due", unit="rate", lower_is_better=False, target_key="deadline_adherence",
        counts="deadlines due",
        definition=(
            "Two kinds of deadlines. SLA: each requisition is due {sla_promise} of its start; met when the "
            "local date of submittal number {sla_k} is on or before the due "
            "date; an SLA miss is the RPO's side. Commitments from the tracker: met when delivered on or "
            "before the original due date, whatever revisions followed. A deadline counts in the period of "
            "its original due date; it is missed when delivered late or when its due date is before the "
            "as-of date with nothing delivered, and pending when due on or after the as-of date with nothing "
            "delivered yet. Adherence = met / (met + missed). Revised: commitments with a revised due date; "
            "in time: the revision was communicated before the original due date. An empty side counts as "
            "the RPO's.")),
    Metric(
        key="time_to_fill", title="Time to fill", short="Time to fill", fact="req", date="first_hire_on",
        aggregates=_STATS("ttf_days"), subsets={"n": "ttf_days IS NOT NULL"}, kpi="median", n_key="n", unit="days",
        lower_is_better=True, needs="events",
        target_key="time_to_fill_median", counts="requisitions filled",
        definition=(
            "Days from the requisition's start to the first time any application on it reached 'hired', "
            "in {days_word} on local dates in {timezone}, for the requisitions whose first hire falls in "
            "the period.")),
    Metric(
        key="hm_feedback_days", title="Hiring-manager feedback time", short="HM feedback time", fact="app", date="sub_on",
        subsets=_FEEDBACK,
        aggregates={**_STATS("feedback_days"), **_counts({"awaiting_feedback": _FEEDBACK["awaiting_feedback"]})},
        kpi="median", n_key="n", unit="days", lower_is_better=True, target_key="hm_feedback_median",
        counts="submittals with feedback",
        definition=(
            "Days from a submittal to the application's next stage event of any kind (rejections and "
            "withdrawals included, unmapped words excluded) entered strictly after the submittal, in "
            "{days_word} on local dates in {timezone}; over the applications submitted in the period that "
            "have such an event.")),
)}

# Interview conversion's funnel, step by step: from stage, to stage, and the step's rate, whose key
# is the same in the totals and in a client's targets (a client may set a target for every step).
CONVERSION_STEPS = (("submitted", "interviewed", "submit_to_interview"),
                    ("interviewed", "offered", "interview_to_offer"), ("offered", "hired", "offer_to_hire"))

# Every target a client's settings may set, in the order the settings list them, with its unit (a
# rate is written as a fraction): each metric's own, and one per conversion step.
TARGET_UNITS = {key: m.unit for m in METRICS.values()
                for key in ([k for _, _, k in CONVERSION_STEPS] if m.key == "interview_conversion" else [m.target_key])}

# The deadlines a CSM warns the client about: those due within this many calendar days of the as-of date.
UPCOMING_DAYS = 14

# Rules the definitions above leave implicit, decided as a careful analyst would; the Glossary
# prints them so every choice is in the open. RULES are in the client's words, for everyone who
# reads the numbers; DATA_RULES say how exports are read, for the account team (the Glossary shows
# them to csms and admins, the deck only in its internal appendix).
RULES = (
    "Period [from, to] is inclusive, on the client's local dates; an omitted bound means all time.",
    "As of: events dated after the as-of date are ignored (stage events, deliveries, revisions "
    "communicated later), as if the report had been run that day. The dashboard starts at the client's "
    "latest data; a report from the command line at the client's local today.",
    "Times with no time of day (a bare date, a spreadsheet date cell at 00:00) are local dates in the "
    "client's time zone; times with a time of day and no offset are UTC.",
    "Day counts: whole days between local dates; with business days, the weekdays from the start day up "
    "to the end day (the end day not counted) that are not client holidays. Out-of-order data gives "
    "negative counts, kept and listed on the Data page.",
    "Department, recruiter and hiring-manager filters apply through the requisition. An application or "
    "commitment whose requisition is unknown counts only when none of these filters is set.",
    "Stage events for application ids not in the applications table are listed on the Data page and "
    "not counted.",
    "SLA deadlines exist for requisitions that had started by the as-of date.",
    "A requisition whose status is closed, filled, cancelled or archived is closed even without a close date: "
    "it neither awaits a first submittal nor counts as open (a Lever posting ends on its last update; any "
    "other is listed on the Data page as closed without a close date).",
    "Time to submit, SLA deadlines, interview conversion and hiring-manager feedback time need each "
    "application's stage history (when it was submitted, interviewed, offered). For a client whose data "
    "holds none, they read \"not available\" instead of a number; deadline adherence then counts the "
    "commitments only, and time to fill counts the hires the data records.",
    "A requisition whose applications have no stage history, only their outcomes, while the client's others "
    "do: its submittals are unknown, so it has no SLA deadline and never awaits a first submittal; its hires "
    "count in time to fill, and its candidates count as neither submitted, interviewed nor offered.",
    "Comparison (the KPIs' change): by default the previous period: a calendar month, quarter or year (or "
    "the part of one up to a day, such as quarter to date) with the same part of the one before, any other "
    "period with the days of equal length just before it; or the same dates one year earlier. The as-of "
    "date stays the same.",
    "In process: a cohort application with no hire, rejection or withdrawal event by the as-of date.",
)
DATA_RULES = (
    "Business days are counted as numpy.busday_count counts them.",
    "Snapshots (one row per application with its current stage, such as Greenhouse Harvest v1 jobs and "
    "applications): they carry requisitions and applications but no stage history; a stage event a loader "
    "derives from one is stored with extra {\"snapshot\": \"true\"}. A client has a stage history when it has "
    "one stage event not so marked; until a history export (an event log or interval table) is loaded, the "
    "metrics that need one say \"not available\"; time to fill counts the snapshot's hires, and requisition "
    "counts, openings and commitments are unaffected. A snapshot's hire, rejection or withdrawal counts as an "
    "outcome only, never as a submittal, interview or offer (a hire implies the interview and offer only of "
    "an application its history shows submitted); where the application's history has the same outcome, "
    "the history's is counted and the snapshot's ignored.",
    "Recruiter trackers: a submittal log's milestone dates (submitted, interview, offer, start) are stage "
    "events at those dates; its outcome word goes through the client's dictionary. Bullhorn DataLoader "
    "files: a time of exactly 00:00 is a bare date.",
    "Bullhorn: a placement is the stage word 'Placement: <its status>' ('Placement' when the export has no "
    "status), a hire only when the client's dictionary maps that word to hired; a sendout is the word "
    "'Sendout', a submittal only when the dictionary maps it. Every row is the client of its job order's client "
    "corporation (the client's ats_companies setting, else its name); rows of a corporation that is no client "
    "are rejected, never loaded as another client's.",
    "Loading: a newer export replaces the rows it carries (same client and id; a stage event is known by "
    "its application, stage word and time) and keeps the rest, so an export of recent events adds to the "
    "history; a reopened requisition keeps its first start; a key repeated within one file keeps its "
    "first row and the others are rejected, named on the Data page.",
)


def render(metric: Metric, settings: dict) -> str:
    """The metric's definition with the client's settings filled in."""
    return metric.definition.format(
        days_word=days_word(settings.get("day_count", "calendar")),
        timezone=settings.get("timezone", "UTC"),
        sla_k=settings.get("sla_first_submittals", 1),
        sla_promise=sla_promise(settings),
    )


# -- each metric's value in words: the screen, the deck and the digest say it the same way --------

# Why a metric has no number for a client (`engine.availability`): said wherever its number would be.
NO_HISTORY = "no stage history loaded for this client"
NOT_AVAILABLE = f"not available: {NO_HISTORY}"
# A requisition whose applications have only a snapshot's outcomes, while the client's others have a
# history (`submittals_known` false): nothing says whether or when anyone was submitted, so it has no
# SLA deadline and no time to submit (RULES). Said as the client's "not available" is.
SUBMITTALS_UNKNOWN = ("not available: its submittals are unknown (no stage history loaded for its applications, "
                      "only their outcomes)")
# What a reader can do about it, said once under the first "not available" of a screen or a slide.
HISTORY_NEEDED = ("These numbers need the history of each application's stages (when each candidate was "
                  "submitted, interviewed, offered), which the data loaded for this client does not hold.")

def is_missing(value) -> bool:
    """True for an empty value: None, NaN or NaT."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT


def fmt_value(value, unit: str) -> str:
    """A KPI value for people: rates as percentages, days with one decimal, n/a when empty."""
    if is_missing(value):
        return "n/a"
    return f"{value:.0%}" if unit == "rate" else f"{value:.1f} d"


def target_status(value, target, lower_is_better: bool) -> str:
    """Red/amber/green against a target: on target, near target (within 10%), off target; no target,
    no data."""
    if is_missing(target):
        return "no target"
    if is_missing(value):
        return "no data"
    if lower_is_better:
        ratio = target / value if value else float("inf")
    else:
        ratio = value / target if target else 1.0
    return "on target" if ratio >= 1 else ("near target" if ratio >= 0.9 else "off target")


def target_words(target, unit: str, lower_is_better: bool) -> str | None:
    """The target with its comparator: `≤ 5.0 d`, `≥ 45%`; None when no target is set."""
    if is_missing(target):
        return None
    return f"{'≤' if lower_is_better else '≥'} {fmt_value(target, unit)}"


def change(value, previous, unit: str) -> float | None:
    """The change from `previous` to `value` as it is shown: whole percentage points for a rate,
    tenths of a day for days (so a change that shows as 0 is no change); None when either is missing."""
    if is_missing(value) or is_missing(previous):
        return None
    diff = value - previous
    return round(diff * 100) if unit == "rate" else round(diff, 1)


def change_words(shown: float, unit: str, signed: bool = False) -> str:
    """A change (`change`) in words: `5 pts`, `1 pt`, `1.5 d`; `signed`: `+5 pts`, `-1.5 d`, `±0 pts`."""
    size = f"{int(abs(shown))} pt{'s' if abs(shown) != 1 else ''}" if unit == "rate" else f"{abs(shown):.1f} d"
    return size if not signed else ("±" if not shown else "+" if shown > 0 else "-") + size


def kpi_sentence(k: dict, compare: bool) -> str:
    """One sentence saying what changed in a KPI (a `Report.kpis` entry): the value, against the
    comparison period (when `compare`) and the target, with n."""
    m = METRICS[k["metric"]]
    value, previous, unit = k["value"], k["previous"], k["unit"]
    if k.get("not_available"):
        return f"{m.title} is {k['not_available']}."
    note = f" {k['note']}." if k.get("note") else ""
    if is_missing(value):
        return f"{m.title}: no data in this period (n = {k['n']}).{note}"
    now = fmt_value(value, unit)
    shown = change(value, previous, unit)
    if not compare or shown is None:
        what = f"{m.title} was {now}" + ("" if not compare else "; no previous period to compare with")
    elif not shown:
        what = f"{m.title} held steady at {now}"
    else:
        better = (shown < 0) == k["lower_is_better"]
        what = (f"{m.title} {'improved' if better else 'worsened'} to {now} from {fmt_value(previous, unit)} "
                f"({'down' if shown < 0 else 'up'} {change_words(shown, unit)})")
    target = target_words(k["target"], unit, k["lower_is_better"])
    status = target_status(value, k["target"], k["lower_is_better"])
    return (f"{what}; {'no target set' if target is None else f'{status} (target {target})'}; n = {k['n']} "
            f"{m.counts}.{note}")
