"""The dashboard's shared Streamlit layer: which database, cached data access, and the filters.

Pages import this module and nothing else of Streamlit state, so a page runs the same whether
`app.py` ran first (the browser) or not (`AppTest.switch_page`).

The dashboard never opens the database file that loads write: it reads the snapshot the last write
published (`store.published`), through one read-only connection per snapshot kept open by this
process, a cursor of its own per query (`store.reading`). So a load never waits for the dashboard and
the dashboard never waits for a load. Caches are keyed by the snapshot's identity, which changes when
a write publishes, so new data shows on the next rerun without a restart.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
import threading
import uuid
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

import access
import store
import metrics
from access import Scope
from loaders.ingest import REPEATED_ROW
from loaders.settings import get_client, get_dictionary, list_clients
from metrics import (COMPARISONS, PERIOD_PRESETS, Filters, Report, UnknownClient, last_loaded, latest_data,
                     local_today, options, period_dates, stage_labels, views)

PRESETS = PERIOD_PRESETS + ("Custom",)
DEFAULT_PRESET = "Last 90 days"
# Query parameters that belong to one page (the requisition shown on Requisition detail, a
# trend's grain); the shared filters keep them in the URL instead of rewriting them away.
PAGE_PARAMS = ("req", "grain")
_build_lock = threading.Lock()


def db_path() -> tuple[Path, bool]:
    """The database file and whether it was named explicitly (`--db` after `--`, or RECRUITING_DB).

    Only the default database is ever filled with sample data.
    """
    argv = sys.argv
    if "--db" in argv and argv.index("--db") + 1 < len(argv):
        return Path(argv[argv.index("--db") + 1]), True
    if os.environ.get("RECRUITING_DB"):
        return Path(os.environ["RECRUITING_DB"]), True
    return store.DEFAULT_DB, False


def ensure_database() -> Path:
    """Return the database path; on the very first start build the default one from sample_data/."""
    path, explicit = db_path()
    if explicit or path.exists():
        return path
    with _build_lock:
        if not path.exists():
            from loaders.sample import build_sample_database
            bar = st.progress(0.0, text="First start: building the sample database...")
            with st.spinner("Loading the bundled sample data (three clients, about 18 months)..."):
                build_sample_database(path, progress=lambda frac, text: bar.progress(frac, text=text))
            bar.empty()
    return path


# -- who is signed in, and what they may see -------------------------------------------------------

LOOPBACK = ("127.0.0.1", "localhost", "::1")
LOCAL_MODE = "Local mode: only this computer can open the dashboard"
SIGN_IN_HOWTO = ("To serve it to others, configure sign-in with your identity provider: an `[auth]` block "
                 "(`redirect_uri`, `cookie_secret`, `client_id`, `client_secret`, `server_metadata_url`) in "
                 "`.streamlit/secrets.toml`, as the README shows, then grant access with `python -m access grant`.")


def auth_configured() -> bool:
    """Whether sign-in is configured (`[auth]` in `.streamlit/secrets.toml`); without it, local mode."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def served_beyond_this_computer() -> bool:
    """Whether the server listens on an interface other computers reach (an unset address is all of them)."""
    return (st.get_option("server.address") or "") not in LOOPBACK


def user() -> str:
    """Who is using this session: the signed-in e-mail address, lower-cased; in local mode the OS user."""
    if not auth_configured():
        return access.local_user()
    return str(st.user.get("email") or "").strip().lower()


@st.cache_data(show_spinner=False, max_entries=256)
def _scope_of(db: str, version: tuple, who: str) -> Scope:
    try:
        return _read(None, lambda con: access.scope_for(con, who))
    except FileNotFoundError:
        return Scope(user=who)


def scope() -> Scope:
    """What this session's user may see and change: in local mode everything (the person at the
    machine is an admin), else the grants of the signed-in user and their domain."""
    if not auth_configured():
        return access.local_admin()
    who = user()
    if not who:
        return Scope(user="")
    try:
        return _scope_of(str(db_path()[0]), _version(), who)
    except store.DatabaseBusy:
        st.warning("The database is being updated by a load right now: rerun in a moment (press R).")
        st.stop()


def audit(action: str, client: str | None = None, **detail) -> None:
    """Record one action of this session's user in the audit log (see `record_for`)."""
    record_for(user(), action, client, **detail)


def record_for(who: str, action: str, client: str | None = None, **detail) -> None:
    """Append to the audit log. A long command-line load may hold the database; then the row waits
    in a file beside it and is written with the next one, so no action goes unrecorded."""
    path = db_path()[0]
    pending = path.with_name(path.name + ".audit-pending")
    row = {"at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(), "user": who,
           "action": action, "client": client, "detail": detail}
    try:
        with store.connection(path, wait_seconds=10, on_wait=lambda m: None) as con:
            if pending.exists():
                for line in pending.read_text(encoding="utf-8").splitlines():
                    old = json.loads(line)
                    access.record(con, old["user"], old["action"], old["client"],
                                  at=dt.datetime.fromisoformat(old["at"]), **old["detail"])
                pending.unlink()
            access.record(con, who, action, client, **detail)
    except store.DatabaseBusy:
        with open(pending, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, default=str) + "\n")


