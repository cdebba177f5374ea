"""Data: data quality in the open, so every number can be trusted and traced."""
import streamlit as st

import dashboard
from dashboard import editing, upload

filters = dashboard.page("Data", role="csm")
q = dashboard.data_quality(filters)
editing.show_saved()
st.caption(dashboard.as_text(f"{filters.client} · {dashboard.data_as_of(filters)}"))

SECTIONS = (
    ("files", "Files loaded", "Every file with its SHA-256 fingerprint, its rows read, loaded and rejected, and the "
                              "personal data columns dropped (never stored)."),
    ("rejected", "Rejected rows", "Rows that could not be loaded, with the reason and their raw values."),
    ("duplicates", "Duplicates", "Rows whose key repeated within one file (the first was kept, the others "
                                 "rejected), and candidates with more than one application on a requisition."),
    ("unmapped", "Unmapped stage words", "Stored, but never counted as reaching a stage until the client's "
                                         "dictionary maps them: map them below, or on the Settings page."),
    ("out_of_order", "Out-of-order events", "A later stage entered before an earlier one."),
    ("negative", "Negative durations", "Kept in the metrics as they are; usually a start date entered late."),
    ("events_of_unknown_applications", "Events of unknown applications", "Not counted in any metric."),
    ("applications_with_unknown_requisition", "Applications with an unknown requisition",
     "Counted only when no department, recruiter or hiring-manager filter is set."),
    ("commitments_with_unknown_requisition", "Commitments with an unknown requisition",
     "Treated as commitments with no requisition."),
)
for key, title, help_text in SECTIONS:
    table = q[key]
    st.subheader(f"{title} ({len(table)})")
    st.caption(help_text)
    if table.empty:
        st.write("Nothing to list.")
    else:
        upload.show_table(table)
    if key == "unmapped" and not table.empty:
        editing.map_stage_words(filters.client, table)
