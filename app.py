"""Recruiting metrics for RPO client reviews: `streamlit run app.py`.

On the first start with no database, the default one is built from sample_data/ so that a
newcomer sees a full dashboard; `streamlit run app.py -- --db PATH` (or RECRUITING_DB) opens
another database, which is never filled with sample data.

Who may open which page: with sign-in configured (`[auth]` in .streamlit/secrets.toml) each user's
grants decide (access/); without it, local mode, only this computer, whose user is an admin.
"""
import streamlit as st

import dashboard

st.set_page_config(page_title="RPO recruiting metrics", page_icon=":bar_chart:", layout="wide")

# Each page and the least role that may open it: viewers read, csms also load and edit their
# clients and schedule their digests (the Data page shows rejected rows' raw file contents; Schedules
# shows recipients' addresses), admins manage access.
PAGES = {
    "Client": [
        ("pages/overview.py", "Overview", ":material/dashboard:", "viewer"),
        ("pages/time_to_submit.py", "Time to submit", ":material/timer:", "viewer"),
        ("pages/conversion.py", "Interview conversion", ":material/filter_alt:", "viewer"),
        ("pages/deadlines.py", "Deadline adherence", ":material/event_available:", "viewer"),
        ("pages/time_to_fill.py", "Time to fill", ":material/how_to_reg:", "viewer"),
        ("pages/hm_responsiveness.py", "Hiring-manager responsiveness", ":material/forum:", "viewer"),
        ("pages/requisition.py", "Requisition detail", ":material/work:", "viewer"),
        ("pages/schedules.py", "Schedules", ":material/schedule_send:", "csm"),
    ],
    "All clients": [
        ("pages/portfolio.py", "Portfolio", ":material/grid_view:", "viewer"),
    ],
    "Trust the numbers": [
        ("pages/upload.py", "Upload", ":material/upload_file:", "csm"),
        ("pages/data.py", "Data", ":material/fact_check:", "csm"),
        ("pages/glossary.py", "Glossary", ":material/menu_book:", "viewer"),
        ("pages/settings.py", "Settings", ":material/settings:", "csm"),
    ],
    "Administration": [
        ("pages/grants.py", "Access", ":material/group:", "admin"),
        ("pages/audit.py", "Audit log", ":material/history:", "admin"),
    ],
}



def main() -> None:
    scope = dashboard.sign_in_gate()
    if scope.role is None:
        st.navigation([st.Page(dashboard.no_access_page, title="No access yet", icon=":material/lock:")]).run()
        return
    # A page the user's role may not open stays out of the navigation; opened by URL, it says so.
    allowed, needs, nav = {}, {}, {}
    for section, pages in PAGES.items():
        for path, title, icon, role in pages:
            ok = scope.allows(role)
            page = st.Page(path, title=title, icon=icon, default=path == "pages/overview.py",
                           visibility="visible" if ok else "hidden",
                           # pages/grants.py, not access.py: a page run alone would import itself as `access`.
                           url_path="access" if path == "pages/grants.py" else None)
            allowed[page.url_path], needs[page.url_path] = ok, role
            nav.setdefault(section, []).append(page)
    # Every page listed: with "View more" the Glossary, Settings and administration would hide.
    page = st.navigation(nav, expanded=True)
    if not allowed[page.url_path]:
        st.title(page.title)
        st.warning(f"The {page.title} page is not available to you: it needs the {needs[page.url_path]} role, "
                   f"and you are signed in as {dashboard.as_text(scope.user)} with the {scope.role} role. Ask an "
                   "admin if you need it.")
        dashboard.who_is_here()
        return
    # After the navigation, so that the first start's sample load shows beside the pages' own names.
    dashboard.ensure_database()
    page.run()


# Every request, signed in or not: an error shows a reference, never a traceback with server paths.
dashboard.run_safely(main)
