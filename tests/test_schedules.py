"""Scheduled delivery (exports/schedules.py): when a schedule is due, who may receive it, and runs
that send through a real SMTP server on localhost (aiosmtpd) exactly once, retrying what failed."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import subprocess
import sys
from pathlib import Path

import pytest

import access
import store
from exports import schedules
from exports.mail import MailError
from conftest import free_port
from metrics import Filters, summary

ROOT = Path(__file__).resolve().parent.parent
CSM = access.Scope(user="carol@rpo.example", roles=(("Acme Corp", "csm"),))
ADMIN = access.Scope(user="root@rpo.example", admin=True)
# Monday 7 December 2026, 08:00 in Chicago (UTC-6) is 14:00 UTC.
MONDAY_8AM_CHICAGO = dt.datetime(2026, 12, 7, 14, 0)


def _secrets(port: int, **digest) -> dict:
    return {"smtp": {"host": "127.0.0.1", "port": port, "security": "none", "from_address": "digest@rpo.example"},
            "digest": {"rpo_domains": ["rpo.example"], "dashboard_url": "https://dash.rpo.example", **digest}}


def _schedule(db, scope=CSM, **kw) -> schedules.Schedule:
    made = dict(client="Acme Corp", what="digest", recipients="ann@acme.example", frequency="weekly", weekday=0,
                hour=8, view={"period": "Last 30 days"}, now=dt.datetime(2026, 12, 1, 12))
    made.update(kw)
    with store.connection(db) as con:
        return schedules.save(con, scope, **made)


def _deliveries(db):
    with store.connection(db, read_only=True) as con:
        return con.execute("SELECT recipient, status, answer, attempts FROM deliveries "
                           "ORDER BY recipient, due_at").fetchall()


def _one(**kw) -> schedules.Schedule:
    base = dict(schedule_id=1, client="Acme Corp", what="digest", view={}, recipients=("a@acme.example",),
                approved=(), frequency="weekly", weekday=0, day=None, hour=8, created_by="carol@rpo.example",
                created_at=dt.datetime(2026, 1, 1), timezone="America/Chicago", domains=("acme.example",))
    base.update(kw)
    return schedules.Schedule(**base)


# -- when a schedule is due ----------------------------------------------------------------------

def test_weekly_schedule_is_due_at_its_local_hour_in_the_clients_time_zone():
    s = _one()
    # 08:00 in Chicago: 14:00 UTC in winter (CST), 13:00 UTC in summer (CDT).
    assert schedules.latest_due(s, dt.datetime(2026, 12, 7, 13, 59)) == dt.datetime(2026, 11, 30, 14, 0)
    assert schedules.latest_due(s, dt.datetime(2026, 12, 7, 14, 0)) == dt.datetime(2026, 12, 7, 14, 0)
    assert schedules.latest_due(s, dt.datetime(2026, 7, 8)) == dt.datetime(2026, 7, 6, 13, 0)
    assert schedules.next_due(s, dt.datetime(2026, 12, 7, 14, 0)) == dt.datetime(2026, 12, 14, 14, 0)


def test_monthly_on_the_31st_sends_on_a_shorter_months_last_day():
    s = _one(frequency="monthly", weekday=None, day=31, timezone="UTC")
    assert schedules.next_due(s, dt.datetime(2026, 2, 1)) == dt.datetime(2026, 2, 28, 8)
    assert schedules.next_due(s, dt.datetime(2026, 2, 28, 9)) == dt.datetime(2026, 3, 31, 8)


def test_quarterly_sends_in_each_quarters_first_month():
    s = _one(frequency="quarterly", weekday=None, day=2, timezone="UTC")
    assert schedules.latest_due(s, dt.datetime(2026, 12, 6)) == dt.datetime(2026, 10, 2, 8)
    assert schedules.next_due(s, dt.datetime(2026, 12, 6)) == dt.datetime(2027, 1, 2, 8)


def test_every_two_weeks_counts_from_the_first_weekday_after_the_schedule_was_made():
    # Made on Tuesday 1 December: Mondays 7 and 21 December, not 14 or 28.
    s = _one(frequency="biweekly", created_at=dt.datetime(2026, 12, 1, 12), timezone="UTC")
    assert schedules.next_due(s, dt.datetime(2026, 12, 1, 12)) == dt.datetime(2026, 12, 7, 8)
    assert schedules.next_due(s, dt.datetime(2026, 12, 7, 9)) == dt.datetime(2026, 12, 21, 8)


def test_a_schedule_made_after_this_weeks_send_waits_for_next_week():
    s = _one(created_at=dt.datetime(2026, 12, 8))
    assert schedules.latest_due(s, dt.datetime(2026, 12, 9)) is None
    assert schedules.latest_due(s, dt.datetime(2026, 12, 14, 15)) == dt.datetime(2026, 12, 14, 14)


def test_a_send_covers_the_schedules_named_period_as_of_its_local_date():
    s = _one(view={"period": "Last quarter", "departments": ["Engineering"]})
    # Monday 7 December 03:00 UTC is still Sunday 6 December in Chicago.
    f = s.filters(schedules.as_of_for(s, dt.datetime(2026, 12, 7, 3)))
    assert (f.as_of, f.date_from, f.date_to, f.departments) == (
        dt.date(2026, 12, 6), dt.date(2026, 7, 1), dt.date(2026, 9, 30), ("Engineering",))


# -- mail settings -------------------------------------------------------------------------------

@pytest.mark.parametrize("block, message", [
    ({"port": 25, "from_address": "d@rpo.example"}, "`host` is missing"),
    ({"host": "h", "security": "ssl", "from_address": "d@rpo.example"}, "`security` is 'ssl'; use one of: starttls"),
    ({"host": "h", "port": "smtp", "from_address": "d@rpo.example"}, "`port` is 'smtp'"),
    ({"host": "h", "from_address": "nobody"}, "`from_address` is 'nobody'"),
    ({"host": "h", "from_address": "d@rpo.example", "user": "u"}, "give both `user` and `password`"),
])
def test_smtp_settings_that_cannot_work_name_the_key_to_fix(block, message):
    from exports.mail import smtp_settings
    with pytest.raises(MailError, match=r"\[smtp\] in .streamlit/secrets.toml: " + message.replace("[", r"\[")):
        smtp_settings({"smtp": block})


def test_smtp_settings_are_read_from_the_project_secrets_file_and_default_the_port(tmp_path, monkeypatch):
    from exports.mail import smtp_settings
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[smtp]\nhost = "smtp.example.com"\nsecurity = "tls"\nfrom_address = "Digest <d@rpo.example>"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    s = smtp_settings()
    assert (s.host, s.port, s.security, s.from_address, s.user) == ("smtp.example.com", 465, "tls",
                                                                    "Digest <d@rpo.example>", None)
    assert smtp_settings({}) is None


# -- making schedules ----------------------------------------------------------------------------

def test_a_schedule_with_a_bad_address_is_refused_and_nothing_is_stored(sample_db_copy):
    with pytest.raises(schedules.ScheduleError, match="'ann@' is not an e-mail address"):
        _schedule(sample_db_copy, recipients="ok@acme.example, ann@")
    with store.connection(sample_db_copy, read_only=True) as con:
        assert schedules.schedules(con) == []


def test_only_a_csm_of_the_client_or_an_admin_may_schedule_for_it(sample_db_copy):
    viewer = access.Scope(user="v@acme.example", roles=(("Acme Corp", "viewer"),))
    for scope in (viewer, access.Scope(user="c@rpo.example", roles=(("Globex UK", "csm"),))):
        with pytest.raises(access.AccessError):
            _schedule(sample_db_copy, scope=scope)
    assert _schedule(sample_db_copy, scope=ADMIN).created_by == "root@rpo.example"


def test_recipients_outside_the_clients_and_the_rpos_domains_wait_for_an_admins_approval(sample_db_copy,
                                                                                          local_smtp):
    inbox, port = local_smtp
    s = _schedule(sample_db_copy, recipients="ann@acme.example, bob@rpo.example, eve@gmail.example")
    result = schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO, secrets=_secrets(port))
    assert inbox.to() == ["ann@acme.example", "bob@rpo.example"]
    assert [(w.schedule_id, r) for w, r in result.waiting] == [(s.schedule_id, "eve@gmail.example")]
    with store.connection(sample_db_copy) as con:
        with pytest.raises(schedules.ScheduleError, match="only an admin"):
            schedules.approve(con, CSM, s.schedule_id, "eve@gmail.example")
        schedules.approve(con, ADMIN, s.schedule_id, "eve@gmail.example")
    schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO + dt.timedelta(minutes=5), secrets=_secrets(port))
    assert inbox.to() == ["ann@acme.example", "bob@rpo.example", "eve@gmail.example"]


@pytest.mark.parametrize("written", [["RPO.example", "@talent.rpo.example"], "rpo.example"])
def test_the_rpos_domains_are_read_from_a_list_or_a_single_domain(written):
    expected = ("rpo.example", "talent.rpo.example") if isinstance(written, list) else ("rpo.example",)
    assert schedules.rpo_domains({"digest": {"rpo_domains": written}}) == expected
    assert schedules.rpo_domains({}) == ()


def test_a_clients_viewer_reads_no_schedules_or_deliveries_and_a_csm_only_their_clients(sample_db_copy,
                                                                                     local_smtp):
    inbox, port = local_smtp
    _schedule(sample_db_copy, scope=ADMIN)
    _schedule(sample_db_copy, scope=ADMIN, client="Globex UK", recipients="gail@globex.example")
    schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO, secrets=_secrets(port))
    for scope, expected in ((access.Scope(user="v@acme.example", roles=(("Acme Corp", "viewer"),)), set()),
                            (CSM, {"Acme Corp"})):
        con = store.connect(sample_db_copy, read_only=True, scope=scope)
        try:
            for table in ("schedules", "deliveries"):
                assert {c for (c,) in con.execute(f"SELECT client FROM {table}").fetchall()} == expected, table
        finally:
            con.close()
    assert len(inbox.messages) == 2


# -- sending -------------------------------------------------------------------------------------

def test_a_schedule_run_twice_sends_once(sample_db_copy, local_smtp):
    inbox, port = local_smtp
    _schedule(sample_db_copy, recipients="ann@acme.example, ben@acme.example")
    first = schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO, secrets=_secrets(port))
    again = schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO + dt.timedelta(minutes=5), secrets=_secrets(port))
    assert (first.count("sent"), again.sends) == (2, [])
    assert inbox.to() == ["ann@acme.example", "ben@acme.example"]
    # A week later the next occurrence goes out, once.
    schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO + dt.timedelta(days=7), secrets=_secrets(port))
    assert len(inbox.messages) == 4


def test_nothing_is_sent_before_the_first_occurrence_or_while_paused(sample_db_copy, local_smtp):
    inbox, port = local_smtp
    s = _schedule(sample_db_copy)
    schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO - dt.timedelta(minutes=1), secrets=_secrets(port))
    with store.connection(sample_db_copy) as con:
        schedules.pause(con, CSM, s.schedule_id)
    schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO, secrets=_secrets(port))
    assert inbox.messages == []


def test_the_scheduled_digest_holds_the_summary_of_its_client_and_period(sample_db_copy, local_smtp):
    inbox, port = local_smtp
    _schedule(sample_db_copy, view={"period": "Last quarter"})
    schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO, secrets=_secrets(port))
    [(_, msg)] = inbox.messages
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    with store.connection(sample_db_copy, read_only=True) as con:
        s = summary(con, Filters("Acme Corp", date_from=dt.date(2026, 7, 1), date_to=dt.date(2026, 9, 30),
                                 as_of=dt.date(2026, 12, 7)))
        others = {r for (r,) in con.execute("SELECT requisition_id FROM requisitions WHERE client <> 'Acme Corp'").fetchall()}
    assert "2026-07-01 to 2026-09-30" in text
    tts = s["time_to_submit"]
    assert f"n = {tts['n']}" in text
    assert f"{tts['median']:.1f}" in text
    assert msg["To"] == "ann@acme.example" and "Acme Corp" in msg["Subject"]
    # One client's data only: no other client's requisition appears.
    assert not [r for r in others if r in html or r in text]
    assert "https://dash.rpo.example/" in html


def test_a_schedule_filtering_on_a_department_the_data_no_longer_has_sends_nothing_and_says_why(sample_db_copy,
                                                                                                local_smtp):
    inbox, port = local_smtp
    _schedule(sample_db_copy, scope=ADMIN, client="Globex UK", recipients="gail@globex.example",
              view={"departments": ["Technology"]}, weekday=0)
    _schedule(sample_db_copy, scope=ADMIN, client="Globex UK", recipients="gus@globex.example",
              view={"departments": ["Sales"]}, weekday=0)
    # Monday 08:00 in London is 08:00 UTC.
    schedules.run(sample_db_copy, now=dt.datetime(2026, 12, 7, 8, 1), secrets=_secrets(port))
    assert inbox.to() == ["gail@globex.example"]
    [(status, answer)] = [(st, a) for r, st, a, _ in _deliveries(sample_db_copy) if r == "gus@globex.example"]
    assert status == "failed" and "department 'Sales', which Globex UK's data no longer has" in answer


def test_a_deck_schedule_attaches_the_review_deck(sample_db_copy, local_smtp):
    from pptx import Presentation
    import io
    inbox, port = local_smtp
    _schedule(sample_db_copy, what="deck")
    schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO, secrets=_secrets(port))
    [(_, msg)] = inbox.messages
    [deck] = [p for p in msg.iter_attachments() if p.get_filename() and p.get_filename().endswith(".pptx")]
    assert deck.get_filename().startswith("acme-corp-review-")
    prs = Presentation(io.BytesIO(deck.get_content()))
    assert len(prs.slides) > 5


def test_a_bad_address_does_not_stop_the_others_and_is_retried_and_shown(sample_db_copy, local_smtp):
    inbox, port = local_smtp
    _schedule(sample_db_copy, recipients="ann@acme.example, bad@acme.example, ben@acme.example")
    result = schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO, secrets=_secrets(port))
    assert inbox.to() == ["ann@acme.example", "ben@acme.example"]
    assert (result.count("sent"), result.count("failed")) == (2, 1)
    assert _deliveries(sample_db_copy) == [
        ("ann@acme.example", "sent", None, 1),
        ("bad@acme.example", "failed", "bad@acme.example: 550 5.1.1 No such user here", 1),
        ("ben@acme.example", "sent", None, 1)]
    # The next run tries the failed address again, and only it.
    schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO + dt.timedelta(minutes=5), secrets=_secrets(port))
    assert len(inbox.messages) == 2
    assert _deliveries(sample_db_copy)[1][1:] == ("failed", "bad@acme.example: 550 5.1.1 No such user here", 2)


def test_a_server_that_cannot_be_reached_fails_the_sends_and_the_next_run_sends_them(sample_db_copy, local_smtp):
    inbox, port = local_smtp
    _schedule(sample_db_copy, recipients="ann@acme.example, ben@acme.example")
    down = schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO, secrets=_secrets(free_port()))
    assert down.count("failed") == 2
    assert {(r, status) for r, status, _, _ in _deliveries(sample_db_copy)} == {
        ("ann@acme.example", "failed"), ("ben@acme.example", "failed")}
    assert all("connection refused" in answer for _, _, answer, _ in _deliveries(sample_db_copy))
    schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO + dt.timedelta(minutes=5), secrets=_secrets(port))
    assert inbox.to() == ["ann@acme.example", "ben@acme.example"]
    assert [(status, attempts) for _, status, _, attempts in _deliveries(sample_db_copy)] == [("sent", 2), ("sent", 2)]


def test_a_failed_send_waits_longer_before_each_new_try(sample_db_copy, local_smtp):
    inbox, port = local_smtp
    _schedule(sample_db_copy, recipients="bad@acme.example")
    # (a run a few seconds under 5 minutes later, as a 5-minute timer's next run may be, counts as 5)
    for minutes, attempts in ((0, 1), (2, 1), (4.9, 2), (12, 2), (15, 3)):
        schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO + dt.timedelta(minutes=minutes), secrets=_secrets(port))
        assert _deliveries(sample_db_copy)[0][3] == attempts, minutes   # 5 min after the 1st, 10 after the 2nd


def test_an_occurrence_more_than_a_day_late_is_not_sent(sample_db_copy, local_smtp):
    inbox, port = local_smtp
    _schedule(sample_db_copy)
    result = schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO + dt.timedelta(hours=25), secrets=_secrets(port))
    assert (result.sends, inbox.messages) == ([], [])
    schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO + dt.timedelta(days=7), secrets=_secrets(port))
    assert inbox.to() == ["ann@acme.example"]


def test_moving_a_schedules_hour_does_not_send_that_day_again(sample_db_copy, local_smtp):
    inbox, port = local_smtp
    s = _schedule(sample_db_copy)
    schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO, secrets=_secrets(port))
    _schedule(sample_db_copy, schedule_id=s.schedule_id, hour=10)
    schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO + dt.timedelta(hours=2, minutes=5), secrets=_secrets(port))
    assert len(inbox.messages) == 1


def test_a_run_stopped_before_recording_is_recorded_by_the_next_and_nothing_is_sent_twice(sample_db_copy,
                                                                                         local_smtp, monkeypatch):
    inbox, port = local_smtp
    _schedule(sample_db_copy, recipients="ann@acme.example, ben@acme.example")

    def busy(db, journals):
        raise store.DatabaseBusy("database busy (a load)")
    with monkeypatch.context() as m:
        m.setattr(schedules, "_settle", busy)
        first = schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO, secrets=_secrets(port))
    assert (first.count("sent"), first.recorded) == (2, False)
    assert {status for _, status, _, _ in _deliveries(sample_db_copy)} == {"sending"}
    # Even once the claims are stale, the next run records the journal instead of sending again.
    schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO + schedules.STALE + dt.timedelta(minutes=1),
                  secrets=_secrets(port))
    assert inbox.to() == ["ann@acme.example", "ben@acme.example"]
    assert [status for _, status, _, _ in _deliveries(sample_db_copy)] == ["sent", "sent"]
    with store.connection(sample_db_copy, read_only=True) as con:
        assert len(access.audit(con, action="digest sent")) == 2
    assert not list(schedules.outbox(sample_db_copy).glob("*.jsonl"))
    # Each message carries one Message-ID for its schedule, day and recipient (a retry keeps it).
    ids = {msg["Message-ID"] for _, msg in inbox.messages}
    assert len(ids) == 2 and all(i.startswith("<schedule-1.20261207.") for i in ids)


def test_schedule_numbers_are_never_given_again_after_a_delete(sample_db_copy):
    first = _schedule(sample_db_copy)
    with store.connection(sample_db_copy) as con:
        schedules.delete(con, CSM, first.schedule_id)
    assert _schedule(sample_db_copy, scope=ADMIN, client="Globex UK").schedule_id == first.schedule_id + 1


def test_every_send_is_in_the_audit_log_with_who_scheduled_it_to_whom_and_the_period(sample_db_copy, local_smtp):
    inbox, port = local_smtp
    _schedule(sample_db_copy, recipients="ann@acme.example, bad@acme.example", view={"period": "Last quarter"})
    schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO, secrets=_secrets(port))
    with store.connection(sample_db_copy, read_only=True) as con:
        log = access.audit(con, client="Acme Corp")
    sends = log[log["action"].str.startswith("digest")]
    assert sorted(sends["action"]) == ["digest send failed", "digest sent"]
    assert set(log["action"]) <= set(access.ACTIONS)   # the Audit log page offers each to filter by
    assert set(sends["user"]) == {"carol@rpo.example"}
    details = sends["detail"].tolist()
    assert all('"period": "2026-07-01 to 2026-09-30"' in d for d in details)
    assert any('"to": "ann@acme.example"' in d for d in details)


def test_a_dry_run_writes_the_messages_and_sends_and_records_nothing(sample_db_copy, tmp_path):
    _schedule(sample_db_copy, recipients="ann@acme.example, ben@acme.example")
    result = schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO, secrets={}, dry_run=tmp_path / "out")
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["schedule-1-20261207T1400-ann@acme.example.eml", "schedule-1-20261207T1400-ben@acme.example.eml"]
    msg = email.message_from_bytes((tmp_path / "out" / files[0]).read_bytes(), policy=email.policy.default)
    assert msg["To"] == "ann@acme.example"
    assert result.count("written") == 2 and _deliveries(sample_db_copy) == []
    with store.connection(sample_db_copy, read_only=True) as con:
        written = access.audit(con, action="download")
    assert sorted(d.count("schedules run --dry-run") for d in written["detail"]) == [1, 1]


def test_without_smtp_a_run_says_sending_is_off(sample_db_copy):
    _schedule(sample_db_copy)
    with pytest.raises(MailError, match=r"sending is off: there is no \[smtp\] block"):
        schedules.run(sample_db_copy, now=MONDAY_8AM_CHICAGO, secrets={})


@pytest.mark.slow
def test_two_runs_at_once_send_each_message_once(sample_db_copy, local_smtp, tmp_path):
    inbox, port = local_smtp
    # A real run's clock: weekly on today (in Chicago) at this hour, made a month ago, so one send is due now.
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    local = dt.datetime.now(schedules.ZoneInfo("America/Chicago"))
    _schedule(sample_db_copy, recipients="ann@acme.example, ben@acme.example, cat@acme.example",
              weekday=local.weekday(), hour=local.hour, now=now - dt.timedelta(days=30))
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nfrom_address = "digest@rpo.example"\n',
        encoding="utf-8")
    cmd = [sys.executable, "-m", "exports", "schedules", "run", "--db", str(sample_db_copy)]
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}
    runs = [subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outs = [r.communicate(timeout=300) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outs
    assert inbox.to() == ["ann@acme.example", "ben@acme.example", "cat@acme.example"]