def sign_in_gate() -> Scope:
    """Every request's first step (app.py): sign-in when configured, local mode otherwise.

    Stops the run with the right screen: the refusal to serve other computers without sign-in,
    the sign-in button, or the no-access page; otherwise returns the user's scope.
    """
    if not auth_configured():
        if served_beyond_this_computer():
            _no_navigation()
            st.error(f"**This dashboard is not served to other computers without sign-in.** It was started to "
                     f"listen on `{st.get_option('server.address') or 'every network interface'}` and no sign-in "
                     f"is configured. Start it with `--server.address 127.0.0.1` (as `make run` does) to use it on "
                     f"this computer only. {SIGN_IN_HOWTO}")
            st.stop()
        return access.local_admin()
    if not st.user.is_logged_in:
        _no_navigation()
        st.title("RPO recruiting metrics")
        st.write("Sign in with your company account to see your clients' dashboards.")
        st.button("Sign in", type="primary", icon=":material/login:", on_click=st.login)
        st.stop()
    who = user()
    if not who:
        _no_navigation()
        st.error("Your identity provider did not send an e-mail address, which this dashboard uses to know who "
                 "you are. Ask your administrator to include the `email` claim.")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    if st.session_state.get("_signed_in") != who:
        st.session_state["_signed_in"] = who
        audit("sign-in")
    return scope()


def _no_navigation() -> None:
    """Before sign-in no page is listed (without a navigation of ours, Streamlit would list the
    files of pages/)."""
    st.navigation([st.Page(lambda: None, title="Sign in", url_path="sign_in")], position="hidden")


def who_is_here(divider: bool = False) -> None:
    """Under the sidebar's filters: who is signed in, with the sign-out button; or that this is local
    mode. Every page draws it once (`page` does, and so does every early stop of the filters)."""
    with st.sidebar:
        if divider:   # below the filters
            st.divider()
        if not auth_configured():
            st.caption(f":material/lock: {LOCAL_MODE}.")
            return
        st.caption(f"Signed in as **{as_text(st.user.get('name') or user())}** ({as_text(user())})")
        st.button("Sign out", icon=":material/logout:", on_click=st.logout, key="_sign_out")


_log = logging.getLogger("dashboard")


def run_safely(fn) -> None:
    """Run `fn` (a page); an error shows a short message with a reference instead of a traceback
    (which would show server paths), and the server log carries the traceback under that reference.
    A damaged database file says which file and what to do."""
    try:
        fn()
    except store.DatabaseBusy:
        st.warning("The database is being updated by a load right now. This page shows the new data as soon as the "
                   "load finishes: rerun it (press R) in a moment.")
    except Exception as exc:  # noqa: BLE001 - the last line of defence of every page
        if isinstance(exc, duckdb.Error) and store.damage(exc):   # a corrupt block met by a query
            exc = store.damaged(db_path()[0], store.damage(exc))
        if isinstance(exc, store.DamagedDatabase):
            _log.error("%s", exc)
            st.error(as_text(exc))
            return
        ref = uuid.uuid4().hex[:8]
        _log.exception("error %s on a page for %s", ref, user() or "a signed-out user")
        st.error(f"Something went wrong while drawing this page (reference {ref}). Nothing was changed. Try again; "
                 f"if it happens again, give the reference to your administrator: the server log has the details.")


def no_access_page() -> None:
    """The one page a signed-in user without any grant sees."""
    st.title("No access yet")
    who_is_here()
    st.write(f"You are signed in as **{as_text(user())}**, but no client has been shared with you yet.")
    st.info("Ask an administrator of this dashboard to grant you access (`python -m access grant` on the server, "
            "or the Access page).")


_MARKUP = re.compile(r"[\\`*_{}\[\]<>#|~$!]|://|(?<![\w.])www\.|\s*\n\s*")
_CODE = re.compile(r"(`[^`\n]+`)")


def as_text(text, keep_code: bool = False) -> str:
    """A user- or file-supplied string shown as text inside Markdown: no links (nor bare URLs that
    would be linked), images, HTML, colour directives, formulas or line breaks. With `keep_code`, our
    own `code` spans (setting names in messages) stay code; only the text between them is escaped."""
    def escape(part: str) -> str:
        def one(m):
            hit = m.group(0)
            if hit == "://":
                return ":\\/\\/"
            if hit.startswith("www"):
                return "www\\."
            return " " if hit.isspace() or "\n" in hit else "\\" + hit
        return _MARKUP.sub(one, part)
    if not keep_code:
        return escape(str(text))
    return "".join(part if _CODE.fullmatch(part) else escape(part) for part in _CODE.split(str(text)))


