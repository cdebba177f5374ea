"""The Data page (AppTest): files and "data as of", duplicates, and mapping an unmapped stage word
into the client's dictionary from the page."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import store
from loaders.settings import get_client, parse_settings
from metrics import Filters, quality, summary

from conftest import CHICAGO_TOML, D

ROOT = Path(__file__).resolve().parent.parent
WORDS, STAGE = "settings:Globex UK:map_words.words", "settings:Globex UK:map_words.stage"
# Globex UK's one unmapped event: application GXA-00416 entered 'Talent Pool' on 2025-09-06, the day
# after its CV was sent, then withdrew. Mapped to `interviewed`, it counts in September 2025's cohort.
SEPTEMBER = Filters("Globex UK", date_from=D("2025-09-01"), date_to=D("2025-09-30"), as_of=D("2025-12-31"))



@pytest.fixture
def db(sample_db_copy):
    """The sample database copied for this test (it writes), named by RECRUITING_DB."""
    return sample_db_copy


def _page(client: str = "Globex UK") -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=60)
    at.query_params["client"] = client
    at.run()
    assert not at.exception
    return at


def _cohort_counts(con, filters: Filters, talent_pool_stage: str | None) -> tuple[int, int]:
    """(submitted, interviewed) of the conversion cohort, computed here from the raw events with
    'Talent Pool' read as `talent_pool_stage`: independent of the metrics code."""
    return con.execute("""
        WITH ev AS (
            SELECT e.application_id, e.entered_at, e.entered_on,
                   CASE WHEN e.raw_stage = 'Talent Pool' THEN ? ELSE e.stage END AS stage
            FROM stage_events e JOIN applications a ON a.client = e.client AND a.application_id = e.application_id
            WHERE e.client = ? AND e.entered_on <= ?
        ), app AS (
            SELECT application_id,
                   arg_min(entered_on, entered_at) FILTER (WHERE stage IN ('submitted', 'interviewed', 'offered', 'hired'))
                       AS submitted_on,
                   bool_or(stage IN ('interviewed', 'offered', 'hired')) AS interviewed
            FROM ev GROUP BY application_id
        )
        SELECT count(*), count(*) FILTER (WHERE interviewed) FROM app WHERE submitted_on BETWEEN ? AND ?""",
        [talent_pool_stage, filters.client, filters.as_of, filters.date_from, filters.date_to]).fetchall()[0]


def test_mapping_an_unmapped_word_moves_its_events_and_the_conversion_numbers(db):
    with store.connection(db, read_only=True) as con:
        before = summary(con, SEPTEMBER)["interview_conversion"]
        assert (before["submitted"], before["interviewed"]) == _cohort_counts(con, SEPTEMBER, None)
        expected = _cohort_counts(con, SEPTEMBER, "interviewed")
    assert expected[1] == before["interviewed"] + 1  # GXA-00416, which never reached an interview otherwise

    at = _page()
    at.multiselect(key=WORDS).set_value(["Talent Pool"])
    at.selectbox(key=STAGE).set_value("interviewed")
    next(b for b in at.button if b.label == "Add to dictionary").click().run()
    assert not at.exception
    assert "1 stored event(s) moved from unmapped to interviewed" in at.success[0].value
    headings = [s.value for s in at.subheader]
    assert "Unmapped stage words (0)" in headings

    with store.connection(db, read_only=True) as con:
        after = summary(con, SEPTEMBER)["interview_conversion"]
        assert con.execute("SELECT DISTINCT stage FROM stage_events WHERE client = 'Globex UK' "
                           "AND raw_stage = 'Talent Pool'").fetchall() == [("interviewed",)]
        stored = get_client(con, "Globex UK")["settings_toml"]
    assert (after["submitted"], after["interviewed"]) == expected
    assert after["submit_to_interview"] == expected[1] / expected[0] != before["submit_to_interview"]
    # The word is in the client's stored settings file too, so a downloaded file keeps it.
    assert parse_settings(stored).stages["Talent Pool"] == "interviewed"


def test_mapping_needs_a_word_and_a_stage_and_otherwise_saves_nothing(db):
    at = _page()
    at.multiselect(key=WORDS).set_value(["Talent Pool"])
    next(b for b in at.button if b.label == "Add to dictionary").click().run()
    assert not at.exception
    assert "Choose the word(s) and the canonical stage" in at.error[0].value
    assert "Unmapped stage words (1)" in [s.value for s in at.subheader]


def test_data_page_lists_the_duplicates_rejected_within_a_file(db):
    at = _page()
    assert "Duplicates (2)" in [s.value for s in at.subheader]
    table = next(d.value for d in at.dataframe if "duplicate" in d.value.columns)
    assert sorted(zip(table["table"], table["row"])) == [("Requisitions", 167), ("Stage events", 4300)]
    assert all("duplicate" in reason for reason in table["duplicate"])


def test_duplicates_include_a_candidate_applying_twice_to_one_requisition(make_db):
    con = make_db(CHICAGO_TOML, {
        "applications": "client,application_id,requisition_id,candidate_id\n"
                        "Acme,A1,R1,C1\nAcme,A2,R1,C1\nAcme,A3,R2,C1\nAcme,A4,R1,C2\n"})
    assert quality.duplicates(con, "Acme")["duplicate"].tolist() == [
        "candidate C1 has 2 applications on requisition R1: A1, A2"]


def test_out_of_order_lists_each_later_stage_entered_before_an_earlier_one(make_db):
    # A1 was interviewed (03-04) before it was submitted (03-05) and screened (03-06): two pairs.
    # A2 went back to 'screened' after its submittal: a re-entry, in order by its first entries.
    # A3's rejection (no rank) and A4's single stage are never out of order; A5 has nothing in order.
    con = make_db(CHICAGO_TOML, {
        "applications": "client,application_id,requisition_id\nAcme,A1,R1\nAcme,A2,R1\nAcme,A3,R1\nAcme,A4,R1\nAcme,A5,R1\n",
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,applied,2026-03-02T15:00:00Z
            Acme,A1,interviewed,2026-03-04T15:00:00Z
            Acme,A1,submitted,2026-03-05T15:00:00Z
            Acme,A1,screened,2026-03-06T15:00:00Z
            Acme,A2,screened,2026-03-02T15:00:00Z
            Acme,A2,submitted,2026-03-03T15:00:00Z
            Acme,A2,screened,2026-03-04T15:00:00Z
            Acme,A3,rejected,2026-03-01T15:00:00Z
            Acme,A3,applied,2026-03-02T15:00:00Z
            Acme,A4,hired,2026-03-02T15:00:00Z
            Acme,A5,offered,2026-03-02T15:00:00Z
            Acme,A5,interviewed,2026-03-03T15:00:00Z
        """})
    listed = quality.out_of_order_events(con, "Acme")
    assert sorted(zip(listed["application_id"], listed["later_stage_word"], listed["earlier_stage_word"])) == [
        ("A1", "interviewed", "screened"), ("A1", "interviewed", "submitted"), ("A1", "submitted", "screened"),
        ("A5", "offered", "interviewed")]


