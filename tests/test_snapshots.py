"""Many viewers at once: writers publish immutable snapshots, the dashboard's readers keep a
connection to the newest one, and neither waits for the other (issue 17)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import store
from access import Scope
from metrics import Filters, Report

ROOT = Path(__file__).resolve().parent.parent


def _db(tmp_path, *keys) -> Path:
    """A database with a row in `meta` per key, written (and published) through a write connection."""
    db = tmp_path / "store.duckdb"
    with store.connection(db) as con:
        for key in keys:
            con.execute("INSERT INTO meta VALUES (?, 'x')", [key])
    return db


def _keys(con) -> list[str]:
    return [k for (k,) in con.execute("SELECT key FROM meta ORDER BY key").fetchall()]


def _insert(db, key) -> None:
    with store.connection(db) as con:
        con.execute("INSERT INTO meta VALUES (?, 'x')", [key])


class Process:
    """Another Python process running `script` (with `db` its database), told what to do a line at a time."""

    def __init__(self, script: str, db: Path):
        self.proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), str(db)], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def said(self) -> str:
        return self.proc.stdout.readline().strip()

    def tell(self, line: str) -> str:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.said()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


# A dashboard's reader in another process: a cursor on the current snapshot, kept open; "old" reads
# through it again, "next" reads through a new cursor (the dashboard's next rerun).
READER = """
    import sys, store
    db = sys.argv[1]
    keys = lambda con: ",".join(k for (k,) in con.execute("SELECT key FROM meta ORDER BY key").fetchall())
    with store.reading(db) as held:
        print(keys(held), flush=True)
        for line in sys.stdin:
            if line.strip() == "old":
                print(keys(held), flush=True)
            else:
                with store.reading(db) as con:
                    print(keys(con), flush=True)
"""


@pytest.mark.slow
def test_a_writer_commits_without_waiting_while_another_process_reads_the_current_snapshot(tmp_path):
    db = _db(tmp_path, "a")
    reader = Process(READER, db)
    try:
        assert reader.said() == "a"
        t0 = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", textwrap.dedent("""
            import sys, store
            with store.connection(sys.argv[1], wait_seconds=5) as con:
                con.execute("INSERT INTO meta VALUES ('b', 'x')")
        """), str(db)], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "database busy" not in result.stderr
        assert time.perf_counter() - t0 < 5
        assert reader.tell("old") == "a"      # the open cursor keeps reading the snapshot it began with
        assert reader.tell("next") == "a,b"   # the next read is on the writer's snapshot
    finally:
        reader.close()


def test_the_next_read_after_a_write_sees_it_and_a_cursor_already_open_does_not(tmp_path):
    db = _db(tmp_path, "a")
    with store.reading(db) as before:
        _insert(db, "b")
        with store.reading(db) as after:
            assert _keys(after) == ["a", "b"]
        assert _keys(before) == ["a"]
    # The older snapshot's connection closed with its last cursor; the newest one stays open.
    assert [r.file for r in store._readers.values() if r.db == db] == [store.published(db).file]


@pytest.mark.slow
def test_a_write_committed_but_not_published_is_published_by_the_next_reader(tmp_path):
    db = _db(tmp_path, "a")
    first = store.published(db)
    # A writer killed after its commit, before it could publish: its rows are in the write-ahead log.
    killed = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import os, signal, sys, store
        con = store.connect(sys.argv[1])
        con.execute("INSERT INTO meta VALUES ('b', 'x')")
        os.kill(os.getpid(), signal.SIGKILL)
    """), str(db)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert killed.returncode == -9
    assert store.published(db) != first
    with store.reading(db) as con:
        assert _keys(con) == ["a", "b"]


@pytest.mark.slow
def test_while_a_writer_holds_an_unpublished_write_readers_get_the_last_snapshot_at_once(tmp_path):
    db = _db(tmp_path, "a")
    writer = Process("""
        import sys, store
        with store.connection(sys.argv[1]) as con:
            con.execute("INSERT INTO meta VALUES ('b', 'x')")
            con.execute("CHECKPOINT")
            print("committed", flush=True)
            sys.stdin.readline()
        print("published", flush=True)
    """, db)
    try:
        assert writer.said() == "committed"
        t0 = time.perf_counter()
        with store.reading(db) as con:
            assert _keys(con) == ["a"]
        assert time.perf_counter() - t0 < 2
        assert writer.tell("go") == "published"
        with store.reading(db) as con:
            assert _keys(con) == ["a", "b"]
    finally:
        writer.close()


def test_pruning_keeps_the_newest_snapshots_and_the_one_this_process_reads(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "SNAPSHOT_GRACE_S", 0.0)
    db = _db(tmp_path, "a")
    folder = store.snapshots_dir(db)
    with store.reading(db) as held:
        kept = store.published(db).file
        for key in "bcdefg":
            _insert(db, key)
        names = sorted(p.name for p in folder.glob("*.duckdb"))
        assert kept.name in names
        assert names[-store.SNAPSHOTS_KEPT:] == [f"{n:010d}.duckdb" for n in range(5, 8)]
        assert len(names) == store.SNAPSHOTS_KEPT + 1
        assert _keys(held) == ["a"]
    _insert(db, "h")   # the reader let go of it: the next publish prunes it
    assert sorted(p.name for p in folder.glob("*.duckdb")) == [f"{n:010d}.duckdb" for n in range(6, 9)]


def test_pruning_keeps_a_snapshot_replaced_a_moment_ago(tmp_path):
    db = _db(tmp_path, "a")
    for key in "bcdef":
        _insert(db, key)
    assert len(list(store.snapshots_dir(db).glob("*.duckdb"))) == 6


