"""Overview: one client's KPIs against target and the previous period, and the three key charts."""
import streamlit as st

import charts
import dashboard
from dashboard import widgets

filters = dashboard.page("Overview")
if filters is None:
    st.stop()

data = dashboard.overview(filters)
f = data["filters"]
info = dashboard.client_info(f.client)
st.caption(f"{f.describe()} · {dashboard.data_as_of(f)}")

widgets.kpi_cards(data["kpis"], f, info)

left, right = st.columns(2)
with left:
    widgets.chart(charts.time_to_submit_trend(data["tts_trend"], info["targets"].get("time_to_submit_median"),
                                              data["summary"]["time_to_submit"]),
                  "time_to_submit", data["summary"]["time_to_submit"]["n"], f, info, key="tts_trend")
with right:
    conv = data["summary"]["interview_conversion"]
    widgets.chart(charts.conversion_funnel(conv, info["stage_labels"]),
                  "interview_conversion", conv["submitted"], f, info, key="funnel")
adh = data["summary"]["deadline_adherence"]
widgets.chart(charts.adherence_by_month(data["adherence_trend"], info["targets"].get("deadline_adherence"), adh),
              "deadline_adherence", adh["due"], f, info, key="adherence")

st.subheader(f"Requisitions awaiting a first submittal ({len(data['awaiting'])})")
if data["awaiting"].empty:
    st.write("None: every open requisition has at least one submittal.")
else:
    st.dataframe(data["awaiting"], hide_index=True, width="stretch", column_config=widgets.COLUMN_LABELS)
