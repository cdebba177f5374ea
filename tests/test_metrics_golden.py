"""Golden metric values on tiny hand-checkable tables, loaded through the real path
(template CSV files -> `ingest` -> DuckDB -> `summary` / `Report`).

Every expected number was worked out by hand from docs/domain.md (and the RULES list of
metrics/definitions.py where domain.md is silent); the reasoning is the comment in each test.
Unless a test says otherwise the client is in America/Chicago (UTC-5 in summer), counts calendar
days and has the default SLA (1 submittal within 10 days). Stage events at 15:00Z fall on the same
local date as their UTC date (10:00 in Chicago).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from conftest import CHICAGO_TOML, D
from metrics.engine import Filters, Report

BUSINESS_TOML = """
name = "Acme"
timezone = "America/Chicago"
day_count = "business"
holidays = ["2026-07-03"]
[sla]
first_submittals = 1
within_days = 5
"""

K2_TOML = CHICAGO_TOML + "[sla]\nfirst_submittals = 2\nwithin_days = 10\n"


def report(con, **kw) -> Report:
    for key in ("date_from", "date_to", "as_of"):
        if isinstance(kw.get(key), str):
            kw[key] = D(kw[key])
    for key in ("departments", "recruiters"):
        if isinstance(kw.get(key), str):
            kw[key] = (kw[key],)
    return Report(con, Filters(client="Acme", **kw))


def as_date(value) -> dt.date | None:
    """A DATE from a DataFrame cell (DuckDB hands them to pandas as timestamps)."""
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def by_id(df: pd.DataFrame, id_col: str) -> dict:
    return {row[id_col]: row for row in df.to_dict("records")}


# ---------------------------------------------------------------------------------------------
# Reaching stages


def test_skipped_stage_counts_as_passed(make_db, summ):
    # A1 goes applied -> interviewed without ever entering 'submitted': reaching 'interviewed'
    # means it passed 'submitted' too, at the interview time (2026-03-05). A3 jumps straight to
    # 'hired' (2026-03-09) and so reached submitted, interviewed, offered and hired. A2 only applied.
    # Conversion: submitted 2 (A1, A3), interviewed 2, offered 1, hired 1.
    # Time to submit: R1 2026-03-02 -> 03-05 = 3, R2 2026-03-02 -> 03-09 = 7: n 2, median 5.
    # Time to fill: R2 03-02 -> 03-09 = 7.
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,R1,Eng,2026-03-02
            Acme,R2,Eng,2026-03-02
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
            Acme,A2,R1
            Acme,A3,R2
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,applied,2026-03-03T15:00:00Z
            Acme,A1,interviewed,2026-03-05T15:00:00Z
            Acme,A2,applied,2026-03-03T15:00:00Z
            Acme,A3,hired,2026-03-09T15:00:00Z
        """})
    s = summ(con, as_of="2026-04-01")
    conv = s["interview_conversion"]
    assert (conv["submitted"], conv["interviewed"], conv["offered"], conv["hired"]) == (2, 2, 1, 1)
    assert conv["submit_to_interview"] == 1.0
    assert conv["interview_to_offer"] == 0.5
    assert conv["offer_to_hire"] == 1.0
    assert s["time_to_submit"]["n"] == 2
    assert s["time_to_submit"]["median"] == 5.0
    assert s["time_to_fill"]["n"] == 1
    assert s["time_to_fill"]["median"] == 7.0


def test_reentered_stage_counts_once(make_db, summ):
    # A1 on R1 (opened 03-02): submitted 03-03, interviewed 03-04, back to submitted 03-06,
    # interviewed again 03-09. It is one submitted and one interviewed application, submitted at
    # its FIRST entry (03-03): time to submit 1 day; HM feedback = next mapped event after 03-03
    # (the 03-04 interview) = 1 day. SLA is K=2 within 10 days: R1 has only one submitted
    # application (the re-entry is not a second submittal), due 03-12 < as-of -> missed.
    con = make_db(K2_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,R1,Eng,2026-03-02
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-03-03T15:00:00Z
            Acme,A1,interviewed,2026-03-04T15:00:00Z
            Acme,A1,submitted,2026-03-06T15:00:00Z
            Acme,A1,interviewed,2026-03-09T15:00:00Z
        """})
    s = summ(con, as_of="2026-04-01")
    conv = s["interview_conversion"]
    assert (conv["submitted"], conv["interviewed"]) == (1, 1)
    assert conv["submit_to_interview"] == 1.0
    assert s["time_to_submit"]["median"] == 1.0
    assert s["hm_feedback_days"]["n"] == 1
    assert s["hm_feedback_days"]["median"] == 1.0
    dl = s["deadline_adherence"]
    assert (dl["due"], dl["met"], dl["missed"]) == (1, 0, 1)


def test_rejected_withdrawn_and_unmapped_never_reach_a_stage(make_db, summ):
    # Client words: "Client Rejected" -> rejected, "Declined by candidate" -> withdrawn;
    # "Phone Chat" is not in the dictionary (unmapped). A1 rejected, A2 withdrew, A3 has only an
    # unmapped event, A4 only the canonical word 'rejected'. None of them reached 'submitted'.
    # A5 (the control) was submitted 03-10. So the cohort is A5 alone: submitted 1, and R1's
    # time to submit is 03-02 -> 03-10 = 8 (not 2, which a rejected/unmapped event would give).
    # The unmapped event is still stored (with no canonical stage): nothing is dropped.
    toml = CHICAGO_TOML + ('[stages]\n"Client Rejected" = "rejected"\n'
                           '"Declined by candidate" = "withdrawn"\n')
    con = make_db(toml, {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,R1,Eng,2026-03-02
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
            Acme,A2,R1
            Acme,A3,R1
            Acme,A4,R1
            Acme,A5,R1
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,applied,2026-03-03T15:00:00Z
            Acme,A1,Client Rejected,2026-03-04T15:00:00Z
            Acme,A2,applied,2026-03-03T15:00:00Z
            Acme,A2,Declined by candidate,2026-03-04T15:00:00Z
            Acme,A3,Phone Chat,2026-03-04T15:00:00Z
            Acme,A4,rejected,2026-03-04T15:00:00Z
            Acme,A5,submitted,2026-03-10T15:00:00Z
        """})
    s = summ(con, as_of="2026-04-01")
    assert s["interview_conversion"]["submitted"] == 1
    assert s["time_to_submit"]["n"] == 1
    assert s["time_to_submit"]["median"] == 8.0
    stored = dict(con.execute("SELECT raw_stage, stage FROM stage_events WHERE application_id = 'A3'").fetchall())
    assert stored == {"Phone Chat": None}
    assert con.execute("SELECT count(*) FROM stage_events").fetchone()[0] == 7


