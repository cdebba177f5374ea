"""Scheduled delivery: a client's weekly digest, or its review deck, sent on time and never twice.

A schedule (table `schedules`) names a client and its filters, what to send (`digest`, or `deck`:
the digest with the review deck attached), its recipients, and how often, in the client's time zone:
weekly on a weekday, every two weeks on a weekday, monthly on a day, or quarterly on a day of the
quarter's first month; at an hour of that day.

`run` (`python -m exports schedules run`, from cron or a systemd timer every few minutes) sends
what is due: for each schedule, its latest occurrence not yet sent. Each recipient's send is one
row of `deliveries`, claimed before the message is sent and marked sent or failed after, so
running again, or two runs at once, sends nothing twice; a failed send (the server down, an
address refused) is tried again by each later run while it is its schedule's latest occurrence,
and the server's answer is kept for the Schedules page. A run that missed several occurrences
sends only the latest.

Safety: a digest is read through a connection that sees the schedule's client only; recipients
outside the client's domains (`email_domains` in its settings) and the RPO's (`[digest] rpo_domains`
in `.streamlit/secrets.toml`) are not sent to until an admin approves them; every send is in the
audit log (who scheduled it, to whom, for which period). No Streamlit here.
"""
from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import os
import re
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

import access
import store
from metrics import COMPARISONS, PERIOD_PRESETS, Filters, options, period_dates

WHAT = {"digest": "Digest", "deck": "Digest with the review deck attached"}
FREQUENCIES = {"weekly": "Weekly", "biweekly": "Every two weeks", "monthly": "Monthly", "quarterly": "Quarterly"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DEFAULT_PERIOD = "Last 30 days"
DEFAULT_HOUR = 8
# A send claimed this long ago, neither recorded nor in its run's outbox journal, belongs to a run
# that stopped before sending it: the next run sends it.
STALE = dt.timedelta(hours=2)
# An occurrence more than this late is not sent any more (a schedule resumed, an address approved or
# cron started days after it): its period is stale, and the next occurrence comes.
MAX_LATE = dt.timedelta(days=1)
# A failed send is tried again after 5 minutes, then 10, 20, ... (at most 6 hours), while it is
# its schedule's latest occurrence and not MAX_LATE: a refused address is not hammered every run.
RETRY_FIRST, RETRY_MOST = dt.timedelta(minutes=5), dt.timedelta(hours=6)
_ADDRESS = re.compile(r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9-]+(\.[a-z0-9-]+)+$")


class ScheduleError(ValueError):
    """A schedule that cannot be saved, or an action outside the user's scope: says what to change."""


@dataclass(frozen=True)
class Schedule:
    """One stored schedule (a row of `schedules`)."""
    schedule_id: int
    client: str
    what: str
    view: dict
    recipients: tuple[str, ...]
    approved: tuple[str, ...]
    frequency: str
    weekday: int | None
    day: int | None
    hour: int
    created_by: str
    created_at: dt.datetime     # UTC
    paused: bool = False
    timezone: str = "UTC"       # the client's
    domains: tuple[str, ...] = field(default=())   # the client's e-mail domains

    def describe(self) -> str:
        """How often, in words: `Weekly on Monday at 08:00 (America/Chicago)`."""
        when = (f"on {WEEKDAYS[self.weekday]}" if self.frequency in ("weekly", "biweekly")
                else f"on day {self.day}" + (" of each quarter's first month" if self.frequency == "quarterly" else ""))
        return f"{FREQUENCIES[self.frequency]} {when} at {self.hour:02d}:00 ({self.timezone})"

    def filters(self, as_of: dt.date) -> Filters:
        """The report a send as of `as_of` covers: the schedule's named period ending then."""
        v = self.view
        date_from, date_to = period_dates(v.get("period", DEFAULT_PERIOD), as_of)
        return Filters(client=self.client, date_from=date_from, date_to=date_to, as_of=as_of,
                       departments=tuple(v.get("departments", ())), recruiters=tuple(v.get("recruiters", ())),
                       hiring_managers=tuple(v.get("hiring_managers", ())), compare=v.get("compare", "previous"))


# -- when ----------------------------------------------------------------------------------------

def _on(s: Schedule, day: dt.date) -> bool:
    """Whether the schedule sends on this local date (biweekly: every 14 days from its first weekday
    on or after the day it was made)."""
    if s.frequency == "weekly":
        return day.weekday() == s.weekday
    if s.frequency == "biweekly":
        made = _local(s.created_at, s.timezone).date()
        first = made + dt.timedelta(days=(s.weekday - made.weekday()) % 7)
        return day.weekday() == s.weekday and (day - first).days % 14 == 0
    if s.frequency == "quarterly" and day.month % 3 != 1:
        return False
    return day.day == min(s.day, calendar.monthrange(day.year, day.month)[1])


def _local(utc: dt.datetime, timezone: str) -> dt.datetime:
    return utc.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(timezone))


