"""The Schedules page (AppTest, signed in as `st.user` with a role): a csm schedules their client's
digest through the form, an address that is not one is refused, an address outside the domains waits
for an admin's Approve, pause and delete work, the deliveries show the server's answer, sending off
(no `[smtp]`) says so, and neither another client's schedules nor the page reach those not entitled."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import access
import store
from exports import schedules

from test_access import AUTH, _everything_shown
from test_hostile_markdown import BANNER, HTML, LINK, LIVE, _markdown_shown

ROOT = Path(__file__).resolve().parent.parent
USERS = {"csm@rpo.example": ("csm", ["Acme Corp"]), "boss@rpo.example": ("admin", []),
         "viewer@acme.example": ("viewer", ["Acme Corp"])}
DIGEST = {"rpo_domains": ["rpo.example"]}
SMTP = {"host": "smtp.rpo.example", "port": 587, "from_address": "Recruiting dashboard <digest@rpo.example>"}


@pytest.fixture
def db(sample_db_copy):
    with store.connection(sample_db_copy) as con:
        for who, (role, clients) in USERS.items():
            access.grant(con, who, role, clients, by="test")
    return sample_db_copy


def _page(who: str, client: str = "Acme Corp", **secrets) -> AppTest:
    """The Schedules page for `client`, signed in as `who` (sign-in configured), with `secrets`
    beside `[auth]` (default: the RPO's domains, no `[smtp]`)."""
    at = AppTest.from_file(str(ROOT / "pages" / "schedules.py"), default_timeout=90)
    at.secrets["auth"] = AUTH
    for name, block in ({"digest": DIGEST} | secrets).items():
        at.secrets[name] = block
    at.user = {"is_logged_in": True, "email": who, "name": "Test"}
    at.query_params["client"] = client
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _key(client: str, name: str) -> str:
    return f"schedules:{client}:{name}"


def _form(at: AppTest, name: str, client: str = "Acme Corp"):
    """The form's widget `name` (its keys change with each saved schedule: a new, empty form)."""
    key = re.compile(re.escape(_key(client, "form")) + r"\d+:" + re.escape(name))
    return next(w for kind in ("radio", "selectbox", "number_input", "text_area", "button") for w in getattr(at, kind)
                if key.fullmatch(w.key or ""))


def _fill(at: AppTest, recipients: str, client: str = "Acme Corp", **choices) -> AppTest:
    """Fill the form (`what`, `frequency`, `weekday`, `day`, `hour`, `period`) and press Save."""
    for name, value in choices.items():
        _form(at, name, client).set_value(value)
        at.run()
    _form(at, "recipients", client).input(recipients)
    _form(at, "save", client).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _stored(db, client: str | None = None) -> list[schedules.Schedule]:
    with store.connection(db, read_only=True) as con:
        return schedules.schedules(con, client)


def _cards(at: AppTest) -> str:
    """The schedules as listed (their Markdown)."""
    return " ".join(m.value for m in at.markdown).replace("\\", "")


def _said(elements) -> str:
    """What some alerts say, as a reader reads it (Markdown's escapes dropped)."""
    return " ".join(e.value for e in elements).replace("\\", "")


def _make(db, who: str = "csm@rpo.example", client: str = "Acme Corp", recipients=("jane@acme.example",),
          days_ago: int = 0, **kwargs) -> schedules.Schedule:
    """A schedule stored as `who` (made `days_ago`), as the page stores one."""
    with store.connection(db) as con:
        scope = access.scope_for(con, who)
        made = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(days=days_ago)
        return schedules.save(con, scope, client=client, what="digest", recipients=list(recipients),
                              **{"frequency": "weekly", "weekday": 0, **kwargs}, now=made)


def test_a_csm_schedules_a_weekly_digest_for_their_client_and_it_is_stored(db):
    at = _page("csm@rpo.example")
    assert not _stored(db)
    _fill(at, "Jane@Acme.example\nhr-lead@rpo.example, ", what="deck", frequency="weekly", weekday=2, hour=7,
          period="Last quarter")
    [s] = _stored(db)
    assert (s.client, s.what, s.frequency, s.weekday, s.hour, s.created_by) == (
        "Acme Corp", "deck", "weekly", 2, 7, "csm@rpo.example")
    assert s.recipients == ("jane@acme.example", "hr-lead@rpo.example") and s.view["period"] == "Last quarter"
    said = _said(at.success)
    assert "Schedule 1 saved" in said and "Weekly on Wednesday at 07:00 (America/Chicago)" in said
    assert "Schedule 1 saved" in _said(at.toast)   # seen where the Save button is, too
    # The page now lists it, with its next send in the client's time zone and who made it.
    card = _cards(at)
    assert "Weekly on Wednesday at 07:00 (America/Chicago)" in card
    assert "Next send: Wed " in card and "07:00 (America/Chicago)" in card and "csm@rpo.example" in card
    assert "waits for an admin's approval" not in card   # both at the client's and the RPO's domains
    assert not _form(at, "recipients").value   # the form starts afresh


def test_a_monthly_schedule_asks_for_the_day_of_the_month_instead_of_a_weekday(db):
    at = _page("csm@rpo.example")
    _fill(at, "jane@acme.example", frequency="monthly", day=31)
    [s] = _stored(db)
    assert (s.frequency, s.day, s.weekday) == ("monthly", 31, None)
    assert s.describe() == "Monthly on day 31 at 08:00 (America/Chicago)"


def test_an_address_that_is_not_one_is_refused_with_the_reason_and_nothing_is_stored(db):
    at = _fill(_page("csm@rpo.example"), "jane@acme.example\njohn.acme.example")
    assert "'john.acme.example' is not an e-mail address" in _said(at.error)
    assert "Nothing was changed" in _said(at.error)
    assert not at.success and not _stored(db)
    at = _fill(at, "  ")
    assert "add at least one recipient" in _said(at.error) and not _stored(db)


def test_a_recipient_outside_the_domains_waits_until_an_admin_approves_it(db):
    at = _fill(_page("csm@rpo.example"), "jane@acme.example\nconsultant@gmail.example")
    assert "consultant@gmail.example is outside Acme Corp's domains (acme.example) and the RPO's (rpo.example)" \
        in _said(at.success) and "waits for an admin's approval" in _said(at.success)
    [s] = _stored(db)
    assert s.approved == ()
    # The csm sees it waiting, and no Approve button.
    assert "consultant@gmail.example :orange[(waits for an admin's approval)]" in _cards(at)
    assert not [b for b in at.button if b.label == "Approve"]
    assert "waits for an admin's approval: it is outside" in _said(at.caption)

    at = _page("boss@rpo.example")
    [approve] = [b for b in at.button if b.label == "Approve"]
    approve.click().run()
    assert not at.exception
    assert "consultant@gmail.example approved" in _said(at.success)
    assert _stored(db)[0].approved == ("consultant@gmail.example",)
    assert not [b for b in at.button if b.label == "Approve"]
    with store.connection(db, read_only=True) as con:
        log = access.audit(con, action="recipient approved")
    assert list(log["user"]) == ["boss@rpo.example"] and list(log["client"]) == ["Acme Corp"]
    assert json.loads(log["detail"][0])["recipient"] == "consultant@gmail.example"


def test_an_admins_own_recipient_outside_the_domains_is_approved_by_saving(db):
    at = _fill(_page("boss@rpo.example"), "consultant@gmail.example")
    assert "approved by your saving, as you are an admin" in _said(at.success)
    assert _stored(db)[0].approved == ("consultant@gmail.example",)


def test_a_csm_of_one_client_never_sees_another_clients_schedules(db):
    _make(db, "boss@rpo.example", client="Globex UK", recipients=("secret-globex@globex.example",))
    mine = _make(db, client="Acme Corp")
    at = _page("csm@rpo.example")
    shown = _everything_shown(at)
    assert "secret-globex" not in shown and "Globex" not in shown
    assert f"schedule {mine.schedule_id}" in shown and at.subheader[0].value == "Schedules of Acme Corp (1)"
    # Named in the link: the same message as a client that does not exist.
    at = _page("csm@rpo.example", client="Globex UK")
    assert "There is no client named" in _said(at.error) and "secret-globex" not in _everything_shown(at)


def test_a_viewer_has_no_schedules_page_in_the_navigation_and_by_url_is_told_so(db, monkeypatch):
    listed = {}
    navigation = st.navigation

    def spy(pages, **kwargs):
        listed.update({p.title: p.visibility for section in pages.values() for p in section})
        return navigation(pages, **kwargs)
    monkeypatch.setattr(st, "navigation", spy)
    monkeypatch.setenv("RECRUITING_DB", str(db))
    for who, visibility in (("viewer@acme.example", "hidden"), ("csm@rpo.example", "visible")):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "email": who, "name": "Test"}
        at.run()
        assert listed["Schedules"] == visibility, who
        at.switch_page("pages/schedules.py").run()
        assert not at.exception
        if visibility == "hidden":
            assert "The Schedules page is not available to you: it needs the csm role" in _said(at.warning)
            assert not at.text_area
        else:
            assert at.title[0].value == "Schedules" and at.text_area