def _version() -> tuple | None:
    """What the caches are keyed on: the published snapshot's identity (None: no database yet)."""
    try:
        return store.published(db_path()[0]).version
    except FileNotFoundError:
        return None


def _read(scope: Scope | None, fn):
    """Run `fn(con)` on a cursor of the current snapshot that sees only `scope`'s clients (None: the
    whole database, for reading the grants themselves); never waits for a loader."""
    with store.reading(db_path()[0], scope) as con:
        return fn(con)


@st.cache_data(show_spinner=False, max_entries=32)
def _clients(db: str, version: tuple, scope: Scope) -> list[str]:
    try:
        return _read(scope, list_clients)
    except FileNotFoundError:
        return []


@st.cache_data(show_spinner=False, max_entries=64)
def _client_info(db: str, version: tuple, scope: Scope, client: str) -> dict:
    def fetch(con):
        info = get_client(con, client)
        info["options"] = options(con, info["client"])
        info["stage_labels"] = stage_labels(con, info["client"])
        info["dictionary"] = get_dictionary(con, info["client"])
        info["last_loaded"] = last_loaded(con, info["client"])
        info["latest_data"] = latest_data(con, info["client"])
        # What the loaded data cannot give (`metrics.availability`): every page says it the same way.
        info.update(metrics.availability(con, info["client"]))
        return info
    return _read(scope, fetch)


def _read_report(scope: Scope, filters: Filters, fn):
    """Run `fn(report)` on a Report for `filters` (its tables are its cursor's own)."""
    def fetch(con):
        rep = Report(con, filters)
        try:
            return fn(rep)
        finally:
            rep.close()
    return _read(scope, fetch)


@st.cache_data(show_spinner=False, max_entries=128)
def _overview(db: str, version: tuple, scope: Scope, filters: Filters) -> dict:
    return _read_report(scope, filters, views.overview)


@st.cache_data(show_spinner=False, max_entries=64)
def _time_to_submit(db: str, version: tuple, scope: Scope, filters: Filters, grain: str) -> dict:
    return _read_report(scope, filters, lambda rep: views.time_to_submit(rep, grain))


@st.cache_data(show_spinner=False, max_entries=64)
def _conversion(db: str, version: tuple, scope: Scope, filters: Filters, grain: str) -> dict:
    return _read_report(scope, filters, lambda rep: views.conversion(rep, grain))


@st.cache_data(show_spinner=False, max_entries=64)
def _deadlines(db: str, version: tuple, scope: Scope, filters: Filters) -> dict:
    return _read_report(scope, filters, views.deadlines)


@st.cache_data(show_spinner=False, max_entries=64)
def _hm_responsiveness(db: str, version: tuple, scope: Scope, filters: Filters) -> dict:
    return _read_report(scope, filters, views.hm_responsiveness)


@st.cache_data(show_spinner=False, max_entries=64)
def _time_to_fill(db: str, version: tuple, scope: Scope, filters: Filters, grain: str) -> dict:
    return _read_report(scope, filters, lambda rep: views.time_to_fill(rep, grain))


@st.cache_data(show_spinner=False, max_entries=64)
def _requisitions(db: str, version: tuple, scope: Scope, filters: Filters):
    reqs = _read(scope, lambda con: metrics.requisitions(con, filters))
    # How the picker names each one: id · title · department · started 01 Mar 2026.
    started = pd.Series([f" · started {d:%d %b %Y}" if pd.notna(d) else "" for d in reqs["start_on"]],
                        index=reqs.index, dtype=object)
    reqs["label"] = (reqs["requisition_id"] + " · " + reqs["title"].fillna("(no title)") + " · "
                     + reqs["department"].fillna("(no department)") + started)
    return reqs


@st.cache_data(show_spinner=False, max_entries=64)
def _requisition(db: str, version: tuple, scope: Scope, filters: Filters, requisition_id: str) -> dict:
    # A report of this one requisition: its facts are the same as in the whole client's report,
    # and it reads only its own applications' events.
    return _read_report(scope, replace(filters, requisition=requisition_id), lambda rep: {
        "filters": filters, "story": rep.requisition(requisition_id)})


@st.cache_data(show_spinner=False, max_entries=32)
def _portfolio(db: str, version: tuple, scope: Scope, filters: Filters) -> list[dict]:
    def one(con, client):
        rep = Report(con, replace(filters, client=client, departments=(), recruiters=(), hiring_managers=()))
        try:
            return [{"client": rep.filters.client, **k} for k in rep.kpis(compare=False)]
        finally:
            rep.close()
    return _read(scope, lambda con: [row for client in list_clients(con) for row in one(con, client)])


@st.cache_data(show_spinner=False, max_entries=256)
def _drill(db: str, version: tuple, scope: Scope, filters: Filters, spec: tuple):
    args = {k: v for k, v in spec if k not in ("metric", "count", "label") and v is not None}
    return _read_report(scope, filters, lambda rep: rep.rows(dict(spec)["metric"], **args))