def _utc(day: dt.date, hour: int, timezone: str) -> dt.datetime:
    """The instant (naive UTC) of `hour`:00 on a local date (a nonexistent hour at a clock change
    is read as zoneinfo reads it: the hour after)."""
    local = dt.datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(timezone))
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def latest_due(s: Schedule, now: dt.datetime) -> dt.datetime | None:
    """The schedule's latest occurrence (naive UTC) at or before `now` (naive UTC) and after it was
    made; None when there is none yet. Occurrences are at most a quarter apart: 100 days back
    suffice."""
    today = _local(now, s.timezone).date()
    for back in range(0, 100):
        day = today - dt.timedelta(days=back)
        if _on(s, day):
            due = _utc(day, s.hour, s.timezone)
            if due <= now:
                return due if due >= s.created_at else None
    return None


def next_due(s: Schedule, now: dt.datetime) -> dt.datetime | None:
    """The schedule's next occurrence (naive UTC) after `now`; None while it is paused."""
    if s.paused:
        return None
    today = _local(now, s.timezone).date()
    for ahead in range(0, 100):
        day = today + dt.timedelta(days=ahead)
        if _on(s, day) and (due := _utc(day, s.hour, s.timezone)) > now:
            return due
    return None


def as_of_for(s: Schedule, due: dt.datetime) -> dt.date:
    """The as-of date of the occurrence `due`: its local date (the report a send holds, whenever the
    run that sends it comes)."""
    return _local(due, s.timezone).date()


# -- who -----------------------------------------------------------------------------------------

def rpo_domains(secrets: dict) -> tuple[str, ...]:
    """The RPO's own e-mail domains: `[digest] rpo_domains` of the secrets."""
    block = secrets.get("digest") or {}
    domains = block.get("rpo_domains", ())
    # One domain written as a string, not a list, is that domain (not its letters).
    domains = [domains] if isinstance(domains, str) else domains
    return tuple(str(d).strip().lower().removeprefix("@") for d in domains if str(d).strip())


def outside(s: Schedule, recipient: str, rpo: tuple[str, ...]) -> bool:
    """Whether `recipient` is outside the client's and the RPO's domains (approved or not)."""
    domain = recipient.rsplit("@", 1)[-1]
    return domain not in s.domains and domain not in rpo


def needs_approval(s: Schedule, recipient: str, rpo: tuple[str, ...]) -> bool:
    """Whether sending to `recipient` waits for an admin: an address outside the client's and the
    RPO's domains that no admin approved."""
    return outside(s, recipient, rpo) and recipient not in s.approved


def parse_recipients(text) -> list[str]:
    """E-mail addresses from text (one per line, or separated by commas, semicolons or spaces),
    lower-cased, each once; raises ScheduleError naming an address that is not one."""
    items = text if isinstance(text, (list, tuple)) else re.split(r"[\s,;]+", str(text or ""))
    out = []
    for item in items:
        address = str(item).strip().strip("<>").lower()
        if not address:
            continue
        if not _ADDRESS.match(address):
            raise ScheduleError(f"{item!r} is not an e-mail address (write one such as jane@acme.com)")
        if address not in out:
            out.append(address)
    return out