# ---------------------------------------------------------------------------------------------
# Time zones and local dates


def test_0300z_event_is_previous_local_day_in_chicago(make_db, summ):
    # 2026-06-11T03:00Z is 2026-06-10 22:00 CDT (UTC-5): local date June 10th.
    # R1 opened 06-08 -> time to submit 2 (not 3), and the submittal is in the one-day period
    # [06-10, 06-10], not in [06-11, 06-11].
    # 2026-06-01T03:00Z is May 31st in Chicago: R2 (opened 05-25) has time to submit 6 and its
    # submittal belongs to May, not June.
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,R1,Eng,2026-06-08
            Acme,R2,Eng,2026-05-25
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
            Acme,A2,R2
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-06-11T03:00:00Z
            Acme,A2,submitted,2026-06-01T03:00:00Z
        """})
    assert con.execute("SELECT entered_on FROM stage_events WHERE application_id = 'A1'").fetchone()[0] \
        == dt.date(2026, 6, 10)
    one_day = summ(con, as_of="2026-07-01", date_from="2026-06-10", date_to="2026-06-10")["time_to_submit"]
    assert (one_day["n"], one_day["median"]) == (1, 2.0)
    assert summ(con, as_of="2026-07-01", date_from="2026-06-11", date_to="2026-06-11")["time_to_submit"]["n"] == 0
    may = summ(con, as_of="2026-07-01", date_from="2026-05-01", date_to="2026-05-31")
    assert (may["time_to_submit"]["n"], may["time_to_submit"]["median"]) == (1, 6.0)
    assert may["interview_conversion"]["submitted"] == 1
    june = summ(con, as_of="2026-07-01", date_from="2026-06-01", date_to="2026-06-30")
    assert (june["time_to_submit"]["n"], june["time_to_submit"]["median"]) == (1, 2.0)


def test_bare_opened_at_stays_that_day_in_chicago(make_db, summ):
    # opened_at "2026-04-03" is April 3rd in Chicago (local midnight = 05:00Z), not midnight UTC
    # (which would be April 2nd, 19:00 local). R1's first submittal at 2026-04-03T14:00Z is
    # 09:00 local on April 3rd: time to submit 0 (a UTC reading would give 1).
    # R2 opened 04-03, closed_at "2026-04-10" (April 10th local), never submitted:
    # as of 04-09 it is still open (closed after E) -> awaiting, age 6; as of 04-10 it is closed
    # (closed_at not after E) -> not awaiting. A midnight-UTC reading would close it on April 9th.
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at,closed_at
            Acme,R1,Eng,2026-04-03,
            Acme,R2,Eng,2026-04-03,2026-04-10
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-04-03T14:00:00Z
        """})
    opened_on, opened_local = con.execute(
        "SELECT opened_on, timezone('America/Chicago', opened_at::TIMESTAMPTZ) FROM requisitions "
        "WHERE requisition_id = 'R1'").fetchone()
    assert opened_on == dt.date(2026, 4, 3)
    assert opened_local.date() == dt.date(2026, 4, 3)
    assert summ(con, as_of="2026-04-30")["time_to_submit"]["median"] == 0.0
    waiting = report(con, as_of="2026-04-09").awaiting()
    assert list(waiting["requisition_id"]) == ["R2"]
    assert list(waiting["age_days"]) == [6]
    assert summ(con, as_of="2026-04-10")["time_to_submit"]["awaiting_first_submittal"] == 0


# ---------------------------------------------------------------------------------------------
# Business days


