"""Client settings: read and validate a client's TOML file, store it, and apply its stage dictionary."""
from __future__ import annotations

import datetime as dt
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from store import OUTCOMES, STAGES

# Every setting with its default and the help text the glossary and the docs show.
SETTINGS_HELP = {
    "name": ("(required)", "The client's display name; files refer to it trimmed and case-insensitively."),
    "timezone": ("UTC", "IANA time zone; day counts use local dates in this zone."),
    "day_count": ("calendar", "'calendar' days, or 'business' days (weekdays that are not holidays)."),
    "holidays": ("[]", "Dates skipped in business-day mode, as YYYY-MM-DD."),
    "date_order": ("MDY", "How to read ambiguous slash dates such as 03/04/2026: 'MDY' or 'DMY'."),
    "sla.first_submittals": ("1", "K: submittals due per requisition for the SLA."),
    "sla.within_days": ("10", "N: days after the requisition start within which the K submittals are due."),
    "targets.*": ("none", "Targets shown next to the actuals (see the metric keys in the glossary)."),
    "stages": ("{}", "The client's stage words mapped to canonical stages."),
}

TARGET_KEYS = ("time_to_submit_median", "submit_to_interview", "interview_to_offer", "offer_to_hire",
               "deadline_adherence", "time_to_fill_median", "hm_feedback_median")
CANONICAL_WORDS = STAGES + OUTCOMES


class SettingsError(ValueError):
    """A client settings file that cannot be used, with the file and key that is wrong."""


def match_key(text: str) -> str:
    """How client names and stage words are matched: trimmed, case-insensitive, inner runs of
    white space read as one space (`" acme  corp"` is `Acme Corp`)."""
    return " ".join(str(text).split()).lower()


@dataclass
class ClientSettings:
    """One client's settings, validated."""
    name: str
    timezone: str = "UTC"
    day_count: str = "calendar"
    holidays: list[dt.date] = field(default_factory=list)
    date_order: str = "MDY"
    sla_first_submittals: int = 1
    sla_within_days: int = 10
    targets: dict[str, float] = field(default_factory=dict)
    stages: dict[str, str] = field(default_factory=dict)
    source_text: str = ""


def parse_settings(text: str, origin: str = "settings") -> ClientSettings:
    """Validate a settings document; errors name the file and key and say what is expected."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{origin}: not valid TOML: {exc}") from exc

    def fail(key, msg):
        raise SettingsError(f"{origin}: `{key}` {msg}")

    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        fail("name", "is required: the client's display name, e.g. name = \"Acme Corp\"")
    s = ClientSettings(name=" ".join(name.split()), source_text=text)
    s.timezone = data.get("timezone", "UTC")
    try:
        ZoneInfo(s.timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        fail("timezone", f"= {s.timezone!r} is not an IANA time zone name (e.g. \"America/Chicago\")")
    s.day_count = data.get("day_count", "calendar")
    if s.day_count not in ("calendar", "business"):
        fail("day_count", f"= {s.day_count!r} must be \"calendar\" or \"business\"")
    s.date_order = str(data.get("date_order", "MDY")).upper()
    if s.date_order not in ("MDY", "DMY"):
        fail("date_order", f"= {s.date_order!r} must be \"MDY\" or \"DMY\"")
    for h in data.get("holidays", []):
        if isinstance(h, dt.date) and not isinstance(h, dt.datetime):
            s.holidays.append(h)
            continue
        try:
            s.holidays.append(dt.date.fromisoformat(str(h)))
        except ValueError:
            fail("holidays", f"has {h!r}, which is not a date written YYYY-MM-DD")
    s.holidays.sort()
    sla = data.get("sla", {})
    for key, attr in (("first_submittals", "sla_first_submittals"), ("within_days", "sla_within_days")):
        if key in sla:
            value = sla[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < (1 if key == "first_submittals" else 0):
                fail(f"sla.{key}", f"= {value!r} must be a whole number of at least "
                     f"{1 if key == 'first_submittals' else 0}")
            setattr(s, attr, value)
    for key, value in data.get("targets", {}).items():
        if key not in TARGET_KEYS:
            fail(f"targets.{key}", f"is not a known target; use one of {', '.join(TARGET_KEYS)}")
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            fail(f"targets.{key}", f"= {value!r} must be a number")
        s.targets[key] = float(value)
    for word, stage in data.get("stages", {}).items():
        if str(stage).strip().lower() not in CANONICAL_WORDS:
            fail(f"stages.{word!r}", f"= {stage!r} must be one of {', '.join(CANONICAL_WORDS)}")
        s.stages[" ".join(str(word).split())] = str(stage).strip().lower()
    return s


def read_settings_file(path: Path | str) -> ClientSettings:
    """Read and validate a client's settings file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read the settings file: {exc.strerror}") from exc
    return parse_settings(text, origin=str(path))


