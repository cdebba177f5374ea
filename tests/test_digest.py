"""The client digest (exports/digest.py) and `python -m exports digest`: its figures are the
summary's and the review deck's sentences, its lists the report's rows, one client's data only,
links that open the dashboard on the same view, what it says when a chart cannot be given; sent
through a real SMTP server on localhost (aiosmtpd) and read back as a mail program reads it.

Fast tests render without chart images; those with images need Chromium (`requires("chromium")`,
a failure under CI=true) and are `slow`, as are the runs of the command that draw charts."""
from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import html
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

import access
import charts
import store
from conftest import CHICAGO_TOML, D
from exports import __main__ as cli
from exports import deck, digest, files, mail
from metrics import HISTORY_NEEDED, METRICS, NOT_AVAILABLE, Filters, Report, summary

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ("Acme Corp", "Globex UK", "Northwind Health")
AS_OF = dt.date(2026, 11, 20)            # the sample data's last day
FROM = dt.date(2026, 10, 22)             # "Last 30 days" as of AS_OF
URL = "https://metrics.rpo.example"
PNG = b"\x89PNG\r\n\x1a\n"
# The dashboard page each list's "and N more" opens.
PAGE_TITLES = {"upcoming": "Deadline adherence", "awaiting": "Time to submit",
               "awaiting_feedback": "Hiring-manager responsiveness"}


def _filters(client: str, **kw) -> Filters:
    return Filters(client, date_from=FROM, date_to=AS_OF, as_of=AS_OF, **kw)


# -- reading a digest back -------------------------------------------------------------------------

def _plain(fragment: str) -> str:
    """An HTML fragment as the text a reader sees."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def kpi_blocks(page: str) -> dict[str, dict]:
    """Each KPI's block of the HTML: its value and its sentence as shown."""
    out = {}
    for metric, block in re.findall(r'<table[^>]*data-kpi="(\w+)"(.*?)</table>', page, re.S):
        out[metric] = {"value": _plain(re.search(r"data-value>(.*?)</td>", block, re.S).group(1)),
                       "sentence": _plain(re.search(r"data-sentence>(.*?)</td>", block, re.S).group(1))}
    return out


def list_rows(page: str) -> dict[str, list[str]]:
    """Each list's row ids, in the order shown (a list with no rows is absent)."""
    return {key: [html.unescape(r) for r in re.findall(r'data-row="([^"]*)"', table)]
            for key, table in re.findall(r'<table[^>]*data-list="(\w+)"(.*?)</table>', page, re.S)}


def links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', page)]


@pytest.fixture(scope="module")
def digests(sample_db) -> dict:
    """Each sample client's data and digest for the last 30 days, without chart images."""
    out = {}
    with store.connection(sample_db, read_only=True) as con:
        for client in CLIENTS:
            data = digest.collect(con, _filters(client))
            out[client] = (data, digest.render(data, URL, images=False))
    return out


# -- the figures -----------------------------------------------------------------------------------

def test_each_kpi_shows_the_summarys_value_and_n_and_the_decks_sentence(sample_db, digests):
    with store.connection(sample_db, read_only=True) as con:
        for client in CLIENTS:
            s = summary(con, _filters(client))
            rep = Report(con, _filters(client))
            try:
                kpis = {k["metric"]: k for k in rep.kpis()}
            finally:
                rep.close()
            made = digests[client][1]
            shown = kpi_blocks(made.html)
            assert list(shown) == list(METRICS)
            for key, m in METRICS.items():
                value, n = s[key][m.kpi], s[key][m.n_key]
                assert shown[key]["value"] == charts.fmt_value(value, m.unit), (client, key)
                assert f"n = {n} {m.counts}" in shown[key]["sentence"], (client, key)
                # The sentence is the one the review deck's executive summary prints (Report.kpis).
                assert shown[key]["sentence"] == kpis[key]["sentence"]
                assert f"* {m.title}: {charts.fmt_value(value, m.unit)}" in made.text
                assert kpis[key]["sentence"] in made.text
            assert made.period == f"{FROM} to {AS_OF}" and made.period in made.text
            assert made.subject == f"{client}: recruiting digest, {FROM} to {AS_OF}"


