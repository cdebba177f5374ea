"""`python -m exports parquet DIR [--client NAME]`: the canonical tables as Parquet, a folder per table
partitioned by client, which read back (Hive partitioning: the client from the folder name) as exactly
the rows the store holds; an export of one client replaces only that client's partitions."""
from __future__ import annotations

import duckdb

import store
from exports import __main__ as cli
from exports.parquet import TABLES


def _stored(db, table: str, client: str | None = None) -> list:
    with store.connection(db, read_only=True) as con:
        cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        where = "WHERE client = ?" if client else ""
        return sorted(map(repr, con.execute(f"SELECT {', '.join(cols)} FROM {table} {where}",
                                            [client] if client else []).fetchall())), cols


def _read_back(folder, table: str, cols: list[str]) -> list:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rows = con.execute(f"SELECT {', '.join(cols)} FROM read_parquet('{folder / table}/*/*.parquet', "
                       "hive_partitioning = true)").fetchall()
    return sorted(map(repr, rows))


def test_every_clients_tables_read_back_from_parquet_as_the_store_holds_them(sample_db_copy, tmp_path, capsys):
    out = tmp_path / "lake"
    assert cli.main(["parquet", str(out), "--db", str(sample_db_copy)]) == 0
    said = capsys.readouterr().out
    assert "3 clients: Acme Corp, Globex UK, Northwind Health" in said
    for table in TABLES:
        stored, cols = _stored(sample_db_copy, table)
        assert stored and _read_back(out, table, cols) == stored, table
        assert sorted(p.name for p in (out / table).iterdir()) == [
            "client=Acme%20Corp", "client=Globex%20UK", "client=Northwind%20Health"]
    with store.connection(sample_db_copy, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM audit WHERE action = 'download' "
                           "AND json_extract_string(detail, '$.what') = 'parquet'").fetchone()[0] == 3


def test_an_export_of_one_client_replaces_its_partitions_and_keeps_the_others(sample_db_copy, tmp_path, capsys):
    out = tmp_path / "lake"
    assert cli.main(["parquet", str(out), "--db", str(sample_db_copy)]) == 0
    with store.connection(sample_db_copy) as con:   # Globex UK's history changes after the first export
        con.execute("DELETE FROM stage_events WHERE client = 'Globex UK' AND entered_on < DATE '2026-01-01'")
    assert cli.main(["parquet", str(out), "--client", "globex uk", "--db", str(sample_db_copy)]) == 0
    assert "(1 client: Globex UK)" in capsys.readouterr().out
    stored, cols = _stored(sample_db_copy, "stage_events")
    assert _read_back(out, "stage_events", cols) == stored   # Globex's new rows, the others' as they were
    assert not list(tmp_path.glob("lake/.*"))                  # nothing half-written left behind


def test_an_unknown_client_writes_nothing_and_says_so(sample_db_copy, tmp_path, capsys):
    out = tmp_path / "lake"
    assert cli.main(["parquet", str(out), "--client", "Nobody", "--db", str(sample_db_copy)]) == 1
    assert "unknown client 'Nobody'; known clients: Acme Corp, Globex UK, Northwind Health" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())
