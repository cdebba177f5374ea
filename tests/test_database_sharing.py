"""Loading while the dashboard is open, and loads that fail or are killed part-way."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

import store
from loaders.ingest import ingest
from loaders.settings import parse_settings, save_client
from metrics import Filters, summary

# Every test here runs the command line or a second process against one database file.
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
TOML = 'name = "Initech"\ntimezone = "UTC"\n'
AS_OF = dt.date(2026, 3, 31)


def _db_with_one_client(tmp_path) -> Path:
    db = tmp_path / "shared.duckdb"
    (tmp_path / "initech.toml").write_text(TOML)
    data = tmp_path / "first"
    data.mkdir()
    (data / "requisitions.csv").write_text(textwrap.dedent("""\
        requisition_id,department,opened_at
        R1,Eng,2026-03-02
        R2,Ops,2026-03-03
    """))
    (data / "applications.csv").write_text("application_id,requisition_id\nA1,R1\nA2,R2\n")
    (data / "stage_events.csv").write_text(textwrap.dedent("""\
        application_id,stage,entered_at
        A1,submitted,2026-03-05T10:00:00Z
        A1,interviewed,2026-03-09T10:00:00Z
        A2,submitted,2026-03-06T10:00:00Z
    """))
    con = store.connect(db)
    save_client(con, parse_settings(TOML))
    reports = ingest(con, [data], client="Initech")
    assert not any(r.error or r.rows_rejected for r in reports)
    con.close()
    return db


def _state(db) -> tuple:
    """Everything a user would see: row counts of every table and the summary."""
    with store.connection(db, read_only=True) as con:
        counts = tuple(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                       for t in ("requisitions", "applications", "stage_events", "commitments",
                                 "rejected_rows", "files"))
        return counts, summary(con, Filters("Initech", as_of=AS_OF))


def _cli(*args, db, timeout=120):
    return subprocess.run([sys.executable, "-m", *args, "--db", str(db)] if args[0] == "metrics" else
                          [sys.executable, "-m", args[0], "--db", str(db), *args[1:]],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_ingest_waits_while_another_process_holds_the_database_then_succeeds(tmp_path):
    db = _db_with_one_client(tmp_path)
    more = tmp_path / "more"
    more.mkdir()
    (more / "requisitions.csv").write_text("requisition_id,department,opened_at\nR3,Eng,2026-03-10\n")
    # The other process holds the file until the loader has said it waits (a fixed hold could end
    # before a slow machine has even started the loader).
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys\n"
         "con = duckdb.connect(sys.argv[1], read_only=True)\nprint('open', flush=True)\nsys.stdin.readline()\n",
         str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "open"
    loader = subprocess.Popen([sys.executable, "-m", "loaders", "--db", str(db), "ingest", str(more), "--client",
                               "Initech"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = loader.stderr.readline()      # blocks until the loader says something: that it waits
    holder.communicate("done\n", timeout=30)
    out, err = loader.communicate(timeout=120)
    err = first + err
    assert loader.returncode == 0, err
    assert "database busy" in err and "retrying" in err
    assert "read 1, loaded 1, rejected 0" in out
    assert _state(db)[0][0] == 3


def test_load_killed_part_way_leaves_the_database_as_it_was(tmp_path):
    db = _db_with_one_client(tmp_path)
    before = _state(db)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "requisitions"
    ws.append(["requisition_id", "department", "opened_at"])
    ws.append(["R9", "Eng", "2026-03-20"])
    ws2 = wb.create_sheet("stage_events")
    ws2.append(["application_id", "stage", "entered_at"])
    ws2.append(["A1", "offered", "2026-03-21T10:00:00Z"])
    book = tmp_path / "update.xlsx"
    wb.save(book)
    # Kill the loader (SIGKILL: no cleanup at all) after the first sheet is stored, mid-transaction.
    script = textwrap.dedent(f"""
        import os, signal
        import store, loaders.ingest as ing
        original = ing.store_table
        def store_then_die(con, **kw):
            original(con, **kw)
            os.kill(os.getpid(), signal.SIGKILL)
        ing.store_table = store_then_die
        con = store.connect({str(db)!r})
        ing.ingest(con, [{str(book)!r}], client="Initech")
    """)
    killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9
    assert _state(db) == before
    # ...and the same file then loads completely.
    result = _cli("loaders", "ingest", str(book), "--client", "Initech", db=db)
    assert result.returncode == 0, result.stderr
    counts, s = _state(db)
    assert counts[0] == before[0][0] + 1
    assert s["interview_conversion"]["offered"] == 1


def test_file_that_fails_to_load_changes_nothing_and_exits_1(tmp_path):
    db = _db_with_one_client(tmp_path)
    before = _state(db)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "requisitions.csv").write_text("requisition_id,opened_at\nR5,2026-03-01\n")  # no department column
    result = _cli("loaders", "ingest", str(bad), "--client", "Initech", db=db)
    assert result.returncode == 1
    assert "requisitions.csv" in result.stdout and "department" in result.stdout
    assert _state(db) == before


def test_open_dashboard_shows_new_data_on_next_rerun(tmp_path, monkeypatch):
    db = _db_with_one_client(tmp_path)
    monkeypatch.setenv("RECRUITING_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update({"as_of": "2026-03-31", "period": "All time"})
    at.run()
    assert not at.exception
    assert at.selectbox(key="client").options == ["Initech"]
    (tmp_path / "umbrella.toml").write_text('name = "Umbrella"\n')
    result = _cli("loaders", "client", str(tmp_path / "umbrella.toml"), db=db)
    assert result.returncode == 0, result.stderr
    at.run()
    assert at.selectbox(key="client").options == ["Initech", "Umbrella"]


def test_dashboard_says_the_database_is_busy_while_a_load_holds_it(tmp_path, monkeypatch):
    db = _db_with_one_client(tmp_path)
    monkeypatch.setenv("RECRUITING_DB", str(db))
    monkeypatch.setattr(store, "connect", _always_busy)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "being updated by a load" in " ".join(w.value for w in at.warning)


def _always_busy(*args, **kwargs):
    raise store.DatabaseBusy("database is busy")
