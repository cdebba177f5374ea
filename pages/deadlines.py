"""Deadline adherence: SLA deadlines and the commitments made to the client, met or missed."""
import streamlit as st

import charts
import dashboard
from dashboard import widgets

filters = dashboard.page("Deadline adherence")
data = dashboard.deadlines(filters)
f, totals, target = data["filters"], data["totals"], data["target"]
info = dashboard.client_info(f.client)
widgets.scope(f)
widgets.definition("deadline_adherence", info)
widgets.not_available("deadline_adherence", info, stop=True)

widgets.deadline_figures(totals, target, info)
widgets.chart(charts.adherence_by_month(data["trend"], target, totals), "deadline_adherence", totals, f, info,
              key="by-month")
left, right, rows = widgets.chart_columns()
with left:
    widgets.chart(charts.misses_by_reason(data["by"]["reason"], totals), "deadline_adherence", totals, f,
                  info, key="misses", rows_in=rows)
with right:
    widgets.chart(charts.by_dimension(data["by"]["kind"], "deadline_adherence", "kind", target),
                  "deadline_adherence", totals, f, info, key="by-kind", rows_in=rows)
for by in ("department", "recruiter"):
    widgets.chart(charts.by_dimension(data["by"][by], "deadline_adherence", by, target),
                  "deadline_adherence", totals, f, info, key=f"by-{by}")

days = data["upcoming_days"]
st.subheader(f"Upcoming deadlines: the next {days} days ({len(data['upcoming'])})")
st.caption(f"Nothing delivered yet, due from {f.as_of:%d %b %Y} to {days} days later: warn the client early, "
           "and revise before the due date where a deadline cannot be met.")
widgets.requisition_table(data["upcoming"], f, f"No deadline falls due in the next {days} days.",
                          name="upcoming_deadlines")

st.subheader(f"Revised commitments ({totals['revised']}; {totals['revised_in_time']} revised in time)")
st.caption("A revision counts as in time when it was communicated before the original due date. Adherence is "
           "still judged against the original due date.")
widgets.requisition_table(data["revisions"][["deadline_id", "requisition_id", "description", "due_on",
                                              "revised_due_date", "revised_on", "revised_in_time", "delivered_on",
                                              "status", "side", "reason"]],
                          f, empty="No commitment was revised in this period.", name="revised_commitments")