@st.cache_data(show_spinner=False, max_entries=32)
def _quality(db: str, version: tuple, scope: Scope, filters: Filters) -> dict:
    return _read_report(scope, filters, views.data_quality)


@st.cache_data(show_spinner=False, max_entries=32)
def _loaded_before(db: str, version: tuple, scope: Scope, client: str, sha256s: tuple) -> dict:
    # Read past the user's scope: a file's rejected rows keep the client each row named, which may be
    # none or another client, and the load (which reads the whole database) reads those rows again
    # too. Only the files `client` loaded with these very bytes (the user holds them) are read, and of
    # their rejected rows only where they are in the file (and whether they repeat another row of it),
    # never the values they held.
    def fetch(con):
        files = con.execute("SELECT * FROM files WHERE client = ? AND list_contains(?, sha256) ORDER BY file_id",
                            [client, list(sha256s)]).fetchall()
        ids = sorted({f[0] for f in files})
        # (of a reason, only whether the row repeats another of its file: such a row is not read again)
        rejected = con.execute(f'SELECT DISTINCT file_id, sheet, kind, "row", CASE WHEN reason SIMILAR TO '
                               f"{REPEATED_ROW} THEN reason END FROM rejected_rows WHERE list_contains(?, file_id)",
                               [ids]).fetchall() if ids else []
        return {"files": files, "rejected_rows": rejected}
    return _read(None, fetch)


def loaded_before(client: str, sha256s) -> dict:
    """What the database knows of `client`'s earlier loads of the files with these sha256s: their
    `files` rows, and their `rejected_rows` as (file_id, sheet, kind, row, reason if a repeat). The Upload page's dry run
    copies them into its in-memory database, so that a file loaded before is skipped there, or read
    again for its rejected rows only, exactly as the load does (`loaders.ingest`)."""
    if not sha256s or not scope().allows("csm", client):   # (nothing to load into: the dry run says so)
        return {"files": [], "rejected_rows": []}
    return _cached(_loaded_before, client, tuple(sorted(set(sha256s))))


def write(fn, what: str, client: str | None):
    """Run `fn(con)` on a short-lived read-write connection (an edit made on a page for `client`)
    and return its result. It publishes a new snapshot when it closes, so every cached view refreshes.
    `what` names the edit for the message shown while a command-line load holds the database.
    Only a user with the csm role for `client` (or an admin) may write; with no client (access
    itself), only an admin."""
    if not (scope().admin if client is None else scope().allows("csm", client)):
        st.error(f"Could not save {what}: " + ("only an admin may change access." if client is None else
                                               "your access to this client is read-only.") + " Nothing was changed.")
        st.stop()
    try:
        with store.connection(db_path()[0], wait_seconds=30, on_wait=lambda m: None) as con:
            return fn(con)
    except store.DatabaseBusy:
        st.error(f"Could not save {what}: a load from the command line is using the database. "
                 "Nothing was changed; try again in a moment.")
        st.stop()


def _cached(fn, *args):
    """Call a cached reader for the current database and snapshot; while the first load of a database
    never published holds it, say so instead of failing."""
    try:
        return fn(str(db_path()[0]), _version(), scope(), *args)
    except store.DatabaseBusy:
        st.warning("The database is being updated by a load right now. This page shows the new data "
                   "as soon as the load finishes: rerun it (press R) in a moment.")
        st.stop()


def clients() -> list[str]:
    """The clients in the database (empty when there is no data yet)."""
    return _cached(_clients)


def client_info(client: str) -> dict:
    """The client's settings, filter options, stage words and last load time."""
    return _cached(_client_info, client)


def overview(filters: Filters) -> dict:
    """Everything the Overview page shows for `filters`, computed once per published snapshot."""
    return _cached(_overview, filters)


def time_to_submit(filters: Filters, grain: str) -> dict:
    """The Time to submit page's data: totals, per-requisition rows, trend, breakdowns, awaiting list."""
    return _cached(_time_to_submit, filters, grain)


def conversion(filters: Filters, grain: str) -> dict:
    """The Interview conversion page's data: cohort totals, trend by cohort, breakdowns."""
    return _cached(_conversion, filters, grain)


def deadlines(filters: Filters) -> dict:
    """The Deadline adherence page's data: totals, months, misses by side and reason, revisions, upcoming."""
    return _cached(_deadlines, filters)


def hm_responsiveness(filters: Filters) -> dict:
    """The Hiring-manager responsiveness page's data: totals, per manager and department, still waiting."""
    return _cached(_hm_responsiveness, filters)


def time_to_fill(filters: Filters, grain: str) -> dict:
    """The Time to fill page's data: totals, the filled requisitions (newest hire first), trend, by
    department and recruiter."""
    return _cached(_time_to_fill, filters, grain)


def requisitions(filters: Filters) -> pd.DataFrame:
    """The client's requisitions (requisition filters applied), newest start first."""
    return _cached(_requisitions, filters)


