"""Stored facts (`metrics.engine.refresh_facts`): the dates on which each application's stage events
say it was submitted, interviewed, ... are worked out once per load and kept in `application_facts`.
A report, for any as-of date, reads them only while they match the data; every number is then the
one the events give (`Report(..., live=True)` works from the events)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import store
from conftest import CHICAGO_TOML, D
from loaders.ingest import ingest
from loaders.settings import parse_settings, save_client
from metrics.engine import Filters, Report, latest_data
from test_snapshot_outcomes import TOML as HARVEST_TOML, _feed_folder


def _app_table(rep: Report) -> pd.DataFrame:
    return rep.con.execute(f"SELECT * FROM {rep.t('app')} ORDER BY application_id").df()


def _same_as_live(con, filters: Filters) -> bool:
    """Builds the report from stored facts and from the events; asserts they agree in every fact and
    in the summary; returns whether the stored facts were read."""
    stored, live = Report(con, filters), Report(con, filters, live=True)
    try:
        pd.testing.assert_frame_equal(_app_table(stored), _app_table(live))
        assert stored.summary() == live.summary()
        return stored._stored_facts()
    finally:
        stored.close()
        live.close()


def test_every_sample_report_gives_the_numbers_of_the_events_when_read_from_stored_facts(sample_db):
    with store.connection(sample_db, read_only=True) as con:
        for client in ("Acme Corp", "Globex UK", "Northwind Health"):
            as_of = latest_data(con, client)
            dept = con.execute("SELECT min(department) FROM requisitions WHERE client = ?", [client]).fetchone()[0]
            rec = con.execute("SELECT max(recruiter) FROM requisitions WHERE client = ?", [client]).fetchone()[0]
            for f in (Filters(client, as_of=as_of),
                      Filters(client, as_of=as_of, date_from=as_of - dt.timedelta(days=89), date_to=as_of),
                      Filters(client, as_of=as_of, departments=(dept,)),
                      Filters(client, as_of=as_of, recruiters=(rec,), date_from=as_of - dt.timedelta(days=364))):
                assert _same_as_live(con, f), f"{f.describe()}: the stored facts were not read"


def test_a_snapshot_client_gives_the_numbers_of_the_events_when_read_from_stored_facts(make_db):
    con = make_db(HARVEST_TOML)
    ingest(con, [_feed_folder(make_db)], client="Acme")
    assert _same_as_live(con, Filters("Acme", as_of=D("2026-06-30")))
    assert _same_as_live(con, Filters("Acme", as_of=D("2026-06-30"), requisition="1"))


EVENTS = {
    "requisitions": """
        client,requisition_id,department,opened_at
        Acme,R1,Eng,2026-03-02
    """,
    "applications": """
        client,application_id,requisition_id
        Acme,A1,R1
        Acme,A2,R1
    """,
    "stage_events": """
        client,application_id,stage,entered_at
        Acme,A1,applied,2026-03-03T15:00:00Z
        Acme,A1,Client Review,2026-03-05T15:00:00Z
        Acme,A2,applied,2026-03-04T15:00:00Z
        Acme,A2,submitted,2026-03-20T15:00:00Z
    """}


def test_an_as_of_date_before_the_last_event_counts_only_the_events_until_then(make_db, summ):
    # The stored facts (end of the data) have A2 submitted on 03-20; as of 03-10 it is not yet.
    con = make_db(CHICAGO_TOML, EVENTS, check=False)
    assert summ(con, as_of="2026-03-31")["interview_conversion"]["submitted"] == 1
    assert summ(con, as_of="2026-03-10")["interview_conversion"]["submitted"] == 0
    assert summ(con, as_of="2026-03-10")["time_to_submit"]["awaiting_first_submittal"] == 1


def test_a_new_word_in_the_dictionary_is_in_the_next_report(make_db, summ):
    # "Client Review" is unmapped at first; mapped to submitted, A1 is submitted on 03-05 (3 days).
    con = make_db(CHICAGO_TOML, EVENTS, check=False)
    assert summ(con, as_of="2026-03-31")["time_to_submit"]["median"] == 18
    save_client(con, parse_settings(CHICAGO_TOML + '[stages]\n"Client Review" = "submitted"\n'))
    s = summ(con, as_of="2026-03-31")
    assert (s["interview_conversion"]["submitted"], s["time_to_submit"]["median"]) == (2, 3)
    assert _same_as_live(con, Filters("Acme", as_of=D("2026-03-31")))


def test_a_new_time_zone_moves_the_stored_facts_local_dates(make_db, summ):
    # A2's submittal at 2026-03-20T03:00Z is 03-19 in Chicago and 03-20 in UTC (from an 03-02 start).
    con = make_db(CHICAGO_TOML, {**EVENTS, "stage_events": EVENTS["stage_events"].replace(
        "2026-03-20T15:00:00Z", "2026-03-20T03:00:00Z")}, check=False)
    assert summ(con, as_of="2026-03-31")["time_to_submit"]["median"] == 17
    save_client(con, parse_settings('name = "Acme"\ntimezone = "UTC"\n'))
    assert summ(con, as_of="2026-03-31")["time_to_submit"]["median"] == 18
    assert _same_as_live(con, Filters("Acme", as_of=D("2026-03-31")))


def test_events_written_without_refreshing_the_stored_facts_still_count(make_db, summ):
    con = make_db(CHICAGO_TOML, EVENTS, check=False)
    con.execute("INSERT INTO stage_events (client, application_id, raw_stage, stage, entered_at, entered_on) "
                "VALUES ('Acme', 'A1', 'Offer', 'offered', TIMESTAMP '2026-03-07 15:00:00', DATE '2026-03-07')")
    assert summ(con, as_of="2026-03-31")["interview_conversion"]["offered"] == 1
    assert not _same_as_live(con, Filters("Acme", as_of=D("2026-03-31")))


@pytest.mark.parametrize("as_of", ["2026-03-04", "2026-03-05", "2026-03-10", "2026-03-20", "2026-03-31"])
def test_stored_facts_give_the_numbers_of_the_events_for_any_as_of_date(make_db, as_of):
    con = make_db(CHICAGO_TOML + '[stages]\n"Client Review" = "submitted"\n', {**EVENTS, "stage_events": EVENTS[
        "stage_events"] + "Acme,A1,offered,2026-03-10T15:00:00Z\nAcme,A1,hired,2026-03-20T15:00:00Z\n"})
    assert _same_as_live(con, Filters("Acme", as_of=D(as_of)))


def test_a_requisition_moved_to_another_department_by_a_newer_export_is_counted_there(make_db, summ):
    con = make_db(CHICAGO_TOML, EVENTS, check=False)
    assert summ(con, as_of="2026-03-31", departments="Eng")["interview_conversion"]["submitted"] == 1
    make_db.load(con, {"requisitions": EVENTS["requisitions"].replace("R1,Eng", "R1,Sales")})
    assert summ(con, as_of="2026-03-31", departments="Eng")["interview_conversion"]["submitted"] == 0
    assert summ(con, as_of="2026-03-31", departments="Sales")["interview_conversion"]["submitted"] == 1
    assert _same_as_live(con, Filters("Acme", as_of=D("2026-03-31"), departments=("Sales",)))