def test_lists_are_the_reports_rows_in_its_order_at_most_ten_with_the_rest_on_the_dashboard(sample_db, digests):
    with store.connection(sample_db, read_only=True) as con:
        for client in CLIENTS:
            rep = Report(con, _filters(client))
            try:
                expected = {"upcoming": list(rep.upcoming()["deadline_id"]),
                            "awaiting": list(rep.awaiting()["requisition_id"]),
                            "awaiting_feedback": list(rep.awaiting_feedback()["application_id"])}
            finally:
                rep.close()
            made = digests[client][1]
            rows = list_rows(made.html)
            for key, ids in expected.items():
                assert rows.get(key, []) == ids[:10], (client, key)
                more = f"… and {len(ids) - 10} more on the {PAGE_TITLES[key]} page"
                assert (more in made.html) == (len(ids) > 10), (client, key)
            # The headings count every row, shown or not.
            assert f"Deadlines due in the next 14 days ({len(expected['upcoming'])})" in made.html
            assert f"Requisitions awaiting a first submittal ({len(expected['awaiting'])})" in made.html
            assert (f"Submittals awaiting the hiring manager&#x27;s answer ({len(expected['awaiting_feedback'])})"
                    in made.html)
    # The sample holds lists longer than ten: the rest are "and N more" with a link to their page.
    globex = digests["Globex UK"][1]
    assert "… and 4 more on the Deadline adherence page" in globex.html
    assert "... and 4 more on the Deadline adherence page: " + URL + "/deadlines?" in globex.text


def test_ages_are_in_the_clients_day_count_oldest_first(digests):
    data, made = digests["Acme Corp"]      # Acme counts business days
    ages = list(data["awaiting_feedback"]["age_days"].head(10))
    assert ages == sorted(ages, reverse=True)
    first = data["awaiting_feedback"].iloc[0]
    assert f"waiting {first['age_days']} business days since" in made.text
    assert "age in business days from the submittal" in made.html
    assert "age in calendar days" in digests["Globex UK"][1].html


# -- one client's data only ------------------------------------------------------------------------

