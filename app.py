"""Recruiting metrics for RPO client reviews: `streamlit run app.py`.

On the first start with no database, the default one is built from sample_data/ so that a
newcomer sees a full dashboard; `streamlit run app.py -- --db PATH` (or RECRUITING_DB) opens
another database, which is never filled with sample data.
"""
import streamlit as st

import dashboard

st.set_page_config(page_title="RPO recruiting metrics", page_icon=":bar_chart:", layout="wide")

page = st.navigation({
    "Client": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/time_to_submit.py", title="Time to submit", icon=":material/timer:"),
        st.Page("pages/conversion.py", title="Interview conversion", icon=":material/filter_alt:"),
        st.Page("pages/deadlines.py", title="Deadline adherence", icon=":material/event_available:"),
        st.Page("pages/hm_responsiveness.py", title="Hiring-manager responsiveness", icon=":material/forum:"),
        st.Page("pages/requisition.py", title="Requisition detail", icon=":material/work:"),
    ],
    "All clients": [
        st.Page("pages/portfolio.py", title="Portfolio", icon=":material/grid_view:"),
    ],
    "Trust the numbers": [
        st.Page("pages/upload.py", title="Upload", icon=":material/upload_file:"),
        st.Page("pages/data.py", title="Data", icon=":material/fact_check:"),
        st.Page("pages/glossary.py", title="Glossary", icon=":material/menu_book:"),
        st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
    ],
})
# After the navigation, so that the first start's sample load shows beside the pages' own names.
dashboard.ensure_database()
page.run()
