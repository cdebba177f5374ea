"""Data: data quality in the open, so every number can be trusted and traced."""
import streamlit as st

import dashboard
from dashboard import editing, upload
from metrics import quality

filters = dashboard.page("Data", role="csm")
q = dashboard.data_quality(filters)
editing.show_saved()
st.caption(dashboard.as_text(f"{filters.client} · {dashboard.data_as_of(filters)}"))

for key, title, help_text in quality.CHECKS:
    table = q[key]
    st.subheader(f"{title} ({len(table)})")
    st.caption(help_text + (" Map them below, or on the Settings page." if key == "unmapped" else ""))
    if table.empty:
        st.write("Nothing to list.")
    else:
        upload.show_table(table)
    if key == "unmapped" and not table.empty:
        editing.map_stage_words(filters.client, table)
