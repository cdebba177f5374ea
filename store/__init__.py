"""The canonical DuckDB store: schema, connections, and the data version.

Every loader writes these tables and every metric reads them. Times are stored twice: the UTC
instant (`*_at`, a naive TIMESTAMP in UTC) and the client's local calendar date (`*_on`), which
the loader derives once from the client's time zone. Metrics count days on the local dates.

DuckDB lets a process write a database file only while no other process has it open, even
read-only. So nothing here keeps a connection open for long: the dashboard opens a read-only
connection per query and closes it, and writers retry for a while with a "database busy" message
(see `connect`).
"""
from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
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
-- Derived, never loaded: what each application's stage events say, at the end of the data (each
-- writer of stage events refreshes its clients': metrics.engine.refresh_facts), and what that was
-- computed from. A report reads them when they match the data, and works from the events otherwise.
CREATE TABLE IF NOT EXISTS application_facts (
    client VARCHAR, application_id VARCHAR, sub_at TIMESTAMP, sub_on DATE, top_rank INTEGER,
    hire_on DATE, ended BOOLEAN, feedback_on DATE
);
CREATE TABLE IF NOT EXISTS facts_state (
    client VARCHAR, events BIGINT, applications BIGINT, last_event_on DATE, built_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS rejected_rows (
    file_id INTEGER, client VARCHAR, file_name VARCHAR, sheet VARCHAR, kind VARCHAR,
    "row" INTEGER, "column" VARCHAR, reason VARCHAR, raw JSON
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
# read: rejected rows keep raw file contents. grants and audit are for admins only.
CLIENT_TABLES = ("clients", "stage_dictionary", "files", "requisitions", "applications", "stage_events",
                 "commitments", "rejected_rows", "application_facts", "facts_state")
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
        elif table == "rejected_rows":
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
    """`connect` as a context manager that always closes, so the file lock is held briefly."""
    con = connect(path, read_only=read_only, **kwargs)
    try:
        yield con
    finally:
        con.close()


def data_version(path: Path | str | None = None) -> tuple:
    """A cheap fingerprint that changes whenever a load commits: the file's and WAL's mtime and size.

    The dashboard keys its caches on it, so new data shows on the next rerun without opening
    the database just to ask.
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