def test_data_page_shows_data_as_of_and_every_file_with_its_sha256(db):
    at = _page()
    assert any("Data as of" in c.value and "last loaded" in c.value for c in at.caption)
    files = next(d.value for d in at.dataframe if "sha256" in d.value.columns)
    assert {"file", "rows_read", "rows_loaded", "rows_rejected", "loaded_at"} <= set(files.columns)
    sample = ROOT / "sample_data" / "globex"
    assert dict(zip(files["file"], files["sha256"])) == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sample.glob("*.csv")}


# Stored names a person should never read on the Data page: its tables' own column names, and
# stored words with people's words of their own.
RAW_KEYS = ("rows_read", "rows_loaded", "rows_rejected", "dropped_personal_columns", "loaded_at", "sha256",
            "stage_word", "later_stage_word", "commitment_id", "source_row", "extra")


def shown_labels(at: AppTest) -> list[str]:
    """The column headers the page's tables show (their labels, else their names)."""
    import json
    labels = []
    for d in at.dataframe:
        config = json.loads(d.proto.columns or "{}")
        for name in d.value.columns:
            label = (config.get(name) or config.get(f"_pos:{list(d.value.columns).index(name)}") or {}).get("label")
            labels.append(label or str(name))
    return labels


def page_text(at: AppTest) -> str:
    """Everything the page writes in words: headings, captions, text, messages and table headers."""
    parts = [e.value for kind in ("title", "subheader", "caption", "markdown", "text", "success", "info", "warning",
                                  "error") for e in getattr(at, kind)]
    return "\n".join(map(str, parts + shown_labels(at)))


def test_data_page_shows_people_s_words_and_blanks_as_blanks(db):
    at = _page()
    text = page_text(at)
    assert not [key for key in RAW_KEYS if key in text], text
    assert {"Rows read", "Personal data dropped", "SHA-256", "Table", "Commitment"} <= set(shown_labels(at))
    for d in at.dataframe:
        assert not d.value.isna().any().any(), d.value      # drawn as "None" by Streamlit
        for value in ("sla", "rpo", "commitment", "stage_events", "None", "nan", "NaT"):
            assert value not in set(d.value.astype(str).stack()), (value, d.value)
    files = next(d.value for d in at.dataframe if "sha256" in d.value.columns)
    assert set(files["sheet"]) == {""}     # CSV files have no sheet
    # Northwind's applications.csv had a candidate_name column: named as a person reads it.
    northwind = _page("Northwind Health")
    files = next(d.value for d in northwind.dataframe if "sha256" in d.value.columns)
    assert "Candidate name" in set(files["dropped_personal_columns"])
    rejected = next(d.value for d in at.dataframe if "raw" in d.value.columns and "reason" in d.value.columns)
    assert all(not v.startswith("{") for v in rejected["raw"]), rejected["raw"]
