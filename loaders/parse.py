"""Shared parsing, written once: time values, ids and counts, as DuckDB SQL expressions.

Every loader stages its rows as text and runs these expressions over whole columns, so parsing
costs one vectorised pass and no Python per row.

A time value becomes a struct {d, t, bad}:
- `d`: a *local date* (no time of day: `2026-04-03`, `06/01/2025`, an Excel serial with no
  fraction, a spreadsheet date cell at 00:00). It stays that date in the client's time zone.
- `t`: a UTC instant (anything with a time of day; no offset means UTC).
- `bad`: the value is not empty and matched no known form.
"""
from __future__ import annotations

import datetime as dt

# Forms accepted, for error messages and the docs (formats.md's table, plus written-out months).
TIME_FORMS = ("2016-03-26T20:11:39.000Z", "2013-12-11T14:42:58Z", "2018-06-07", "1628509001183 (epoch ms)",
              "2024-01-31 06:00:00.000", "1/2/16 00:00", "06/01/2025", "45292 (Excel serial)", "3 Mar 2026")
TIME_HINT = "expected a date or time such as " + ", ".join(TIME_FORMS[:3] + TIME_FORMS[4:7])

# Excel serials are only taken in a plausible range (1954-10-03 .. 2119-01-08), so that a small
# number typed into a date column is reported instead of becoming a day in 1900.
EXCEL_MIN, EXCEL_MAX = 20000, 80000

_WORDY = ["%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%d-%b-%Y", "%d-%b-%y", "%b %d %Y", "%B %d %Y"]


def quote_name(name: str) -> str:
    """A column or table name quoted for SQL."""
    return '"' + name.replace('"', '""') + '"'


def run_sql(con, sql: str, params: dict):
    """Execute with the named parameters the statement uses (DuckDB refuses unused ones)."""
    return con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})


def sql_text(text: str) -> str:
    """A SQL string literal for our own fixed texts (messages, column names); values from files
    and from users are bound as parameters instead."""
    return "'" + text.replace("'", "''") + "'"


def clean_sql(col: str) -> str:
    """A text column's clean value: trimmed, empty as NULL. Loaders compute it once per column in
    an inner query; the parsers below take such clean values (`v`), never raw text.

    trim() copies every value it reads, and most values need no trimming. trim() removes Unicode
    space separators, and the only ASCII one is the space, so an ASCII value (as many bytes as
    characters) needs it only when it starts or ends with a space; only those, and values with
    other characters, are trimmed (half the cost of trimming all, measured on four columns of a
    million rows)."""
    return (f"CASE WHEN starts_with({col}, ' ') OR ends_with({col}, ' ') OR strlen({col}) <> length({col}) "
            f"THEN nullif(trim({col}), '') ELSE nullif({col}, '') END")


def iso_input(v: str, name: str) -> str:
    """A select item casting the ISO forms most exports use from clean value `v`, computed once
    per value in an inner query and read by `time_struct(v, name, ...)` as `__iso_<name>`."""
    # Only values that start like ISO (2026-...): DuckDB's cast would read `1/2/16 00:00` as year 1.
    # A value with no zone (no Z, no +hh or -hh after the date) is UTC already: the plain cast
    # reads it at half the cost of the zone-aware one.
    no_zone = f"({v} NOT LIKE '%Z' AND strpos({v}, '+') = 0 AND strpos(substr({v}, 11), '-') = 0)"
    return (f"CASE WHEN {v} LIKE '____-%' THEN CASE WHEN {no_zone} THEN TRY_CAST({v} AS TIMESTAMP) "
            f"ELSE timezone('UTC', TRY_CAST({v} AS TIMESTAMPTZ)) END END AS __iso_{name}")


def _slash_formats(order: str, with_time: bool) -> list[str]:
    """strptime formats for slash (or dotted) dates in one day/month order; two-digit years first,
    so that `1/2/16` is 2016 and never the year 16 (`%y`: 69-99 -> 1900s, 00-68 -> 2000s)."""
    md = ("%m", "%d") if order == "MDY" else ("%d", "%m")
    dates = [f"{md[0]}{sep}{md[1]}{sep}{y}" for sep in "/." for y in ("%y", "%Y")]
    if not with_time:
        return dates
    times = ("%H:%M", "%H:%M:%S", "%H:%M:%S.%f", "%I:%M %p", "%I:%M:%S %p", "%I:%M%p")
    return [f"{d} {t}" for d in dates for t in times]


