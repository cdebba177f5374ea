"""Time to fill: how long the client's requisitions take from their start to a first hire."""
import streamlit as st

import charts
import dashboard
from dashboard import widgets
from metrics import days_word

filters = dashboard.page("Time to fill")
grain = widgets.grain_picker()
data = dashboard.time_to_fill(filters, grain)
f, totals, target = data["filters"], data["totals"], data["target"]
info = dashboard.client_info(f.client)
widgets.scope(f)
widgets.definition("time_to_fill", info)
widgets.not_available("time_to_fill", info, stop=True)

# The deck's "Time to fill" slide: by department, with the same builder.
widgets.chart(charts.by_dimension(data["by"]["department"], "time_to_fill", "department", target),
              "time_to_fill", totals, f, info, key="by-department")
left, right, rows = widgets.chart_columns()
with left:
    widgets.chart(charts.distribution("time_to_fill", data["rows"], target, totals),
                  "time_to_fill", totals, f, info, key="distribution", rows_in=rows)
with right:
    widgets.chart(charts.duration_trend("time_to_fill", data["trend"], target, totals, grain),
                  "time_to_fill", totals, f, info, key="trend", rows_in=rows)
widgets.chart(charts.by_dimension(data["by"]["recruiter"], "time_to_fill", "recruiter", target),
              "time_to_fill", totals, f, info, key="by-recruiter")

st.subheader(f"Requisitions filled in the period ({len(data['filled'])})")
st.caption(f"First hire in the period, newest first; time to fill in {days_word(info['day_count'])} from the start "
           "to the first hire.")
widgets.requisition_table(data["filled"], f, empty="None: no requisition had its first hire in this period.",
                          name="requisitions_filled")
