"""Audit log: every sign-in, load, settings change, grant change, download, schedule change and
scheduled send (admins only)."""
import datetime as dt

import streamlit as st

import access
import dashboard
from exports import files

dashboard.ensure_database()
dashboard.who_is_here()
if not dashboard.scope().admin:  # app.py keeps this page from others; opened alone, it says so too
    st.warning("This page is for admins.")
    st.stop()
st.title("Audit log")
st.caption("Append-only: who did what, when (UTC). The command line records the OS user who ran it.")
cols = st.columns(4)
since = cols[0].date_input("Since", value=dt.date.today() - dt.timedelta(days=30), key="audit.since")
who = cols[1].text_input("User", key="audit.user", placeholder="Everyone")
client = cols[2].selectbox("Client", dashboard.clients(), index=None, key="audit.client", placeholder="Every client")
action = cols[3].selectbox("Action", access.ACTIONS, index=None,
                           key="audit.action", placeholder="Every action")
log = dashboard.audit_log(since, who.strip().lower() or None, client, action)
st.write(f"{len(log)} row(s)" + (", the newest 5,000 shown" if len(log) == 5000 else ""))
st.dataframe(log, hide_index=True, width="stretch",
             column_config={"at_utc": st.column_config.DatetimeColumn("At (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                            "user": "User", "action": "Action", "client": "Client", "detail": "Detail"})
st.download_button("Download as CSV", files.table_csv(log), file_name=f"audit-since-{since}.csv",
                   mime="text/csv", icon=":material/download:")
