"""The canonical DuckDB store: schema, connections, the data version, and the snapshots readers read.

Every loader writes these tables and every metric reads them. Times are stored twice: the UTC
instant (`*_at`, a naive TIMESTAMP in UTC) and the client's local calendar date (`*_on`), which
the loader derives once from the client's time zone. Metrics count days on the local dates.

DuckDB lets a process write a database file only while no other process has it open, even
read-only. So readers that stay (the dashboard) never open the database file that writers write:
every writer, once its work has committed and while it still holds the file, publishes an immutable
copy of it (`publish`: a snapshot in `<name>.snapshots/` beside the file, named by a pointer file
there), and readers keep one read-only connection per snapshot open, each query on a cursor of its
own (`reading`), moving to the newest snapshot on their next read. So a reader never waits for a
writer, a writer never waits for a reader, and DuckDB's cache stays warm between queries. Writers
still wait for each other (`connect` retries with a "database busy" message), and the command line's
readers open the database file itself, briefly, as before.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from access import Scope

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "recruiting.duckdb"

# Canonical stages in order; `rejected` and `withdrawn` are terminal outcomes, not stages reached.
STAGES = ("applied", "screened", "submitted", "interviewed", "offered", "hired")
OUTCOMES = ("rejected", "withdrawn")
# SQL: the rank of a stage event's canonical `stage` (1 = applied .. 6 = hired); NULL for
# rejected, withdrawn and unmapped events, which never count as reaching a stage.
STAGE_RANK_SQL = "CASE stage " + " ".join(f"WHEN '{s}' THEN {i + 1}" for i, s in enumerate(STAGES)) + " END"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS clients (
    client VARCHAR PRIMARY KEY,          -- display name, as in the settings file
    client_key VARCHAR UNIQUE,           -- lower(trim(name)): how files refer to it
    timezone VARCHAR NOT NULL,
    day_count VARCHAR NOT NULL,          -- 'calendar' | 'business'
    holidays DATE[] NOT NULL,
    date_order VARCHAR NOT NULL,         -- 'MDY' | 'DMY'
    sla_first_submittals INTEGER NOT NULL,
    sla_within_days INTEGER NOT NULL,
    targets JSON,
    settings_toml VARCHAR,
    updated_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS stage_dictionary (
    client VARCHAR, raw_key VARCHAR, raw_stage VARCHAR, stage VARCHAR
);
CREATE TABLE IF NOT EXISTS files (
    file_id INTEGER, client VARCHAR, path VARCHAR, name VARCHAR, sha256 VARCHAR, format VARCHAR,
    sheet VARCHAR, kind VARCHAR, rows_read INTEGER, rows_loaded INTEGER, rows_rejected INTEGER,
    dropped_columns VARCHAR[], loaded_at TIMESTAMP,
    clients VARCHAR[]                    -- the clients whose rows the file held
);
CREATE TABLE IF NOT EXISTS requisitions (
    client VARCHAR, requisition_id VARCHAR, title VARCHAR, department VARCHAR,
    hiring_manager VARCHAR, recruiter VARCHAR,
    opened_at TIMESTAMP, opened_on DATE, assigned_at TIMESTAMP, assigned_on DATE,
    closed_at TIMESTAMP, closed_on DATE, status VARCHAR, openings INTEGER,
    extra JSON, file_id INTEGER, source_row INTEGER
);
CREATE TABLE IF NOT EXISTS applications (
    client VARCHAR, application_id VARCHAR, requisition_id VARCHAR, candidate_id VARCHAR,
    source VARCHAR, applied_at TIMESTAMP, applied_on DATE, status VARCHAR,
    extra JSON, file_id INTEGER, source_row INTEGER
);
CREATE TABLE IF NOT EXISTS stage_events (
    client VARCHAR, application_id VARCHAR, raw_stage VARCHAR,
    stage VARCHAR,                       -- canonical stage or outcome; NULL = unmapped
    entered_at TIMESTAMP, entered_on DATE, exited_at TIMESTAMP, exited_on DATE,
    extra JSON, file_id INTEGER, source_row INTEGER
);
CREATE TABLE IF NOT EXISTS commitments (
    client VARCHAR, commitment_id VARCHAR, requisition_id VARCHAR, description VARCHAR,
    promised_count INTEGER, due_date DATE, revised_due_date DATE, revised_on DATE,
    delivered_on DATE, side VARCHAR, reason VARCHAR,
    extra JSON, file_id INTEGER, source_row INTEGER
);
-- Derived, never loaded: the dates on which each application's stage events say it was submitted,
-- interviewed, ... (each writer of stage events refreshes its clients': metrics.engine.refresh_facts),
-- and what that was computed from. A report reads them when they match the data, and works from the
-- events otherwise.
CREATE TABLE IF NOT EXISTS application_facts (
    client VARCHAR, application_id VARCHAR, requisition_id VARCHAR, candidate_id VARCHAR, source VARCHAR,
    status VARCHAR, known_req BOOLEAN, department VARCHAR, recruiter VARCHAR, hiring_manager VARCHAR,
    sub_at TIMESTAMP, sub_on DATE, interview_on DATE, offer_on DATE, hire_on DATE, end_on DATE, feedback_on DATE
);
CREATE TABLE IF NOT EXISTS facts_state (
    client VARCHAR, events BIGINT, applications BIGINT, requisitions BIGINT, built_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS rejected_rows (
    file_id INTEGER, client VARCHAR, file_name VARCHAR, sheet VARCHAR, kind VARCHAR,
    "row" INTEGER, "column" VARCHAR, reason VARCHAR, raw JSON
);
-- Scheduled deliveries (exports/schedules.py): what goes to whom, how often, and each send.
CREATE TABLE IF NOT EXISTS schedules (
    schedule_id INTEGER NOT NULL, client VARCHAR NOT NULL,
    what VARCHAR NOT NULL,               -- 'digest' | 'deck' (the digest with the review deck attached)
    view JSON NOT NULL,                  -- the filters: period, departments, recruiters, hiring_managers, compare
    recipients VARCHAR[] NOT NULL,       -- lower-cased e-mail addresses
    approved VARCHAR[] NOT NULL,         -- those outside the client's and the RPO's domains an admin approved
    frequency VARCHAR NOT NULL,          -- 'weekly' | 'biweekly' | 'monthly' | 'quarterly'
    weekday INTEGER,                     -- 0 = Monday .. 6 = Sunday (weekly, biweekly)
    day INTEGER,                         -- 1..31 (monthly, quarterly; a shorter month's last day)
    hour INTEGER NOT NULL,               -- the hour of sending, in the client's time zone
    created_by VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, paused BOOLEAN NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (  -- one row per schedule, occurrence and recipient
    schedule_id INTEGER NOT NULL, client VARCHAR NOT NULL,
    due_at TIMESTAMP NOT NULL,           -- the occurrence, UTC
    due_on DATE NOT NULL,                -- its local date in the client's time zone: a send is once per day
    period VARCHAR, recipient VARCHAR NOT NULL,
    status VARCHAR NOT NULL,             -- 'sending' | 'sent' | 'failed'
    answer VARCHAR,                      -- the mail server's answer to a failed send
    attempts INTEGER NOT NULL, run_id VARCHAR, updated_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS grants (
    who VARCHAR NOT NULL,                -- lower-cased e-mail address, or '@domain'
    role VARCHAR NOT NULL,               -- 'admin' | 'csm' | 'viewer'
    client VARCHAR,                      -- NULL for admin (every client)
    granted_by VARCHAR, granted_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS audit (      -- append-only: rows are inserted, never changed or deleted
    at_utc TIMESTAMP NOT NULL, "user" VARCHAR NOT NULL, action VARCHAR NOT NULL, client VARCHAR, detail JSON
);
"""