def requisition(filters: Filters, requisition_id: str | None) -> dict:
    """One requisition's story (`Report.requisition`) under "story"; it is None when no
    requisition is chosen."""
    if not requisition_id:
        return {"filters": filters, "story": None}
    return _cached(_requisition, filters, requisition_id)


def portfolio(filters: Filters) -> pd.DataFrame:
    """Every client's KPIs for the same period and as-of date, each with its own target and status."""
    return pd.DataFrame(_cached(_portfolio, filters))


def drill(filters: Filters, spec: dict) -> pd.DataFrame:
    """The rows behind a selected chart point (`charts.drill_spec`)."""
    return _cached(_drill, filters, tuple(sorted(spec.items())))


def data_quality(filters: Filters) -> dict:
    """The Data page's tables: files, rejected rows, unmapped words, duplicates, out-of-order and
    orphan rows."""
    return _cached(_quality, filters)


def review_deck_button(filters: Filters) -> None:
    """"Download review deck": the client review deck (`exports.deck`) for the page's filters,
    built only when clicked (a deck takes seconds, too slow for every rerun), by the same code as
    `python -m exports deck`. Branding the deck cannot use disables the button, with the reason."""
    from exports import deck
    from loaders.settings import parse_settings
    settings_text = client_info(filters.client).get("settings_toml")
    try:
        deck.open_branding(parse_settings(settings_text).branding if settings_text else {})
        problem = None
    except deck.DeckError as exc:
        problem = str(exc)
    me = scope()
    with st.container(horizontal=True, gap="medium", vertical_alignment="center"):
        button = st.empty()
        internal = st.checkbox("With the internal appendix", key="deck_internal",
                               help="Adds the rules every metric follows and the data-quality checks, for the "
                                    "account team: not for the client. Its file name ends in -internal.")
    name = deck.file_name(filters)
    if internal:
        name = name.removesuffix(".pptx") + "-internal.pptx"
    button.download_button(
        "Download review deck", data=audited(lambda: _read(me, lambda con: deck.build(con, filters, internal=internal)),
                                             "deck", filters, file=name, internal_appendix=internal),
        file_name=name, mime=deck.PPTX_MIME, on_click="ignore", icon=":material/slideshow:", key="review_deck",
        disabled=problem is not None,
        help="A 16:9 PowerPoint deck for these filters: executive summary against targets and "
             f"{filters.comparison() or 'no other period'}, a slide per metric with editable charts, deadlines and "
             "how we measure, in the client's words.")
    if problem:
        st.warning(f"The review deck cannot be built: {problem}.")


def audited(make, what: str, filters: Filters, **detail):
    """`make` (a download's data, made when clicked) that first records the download in the audit log.
    The user is taken now: the click is served outside this script run."""
    who = user()

    def made():
        record_for(who, "download", filters.client, what=what, filters=filters.describe(), **detail)
        return make()
    return made


def grants() -> pd.DataFrame:
    """Every grant (admins only: the scoped connection shows others none)."""
    return _read(scope(), access.list_grants)


def audit_log(since, who, client, action) -> pd.DataFrame:
    """The audit log for the Audit page (admins only: the scoped connection shows others none)."""
    return _read(scope(), lambda con: access.audit(con, since=since, user=who, client=client, action=action,
                                                   limit=5000))


def change_grants(fn) -> None:
    """Run `fn(con, by)` (a grant or revoke) as this admin and say what changed; rerun to show it."""
    try:
        done = write(lambda con: fn(con, user()), "the access change", None)
    except access.AccessError as exc:
        st.error(f"{as_text(exc)}. Nothing was changed.")
        return
    st.session_state["_grants_changed"] = done
    st.rerun()


# -- scheduled digests (exports/schedules.py) ----------------------------------------------------

def secrets() -> dict:
    """`.streamlit/secrets.toml` as Streamlit read it ({} when there is none)."""
    try:
        return st.secrets.to_dict()
    except Exception:  # no secrets file at all
        return {}


def sending():
    """Whether scheduled digests are sent: (the `[smtp]` settings, None when there is no block, and
    the reason a block cannot work, else None)."""
    from exports import mail
    try:
        return mail.smtp_settings(secrets()), None
    except mail.MailError as exc:
        return None, str(exc)


def rpo_domains() -> tuple[str, ...]:
    """The RPO's own e-mail domains (`[digest] rpo_domains`): a schedule sends to them without approval."""
    from exports.schedules import rpo_domains as of_secrets
    return of_secrets(secrets())


@st.cache_data(show_spinner=False, max_entries=32)
def _schedules(db: str, version: tuple, scope: Scope, client: str) -> list:
    from exports.schedules import schedules as stored
    return _read(scope, lambda con: stored(con, client))


@st.cache_data(show_spinner=False, max_entries=32)
def _deliveries(db: str, version: tuple, scope: Scope, client: str) -> pd.DataFrame:
    from exports.schedules import deliveries as sent
    return _read(scope, lambda con: sent(con, client))


