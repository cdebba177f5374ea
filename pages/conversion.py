"""Interview conversion: how many submitted candidates the client interviews, offers and hires."""
import streamlit as st

import charts
import dashboard
from dashboard import widgets

filters = dashboard.page("Interview conversion")
grain = widgets.grain_picker()
data = dashboard.conversion(filters, grain)
f, totals, target = data["filters"], data["totals"], data["target"]
info = dashboard.client_info(f.client)
labels, targets = info["stage_labels"], info["targets"]
widgets.scope(f)
widgets.definition("interview_conversion", info)
widgets.not_available("interview_conversion", info, stop=True)

widgets.conversion_steps(totals, labels, targets)
left, right, rows = widgets.chart_columns()
with left:
    widgets.chart(charts.conversion_funnel(totals, labels), "interview_conversion", totals, f, info,
                  key="funnel", rows_in=rows)
with right:
    widgets.chart(charts.in_process(totals, labels), "interview_conversion", totals, f, info,
                  key="in_process", rows_in=rows)
widgets.chart(charts.conversion_trend(data["trend"], totals, grain, target),
              "interview_conversion", totals, f, info, key="trend")
for by, table in data["by"].items():
    widgets.chart(charts.by_dimension(table, "interview_conversion", by, target),
                  "interview_conversion", totals, f, info, key=f"by-{by}")
    with st.expander(f"All conversion figures by {by.replace('_', ' ')}"):
        widgets.group_table(table, "interview_conversion", by, f, key=f"table-{by}")