# -- storage -------------------------------------------------------------------------------------

_COLUMNS = ("schedule_id", "client", "what", "view", "recipients", "approved", "frequency", "weekday", "day",
            "hour", "created_by", "created_at", "paused")


def _client(con, client: str) -> tuple[str, str, tuple[str, ...]]:
    """(name, time zone, e-mail domains) of a stored client, matched as files match it."""
    from loaders.settings import SettingsError, get_client, parse_settings
    info = get_client(con, client)
    if not info:
        raise ScheduleError(f"unknown client {client!r}")
    domains = ()
    if info.get("settings_toml"):
        try:
            domains = tuple(parse_settings(info["settings_toml"], origin=info["client"]).email_domains)
        except SettingsError:   # unreadable stored settings: no domain is the client's, so nobody is sent to unasked
            pass
    return info["client"], info["timezone"], domains


def schedules(con, client: str | None = None) -> list[Schedule]:
    """The stored schedules (of `client`, else of every client `con` sees), oldest first."""
    rows = con.execute(f"SELECT {', '.join('s.' + c for c in _COLUMNS)} FROM schedules s "
                       "WHERE ?::VARCHAR IS NULL OR s.client = ? ORDER BY s.schedule_id", [client, client]).fetchall()
    clients = {}
    out = []
    for row in rows:
        r = dict(zip(_COLUMNS, row))
        if r["client"] not in clients:
            try:
                clients[r["client"]] = _client(con, r["client"])
            except ScheduleError:
                continue
        _, timezone, domains = clients[r["client"]]
        out.append(Schedule(**{**r, "view": json.loads(r["view"]), "recipients": tuple(r["recipients"]),
                               "approved": tuple(r["approved"])}, timezone=timezone, domains=domains))
    return out


def get(con, schedule_id: int) -> Schedule | None:
    """One schedule by its number, if `con` sees it."""
    return next((s for s in schedules(con) if s.schedule_id == int(schedule_id)), None)


def check_view(view: dict) -> dict:
    """The filters a schedule keeps, checked: a named period, lists of departments, recruiters and
    hiring managers, and a comparison."""
    period = view.get("period", DEFAULT_PERIOD)
    if period not in PERIOD_PRESETS:
        raise ScheduleError(f"period {period!r} is not one of: {', '.join(PERIOD_PRESETS)}")
    compare = view.get("compare", "previous")
    if compare not in COMPARISONS:
        raise ScheduleError(f"comparison {compare!r} is not one of: {', '.join(COMPARISONS)}")
    out = {"period": period, "compare": compare}
    for key in ("departments", "recruiters", "hiring_managers"):
        values = [str(v) for v in view.get(key) or () if str(v).strip()]
        if values:
            out[key] = values
    return out


