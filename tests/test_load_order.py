"""Loading the same files again, and the order of a run's files: rows that were rejected because
something they need was missing (their client, the job order or submission they point at) load once
it is there, and a run loads the files others point at first, whatever the files are called."""
from __future__ import annotations

import json

from loaders.ingest import ingest
from loaders.settings import parse_settings, save_client

from conftest import write_tables

REQS = """
    client,requisition_id,department,opened_at
    Acme,R1,Eng,2026-05-01
    Globex,G1,Eng,2026-05-02
"""


def test_a_file_whose_rows_were_rejected_loads_again_once_they_can_load(make_db, tmp_path):
    con = make_db('name = "Acme"\n')
    (path,) = write_tables(tmp_path / "export", {"requisitions": REQS})
    (first,) = ingest(con, [path])
    assert (first.rows_loaded, first.rows_rejected) == (1, 1)
    assert "unknown client 'Globex'" in first.rejected_sample[0][2]
    # The client is created, as the rejection says; the same file loaded again now loads that row.
    save_client(con, parse_settings('name = "Globex"\n'))
    # Meanwhile a newer export changed R1: loading the older file again must not take that back.
    ingest(con, write_tables(tmp_path / "newer", {"requisitions": "client,requisition_id,department,opened_at\n"
                                                                  "Acme,R1,Sales,2026-05-01\n"}))
    (second,) = ingest(con, [path])
    assert second.skipped is None
    assert (second.rows_read, second.rows_loaded, second.rows_rejected) == (1, 1, 0)   # the rejected row only
    assert any(n.startswith("loaded before, when 1 of its rows was rejected: that row was read again")
               for n in second.notes)
    assert con.execute("SELECT department FROM requisitions WHERE requisition_id = 'R1'").fetchone() == ("Sales",)
    assert con.execute("SELECT client, requisition_id FROM requisitions ORDER BY 1").fetchall() == [
        ("Acme", "R1"), ("Globex", "G1")]
    assert con.execute("SELECT count(*) FROM rejected_rows").fetchone()[0] == 0   # the earlier rejection gave way
    # A file that loaded whole is not loaded again.
    (third,) = ingest(con, [path])
    assert third.skipped == "already loaded (same sha256): nothing changed"


def test_a_file_loaded_again_with_the_same_rejections_keeps_one_record_of_them(make_db, tmp_path):
    con = make_db('name = "Acme"\n')
    (path,) = write_tables(tmp_path / "export", {"requisitions": REQS})
    ingest(con, [path])
    ingest(con, [path])
    assert con.execute("SELECT count(*), min(reason) FROM rejected_rows").fetchone() == (
        1, "unknown client 'Globex'; create it first with: python -m loaders client SETTINGS.toml")
    assert con.execute("SELECT count(*) FROM requisitions").fetchone()[0] == 1


STAGES = '[stages]\n"Client Submission" = "submitted"\n'


def test_the_files_of_a_run_load_what_others_point_at_first_whatever_they_are_called(make_db, tmp_path):
    # Bullhorn appointments name no client corporation: each is the client of the submission it is for.
    # Appointment.json sorts before JobSubmission.json; loaded in that order, every interview was
    # rejected as pointing at a submission "not loaded before", although it was in the same run.
    con = make_db('name = "Acme"\nats_companies = ["501"]\n' + STAGES)
    save_client(con, parse_settings('name = "Globex"\nats_companies = ["502"]\n' + STAGES))
    orders = [{"id": f"JO-{c}", "title": "Eng", "numOpenings": 1, "dateAdded": 1777647600000,
               "clientCorporation": {"id": c, "name": f"Corp{c}"}} for c in (501, 502)]
    ingest(con, write_tables(tmp_path / "orders", {"JobOrder.json": json.dumps({"data": orders})}))
    submissions = [{"id": f"S{c}", "candidate": {"id": c}, "jobOrder": {"id": f"JO-{c}"},
                    "dateAdded": 1777838400000} for c in (501, 502)]
    interviews = [{"id": c, "type": "Interview", "dateBegin": 1778000000000, "jobOrder": {"id": f"JO-{c}"},
                   "candidateReference": {"id": c}} for c in (501, 502)]
    write_tables(tmp_path / "run", {"Appointment.json": json.dumps({"data": interviews}),
                                    "JobSubmission.json": json.dumps({"data": submissions})})
    reports = ingest(con, [tmp_path / "run"])
    assert [r.file for r in reports] == ["run/JobSubmission.json", "run/Appointment.json"]
    assert [r.rows_rejected for r in reports] == [0, 0]
    assert con.execute("SELECT client, application_id, stage FROM stage_events ORDER BY 1").fetchall() == [
        ("Acme", "S501", "interviewed"), ("Globex", "S502", "interviewed")]


def test_a_row_rejected_as_a_repeat_in_its_file_stays_rejected_when_the_file_is_loaded_again(make_db, tmp_path):
    # Read alone, the repeated row would have nothing to repeat and would load over the first.
    con = make_db('name = "Acme"\n')
    (path,) = write_tables(tmp_path / "export", {"requisitions": """
        client,requisition_id,department,opened_at
        Acme,R1,Eng,2026-05-01
        Acme,R1,Sales,2026-05-03
        Globex,G1,Eng,2026-05-02
    """})
    (first,) = ingest(con, [path])
    assert (first.rows_loaded, first.rows_rejected) == (1, 2)
    save_client(con, parse_settings('name = "Globex"\n'))
    (second,) = ingest(con, [path])
    assert (second.rows_read, second.rows_loaded, second.rows_rejected) == (1, 1, 0)   # Globex's row only
    assert con.execute("SELECT requisition_id, department FROM requisitions ORDER BY 1").fetchall() == [
        ("G1", "Eng"), ("R1", "Eng")]
    assert con.execute('SELECT "row", reason FROM rejected_rows').fetchall() == [
        (3, "duplicate requisition_id in this file; row 2 holds the same and was kept")]
    assert con.execute("SELECT rows_read, rows_loaded, rows_rejected FROM files").fetchall() == [(3, 2, 1)]
    (third,) = ingest(con, [path])
    assert third.skipped == "already loaded (same sha256): nothing changed"
