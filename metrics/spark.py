"""The metrics on Apache Spark: the very SQL of `engine.py`, transpiled, over the Parquet folder that
`python -m exports parquet DIR` writes (a lakehouse's copy of the canonical tables).

Nothing here defines a metric. `connect(DIR)` gives a connection whose `execute(sql, params)` takes
the DuckDB SQL and parameters `engine.Report` and `loaders.settings` send, and runs them on Spark:
1. the parameters (`$name`, `?`) become typed SQL literals in the statement's syntax tree (dates as
   DATE, lists as arrays, None as NULL inside the cast the SQL gives it), since Spark SQL has no
   parameters of these types;
2. SQLGlot rewrites the tree from DuckDB's dialect to Spark's, after `_REWRITES` has fixed what it
   does not translate faithfully (each names the difference it fixes);
3. `CREATE OR REPLACE TEMP TABLE x AS ...` becomes a cached temporary view (computed once, as
   DuckDB's temporary table is), and `DROP TABLE` of it drops the view and its cache.
Results come back through Arrow into DuckDB's own Python conversion, so `.df()`, `.fetchall()` and
`.description` give the types DuckDB would (dates as pandas timestamps, counts as int, ...).

The canonical tables are temporary views of the folder's Parquet, named as in the store, with the
client (the Hive partition) as their first column, as the store has it. pyspark and sqlglot are the
`spark` extra; Spark itself runs on Java 17 or 21 (or elsewhere, through Spark Connect: SPARK_REMOTE).
"""
from __future__ import annotations

import datetime as dt
import decimal
import os
import shutil
import sys
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import duckdb

import store
from exports.parquet import TABLES

# Session settings every run needs: dates and instants are read and written in UTC, as the store's
# naive UTC timestamps are; a client called "2024" stays a string, not a number read from its
# folder name. Spark's own log says only errors (a command line prints JSON on stdout, logs on stderr).
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.log.level": "ERROR",
    "spark.ui.showConsoleProgress": "false",
}
# Where Java is needed and how to have it (PySpark 4 runs on Java 17 or 21).
JAVA_HINT = "sudo apt-get install openjdk-17-jre-headless (or set JAVA_HOME)"


class SparkUnavailable(RuntimeError):
    """The Spark engine cannot run here: pyspark, sqlglot or Java is missing; the message says what to install."""


class NotAParquetFolder(FileNotFoundError):
    """The folder given is not one `python -m exports parquet` wrote."""


def _require_packages() -> None:
    for module in ("pyspark", "sqlglot"):
        try:
            __import__(module)
        except ImportError:
            raise SparkUnavailable(
                f"the Spark engine needs the {module} package: pip install 'rpo-recruiting-metrics[spark]' "
                "(make setup-dev installs it into .venv)") from None