def test_business_day_sla_due_dates_follow_busday_offset(make_db, summ):
    # Business days, N=5, K=1, holiday 2026-07-03 (domain.md's three examples):
    #   Friday 2026-07-10 start   -> due Friday 07-17
    #   Saturday 2026-07-11 start -> rolls to Monday 07-13, due Monday 07-20
    #   Monday 2026-06-29 start   -> 06-30, 07-01, 07-02, (07-03 holiday), 07-06, 07-07: due 07-07
    # For each start one requisition is submitted ON the due date (met) and one the day after
    # (missed). As of 08-01 every deadline is decided: met 3, missed 3 (all on the RPO's side).
    assert str(np.busday_offset("2026-07-10", 5, roll="forward")) == "2026-07-17"
    con = make_db(BUSINESS_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,FRI_MET,Eng,2026-07-10
            Acme,FRI_MISS,Eng,2026-07-10
            Acme,SAT_MET,Eng,2026-07-11
            Acme,SAT_MISS,Eng,2026-07-11
            Acme,MON_MET,Eng,2026-06-29
            Acme,MON_MISS,Eng,2026-06-29
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,FRI_MET
            Acme,A2,FRI_MISS
            Acme,A3,SAT_MET
            Acme,A4,SAT_MISS
            Acme,A5,MON_MET
            Acme,A6,MON_MISS
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-07-17T15:00:00Z
            Acme,A2,submitted,2026-07-18T15:00:00Z
            Acme,A3,submitted,2026-07-20T15:00:00Z
            Acme,A4,submitted,2026-07-21T15:00:00Z
            Acme,A5,submitted,2026-07-07T15:00:00Z
            Acme,A6,submitted,2026-07-08T15:00:00Z
        """})
    rows = by_id(report(con, as_of="2026-08-01").rows("deadline_adherence"), "deadline_id")
    expected_due = {"FRI": dt.date(2026, 7, 17), "SAT": dt.date(2026, 7, 20), "MON": dt.date(2026, 7, 7)}
    for rid, row in rows.items():
        start, outcome = rid.split("_")
        assert as_date(row["due_on"]) == expected_due[start], rid
        assert row["status"] == ("met" if outcome == "MET" else "missed"), rid
    assert len(rows) == 6
    dl = summ(con, as_of="2026-08-01")["deadline_adherence"]
    assert (dl["due"], dl["met"], dl["missed"], dl["rate"]) == (6, 3, 3, 0.5)
    assert dl["missed_by_side"] == {"rpo": 3, "client": 0}


def test_business_day_time_to_submit_equals_numpy_busday_count(make_db, summ):
    # Weekdays in [start, submittal) that are not the 2026-07-03 holiday:
    #   Fri 07-10 -> Fri 07-17: 07-10, 07-13..07-16                 = 5
    #   Sat 07-11 -> Mon 07-20: 07-13..07-17                        = 5
    #   Mon 06-29 -> Tue 07-07: 06-29, 06-30, 07-01, 07-02, 07-06   = 5
    #   Fri 07-03 (holiday) -> Mon 07-06: nothing                   = 0
    #   Thu 07-02 -> Mon 07-06: 07-02                               = 1
    #   Wed 07-08 -> Mon 07-06 (out of order): -(07-06, 07-07)      = -2 (kept)
    # n 6; sorted -2, 0, 1, 5, 5, 5: median 3.0, mean 14/6.
    cases = {"R1": ("2026-07-10", "2026-07-17", 5), "R2": ("2026-07-11", "2026-07-20", 5),
             "R3": ("2026-06-29", "2026-07-07", 5), "R4": ("2026-07-03", "2026-07-06", 0),
             "R5": ("2026-07-02", "2026-07-06", 1), "R6": ("2026-07-08", "2026-07-06", -2)}
    reqs = "client,requisition_id,department,opened_at\n" + "".join(
        f"Acme,{r},Eng,{start}\n" for r, (start, _, _) in cases.items())
    apps = "client,application_id,requisition_id\n" + "".join(f"Acme,A{r},{r}\n" for r in cases)
    events = "client,application_id,stage,entered_at\n" + "".join(
        f"Acme,A{r},submitted,{sub}T15:00:00Z\n" for r, (_, sub, _) in cases.items())
    con = make_db(BUSINESS_TOML, {"requisitions": reqs, "applications": apps, "stage_events": events})
    rows = by_id(report(con, as_of="2026-08-01").rows("time_to_submit"), "requisition_id")
    for r, (start, sub, hand) in cases.items():
        assert int(np.busday_count(start, sub, holidays=["2026-07-03"])) == hand
        assert rows[r]["tts_days"] == hand, r
    tts = summ(con, as_of="2026-08-01")["time_to_submit"]
    assert tts["n"] == 6
    assert tts["median"] == 3.0
    assert tts["mean"] == pytest.approx(14 / 6)


def test_negative_time_to_submit_is_kept_and_counted(make_db, summ):
    # R1 opened 05-10 but its candidate was submitted 05-07 (out-of-order data): -3, kept.
    # R2 opened 05-01, submitted 05-06: 5. n 2, median 1.0, mean 1.0 (dropping the negative
    # value would give n 1, median 5).
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,R1,Eng,2026-05-10
            Acme,R2,Eng,2026-05-01
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
            Acme,A2,R2
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-05-07T15:00:00Z
            Acme,A2,submitted,2026-05-06T15:00:00Z
        """})
    tts = summ(con, as_of="2026-06-01", date_from="2026-05-01", date_to="2026-05-31")["time_to_submit"]
    assert (tts["n"], tts["median"], tts["mean"]) == (2, 1.0, 1.0)
    assert tts["p90"] == pytest.approx(-3 + 0.9 * 8)
    # ...and listed for the Data page: only R1, with its -3 days.
    from metrics import quality
    listed = quality.negative_durations(Report(con, Filters("Acme", as_of=D("2026-06-01"))))
    assert list(zip(listed["requisition_id"], listed["time_to_submit_days"])) == [("R1", -3)]


# ---------------------------------------------------------------------------------------------
# Deadlines


