"""Edits made on the dashboard: a client's settings, its stage dictionary and its schedules.

The rules are in `loaders/settings.py`, shared with `python -m loaders client`: the Settings form
is turned into the same TOML document a settings file holds and validated by the same
`parse_settings`, so the page and the command line accept exactly the same things. A schedule is
saved, paused, deleted and approved by `exports.schedules`, which checks it. This module only
draws the widgets, saves through `dashboard.write` and says what changed.
"""
from __future__ import annotations

import re
import zoneinfo

import pandas as pd
import streamlit as st

import access
import dashboard
from dashboard import widgets
from exports import schedules
from exports.schedules import (DEFAULT_HOUR, DEFAULT_PERIOD, FREQUENCIES, WEEKDAYS, WHAT, ScheduleError,
                               needs_approval)
from metrics import COMPARISONS, PERIOD_PRESETS
from loaders.settings import (CANONICAL_WORDS, ClientSettings, RATE_TARGETS, SETTINGS_HELP, TARGET_KEYS, SettingsError,
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


def _done(forget: str | None, title: str, changes: list[str] | None) -> None:
    """After a save: forget the form's entries (the widget keys starting with `forget`: they now come
    from the database), keep the message for the next run, and rerun so every part of the page shows
    the saved state."""
    for key in [k for k in st.session_state if forget and str(k).startswith(forget)]:
        del st.session_state[key]
    st.session_state[_SAVED] = (title, changes)
    st.rerun()


def show_saved(toast: bool = False) -> None:
    """The message of the save just made, once; with `toast`, its title also in a toast (a page whose
    form is far below the message: the browser stays where the button was)."""
    saved = st.session_state.pop(_SAVED, None)
    if saved:
        title, changes = saved
        if toast:
            st.toast(dashboard.as_text(title, keep_code=True), icon=":material/check_circle:", duration="long")
        if changes is None:   # an action that changes what its title says
            st.success(dashboard.as_text(title, keep_code=True))
        elif changes:
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
    kept = parse_settings(info["settings_toml"]) if info.get("settings_toml") else ClientSettings(name=client)
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
        "branding": kept.branding,
        "email_domains": kept.email_domains,
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
    _done(_key(client, ""), f"Settings of {client} saved.", changes)


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
    _done(_key(client, ""), f"{', '.join(map(repr, words))} now count{'s' if len(words) == 1 else ''} as "
          f"{stage}.", [f"{moved} stored event(s) moved from unmapped to {stage}; every page counts them from now on"])


# -- schedules -------------------------------------------------------------------------------------

def _schedule_key(client: str, name: str) -> str:
    return f"schedules:{client}:{name}"


def _change_schedule(fn, client: str):
    """Run `fn(con, scope)` (an `exports.schedules` change) as this user: (True, its result); a
    change it refuses is said, nothing is changed, and the answer is (False, None)."""
    me = dashboard.scope()
    try:
        return True, dashboard.write(lambda con: fn(con, me), "the schedule", client)
    except (ScheduleError, access.AccessError) as exc:
        st.error(f"{dashboard.as_text(exc)}. Nothing was changed.")
        return False, None


def _domains_words(client: str, domains, rpo) -> str:
    return (f"{client}'s domains ({', '.join(domains) or 'none set: `email_domains` in its settings'}) and the "
            f"RPO's ({', '.join(rpo) or 'none set: `[digest] rpo_domains` in the secrets'})")


def schedule_card(s, rpo: tuple[str, ...]) -> None:
    """One schedule: what, its filters, its recipients (those waiting for an admin's approval
    marked), how often, its next send in the client's time zone, who made it; Pause or Resume,
    Delete (after a confirmation), and for an admin Approve for each waiting recipient."""
    k = lambda name: _schedule_key(s.client, f"{s.schedule_id}:{name}")  # noqa: E731
    admin = dashboard.scope().admin
    waiting = [r for r in s.recipients if needs_approval(s, r, rpo)]
    due = schedules.next_due(s, widgets.utc_now())
    with st.container(border=True):
        text, actions = st.columns([4, 1])
        text.markdown(f"**{WHAT[s.what]}** · schedule {s.schedule_id}"
                      + (" · :orange[**paused**]" if s.paused else ""))
        lines = [
            ("Filters", widgets.schedule_view(s.view)),
            ("How often", s.describe()),
            ("Next send", "none while it is paused" if s.paused else
             f"{widgets.local_time(due, s.timezone)} ({s.timezone})" if due else "none"),
            ("Made by", f"{s.created_by} on {widgets.local_time(s.created_at, s.timezone, '%d %b %Y')}"),
        ]
        recipients = ", ".join(dashboard.as_text(r) + (" :orange[(waits for an admin's approval)]" if r in waiting
                                                       else "") for r in s.recipients)
        text.markdown("  \n".join([f"Recipients: {recipients}"]
                                  + [f"{name}: {dashboard.as_text(value)}" for name, value in lines]))
        if actions.button("Resume" if s.paused else "Pause", key=k("pause"), width="stretch",
                          icon=":material/play_arrow:" if s.paused else ":material/pause:"):
            if _change_schedule(lambda con, me: schedules.pause(con, me, s.schedule_id, not s.paused), s.client)[0]:
                _done(None, f"Schedule {s.schedule_id} " + ("resumed." if s.paused else
                                                            "paused: it sends nothing until it is resumed."), None)
        if actions.button("Delete", key=k("delete"), width="stretch", icon=":material/delete:"):
            st.session_state[k("confirm")] = True
        if st.session_state.get(k("confirm")):
            st.warning(f"Delete schedule {s.schedule_id}? Nothing more is sent by it; its deliveries stay listed and "
                       "in the audit log.")
            with st.container(horizontal=True, gap="small"):
                yes, no = st.empty(), st.empty()
            if yes.button("Delete it", type="primary", key=k("yes")):
                if _change_schedule(lambda con, me: schedules.delete(con, me, s.schedule_id), s.client)[0]:
                    _done(k("confirm"), f"Schedule {s.schedule_id} deleted.", None)
            if no.button("Keep it", key=k("no")):
                del st.session_state[k("confirm")]
                st.rerun()
        for r in waiting:
            if not admin:
                st.caption(dashboard.as_text(f"{r} waits for an admin's approval: it is outside "
                                             f"{_domains_words(s.client, s.domains, rpo)}. Nothing is sent to it "
                                             "until an admin approves it.", keep_code=True))
                continue
            words, button = st.columns([4, 1], vertical_alignment="center")
            words.caption(dashboard.as_text(f"{r} is outside {_domains_words(s.client, s.domains, rpo)}: nothing is "
                                            "sent to it until you approve it.", keep_code=True))
            if button.button("Approve", key=k(f"approve:{r}"), width="stretch", icon=":material/check:"):
                if _change_schedule(lambda con, me, r=r: schedules.approve(con, me, s.schedule_id, r), s.client)[0]:
                    _done(None, f"{r} approved: schedule {s.schedule_id} now sends to it too.", None)


def schedule_form(filters, info: dict, rpo: tuple[str, ...]) -> None:
    """Add a schedule for the sidebar's client: what, the named period each send covers, the
    sidebar's department, recruiter and hiring-manager filters (said which), recipients, how often,
    on which weekday or day, at which hour of the client's time zone. Saving checks it all
    (`exports.schedules.save`); a refusal says why and saves nothing."""
    client, timezone = info["client"], info["timezone"]
    form = st.session_state.get(_schedule_key(client, "forms"), 0)
    k = lambda name: _schedule_key(client, f"form{form}:{name}")  # noqa: E731
    admin = dashboard.scope().admin
    left, right = st.columns(2)
    what = left.radio("What to send", list(WHAT), format_func=WHAT.get, key=k("what"))
    period = left.selectbox("Period each send covers", PERIOD_PRESETS, index=PERIOD_PRESETS.index(DEFAULT_PERIOD),
                            key=k("period"), help="Counted back from the day of each send, as the sidebar counts it.")
    compare = left.selectbox("Compare with", list(COMPARISONS), index=list(COMPARISONS).index(filters.compare),
                             format_func=COMPARISONS.get, key=k("compare"))
    frequency = right.selectbox("How often", list(FREQUENCIES), format_func=FREQUENCIES.get, key=k("frequency"))
    weekday = day = None
    if frequency in ("weekly", "biweekly"):
        weekday = right.selectbox("On", range(7), format_func=WEEKDAYS.__getitem__, key=k("weekday"))
    else:
        day = right.number_input("On day of the month" if frequency == "monthly" else
                                 "On day of each quarter's first month (January, April, July, October)",
                                 min_value=1, max_value=31, value=1, step=1, key=k("day"),
                                 help="29 to 31: a shorter month's last day.")
    hour = right.number_input(f"At hour (0-23), {timezone} time", min_value=0, max_value=23, value=DEFAULT_HOUR,
                              step=1, key=k("hour"), help="The client's time zone (its settings).")
    recipients = st.text_area("Recipients: one e-mail address per line, or separated by commas", key=k("recipients"),
                              placeholder="jane@client.example", height=100)
    domains = parse_settings(info["settings_toml"]).email_domains if info.get("settings_toml") else []
    st.caption(dashboard.as_text(f"Addresses at {_domains_words(client, domains, rpo)} are sent to as soon as the "
                                 "schedule is due; " + ("others are approved by your saving, as you are an admin."
                                                        if admin else "others wait for an admin's approval."),
                                 keep_code=True))
    sidebar = {key: list(getattr(filters, key)) for key in ("departments", "recruiters", "hiring_managers")
               if getattr(filters, key)}
    use = False
    if sidebar:
        use = st.checkbox(dashboard.as_text("Use the sidebar's filters: " + "; ".join(
            f"{key.replace('_', ' ')} {', '.join(v)}" for key, v in sidebar.items())), value=True, key=k("use"))
    else:
        st.caption("Every department, recruiter and hiring manager: the sidebar filters none (choose some there "
                   "to narrow what the schedule sends).")
    if not st.button("Save schedule", type="primary", key=k("save"), icon=":material/schedule_send:"):
        return
    view = {"period": period, "compare": compare, **(sidebar if use else {})}

    ok, saved = _change_schedule(lambda con, me: schedules.save(
        con, me, client=client, what=what, recipients=recipients, frequency=frequency, weekday=weekday, day=day,
        hour=hour, view=view), client)
    if not ok:
        return
    said = [f"To {', '.join(saved.recipients)}.", f"Filters: {widgets.schedule_view(saved.view)}.",
            f"Next send: {widgets.local_time(schedules.next_due(saved, widgets.utc_now()), timezone)} ({timezone})."]
    for r in saved.recipients:
        if schedules.outside(saved, r, rpo):
            said.append(f"{r} is outside {_domains_words(client, saved.domains, rpo)}: "
                        + ("approved by your saving, as you are an admin." if r in saved.approved else
                           "it waits for an admin's approval, and nothing is sent to it until then."))
    # A new form (new widget keys): the browser keeps what a widget showed when only its state is
    # forgotten, and would show, and send again, the addresses just saved.
    st.session_state[_schedule_key(client, "forms")] = st.session_state.get(_schedule_key(client, "forms"), 0) + 1
    _done(k(""), f"Schedule {saved.schedule_id} saved: {WHAT[what]}, {saved.describe()}.", said)
