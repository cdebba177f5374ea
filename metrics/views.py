"""What each screen of a client review shows, read from one `Report`.

The dashboard's cached readers and the review deck (`exports.deck`) call these same functions,
so a slide shows exactly the numbers of the page it stands for. No Streamlit here.
"""
from __future__ import annotations

from metrics import definitions, quality
from metrics.engine import Report


def by(rep: Report, metric: str, dims) -> dict:
    """The metric's breakdown (`Report.aggregate`) by each of `dims`."""
    return {dim: rep.aggregate(metric, by=dim) for dim in dims}


def overview(rep: Report) -> dict:
    """The Overview: KPIs against target and the previous period, the summary, monthly trends of
    both sides' speed and of deadlines, the requisitions awaiting a first submittal."""
    return {
        "filters": rep.filters,
        "kpis": rep.kpis(),
        "summary": rep.summary(),
        "tts_trend": rep.aggregate("time_to_submit", grain="month"),
        "hm_trend": rep.aggregate("hm_feedback_days", grain="month"),
        "adherence_trend": rep.aggregate("deadline_adherence", grain="month"),
        "awaiting": rep.awaiting(),
    }


def time_to_submit(rep: Report, grain: str) -> dict:
    """Time to submit: totals, per-requisition rows, trend, breakdowns, awaiting list."""
    return {
        "filters": rep.filters, "totals": rep.totals("time_to_submit"), "target": rep.target("time_to_submit"),
        "rows": rep.rows("time_to_submit"), "trend": rep.aggregate("time_to_submit", grain=grain),
        "by": by(rep, "time_to_submit", ("department", "recruiter")), "awaiting": rep.awaiting(),
    }


# The requisitions table of the Time to fill page: the measure first (a 1280 px page cuts the last
# columns), then who, what and the two dates the day count spans.
FILLED_COLUMNS = ["requisition_id", "ttf_days", "title", "department", "recruiter", "hiring_manager", "start_on",
                  "first_hire_on"]


def time_to_fill(rep: Report, grain: str) -> dict:
    """Time to fill: totals, per-requisition rows, trend, breakdowns (by department as the deck's
    slide), and the requisitions filled in the period, newest first."""
    rows = rep.rows("time_to_fill", subset="n")
    return {
        "filters": rep.filters, "totals": rep.totals("time_to_fill"), "target": rep.target("time_to_fill"),
        "rows": rows, "trend": rep.aggregate("time_to_fill", grain=grain),
        "by": by(rep, "time_to_fill", ("department", "recruiter")),
        "filled": rows.sort_values(["first_hire_on", "requisition_id"], ascending=[False, True])[FILLED_COLUMNS],
    }


def conversion(rep: Report, grain: str) -> dict:
    """Interview conversion: cohort totals, trend by cohort, breakdowns."""
    return {
        "filters": rep.filters, "totals": rep.totals("interview_conversion"),
        "target": rep.target("interview_conversion"),
        "trend": rep.aggregate("interview_conversion", grain=grain),
        "by": by(rep, "interview_conversion", ("department", "recruiter", "source")),
    }


def deadlines(rep: Report) -> dict:
    """Deadline adherence: totals, months, misses by side and reason, revisions, the deadlines due in
    the next `upcoming_days`."""
    return {
        "filters": rep.filters, "totals": rep.totals("deadline_adherence"), "target": rep.target("deadline_adherence"),
        "trend": rep.aggregate("deadline_adherence", grain="month"),
        "by": by(rep, "deadline_adherence", ("kind", "reason", "department", "recruiter")),
        "revisions": rep.rows("deadline_adherence", subset="revised"),
        "upcoming": rep.upcoming(), "upcoming_days": definitions.UPCOMING_DAYS,
    }


def hm_responsiveness(rep: Report) -> dict:
    """Hiring-manager responsiveness: totals, per manager and department, still waiting."""
    return {
        "filters": rep.filters, "totals": rep.totals("hm_feedback_days"), "target": rep.target("hm_feedback_days"),
        "by": by(rep, "hm_feedback_days", ("hiring_manager", "department")),
        "waiting": rep.awaiting_feedback(),
    }


def data_quality(rep: Report) -> dict:
    """The Data page's tables: files, rejected rows, unmapped words, duplicates, out-of-order,
    negative durations and rows that do not join."""
    con, c = rep.con, rep.filters.client
    return {"files": quality.files(con, c), "rejected": quality.rejected_rows(con, c),
            "unmapped": quality.unmapped_stages(con, c), "out_of_order": quality.out_of_order_events(con, c),
            "duplicates": quality.duplicates(con, c),
            "negative": quality.negative_durations(rep),
            "closed_without_close_date": quality.closed_without_close_date(con, c), **quality.orphans(con, c)}