def test_a_clients_digest_holds_nothing_of_another_clients_data(sample_db, digests):
    with store.connection(sample_db, read_only=True) as con:
        def values(client: str) -> dict[str, set]:
            got = {"ids": set(), "names": {client}}
            for sql in ("SELECT requisition_id FROM requisitions WHERE client = ?",
                        "SELECT candidate_id FROM applications WHERE client = ? AND candidate_id IS NOT NULL",
                        "SELECT application_id FROM applications WHERE client = ?",
                        "SELECT commitment_id FROM commitments WHERE client = ?"):
                got["ids"] |= {r for (r,) in con.execute(sql, [client]).fetchall()}
            for col in ("title", "department", "recruiter", "hiring_manager"):
                got["names"] |= {r for (r,) in con.execute(
                    f"SELECT DISTINCT {col} FROM requisitions WHERE client = ? AND {col} IS NOT NULL", [client]).fetchall()}
            return got
        every = {c: values(c) for c in CLIENTS}
    for client in CLIENTS:
        made = digests[client][1]
        shown = _plain(made.html) + " " + " ".join(links(made.html)) + " " + made.text
        words = set(re.findall(r"[\w-]+", shown))      # every id the digest could name
        mine = every[client]
        assert mine["ids"] & words and any(n in shown for n in mine["names"] - {client})   # its own, it names
        for other in CLIENTS:
            if other == client:
                continue
            ids = every[other]["ids"] - mine["ids"]
            names = every[other]["names"] - mine["names"]
            assert not ids & words, (client, other)
            assert not [n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", shown)], (client, other)


# -- links -------------------------------------------------------------------------------------------

def test_links_open_the_dashboard_on_the_digests_client_filters_period_and_as_of(sample_db):
    import dashboard
    with store.connection(sample_db, read_only=True) as con:
        f = _filters("globex uk", departments=("Technology",), compare="last_year")
        data = digest.collect(con, f)
        made = digest.render(data, URL + "/", images=False)
        every_time = digest.render(digest.collect(con, Filters("Globex UK", as_of=AS_OF)), URL, images=False)
    hrefs = links(made.html)
    pages = {urlparse(h).path.strip("/") for h in hrefs}
    assert pages == {"", "deadlines", "time_to_submit", "hm_responsiveness", "requisition", "glossary"}
    for page in pages - {""}:      # the Overview is the dashboard's default page, at its root
        assert (ROOT / "pages" / f"{page}.py").is_file()
    for h in hrefs:
        assert h.startswith(URL + "/") and "//" not in h.removeprefix("https://")
        params = parse_qs(urlparse(h).query)
        assert set(params) <= set(dashboard.FILTER_PARAMS) | {"req"}
        assert params["client"] == ["Globex UK"] and params["department"] == ["Technology"]
        assert (params["period"], params["from"], params["to"], params["as_of"]) == (
            ["Custom"], [str(FROM)], [str(AS_OF)], [str(AS_OF)])
        assert params["compare"] == ["last_year"]
    reqs = [parse_qs(urlparse(h).query)["req"][0] for h in hrefs if urlparse(h).path == "/requisition"]
    assert set(reqs) == set(data["overview"]["awaiting"]["requisition_id"].head(10)) \
        | set(data["awaiting_feedback"]["requisition_id"].head(10)) | set(data["upcoming"]["requisition_id"].head(10))
    # The text part carries the same links.
    assert {u for u in re.findall(r"https://\S+", made.text)} == set(hrefs)
    # All time has no dates to write: the dashboard's own "All time", as of the same day.
    params = parse_qs(urlparse(links(every_time.html)[0]).query)
    assert params["period"] == ["All time"] and params["as_of"] == [str(AS_OF)] and "from" not in params


def test_the_dashboard_address_comes_from_the_digest_settings():
    assert digest.configured_dashboard_url({}) == "http://localhost:8501"
    assert digest.configured_dashboard_url({"digest": {"dashboard_url": "https://m.rpo.example/"}}) == "https://m.rpo.example"
    with pytest.raises(mail.MailError, match=r"\[digest\].*dashboard_url.*https://"):
        digest.configured_dashboard_url({"digest": {"dashboard_url": "metrics.rpo.example"}})


# -- golden: a tiny client checked by hand -----------------------------------------------------------

GOLDEN_TOML = CHICAGO_TOML + """[targets]
time_to_submit_median = 4
submit_to_interview = 0.5
deadline_adherence = 0.9
hm_feedback_median = 3
"""
GOLDEN = {
    "requisitions": """
        client,requisition_id,title,department,hiring_manager,recruiter,opened_at
        Acme,R1,Data Engineer,Eng,Hana Ito,Rae Cole,2026-05-01
        Acme,R2,QA Lead,Eng,Hana Ito,Rae Cole,2026-05-20
        Acme,R3,Account Executive,Sales,Omar Diaz,Li Wei,2026-05-25
    """,
    "applications": """
        client,application_id,requisition_id,candidate_id
        Acme,A1,R1,C-1
        Acme,A2,R1,C-2
        Acme,A3,R2,C-3
    """,
    "stage_events": """
        client,application_id,stage,entered_at
        Acme,A1,submitted,2026-05-04T15:00:00Z
        Acme,A1,interviewed,2026-05-06T15:00:00Z
        Acme,A2,submitted,2026-05-05T15:00:00Z
        Acme,A3,submitted,2026-05-27T15:00:00Z
    """,
    "commitments": """
        client,commitment_id,requisition_id,description,due_date,side
        Acme,K1,R3,2 CVs to the hiring manager,2026-06-05,rpo
    """,
}


def test_golden_digest_of_a_tiny_client(make_db):
    # Chicago, calendar days, SLA 1 submittal within 10 days; May 2026 as of 31 May, compared with
    # April (a calendar month with the month before), when nothing had started yet.
    # Time to submit: R1 05-01 -> 05-04 = 3, R2 05-20 -> 05-27 = 7: median 5.0 d, n = 2; target 4:
    #   4 / 5 = 0.8 < 0.9, off target. R3 has no submittal.
    # Conversion: the cohort is A1, A2, A3 (submitted in May); A1 interviewed: 1 / 3 = 33%; target
    #   50%: off target.
    # Deadlines due in May: SLA R1 (due 05-11, submittal 05-04: met), SLA R2 (due 05-30, 05-27:
    #   met): 2 of 2 = 100%, on target (90%). SLA R3 (due 06-04) and commitment K1 (06-05) fall
    #   due after the period.
    # Time to fill: no hire: n/a, n = 0, no target. HM feedback: A1 05-04 -> 05-06 = 2.0 d, n = 1;
    #   A2, A3 have no answer; target 3: on target. 2 of the 4 KPIs with a target are on it.
    # Upcoming (pending, due 05-31 .. 06-14): R3's SLA on 04 Jun (in 4 days), K1 on 05 Jun (in 5).
    # Awaiting a first submittal on 05-31: R3, started 05-25: 6 days.
    # Awaiting the HM's answer, oldest first: A2 (C-2 on R1, since 05-05: 26 days), A3 (C-3 on R2,
    #   since 05-27: 4 days), both Hana Ito's.
    con = make_db(GOLDEN_TOML, GOLDEN)
    made = digest.render(digest.collect(con, Filters("acme", date_from=D("2026-05-01"), date_to=D("2026-05-31"),
                                                     as_of=D("2026-05-31"))), URL, images=False)
    shown = kpi_blocks(made.html)
    assert {k: v["value"] for k, v in shown.items()} == {
        "time_to_submit": "5.0 d", "interview_conversion": "33%", "deadline_adherence": "100%",
        "time_to_fill": "n/a", "hm_feedback_days": "2.0 d"}
    assert shown["time_to_submit"]["sentence"] == (
        "Time to submit was 5.0 d; no previous period to compare with; off target (target ≤ 4.0 d); "
        "n = 2 requisitions.")
    assert shown["interview_conversion"]["sentence"].endswith("off target (target ≥ 50%); n = 3 submitted candidates.")
    assert shown["deadline_adherence"]["sentence"].endswith("on target (target ≥ 90%); n = 2 deadlines due.")
    assert shown["time_to_fill"]["sentence"] == "Time to fill: no data in this period (n = 0)."
    assert shown["hm_feedback_days"]["sentence"].endswith("on target (target ≤ 3.0 d); n = 1 submittals with feedback.")
    assert "2 of 4 KPIs with a target are on target" in made.html
    assert "Compared with Apr 2026 (2026-04-01 to 2026-04-30)" in made.text
    assert made.subject == "Acme: recruiting digest, 2026-05-01 to 2026-05-31"
    assert list_rows(made.html) == {"upcoming": ["R3", "K1"], "awaiting": ["R3"], "awaiting_feedback": ["A2", "A3"]}
    assert "* 04 Jun (in 4 days): 1 submittal within 10 calendar days (SLA deadline); requisition R3 (Sales); " \
           "recruiter Li Wei" in made.text
    assert "* 05 Jun (in 5 days): 2 CVs to the hiring manager (Commitment); requisition R3 (Sales); " \
           "recruiter Li Wei" in made.text
    assert "* R3 Account Executive (Sales; recruiter Li Wei): 6 days since its start on 25 May" in made.text
    assert "* Hana Ito: candidate C-2 on requisition R1 (Eng), waiting 26 days since 05 May" in made.text
    assert "* Hana Ito: candidate C-3 on requisition R2 (Eng), waiting 4 days since 27 May" in made.text


def test_person_provided_text_is_escaped(make_db):
    # R1 awaits a first submittal (its title, department and recruiter shown); R2's submittal awaits
    # its hiring manager's answer (the manager shown); K1 is due soon (its description shown).
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,title,department,hiring_manager,recruiter,opened_at
            Acme,R1,<script>alert(1)</script>,<img src=x onerror=alert(2)>,Ann & <i>Co</i>,"Bo ""B"" <b>",2026-05-25
            Acme,R2,Analyst,<img src=x onerror=alert(2)>,Ann & <i>Co</i>,"Bo ""B"" <b>",2026-05-20
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R2
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-05-27T15:00:00Z
        """,
        "commitments": """
            client,commitment_id,requisition_id,description,due_date,side
            Acme,K1,R1,"<a href=""http://evil.example"">click</a>",2026-06-05,rpo
        """})
    made = digest.render(digest.collect(con, Filters("Acme", date_from=D("2026-05-01"), date_to=D("2026-05-31"),
                                                     as_of=D("2026-05-31"))), URL, images=False)
    assert list_rows(made.html) == {"upcoming": ["R1", "K1"], "awaiting": ["R1"], "awaiting_feedback": ["A1"]}
    for raw in ("<script>", "<img src=x", "<i>Co</i>", "<b>", 'href="http://evil.example"'):
        assert raw not in made.html
    for escaped in ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(2)&gt;",
                    "Ann &amp; &lt;i&gt;Co&lt;/i&gt;", "recruiter Bo &quot;B&quot; &lt;b&gt;",
                    "&lt;a href=&quot;http://evil.example&quot;&gt;click&lt;/a&gt;"):
        assert escaped in made.html
    # The plain-text part holds the words as they are.
    assert "<script>alert(1)</script>" in made.text


def test_a_metric_the_data_cannot_give_is_said_in_place_of_its_chart_and_list(make_db):
    # Requisitions and commitments but no stage event: no submittal, so no time to submit, feedback
    # time or awaiting list; deadline adherence counts the commitments only.
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,R1,Eng,2026-05-01
        """,
        "commitments": """
            client,commitment_id,requisition_id,due_date,delivered_on,side
            Acme,K1,R1,2026-05-10,2026-05-09,rpo
        """})
    made = digest.render(digest.collect(con, Filters("Acme", date_from=D("2026-05-01"), date_to=D("2026-05-31"),
                                                     as_of=D("2026-05-31"))), URL, images=False)
    page = _plain(made.html)
    assert kpi_blocks(made.html)["time_to_submit"]["value"] == "Not available"
    assert f"Time to submit is {NOT_AVAILABLE}. Hiring-manager feedback time is {NOT_AVAILABLE}." in page
    assert f"The list of requisitions awaiting a first submittal is {NOT_AVAILABLE}." in page
    assert HISTORY_NEEDED in page and HISTORY_NEEDED in made.text
    # Deadline adherence is there (commitments only, said so), with its chart's place.
    assert kpi_blocks(made.html)["deadline_adherence"]["value"] == "100%"
    assert "SLA deadlines are not available" in page
    assert page.count("The chart is left out of this e-mail") == 1


