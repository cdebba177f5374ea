"""The same metric definitions on Apache Spark: engine.Report's own SQL, run through metrics/spark.py
over the Parquet folder `python -m exports parquet` writes, gives the summary the DuckDB engine
computes here from the same database, key for key (floats to a rounding error), for the sample
clients (Acme Corp counts business days with holidays) and golden tables (business days; snapshots
shadowing a stage history), over all time, a period, a department and an as-of date in the past.

One local SparkSession for the file (two cores, two shuffle partitions, no web UI). Without Java or
pyspark the tests are skipped saying what to install; under CI=true they fail."""
from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys

import pytest

import store
from conftest import CI, D
from exports.parquet import write_parquet
from loaders.settings import list_clients
from metrics import Filters, options
from metrics import __main__ as cli
from metrics import spark
from metrics.engine import summary
from test_metrics_golden import BUSINESS_TOML

# A cold JVM on a busy shared machine takes minutes for its first queries (the default is 120 s).
pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="session")
def spark_session():
    missing = [what for what, absent in (
        ("pyspark and sqlglot (make setup-dev installs them)", not _importable("pyspark") or not _importable("sqlglot")),
        (f"Java: {spark.JAVA_HINT}", shutil.which("java") is None)) if absent]
    if missing:
        message = "the Spark engine needs " + "; ".join(missing)
        if CI:
            pytest.fail(f"{message} (under CI=true a missing tool is a failure, not a skip)", pytrace=False)
        pytest.skip(message)
    session = spark.session("local[2]", {"spark.sql.shuffle.partitions": "2", "spark.ui.enabled": "false",
                                         # tiny tables: compiling each query's Java costs more than it saves
                                         "spark.sql.codegen.wholeStage": "false"})
    # Not stopped: stopping takes seconds, and the JVM ends with the test process anyway.
    return session


def _importable(module: str) -> bool:
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def lake_of(con, folder) -> str:
    """Every client of the DuckDB database `con` written as the Parquet folder Spark reads."""
    write_parquet(con, folder, list_clients(con))
    return str(folder)


def assert_same(duck, on_spark, where: str = "summary") -> None:
    """The two summaries are the same dict: the same keys, types and values, floats to 1e-9."""
    if isinstance(duck, dict):
        assert isinstance(on_spark, dict) and on_spark.keys() == duck.keys(), where
        for key in duck:
            assert_same(duck[key], on_spark[key], f"{where}.{key}")
    elif isinstance(duck, float):
        assert isinstance(on_spark, float) and math.isclose(on_spark, duck, rel_tol=1e-9, abs_tol=1e-12), \
            (where, duck, on_spark)
    else:
        assert type(on_spark) is type(duck) and on_spark == duck, (where, duck, on_spark)


def both(duck_con, spark_con, filters: Filters) -> tuple[dict, dict]:
    return summary(duck_con, filters), spark.summary(spark_con, filters)


@pytest.fixture(scope="module")
def sample(sample_db, spark_session, tmp_path_factory):
    """The sample database (DuckDB) and its Parquet folder read by Spark."""
    with store.connection(sample_db, read_only=True) as duck:
        lake = lake_of(duck, tmp_path_factory.mktemp("lake"))
        with spark.connect(lake, spark=spark_session) as on_spark:
            yield duck, on_spark, lake


@pytest.mark.parametrize("client, period, as_of, by_department", [
    ("Acme Corp", (None, None), "2026-11-20", False),                 # business days, holidays, K=2 SLA; all time
    ("Acme Corp", ("2026-01-01", "2026-03-31"), "2026-11-20", True),  # a quarter and a department
    ("Globex UK", ("2025-07-01", "2026-06-30"), "2026-04-15", False),  # an as-of date in the past, inside the period
])
def test_sample_clients_summaries_are_the_same_on_spark_as_on_duckdb(sample, client, period, as_of, by_department):
    duck, on_spark, _ = sample
    departments = (options(duck, client)["department"][0],) if by_department else ()
    f = Filters(client, departments=departments, date_from=period[0] and D(period[0]),
                date_to=period[1] and D(period[1]), as_of=D(as_of))
    expected, got = both(duck, on_spark, f)
    assert expected["time_to_submit"]["n"] and expected["interview_conversion"]["submitted"]   # not an empty case
    assert_same(expected, got)