def session(master: str | None = None, conf: dict | None = None):
    """A SparkSession for the metrics: Spark Connect's when SPARK_REMOTE is set (sc://host:15002),
    else one with `master` (default `local[*]`: a JVM on this machine, all its cores)."""
    _require_packages()
    from pyspark.sql import SparkSession
    builder = SparkSession.builder.appName("recruiting-metrics")
    remote = os.environ.get("SPARK_REMOTE")
    if remote:
        builder = builder.remote(remote)
    else:
        if not (shutil.which("java") or (os.environ.get("JAVA_HOME")
                                         and Path(os.environ["JAVA_HOME"], "bin", "java").exists())):
            raise SparkUnavailable(f"the Spark engine needs Java 17 or 21 and found none: {JAVA_HINT}")
        master = master or "local[*]"
        builder = builder.master(master)
        # Python workers (none for SQL alone) run this interpreter, with its packages, not the first
        # python3 on the PATH.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        if master.startswith("local"):
            # One machine: no web UI, and few shuffle partitions (Spark's 200 suit a cluster).
            builder = builder.config("spark.ui.enabled", "false").config(
                "spark.sql.shuffle.partitions", str(max(2, os.cpu_count() or 2)))
        # No table is ever saved: Spark's empty spark-warehouse folder goes to the temporary folder,
        # not into whatever folder the command was run from.
        builder = builder.config("spark.sql.warehouse.dir", str(Path(tempfile.gettempdir()) / "spark-warehouse"))
    for key, value in {**SESSION_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    with warnings.catch_warnings():
        # PySpark's notice that it was tested with an older pandas: it hands us Arrow, not pandas.
        warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
        try:
            spark = builder.getOrCreate()
        except Exception as exc:   # PySpark's own error when the JVM cannot start, whatever its class
            if remote:
                raise
            raise SparkUnavailable(f"Spark could not start its JVM ({str(exc).splitlines()[0]}); it needs "
                                   f"Java 17 or 21: {JAVA_HINT}") from None
    if not remote:
        spark.sparkContext.setLogLevel("ERROR")
    return spark


@contextmanager
def connect(folder: Path | str, *, master: str | None = None, spark=None):
    """A connection (`SparkConnection`) on the Parquet folder `folder` (a local path, or a URI such as
    s3a://bucket/lake that the cluster reads), closed on exit; the session is left running for
    the next caller (`spark`, when given, is used instead of a new one)."""
    check_folder(folder)   # before a JVM starts: a wrong path is said at once
    con = SparkConnection(spark or session(master), folder)
    try:
        yield con
    finally:
        con.close()


def check_folder(folder: Path | str) -> None:
    """Raise `NotAParquetFolder` unless the local `folder` has a folder per table of `TABLES` (a URI,
    s3a://..., is left for the cluster to read)."""
    folder = str(folder)
    if "://" in folder:
        return
    path = Path(folder)
    missing = [t for t in TABLES if not (path / t).is_dir()]
    if not path.is_dir() or missing:
        raise NotAParquetFolder(
            f"{folder} is not a folder of Parquet tables written by `python -m exports parquet` "
            + (f"(no {', '.join(t + '/' for t in missing)} in it)" if path.is_dir() else "(no such folder)"))


def _store_schemas() -> dict[str, str]:
    """Each canonical table's columns in Spark's DDL, translated from the store's schema: what an
    empty table folder (no client has rows in it) reads as."""
    import sqlglot
    from sqlglot import exp
    out = {}
    for create in sqlglot.parse(store.SCHEMA, read="duckdb"):
        cols = []
        for col in create.this.expressions:
            if isinstance(col, exp.ColumnDef):
                kind = "STRING" if col.args["kind"].is_type("json") else col.args["kind"].sql("spark")
                cols.append(f"`{col.name}` {kind}")
        out[create.this.this.name] = ", ".join(cols)   # CREATE TABLE's Schema: the table and its columns
    return out


def _own_session(spark):
    """A session of its own on `spark`'s context, as each DuckDB connection has its own temporary
    tables: its views of the canonical tables are not replaced by another connection's folder. Its
    SQL settings are `spark`'s. (A Spark Connect session is the client's own already.)"""
    try:
        own = spark.newSession()
    except Exception:   # Spark Connect has no newSession
        return spark
    for key, value in spark.conf.getAll.items():
        if key.startswith("spark.sql.") and own.conf.isModifiable(key) and own.conf.get(key, None) != value:
            own.conf.set(key, value)
    return own


class SparkConnection:
    """What `engine.Report` and `loaders.settings` use of a DuckDB connection, on Spark: `execute`."""

    def __init__(self, spark, folder: Path | str):
        self.spark = _own_session(spark)
        spark = self.spark
        self.folder = str(folder)
        self._views: set[str] = set()   # the temporary tables made through execute (cached views)
        self._duck = duckdb.connect()   # converts results as DuckDB would (see Result)
        schemas = None
        for table in TABLES:
            location = f"{self.folder.rstrip('/')}/{table}"
            try:
                df = spark.read.option("basePath", location).parquet(location)
            except Exception as exc:
                if "UNABLE_TO_INFER_SCHEMA" not in str(exc):
                    raise
                # No client has rows in this table: an empty view with the store's columns.
                schemas = schemas or _store_schemas()
                df = spark.createDataFrame([], schemas[table])
            # The store's column order: the client (the partition column, which Spark puts last) first.
            df = df.select("client", *[c for c in df.columns if c != "client"])
            if table == "stage_dictionary":
                # DuckDB's rowid orders a client's words as they were saved (loaders.settings.get_dictionary):
                # here the order of the rows in the client's partition, as written.
                from pyspark.sql import functions as F
                df = df.withColumn("rowid", F.monotonically_increasing_id())
            df.createOrReplaceTempView(table)

    def execute(self, sql: str, params=None) -> "Result":
        """Run one DuckDB statement (with DuckDB's `$name` / `?` parameters) on Spark."""
        from sqlglot import exp
        tree = to_spark_tree(sql, params)
        if isinstance(tree, exp.Create):   # CREATE [OR REPLACE] TEMP TABLE name AS SELECT ...
            name = tree.this.name
            if name in self._views:
                self._drop(name)
            # Cached lazily: computed once, by the first query that reads it (one Spark job fewer per
            # table than computing it now; the Parquet it reads does not change meanwhile).
            self.spark.sql(exp.Cache(this=exp.to_table(name), expression=tree.expression, lazy=True).sql("spark"))
            self._views.add(name)
            return Result(None, self._duck)
        if isinstance(tree, exp.Drop):
            for table in tree.expressions:
                self._drop(table.name)
            return Result(None, self._duck)
        return Result(self.spark.sql(tree.sql("spark")), self._duck)

    def _drop(self, name: str) -> None:
        # Dropping a temporary view uncaches it; an UNCACHE first would resolve the view again, and
        # fail once a view it reads (the report drops reqall before req) is gone.
        self.spark.catalog.dropTempView(name)
        self._views.discard(name)

    def close(self) -> None:
        """Drop the cached views this connection made (the canonical tables' views stay, uncached)."""
        for name in list(self._views):
            self._drop(name)
        self._duck.close()


class Result:
    """A query's result, read as DuckDB's cursor is: `df()`, `fetchone()`, `fetchall()`, `description`.

    The rows come from Spark as Arrow and are converted by DuckDB itself, so the Python and pandas
    types are DuckDB's (a DATE column is a pandas timestamp column, a count an int)."""

    def __init__(self, df, duck):
        self._df = df
        self._duck = duck
        self._rel = None
        self._rows = None

    def _relation(self):
        if self._rel is None:
            import pyarrow as pa
            table = self._df.toArrow() if self._df is not None else pa.table({})
            # The store's instants are naive UTC; Spark hands a computed TIMESTAMP over in UTC with its zone.
            for i, field in enumerate(table.schema):
                if pa.types.is_timestamp(field.type) and field.type.tz is not None:
                    table = table.set_column(i, field.name, table.column(i).cast(pa.timestamp(field.type.unit)))
            self._rel = self._duck.from_arrow(table)
        return self._rel

    @property
    def description(self):
        rel = self._relation()
        return [(name, str(kind), None, None, None, None, None) for name, kind in zip(rel.columns, rel.types)]

    def df(self):
        return self._relation().df()

    def fetchall(self) -> list[tuple]:
        if self._rows is None:
            self._rows = self._relation().fetchall() if self._df is not None else []
        rows, self._rows = self._rows, []
        return rows

    def fetchone(self):
        if self._rows is None:
            self._rows = self._relation().fetchall() if self._df is not None else []
        return self._rows.pop(0) if self._rows else None


# -- DuckDB SQL to Spark SQL ----------------------------------------------------------------------

def literal(value):
    """A Python parameter value as a typed SQL literal (syntax tree)."""
    from sqlglot import exp
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, decimal.Decimal)):
        return exp.Literal.number(value)
    if isinstance(value, float):
        # Spark reads 0.5 as a DECIMAL; DuckDB's parameter is a DOUBLE.
        return exp.cast(exp.Literal.number(repr(value)), exp.DataType.Type.DOUBLE)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, dt.datetime):
        # The store's instants are naive UTC (DuckDB's TIMESTAMP); an aware one is an instant.
        kind = exp.DataType.Type.TIMESTAMP if value.tzinfo else exp.DataType.Type.TIMESTAMPNTZ
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), kind)
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.Type.DATE)
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[literal(v) for v in value])
    raise TypeError(f"cannot pass a {type(value).__name__} to Spark SQL: {value!r}")