def test_without_chromium_the_digest_says_the_charts_are_on_the_dashboard(digests, monkeypatch):
    files.stop_images()
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    made = digest.render(digests["Acme Corp"][0], URL, images=True)
    assert made.images == [] and "cid:" not in made.html
    assert "apt-get install chromium" in made.image_problem
    assert _plain(made.html).count("The chart could not be drawn for this e-mail: the dashboard shows it.") == 2
    # The client reads where the chart is, not how to install a browser.
    assert "apt-get" not in made.html and "apt-get" not in made.text
    assert "We submit in 4.0 d; hiring managers answer in 3.0 d" in made.text


def test_html_with_images_holds_each_image_as_a_data_uri():
    made = digest.Digest(subject="s", html='<img src="cid:we.1@digest"><img src="cid:adherence.2@digest">', text="t",
                         images=[("we.1@digest", PNG + b"1", "a"), ("adherence.2@digest", PNG + b"2", "b")])
    page = digest.html_with_images(made)
    uris = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert [base64.b64decode(u) for u in uris] == [PNG + b"1", PNG + b"2"] and "cid:" not in page


# -- the message, through a real SMTP server ---------------------------------------------------------

@pytest.fixture
def smtp_server(local_smtp):
    inbox, port = local_smtp
    return inbox, mail.Smtp(host="127.0.0.1", port=port, security="none", from_address="digest@rpo.example")


