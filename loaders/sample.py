"""Build a database from the bundled sample data (the app's first start, and tests)."""
from __future__ import annotations

from pathlib import Path

import store
from loaders.ingest import ingest
from loaders.settings import read_settings_file, save_client

SAMPLE_DIR = store.PROJECT_ROOT / "sample_data"


def build_sample_database(path: Path | str, progress=None) -> list:
    """Create every sample client from `sample_data/clients/*.toml` and load its folder
    `sample_data/<file stem>/`. Builds into a temporary file first and moves it into place, so a
    half-built database is never left behind, then publishes it for the dashboard's readers
    (`store.publish`). Returns the ingest reports."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".building")
    for p in (tmp, tmp.with_name(tmp.name + ".wal")):
        p.unlink(missing_ok=True)
    reports = []
    con = store.connect(tmp)
    try:
        configs = sorted((SAMPLE_DIR / "clients").glob("*.toml"))
        for i, config in enumerate(configs):
            settings = read_settings_file(config)
            if progress:
                progress(i / len(configs), f"Loading sample client {settings.name}")
            con.execute("BEGIN TRANSACTION")
            save_client(con, settings)
            con.execute("COMMIT")
            reports += ingest(con, [SAMPLE_DIR / config.stem], client=settings.name)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    tmp.replace(path)
    # The dashboard reads published snapshots: a write connection publishes the new file on closing.
    with store.connection(path):
        pass
    return reports