# The tables that hold one client's rows, and which of them a client's csm (not its viewer) may
# read: rejected rows keep raw file contents, schedules and deliveries people's addresses and the
# mail server's answers. grants and audit are for admins only.
CLIENT_TABLES = ("clients", "stage_dictionary", "files", "requisitions", "applications", "stage_events",
                 "commitments", "rejected_rows", "application_facts", "facts_state", "schedules", "deliveries")
CSM_TABLES = ("rejected_rows", "schedules", "deliveries")
ADMIN_TABLES = ("grants", "audit")

# The last marker: this process has the file open with the other read-only setting (a dashboard
# session reading while another saves an edit); it clears as soon as that connection closes.
LOCK_MARKERS = ("could not set lock", "conflicting lock", "resource temporarily unavailable",
                "different configuration")


class DatabaseBusy(RuntimeError):
    """Another process kept the database file locked for longer than we were willing to wait."""


class DamagedDatabase(RuntimeError):
    """The database file is not a DuckDB database, is cut short or is corrupt; the message names the
    file and what to do. Nothing was written to it."""


# DuckDB's words for a file it cannot read as a database, and ours for people.
DAMAGE_MARKERS = {"not a valid duckdb database file": "it is not a DuckDB database file",
                  "corrupt database file": "it is corrupt: a checksum does not match",
                  "could not read enough bytes": "it is cut short"}
