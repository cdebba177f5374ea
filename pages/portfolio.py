"""Portfolio: every client side by side for a TA executive, each against its own targets."""
import streamlit as st

import charts
import dashboard
from dashboard import widgets

filters = dashboard.page("Portfolio")
table = dashboard.portfolio(filters)
st.caption(f"Every client, period {filters.period_text()}, as of {filters.as_of:%d %b %Y}. "
           "Department, recruiter and hiring-manager filters do not apply here. Each KPI is measured against the "
           "client's own target.")
widgets.portfolio_chart(charts.portfolio(table), filters)
widgets.portfolio_table(table, filters)