def time_struct(v: str, name: str, date_order: str) -> str:
    """SQL for a struct {d DATE, t TIMESTAMP, bad BOOLEAN} parsed from clean value `v`, whose
    `iso_input(v, name)` the caller computed in an inner query.

    `date_order` is 'MDY' or 'DMY' (a client setting or a SQL expression yielding one); it decides
    how slash dates are read, for the whole file, never guessed per row. The expression is kept
    small on purpose: a file with several date columns would otherwise spend longer planning the
    query than running it.
    """
    iso = f"__iso_{name}"

    def slash(with_time):
        mdy, dmy = (f"try_strptime({v}, {_slash_formats(o, with_time)!r})" for o in ("MDY", "DMY"))
        return f"(CASE WHEN {date_order} = 'DMY' THEN {dmy} ELSE {mdy} END)"
    serial = f"TRY_CAST({v} AS DOUBLE)"
    serial_ok = f"({serial} BETWEEN {EXCEL_MIN} AND {EXCEL_MAX})"
    serial_date = f"(DATE '1899-12-30' + floor({serial})::INT)"
    serial_time = (f"(TIMESTAMP '1899-12-30' + to_microseconds(round({serial} * 86400000000)::BIGINT))")
    wordy = f"TRY_CAST(try_strptime({v}, {_WORDY!r}) AS DATE)"
    # Cheapest tests first: a bare ISO date, then the ISO instant most exports use.
    return f"""(CASE
        WHEN {v} IS NULL THEN {{'d': NULL::DATE, 't': NULL::TIMESTAMP, 'bad': false}}
        WHEN length({v}) <= 10 AND {v} LIKE '____-%' THEN
            {{'d': TRY_CAST({v} AS DATE), 't': NULL::TIMESTAMP, 'bad': TRY_CAST({v} AS DATE) IS NULL}}
        WHEN {iso} IS NOT NULL THEN {{'d': NULL::DATE, 't': {iso}, 'bad': false}}
        WHEN regexp_full_match({v}, '\\d{{12,13}}') THEN
            {{'d': NULL::DATE, 't': epoch_ms({v}::BIGINT), 'bad': false}}
        WHEN regexp_full_match({v}, '\\d{{1,5}}(\\.\\d+)?') THEN
            CASE WHEN NOT {serial_ok} THEN {{'d': NULL::DATE, 't': NULL::TIMESTAMP, 'bad': true}}
                 WHEN {serial} = floor({serial}) THEN {{'d': {serial_date}, 't': NULL::TIMESTAMP, 'bad': false}}
                 ELSE {{'d': NULL::DATE, 't': {serial_time}, 'bad': false}} END
        WHEN {v} LIKE '%/%/%' OR {v} LIKE '%.%.%' THEN
            CASE WHEN {v} LIKE '%:%' THEN {{'d': NULL::DATE, 't': {slash(True)}, 'bad': {slash(True)} IS NULL}}
                 ELSE {{'d': {slash(False)}::DATE, 't': NULL::TIMESTAMP, 'bad': {slash(False)} IS NULL}} END
        ELSE {{'d': {wordy}, 't': NULL::TIMESTAMP, 'bad': {wordy} IS NULL}}
    END)"""


def instant_sql(struct: str, tz: str) -> str:
    """UTC instant of a parsed time: a local date is taken at local midnight in `tz`."""
    return f"coalesce({struct}.t, timezone('UTC', timezone({tz}, {struct}.d::TIMESTAMP)))"


def local_date_sql(struct: str, tz: str, periods: tuple | None = None, micros: str | None = None) -> str:
    """Local calendar date of a parsed time in time zone `tz` (a bare date stays itself).

    With `periods` (`utc_offsets` of the one zone `tz` holds for every row: one client's file), the
    date is the instant shifted by the zone's UTC offset, found among its offset changes by a few
    comparisons; this costs a fraction of a time zone conversion per row. Instants outside the
    years the changes were computed for are converted as usual. `micros` names a column holding
    `epoch_us(<struct>.t)`, computed in an inner query (else it is computed here)."""
    if periods:
        micros = micros or f"epoch_us({struct}.t)"
        return f"coalesce({struct}.d, {_offset_date_sql(f'{struct}.t', micros, tz, periods)})"
    return f"coalesce({struct}.d, timezone({tz}, {struct}.t::TIMESTAMPTZ)::DATE)"


