"""Shared fixtures: tiny template files written into tmp_path and loaded through the real path
(client settings -> `save_client`, files -> `ingest`, a fresh DuckDB file per database)."""
from __future__ import annotations

import datetime as dt
import itertools
import sys
import textwrap
from pathlib import Path

import pytest

# The project is not installed: make `store`, `loaders` and `metrics` importable from the repo root.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import store  # noqa: E402
from loaders.ingest import ingest  # noqa: E402
from loaders.settings import parse_settings, save_client  # noqa: E402
from metrics.engine import Filters, summary  # noqa: E402

# The client most golden tests use: Chicago (UTC-5 in summer, UTC-6 in winter), calendar days,
# SLA 1 submittal within 10 days (the defaults).
CHICAGO_TOML = 'name = "Acme"\ntimezone = "America/Chicago"\n'


def D(text: str) -> dt.date:
    """A date literal, for readable Filters(...) in tests."""
    return dt.date.fromisoformat(text)


def write_tables(folder: Path, tables: dict[str, str | bytes]) -> list[Path]:
    """Write {file name or table name: CSV text (dedented) or raw bytes} into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in tables.items():
        path = folder / (name if "." in name else f"{name}.csv")
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).strip("\n") + ("\n" if content.strip() else ""),
                            encoding="utf-8")
        paths.append(path)
    return paths


def assert_clean(reports) -> None:
    """Golden data must load completely: no file error, no skipped file, no rejected row."""
    for r in reports:
        assert r.error is None, r.error
        assert r.skipped is None, r.skipped
        assert r.rows_rejected == 0, (r.label, r.rejected_sample)


class DB:
    """Opens fresh database files in tmp_path and loads template tables into them."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.counter = itertools.count(1)
        self.cons = []
        self.reports = []          # the reports of the last `load`

    def folder(self) -> Path:
        return self.tmp_path / f"files{next(self.counter)}"

    def __call__(self, toml_text: str, tables: dict | None = None, *, check: bool = True):
        """A new database with the client saved and `tables` ingested; returns the open connection."""
        con = store.connect(self.tmp_path / f"db{next(self.counter)}.duckdb")
        self.cons.append(con)
        save_client(con, parse_settings(toml_text))
        self.reports = []
        if tables:
            self.load(con, tables, check=check)
        return con

    def load(self, con, tables: dict, *, check: bool = True, client: str | None = None, folder=None):
        """Write `tables` into a new folder and ingest them into `con`; returns the reports."""
        paths = write_tables(folder or self.folder(), tables)
        self.reports = ingest(con, paths, client=client)
        if check:
            assert_clean(self.reports)
        return self.reports

    def close(self):
        for con in self.cons:
            try:
                con.close()
            except Exception:
                pass


@pytest.fixture
def make_db(tmp_path):
    """`make_db(toml_text, {table: csv_text})` -> open connection to a fresh, loaded DuckDB file.

    `make_db.load(con, {...})` ingests more files into it (e.g. a newer export);
    `make_db.reports` holds the ingest reports of the last load.
    """
    db = DB(tmp_path)
    yield db
    db.close()


def run_summary(con, client: str = "Acme", **filters) -> dict:
    """`summary(...)` with Filters built from keyword arguments (dates as YYYY-MM-DD strings)."""
    for key in ("date_from", "date_to", "as_of"):
        if isinstance(filters.get(key), str):
            filters[key] = D(filters[key])
    for key in ("departments", "recruiters", "hiring_managers"):
        if isinstance(filters.get(key), str):
            filters[key] = (filters[key],)
    return summary(con, Filters(client=client, **filters))


@pytest.fixture
def summ():
    """`summ(con, as_of="2026-07-01", date_from=..., departments="Eng")` -> the summary dict."""
    return run_summary


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory):
    """The bundled sample data loaded once for the whole run (three clients). Read-only: a test
    that writes takes `sample_db_copy`."""
    from loaders.sample import build_sample_database
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    build_sample_database(path)
    return path


@pytest.fixture
def sample_db_copy(sample_db, tmp_path, monkeypatch):
    """A copy of the sample database for one test that writes, named by RECRUITING_DB."""
    import shutil
    path = tmp_path / "copy.duckdb"
    shutil.copy(sample_db, path)
    monkeypatch.setenv("RECRUITING_DB", str(path))
    return path