# Business days with a holiday (test_metrics_golden's busday_count cases), and a client whose history
# is shadowed here and there by a snapshot's events (the engine's rules for snapshots).
GOLDEN = {
    "business": (BUSINESS_TOML, {
        "requisitions": "client,requisition_id,department,opened_at,closed_at\n" + "".join(
            f"Acme,{r},{d},{start},{closed}\n" for r, d, start, closed in (
                ("R1", "Eng", "2026-07-10", ""), ("R2", "Eng", "2026-07-11", ""), ("R3", "Sales", "2026-06-29", ""),
                ("R4", "Sales", "2026-07-03", ""), ("R5", "Eng", "2026-07-02", "2026-07-30"),
                ("R6", "Eng", "2026-07-08", ""), ("R7", "Sales", "2026-07-20", ""))),
        "applications": "client,application_id,requisition_id\n" + "".join(
            f"Acme,A{r},R{r}\n" for r in range(1, 7)) + "Acme,B1,R1\n",
        "stage_events": "client,application_id,stage,entered_at\n" + "".join(
            f"Acme,A{r},submitted,{sub}T15:00:00Z\n" for r, sub in (
                (1, "2026-07-17"), (2, "2026-07-20"), (3, "2026-07-07"), (4, "2026-07-06"), (5, "2026-07-06"),
                (6, "2026-07-06"))) + "Acme,A1,interviewed,2026-07-20T15:00:00Z\nAcme,A1,hired,2026-08-03T15:00:00Z\n"
            "Acme,B1,submitted,2026-07-18T02:00:00Z\nAcme,B1,rejected,2026-07-21T15:00:00Z\n",
        "commitments": """
            client,commitment_id,requisition_id,description,due_date,revised_due_date,revised_on,delivered_on,side,reason
            Acme,C1,R1,3 CVs,2026-07-15,2026-07-20,2026-07-10,2026-07-18,client,HM away
            Acme,C2,,Market map,2026-07-31,,,2026-07-30,,
            Acme,C3,R3,Shortlist,2026-08-20,,,,,
        """}),
    "snapshots": ('name = "Acme"\ntimezone = "America/Chicago"\n', {
        "requisitions": """
            client,requisition_id,department,opened_at
            Acme,R1,Eng,2026-06-01
            Acme,R2,Eng,2026-06-03
        """,
        "applications": """
            client,application_id,requisition_id,status
            Acme,A1,R1,hired
            Acme,A2,R1,active
            Acme,A3,R2,hired
        """,
        "stage_events": """
            client,application_id,stage,entered_at,snapshot
            Acme,A1,submitted,2026-06-04T15:00:00Z,
            Acme,A1,hired,2026-06-20T15:00:00Z,
            Acme,A1,hired,2026-06-25T15:00:00Z,true
            Acme,A2,submitted,2026-06-05T15:00:00Z,
            Acme,A2,interviewed,2026-06-09T15:00:00Z,
            Acme,A3,hired,2026-06-22T15:00:00Z,true
        """}),
}


@pytest.mark.parametrize("golden", GOLDEN)
def test_golden_tables_summaries_are_the_same_on_spark_as_on_duckdb(golden, make_db, spark_session, tmp_path):
    toml, tables = GOLDEN[golden]
    duck = make_db(toml, tables)
    with spark.connect(lake_of(duck, tmp_path / "lake"), spark=spark_session) as on_spark:
        for f in (Filters("Acme", as_of=D("2026-08-01")),
                  Filters("Acme", as_of=D("2026-07-15"), date_from=D("2026-07-01"), date_to=D("2026-07-31"),
                          departments=("Eng",)))[:1 if golden == "snapshots" else 2]:
            expected, got = both(duck, on_spark, f)
            assert_same(expected, got, f"{golden}: {f.describe()}")