OFFSET_YEARS = (1990, 2060)   # the years whose UTC offset changes `utc_offsets` lists
_OFFSET_SPAN = (dt.datetime(OFFSET_YEARS[0], 1, 1), dt.datetime(OFFSET_YEARS[1] + 1, 1, 1))   # [start, end)
_OFFSETS: dict[str, tuple] = {}


def utc_offsets(con, zone: str) -> tuple[tuple[dt.datetime, int], ...]:
    """(UTC instant from which it holds, UTC offset in seconds) for every offset period of `zone`
    in OFFSET_YEARS, the first from the start of the first year.

    Computed by DuckDB's own time zone conversion, the one used for every other instant, so the
    two agree by construction: the offset at midnight UTC of every day finds the days on which it
    changes, then the hour in each such day, then the minute in that hour."""
    if zone not in _OFFSETS:
        offset = "epoch(timezone($zone, timezone('UTC', t))) - epoch(t)"

        def changes(rows: str) -> str:   # the rows whose offset differs from the row before
            return f"SELECT t, o FROM (SELECT t, o, lag(o) OVER (ORDER BY t) AS before FROM ({rows})) WHERE o <> before"

        def finer(coarse: str, step: str, fine: str) -> str:
            # From the `step` before each change (the offset before it) to the change, in `fine` steps.
            return (f"SELECT t, {offset} AS o FROM (SELECT unnest(generate_series(t - INTERVAL {step}, "
                    f"t, INTERVAL {fine})) AS t FROM {coarse})")
        rows = con.execute(f"""
            WITH days AS (SELECT t, {offset} AS o FROM (SELECT unnest(generate_series($start, $end, INTERVAL 1 DAY)) AS t)),
                 day_changes AS ({changes('SELECT * FROM days')}),
                 hour_changes AS ({changes(finer('day_changes', '1 DAY', '1 HOUR'))}),
                 minute_changes AS ({changes(finer('hour_changes', '1 HOUR', '1 MINUTE'))})
            SELECT t, o::INTEGER FROM days WHERE t = $start
            UNION ALL SELECT t, o::INTEGER FROM minute_changes ORDER BY t""",
            {"zone": zone, "start": _OFFSET_SPAN[0], "end": _OFFSET_SPAN[1]}).fetchall()
        _OFFSETS[zone] = tuple(rows)
    return _OFFSETS[zone]


def _micros(x: dt.datetime) -> int:
    return (x - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1)


def _offset_date_sql(t: str, micros: str, tz: str, periods: tuple) -> str:
    # A binary search over the periods' starts. They are compared as integers (microseconds since
    # 1970), which DuckDB plans in half the time of timestamp literals and runs faster.
    def search(lo: int, hi: int) -> str:   # the offset of the period holding t, periods[lo:hi]
        if hi - lo == 1:
            return str(periods[lo][1])
        mid = (lo + hi) // 2
        return f"CASE WHEN {micros} < {_micros(periods[mid][0])} THEN {search(lo, mid)} ELSE {search(mid, hi)} END"
    return (f"CASE WHEN {micros} >= {_micros(periods[0][0])} AND {micros} < {_micros(_OFFSET_SPAN[1])} "
            f"THEN ({t} + to_seconds({search(0, len(periods))}))::DATE "
            f"ELSE timezone({tz}, {t}::TIMESTAMPTZ)::DATE END")


def id_sql(v: str) -> str:
    """An identifier from clean value `v`: `1042.0` (a number cell read back) becomes `1042`."""
    # The regular expression only runs on values ending in 0 (a cheap test first).
    return f"CASE WHEN {v} LIKE '%.%0' THEN regexp_replace({v}, '^(-?\\d+)\\.0+$', '\\1') ELSE {v} END"


def int_sql(v: str) -> str:
    """A whole number from clean value `v` (`3`, `3.0`); NULL when empty or not whole (checked
    separately)."""
    return f"TRY_CAST(TRY_CAST({v} AS DOUBLE) AS INTEGER)"


def int_bad_sql(v: str) -> str:
    """True when clean value `v` is not empty but is not a whole number."""
    x = f"TRY_CAST({v} AS DOUBLE)"
    return f"({v} IS NOT NULL AND ({x} IS NULL OR {x} <> floor({x})))"


def cell_text(value) -> str | None:
    """One spreadsheet cell (as python-calamine returns it) as the text the SQL parsers read.

    Integral numbers lose their `.0` (ids typed as numbers); a date cell, or a date-time cell at
    00:00, is a bare local date; a date-time with a time of day is a UTC instant.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)
