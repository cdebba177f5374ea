"""Recruiting metrics for RPO client reviews: `streamlit run app.py`.

On the first start with no database, the default one is built from sample_data/ so that a
newcomer sees a full dashboard; `streamlit run app.py -- --db PATH` (or RECRUITING_DB) opens
another database, which is never filled with sample data.
"""
import streamlit as st

import dashboard

st.set_page_config(page_title="RPO recruiting metrics", page_icon=":bar_chart:", layout="wide")
dashboard.ensure_database()

page = st.navigation([
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/data.py", title="Data", icon=":material/fact_check:"),
    st.Page("pages/glossary.py", title="Glossary", icon=":material/menu_book:"),
])
page.run()
