"""Access: who may see which clients, in which role (admins only). The same grants as
`python -m access grant/revoke/list`, recorded in the audit log."""
import streamlit as st

import access
import dashboard

dashboard.ensure_database()
dashboard.who_is_here()
if not dashboard.scope().admin:  # app.py keeps this page from others; opened alone, it says so too
    st.warning("This page is for admins.")
    st.stop()
st.title("Access")
st.caption("A person (name@company.com) or everyone at a domain (@company.com) gets a role for some clients. "
           "viewer: the client's dashboards and downloads, read-only. csm: also Upload, Settings and Data for those "
           "clients. admin: every client, this page and the audit log. Where a person's own grant and their "
           "domain's both name a client, the higher role applies.")
if "_grants_changed" in st.session_state:
    st.success(dashboard.as_text(st.session_state.pop("_grants_changed")))
grants = dashboard.grants()
st.dataframe(grants, hide_index=True, width="stretch",
             column_config={"who": "Who", "role": "Role", "clients": "Clients",
                            "granted_at": st.column_config.DatetimeColumn("Last changed (UTC)",
                                                                          format="YYYY-MM-DD HH:mm")})

left, right = st.columns(2)
with left, st.form("grant", border=True):
    st.markdown("**Grant**")
    who = st.text_input("Who", placeholder="jane@rpo.example or @client.example")
    role = st.selectbox("Role", access.ROLES)
    names = st.multiselect("Clients (not for admin)", dashboard.clients(), placeholder="Choose the client(s)")
    if st.form_submit_button("Grant", type="primary"):
        dashboard.change_grants(lambda con, by: access.grant(con, who, role, names, by=by))
with right, st.form("revoke", border=True):
    st.markdown("**Revoke**")
    who = st.selectbox("Who", grants["who"].tolist() if not grants.empty else [], index=None,
                       placeholder="Choose a person or domain")
    names = st.multiselect("Clients (none: every grant)", dashboard.clients(), placeholder="Every client")
    if st.form_submit_button("Revoke"):
        if not who:
            st.error("Choose who to revoke. Nothing was changed.")
        else:
            dashboard.change_grants(lambda con, by: access.revoke(con, who, names, by=by))
