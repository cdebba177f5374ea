"""Overview: one client's KPIs against target and the previous period, both sides' speed, and the
key charts."""
import streamlit as st

import charts
import dashboard
from dashboard import widgets

filters = dashboard.page("Overview")

data = dashboard.overview(filters)
f = data["filters"]
info = dashboard.client_info(f.client)
summary, targets = data["summary"], info["targets"]
kpis = {k["metric"]: k for k in data["kpis"]}
widgets.scope(f)
dashboard.review_deck_button(f)

widgets.kpi_cards(data["kpis"], f, info)

st.subheader("We and the client: both sides of the hiring speed")
widgets.chart(charts.we_scorecard(data["tts_trend"], data["hm_trend"], summary["time_to_submit"],
                                  summary["hm_feedback_days"], targets),
              "time_to_submit", summary["time_to_submit"], f, info, key="we",
              also=("hm_feedback_days", summary["hm_feedback_days"]))
left, right, rows = widgets.chart_columns()
with left:
    widgets.chart(charts.duration_trend("time_to_submit", data["tts_trend"], kpis["time_to_submit"]["target"],
                                        summary["time_to_submit"]),
                  "time_to_submit", summary["time_to_submit"], f, info, key="tts_trend", rows_in=rows)
with right:
    conv = summary["interview_conversion"]
    widgets.chart(charts.conversion_funnel(conv, info["stage_labels"]),
                  "interview_conversion", conv, f, info, key="funnel", rows_in=rows)
adh = summary["deadline_adherence"]
widgets.chart(charts.adherence_by_month(data["adherence_trend"], kpis["deadline_adherence"]["target"], adh),
              "deadline_adherence", adh, f, info, key="adherence")

widgets.awaiting_table(data["awaiting"], f, info)