def save(con, scope: access.Scope, *, client: str, what: str, recipients, frequency: str,
         weekday: int | None = None, day: int | None = None, hour: int = DEFAULT_HOUR, view: dict | None = None,
         schedule_id: int | None = None, now: dt.datetime | None = None) -> Schedule:
    """Create a schedule (or change schedule `schedule_id`) on a writing connection, as `scope`'s
    user, who needs the csm role for the client. Recipients an admin approved stay approved;
    an admin's own new recipients are approved by saving. In the audit log."""
    name, _, _ = _client(con, client)
    scope.require("csm", name)
    if what not in WHAT:
        raise ScheduleError(f"what to send is {what!r}: one of {', '.join(WHAT)}")
    if frequency not in FREQUENCIES:
        raise ScheduleError(f"how often is {frequency!r}: one of {', '.join(FREQUENCIES)}")
    if frequency in ("weekly", "biweekly"):
        if weekday is None or not 0 <= int(weekday) <= 6:
            raise ScheduleError("choose the weekday to send on")
        weekday, day = int(weekday), None
    else:
        if day is None or not 1 <= int(day) <= 31:
            raise ScheduleError("choose the day of the month to send on (1 to 31; a shorter month's last day "
                                "stands for 29 to 31)")
        weekday, day = None, int(day)
    if not 0 <= int(hour) <= 23:
        raise ScheduleError(f"the hour of sending is {hour!r}: 0 to 23")
    people = parse_recipients(recipients)
    if not people:
        raise ScheduleError("add at least one recipient's e-mail address")
    view = check_view(view or {})
    old = get(con, schedule_id) if schedule_id is not None else None
    if schedule_id is not None and (old is None or old.client != name):
        raise ScheduleError(f"there is no schedule {schedule_id} for {name}")
    approved = [p for p in people if (old and p in old.approved) or scope.admin]
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    if old is None:
        schedule_id = _next_number(con)
        created_by, created_at, paused = scope.user, now, False
    else:
        created_by, created_at, paused = old.created_by, old.created_at, old.paused
        con.execute("DELETE FROM schedules WHERE schedule_id = ?", [schedule_id])
    con.execute("INSERT INTO schedules VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [schedule_id, name, what, json.dumps(view), people, approved, frequency, weekday, day, int(hour),
                 created_by, created_at, paused])
    saved = get(con, schedule_id)
    access.record(con, scope.user, "schedule saved" if old else "schedule created", name, schedule=schedule_id,
                  what=what, recipients=people, when=saved.describe(), filters=view)
    return saved


def _next_number(con) -> int:
    """A schedule number never given before, across every client (a scoped connection's tables show
    only some), even to a deleted schedule: the audit log and the deliveries name schedules by it."""
    catalog = con.execute("SELECT current_database()").fetchone()[0]
    number = con.execute(f"""
        SELECT 1 + greatest((SELECT coalesce(max(schedule_id), 0) FROM "{catalog}".main.schedules),
                            (SELECT coalesce(max(schedule_id), 0) FROM "{catalog}".main.deliveries),
                            (SELECT coalesce(max(value::INTEGER), 0) FROM "{catalog}".main.meta
                             WHERE key = 'last_schedule'))""").fetchone()[0]
    con.execute(f"""DELETE FROM "{catalog}".main.meta WHERE key = 'last_schedule'""")
    con.execute(f"""INSERT INTO "{catalog}".main.meta VALUES ('last_schedule', ?)""", [str(number)])
    return number


def _mine(con, scope: access.Scope, schedule_id: int) -> Schedule:
    s = get(con, schedule_id)
    if s is None or not scope.allows("csm", s.client):
        raise ScheduleError(f"there is no schedule {schedule_id} you may change")
    return s


def approve(con, scope: access.Scope, schedule_id: int, recipient: str) -> None:
    """An admin approves sending schedule `schedule_id` to `recipient` (outside the domains)."""
    if not scope.admin:
        raise ScheduleError("only an admin may approve a recipient outside the client's and the RPO's domains")
    s = _mine(con, scope, schedule_id)
    recipient = recipient.lower()
    if recipient not in s.recipients:
        raise ScheduleError(f"{recipient} is not a recipient of schedule {schedule_id}")
    con.execute("UPDATE schedules SET approved = list_distinct(list_append(approved, ?)) WHERE schedule_id = ?",
                [recipient, schedule_id])
    access.record(con, scope.user, "recipient approved", s.client, schedule=schedule_id, recipient=recipient,
                  scheduled_by=s.created_by)


def pause(con, scope: access.Scope, schedule_id: int, paused: bool = True) -> None:
    """Pause (or resume) a schedule: a paused one sends nothing."""
    s = _mine(con, scope, schedule_id)
    con.execute("UPDATE schedules SET paused = ? WHERE schedule_id = ?", [paused, schedule_id])
    access.record(con, scope.user, "schedule paused" if paused else "schedule resumed", s.client,
                  schedule=schedule_id)