def _send(smtp: mail.Smtp, msg) -> None:
    with mail.Connection(smtp) as c:
        c.send(msg)


def _check_received(msg, client: str) -> tuple[str, str]:
    """The received message's structure: text, then the HTML with every image it refers to inline
    (Content-ID), each a PNG of the digest's width. Returns (html, text)."""
    alternative = msg if msg.get_content_type() == "multipart/alternative" else next(msg.iter_parts())
    assert alternative.get_content_type() == "multipart/alternative"
    plain, related = list(alternative.iter_parts())
    assert plain.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
    page, *images = list(related.iter_parts())
    assert page.get_content_type() == "text/html"
    body = page.get_content()
    cids = re.findall(r'src="cid:([^"]+)"', body)
    assert len(cids) == 2 and sorted(cids) == sorted(p["Content-ID"].strip("<>") for p in images)
    for part in images:
        data = part.get_content()
        assert part.get_content_type() == "image/png" and data.startswith(PNG)
        assert int.from_bytes(data[16:20], "big") == 2 * digest.IMAGE_WIDTH
        assert part.get_content_disposition() == "inline"
    assert all(alt for alt in re.findall(r'<img [^>]*alt="([^"]*)"', body))
    assert client in msg["Subject"]
    return body, plain.get_content()


@pytest.mark.requires("chromium")
@pytest.mark.slow
def test_a_sent_digest_arrives_with_its_text_its_html_and_its_charts_inline(sample_db, smtp_server):
    inbox, smtp = smtp_server
    with store.connection(sample_db, read_only=True) as con:
        msg = digest.build(con, _filters("Globex UK"), to="Exec <exec@globex.example>",
                           from_address=smtp.from_address, dashboard_url=URL)
        s = summary(con, _filters("Globex UK"))
    _send(smtp, msg)
    [(rcpts, got)] = inbox.messages
    assert rcpts == ["exec@globex.example"] and got["From"] == "digest@rpo.example"
    body, text = _check_received(got, "Globex UK")
    assert kpi_blocks(body)["time_to_submit"]["value"] == charts.fmt_value(s["time_to_submit"]["median"], "days")
    assert f"n = {s['deadline_adherence']['due']} deadlines due" in text
    assert URL + "/deadlines?client=Globex+UK" in body