def schedules(client: str) -> list:
    """The client's schedules (`exports.schedules.Schedule`), oldest first."""
    return _cached(_schedules, client)


def deliveries(client: str) -> pd.DataFrame:
    """The client's recent sends, newest first (`exports.schedules.deliveries`)."""
    return _cached(_deliveries, client)


def empty_state() -> None:
    """What an empty database shows: how to load data."""
    path, _ = db_path()
    st.info(
        f"**No data in `{path}` yet.** Create a client and load its files from a terminal:\n\n"
        f"```\npython -m loaders --db {path} client path/to/client.toml\n"
        f"python -m loaders --db {path} ingest path/to/export_folder --client \"Client name\"\n```\n\n"
        "The dashboard shows the new data on its next rerun (press R). The README describes the "
        "import template and the client settings file.")


# -- filters, kept in the URL so that a copied link reopens the same view -----------------------

def _period(preset: str, as_of: dt.date, custom: tuple) -> tuple[dt.date | None, dt.date | None]:
    return custom if preset == "Custom" else period_dates(preset, as_of)


# The dates a link may carry: anything outside is a typo (0001-01-01), not a report date.
EARLIEST, LATEST = dt.date(1990, 1, 1), dt.date(2100, 12, 31)
_PARAM_NAMES = {"as_of": "as-of date", "from": "period start", "to": "period end"}


def _param_date(name: str) -> dt.date | None:
    """A date from the URL; a value that is not a plausible date is reported on the page and ignored."""
    text = st.query_params.get(name, "")
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not EARLIEST <= day <= LATEST:
        st.warning(f"The link's {_PARAM_NAMES[name]} `{as_text(text[:40])}` is not "
                   + ("a date between 1990 and 2100" if day else "a date (YYYY-MM-DD)")
                   + ": it was left out, and the sidebar shows the default instead.")
        return None
    return day


# The filters a user sets follow them from page to page. A widget drawn by a page is a new widget on
# every page, so the filters live in one dict of the session (`_view`), outside every page: each run
# seeds the sidebar's widgets from it, a widget's change writes back to it, and every run writes it
# to the URL. A URL whose filters differ from those the session last wrote (a link, the browser's
# back button, a reload, a copied URL in a new tab) says what to show; a URL without filters (a
# click in the sidebar's navigation) keeps the session's.
FILTER_PARAMS = ("client", "department", "recruiter", "hm", "period", "from", "to", "as_of", "compare")
_MULTI = (("departments", "department", "department"), ("recruiters", "recruiter", "recruiter"),
          ("hiring_managers", "hiring_manager", "hm"))
# How `compare` is written in a URL (the default, "previous", is left out; "0" is what older links say).
_COMPARE_PARAM = {"none": "0", "last_year": "last_year"}


def _view() -> dict:
    return st.session_state.setdefault("_view", {})


def _view_from_url(qp) -> dict:
    """The filters a URL names (a missing one takes its default); a value that cannot be used is
    said on the page and left out."""
    view = {"client": " ".join(qp.get("client", "").split()) or None}
    for key, _, param in _MULTI:
        view[key] = qp.get_all(param)
    period = qp.get("period")
    if period and period not in PRESETS:
        st.warning(f"The link's period `{as_text(period[:40])}` is not one of: {', '.join(PRESETS)}; "
                   f"it was left out, and the sidebar shows {DEFAULT_PRESET} instead.")
    view["preset"] = period if period in PRESETS else DEFAULT_PRESET
    date_from, date_to = _param_date("from"), _param_date("to")
    if date_from or date_to:
        view["custom"] = (date_from, date_to)
    view["as_of"] = _param_date("as_of")   # None: the client's latest data
    view["grain"] = qp.get("grain")
    written = {param: choice for choice, param in _COMPARE_PARAM.items()}
    view["compare"] = {**written, "none": "none"}.get(qp.get("compare", ""), "previous")
    return view


def _changed(key: str) -> None:
    """A sidebar widget's change, written to the session's filters (before the rerun draws them)."""
    view, value = _view(), st.session_state[key]
    if key == "period_dates":
        # A custom period applies once both dates are chosen; the first click alone changes nothing.
        if isinstance(value, (tuple, list)) and len(value) == 2:
            view["custom"] = tuple(value)
        return
    if key == "as_of":
        view["as_of"] = None if value == st.session_state.get("_latest_data") else value
        return
    view[key] = value


def sticky_value(key: str):
    """A choice kept in the session's filters (`_view`): what `sticky` widgets show."""
    return _view().get(key)


def sticky(draw, label: str, key: str, value, **kwargs):
    """Draw a widget showing `value` (from the session's filters, `_view`) that writes its changes back
    there, so that the same widget on another page shows the same choice."""
    current = st.session_state.get(key)
    # A half-chosen custom period stays on screen until its second date is chosen.
    if not (key == "period_dates" and isinstance(current, (tuple, list)) and len(current) == 1):
        # Set on every run, even when equal: a page's widget is a new widget that would otherwise
        # start from its default instead of the state left by the same widget on another page.
        st.session_state[key] = value
    return draw(label, key=key, on_change=_changed, args=(key,), **kwargs)