def delete(con, scope: access.Scope, schedule_id: int) -> None:
    """Delete a schedule; its deliveries stay listed (and in the audit log)."""
    s = _mine(con, scope, schedule_id)
    con.execute("DELETE FROM schedules WHERE schedule_id = ?", [schedule_id])
    access.record(con, scope.user, "schedule deleted", s.client, schedule=schedule_id, what=s.what,
                  recipients=list(s.recipients), when=s.describe())


def deliveries(con, client: str | None = None, schedule_id: int | None = None, limit: int = 200):
    """The sends, newest first: schedule, occurrence (UTC), period, recipient, status, the server's
    answer to a failure, attempts, last tried (UTC)."""
    return con.execute("""
        SELECT schedule_id, client, due_at, period, recipient, status, answer, attempts, updated_at
        FROM deliveries WHERE (?::VARCHAR IS NULL OR client = ?) AND (?::INTEGER IS NULL OR schedule_id = ?)
        ORDER BY due_at DESC, schedule_id, recipient LIMIT ?""",
                       [client, client, schedule_id, schedule_id, int(limit)]).df()


# -- sending -------------------------------------------------------------------------------------

_RUNS = threading.Lock()   # runs of one process take turns (runs of several take turns at the file)


@dataclass
class Send:
    """One message of a run: a schedule's occurrence to one recipient, and how it went."""
    schedule: Schedule
    due_at: dt.datetime
    recipient: str
    period: str = ""
    status: str = "sending"
    answer: str | None = None
    file: Path | None = None

    @property
    def due_on(self) -> dt.date:
        """The occurrence's local date: what makes a send the same one (whatever its hour)."""
        return as_of_for(self.schedule, self.due_at)

    @property
    def key(self) -> tuple:
        return self.schedule.schedule_id, self.due_on, self.recipient


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def retry_at(updated_at: dt.datetime, attempts: int) -> dt.datetime:
    """When a send that failed at `updated_at`, on its `attempts`-th try, may be tried again."""
    return updated_at + min(RETRY_FIRST * 2 ** max(attempts - 1, 0), RETRY_MOST)


def _open(row, now: dt.datetime) -> bool:
    """Whether a recipient's send of an occurrence is still to do: never tried; failed, and its
    pause before the next try (doubling from RETRY_FIRST) is over; or claimed by a run that stopped."""
    if row is None:
        return True
    status, updated_at, attempts = row
    if status == "failed":
        # (a minute early is on time: a timer's runs are about, not exactly, 5 minutes apart)
        return retry_at(updated_at, attempts) - dt.timedelta(minutes=1) <= now
    return status == "sending" and updated_at < now - STALE


def due(con, now: dt.datetime, rpo: tuple[str, ...]) -> tuple[list[Send], list[tuple[Schedule, str]]]:
    """What is due at `now`: the sends to make (each active schedule's latest occurrence, at most
    MAX_LATE ago, to each recipient not yet sent it), and the (schedule, recipient) pairs waiting for an
    admin's approval."""
    todo, waiting = [], []
    tried = {(sid, due_on, r): (status, at, attempts) for sid, due_on, r, status, at, attempts in con.execute(
        "SELECT schedule_id, due_on, recipient, status, updated_at, attempts FROM deliveries").fetchall()}
    for s in schedules(con):
        when = latest_due(s, now) if not s.paused else None
        if when is None or now - when > MAX_LATE:
            continue
        for r in s.recipients:
            if needs_approval(s, r, rpo):
                waiting.append((s, r))
            else:
                x = Send(s, when, r)
                if _open(tried.get(x.key), now):
                    todo.append(x)
    return todo, waiting