@pytest.mark.deck
def test_the_review_deck_rides_along_when_asked(sample_db, smtp_server):
    from pptx import Presentation
    inbox, smtp = smtp_server
    with store.connection(sample_db, read_only=True) as con:
        data = digest.collect(con, _filters("Acme Corp"))
        attachment = digest.deck_attachment(con, data["filters"])
    _send(smtp, digest.message(digest.render(data, URL, images=False), "exec@acme.example", smtp.from_address,
                               [attachment]))
    [(_, got)] = inbox.messages
    assert got.get_content_type() == "multipart/mixed"
    [pptx] = list(got.iter_attachments())
    assert pptx.get_filename() == deck.file_name(data["filters"]) == "acme-corp-review-2026-10-22-to-2026-11-20.pptx"
    assert pptx.get_content_type() == deck.PPTX_MIME
    prs = Presentation(io.BytesIO(pptx.get_content()))
    assert prs.slides[0].shapes.title.text == "Acme Corp: recruiting review"
    assert "Acme Corp" in got.get_body(("plain",)).get_content()


# -- the command line ----------------------------------------------------------------------------------

@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A working folder of the command's own, whose `.streamlit/secrets.toml` is the only one read."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    work = tmp_path / "work"
    (work / ".streamlit").mkdir(parents=True)
    monkeypatch.chdir(work)
    return work


def _secrets(folder: Path, smtp: mail.Smtp | None = None, **digest_settings) -> None:
    text = ""
    if smtp:
        text += (f'[smtp]\nhost = "{smtp.host}"\nport = {smtp.port}\nsecurity = "{smtp.security}"\n'
                 f'from_address = "{smtp.from_address}"\n')
    if digest_settings:
        text += "[digest]\n" + "".join(f'{k} = "{v}"\n' for k, v in digest_settings.items())
    (folder / ".streamlit" / "secrets.toml").write_text(text, encoding="utf-8")


def _run(db, *args) -> int:
    return cli.main(["digest", "--db", str(db), "--as-of", str(AS_OF), *args])


def _log(db, action: str) -> list[dict]:
    with store.connection(db, read_only=True) as con:
        rows = access.audit(con, action=action)
    return [{"user": u, "client": c, **json.loads(d)} for u, c, d in zip(rows["user"], rows["client"], rows["detail"])]


