"""The checking rules' SQL, kept as a snapshot: `checks.check_sql` writes the one statement that checks
and parses every staged table, whatever its format, so a change to a loading rule shows in review as a
change of `tests/snapshots/check_sql_<kind>.sql`. After a deliberate change, write the snapshots anew
with `UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_check_sql.py` and read their diff."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from loaders.checks import check_sql
from loaders.ingest import ingest
from loaders.template import TEMPLATE

from conftest import write_tables

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


@pytest.mark.parametrize("kind", list(TEMPLATE))
def test_the_checking_sql_of_each_template_table_is_the_reviewed_one(kind):
    # Every template column, a client column and one extra column, as a one-client file reads them.
    columns = ["client"] + [c.name for c in TEMPLATE[kind]] + ["source_note"]
    sql = check_sql(kind, "__src0", columns) + "\n"
    path = SNAPSHOTS / f"check_sql_{kind}.sql"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: write it with UPDATE_SNAPSHOTS=1 and review it"
    assert sql == path.read_text(encoding="utf-8"), (
        f"the checking SQL of {kind} changed: if that is meant, write the snapshot anew (UPDATE_SNAPSHOTS=1) "
        "and review its diff")


LEVER_SETTINGS = '''name = "Acme"
timezone = "UTC"
[stages]
"Phone Screen" = "screened"
"Onsite" = "interviewed"
'''


def test_a_rejected_event_of_an_object_with_several_keeps_its_own_raw_values(make_db, tmp_path):
    # A Lever opportunity gives one stage event per stage change, all from its one position in the
    # file: the rejected one (a time that is no time) is stored once, with its own values, not with
    # its neighbours'.
    con = make_db(LEVER_SETTINGS)
    opportunities = [{"id": "o1", "contact": "c1", "origin": "sourced", "createdAt": 1777593600000,
                      "applications": ["a1"],
                      "stageChanges": [{"toStageId": "s1", "updatedAt": 1777593600000},
                                       {"toStageId": "s2", "updatedAt": "not a time"},
                                       {"toStageId": "s1", "updatedAt": 1777766400000}]}]
    folder = tmp_path / "lever"
    write_tables(folder, {
        "opportunities.json": json.dumps(opportunities),
        "applications.json": json.dumps([{"id": "a1", "opportunityId": "o1", "posting": "p1"}]),
        "stages.json": json.dumps([{"id": "s1", "text": "Phone Screen"}, {"id": "s2", "text": "Onsite"}]),
        "postings.json": json.dumps([{"id": "p1", "text": "Engineer", "categories": {"department": "Eng"},
                                      "state": "published", "createdAt": 1777593600000}]),
    })
    reports = ingest(con, [folder], client="Acme")
    assert not [r.error for r in reports if r.error]
    rejected = con.execute("SELECT \"row\", \"column\", raw FROM rejected_rows").fetchall()
    assert len(rejected) == 1
    row, column, raw = rejected[0]
    assert (row, column) == (1, "entered_at")
    assert json.loads(raw)["entered_at"] == "not a time"
    assert json.loads(raw)["stage"] == "Onsite"
    assert con.execute("SELECT count(*) FROM stage_events").fetchone()[0] == 2
