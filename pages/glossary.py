"""Glossary: how every number is computed, with this client's settings filled in."""
import streamlit as st

import charts
import dashboard
from metrics import DATA_RULES, METRICS, RULES, render, sla_promise

filters = dashboard.page("Glossary")
info = dashboard.client_info(filters.client)
name = dashboard.as_text(info["client"])
st.write(f"Definitions for **{name}**: time zone {info['timezone']}, {info['day_count']} days"
         + (f", holidays {', '.join(h.isoformat() for h in info['holidays'])}" if info["holidays"] else "")
         + f"; SLA {sla_promise(info)} of a requisition's start.")
for m in METRICS.values():
    st.subheader(m.title)
    st.write(render(m, info))
    target = info["targets"].get(m.target_key)
    if target is not None:
        st.caption(f"Target for {name}: {charts.fmt_value(target, m.unit)}")
st.subheader("Rules that apply to every metric")
for rule in RULES:
    st.markdown(f"- {rule}")
if dashboard.scope().allows("csm", info["client"]):   # the account team's, not the client's
    with st.expander("How exports are read (for the account team)"):
        for rule in DATA_RULES:
            st.markdown(f"- {rule}")
st.subheader("Stage dictionary")
st.write(f"{name}'s own stage words and the canonical stage each counts as. A word not listed "
         "here is kept as unmapped (see the Data page) and never counts as reaching a stage.")
st.dataframe([{"Client's word": word, "Counts as": stage} for word, stage in info["dictionary"]],
             hide_index=True, width="stretch")
