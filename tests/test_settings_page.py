"""Editing a client's settings: the Settings page (AppTest) and the loader functions behind it,
including re-deriving local dates when the time zone changes."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

import store
from loaders.sample import build_sample_database
from loaders.settings import (SettingsError, add_stage_words, get_client, parse_settings, read_settings_file,
                              save_client, save_settings, settings_document, settings_toml, stored_settings)
from metrics import Filters, summary

from conftest import CHICAGO_TOML, D

ROOT = Path(__file__).resolve().parent.parent
KEY = "settings:{client}:{name}"


def _same(a, b) -> dict:
    """The settings as a dict without the text they were read from, for comparing two versions."""
    return {k: v for k, v in asdict(a).items() if k != "source_text"} == {
        k: v for k, v in asdict(b).items() if k != "source_text"}


# -- time zone changes, at the loaders level: tiny hand-checkable tables ------------------------

# R1 opened on the bare date 2026-05-01; its submittal is the instant 2026-05-04 03:00 UTC, which is
# the evening of May 3rd in Chicago (UTC-5) and noon of May 4th in Tokyo (UTC+9).
TZ_TABLES = {
    "requisitions": "client,requisition_id,department,opened_at\nAcme,R1,Eng,2026-05-01\n",
    "applications": "client,application_id,requisition_id,applied_at\nAcme,A1,R1,2026-05-02\n",
    "stage_events": "client,application_id,stage,entered_at\nAcme,A1,submitted,2026-05-04T03:00:00Z\n",
}
TOKYO_TOML = 'name = "Acme"\ntimezone = "Asia/Tokyo"\n'


def test_a_bare_date_keeps_its_local_date_when_the_time_zone_changes(make_db):
    con = make_db(CHICAGO_TOML, TZ_TABLES)
    assert con.execute("SELECT opened_at, opened_on FROM requisitions").fetchall() == [
        (dt.datetime(2026, 5, 1, 5, 0), D("2026-05-01"))]  # Chicago midnight (CDT, UTC-5)
    save_settings(con, parse_settings(TOKYO_TOML))
    assert con.execute("SELECT opened_at, opened_on FROM requisitions").fetchall() == [
        (dt.datetime(2026, 4, 30, 15, 0), D("2026-05-01"))]  # Tokyo midnight (UTC+9)
    assert con.execute("SELECT applied_on FROM applications").fetchall() == [(D("2026-05-02"),)]


def test_an_instant_moves_to_its_local_date_in_the_new_time_zone_and_day_counts_follow(make_db, summ):
    con = make_db(CHICAGO_TOML, TZ_TABLES)
    assert con.execute("SELECT entered_on FROM stage_events").fetchall() == [(D("2026-05-03"),)]
    assert summ(con, as_of="2026-06-01")["time_to_submit"]["median"] == 2.0  # May 1 -> May 3
    changes = save_settings(con, parse_settings(TOKYO_TOML))
    assert con.execute("SELECT entered_at, entered_on FROM stage_events").fetchall() == [
        (dt.datetime(2026, 5, 4, 3, 0), D("2026-05-04"))]
    assert summ(con, as_of="2026-06-01")["time_to_submit"]["median"] == 3.0  # May 1 -> May 4
    assert "`timezone`: America/Chicago → Asia/Tokyo" in changes
    assert any(c.startswith("1 stored time(s) now fall on another local date") for c in changes)


def test_an_instant_exactly_at_local_midnight_is_read_as_a_bare_date(make_db):
    # 2026-05-04 05:00 UTC is exactly midnight in Chicago: indistinguishable from the bare date
    # 2026-05-04, so it keeps that local date (the documented ambiguity).
    con = make_db(CHICAGO_TOML, {**TZ_TABLES, "stage_events":
                                 "client,application_id,stage,entered_at\nAcme,A1,submitted,2026-05-04T05:00:00Z\n"})
    save_settings(con, parse_settings(TOKYO_TOML))
    assert con.execute("SELECT entered_at, entered_on FROM stage_events").fetchall() == [
        (dt.datetime(2026, 5, 3, 15, 0), D("2026-05-04"))]


def test_the_command_line_save_re_derives_dates_too(make_db):
    con = make_db(CHICAGO_TOML, TZ_TABLES)
    save_client(con, parse_settings(TOKYO_TOML))
    assert con.execute("SELECT opened_on, (SELECT entered_on FROM stage_events) FROM requisitions").fetchall() == [
        (D("2026-05-01"), D("2026-05-04"))]


def test_date_order_still_cannot_change_once_data_is_loaded_and_nothing_is_saved(make_db):
    con = make_db(CHICAGO_TOML, TZ_TABLES)
    with pytest.raises(SettingsError, match="date_order"):
        save_settings(con, parse_settings(TOKYO_TOML + 'date_order = "DMY"\n'))
    assert get_client(con, "Acme")["timezone"] == "America/Chicago"
    assert con.execute("SELECT entered_on FROM stage_events").fetchall() == [(D("2026-05-03"),)]


# -- validation shared by the page and the command line -----------------------------------------

@pytest.mark.parametrize("extra, field", [
    ("[targets]\nsubmit_to_interview = 45\n", "targets.submit_to_interview"),
    ("[targets]\ntime_to_fill_median = -1\n", "targets.time_to_fill_median"),
    ('[stages]\n"Talent Pool" = "screened"\n"talent  pool" = "applied"\n', "stages.'talent pool'"),
    ('[stages]\n" " = "screened"\n', "stages"),
])
def test_settings_that_cannot_be_meant_are_refused_naming_the_key(extra, field):
    with pytest.raises(SettingsError, match=f"`{field}`"):
        parse_settings(CHICAGO_TOML + extra)


@pytest.mark.parametrize("name", ["acme", "globex", "northwind"])
def test_written_settings_read_back_to_the_same_settings(name):
    s = read_settings_file(ROOT / "sample_data" / "clients" / f"{name}.toml")
    assert _same(parse_settings(settings_toml(settings_document(s))), s)


def test_adding_a_stage_word_updates_the_dictionary_the_stored_file_and_the_events(make_db):
    con = make_db(CHICAGO_TOML, {"stage_events": "client,application_id,stage,entered_at\n"
                                                 "Acme,A1,Talent Pool,2026-05-04T03:00:00Z\n"})
    assert add_stage_words(con, "acme", ["Talent Pool"], "screened") == 1
    assert con.execute("SELECT stage FROM stage_events").fetchall() == [("screened",)]
    text = get_client(con, "Acme")["settings_toml"]
    assert parse_settings(text).stages == {"Talent Pool": "screened"}


def test_a_word_chosen_in_two_spellings_is_added_once_and_maps_both(make_db):
    con = make_db(CHICAGO_TOML, {"stage_events": "client,application_id,stage,entered_at\n"
                                                 "Acme,A1,Panel Review,2026-05-04T03:00:00Z\n"
                                                 "Acme,A2,panel  review,2026-05-05T03:00:00Z\n"})
    assert add_stage_words(con, "acme", ["Panel Review", "panel  review"], "interviewed") == 2
    assert parse_settings(get_client(con, "Acme")["settings_toml"]).stages == {"panel review": "interviewed"}
    # Mapping it again to another stage replaces the entry instead of listing the word twice.
    assert add_stage_words(con, "acme", ["PANEL REVIEW"], "screened") == 2
    assert parse_settings(get_client(con, "Acme")["settings_toml"]).stages == {"PANEL REVIEW": "screened"}


# -- the Settings page ---------------------------------------------------------------------------


@pytest.fixture
def db(sample_db_copy):
    """The sample database copied for this test (it writes), named by RECRUITING_DB."""
    return sample_db_copy


@pytest.fixture
def downloads(monkeypatch):
    """What the page hands to the browser for download buttons: a list of (data, file name)."""
    got = []
    original = MemoryMediaFileStorage.load_and_get_id

    def capture(self, path_or_data, mimetype, kind, filename=None):
        got.append((path_or_data, filename))
        return original(self, path_or_data, mimetype, kind, filename)
    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", capture)
    return got


def _page(client: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "settings.py"), default_timeout=60)
    at.query_params["client"] = client
    at.run()
    assert not at.exception
    return at


def _save(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Save settings").click().run()
    assert not at.exception
    return at


def _stored(db, client):
    with store.connection(db, read_only=True) as con:
        return stored_settings(con, client), get_client(con, client)


def test_settings_page_shows_the_clients_settings(db):
    at = _page("Acme Corp")
    assert at.selectbox(key=KEY.format(client="Acme Corp", name="timezone")).value == "America/Chicago"
    assert at.number_input(key=KEY.format(client="Acme Corp", name="sla.first_submittals")).value == 2
    # Rates are shown as percentages: 0.45 in the file is 45 on screen.
    assert at.number_input(key=KEY.format(client="Acme Corp", name="targets.submit_to_interview")).value == 45.0
    assert "2026-07-03" in at.text_area(key=KEY.format(client="Acme Corp", name="holidays")).value


def test_saving_a_changed_sla_and_target_shows_in_the_settings_and_the_summary(db, tmp_path):
    filters = Filters("Acme Corp", date_from=D("2026-07-01"), date_to=D("2026-09-30"), as_of=D("2026-10-01"))
    at = _page("Acme Corp")
    at.number_input(key=KEY.format(client="Acme Corp", name="sla.within_days")).set_value(8)
    at.number_input(key=KEY.format(client="Acme Corp", name="targets.submit_to_interview")).set_value(55)
    _save(at)
    message = at.success[0].value
    assert "`sla.within_days`: 5 → 8" in message and "`targets.submit_to_interview`: 45% → 55%" in message
    settings, row = _stored(db, "Acme Corp")
    assert (settings.sla_within_days, settings.targets["submit_to_interview"]) == (8, 0.55)
    assert parse_settings(row["settings_toml"]).sla_within_days == 8
    # The page's save gives the same numbers as the command line saving the edited file.
    cli_db = tmp_path / "cli.duckdb"
    build_sample_database(cli_db)
    text = (ROOT / "sample_data" / "clients" / "acme.toml").read_text().replace("within_days = 5", "within_days = 8")
    with store.connection(cli_db) as con:
        save_client(con, parse_settings(text))
        expected = summary(con, filters)
    with store.connection(db, read_only=True) as con:
        assert summary(con, filters) == expected
    # and the page shows the saved values after the save.
    assert at.number_input(key=KEY.format(client="Acme Corp", name="sla.within_days")).value == 8


def test_saving_the_page_keeps_every_setting_it_does_not_show(db):
    # The form shows some settings; the others (branding, e-mail domains, ...) must come back as
    # the file had them: a save that lost `email_domains` would hold every scheduled digest.
    before, _ = _stored(db, "Acme Corp")
    assert before.email_domains == ["acme.example"]
    at = _page("Acme Corp")
    at.number_input(key=KEY.format(client="Acme Corp", name="sla.within_days")).set_value(8)
    _save(at)
    after, _ = _stored(db, "Acme Corp")
    expected = settings_document(before)
    expected["sla"]["within_days"] = 8
    assert settings_document(after) == expected


@pytest.mark.parametrize("widget, name, value, field", [
    ("number_input", "sla.first_submittals", 0, "`sla.first_submittals`"),
    ("text_area", "holidays", "2026-07-03\n2026-13-01", "`holidays`"),
])
def test_invalid_entry_shows_an_error_naming_the_setting_and_saves_nothing(db, widget, name, value, field):
    before = _stored(db, "Acme Corp")
    at = _page("Acme Corp")
    getattr(at, widget)(key=KEY.format(client="Acme Corp", name=name)).set_value(value)
    _save(at)
    assert len(at.error) == 1 and field in at.error[0].value and "Nothing was saved" in at.error[0].value
    assert not at.success
    assert _stored(db, "Acme Corp") == before


@pytest.mark.slow
def test_downloaded_settings_file_round_trips_through_the_command_line(db, tmp_path, downloads):
    # A word mapped on the Data page and an SLA changed here: the file is then the one the page wrote.
    with store.connection(db) as con:
        add_stage_words(con, "Globex UK", ["Talent Pool"], "screened")
    at = _page("Globex UK")
    at.number_input(key=KEY.format(client="Globex UK", name="sla.first_submittals")).set_value(2)
    _save(at)
    data, filename = downloads[-1]
    assert filename == "globex-uk.toml"
    text = data.decode() if isinstance(data, bytes) else data
    saved, _ = _stored(db, "Globex UK")
    assert _same(parse_settings(text), saved)
    assert saved.stages["Talent Pool"] == "screened" and saved.sla_first_submittals == 2
    path = tmp_path / filename
    path.write_text(text)
    run = subprocess.run([sys.executable, "-m", "loaders", "--db", str(db), "client", str(path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "re-mapped" not in run.stdout
    assert _same(_stored(db, "Globex UK")[0], saved)


def test_time_zone_change_on_the_settings_page_re_derives_local_dates(db):
    with store.connection(db, read_only=True) as con:
        opened = con.execute("SELECT requisition_id, opened_at, opened_on FROM requisitions "
                             "WHERE client = 'Globex UK' ORDER BY 1").fetchall()
        events = con.execute("SELECT rowid, entered_at FROM stage_events WHERE client = 'Globex UK' ORDER BY 1"
                             ).fetchall()
    at = _page("Globex UK")
    at.selectbox(key=KEY.format(client="Globex UK", name="timezone")).set_value("America/New_York")
    _save(at)
    assert "`timezone`: Europe/London → America/New_York" in at.success[0].value.replace("\\", "")  # as shown: escapes removed
    new_york = ZoneInfo("America/New_York")
    with store.connection(db, read_only=True) as con:
        # Requisition dates were bare dates (25/03/2026): same local date, midnight in New York.
        assert [(r, on) for r, _, on in opened] == con.execute(
            "SELECT requisition_id, opened_on FROM requisitions WHERE client = 'Globex UK' ORDER BY 1").fetchall()
        assert all(at_.replace(tzinfo=dt.timezone.utc).astimezone(new_york).time() == dt.time(0) for (at_,) in
                   con.execute("SELECT opened_at FROM requisitions WHERE client = 'Globex UK'").fetchall())
        # Stage events were instants: same instant, its New York date.
        after = con.execute("SELECT rowid, entered_at, entered_on FROM stage_events WHERE client = 'Globex UK' "
                            "ORDER BY 1").fetchall()
    assert [(rid, at_) for rid, at_, _ in after] == events
    assert all(on == at_.replace(tzinfo=dt.timezone.utc).astimezone(new_york).date() for _, at_, on in after)
    assert any(on != at_.date() for _, at_, on in after)  # some evening events now fall a day earlier
