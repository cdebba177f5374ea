"""Edits made on the dashboard: a client's settings and its stage dictionary.

The rules are in `loaders/settings.py`, shared with `python -m loaders client`: the Settings form
is turned into the same TOML document a settings file holds and validated by the same
`parse_settings`, so the page and the command line accept exactly the same things. This module
only draws the widgets, saves through `dashboard.write` and says what changed.
"""
from __future__ import annotations

import re
import zoneinfo

import pandas as pd
import streamlit as st

import access
import dashboard
from loaders.settings import (CANONICAL_WORDS, RATE_TARGETS, SETTINGS_HELP, TARGET_KEYS, SettingsError,
                              add_stage_words, match_key, parse_settings, save_settings, settings_toml)

TARGET_LABELS = {
    "time_to_submit_median": "Time to submit, median (days)",
    "submit_to_interview": "Submit → interview (%)",
    "interview_to_offer": "Interview → offer (%)",
    "offer_to_hire": "Offer → hire (%)",
    "deadline_adherence": "Deadline adherence (%)",
    "time_to_fill_median": "Time to fill, median (days)",
    "hm_feedback_median": "HM feedback, median (days)",
}
ZONES = sorted(zoneinfo.available_timezones())
_SAVED = "_editing_saved"


def _key(client: str, name: str) -> str:
    """Widget keys are per client, so switching clients never carries an unsaved entry across."""
    return f"settings:{client}:{name}"


def _done(client: str, title: str, changes: list[str]) -> None:
    """After a save: forget the form's entries (they now come from the database), keep the message
    for the next run, and rerun so every part of the page shows the saved state."""
    for key in [k for k in st.session_state if str(k).startswith(_key(client, ""))]:
        del st.session_state[key]
    st.session_state[_SAVED] = (title, changes)
    st.rerun()


def show_saved() -> None:
    """The message of the save just made, once."""
    saved = st.session_state.pop(_SAVED, None)
    if saved:
        title, changes = saved
        if changes:
            st.success(f"**{dashboard.as_text(title, keep_code=True)}**"
                       + "".join(f"\n- {dashboard.as_text(c, keep_code=True)}" for c in changes))
        else:
            st.info(f"**{dashboard.as_text(title, keep_code=True)}** Nothing changed.")


def settings_form(info: dict) -> dict | None:
    """The client's settings as a form; on Save, the settings document its entries make (not yet
    validated), else None."""
    client = info["client"]
    k = lambda name: _key(client, name)  # noqa: E731
    zones = ZONES if info["timezone"] in ZONES else sorted([*ZONES, info["timezone"]])
    with st.form(k("form"), border=False):
        st.subheader("Time and days")
        left, right = st.columns(2)
        timezone = left.selectbox("Time zone", zones, index=zones.index(info["timezone"]), key=k("timezone"),
                                  help=SETTINGS_HELP["timezone"][1] + " Changing it re-derives the local date of "
                                  "every stored time; dates loaded without a time of day keep their date.")
        day_count = right.radio("Day count", ("calendar", "business"), horizontal=True, key=k("day_count"),
                                index=("calendar", "business").index(info["day_count"]),
                                format_func=lambda mode: f"{mode.capitalize()} days",
                                help=SETTINGS_HELP["day_count"][1])
        holidays = left.text_area("Holidays (YYYY-MM-DD, one per line)", key=k("holidays"), height=120,
                                  value="\n".join(h.isoformat() for h in info["holidays"]),
                                  help=SETTINGS_HELP["holidays"][1])
        right.caption(f"Slash dates such as 03/04/2026 are read as **{info['date_order']}**. This is fixed "
                      "once data is loaded: re-reading them needs the files.")

        st.subheader("SLA deadline")
        left, right = st.columns(2)
        first = left.number_input("K: submittals due per requisition", value=info["sla_first_submittals"], step=1,
                                  key=k("sla.first_submittals"), help=SETTINGS_HELP["sla.first_submittals"][1])
        within = right.number_input("N: days after the requisition start", value=info["sla_within_days"], step=1,
                                    key=k("sla.within_days"), help=SETTINGS_HELP["sla.within_days"][1])

        st.subheader("Targets")
        st.caption("Shown next to the actuals. Leave a box empty for no target; rates are percentages.")
        targets = {}
        for col, key in zip(st.columns(4) * 2, TARGET_KEYS):  # two rows of four boxes
            rate = key in RATE_TARGETS
            value = info["targets"].get(key)
            targets[key] = col.number_input(
                TARGET_LABELS[key], value=None if value is None else round(value * 100 if rate else value, 6),
                min_value=0.0, max_value=100.0 if rate else None, step=1.0 if rate else 0.5, format="%.1f",
                placeholder="no target", key=k(f"targets.{key}"))

        st.subheader("ATS companies")
        companies = st.text_area(
            "The client's companies in ATS exports (id or name, one per line)", key=k("ats_companies"), height=80,
            value="\n".join(parse_settings(info["settings_toml"]).ats_companies if info.get("settings_toml") else []),
            help=SETTINGS_HELP["ats_companies"][1])

        st.subheader("Stage dictionary")
        st.caption("The client's own stage words and the canonical stage each counts as. Add a row for a new "
                   "word; select rows and delete them to remove words. Stored events are re-mapped on save.")
        stages = st.data_editor(
            pd.DataFrame(info["dictionary"], columns=["word", "stage"]), num_rows="dynamic", hide_index=True,
            key=k("stages"), width="stretch",
            column_config={"word": st.column_config.TextColumn("Client's word", required=True),
                           "stage": st.column_config.SelectboxColumn("Counts as", options=list(CANONICAL_WORDS),
                                                                     required=True)})
        if not st.form_submit_button("Save settings", type="primary"):
            return None
    return {
        "name": client, "timezone": timezone, "day_count": day_count,
        "holidays": [h for h in re.split(r"[\s,;]+", holidays) if h], "date_order": info["date_order"],
        "sla": {"first_submittals": first, "within_days": within},
        # Percentages on screen, fractions in the file (0.45 for 45%), as the command line reads them.
        "targets": {key: round(v / 100, 6) if key in RATE_TARGETS else v for key, v in targets.items()
                    if v is not None},
        # Rows, not yet a table: a word entered twice must be reported, not silently merged.
        "stages": [(_cell(w), _cell(s)) for w, s in stages[["word", "stage"]].itertuples(index=False)
                   if _cell(w) or _cell(s)],
        # Not on the form: kept as the settings file has it.
        "branding": parse_settings(info["settings_toml"]).branding if info.get("settings_toml") else {},
        # One per line: a company's name may hold a comma ("Jergens, Inc.").
        "ats_companies": [line.strip() for line in companies.splitlines() if line.strip()],
    }


