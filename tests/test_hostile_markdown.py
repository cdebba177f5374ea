"""Text from files and links is shown as text on every page: a client, department, recruiter,
hiring manager, requisition title or stage word that is written as Markdown or HTML (a link, a
remote image, a coloured banner) draws no link, image or banner; nor does a value in the URL."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import DB

ROOT = Path(__file__).resolve().parent.parent
LINK = "[Session expired](https://evil.example/login)"
IMAGE = "![x](https://evil.example/pixel.png)"
HTML = '<a href="https://evil.example">HR</a>'
BANNER = ":red-background[**Your session expired**]"
CLIENT = "Acme " + LINK
# Markdown that would draw something: a link or image not preceded by a backslash, an HTML tag,
# a Streamlit colour directive.
LIVE = re.compile(r"(?<!\\)\]\((?!\s)|(?<!\\)<a\b|(?<!\\)<img\b|(?<!\\):red-background\[")


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    db = DB(tmp_path_factory.mktemp("markdown"))
    c = _q(CLIENT)
    toml = ('name = "' + CLIENT.replace('"', '\\"') + '"\ntimezone = "UTC"\n[stages]\n'
            '"' + IMAGE.replace('"', '\\"') + '" = "interviewed"\n')
    con = db(toml, {
        "requisitions": f"""
            client,requisition_id,title,department,hiring_manager,recruiter,opened_at
            {c},R1,{_q(LINK)},{_q(HTML)},{_q(BANNER)},{_q(IMAGE)},2026-05-01
        """,
        "applications": f"""
            client,application_id,requisition_id,source
            {c},A1,R1,{_q(LINK)}
        """,
        "stage_events": f"""
            client,application_id,stage,entered_at
            {c},A1,submitted,2026-05-03T15:00:00Z
            {c},A1,{_q(IMAGE)},2026-05-05T15:00:00Z
            {c},A1,{_q(LINK)},2026-05-06T15:00:00Z
        """,
    })
    path = Path(con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
                .fetchone()[0])
    con.close()
    yield path
    db.close()


def _markdown_shown(at: AppTest) -> list[str]:
    """Every piece of text the app sent to be rendered as Markdown (titles, text, captions, alerts,
    metric labels and help)."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info", "success"):
        out += [e.value for e in getattr(at, kind)]
    out += [m.label for m in at.metric] + [m.proto.help for m in at.metric]
    return out


PAGES = ("overview", "time_to_submit", "conversion", "deadlines", "hm_responsiveness", "requisition", "portfolio",
         "data", "glossary", "settings", "schedules")


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_names_written_as_markdown_or_html_show_as_text_on_every_page(hostile_db, monkeypatch, page):
    monkeypatch.setenv("RECRUITING_DB", str(hostile_db))
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=90)
    at.query_params.update({"client": CLIENT, "period": "All time", "as_of": "2026-06-01", "req": "R1"})
    at.run()
    assert not at.exception, at.exception
    shown = _markdown_shown(at)
    assert any("evil" in text for text in shown) or page == "portfolio", "the names should be on the page"
    live = [text for text in shown if LIVE.search(text)]
    assert not live, live


@pytest.mark.slow
@pytest.mark.parametrize("param", ["req", "client", "as_of", "period"])
def test_a_value_in_the_link_draws_no_banner_or_link(sample_db, monkeypatch, param):
    monkeypatch.setenv("RECRUITING_DB", str(sample_db))
    at = AppTest.from_file(str(ROOT / "pages" / "requisition.py"), default_timeout=90)
    at.query_params.update({"client": "Acme Corp", "as_of": "2026-11-20", param: LINK + " " + BANNER})
    at.run()
    assert not at.exception, at.exception
    said = [text for text in _markdown_shown(at) if "evil" in text]
    assert said, "the page should say what was wrong with the link"
    assert not [text for text in said if LIVE.search(text)], said


@pytest.mark.slow
@pytest.mark.parametrize("params, said", [
    ({"as_of": "2026-13-45"}, "as-of date `2026-13-45` is not a date (YYYY-MM-DD)"),
    ({"as_of": "0001-01-01"}, "as-of date `0001-01-01` is not a date between 1990 and 2100"),
    ({"period": "Custom", "from": "2026-02-30"}, "period start `2026-02-30` is not a date (YYYY-MM-DD)"),
    ({"period": "Last fortnight"}, "period `Last fortnight` is not one of"),
])
def test_a_link_with_an_impossible_date_or_period_says_what_was_wrong_and_shows_the_default(
        sample_db, monkeypatch, params, said):
    monkeypatch.setenv("RECRUITING_DB", str(sample_db))
    at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=90)
    at.query_params.update({"client": "Acme Corp", **params})
    at.run()
    assert not at.exception, at.exception
    warnings = " ".join(w.value for w in at.warning).replace("\\", "")
    assert said in warnings
    assert len(at.metric) == 5   # the page is drawn, with the defaults in place of what was wrong