def test_kth_submittal_decides_sla(make_db, summ):
    # K=2 within 10 calendar days; every requisition starts 05-01, so each is due 05-11.
    #   R1: submittals 05-02 and 05-11 -> 2nd on the due date: met
    #   R2: submittals 05-02 and 05-12 -> 2nd a day late: missed (the early first one is not enough)
    #   R3: one submittal 05-02 only, due date before the as-of date: missed
    # due 3, met 1, missed 2, all misses RPO's.
    con = make_db(K2_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,R1,Eng,2026-05-01
            Acme,R2,Eng,2026-05-01
            Acme,R3,Eng,2026-05-01
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
            Acme,A2,R1
            Acme,A3,R2
            Acme,A4,R2
            Acme,A5,R3
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-05-02T15:00:00Z
            Acme,A2,submitted,2026-05-11T15:00:00Z
            Acme,A3,submitted,2026-05-02T15:00:00Z
            Acme,A4,submitted,2026-05-12T15:00:00Z
            Acme,A5,submitted,2026-05-02T15:00:00Z
        """})
    dl = summ(con, as_of="2026-06-01")["deadline_adherence"]
    assert (dl["due"], dl["met"], dl["missed"], dl["pending"]) == (3, 1, 2, 0)
    assert dl["rate"] == pytest.approx(1 / 3)
    assert dl["missed_by_side"] == {"rpo": 2, "client": 0}
    status = {r["deadline_id"]: r["status"] for r in report(con, as_of="2026-06-01").rows("deadline_adherence").to_dict("records")}
    assert status == {"R1": "met", "R2": "missed", "R3": "missed"}


COMMITMENT_HEADER = "client,commitment_id,requisition_id,due_date,revised_due_date,revised_on,delivered_on,side,reason\n"


def test_due_on_as_of_date_is_pending(make_db, summ):
    # As of 05-15: C1 due 05-15, nothing delivered -> pending (due on the as-of date);
    # C2 due 05-14, nothing delivered -> missed (due before the as-of date);
    # C3 due 05-15, delivered 05-15 -> met. due 2, met 1, missed 1, pending 1, rate 0.5.
    con = make_db(CHICAGO_TOML, {"commitments": COMMITMENT_HEADER + """
        Acme,C1,,2026-05-15,,,,rpo,
        Acme,C2,,2026-05-14,,,,rpo,
        Acme,C3,,2026-05-15,,,2026-05-15,rpo,
    """})
    dl = summ(con, as_of="2026-05-15")["deadline_adherence"]
    assert (dl["due"], dl["met"], dl["missed"], dl["pending"], dl["rate"]) == (2, 1, 1, 1, 0.5)


def test_revision_in_time_late_and_without_revised_on(make_db, summ):
    # All due 05-10 (original), revised to 05-20; as of 06-01.
    #   C1 revision communicated 05-05 (before the original date): revised, in time. Delivered
    #      05-18: within the revised date but after the ORIGINAL one -> missed.
    #   C2 revision communicated 05-12 (after the original date): revised, not in time.
    #   C3 revised date but no revised_on: revised, not in time.
    #   C4 revision communicated ON the original date 05-10: not *before* it -> not in time.
    #   C5 no revision, delivered 05-10 -> met.
    # revised 4, revised_in_time 1; due 5, met 1, missed 4.
    con = make_db(CHICAGO_TOML, {"commitments": COMMITMENT_HEADER + """
        Acme,C1,,2026-05-10,2026-05-20,2026-05-05,2026-05-18,rpo,
        Acme,C2,,2026-05-10,2026-05-20,2026-05-12,,client,HM on leave
        Acme,C3,,2026-05-10,2026-05-20,,,rpo,
        Acme,C4,,2026-05-10,2026-05-20,2026-05-10,,rpo,
        Acme,C5,,2026-05-10,,,2026-05-10,rpo,
    """})
    dl = summ(con, as_of="2026-06-01")["deadline_adherence"]
    assert (dl["revised"], dl["revised_in_time"]) == (4, 1)
    assert (dl["due"], dl["met"], dl["missed"]) == (5, 1, 4)


def test_empty_side_counts_as_rpo(make_db, summ):
    # Three missed commitments: side empty, 'client', 'rpo' -> rpo 2, client 1.
    con = make_db(CHICAGO_TOML, {"commitments": COMMITMENT_HEADER + """
        Acme,C1,,2026-05-10,,,,,
        Acme,C2,,2026-05-10,,,,client,HM on leave
        Acme,C3,,2026-05-10,,,,rpo,sourcing
    """})
    dl = summ(con, as_of="2026-06-01")["deadline_adherence"]
    assert dl["missed"] == 3
    assert dl["missed_by_side"] == {"rpo": 2, "client": 1}


REQS_ENG_SALES = """
    client,requisition_id,department,recruiter,opened_at
    Acme,R1,Eng,alice,2026-05-01
    Acme,R2,Sales,bob,2026-05-01
"""
APPS_ENG_SALES = """
    client,application_id,requisition_id
    Acme,A1,R1
    Acme,A2,R2
"""
# Both requisitions get a submittal on 05-03, so their SLA deadlines (due 05-11) are met.
EVENTS_ENG_SALES = """
    client,application_id,stage,entered_at
    Acme,A1,submitted,2026-05-03T15:00:00Z
    Acme,A2,submitted,2026-05-03T15:00:00Z
"""


def test_commitment_with_unknown_requisition_is_treated_as_no_requisition(make_db, summ):
    # C1 is on R1 (Eng), C2 names R999 which does not exist, C3 has no requisition; all three
    # missed. R999 is not a reason to reject C2: it loads, and behaves like C3.
    # No department selected: SLA R1 met + SLA R2 met + C1, C2, C3 missed -> due 5, met 2, missed 3.
    # Department Eng: SLA R1 met + C1 missed; C2 and C3 (no requisition) drop out -> due 2.
    con = make_db(CHICAGO_TOML, {
        "requisitions": REQS_ENG_SALES, "applications": APPS_ENG_SALES, "stage_events": EVENTS_ENG_SALES,
        "commitments": COMMITMENT_HEADER + """
            Acme,C1,R1,2026-05-10,,,,rpo,
            Acme,C2,R999,2026-05-10,,,,rpo,
            Acme,C3,,2026-05-10,,,,rpo,
        """})
    assert con.execute("SELECT count(*) FROM commitments").fetchone()[0] == 3
    everything = summ(con, as_of="2026-06-01")["deadline_adherence"]
    assert (everything["due"], everything["met"], everything["missed"]) == (5, 2, 3)
    eng = summ(con, as_of="2026-06-01", departments="Eng")["deadline_adherence"]
    assert (eng["due"], eng["met"], eng["missed"]) == (2, 1, 1)
    sales = summ(con, as_of="2026-06-01", departments="Sales")["deadline_adherence"]
    assert (sales["due"], sales["met"], sales["missed"]) == (1, 1, 0)


def test_department_filter_drops_commitments_with_no_requisition(make_db, summ):
    # C1 on R1 (Eng) met, C2 on R2 (Sales) missed, C3 with no requisition missed.
    # Commitments only (SLA deadlines of R1/R2 both met, see EVENTS_ENG_SALES):
    #   all: due 5 = 2 SLA met + C1 met + C2, C3 missed -> met 3, missed 2
    #   Eng: SLA R1 met + C1 met -> due 2, met 2, missed 0 (C3 does not count)
    #   Sales: SLA R2 met + C2 missed -> due 2, met 1, missed 1
    con = make_db(CHICAGO_TOML, {
        "requisitions": REQS_ENG_SALES, "applications": APPS_ENG_SALES, "stage_events": EVENTS_ENG_SALES,
        "commitments": COMMITMENT_HEADER + """
            Acme,C1,R1,2026-05-10,,,2026-05-09,rpo,
            Acme,C2,R2,2026-05-10,,,,client,
            Acme,C3,,2026-05-10,,,,rpo,
        """})
    everything = summ(con, as_of="2026-06-01")["deadline_adherence"]
    assert (everything["due"], everything["met"], everything["missed"]) == (5, 3, 2)
    eng = summ(con, as_of="2026-06-01", departments="Eng")
    assert eng["department"] == "Eng"
    assert (eng["deadline_adherence"]["due"], eng["deadline_adherence"]["met"],
            eng["deadline_adherence"]["missed"]) == (2, 2, 0)
    sales = summ(con, as_of="2026-06-01", departments="Sales")["deadline_adherence"]
    assert (sales["due"], sales["met"], sales["missed"]) == (2, 1, 1)
    assert sales["missed_by_side"] == {"rpo": 0, "client": 1}


# ---------------------------------------------------------------------------------------------
# Period and as-of


def test_period_bounds_are_inclusive(make_db, summ):
    # Period [05-01, 05-31]. All requisitions opened 04-20. First submittals:
    #   R1 05-01 (the `from` day) tts 11  -> in     R2 05-31 (the `to` day) tts 41 -> in
    #   R3 04-30 (day before)     tts 10  -> out    R4 06-01 (day after)    tts 42 -> out
    # Time to submit n 2, median 26; cohort submitted 2.
    # Commitments due 05-01 and 05-31 (met) count; due 04-30 and 06-01 (met) do not: met 2.
    # (No SLA deadline is due in May: all four are due 04-30.)
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,R1,Eng,2026-04-20
            Acme,R2,Eng,2026-04-20
            Acme,R3,Eng,2026-04-20
            Acme,R4,Eng,2026-04-20
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
            Acme,A2,R2
            Acme,A3,R3
            Acme,A4,R4
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-05-01T15:00:00Z
            Acme,A2,submitted,2026-05-31T15:00:00Z
            Acme,A3,submitted,2026-04-30T15:00:00Z
            Acme,A4,submitted,2026-06-01T15:00:00Z
        """,
        "commitments": COMMITMENT_HEADER + """
            Acme,C1,,2026-05-01,,,2026-05-01,rpo,
            Acme,C2,,2026-05-31,,,2026-05-31,rpo,
            Acme,C3,,2026-04-30,,,2026-04-30,rpo,
            Acme,C4,,2026-06-01,,,2026-06-01,rpo,
        """})
    s = summ(con, as_of="2026-07-01", date_from="2026-05-01", date_to="2026-05-31")
    assert (s["from"], s["to"], s["as_of"]) == ("2026-05-01", "2026-05-31", "2026-07-01")
    assert (s["time_to_submit"]["n"], s["time_to_submit"]["median"]) == (2, 26.0)
    assert s["interview_conversion"]["submitted"] == 2
    assert (s["deadline_adherence"]["due"], s["deadline_adherence"]["met"]) == (2, 2)