def bind(tree, params):
    """Replace the tree's parameters (`$name` from a dict, `?` in order from a list) by literals."""
    from sqlglot import exp
    if params is None:
        params = []
    positional = iter(params if isinstance(params, (list, tuple)) else [])
    for node in list(tree.find_all(exp.Placeholder, bfs=False)):
        if node.this:
            if not isinstance(params, dict) or node.name not in params:
                raise KeyError(f"no value for parameter ${node.name}")
            value = params[node.name]
        else:
            try:
                value = next(positional)
            except StopIteration:
                raise KeyError("more ? parameters than values") from None
        node.replace(literal(value))
    return tree


def _is_array(node) -> bool:
    from sqlglot import exp
    return isinstance(node, exp.Array) or (isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.ARRAY))


def _len_of_list(node):
    """DuckDB's len(list) is a list's length; SQLGlot writes LENGTH, which Spark only has for strings."""
    from sqlglot import exp
    if isinstance(node, exp.Length) and _is_array(node.this):
        return exp.ArraySize(this=node.this)
    return node


def _isodow(node):
    """isodow(d) is 1 (Monday) .. 7 (Sunday). SQLGlot writes (DAYOFWEEK(d) % 7) + 1, which is 2 for a
    Sunday (Spark's DAYOFWEEK counts from Sunday = 1); Spark's WEEKDAY(d) is 0 (Monday) .. 6."""
    from sqlglot import exp
    if isinstance(node, exp.DayOfWeekIso):
        return exp.Paren(this=exp.Add(this=exp.Anonymous(this="WEEKDAY", expressions=[node.this]),
                                      expression=exp.Literal.number(1)))
    return node