def _claim(db, sends: list[Send], now: dt.datetime, rpo, run_id: str) -> list[Send]:
    """Mark the sends as this run's (`sending`) in one transaction, after checking again, on the
    writing connection, which of them are still to do: another run may have taken them meanwhile."""
    with store.connection(db) as con:
        con.begin()
        todo, _ = due(con, now, rpo)
        wanted = {x.key for x in sends}
        mine = [x for x in todo if x.key in wanted]
        for x in mine:
            key = [x.schedule.schedule_id, x.due_on, x.recipient]
            tried = con.execute("SELECT attempts FROM deliveries WHERE schedule_id = ? AND due_on = ? AND recipient = ?",
                                key).fetchall()
            con.execute("DELETE FROM deliveries WHERE schedule_id = ? AND due_on = ? AND recipient = ?", key)
            x.period = x.schedule.filters(x.due_on).period_text()
            con.execute("INSERT INTO deliveries VALUES (?, ?, ?, ?, ?, ?, 'sending', NULL, ?, ?, ?)",
                        [x.schedule.schedule_id, x.schedule.client, x.due_at, x.due_on, x.period, x.recipient,
                         (tried[0][0] if tried else 0) + 1, run_id, now])
        con.commit()
    return mine


def _message_id(x: Send, from_address: str) -> str:
    """The same Message-ID for every try of one send, so that a mail program shows a message that
    reached it twice (a run stopped between sending and recording) once."""
    domain = from_address.rsplit("@", 1)[-1].strip("> ") or "localhost"
    who = hashlib.sha256(x.recipient.encode()).hexdigest()[:16]
    return f"<schedule-{x.schedule.schedule_id}.{x.due_on:%Y%m%d}.{who}@{domain}>"


def _messages(db, sends: list[Send], from_address: str, dashboard_url: str, say):
    """Yield (send, message or None) for each send, building each occurrence's digest (and deck)
    once, through a connection that sees only that schedule's client; a digest that cannot be
    built fails its sends with the reason."""
    from exports import digest
    groups: dict = {}
    for x in sends:
        groups.setdefault((x.schedule.schedule_id, x.due_on), []).append(x)
    for (_, due_on), group in groups.items():
        s = group[0].schedule
        f = s.filters(due_on)
        try:
            one_client = access.Scope(user=s.created_by, roles=((s.client, "viewer"),))
            with store.reading(db, scope=one_client) as con:
                _check_filters(con, s)
                made = digest.render(digest.collect(con, f), dashboard_url=dashboard_url)
                attachments = [digest.deck_attachment(con, f)] if s.what == "deck" else []
        except Exception as exc:   # one schedule's failure must not stop the others' sends
            for x in group:
                x.status, x.answer = "failed", (str(exc) if isinstance(exc, ScheduleError) else
                                                f"the digest could not be made: {type(exc).__name__}: {exc}")
                yield x, None
            continue
        if made.image_problem:
            say(f"warning: schedule {s.schedule_id} ({s.client}): the charts are left out: {made.image_problem}")
        for x in group:
            x.period = made.period
            msg = digest.message(made, x.recipient, from_address, attachments)
            del msg["Message-ID"]
            msg["Message-ID"] = _message_id(x, from_address)
            yield x, msg


def _check_filters(con, s: Schedule) -> None:
    """Raise ScheduleError when the schedule filters on a department, recruiter or hiring manager the
    client's data no longer has (renamed in a newer export): its digest would hold nothing, and its
    links would open the whole client."""
    known = options(con, s.client)
    gone = [f"{col.replace('_', ' ')} {value!r}"
            for key, col in (("departments", "department"), ("recruiters", "recruiter"),
                             ("hiring_managers", "hiring_manager"))
            for value in s.view.get(key, ()) if value not in known[col]]
    if gone:
        raise ScheduleError(f"not sent: the schedule's filters name {', '.join(gone)}, which {s.client}'s data no "
                            "longer has; change the schedule on the Schedules page")