def test_events_after_as_of_are_ignored(make_db, summ):
    # As of 05-10. R1 and R2 opened 05-01 (SLA due 05-11).
    #   A1 (R1): submitted 05-05, interviewed 05-12 (after as-of: not seen) -> submitted, not interviewed
    #   A2 (R2): submitted 05-11 (after as-of: not seen) -> not in the cohort at all
    # Conversion: submitted 1, interviewed 0. Time to submit: only R1 (4 days).
    # R2 has no submittal by 05-10 -> awaiting 1.
    # Deadlines: SLA R1 met (05-05); SLA R2 due 05-11 >= as-of, nothing seen -> pending;
    # C1 due 05-20 delivered 05-12 (after as-of) -> pending; C2's revision was communicated
    # 05-11 (after as-of) -> not revised yet. due 1, met 1, pending 3, revised 0.
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,R1,Eng,2026-05-01
            Acme,R2,Eng,2026-05-01
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
            Acme,A2,R2
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-05-05T15:00:00Z
            Acme,A1,interviewed,2026-05-12T15:00:00Z
            Acme,A2,submitted,2026-05-11T15:00:00Z
        """,
        "commitments": COMMITMENT_HEADER + """
            Acme,C1,,2026-05-20,,,2026-05-12,rpo,
            Acme,C2,,2026-05-20,2026-05-30,2026-05-11,,rpo,
        """})
    s = summ(con, as_of="2026-05-10")
    conv = s["interview_conversion"]
    assert (conv["submitted"], conv["interviewed"]) == (1, 0)
    assert (s["time_to_submit"]["n"], s["time_to_submit"]["median"]) == (1, 4.0)
    assert s["time_to_submit"]["awaiting_first_submittal"] == 1
    dl = s["deadline_adherence"]
    assert (dl["due"], dl["met"], dl["missed"], dl["pending"]) == (1, 1, 0, 3)
    assert dl["revised"] == 0
    # Run a month later, the same data shows everything.
    later = summ(con, as_of="2026-06-10")
    assert (later["interview_conversion"]["submitted"], later["interview_conversion"]["interviewed"]) == (2, 1)
    assert later["deadline_adherence"]["revised"] == 1


def test_awaiting_first_submittal_uses_min_of_to_and_as_of(make_db, summ):
    # R1 opened 05-01, first submittal 05-20.   R2 opened 05-01, never submitted, closed 05-15.
    # R3 opened 05-12, never submitted.         R4 opened 05-01, submitted 05-05.
    # to 05-10, as-of 06-01 -> E = 05-10: R1 (submitted after E), R2 (closed after E); R3 has not
    #   started; R4 submitted. Ages days(05-01, 05-10) = 9.
    # to 06-30, as-of 05-13 -> E = 05-13: R1, R2 (ages 12), R3 (age 1).
    # to 05-15, as-of 06-01 -> E = 05-15: R2 closed ON E (not after it) -> out; R1 (14), R3 (3).
    # no `to`, as-of 06-01 -> E = 06-01: only R3 (age 20).
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at,closed_at
            Acme,R1,Eng,2026-05-01,
            Acme,R2,Eng,2026-05-01,2026-05-15
            Acme,R3,Eng,2026-05-12,
            Acme,R4,Eng,2026-05-01,
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
            Acme,A4,R4
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-05-20T15:00:00Z
            Acme,A4,submitted,2026-05-05T15:00:00Z
        """})

    def waiting(**kw):
        df = report(con, **kw).awaiting()
        return dict(zip(df["requisition_id"], (int(a) for a in df["age_days"])))

    assert waiting(date_from="2026-05-01", date_to="2026-05-10", as_of="2026-06-01") == {"R1": 9, "R2": 9}
    assert waiting(date_from="2026-05-01", date_to="2026-06-30", as_of="2026-05-13") == {"R1": 12, "R2": 12, "R3": 1}
    assert waiting(date_from="2026-05-01", date_to="2026-05-15", as_of="2026-06-01") == {"R1": 14, "R3": 3}
    assert waiting(as_of="2026-06-01") == {"R3": 20}
    s = summ(con, date_from="2026-05-01", date_to="2026-05-10", as_of="2026-06-01")
    assert s["time_to_submit"]["awaiting_first_submittal"] == 2


# ---------------------------------------------------------------------------------------------
# Statistics


