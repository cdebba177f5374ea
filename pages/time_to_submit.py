"""Time to submit: how fast the recruiters put a first candidate in front of the client."""
import streamlit as st

import charts
import dashboard
from dashboard import widgets
from metrics import days_word

filters = dashboard.page("Time to submit")
grain = widgets.grain_picker()
data = dashboard.time_to_submit(filters, grain)
f, totals, target = data["filters"], data["totals"], data["target"]
info = dashboard.client_info(f.client)
widgets.scope(f)
widgets.definition("time_to_submit", info)
widgets.not_available("time_to_submit", info, stop=True)

left, right, rows = widgets.chart_columns()
with left:
    widgets.chart(charts.distribution("time_to_submit", data["rows"], target, totals),
                  "time_to_submit", totals, f, info, key="distribution", rows_in=rows)
with right:
    widgets.chart(charts.duration_trend("time_to_submit", data["trend"], target, totals, grain),
                  "time_to_submit", totals, f, info, key="trend", rows_in=rows)
for by, table in data["by"].items():
    widgets.chart(charts.by_dimension(table, "time_to_submit", by, target),
                  "time_to_submit", totals, f, info, key=f"by-{by}")

st.subheader(f"Requisitions awaiting a first submittal ({len(data['awaiting'])})")
st.caption("Open at the end of the period (or the as-of date), started, with no submittal yet; age in "
           f"{days_word(info['day_count'])} from the start.")
widgets.requisition_table(data["awaiting"], f, empty="None: every open requisition has at least one submittal.")
