"""Settings: view and edit the client's settings: time zone, day count, holidays, SLA, targets and
stage dictionary. Saved exactly as `python -m loaders client FILE.toml` saves them."""
import streamlit as st

import dashboard
from dashboard import editing

filters = dashboard.page("Settings", role="csm")
info = dashboard.client_info(filters.client)
editing.show_saved()
name = dashboard.as_text(info["client"])
st.caption(f"{name} · settings last saved {info['updated_at']:%d %b %Y %H:%M} UTC · changes apply to "
           "every page and the command line at once")
doc = editing.settings_form(info)
if doc is not None:
    editing.save_settings_form(doc)
st.divider()
editing.download_settings(info)
