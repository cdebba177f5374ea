"""Glossary: how every number is computed, with this client's settings filled in."""
import streamlit as st

import dashboard
from metrics import METRICS, RULES, render

filters = dashboard.page("Glossary")
if filters is None:
    st.stop()
info = dashboard.client_info(filters.client)
st.write(f"Definitions for **{info['client']}**: time zone {info['timezone']}, {info['day_count']} days"
         + (f", holidays {', '.join(h.isoformat() for h in info['holidays'])}" if info["holidays"] else "")
         + f"; SLA {info['sla_first_submittals']} submittal(s) within {info['sla_within_days']} days.")
for m in METRICS.values():
    st.subheader(m.title)
    st.write(render(m, info))
    target = info["targets"].get(m.target_key)
    if target is not None:
        st.caption(f"Target: {target:.0%}" if m.unit == "rate" else f"Target: {target:g} days")
st.subheader("Rules that apply to every metric")
for rule in RULES:
    st.markdown(f"- {rule}")
st.subheader("Stage dictionary")
st.write("The client's stage words and the canonical stage each counts as.")
st.dataframe(info["stage_labels"], width="stretch")