@pytest.mark.requires("chromium")
@pytest.mark.slow
def test_the_command_writes_an_html_file_a_browser_opens_with_its_charts(sample_db_copy, folder, capsys):
    out = folder / "acme.html"
    assert _run(sample_db_copy, "--client", " acme corp", "--to", "exec@acme.example", "-o", str(out)) == 0
    assert capsys.readouterr().out.strip() == f"{out}: digest for Acme Corp, {FROM} to {AS_OF}"
    page = out.read_text(encoding="utf-8")
    images = [base64.b64decode(u) for u in re.findall(r'src="data:image/png;base64,([^"]+)"', page)]
    assert len(images) == 2 and all(i.startswith(PNG) for i in images) and "cid:" not in page
    assert "http://localhost:8501/?client=Acme+Corp&period=Custom" in links(page)[0]
    [entry] = _log(sample_db_copy, "download")
    assert (entry["user"], entry["client"], entry["what"], entry["file"]) == (
        access.local_user(), "Acme Corp", "digest", str(out))
    assert entry["to"] == "exec@acme.example" and entry["period"] == f"{FROM} to {AS_OF}"


@pytest.mark.requires("chromium")
@pytest.mark.slow
def test_the_command_writes_the_whole_email_with_the_settings_dashboard_address(sample_db_copy, folder):
    _secrets(folder, dashboard_url="https://metrics.rpo.example")
    out = folder / "globex.eml"
    assert _run(sample_db_copy, "--client", "Globex UK", "--to", "exec@globex.example", "--period", "Last 90 days",
                "--department", "technology", "-o", str(out)) == 0
    msg = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    body, text = _check_received(msg, "Globex UK")
    assert msg["To"] == "exec@globex.example" and msg["From"] == digest.DEFAULT_FROM
    start = AS_OF - dt.timedelta(days=89)
    assert (f"https://metrics.rpo.example/?client=Globex+UK&department=Technology&period=Custom&from={start}"
            f"&to={AS_OF}&as_of={AS_OF}") in text
    assert "Department: Technology" in body
    [entry] = _log(sample_db_copy, "download")
    assert entry["file"] == str(out) and "department: Technology" in entry["filters"]


@pytest.mark.requires("chromium")
@pytest.mark.deck
@pytest.mark.slow
def test_the_command_sends_through_smtp_with_the_deck_and_records_the_send(sample_db_copy, folder, smtp_server, capsys):
    inbox, smtp = smtp_server
    _secrets(folder, smtp)
    assert _run(sample_db_copy, "--client", "Northwind Health", "--to", "exec@northwind.example", "--send",
                "--with-deck") == 0
    assert "sent to exec@northwind.example through 127.0.0.1" in capsys.readouterr().out
    [(rcpts, msg)] = inbox.messages
    assert rcpts == ["exec@northwind.example"] and msg["From"] == "digest@rpo.example"
    _check_received(msg, "Northwind Health")
    [pptx] = list(msg.iter_attachments())
    assert pptx.get_filename().startswith("northwind-health-review-") and pptx.get_content().startswith(b"PK")
    [entry] = _log(sample_db_copy, "digest sent")
    assert (entry["client"], entry["to"], entry["period"], entry["deck"]) == (
        "Northwind Health", "exec@northwind.example", f"{FROM} to {AS_OF}", True)
    assert entry["filters"] == f"Northwind Health; period {FROM} to {AS_OF}"


@pytest.mark.slow
def test_a_refused_send_says_the_servers_answer_and_records_nothing(sample_db_copy, folder, smtp_server, capsys):
    inbox, smtp = smtp_server
    _secrets(folder, smtp)
    assert _run(sample_db_copy, "--client", "Acme Corp", "--to", "bad@acme.example", "--send") == 1
    assert "550 5.1.1 No such user here" in capsys.readouterr().err
    assert inbox.messages == [] and _log(sample_db_copy, "digest sent") == []