def _cell(value) -> str:
    """A data-editor cell as text ('' when left empty)."""
    return "" if value is None or pd.isna(value) else str(value)


def save_settings_form(doc: dict) -> None:
    """Validate the form's document exactly as a settings file is validated, and save it; an error
    names the setting that is wrong and saves nothing."""
    client = doc["name"]
    words = [w for w, _ in doc["stages"]]
    twice = sorted({w for w in words if [match_key(x) for x in words].count(match_key(w)) > 1})
    if twice:
        listed = dashboard.as_text(", ".join(map(repr, twice)))
        st.error(f"Stage dictionary: `stages` lists {listed} more than once (words match "
                 "case-insensitively): keep one row each. Nothing was saved.")
        return
    try:
        settings = parse_settings(settings_toml({**doc, "stages": dict(doc["stages"])}),
                                  origin=f"{client}'s settings")
        changes = dashboard.write(lambda con: save_settings(con, settings, user=dashboard.user()), "the settings",
                                  client)
    except SettingsError as exc:
        st.error(f"{dashboard.as_text(exc, keep_code=True)}. Nothing was saved.")
        return
    _done(client, f"Settings of {client} saved.", changes)


def download_settings(info: dict) -> None:
    """A button that downloads the client's settings file, as saved (`python -m loaders client`
    reads it back to the same settings)."""
    name = re.sub(r"[^a-z0-9]+", "-", info["client"].lower()).strip("-") or "client"
    st.download_button("Download the settings file (TOML)", data=info["settings_toml"], file_name=f"{name}.toml",
                       mime="application/toml", icon=":material/download:",
                       help="The same file `python -m loaders client FILE.toml` reads.")


def map_stage_words(client: str, unmapped: pd.DataFrame) -> None:
    """Pick unmapped stage words and the canonical stage they count as; Save adds them to the
    client's dictionary and re-maps the stored events (no reload)."""
    with st.form(_key(client, "map_words"), border=True):
        st.markdown("**Map into the client's dictionary**")
        left, middle, right = st.columns([5, 3, 2], vertical_alignment="bottom")   # the button's label whole at 1280 px
        words = left.multiselect("Stage word(s)", unmapped["stage_word"].tolist(), key=_key(client, "map_words.words"),
                                 placeholder="Choose the unmapped word(s)")
        stage = middle.selectbox("Counts as", CANONICAL_WORDS, index=None, key=_key(client, "map_words.stage"),
                                 placeholder="Choose a canonical stage")
        if not right.form_submit_button("Add to dictionary", type="primary"):
            return
    if not words or not stage:
        st.error("Choose the word(s) and the canonical stage they count as. Nothing was saved.")
        return
    try:
        def save(con):
            moved = add_stage_words(con, client, words, stage)
            access.record(con, dashboard.user(), "settings", client, stage_words=list(words), counts_as=stage,
                          events_moved=moved)
            return moved
        moved = dashboard.write(save, "the stage dictionary", client)
    except SettingsError as exc:
        st.error(f"{dashboard.as_text(exc, keep_code=True)}. Nothing was saved.")
        return
    _done(client, f"{', '.join(map(repr, words))} now count{'s' if len(words) == 1 else ''} as {stage}.",
          [f"{moved} stored event(s) moved from unmapped to {stage}; every page counts them from now on"])