def sidebar_filters(role: str = "viewer") -> Filters | None:
    """Draw the shared filters in the sidebar and return them (None when there is no data).
    The client picker lists the clients for which the user has at least `role`."""
    me = scope()
    names = [c for c in clients() if me.allows(role, c)]
    if not names:
        if role != "viewer" and clients():
            st.info(f"This page is for the {role} role, and none of your clients is shared with you in that role.")
            who_is_here()
            st.stop()
        empty_state()
        return None
    qp = st.query_params
    in_url = view_params()
    view = _view()
    if in_url and in_url != st.session_state.get("_view_url") or not view:
        view.clear()
        view.update(_view_from_url(qp))
        st.session_state["_view_url"] = in_url
    sb = st.sidebar
    wanted = (view.get("client") or "").lower()
    client = next((c for c in names if c.lower() == wanted), None)
    if client is None and view.get("client") and not in_url and view["client"] in clients():
        # The client chosen on another page is not one this page's role may open (Upload, Settings).
        sb.caption(f"{as_text(view['client'])} is not among the clients you can open here.")
        client = names[0]
    elif client is None and not view.get("client"):
        client = view["client"] = names[0]
    if client is None:
        # A client the link names that is not here, or not shared with this user (the two are told
        # apart nowhere), is said so: never silently replaced by another client.
        st.session_state.pop("client", None)
        sb.selectbox("Client", names, key="client", index=None, placeholder="Choose a client",
                     on_change=_changed, args=("client",))
        st.error(f"There is no client named “{as_text(view['client'][:80])}” that you can open. "
                 "Check the link, or choose a client in the sidebar.")
        who_is_here()
        st.stop()
    client = sticky(sb.selectbox, "Client", "client", client, options=names)
    info = client_info(client)
    opts = info["options"]
    chosen = {}
    for key, col, _ in _MULTI:
        view[key] = [v for v in view.get(key, []) if v in opts[col]]
        chosen[key] = sticky(sb.multiselect, key.replace("_", " ").capitalize(), key, view[key],
                              options=opts[col], placeholder=f"All {key.replace('_', ' ')}")
    latest = info.get("latest_data") or local_today(info["timezone"])
    st.session_state["_latest_data"] = latest
    as_of = view.get("as_of") or latest
    preset = sticky(sb.selectbox, "Period", "preset", view.get("preset", DEFAULT_PRESET), options=PRESETS)
    custom = (None, None)
    if preset == "Custom":
        default = (as_of - dt.timedelta(days=89), as_of)
        custom = tuple(view.get("custom") or default)
        custom = (custom[0] or default[0], custom[1] or default[1])
        picked = sticky(sb.date_input, "From – to", "period_dates", custom, format="YYYY-MM-DD",
                         help="Choose the first and the last day; the period applies once both are chosen.")
        if len(picked) < 2:
            sb.caption("Choose the last day of the period: until then the pages show "
                       f"{custom[0]:%d %b %Y} to {custom[1]:%d %b %Y}.")
    as_of = sticky(sb.date_input, "As of", "as_of", as_of, format="YYYY-MM-DD",
                    help="The day the report describes: later events are ignored. By default, the client's "
                         "latest data.")
    sb.caption(f"Latest data: {latest:%d %b %Y}" if info.get("latest_data") else "No dated event loaded yet.")
    compare = sticky(sb.selectbox, "Compare with", "compare", view.get("compare", "previous"),
                      options=list(COMPARISONS), format_func=COMPARISONS.get,
                      help="What the KPI cards and the deck compare with: the previous period (a quarter with the "
                           "quarter before, a month with the month before, other periods with the days just "
                           "before), or the same dates one year earlier.")
    date_from, date_to = _period(preset, as_of, custom)
    if date_from and date_to and date_from > date_to:
        sb.error("The period starts after it ends; showing all time instead.")
        date_from = date_to = None

    params = {"client": client, "period": preset}
    if preset == "Custom":
        params.update({"from": custom[0].isoformat(), "to": custom[1].isoformat()})
    if view.get("as_of"):
        params["as_of"] = as_of.isoformat()
    for key, _, param in _MULTI:
        if chosen[key]:
            params[param] = list(chosen[key])
    if compare in _COMPARE_PARAM:
        params["compare"] = _COMPARE_PARAM[compare]
    # A requisition belongs to one client: switching client leaves it behind.
    same_client = not qp.get("client") or " ".join(qp.get("client", "").split()).lower() == client.lower()
    params.update({key: qp.get(key) for key in PAGE_PARAMS if qp.get(key) and (key != "req" or same_client)})
    as_lists = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    if {k: qp.get_all(k) for k in qp} != as_lists:
        qp.from_dict(params)
    st.session_state["_view_url"] = {k: v for k, v in as_lists.items() if k in FILTER_PARAMS}
    return Filters(client=client, departments=tuple(chosen["departments"]), recruiters=tuple(chosen["recruiters"]),
                   hiring_managers=tuple(chosen["hiring_managers"]), date_from=date_from, date_to=date_to,
                   as_of=as_of, compare=compare)


