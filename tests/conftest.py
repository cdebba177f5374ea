"""Shared fixtures: tiny template files written into tmp_path and loaded through the real path
(client settings -> `save_client`, files -> `ingest`, a fresh DuckDB file per database); the sample
database built once per run; the browser tests' server and browser; what a test needs from the
machine (Chromium, LibreOffice, Playwright), and Streamlit's deprecation messages as warnings.

Under CI=true a missing tool fails the tests that need it (locally they are skipped with the command
that installs it) and a DeprecationWarning is an error (locally it is listed in the summary).
"""
from __future__ import annotations

import datetime as dt
import importlib
import io
import itertools
import logging
import os
import shutil
import textwrap
import warnings
import zipfile
from pathlib import Path

import pytest

import store
from loaders.ingest import ingest
from loaders.settings import parse_settings, save_client
from metrics.engine import Filters, summary

import browser_support
from exports.files import browser_path

ROOT = Path(__file__).resolve().parent.parent
CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")

# -- what a test needs from the machine ------------------------------------------------------------

def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
        return True
    except ImportError:
        return False


# tool -> (how to tell it is here, what installs it)
TOOLS = {
    "chromium": (lambda: browser_path() is not None, "Debian's chromium: sudo apt-get install chromium"),
    "playwright": (lambda: _importable("playwright.sync_api"), "the playwright package: make test installs it into .venv"),
    "libreoffice": (lambda: shutil.which("soffice") is not None,
                    "LibreOffice Impress: sudo apt-get install libreoffice-impress"),
    "poppler": (lambda: shutil.which("pdfinfo") is not None and shutil.which("pdftoppm") is not None,
                "poppler: sudo apt-get install poppler-utils"),
}


def pytest_configure(config):
    config.addinivalue_line("markers", "requires(*tools): needs these tools of the machine: " + ", ".join(TOOLS))
    if CI:
        # Every DeprecationWarning is an error, except the third-party noise the ini file ignores
        # by name (later filters win, so those are repeated after the error filter).
        ignores = [f for f in config.getini("filterwarnings") if f.startswith("ignore")]
        for line in ["error::DeprecationWarning", "error::PendingDeprecationWarning", *ignores]:
            config.addinivalue_line("filterwarnings", line)
        # The same for the processes tests start (the command line, the dashboard's server).
        os.environ["PYTHONWARNINGS"] = ",".join(["error::DeprecationWarning", "error::PendingDeprecationWarning",
                                                 *ignores])


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.requires("chromium", "playwright"))


def pytest_runtest_setup(item):
    missing = {tool: TOOLS[tool][1] for mark in item.iter_markers("requires") for tool in mark.args
               if not TOOLS[tool][0]()}
    if missing:
        message = "needs " + "; ".join(missing.values())
        if CI:
            pytest.fail(f"{message} (under CI=true a missing tool is a failure, not a skip)", pytrace=False)
        pytest.skip(message)


# -- Streamlit's deprecation messages --------------------------------------------------------------

class _Recorder(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture(autouse=True)
def streamlit_deprecations_are_warnings():
    """Streamlit announces a deprecated API it is called with only in its log: such a message in a
    test's Streamlit runs becomes a DeprecationWarning of that test."""
    logger = logging.getLogger("streamlit.deprecation_util")
    recorder = _Recorder()
    logger.addHandler(recorder)
    yield
    logger.removeHandler(recorder)
    for message in dict.fromkeys(recorder.messages):
        warnings.warn(f"Streamlit: {message}", DeprecationWarning)


# The client most golden tests use: Chicago (UTC-5 in summer, UTC-6 in winter), calendar days,
# SLA 1 submittal within 10 days (the defaults).
CHICAGO_TOML = 'name = "Acme"\ntimezone = "America/Chicago"\n'


def D(text: str) -> dt.date:
    """A date literal, for readable Filters(...) in tests."""
    return dt.date.fromisoformat(text)


def zip_of(members: dict) -> bytes:
    """A zip archive (deflated) holding `members`, name -> text or bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


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
    """The bundled sample data loaded once for the whole run (three clients), shared by the run's
    parallel workers (the first to ask builds it). Read-only: a test that writes takes
    `sample_db_copy` (a writer would lock every other worker out of the file)."""
    from filelock import FileLock
    from loaders.sample import build_sample_database
    run_dir = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):      # each worker has its own folder inside the run's
        run_dir = run_dir.parent
    path = run_dir / "sample" / "sample.duckdb"
    with FileLock(str(run_dir / "sample.lock")):
        if not path.exists():
            build_sample_database(path)
    return path


@pytest.fixture(autouse=True)
def sample_db_stays_unwritten(request):
    """Fail the test that writes into the shared sample database (every other worker's reads would
    then wait for it), naming it; a test that only reads is not slowed (two stat calls)."""
    if "sample_db" not in request.fixturenames:
        yield
        return
    path = request.getfixturevalue("sample_db")
    before = store.data_version(path)
    yield
    assert store.data_version(path) == before, "this test wrote into the shared sample database: take sample_db_copy"


@pytest.fixture
def sample_db_copy(sample_db, tmp_path, monkeypatch):
    """A copy of the sample database for one test that writes, named by RECRUITING_DB."""
    import shutil
    path = tmp_path / "copy.duckdb"
    shutil.copy(sample_db, path)
    monkeypatch.setenv("RECRUITING_DB", str(path))
    return path


# -- the browser tests' server and browser ---------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    """One Chromium (Debian's, driven by Playwright) for every browser test of a worker."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=browser_path(), args=browser_support.CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def server(sample_db, tmp_path_factory):
    """One dashboard server on a copy of the sample database for every browser test of a worker
    (a copy: the server writes downloads into its audit log)."""
    import shutil
    folder = tmp_path_factory.mktemp("server")
    shutil.copy(sample_db, folder / "sample.duckdb")
    with browser_support.Server(folder / "sample.duckdb", folder) as srv:
        yield srv


def open_page(db, monkeypatch, page: str, **params):
    """Run one page file (`pages/<page>.py`) on `db` with `params` in its URL, as AppTest does."""
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("RECRUITING_DB", str(db))
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


# -- a mail server on localhost (the digest and schedule tests) ------------------------------------

class Inbox:
    """What the local SMTP server received (`messages`: (recipients, parsed message) pairs); it
    refuses any address starting with `bad`, as a server refuses an unknown mailbox."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("bad"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy
        self.messages.append((list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 Message accepted for delivery"

    def to(self) -> list[str]:
        """Every recipient that received a message, sorted."""
        return sorted(r for rcpts, _ in self.messages for r in rcpts)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for a server, or a server that is down)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def local_smtp():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 for one test: (its `Inbox`, its port)."""
    from aiosmtpd.controller import Controller
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()