# A DuckDB file starts with its main header, which holds the magic bytes at offset 8, and two database
# headers; its blocks follow.
MAGIC, MAGIC_AT, FILE_HEADERS = b"DUCK", 8, 3 * 4096


def default_db_path() -> Path:
    """The database the commands and the app use: `RECRUITING_DB`, else the project's default file."""
    env = os.environ.get("RECRUITING_DB")
    return Path(env) if env else DEFAULT_DB


def is_lock_error(exc: BaseException) -> bool:
    """True when DuckDB refused to open the file because another process holds it."""
    text = str(exc).lower()
    return any(marker in text for marker in LOCK_MARKERS)


def damage(exc: BaseException) -> str | None:
    """Why DuckDB could not read the file as a database (not one, cut short, corrupt), in words for
    people; None for any other error. A query can meet a corrupt block long after the file opened."""
    text = str(exc).lower()
    return next((why for marker, why in DAMAGE_MARKERS.items() if marker in text), None)


def damaged(path: Path, why: str) -> DamagedDatabase:
    """The error for a damaged database file, saying which file, why and what to do."""
    return DamagedDatabase(f"database {path} is damaged ({why}): restore it from a backup, or move it away "
                           "and load the data again; nothing was written to it.")


def _check_header(path: Path) -> None:
    """Refuse a file that is not a DuckDB database before DuckDB opens it: DuckDB would read some
    other formats (a SQLite file) as a database of theirs, and a writer would then write into it."""
    with open(path, "rb") as f:
        head = f.read(MAGIC_AT + len(MAGIC))
    # A shorter file (an empty one) DuckDB refuses itself, or finds locked while another process creates it.
    if len(head) == MAGIC_AT + len(MAGIC) and head[MAGIC_AT:] != MAGIC:
        raise damaged(path, "it is not a DuckDB database file")