def _day_diff(node):
    """datediff('day', a, b) counts the day boundaries between a and b (their dates' difference).
    SQLGlot writes Spark's DATEDIFF(DAY, a, b), which counts whole 24-hour days between instants;
    Spark's DATEDIFF(b, a) on the two dates is DuckDB's count for dates and instants alike."""
    from sqlglot import exp
    if isinstance(node, exp.DateDiff) and node.unit and node.unit.name.upper() == "DAY":
        return exp.DateDiff(this=exp.cast(node.this, exp.DataType.Type.DATE),
                            expression=exp.cast(node.expression, exp.DataType.Type.DATE))
    return node


def _quantile(node):
    """quantile_cont(x, q) (linear interpolation between the closest ranks) is Spark's exact
    percentile(x, q); SQLGlot writes PERCENTILE_CONT(x, q), which Spark reads only as an ordered-set
    aggregate."""
    from sqlglot import exp
    if isinstance(node, exp.PercentileCont) and node.expression is not None:
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this, node.expression])
    return node


def _tuple_in_subquery(node):
    """(a, b) IN (SELECT (a, b) FROM t): DuckDB compares a row with rows of one struct column; Spark
    needs the subquery to select the columns themselves."""
    from sqlglot import exp
    if isinstance(node, exp.In) and isinstance(node.this, exp.Tuple) and node.args.get("query"):
        query = node.args["query"]
        select = query.this if isinstance(query, exp.Subquery) else query
        if isinstance(select, exp.Select) and len(select.expressions) == 1:
            only = select.expressions[0]
            inner = only.this if isinstance(only, exp.Paren) else only
            if isinstance(inner, exp.Tuple):
                select.set("expressions", [e.copy() for e in inner.expressions])
    return node


def _range_table(node):
    """FROM range(start, stop, step) t(d): the values start, start + step, ... before stop (stop
    excluded). SQLGlot writes EXPLODE(...) under a new alias that loses the column's name (d), with
    a test comparing an INTERVAL with 0 that Spark rejects. Here: a subquery exploding Spark's
    SEQUENCE, which includes its end, less the end (for a positive step, as the engine's calendar)."""
    from sqlglot import exp
    if not (isinstance(node, exp.Table) and isinstance(node.this, exp.GenerateSeries)):
        return node
    series = node.this
    start, stop, step = series.args["start"], series.args["end"], series.args.get("step")
    alias = node.args.get("alias")
    column = alias.columns[0].name if alias and alias.columns else "range"
    step_sql = step.sql("duckdb") if step is not None else "1"
    if step_sql.lstrip("(").startswith("-"):
        raise NotImplementedError("range() with a negative step")
    # The bounds are columns of a one-row FROM: Spark allows no subquery (the engine's bounds are
    # scalar subqueries) inside FILTER's lambda.
    first, end = exp.column("__first"), exp.column("__end")
    values = exp.Anonymous(this="SEQUENCE", expressions=[first, exp.Greatest(this=first.copy(), expressions=[end])]
                           + ([step.copy()] if step is not None else []))
    if series.args.get("is_end_exclusive"):
        values = exp.Anonymous(this="FILTER", expressions=[values, exp.Lambda(
            this=exp.LT(this=exp.column("__v"), expression=end.copy()), expressions=[exp.to_identifier("__v")])])
    bounds = exp.select(exp.alias_(start.copy(), "__first"), exp.alias_(stop.copy(), "__end"))
    inner = exp.select(exp.alias_(exp.Explode(this=values), column)).from_(bounds.subquery("__bounds"))
    return inner.subquery(alias.name if alias else "range")


# The rewrites of DuckDB constructs SQLGlot does not carry over to Spark faithfully, applied to the
# DuckDB syntax tree before Spark SQL is written from it.
_REWRITES = (_len_of_list, _isodow, _day_diff, _quantile, _tuple_in_subquery, _range_table)


def to_spark_tree(sql: str, params=None):
    """The syntax tree of one DuckDB statement with its parameters bound and `_REWRITES` applied,
    ready to be written as Spark SQL (`.sql("spark")`)."""
    import sqlglot
    tree = bind(sqlglot.parse_one(sql, read="duckdb"), params)
    for rewrite in _REWRITES:
        tree = tree.transform(rewrite)
    return tree


def transpile(sql: str, params=None) -> str:
    """One DuckDB statement and its parameters as the Spark SQL that runs (temporary tables aside)."""
    return to_spark_tree(sql, params).sql("spark")


def summary(con: SparkConnection, filters) -> dict:
    """The machine-readable summary (`engine.Report.summary`) computed on Spark. Live: from the
    stage events themselves, since the Parquet folder carries no stored facts (`engine.refresh_facts`)."""
    from metrics.engine import summary as engine_summary
    return engine_summary(con, filters, live=True)