def _send_all(pairs, smtp, journal: Path, now: dt.datetime) -> None:
    """Send each message through one SMTP session (opened again once if the server drops it), and
    append each outcome to the run's `journal` as soon as it is known. A refused address fails
    that send with the server's answer; a server that cannot be reached fails the rest of the run's
    sends with the same answer (without waiting for it again for each)."""
    import smtplib

    from exports import mail
    conn, down = None, None
    try:
        for x, msg in pairs:
            for attempt in (1, 2):
                if msg is None:
                    break
                if down:
                    x.status, x.answer = "failed", down
                    break
                try:
                    if conn is None:
                        try:
                            conn = mail.Connection(smtp).__enter__()
                        except (smtplib.SMTPException, OSError) as exc:
                            down = mail.answer(exc)
                            raise
                    conn.send(msg)
                    x.status, x.answer = "sent", None
                    break
                except smtplib.SMTPServerDisconnected as exc:
                    conn = None
                    if attempt == 2:
                        x.status, x.answer = "failed", mail.answer(exc)
                except (smtplib.SMTPException, OSError) as exc:
                    x.status, x.answer = "failed", mail.answer(exc)
                    if not isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)):
                        conn = None   # the session is gone: the next message opens another
                    break
            _journal(journal, x, now)
    finally:
        if conn is not None:
            conn.__exit__(None, None, None)


# -- the outbox journal: what a run sent, written as it happens ---------------------------------------

def outbox(db) -> Path:
    """The folder beside the database where each run writes what it sent as it goes (one JSON Lines
    file per run), so that a run stopped before recording, or that could not record (the database
    busy), is recorded by the next run instead of being sent again."""
    path = Path(db) if db else store.default_db_path()
    return path.with_name(path.name + ".outbox")