def page(title: str, role: str = "viewer") -> Filters:
    """Every page's start: the database, the title, the shared filters in the sidebar (the client
    picker lists the clients for which the user has at least `role`).

    Returns the filters; when there is no data it shows how to load some and stops the page.
    """
    _leave_pages_folder_navigation()
    ensure_database()
    st.title(title)
    filters = sidebar_filters(role)
    who_is_here(divider=True)
    if filters is None:
        st.stop()
    return filters


def _leave_pages_folder_navigation() -> None:
    """Route a fresh server's first request through app.py's `st.navigation`.

    Until app.py has run once, Streamlit runs a deep link such as `/data` straight from the
    `pages/` folder with its old folder navigation (page names from file names). Switching that
    off and rerunning sends the same URL through app.py, as every later request is.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the old folder navigation
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def period_params(*extra: str) -> dict:
    """The URL's period and as-of parameters (and `extra` ones), for links that keep the view's time."""
    return {k: v for k, v in st.query_params.to_dict().items() if k in ("period", "from", "to", "as_of") + extra}


def view_params() -> dict[str, list[str]]:
    """Every filter of the view as the URL holds it (several departments are several values), for
    links that open the same view on another page (`urlencode(..., doseq=True)`)."""
    return {k: st.query_params.get_all(k) for k in FILTER_PARAMS if st.query_params.get_all(k)}


def open_client_overview(client: str) -> None:
    """Go to the client's Overview with the same period and as-of date (a click on Portfolio)."""
    st.switch_page("pages/overview.py", query_params={**period_params("compare"), "client": client})


# The most requisitions the picker lists at once (`requisition_picker`).
PICKER_ROWS = 2000


def requisition_picker(filters: Filters) -> str | None:
    """Choose one requisition (newest start first); the choice is kept in the URL as `req`."""
    reqs = requisitions(filters)
    known = set(reqs["requisition_id"])
    wanted = st.query_params.get("req")
    listed = reqs
    if len(reqs) > PICKER_ROWS:
        # A big account's requisitions are found by a word of their name first: the box lists the
        # newest `PICKER_ROWS` that match.
        needle = st.text_input("Find a requisition", key="req_find", placeholder="a word of its id, title or department",
                               help=f"{len(reqs):,} requisitions: the box lists the newest {PICKER_ROWS:,} whose id, "
                                    "title or department holds these words.")
        if needle.strip():
            listed = reqs[reqs["label"].str.contains(needle.strip(), case=False, regex=False)]
        listed = listed.head(PICKER_ROWS)
    names = dict(zip(listed["requisition_id"], listed["label"]))
    for shown in (wanted, st.session_state.get("req")):   # the one in the URL or the box is always listed
        if shown in known and shown not in names:
            names[shown] = reqs.loc[reqs["requisition_id"] == shown, "label"].iloc[0]
    # The URL wins when it changed (a link, the back button); otherwise the box keeps its choice.
    if st.session_state.get("_req_in_url", "") != wanted:
        st.session_state["_req_in_url"] = wanted
        st.session_state["req"] = wanted if wanted in names else None
        if wanted and wanted not in names:
            st.warning(f"Requisition “{as_text(wanted[:80])}” is not among {as_text(filters.client)}'s requisitions"
                       + (" for the filters in the sidebar." if filters.filtered else "."))
    if st.session_state.get("req") not in names:
        st.session_state["req"] = None
    chosen = st.selectbox("Requisition", list(names), key="req", format_func=names.get, index=None,
                          placeholder=f"Choose one of {len(names):,} requisitions (type to search)")
    if chosen != wanted:
        if chosen:
            st.query_params["req"] = chosen
        else:
            st.query_params.pop("req", None)
        st.session_state["_req_in_url"] = chosen
    return chosen


def data_as_of(filters: Filters) -> str:
    """"Data as of" for captions: the report's as-of date and when the data was last loaded."""
    import charts
    return charts.data_as_of(filters.as_of, client_info(filters.client).get("last_loaded"))


__all__ = ["as_text", "audit", "audited", "auth_configured", "client_info", "clients", "conversion", "data_as_of",
           "data_quality", "db_path", "deadlines", "deliveries", "drill", "empty_state", "ensure_database",
           "hm_responsiveness", "no_access_page", "open_client_overview", "overview", "page", "period_params",
           "portfolio", "PRESETS", "requisition", "requisition_picker", "requisitions", "review_deck_button",
           "rpo_domains", "run_safely", "schedules", "scope", "secrets", "sending", "sidebar_filters", "sign_in_gate",
           "time_to_fill", "time_to_submit", "UnknownClient", "user", "view_params", "who_is_here", "write"]