def test_p90_uses_linear_interpolation(make_db, summ):
    # Four requisitions opened 05-01 with first submittals after 1, 2, 3 and 10 days.
    # p90 position (n-1) * 0.9 = 2.7 -> 3 + 0.7 * (10 - 3) = 7.9; median (2+3)/2 = 2.5; mean 4.
    subs = {"R1": "2026-05-02", "R2": "2026-05-03", "R3": "2026-05-04", "R4": "2026-05-11"}
    con = make_db(CHICAGO_TOML, {
        "requisitions": "client,requisition_id,department,opened_at\n"
                        + "".join(f"Acme,{r},Eng,2026-05-01\n" for r in subs),
        "applications": "client,application_id,requisition_id\n" + "".join(f"Acme,A{r},{r}\n" for r in subs),
        "stage_events": "client,application_id,stage,entered_at\n"
                        + "".join(f"Acme,A{r},submitted,{d}T15:00:00Z\n" for r, d in subs.items())})
    tts = summ(con, as_of="2026-06-01")["time_to_submit"]
    assert tts["n"] == 4
    assert tts["p90"] == pytest.approx(7.9)
    assert tts["median"] == pytest.approx(2.5)
    assert tts["mean"] == pytest.approx(4.0)


def test_rates_and_statistics_are_null_on_empty_denominators(make_db, summ):
    # One application, submitted 05-03, nothing after: submit_to_interview = 0/1 = 0.0, but
    # interview_to_offer (x/0) and offer_to_hire (x/0) are null, not 0. No hire: time to fill
    # median null with n 0; no HM feedback event: median null, n 0.
    # In June the only deadline is commitment C1 (due 06-15, nothing delivered), pending as of
    # 05-05: due 0 -> rate null (R1's SLA, due 05-11, is met on 05-03 and falls in May).
    # A period with no data at all ([2025-01-01, 2025-01-31]): every rate and statistic null.
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,R1,Eng,2026-05-01
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-05-03T15:00:00Z
        """,
        "commitments": COMMITMENT_HEADER + """
            Acme,C1,,2026-06-15,,,,rpo,
        """})
    s = summ(con, as_of="2026-05-05")
    conv = s["interview_conversion"]
    assert conv["submit_to_interview"] == 0.0
    assert conv["interview_to_offer"] is None
    assert conv["offer_to_hire"] is None
    assert (s["time_to_fill"]["n"], s["time_to_fill"]["median"]) == (0, None)
    assert (s["hm_feedback_days"]["n"], s["hm_feedback_days"]["median"]) == (0, None)
    assert s["deadline_adherence"]["rate"] == 1.0
    dl = summ(con, as_of="2026-05-05", date_from="2026-06-01", date_to="2026-06-30")["deadline_adherence"]
    assert (dl["due"], dl["pending"], dl["rate"]) == (0, 1, None)

    empty = summ(con, as_of="2026-05-05", date_from="2025-01-01", date_to="2025-01-31")
    assert empty["time_to_submit"]["n"] == 0
    for key in ("median", "mean", "p90"):
        assert empty["time_to_submit"][key] is None
    for key in ("submit_to_interview", "interview_to_offer", "offer_to_hire"):
        assert empty["interview_conversion"][key] is None
    assert empty["interview_conversion"]["submitted"] == 0
    assert empty["deadline_adherence"]["rate"] is None


# ---------------------------------------------------------------------------------------------
# Reopened requisitions


def test_reopened_requisition_keeps_its_first_start(make_db, summ):
    # First export: R1 opened 05-01. Its first submittal is 05-25 -> time to submit 24.
    # A newer export says opened 05-20 (reopened) with a new title: the title is replaced but
    # the start stays 05-01 -> still 24. A later export with an EARLIER opened_at 04-15 (the
    # true first opening) replaces it -> 40.
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,title,department,opened_at
            Acme,R1,Engineer,Eng,2026-05-01
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-05-25T15:00:00Z
        """})
    assert summ(con, as_of="2026-07-01")["time_to_submit"]["median"] == 24.0

    make_db.load(con, {"requisitions": """
        client,requisition_id,title,department,opened_at
        Acme,R1,Senior Engineer,Eng,2026-05-20
    """})
    assert con.execute("SELECT title, opened_on, opened_at FROM requisitions").fetchall() == [
        ("Senior Engineer", dt.date(2026, 5, 1), dt.datetime(2026, 5, 1, 5, 0))]
    assert summ(con, as_of="2026-07-01")["time_to_submit"]["median"] == 24.0

    make_db.load(con, {"requisitions": """
        client,requisition_id,title,department,opened_at
        Acme,R1,Senior Engineer,Eng,2026-04-15
    """})
    assert con.execute("SELECT opened_on FROM requisitions").fetchall() == [(dt.date(2026, 4, 15),)]
    assert summ(con, as_of="2026-07-01")["time_to_submit"]["median"] == 40.0


def test_reopened_requisition_keeps_its_first_start_when_assigned_at_is_known(make_db, summ):
    # The start is assigned_at where known. First export: R1 opened 05-01, assigned to the RPO
    # 05-03; first submittal 05-25 -> time to submit 22. The requisition is reopened and a newer
    # export carries assigned_at 05-20: "a reopened requisition keeps its first start date",
    # so the start stays 05-03 and time to submit stays 22 (not 5).
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at,assigned_at
            Acme,R1,Eng,2026-05-01,2026-05-03
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-05-25T15:00:00Z
        """})
    assert summ(con, as_of="2026-07-01")["time_to_submit"]["median"] == 22.0
    make_db.load(con, {"requisitions": """
        client,requisition_id,department,opened_at,assigned_at
        Acme,R1,Eng,2026-05-20,2026-05-20
    """})
    assert summ(con, as_of="2026-07-01")["time_to_submit"]["median"] == 22.0


# ---------------------------------------------------------------------------------------------
# KPIs, breakdowns and trends


def test_kpis_show_targets_and_previous_period(make_db):
    # Period June [06-01, 06-30], a calendar month -> previous period May [05-01, 05-31] (not the
    # 30 days before, [05-02, 05-31]), same as-of.
    #   R1 opened 06-01, first submittal 06-05 -> 4 (June)
    #   R4 opened 05-30, first submittal 06-01 -> 2 (June's first day: not the previous period's)
    #   R2 opened 05-02, first submittal 05-10 -> 8 (previous period)
    #   R3 opened 04-01, first submittal 05-01 -> 30: May's first day, so in
    # time_to_submit: value median(4, 2) = 3, n 2; previous median(8, 30) = 19 (8 with the 30 days
    # before, 5 if 06-01 were included); target 5.
    # Conversion: June cohort A1 (interviewed 06-07), A2, A5: 1/3; May cohort A3 (R2), A4 (R3): 0.0.
    # Target 0.5. time_to_fill has no target configured -> None.
    toml = CHICAGO_TOML + "[targets]\ntime_to_submit_median = 5\nsubmit_to_interview = 0.5\n"
    con = make_db(toml, {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,R1,Eng,2026-06-01
            Acme,R2,Eng,2026-05-02
            Acme,R3,Eng,2026-04-01
            Acme,R4,Eng,2026-05-30
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
            Acme,A2,R1
            Acme,A3,R2
            Acme,A4,R3
            Acme,A5,R4
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-06-05T15:00:00Z
            Acme,A1,interviewed,2026-06-07T15:00:00Z
            Acme,A2,submitted,2026-06-06T15:00:00Z
            Acme,A3,submitted,2026-05-10T15:00:00Z
            Acme,A4,submitted,2026-05-01T15:00:00Z
            Acme,A5,submitted,2026-06-01T15:00:00Z
        """})
    kpis = {k["metric"]: k for k in report(con, date_from="2026-06-01", date_to="2026-06-30",
                                            as_of="2026-07-15").kpis()}
    tts = kpis["time_to_submit"]
    assert (tts["value"], tts["previous"], tts["target"], tts["n"]) == (3.0, 19.0, 5.0, 2)
    conv = kpis["interview_conversion"]
    assert conv["value"] == pytest.approx(1 / 3)
    assert (conv["previous"], conv["target"], conv["n"]) == (0.0, 0.5, 3)
    assert kpis["time_to_fill"]["target"] is None
    assert set(kpis) == {"time_to_submit", "interview_conversion", "deadline_adherence",
                         "time_to_fill", "hm_feedback_days"}


