"""A load run as the command line and the Upload page see it: a run stores all its files or none
when it cannot go on (a full disk), a file from which no row could be loaded fails the command, and
rows of a client outside the uploader's scope read exactly as rows of a client that does not exist."""
from __future__ import annotations

import datetime as dt

import duckdb
import openpyxl
import pytest

import store
from loaders import __main__ as cli
from loaders import checks
from loaders import ingest as ingest_module
from loaders.ingest import LoadError, ingest, ingest_file
from loaders.settings import parse_settings, save_client

from conftest import write_tables

REQS = "client,requisition_id,department,opened_at\nAcme,R1,Eng,2026-05-01\nAcme,R2,Eng,2026-05-02\n"
APPS = "client,application_id,requisition_id,applied_at\nAcme,A1,R1,2026-05-03\n"


@pytest.fixture
def db(tmp_path):
    """A database file with the clients Acme and Globex."""
    path = tmp_path / "db.duckdb"
    with store.connection(path) as con:
        for name in ("Acme", "Globex"):
            save_client(con, parse_settings(f'name = "{name}"\ntimezone = "UTC"\n'))
    return path


def count(db, table: str) -> int:
    with store.connection(db, read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# -- a full disk -------------------------------------------------------------------------------------

def test_a_full_disk_stores_nothing_of_the_run_and_says_so_in_one_line(db, tmp_path, monkeypatch, capsys):
    # Before: two chained tracebacks, and the files loaded before the full disk stayed committed.
    folder = tmp_path / "export"
    write_tables(folder, {"applications": APPS, "requisitions": REQS})
    upserts = []
    real = checks._upsert

    def upsert(con, kind, file_id):
        upserts.append(kind)
        if len(upserts) == 2:   # the second file
            raise duckdb.IOException('IO Error: Could not write file "db.duckdb.wal": No space left on device')
        return real(con, kind, file_id)
    monkeypatch.setattr(checks, "_upsert", upsert)
    assert cli.main(["--db", str(db), "ingest", str(folder), "--quiet"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith("error: no space left on device while loading") and "applications.csv" in line, line
    assert "nothing of this load was stored" in line and "Free some disk space" in line, line
    assert upserts == ["requisitions", "applications"]   # (a run loads requisitions first)
    assert (count(db, "applications"), count(db, "requisitions"), count(db, "files")) == (0, 0, 0)


def test_a_full_disk_while_committing_stores_nothing_either(db, tmp_path):
    paths = write_tables(tmp_path / "export", {"requisitions": REQS})

    class FullDisk:   # the connection, failing at COMMIT
        def __init__(self, con):
            self.con = con

        def execute(self, sql, *args):
            if sql == "COMMIT":
                raise duckdb.IOException("IO Error: No space left on device")
            return self.con.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self.con, name)
    with store.connection(db) as con:
        with pytest.raises(LoadError, match="no space left on device while storing the files: nothing of this load"):
            ingest(FullDisk(con), paths)
    assert count(db, "requisitions") == 0


def _workbook_failing_on_its_second_sheet(path):
    wb = openpyxl.Workbook()
    wb.active.title = "requisitions"
    wb.active.append(["client", "requisition_id", "department", "opened_at"])
    wb.active.append(["Acme", "R9", "Eng", dt.date(2026, 5, 1)])
    commitments = wb.create_sheet("commitments")
    commitments.append(["client", "commitment_id", "requisition_id", "delivered_on"])   # no due_date
    commitments.append(["Acme", "C9", "R9", dt.date(2026, 5, 3)])
    wb.save(path)


@pytest.mark.parametrize("failure", ["a workbook whose second sheet cannot be loaded", "a database error"])
def test_a_file_failing_midway_leaves_nothing_of_itself_and_the_other_files_load(db, tmp_path, monkeypatch, failure):
    # DuckDB has no savepoints: the run starts again without the failing file.
    folder = tmp_path / "export"
    write_tables(folder, {"a_requisitions.csv": REQS, "c_applications.csv": APPS})
    if failure.startswith("a workbook"):
        _workbook_failing_on_its_second_sheet(folder / "b_tracker.xlsx")
    else:
        write_tables(folder, {"b_requisitions.csv": REQS.replace("R1", "R7").replace("R2", "R8")})
        real = ingest_module.store_table

        def store_table(con, **kw):
            real(con, **kw)
            if kw["report"].path.endswith("b_requisitions.csv"):
                con.execute("SELECT 'not a number'::INTEGER")
        monkeypatch.setattr(ingest_module, "store_table", store_table)
    with store.connection(db) as con:
        reports = ingest(con, [folder])
        assert [r.file for r in reports if r.error] == [f"export/{'b_tracker.xlsx' if 'workbook' in failure else 'b_requisitions.csv'}"]
        assert sorted(r[0] for r in con.execute("SELECT requisition_id FROM requisitions").fetchall()) == ["R1", "R2"]
        assert con.execute("SELECT count(*) FROM applications").fetchone()[0] == 1
        assert sorted(r[0] for r in con.execute("SELECT name FROM files").fetchall()) == ["a_requisitions.csv",
                                                                                         "c_applications.csv"]


# -- a file from which nothing could be loaded --------------------------------------------------------

def test_a_file_whose_every_row_is_rejected_fails_the_command_line_load(db, tmp_path, capsys):
    (path,) = write_tables(tmp_path / "export", {"requisitions": REQS.replace("Acme", "Initech")})
    assert cli.main(["--db", str(db), "ingest", str(path), "--quiet"]) == 1
    out, err = capsys.readouterr()
    assert "export/requisitions.csv: requisitions: read 2, loaded 0, rejected 2" in out
    assert "unknown client 'Initech'" in out
    assert err.startswith("error: no row could be loaded from export/requisitions.csv (2 rows)"), err
    # Loading the identical file again reads it again (its rows may load now) and, while they still
    # cannot, fails the same way; once the client exists it loads, and a third time is a no-op.
    assert cli.main(["--db", str(db), "ingest", str(path), "--quiet"]) == 1
    out, err = capsys.readouterr()
    assert "loaded before, when 2 of its rows were rejected: those rows were read again" in out
    assert err.startswith("error: no row could be loaded from export/requisitions.csv (2 rows)"), err
    with store.connection(db) as con:
        save_client(con, parse_settings('name = "Initech"\n'))
    assert cli.main(["--db", str(db), "ingest", str(path), "--quiet"]) == 0
    assert "read 2, loaded 2, rejected 0" in capsys.readouterr().out
    assert cli.main(["--db", str(db), "ingest", str(path), "--quiet"]) == 0
    assert "skipped: already loaded" in capsys.readouterr().out


def test_a_file_with_some_rows_loaded_does_not_fail_the_command_line_load(db, tmp_path, capsys):
    (path,) = write_tables(tmp_path / "export", {"requisitions": REQS.replace("Acme,R2", "Initech,R2")})
    assert cli.main(["--db", str(db), "ingest", str(path), "--quiet"]) == 0
    assert "read 2, loaded 1, rejected 1" in capsys.readouterr().out


# -- the uploader's scope -------------------------------------------------------------------------------

def test_rows_of_a_client_outside_the_scope_are_rejected_as_a_client_that_does_not_exist(db, tmp_path):
    (path,) = write_tables(tmp_path / "export", {"requisitions": "client,requisition_id,department,opened_at\n"
                                                 "Acme,R1,Eng,2026-05-01\nGlobex,G1,Eng,2026-05-01\n"
                                                 "Initech,I1,Eng,2026-05-01\n"})
    with store.connection(db) as con:
        (rep,) = ingest(con, [path], allowed_clients={"Acme"})
        assert (rep.rows_loaded, rep.rows_rejected, rep.clients) == (1, 2, ["Acme"])
        reasons = {row: (col, why) for row, col, why in rep.rejected_sample}
        assert reasons[3] == ("client", "unknown client 'Globex'; create it first with: python -m loaders client "
                                        "SETTINGS.toml")
        assert reasons[4] == (reasons[3][0], reasons[3][1].replace("Globex", "Initech"))
        assert con.execute("SELECT count(*) FROM requisitions WHERE client = 'Globex'").fetchone()[0] == 0
        # Without a scope (the command line) every known client's rows load.
        (rep,) = ingest(con, [write_tables(tmp_path / "again", {"requisitions.csv": path.read_text()
                                                                 + "Globex,G2,Eng,2026-05-02\n"})[0]])
        assert (rep.rows_loaded, rep.clients) == (3, ["Acme", "Globex"])


def test_a_client_outside_the_scope_named_for_the_file_is_an_unknown_client(db, tmp_path):
    (path,) = write_tables(tmp_path / "export", {"requisitions": "requisition_id,department,opened_at\n"
                                                                 "R1,Eng,2026-05-01\n"})
    with store.connection(db) as con:
        messages = []
        for client in ("Globex", "Initech"):
            with pytest.raises(LoadError) as exc:
                ingest_file(con, path, client=client, allowed_clients={"Acme"})
            messages.append(str(exc.value).replace(client, "X"))
        assert messages[0] == messages[1] and "unknown client 'X'" in messages[0]
        assert "Acme" not in messages[0]
        # A vendor's client corporation naming an out-of-scope client reads as a company that is no client:
        # its rows are rejected (never merged into --client), with the same words as for an unknown one.
        outcomes = []
        for other in ("Globex", "Initech"):
            (vendor,) = write_tables(tmp_path / other, {"requisitions": "client_corporation,requisition_id,department,"
                                                        f"opened_at\n{other},R1,Eng,2026-05-01\n"})
            (rep,) = ingest(con, [vendor], client="Acme", allowed_clients={"Acme"})
            outcomes.append((rep.error, rep.rows_loaded, [n.replace(other, "X") for n in rep.notes],
                             [(row, col, why.replace(other, "X")) for row, col, why in rep.rejected_sample]))
        assert outcomes[0] == outcomes[1]
        assert outcomes[0][:2] == (None, 0)
        assert outcomes[0][3] == [(2, "client_corporation", "client corporation 'X' is no client here: name it in its "
                                   "client's `ats_companies` setting (if it is none of yours, leave it out); its rows "
                                   "are not loaded")]
        assert con.execute("SELECT count(*) FROM requisitions WHERE client = 'Acme'").fetchone()[0] == 0