def _check_size(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a file cut short. DuckDB opens one whose catalog survived and fails only when a query
    reaches a missing block. Every block in use lies within an intact file, so there are at least
    as many blocks' bytes as blocks in use (the free blocks at its end DuckDB may have cut off)."""
    block_size, used = con.execute("SELECT block_size, used_blocks FROM pragma_database_size() "
                                   "WHERE database_name = current_database()").fetchone()
    expected, size = FILE_HEADERS + used * block_size, path.stat().st_size
    if size < expected:
        con.close()
        raise damaged(path, f"it is cut short: {size:,} bytes, where its blocks in use need {expected:,}")


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=read_only)
    # Session time zone UTC: naive timestamps are UTC instants everywhere in this project.
    con.execute("SET TimeZone = 'UTC'")
    return con


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def restrict(con: duckdb.DuckDBPyConnection, scope: "Scope") -> None:
    """Let `con` see only the clients of `scope`: every client table is shadowed by a temporary
    view of the same name holding only those clients' rows, so each query on this connection,
    whoever wrote it, reads within the scope. A client outside it is indistinguishable from one
    that does not exist. (Only a catalog-qualified name, which no code here writes, reaches the
    stored table.)"""
    catalog = con.execute("SELECT current_database()").fetchone()[0]

    def where(clients):
        if clients is None:
            return "TRUE"
        return f"client IN ({', '.join(map(_lit, clients))})" if clients else "FALSE"
    for table in CLIENT_TABLES + ADMIN_TABLES:
        stored = f'"{catalog}".main.{table}'
        if table in ADMIN_TABLES:
            cond = "TRUE" if scope.admin else "FALSE"
        elif table in CSM_TABLES:
            cond = where(scope.editable)
        else:
            cond = where(scope.clients)
        # The dictionary's order is its rows' order (the first word names a stage on charts).
        rowid = "rowid AS rowid, " if table == "stage_dictionary" else ""
        select = f"SELECT {rowid}* FROM {stored} WHERE {cond}"
        if table == "files" and scope.clients is not None:
            # A file that held several clients' rows lists only the visible ones.
            keep = ", ".join(map(_lit, scope.clients)) or "NULL"
            select = (f"SELECT * REPLACE (list_filter(clients, lambda c: c IN ({keep})) AS clients) FROM {stored} "
                      f"WHERE {cond}")
        con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS {select}")