def test_breakdowns_by_department_and_recruiter_sum_to_totals(make_db):
    # R1 Eng/alice, R2 Eng/bob, R3 Sales/alice, all opened 05-01 (SLA due 05-11).
    #   A1 (R1) submitted 05-03, interviewed 05-05     A2 (R1) submitted 05-04
    #   A3 (R2) submitted 05-06, interviewed 05-08, offered 05-10
    #   A4 (R3) submitted 05-11                        A5 (R3) applied only
    # Time to submit: R1 2, R2 5, R3 10 -> Eng n 2, Sales n 1; alice n 2, bob n 1.
    # Conversion: Eng 3 submitted / 2 interviewed / 1 offered; Sales 1 / 0 / 0.
    #             alice (R1, R3) 3 / 1 / 0; bob (R2) 1 / 1 / 1.
    # Deadlines: three SLAs met (R3's on its due date); C1 on R1 missed; C2 with no requisition
    # met -> Eng due 3 met 2, Sales due 1 met 1, plus C2 in a group of its own; total due 5, met 4.
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,department,recruiter,opened_at
            Acme,R1,Eng,alice,2026-05-01
            Acme,R2,Eng,bob,2026-05-01
            Acme,R3,Sales,alice,2026-05-01
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
            Acme,A2,R1
            Acme,A3,R2
            Acme,A4,R3
            Acme,A5,R3
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-05-03T15:00:00Z
            Acme,A1,interviewed,2026-05-05T15:00:00Z
            Acme,A2,submitted,2026-05-04T15:00:00Z
            Acme,A3,submitted,2026-05-06T15:00:00Z
            Acme,A3,interviewed,2026-05-08T15:00:00Z
            Acme,A3,offered,2026-05-10T15:00:00Z
            Acme,A4,submitted,2026-05-11T15:00:00Z
            Acme,A5,applied,2026-05-02T15:00:00Z
        """,
        "commitments": COMMITMENT_HEADER + """
            Acme,C1,R1,2026-05-20,,,,rpo,
            Acme,C2,,2026-05-20,,,2026-05-19,rpo,
        """})
    rep = report(con, as_of="2026-06-01")
    totals = {m: rep.totals(m) for m in ("time_to_submit", "interview_conversion", "deadline_adherence")}
    assert totals["time_to_submit"]["n"] == 3
    assert (totals["interview_conversion"]["submitted"], totals["interview_conversion"]["interviewed"],
            totals["interview_conversion"]["offered"]) == (4, 2, 1)
    assert (totals["deadline_adherence"]["due"], totals["deadline_adherence"]["met"]) == (5, 4)

    def groups(metric, by, cols):
        df = rep.aggregate(metric, by=by)
        return {row[by]: tuple(int(row[c]) for c in cols) for row in df.to_dict("records")}

    tts_dep = groups("time_to_submit", "department", ["n"])
    assert tts_dep == {"Eng": (2,), "Sales": (1,)}
    assert groups("time_to_submit", "recruiter", ["n"]) == {"alice": (2,), "bob": (1,)}
    conv_cols = ["submitted", "interviewed", "offered"]
    assert groups("interview_conversion", "department", conv_cols) == {"Eng": (3, 2, 1), "Sales": (1, 0, 0)}
    assert groups("interview_conversion", "recruiter", conv_cols) == {"alice": (3, 1, 0), "bob": (1, 1, 1)}
    dl_dep = groups("deadline_adherence", "department", ["due", "met", "missed"])
    assert dl_dep["Eng"] == (3, 2, 1)
    assert dl_dep["Sales"] == (1, 1, 0)
    others = [v for k, v in dl_dep.items() if k not in ("Eng", "Sales")]
    assert others == [(1, 1, 0)]
    # And every breakdown adds up to the totals.
    for metric, cols in (("time_to_submit", ["n"]), ("interview_conversion", conv_cols),
                         ("deadline_adherence", ["due", "met", "missed", "pending"])):
        for by in ("department", "recruiter"):
            df = rep.aggregate(metric, by=by)
            for c in cols:
                assert int(df[c].sum()) == totals[metric][c], (metric, by, c)


def test_trend_buckets_fall_on_local_dates(make_db):
    # Chicago client. Submittals (UTC -> local CDT):
    #   A1 2026-08-01T03:00Z -> Fri 07-31 local (a UTC reading would say Sat 08-01)
    #   A2 2026-07-27T03:00Z -> Sun 07-26 local (UTC: Mon 07-27)
    #   A3 2026-07-26T03:00Z -> Sat 07-25 local (UTC: Sun 07-26)
    # Monthly: all three in July's bucket, none in August.
    # Weekly: each week bucket [start, start + 6] counts exactly the events whose LOCAL date is in
    # it (with Monday weeks: week of 07-20 -> A3, A2 = 2; week of 07-27 -> A1 = 1; a UTC reading
    # would give 1 and 2; with Sunday weeks the local and UTC readings also differ).
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,R1,Eng,2026-07-20
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
            Acme,A2,R1
            Acme,A3,R1
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-08-01T03:00:00Z
            Acme,A2,submitted,2026-07-27T03:00:00Z
            Acme,A3,submitted,2026-07-26T03:00:00Z
        """})
    rep = report(con, as_of="2026-09-01")
    monthly = rep.aggregate("interview_conversion", grain="month")
    assert [(as_date(p), int(n)) for p, n in zip(monthly["period"], monthly["submitted"])] == [
        (dt.date(2026, 7, 1), 3)]
    local_dates = [dt.date(2026, 7, 31), dt.date(2026, 7, 26), dt.date(2026, 7, 25)]
    weekly = rep.aggregate("interview_conversion", grain="week")
    assert int(weekly["submitted"].sum()) == 3
    for p, n in zip(weekly["period"], weekly["submitted"]):
        start = as_date(p)
        expected = sum(start <= d <= start + dt.timedelta(days=6) for d in local_dates)
        assert int(n) == expected, (start, int(n))
    # Time to submit is placed by the requisition's first submittal: 07-25 local, in July.
    tts_monthly = rep.aggregate("time_to_submit", grain="month")
    assert [(as_date(p), int(n)) for p, n in zip(tts_monthly["period"], tts_monthly["n"])] == [
        (dt.date(2026, 7, 1), 1)]