def _journal(journal: Path, x: Send, now: dt.datetime) -> None:
    s = x.schedule
    line = {"schedule_id": s.schedule_id, "client": s.client, "what": s.what, "created_by": s.created_by,
            "due_at": x.due_at.isoformat(), "due_on": x.due_on.isoformat(), "recipient": x.recipient,
            "period": x.period, "status": x.status, "answer": x.answer, "at": now.isoformat()}
    with open(journal, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")
        out.flush()
        os.fsync(out.fileno())


def _settle(db, journals: list[Path]) -> int:
    """Record what the journals say was sent or failed, in `deliveries` and the audit log (under
    whoever made the schedule), in one transaction, then remove them; returns the sends recorded.
    A line whose send is recorded already (its row no longer `sending`) is not recorded again."""
    lines = []
    for journal in journals:
        for text in journal.read_text(encoding="utf-8").splitlines():
            try:
                lines.append(json.loads(text))
            except json.JSONDecodeError:   # the last line of a run killed while writing it
                continue
    done = 0
    with store.connection(db) as con:
        con.begin()
        for x in lines:
            key = [x["schedule_id"], dt.date.fromisoformat(x["due_on"]), x["recipient"]]
            row = con.execute("SELECT status FROM deliveries WHERE schedule_id = ? AND due_on = ? AND recipient = ?",
                              key).fetchall()
            if row and row[0][0] != "sending":
                continue
            at = dt.datetime.fromisoformat(x["at"])
            con.execute("UPDATE deliveries SET status = ?, answer = ?, period = ?, updated_at = ? "
                        "WHERE schedule_id = ? AND due_on = ? AND recipient = ?",
                        [x["status"], x["answer"], x["period"], at, *key])
            access.record(con, x["created_by"], f"{x['what']} {'sent' if x['status'] == 'sent' else 'send failed'}",
                          x["client"], at=at, to=x["recipient"], period=x["period"], schedule=x["schedule_id"],
                          scheduled_by=x["created_by"], due_at=x["due_at"], via="schedules run",
                          **({"answer": x["answer"]} if x["answer"] else {}))
            done += 1
        con.commit()
    for journal in journals:
        journal.unlink(missing_ok=True)
    return done


@dataclass
class RunResult:
    """What one run did."""
    sends: list[Send]
    waiting: list[tuple[Schedule, str]]
    recorded: bool = True    # False: sent, but the database could not take the record (the next run does)

    def count(self, status: str) -> int:
        return sum(x.status == status for x in self.sends)


def run(db=None, *, now: dt.datetime | None = None, secrets: dict | None = None, dry_run: Path | None = None,
        log=None) -> RunResult:
    """Send what is due at `now` (naive UTC; default: now). `secrets`: the `[smtp]` and `[digest]`
    blocks (default: read as Streamlit reads `.streamlit/secrets.toml`). With `dry_run`, the
    messages are written to that folder as .eml files and nothing is sent or marked sent (the files
    are in the audit log, as downloads). Raises
    `mail.MailError` when sending is off (no `[smtp]`) or its settings are wrong."""
    from exports import files, mail
    from exports import digest
    now = now or _utcnow()
    secrets = mail.read_secrets() if secrets is None else secrets
    smtp = mail.smtp_settings(secrets)
    if smtp is None and dry_run is None:
        raise mail.MailError("sending is off: there is no [smtp] block in .streamlit/secrets.toml (see the README, "
                             "\"Scheduled digests and decks\"); --dry-run DIR writes the messages to a folder instead")
    rpo = rpo_domains(secrets)
    dashboard_url = digest.configured_dashboard_url(secrets)
    say = log or (lambda text: None)
    box = outbox(db)
    with _RUNS:
        if dry_run is None and box.is_dir() and (left := sorted(box.glob("*.jsonl"))):
            # An earlier run sent these but never recorded them: record them now, never send them again.
            say(f"recorded {_settle(db, left)} send(s) an earlier run made but had not recorded")
        try:
            with store.reading(db) as con:
                todo, waiting = due(con, now, rpo)
        except duckdb.CatalogException:   # a database no writer has opened since schedules existed: none
            return RunResult([], [])
        for s, r in waiting:
            say(f"schedule {s.schedule_id} ({s.client}): {r} waits for an admin's approval (outside the client's "
                "and the RPO's domains)")
        if not todo:
            return RunResult([], waiting)
        from_address = smtp.from_address if smtp else digest.DEFAULT_FROM
        if dry_run is not None:
            out = Path(dry_run)
            out.mkdir(parents=True, exist_ok=True)
            for x, msg in _messages(db, todo, from_address, dashboard_url, say):
                if msg is not None:
                    x.file = out / (f"schedule-{x.schedule.schedule_id}-{x.due_at:%Y%m%dT%H%M}-"
                                    f"{re.sub(r'[^a-z0-9.@-]+', '-', x.recipient)}.eml")
                    x.file.write_bytes(bytes(msg))
                    x.status = "written"
                say(f"schedule {x.schedule.schedule_id} ({x.schedule.client}) to {x.recipient}: "
                    + (f"written to {x.file}" if x.file else f"failed: {x.answer}"))
            # Nothing is sent or marked sent; the files hold client data, so they are in the audit log.
            with store.connection(db) as con:
                for x in todo:
                    if x.file:
                        access.record(con, access.local_user(), "download", x.schedule.client, what="digest",
                                      via="schedules run --dry-run", file=str(x.file), to=x.recipient,
                                      period=x.period, schedule=x.schedule.schedule_id)
            return RunResult(todo, waiting)
        run_id = uuid.uuid4().hex
        mine = _claim(db, todo, now, rpo, run_id)
        if not mine:
            return RunResult([], waiting)
        box.mkdir(exist_ok=True)
        journal = box / f"{run_id}.jsonl"
        try:
            _send_all(_messages(db, mine, from_address, dashboard_url, say), smtp, journal, now)
        finally:
            files.stop_images()
        for x in mine:
            say(f"schedule {x.schedule.schedule_id} ({x.schedule.client}), {x.period}, to {x.recipient}: {x.status}"
                + (f" ({x.answer})" if x.answer else ""))
        try:
            _settle(db, [journal])
        except store.DatabaseBusy as exc:
            say(f"the sends are made but not yet recorded ({exc}); the next run records them from {journal}")
            return RunResult(mine, waiting, recorded=False)
    return RunResult(mine, waiting)