CLIENT_TABLES = ("requisitions", "applications", "stage_events", "commitments", "rejected_rows", "files",
                 "stage_dictionary")


def save_client(con, s: ClientSettings) -> int:
    """Create or update the client and its dictionary; re-map its stored stage events.

    A new spelling of the same name (`ACME Corp` for `Acme Corp`) renames the client everywhere.
    The time zone and the date order cannot change once data is loaded: local dates and slash
    dates were read with them at load (SettingsError says what to do instead).
    Returns the number of stored events whose canonical stage changed.
    """
    key = match_key(s.name)
    old = get_client(con, s.name)
    if old:
        has_data = any(con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {t} WHERE client = ? LIMIT 1)",
                                   [old["client"]]).fetchall()[0][0] for t in CLIENT_TABLES[:4])
        for setting in ("timezone", "date_order"):
            if has_data and old[setting] != getattr(s, setting):
                raise SettingsError(
                    f"{s.name}: `{setting}` cannot change from {old[setting]!r} to {getattr(s, setting)!r} "
                    f"because data is already loaded and its dates were read with {old[setting]!r}. Keep "
                    f"{setting} = {old[setting]!r}, or load the files again into a new database "
                    "(--db NEW.duckdb) with the new setting.")
        if old["client"] != s.name:
            for table in CLIENT_TABLES:
                con.execute(f"UPDATE {table} SET client = ? WHERE client = ?", [s.name, old["client"]])
            con.execute("UPDATE files SET clients = list_transform(clients, lambda c: CASE WHEN c = ? THEN ? "
                        "ELSE c END) WHERE list_contains(clients, ?)", [old["client"], s.name, old["client"]])
    con.execute("DELETE FROM clients WHERE client_key = ?", [key])
    con.execute(
        "INSERT INTO clients VALUES (?, ?, ?, ?, ?::DATE[], ?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [s.name, key, s.timezone, s.day_count, s.holidays, s.date_order, s.sla_first_submittals,
         s.sla_within_days, json.dumps(s.targets), s.source_text])
    con.execute("DELETE FROM stage_dictionary WHERE client = ?", [s.name])
    if s.stages:
        con.executemany("INSERT INTO stage_dictionary VALUES (?, ?, ?, ?)",
                        [[s.name, match_key(w), w, st] for w, st in s.stages.items()])
    return apply_dictionary(con, s.name)


def match_key_sql(raw: str) -> str:
    """SQL twin of `match_key`: trimmed, inner spaces collapsed, lower case."""
    return f"lower(regexp_replace(trim({raw}), '\\s+', ' ', 'g'))"


def canonical_stage_sql(raw: str, dictionary_stage: str) -> str:
    """SQL for an event's canonical stage: the dictionary's word wins, canonical names map to
    themselves, and anything else stays unmapped (NULL)."""
    return (f"coalesce({dictionary_stage}, CASE WHEN {match_key_sql(raw)} IN {CANONICAL_WORDS} "
            f"THEN {match_key_sql(raw)} END)")


def apply_dictionary(con, client: str) -> int:
    """Re-derive the canonical stage of the client's stored events from its dictionary.

    Returns how many events changed.
    """
    resolved = canonical_stage_sql("e.raw_stage", "d.stage")
    changed = con.execute(
        f"""
        WITH resolved AS (
            SELECT e.rowid AS rid, {resolved} AS stage
            FROM stage_events e
            LEFT JOIN stage_dictionary d ON d.client = e.client AND d.raw_key = {match_key_sql('e.raw_stage')}
            WHERE e.client = ?
        )
        UPDATE stage_events SET stage = resolved.stage FROM resolved
        WHERE stage_events.rowid = resolved.rid AND stage_events.stage IS DISTINCT FROM resolved.stage
        """, [client]).fetchall()
    return changed[0][0] if changed else 0


def get_client(con, name: str) -> dict | None:
    """The stored client matching `name` (trimmed, case-insensitive), as a dict, or None."""
    cur = con.execute("SELECT * FROM clients WHERE client_key = ?", [match_key(name)])
    rows = cur.fetchall()
    if not rows:
        return None
    row = rows[0]
    out = dict(zip([d[0] for d in cur.description], row))
    out["targets"] = json.loads(out["targets"] or "{}")
    return out


def get_dictionary(con, client: str) -> list[tuple[str, str]]:
    """The client's stage dictionary as (client's word, canonical stage), in stage order."""
    order = {w: i for i, w in enumerate(CANONICAL_WORDS)}
    rows = con.execute("SELECT raw_stage, stage FROM stage_dictionary WHERE client = ? ORDER BY rowid",
                       [client]).fetchall()
    return sorted(rows, key=lambda r: order[r[1]])


def list_clients(con) -> list[str]:
    """Names of the stored clients, sorted."""
    return [r[0] for r in con.execute("SELECT client FROM clients ORDER BY client").fetchall()]
