"""The canonical tables as Parquet, for engines that read a lakehouse (Apache Spark, or DuckDB elsewhere):
`python -m exports parquet DIR [--client NAME]` writes a folder per table, partitioned by client
(`DIR/stage_events/client=Globex%20UK/data_0.parquet`, Hive style: the client is a partition column,
read back from the folder name), with every column as the store holds it (`extra` as JSON text).

The clients' settings (`clients`) and dictionaries (`stage_dictionary`) go with the facts, so the
folder is all a metric needs. Candidate personal data is never in the store, so never here. Each
client's partition is written beside the old one and put in its place only when complete: a reader
never sees half of it, and an export of one client replaces only that client's partitions."""
from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

# The tables written, each with the client as its partition column.
TABLES = ("clients", "stage_dictionary", "requisitions", "applications", "stage_events", "commitments")


def partition(con, client: str) -> str:
    """The folder name of a client's partition as DuckDB writes it (`client=Globex%20UK`), which
    DuckDB and Spark read back as the client's name."""
    with tempfile.TemporaryDirectory() as tmp:
        con.execute(f"COPY (SELECT ?::VARCHAR AS client, 1 AS x) TO '{Path(tmp) / 'p'}' "
                    "(FORMAT parquet, PARTITION_BY (client))", [client])
        (folder,) = [p.name for p in (Path(tmp) / "p").iterdir()]
    return folder


def write_parquet(con, out_dir: Path | str, clients: list[str]) -> dict[str, int]:
    """Write `clients`' rows of every table in `TABLES` under `out_dir`; returns the rows written per
    table. Each client's partitions written before are replaced (a client with no rows left in a
    table loses its old partition there); other clients' are kept."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = dict.fromkeys(TABLES, 0)
    for client in clients:
        name = partition(con, client)
        for table in TABLES:
            target = out_dir / table / name
            staging = out_dir / f".{table}.{uuid.uuid4().hex}"
            try:
                con.execute(f"COPY (SELECT * FROM {table} WHERE client = ?) TO '{staging}' "
                            "(FORMAT parquet, PARTITION_BY (client))", [client])
                rows = con.execute(f"SELECT count(*) FROM {table} WHERE client = ?", [client]).fetchone()[0]
                target.parent.mkdir(exist_ok=True)
                if target.exists():
                    shutil.rmtree(target)
                if rows:
                    (staging / name).rename(target)
                written[table] += rows
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    return written