def connect(path: Path | str | None = None, *, read_only: bool = False, wait_seconds: float = 120.0,
            on_wait=None, scope: "Scope | None" = None) -> duckdb.DuckDBPyConnection:
    """Open the database, creating the schema when writing, retrying while another process holds it.

    `on_wait(message)` is called once when we start waiting (the command line prints
    "database busy, retrying"); the default prints to stderr. With a `scope` (an
    `access.Scope`), the connection reads only that user's clients (see `restrict`); a scoped
    connection is read-only: writes are checked by the access layer before they are made.
    """
    if scope is not None and not read_only:
        raise ValueError("a scoped connection is read-only")
    path = Path(path) if path else default_db_path()
    if read_only and not path.exists():
        raise FileNotFoundError(f"database {path} does not exist yet: load data first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    if existed:
        _check_header(path)
    deadline = time.monotonic() + wait_seconds
    told = False
    delay = 0.05
    while True:
        try:
            con = _open(path, read_only)
            break
        except duckdb.Error as exc:
            if why := damage(exc):
                raise damaged(path, why) from exc
            if not is_lock_error(exc):
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusy(
                    f"database {path} is busy: another process kept it open for {wait_seconds:.0f} s. "
                    "Close the other loader or try again.") from exc
            if not told:
                (on_wait or (lambda m: print(m, file=sys.stderr, flush=True)))(
                    f"database busy ({path.name} is open in another process), retrying...")
                told = True
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
    if existed:
        _check_size(con, path)   # before the schema: nothing is written into a damaged file
    if not read_only:
        con.execute(SCHEMA)
    elif scope is not None and not scope.admin:   # an admin reads every table as it is stored
        try:
            restrict(con, scope)
        except duckdb.CatalogException:
            # A database written before grants existed: it has no grants/audit tables yet.
            con.close()
            with connection(path, wait_seconds=wait_seconds, on_wait=on_wait):
                pass
            return connect(path, read_only=True, wait_seconds=wait_seconds, on_wait=on_wait, scope=scope)
    return con


@contextmanager
def transaction(con):
    """Everything inside commits together or not at all."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def connection(path: Path | str | None = None, *, read_only: bool = False, **kwargs):
    """`connect` as a context manager that always closes, so the file lock is held briefly. A write
    connection publishes what was committed through it (`publish`) before it closes, so the
    dashboard's readers see it; in this process, write connections to one file take turns."""
    if read_only:
        con = connect(path, read_only=True, **kwargs)
        try:
            yield con
        finally:
            con.close()
        return
    path = Path(path) if path else default_db_path()
    lock = _writer_lock(path)
    # Another thread of this process writing the file is waited for as another process would be.
    if not lock.acquire(timeout=kwargs.get("wait_seconds", 120.0)):
        raise DatabaseBusy(f"database {path} is busy: another write of this process kept it for "
                           f"{kwargs.get('wait_seconds', 120.0):.0f} s. Try again.")
    try:
        con = connect(path, **kwargs)
        try:
            yield con
        except BaseException:
            # What committed before the error (a load's earlier files) is published too.
            _publish_quietly(con, path)
            raise
        else:
            _publish_quietly(con, path)
        finally:
            con.close()
    finally:
        lock.release()


def data_version(path: Path | str | None = None) -> tuple:
    """A cheap fingerprint that changes whenever a load commits: the file's and WAL's mtime and size.

    A published snapshot records the one it copied, so a reader sees, without opening the
    database, whether a write committed since was not published (`published`).
    """
    path = Path(path) if path else default_db_path()
    parts = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
            parts.append((st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            parts.append(None)
    return tuple(parts)


# -- published snapshots: what the dashboard reads ---------------------------------------------------

# How many snapshots a publish keeps (the newest ones), and for how long it keeps one anyway after a
# newer one replaced it: a reader that has just read the pointer (or one on another machine sharing
# the folder, whose file system may not keep a deleted file readable) is still opening it.
SNAPSHOTS_KEPT = 3
SNAPSHOT_GRACE_S = 60.0
# A reader that finds a write committed but not published tries to publish it at most this often:
# while a long load holds the file, each try fails at once, and the load publishes when it is done.
PUBLISH_RETRY_S = 1.0
FIRST_PUBLISH_WAIT_S = 30.0
POINTER = "current"

_log = logging.getLogger(__name__)
_writer_locks: dict[Path, threading.RLock] = {}
_locks_lock = threading.Lock()


def _writer_lock(path: Path) -> threading.RLock:
    """This process's lock for writing `path`. DuckDB gives a second connection in the same process
    the same database, so its file lock does not keep this process's writers (two dashboard
    sessions saving at once) from publishing over each other."""
    key = path.absolute()
    with _locks_lock:
        return _writer_locks.setdefault(key, threading.RLock())


def snapshots_dir(path: Path | str) -> Path:
    """The folder of `path`'s published snapshots, beside it."""
    path = Path(path)
    return path.with_name(path.name + ".snapshots")


@dataclass(frozen=True)
class Snapshot:
    """One published copy of the database: its file, and the main file's `data_version` it copied."""
    file: Path
    main: tuple

    @property
    def version(self) -> tuple:
        """What the dashboard keys its caches on: which snapshot, and of which state of the file."""
        return self.file.name, self.main


def _fingerprint(doc) -> tuple:
    return tuple(tuple(part) if part else None for part in doc)


_pointers: dict[Path, tuple[tuple, Snapshot]] = {}   # database -> (its pointer file's stat, what it says)


def _pointer(path: Path) -> Snapshot | None:
    """The snapshot the pointer file names, or None when nothing was published yet. Every rerun of
    every session asks, so the file is read again only when its stat says it was replaced."""
    file = snapshots_dir(path) / POINTER
    try:
        st = os.stat(file)
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if (known := _pointers.get(path)) is not None and known[0] == stamp:
            return known[1]
        doc = json.loads(file.read_text(encoding="utf-8"))
        snap = Snapshot(file.parent / doc["snapshot"], _fingerprint(doc["main"]))
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None
    _pointers[path] = (stamp, snap)
    return snap


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(target: Path, write) -> None:
    """Write `target` whole or not at all: `write(file)` fills a temporary file beside it, which is
    flushed to disk and renamed over it (a reader sees the old file or the new one, never a part)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def publish(con: duckdb.DuckDBPyConnection, path: Path | str) -> Snapshot:
    """Publish `path` as it is now for the readers: `con` is a write connection to it, whose work
    has committed. CHECKPOINT folds the write-ahead log into the file (nothing else can write it
    while we hold it), the file is copied to the next numbered snapshot, and the pointer file is
    replaced to name it, with the file's `data_version` (by which a reader sees that a later write
    was not published). Nothing changed since the last publish: nothing is copied. Old snapshots
    are pruned (`_prune`). Returns the current snapshot."""
    path = Path(path)
    with _writer_lock(path):
        con.execute("CHECKPOINT")
        main = data_version(path)
        current = _pointer(path)
        if current and current.main == main and current.file.exists():
            return current
        folder = snapshots_dir(path)
        folder.mkdir(exist_ok=True)
        numbers = [int(p.stem) for p in folder.glob("*.duckdb") if p.stem.isdigit()]
        if current and current.file.stem.isdigit():
            numbers.append(int(current.file.stem))
        snapshot = Snapshot(folder / f"{max(numbers, default=0) + 1:010d}.duckdb", main)
        with open(path, "rb") as src:
            _write_atomically(snapshot.file, lambda dst: shutil.copyfileobj(src, dst, 1 << 20))
        _write_atomically(folder / POINTER, lambda f: f.write(json.dumps(
            {"snapshot": snapshot.file.name, "main": main}).encode()))
        _fsync_dir(folder)
        _prune(folder)
        return snapshot


def _publish_quietly(con, path: Path) -> None:
    """`publish` for a writer whose work is done: a failure to publish (the disk full) does not undo
    the write, so it is logged; the next reader sees the write unpublished and publishes it."""
    try:
        publish(con, path)
    except (duckdb.Error, OSError) as exc:
        _log.warning("could not publish %s for the dashboard's readers: %s", path, exc)


def _prune(folder: Path) -> None:
    """Delete the snapshots older than the newest `SNAPSHOTS_KEPT`, except one replaced less than
    `SNAPSHOT_GRACE_S` ago or one this process still reads. A reader in another process that has one
    open keeps reading it: a deleted file stays readable while it is open (POSIX)."""
    snaps = sorted((p for p in folder.glob("*.duckdb") if p.stem.isdigit()), key=lambda p: int(p.stem))
    with _readers_lock:
        in_use = {file for file, reader in _readers.items() if reader.users}
    now = time.time()
    for old, newer in zip(snaps[:-SNAPSHOTS_KEPT], snaps[1:]):
        try:
            if old not in in_use and now - newer.stat().st_mtime >= SNAPSHOT_GRACE_S:
                old.unlink()
        except FileNotFoundError:
            pass
    for tmp in folder.glob(".*.tmp"):   # a publish that died part-way (publishes take turns)
        if now - tmp.stat().st_mtime >= SNAPSHOT_GRACE_S:
            tmp.unlink(missing_ok=True)


_tried: dict[Path, float] = {}


def published(path: Path | str | None = None) -> Snapshot:
    """The snapshot readers read now. When the database file holds a write that was committed but not
    published (its writer was killed, or is older than snapshots), this publishes it first if the
    file is free at once; when a writer holds it, the latest snapshot is served without waiting (that
    writer publishes when it is done). Raises FileNotFoundError when there is no database, and
    DatabaseBusy only when a database that was never published stays busy past
    `FIRST_PUBLISH_WAIT_S`."""
    path = Path(path) if path else default_db_path()
    snap = _pointer(path)
    if snap is not None and snap.main == data_version(path) and (snap.file in _readers or snap.file.exists()):
        return snap
    if not path.exists():
        raise FileNotFoundError(f"database {path} does not exist yet: load data first")
    now = time.monotonic()
    if snap is None or now - _tried.get(path, -PUBLISH_RETRY_S) >= PUBLISH_RETRY_S:
        _tried[path] = now
        lock = _writer_lock(path)
        # With a snapshot to serve, a reader tries once and never waits; the first reader of a
        # database never published has nothing to serve and waits, as readers did before snapshots
        # (for another reader publishing it, or for the writer to finish and publish).
        wait = 0 if snap is not None else FIRST_PUBLISH_WAIT_S
        try:
            if not lock.acquire(timeout=wait):   # this process is writing it: it publishes next
                raise DatabaseBusy(f"database {path} is being written by this process")
            try:
                if snap is None and (done := _pointer(path)) is not None and done.main == data_version(path):
                    return done   # another reader of this process has just published it
                con = connect(path, wait_seconds=wait, on_wait=lambda m: None)
                try:
                    snap = publish(con, path)
                finally:
                    con.close()
            finally:
                lock.release()
        except DatabaseBusy:
            if snap is None:
                raise
    return snap


class _Reader:
    """This process's read-only connection to one snapshot, and how many cursors use it now."""

    def __init__(self, db: Path, file: Path, con: duckdb.DuckDBPyConnection):
        self.db, self.file, self.con, self.users, self.retired = db, file, con, 0, False


_readers: dict[Path, _Reader] = {}   # snapshot file -> its connection
_readers_lock = threading.Lock()


def _checkout(path: Path, snap: Snapshot) -> tuple[_Reader, duckdb.DuckDBPyConnection]:
    """A new cursor on `snap`'s connection (opened on first use), counted as a user of it; the
    connections to this database's other snapshots are retired (closed once their last cursor is).
    (A thread that read the pointer just before a publish may reopen the one before for a moment.)"""
    with _readers_lock:
        if (reader := _readers.get(snap.file)) is None:
            try:
                con = duckdb.connect(str(snap.file), read_only=True)
            except duckdb.Error as exc:
                if why := damage(exc):
                    raise damaged(path, why) from exc
                raise
            reader = _readers[snap.file] = _Reader(path, snap.file, con)
        reader.retired = False
        for other in list(_readers.values()):
            if other.db == path and other is not reader and not other.retired:
                other.retired = True
                if not other.users:
                    _close(other)
        reader.users += 1
        try:
            return reader, reader.con.cursor()
        except BaseException:
            reader.users -= 1
            raise


def _close(reader: _Reader) -> None:
    """Close a retired snapshot's connection (it closes its cursors too: call it with none left)."""
    _readers.pop(reader.file, None)
    try:
        reader.con.close()
    except duckdb.Error:
        pass


def _checkin(reader: _Reader) -> None:
    with _readers_lock:
        reader.users -= 1
        if reader.retired and not reader.users:
            _close(reader)


@contextmanager
def reading(path: Path | str | None = None, scope: "Scope | None" = None):
    """A read-only cursor on the database's current published snapshot (`published`), for one query
    or one page's worth of queries; with a `scope`, it reads only that user's clients (`restrict`,
    applied to this cursor alone). The snapshot's connection stays open for the next reader in this
    process, so DuckDB's cache stays warm; a cursor has its own temporary views and tables, so
    sessions with different scopes or reports never see each other's. Never waits for a writer."""
    path = Path(path) if path else default_db_path()
    for attempt in (1, 2):
        snap = published(path)
        try:
            reader, cur = _checkout(path, snap)
        except duckdb.IOException:
            if attempt == 2 or snap.file.exists():
                raise
            continue   # pruned between reading the pointer and opening it (a reader of another machine)
        try:
            cur.execute("SET TimeZone = 'UTC'")   # a cursor's settings are its own
            if scope is not None and not scope.admin:
                try:
                    restrict(cur, scope)
                except duckdb.CatalogException:
                    if attempt == 2:
                        raise
                    # A snapshot of a database older than a table of the schema: a writer's
                    # connection adds it and publishes.
                    with connection(path, wait_seconds=10, on_wait=lambda m: None):
                        pass
                    continue
            yield cur
            return
        finally:
            try:
                cur.close()
            except duckdb.Error:
                pass
            _checkin(reader)