@pytest.mark.parametrize("smtp, said", [
    (None, "Sending is off: no mail server is configured. Schedules can be made, nothing is sent until `[smtp]` is "
           "configured in `.streamlit/secrets.toml` (README, \"Scheduled digests and decks\")."),
    ({"port": 587, "from_address": "digest@rpo.example"}, "Sending is off: [smtp] in .streamlit/secrets.toml: "
                                                          "`host` is missing"),
    (SMTP, "Sending is on: from Recruiting dashboard <digest@rpo.example> through smtp.rpo.example, port 587 "
           "(starttls)."),
])
def test_the_page_says_whether_sending_is_on_and_from_where(db, smtp, said):
    at = _page("csm@rpo.example", **({"smtp": smtp} if smtp else {}))
    alerts = _said([*at.info, *at.error, *at.success])
    assert said.replace("**", "") in alerts.replace("**", "")
    assert "python -m exports schedules run" in _said(at.caption)


def test_a_failed_delivery_shows_the_servers_answer_and_when_it_is_tried_again(db):
    # Weekly on today (in Chicago) at this hour: an occurrence within the last hour, failed twice.
    local = dt.datetime.now(ZoneInfo("America/Chicago"))
    s = _make(db, days_ago=20, weekday=local.weekday(), hour=local.hour)
    due = schedules.latest_due(s, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
    answer = "550 5.1.1 <jane@acme.example>: Recipient address rejected: User unknown"
    with store.connection(db) as con:
        con.execute("INSERT INTO deliveries VALUES (?, 'Acme Corp', ?, ?, 'Last 30 days', 'jane@acme.example', "
                    "'failed', ?, 2, 'run-1', ?)", [s.schedule_id, due, local.date(), answer, due])
    at = _page("csm@rpo.example")
    table = at.dataframe[0].value
    assert list(table["Status"]) == ["✗ failed"] and list(table["Server's answer"]) == [answer]
    assert list(table["Attempts"]) == [2]
    warning = _said(at.warning)
    # the second failure waits 10 minutes before the next try, shown on the client's clock
    again = (due + dt.timedelta(minutes=10)).replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo("America/Chicago"))
    assert answer in warning and f"Will be tried again from {again:%a %d %b %H:%M}" in warning