# ---------------------------------------------------------------------------------------------
# Hiring-manager feedback, time to fill, interview conversion


def test_hm_feedback_is_next_mapped_event_strictly_after_submittal(make_db, summ):
    # All submitted 2026-05-04T15:00Z (R1 opened 05-01). "HM Pinged" is unmapped.
    #   A1: unmapped 05-05, interviewed 05-07 -> the unmapped event is skipped: 3 days
    #   A2: rejected 05-06 -> rejections count as the answer: 2 days
    #   A3: 'applied' at the very same instant as the submittal (not strictly after), offered
    #       05-05 -> 1 day (0 if the same-instant event counted)
    #   A4: screened 05-01 (before), nothing after -> no feedback, not in n
    # n 3, median 2, mean 2.
    # "HM Pinged" is not in the client's dictionary: stored unmapped.
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,R1,Eng,2026-05-01
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
            Acme,A2,R1
            Acme,A3,R1
            Acme,A4,R1
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-05-04T15:00:00Z
            Acme,A1,HM Pinged,2026-05-05T15:00:00Z
            Acme,A1,interviewed,2026-05-07T15:00:00Z
            Acme,A2,submitted,2026-05-04T15:00:00Z
            Acme,A2,rejected,2026-05-06T15:00:00Z
            Acme,A3,submitted,2026-05-04T15:00:00Z
            Acme,A3,applied,2026-05-04T15:00:00Z
            Acme,A3,offered,2026-05-05T15:00:00Z
            Acme,A4,screened,2026-05-01T15:00:00Z
            Acme,A4,submitted,2026-05-04T15:00:00Z
        """})
    hm = summ(con, as_of="2026-06-01")["hm_feedback_days"]
    assert (hm["n"], hm["median"], hm["mean"]) == (3, 2.0, 2.0)
    rows = by_id(report(con, as_of="2026-06-01").rows("hm_feedback_days"), "application_id")
    assert [rows[a]["feedback_days"] for a in ("A1", "A2", "A3")] == [3, 2, 1]
    assert pd.isna(rows["A4"]["feedback_days"])


def test_time_to_fill_counts_from_the_first_hire(make_db, summ):
    # R1 (opened 05-01, 2 openings): A1 hired 05-21, A2 hired 05-31 -> filled at the FIRST hire:
    # 20. R2 (opened 05-01): A3 hired 06-10 -> 40. All time: n 2, median 30.
    # June: only R2 -> n 1, median 40. Period [05-25, 05-31]: R1's first hire (05-21) is not in
    # it, even though A2's hire (05-31) is -> n 0.
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at,openings
            Acme,R1,Eng,2026-05-01,2
            Acme,R2,Eng,2026-05-01,1
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
            Acme,A2,R1
            Acme,A3,R2
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,offered,2026-05-18T15:00:00Z
            Acme,A1,hired,2026-05-21T15:00:00Z
            Acme,A2,offered,2026-05-28T15:00:00Z
            Acme,A2,hired,2026-05-31T15:00:00Z
            Acme,A3,hired,2026-06-10T15:00:00Z
        """})
    ttf = summ(con, as_of="2026-07-01")["time_to_fill"]
    assert (ttf["n"], ttf["median"]) == (2, 30.0)
    june = summ(con, as_of="2026-07-01", date_from="2026-06-01", date_to="2026-06-30")["time_to_fill"]
    assert (june["n"], june["median"]) == (1, 40.0)
    assert summ(con, as_of="2026-07-01", date_from="2026-05-25", date_to="2026-05-31")["time_to_fill"]["n"] == 0


def test_interview_conversion_cohort_is_by_submittal_date(make_db, summ):
    # Period May. A1 submitted 04-28 and interviewed 05-03: NOT in May's cohort (its interview
    # date does not matter). A2 submitted 05-02, interviewed 06-02 (after the period but before
    # the as-of date): in the cohort and interviewed. A3 submitted 05-10, nothing else.
    # May: submitted 2, interviewed 1, rate 0.5, in process 2 (no terminal outcome).
    # April: cohort A1 alone: 1 / 1.
    con = make_db(CHICAGO_TOML, {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,R1,Eng,2026-04-20
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
            Acme,A2,R1
            Acme,A3,R1
        """,
        "stage_events": """
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-04-28T15:00:00Z
            Acme,A1,interviewed,2026-05-03T15:00:00Z
            Acme,A2,submitted,2026-05-02T15:00:00Z
            Acme,A2,interviewed,2026-06-02T15:00:00Z
            Acme,A3,submitted,2026-05-10T15:00:00Z
        """})
    may = summ(con, as_of="2026-07-01", date_from="2026-05-01", date_to="2026-05-31")["interview_conversion"]
    assert (may["submitted"], may["interviewed"], may["submit_to_interview"], may["in_process"]) == (2, 1, 0.5, 2)
    april = summ(con, as_of="2026-07-01", date_from="2026-04-01", date_to="2026-04-30")["interview_conversion"]
    assert (april["submitted"], april["interviewed"]) == (1, 1)