def test_one_refused_address_of_several_is_named_and_the_others_are_sent_and_recorded(sample_db_copy, folder,
                                                                                    smtp_server, capsys):
    inbox, smtp = smtp_server
    _secrets(folder, smtp)
    assert _run(sample_db_copy, "--client", "Acme Corp", "--to", "ann@acme.example, bad@acme.example", "--send") == 1
    out = capsys.readouterr()
    assert "not sent to bad@acme.example" in out.err and "550 5.1.1 No such user here" in out.err
    assert "sent to ann@acme.example" in out.out
    assert [r for r, _ in inbox.messages] == [["ann@acme.example"]]
    assert len(_log(sample_db_copy, "digest sent")) == 1


def test_sending_is_off_without_an_smtp_block(sample_db, folder, capsys):
    _secrets(folder, dashboard_url="https://metrics.rpo.example")
    assert _run(sample_db, "--client", "Acme Corp", "--to", "exec@acme.example", "--send") == 1
    err = capsys.readouterr().err
    assert "sending is off" in err and "[smtp]" in err and "-o FILE.eml" in err


def test_a_file_that_is_neither_eml_nor_html_is_refused(sample_db, folder, capsys):
    assert _run(sample_db, "--client", "Acme Corp", "--to", "exec@acme.example", "-o", "digest.pdf") == 2
    assert "must end in .eml" in capsys.readouterr().err and not (folder / "digest.pdf").exists()


def test_an_unknown_client_is_named_with_the_known_ones(sample_db, folder, capsys):
    assert _run(sample_db, "--client", "Nobody", "--to", "exec@acme.example", "-o", "x.eml") == 1
    assert capsys.readouterr().err.strip() == (
        "error: unknown client 'Nobody'; known clients: Acme Corp, Globex UK, Northwind Health")


def test_an_unknown_department_or_address_is_an_error_not_an_empty_digest(sample_db, folder, capsys):
    assert _run(sample_db, "--client", "Globex UK", "--to", "exec@globex.example", "--department", "Sales",
                "-o", "x.eml") == 1
    assert "no such department; known: Finance, Marketing, Operations, Technology" in capsys.readouterr().err
    assert _run(sample_db, "--client", "Globex UK", "--to", "exec at globex", "-o", "x.eml") == 2
    assert "is not an e-mail address" in capsys.readouterr().err
    with pytest.raises(SystemExit):     # at most one of --send and -o
        _run(sample_db, "--client", "Globex UK", "--to", "exec@globex.example", "--send", "-o", "x.eml")
    assert not (folder / "x.eml").exists()


def test_without_send_or_a_file_the_digest_is_shown_on_the_terminal(sample_db_copy, folder, capsys):
    assert _run(sample_db_copy, "--client", "Globex UK", "--to", "exec@globex.example", "--as-of", "2026-11-20",
                "--period", "Last quarter") == 0
    out = capsys.readouterr().out
    assert "Globex UK" in out and "2026-07-01 to 2026-09-30" in out and "Time to submit" in out
    assert not list(folder.glob("*.eml"))


def test_the_readme_documents_every_option_of_the_command_and_its_settings(capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Weekly digest"):readme.index("\n## ", readme.index("## Weekly digest") + 3)]
    with pytest.raises(SystemExit):
        cli.main(["digest", "--help"])
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", capsys.readouterr().out)) - {"--help"}
    assert {"--client", "--to", "--send", "--period", "--with-deck", "--dashboard-url"} <= options
    assert [o for o in sorted(options) if o not in section] == []
    for words in ("-o acme.html", "-o acme.eml", "[smtp]", "[digest]", "dashboard_url", "from_address"):
        assert words in section, words


@pytest.mark.slow
def test_python_m_exports_digest_runs_as_a_command(sample_db_copy, tmp_path):
    out = tmp_path / "digest.eml"
    done = subprocess.run([sys.executable, "-m", "exports", "digest", "--db", str(sample_db_copy), "--client", "Globex UK",
                           "--to", "exec@globex.example", "--as-of", str(AS_OF), "-o", str(out)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{out}: digest for Globex UK, {FROM} to {AS_OF}"
    msg = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    assert msg["Subject"] == f"Globex UK: recruiting digest, {FROM} to {AS_OF}"
