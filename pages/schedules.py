"""Schedules: the client's weekly digest, or the digest with its review deck, e-mailed on a schedule
(csm and admin): whether sending is on, the schedules, their recent deliveries and a form to add
one. `python -m exports schedules run` sends them (exports/schedules.py)."""
import streamlit as st

import dashboard
from dashboard import editing, widgets

filters = dashboard.page("Schedules", role="csm")
info = dashboard.client_info(filters.client)
rpo = dashboard.rpo_domains()
editing.show_saved(toast=True)
widgets.sending_status(*dashboard.sending())

plans = dashboard.schedules(filters.client)
st.subheader(f"Schedules of {dashboard.as_text(info['client'])} ({len(plans)})")
if not plans:
    st.write("None yet: add one below.")
for s in plans:
    editing.schedule_card(s, rpo)

st.subheader("Recent deliveries")
widgets.deliveries_table(dashboard.deliveries(filters.client), plans, info["timezone"])

st.subheader("Add a schedule")
editing.schedule_form(filters, info, rpo)
st.divider()
st.caption(widgets.HOW_SENDING_HAPPENS)