def test_pause_resume_and_delete_after_confirming(db):
    s = _make(db)
    at = _page("csm@rpo.example")
    at.button(key=_key("Acme Corp", f"{s.schedule_id}:pause")).click().run()
    assert _stored(db)[0].paused and "paused" in _said(at.success)
    assert "Next send: none while it is paused" in _cards(at)
    at.button(key=_key("Acme Corp", f"{s.schedule_id}:pause")).click().run()
    assert not _stored(db)[0].paused and "resumed" in _said(at.success)

    at.button(key=_key("Acme Corp", f"{s.schedule_id}:delete")).click().run()
    assert "Delete schedule 1?" in _said(at.warning) and _stored(db)   # asked first, nothing deleted yet
    at.button(key=_key("Acme Corp", f"{s.schedule_id}:no")).click().run()
    assert _stored(db) and not at.warning
    at.button(key=_key("Acme Corp", f"{s.schedule_id}:delete")).click().run()
    at.button(key=_key("Acme Corp", f"{s.schedule_id}:yes")).click().run()
    assert not at.exception and not _stored(db)
    assert "Schedule 1 deleted" in _said(at.success) and at.subheader[0].value == "Schedules of Acme Corp (0)"
    with store.connection(db, read_only=True) as con:
        actions = list(access.audit(con, client="Acme Corp")["action"])
    assert actions[:3] == ["schedule deleted", "schedule resumed", "schedule paused"]


def test_names_addresses_and_answers_show_as_text(db):
    """A department from a file, a user's name from the identity provider and a server's answer
    written as Markdown or HTML draw no link, image or banner."""
    with store.connection(db) as con:
        scope = access.Scope(user=BANNER + "@rpo.example", admin=True)
        s = schedules.save(con, scope, client="Acme Corp", what="digest", recipients=["jane@acme.example"],
                           frequency="weekly", weekday=0, view={"departments": [LINK, HTML], "recruiters": [BANNER]})
        con.execute("INSERT INTO deliveries VALUES (?, 'Acme Corp', ?, ?, ?, 'jane@acme.example', 'failed', ?, 1, 'r', ?)",
                    [s.schedule_id, s.created_at, s.created_at.date(), LINK, f"550 {HTML} {LINK}", s.created_at])
    at = _page("csm@rpo.example")
    shown = _markdown_shown(at)
    assert any("evil" in text for text in shown)
    assert not [text for text in shown if LIVE.search(text)]


@pytest.mark.browser
def test_in_a_browser_a_saved_schedule_is_listed_and_the_form_comes_back_empty(sample_db_copy, browser, tmp_path):
    # The browser keeps what a text area showed unless the form is a new one: AppTest cannot see it.
    from browser_support import Server, settled
    label = "Recipients: one e-mail address per line, or separated by commas"
    with Server(sample_db_copy, tmp_path) as server:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        try:
            page.goto(f"{server.url}/?client=Globex+UK")
            page.wait_for_selector("h1", timeout=60000)
            settled(page)
            page.locator('[data-testid="stSidebarNav"] a', has_text="Schedules").click()
            page.get_by_label(label).wait_for(timeout=60000)
            settled(page)
            page.get_by_label(label).fill("talent@globex.example")
            page.get_by_label(label).blur()
            settled(page)
            page.get_by_role("button", name="Save schedule").click()
            page.get_by_text("Schedule 1 saved").first.wait_for(timeout=60000)
            settled(page)
            assert page.get_by_label(label).input_value() == ""
            assert page.locator("h3", has_text="Schedules of Globex UK (1)").count() == 1
            assert page.get_by_text("Traceback").count() == 0
        finally:
            page.close()
        server.warn_deprecations()
    assert [s.recipients for s in _stored(sample_db_copy)] == [("talent@globex.example",)]
