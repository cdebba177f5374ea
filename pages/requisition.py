"""Requisition detail: one requisition's story, from its start to its outcome."""
import streamlit as st

import charts
import dashboard
from dashboard import widgets

filters = dashboard.page("Requisition detail")
chosen = dashboard.requisition_picker(filters)
data = dashboard.requisition(filters, chosen)
f, story = data["filters"], data["story"]
info = dashboard.client_info(f.client)
if story is None:
    st.info("Pick a requisition in the box above. Requisition ids in the other pages' tables open here too.")
    st.stop()

req = story["requisition"]
st.subheader(dashboard.as_text(f"{req['requisition_id']} · {req['title'] or '(no title)'}"))
st.caption(dashboard.as_text(f"{req['department']} · recruiter {req['recruiter'] or '(not set)'} · hiring manager "
                             f"{req['hiring_manager'] or '(not set)'} · {dashboard.data_as_of(f)}"))
widgets.requisition_facts(req, story["sla"], info)
# (A requisition whose submittals are unknown has no SLA deadline to mark.)
st.plotly_chart(charts.requisition_timeline(story["events"], info["stage_labels"], req["start_on"],
                                            req["sla_due_on"] if req["submittals_known"] else None),
                width="stretch", key="timeline")
st.caption(f"Each dot is a stage event, in {dashboard.as_text(f.client)}'s own words (colour: the canonical stage "
           "it counts as). "
           "Times in UTC; day counts use local dates in " + info["timezone"] + ".")

st.subheader(f"Applications ({len(story['applications'])})")
widgets.requisition_table(story["applications"], f, empty="No application on this requisition yet.")
st.subheader(f"Stage events ({len(story['events'])})")
widgets.requisition_table(story["events"], f, empty="No stage event yet.")
st.subheader(f"Commitments on this requisition ({len(story['commitments'])})")
widgets.requisition_table(story["commitments"][["deadline_id", "description", "due_on", "revised_due_date",
                                                "revised_on", "delivered_on", "status", "side", "reason"]],
                          f, empty="No commitment was made on this requisition.")
