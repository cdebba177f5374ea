"""What the browser tests share: the Chromium flags, a dashboard server to point it at, and
waiting until Streamlit has drawn. Imports nothing of Playwright, so a module that only borrows a
helper runs where Playwright is missing."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run app.py` on `db`, on a free port of 127.0.0.1, as a context manager.

    Its log goes to a file in `folder`, read for Streamlit's deprecation messages.
    """

    def __init__(self, db: Path, folder: Path, secrets=None, env: dict | None = None):
        """`secrets(port)`, when given, returns the text of the server's secrets.toml (an `[auth]`
        block names the server's own port in its redirect_uri)."""
        self.db = db
        self.folder = Path(folder)
        self.secrets = secrets
        self.env = env or {}
        self.log = Path(folder) / "streamlit.log"
        self._read = 0
        self.proc = None
        self.url = None

    def __enter__(self) -> "Server":
        port = _free_port()
        env = {**os.environ, "RECRUITING_DB": str(self.db), **self.env}
        secrets = self.folder / "secrets.toml"
        # Never the checkout's own secrets: a test server is in local mode unless given some.
        secrets.write_text(self.secrets(port) if self.secrets else "", encoding="utf-8")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
                 "--server.port", str(port), "--server.address", "127.0.0.1", "--secrets.files", str(secrets),
                 "--browser.gatherUsageStats", "false",
                 # No "source file changed" prompt in the status widget while someone edits.
                 "--server.fileWatcherType", "none",
                 # Each line names its logger, so deprecation messages can be told apart.
                 "--logger.messageFormat", "%(asctime)s %(levelname)s %(name)s: %(message)s"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/_stcore/health", timeout=2)
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"streamlit did not start within 60 s; its log:\n{self.log.read_text()[-3000:]}")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def warn_deprecations(self) -> None:
        """Warn (DeprecationWarning) of each message Streamlit's deprecation logger wrote since
        the last call: the deprecated APIs the pages just opened asked of Streamlit."""
        with open(self.log, "rb") as f:
            f.seek(self._read)
            text = f.read()
            self._read = f.tell()
        for line in text.decode("utf-8", "replace").splitlines():
            if "streamlit.deprecation_util" in line:
                warnings.warn(f"Streamlit server: {line}", DeprecationWarning)


def settled(page) -> None:
    """Wait until Streamlit has finished running and drawing: its status widget shows while the
    script runs, elements of the previous run are marked stale until the rerun has redrawn them,
    and a plotly chart is drawn (its SVG) some time after its element arrives."""
    page.wait_for_function("""() => !document.querySelector('[data-testid="stStatusWidget"]')
        && document.querySelectorAll('[data-stale="true"]').length === 0
        && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(c => c.querySelector('.main-svg'))""",
                           timeout=60000)
    page.wait_for_timeout(300)   # a rerun may start right after one ends (a widget writing the URL)