@pytest.mark.slow
def test_a_snapshot_pruned_while_another_process_reads_it_stays_readable_there(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "SNAPSHOT_GRACE_S", 0.0)
    db = _db(tmp_path, "a")
    first = store.published(db).file
    reader = Process(READER, db)
    try:
        assert reader.said() == "a"
        for key in "bcdef":
            _insert(db, key)
        assert not first.exists()
        assert reader.tell("old") == "a"
        assert reader.tell("next") == "a,b,c,d,e,f"
    finally:
        reader.close()


def test_two_sessions_with_different_scopes_at_once_never_see_each_others_clients(sample_db):
    scopes = {"Acme Corp": Scope("a@x.example", roles=(("Acme Corp", "viewer"),)),
              "Globex UK": Scope("g@x.example", roles=(("Globex UK", "csm"),))}
    both_open = threading.Barrier(len(scopes))
    seen, errors = {}, []

    def session(client, scope):
        try:
            with store.reading(sample_db, scope) as con:
                both_open.wait(timeout=30)   # both cursors are open on the one shared connection now
                seen[client] = set()
                for _ in range(20):
                    for table in ("clients", "requisitions", "applications", "stage_events", "files"):
                        seen[client] |= {c for (c,) in con.execute(f"SELECT DISTINCT client FROM {table}").fetchall()}
                report = Report(con, Filters(client))   # its temp tables are this cursor's
                try:
                    seen[client].add(report.filters.client)
                    report.kpis(compare=False)
                finally:
                    report.close()
                both_open.wait(timeout=30)
        except Exception as exc:  # noqa: BLE001 - reported by the test's thread
            errors.append(exc)
    threads = [threading.Thread(target=session, args=item) for item in scopes.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert seen == {"Acme Corp": {"Acme Corp"}, "Globex UK": {"Globex UK"}}
    # The shared connection itself was never restricted: an unscoped reader sees every client.
    with store.reading(sample_db) as con:
        assert len(con.execute("SELECT client FROM clients").fetchall()) == 3


def test_a_database_never_published_is_published_by_its_first_reader(tmp_path):
    db = tmp_path / "old.duckdb"
    con = store.connect(db)                 # a writer of before snapshots: nothing is published
    con.execute("INSERT INTO meta VALUES ('a', 'x')")
    con.close()
    assert not store.snapshots_dir(db).exists()
    with store.reading(db) as con:
        assert _keys(con) == ["a"]
    assert store.published(db).file.exists()


def test_readers_arriving_together_at_a_database_never_published_all_read_it(tmp_path):
    db = tmp_path / "old.duckdb"
    con = store.connect(db)
    con.execute("INSERT INTO meta VALUES ('a', 'x')")
    con.close()
    seen, errors = [], []

    def session():
        try:
            with store.reading(db) as con:
                seen.append(_keys(con))
        except Exception as exc:  # noqa: BLE001 - reported by the test's thread
            errors.append(exc)
    threads = [threading.Thread(target=session) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert seen == [["a"]] * 10
    assert [p.name for p in store.snapshots_dir(db).glob("*.duckdb")] == ["0000000001.duckdb"]


def test_a_damaged_database_never_published_is_named_to_its_reader(tmp_path):
    db = tmp_path / "damaged.duckdb"
    db.write_bytes(b"not a database, just bytes " * 400)
    with pytest.raises(store.DamagedDatabase, match="damaged.duckdb is damaged"):
        with store.reading(db):
            pass


def test_the_pointer_is_replaced_whole(tmp_path):
    db = _db(tmp_path, "a")
    folder = store.snapshots_dir(db)
    assert sorted(p.name for p in folder.iterdir()) == ["0000000001.duckdb", store.POINTER]
    _insert(db, "b")
    assert not list(folder.glob(".*")), "no temporary file is left behind"
    assert store.published(db).file.name == "0000000002.duckdb"
    assert os.path.getsize(store.published(db).file) == os.path.getsize(db)


@pytest.mark.slow
def test_the_dashboard_shows_the_last_snapshot_while_a_load_holds_the_database_then_the_new_data(sample_db_copy):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    assert not at.exception
    before = at.selectbox(key="client").options
    # A load in another process: it has committed a new client and still holds the database.
    writer = Process("""
        import sys, store
        from loaders.settings import parse_settings, save_client
        with store.connection(sys.argv[1]) as con:
            save_client(con, parse_settings('name = "Umbrella"\\ntimezone = "UTC"\\n'))
            con.execute("CHECKPOINT")
            print("committed", flush=True)
            sys.stdin.readline()
        print("published", flush=True)
    """, sample_db_copy)
    try:
        assert writer.said() == "committed"
        t0 = time.perf_counter()
        at.run()
        assert time.perf_counter() - t0 < 30
        assert not at.exception and not at.warning, [w.value for w in at.warning]
        assert at.selectbox(key="client").options == before
        assert writer.tell("go") == "published"
    finally:
        writer.close()
    at.run()
    assert at.selectbox(key="client").options == sorted(before + ["Umbrella"])


def test_readers_follow_the_pointer_even_when_the_snapshots_folder_was_removed(tmp_path):
    import shutil
    db = _db(tmp_path, "a")
    for key in "bc":
        _insert(db, key)
    with store.reading(db) as con:
        assert store.published(db).file.name == "0000000003.duckdb" and _keys(con) == ["a", "b", "c"]
    shutil.rmtree(store.snapshots_dir(db))   # to free the disk, say: numbering starts again
    _insert(db, "d")
    with store.reading(db) as con:
        assert store.published(db).file.name == "0000000001.duckdb" and _keys(con) == ["a", "b", "c", "d"]
    assert [r.file.name for r in store._readers.values() if r.db == db] == ["0000000001.duckdb"]
