"""Hiring-manager responsiveness: how fast the client answers the candidates we submit."""
import streamlit as st

import charts
import dashboard
from dashboard import widgets

filters = dashboard.page("Hiring-manager responsiveness")
data = dashboard.hm_responsiveness(filters)
f, totals, target = data["filters"], data["totals"], data["target"]
info = dashboard.client_info(f.client)
widgets.scope(f)
widgets.definition("hm_feedback_days", info)
widgets.not_available("hm_feedback_days", info, stop=True)

for by, table in data["by"].items():
    widgets.chart(charts.by_dimension(table, "hm_feedback_days", by, target), "hm_feedback_days", totals, f, info,
                  key=f"by-{by}")
    with st.expander(f"All feedback figures by {by.replace('_', ' ')}"):
        widgets.group_table(table, "hm_feedback_days", by, f, key=f"table-{by}")

st.subheader(f"Submittals waiting for feedback ({len(data['waiting'])})")
st.caption("Submitted in the period, with no later stage event and no outcome by the as-of date; age from the "
           f"submittal to {f.as_of:%d %b %Y}.")
widgets.requisition_table(data["waiting"], f, empty="None: every submittal of the period has had an answer.")