def test_dialect_differences_are_rewritten_not_left_to_sqlglot(sample):
    # Each statement holds one DuckDB construct SQLGlot does not carry over faithfully; Spark's
    # answer through the shim is DuckDB's.
    duck, on_spark, _ = sample
    statements = [
        ("SELECT isodow(d) FROM range(DATE '2026-07-04', DATE '2026-07-11', INTERVAL 1 DAY) t(d) ORDER BY d", {}),
        ("SELECT datediff('day', TIMESTAMP '2026-07-01 23:59:00', TIMESTAMP '2026-07-02 00:01:00')", {}),
        ("SELECT quantile_cont(x, 0.9), quantile_cont(x, 0.5) FROM (SELECT unnest([1, 2, 3, 10]) AS x)", {}),
        ("SELECT len($names::VARCHAR[]), len($nothing::VARCHAR[]), $counts[1], $counts[1 + 2]",
         {"names": ["a", "b"], "nothing": [], "counts": [5, 6, 7]}),
        ("SELECT count(*) FROM range(DATE '2026-07-01', DATE '2026-07-05', INTERVAL 1 DAY) t(d)", {}),
        ("SELECT count(*) FILTER (WHERE (a, b) IN (SELECT (a, b) FROM (SELECT 1 AS a, 'x' AS b))) / count(*) "
         "FROM (SELECT unnest([1, 2]) AS a, 'x' AS b)", {}),
        ("SELECT $d::DATE + 1, $none::VARCHAR IS NULL, $flag AND true", {"d": D("2026-02-28"), "none": None, "flag": True}),
    ]
    for sql, params in statements:
        assert on_spark.execute(sql, params).fetchall() == duck.execute(sql, params).fetchall(), sql


def test_the_command_line_prints_the_same_json_with_engine_spark(sample):
    duck, _, lake = sample
    expected = summary(duck, Filters("Globex UK", as_of=D("2026-11-20"), date_from=D("2026-01-01")))
    run = subprocess.run([sys.executable, "-m", "metrics", "summary", "--engine", "spark", "--data", lake,
                          "--master", "local[1]", "--client", "globex uk", "--from", "2026-01-01",
                          "--as-of", "2026-11-20", "--json"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert_same(expected, json.loads(run.stdout))


def test_a_missing_or_wrong_folder_is_one_clear_line(tmp_path, capsys):
    assert cli.main(["summary", "--engine", "spark", "--data", str(tmp_path / "nowhere"), "--client", "Acme"]) == 1
    err = capsys.readouterr().err
    assert err == (f"error: {tmp_path / 'nowhere'} is not a folder of Parquet tables written by "
                   "`python -m exports parquet` (no such folder)\n")
    (tmp_path / "lake" / "clients").mkdir(parents=True)
    assert cli.main(["summary", "--engine", "spark", "--data", str(tmp_path / "lake"), "--client", "Acme"]) == 1
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'lake'} is not a folder of Parquet tables "
                                              "written by `python -m exports parquet` (no stage_dictionary/, ")
    assert cli.main(["summary", "--engine", "spark", "--client", "Acme"]) == 2
    assert "--engine spark reads --data DIR" in capsys.readouterr().err


def test_an_unknown_client_is_one_clear_line(sample, capsys):
    _, _, lake = sample
    assert cli.main(["summary", "--engine", "spark", "--data", lake, "--client", "Nobody"]) == 1
    assert capsys.readouterr().err == ("error: unknown client 'Nobody'; known clients: Acme Corp, Globex UK, "
                                       "Northwind Health\n")
