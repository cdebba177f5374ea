"""Client settings: read and validate a client's TOML file, store it, and apply its stage dictionary."""
from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomli_w

import access
from metrics.definitions import TARGET_UNITS
from store import OUTCOMES, STAGES, transaction

# Every setting with its default and the help text the glossary and the docs show.
SETTINGS_HELP = {
    "name": ("(required)", "The client's display name; files refer to it trimmed and case-insensitively."),
    "timezone": ("UTC", "IANA time zone; day counts use local dates in this zone."),
    "day_count": ("calendar", "'calendar' days, or 'business' days (weekdays that are not holidays)."),
    "holidays": ("[]", "Dates skipped in business-day mode, as YYYY-MM-DD."),
    "date_order": ("MDY", "How to read ambiguous slash dates such as 03/04/2026: 'MDY' or 'DMY'."),
    "ats_companies": ("[]", "The companies in ATS exports that are this client (a Bullhorn client corporation's id "
                            "or name). A company no client lists is the client named like it; rows of a company "
                            "that is no client are rejected, never loaded as another client's."),
    "sla.first_submittals": ("1", "K: submittals due per requisition for the SLA."),
    "sla.within_days": ("10", "N: days after the requisition start within which the K submittals are due."),
    "targets.*": ("none", "Targets shown next to the actuals (see the metric keys in the glossary)."),
    "stages": ("{}", "The client's stage words mapped to canonical stages."),
    "branding.logo": ("none", "Review decks: an image file (PNG or JPEG) shown on the title slide and in a corner "
                              "of every slide; absolute, or relative to the project folder."),
    "branding.accent": ("none", "Review decks: the accent colour as #RRGGBB (title band, headings, first chart series)."),
    "branding.template": ("none", "Review decks: a 16:9 .pptx whose slide layouts and theme the deck uses; absolute, "
                                  "or relative to the project folder."),
}
BRANDING_KEYS = ("logo", "accent", "template")

# The targets a file may set are the metrics' own (`metrics.definitions.TARGET_UNITS`). Rates are
# written as fractions (0.45 for 45%); the others are medians in days.
TARGET_KEYS = tuple(TARGET_UNITS)
RATE_TARGETS = tuple(key for key, unit in TARGET_UNITS.items() if unit == "rate")
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
    branding: dict[str, str] = field(default_factory=dict)
    ats_companies: list[str] = field(default_factory=list)
    email_domains: list[str] = field(default_factory=list)
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
    companies = data.get("ats_companies", [])
    if not isinstance(companies, list):
        fail("ats_companies", "must be a list of the client's company ids or names in ATS exports, "
             "e.g. ats_companies = [\"Jergens Inc\", \"1234\"]")
    for company in companies:
        # An id may be written as a number (1234); true/false, dates and tables name no company.
        if isinstance(company, bool) or not isinstance(company, (str, int)) or not str(company).strip():
            fail("ats_companies", f"has {company!r}: write each company's id or name as text, e.g. \"1234\"")
        text = " ".join(str(company).split())
        if match_key(text) in map(match_key, s.ats_companies):
            fail("ats_companies", f"lists {text!r} twice (companies match case-insensitively): keep one")
        s.ats_companies.append(text)
    domains = data.get("email_domains", [])
    if not isinstance(domains, list):
        fail("email_domains", "must be a list of the client's e-mail domains, e.g. email_domains = [\"acme.com\"]")
    for domain in domains:
        text = str(domain).strip().lower().removeprefix("@")
        if not isinstance(domain, str) or not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", text):
            fail("email_domains", f"has {domain!r}: write a domain such as \"acme.com\"")
        if text not in s.email_domains:
            s.email_domains.append(text)
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
        if key in RATE_TARGETS and not 0 <= value <= 1:
            fail(f"targets.{key}", f"= {value!r} must be a fraction between 0 and 1 (0.45 for 45%)")
        if value < 0:
            fail(f"targets.{key}", f"= {value!r} must be a number of days of at least 0")
        s.targets[key] = float(value)
    for key, value in data.get("branding", {}).items():
        if key not in BRANDING_KEYS:
            fail(f"branding.{key}", f"is not a known branding setting; use one of {', '.join(BRANDING_KEYS)}")
        if not isinstance(value, str) or not value.strip():
            fail(f"branding.{key}", f"= {value!r} must be a text value")
        value = value.strip()
        if key == "accent" and not re.fullmatch(r"#[0-9A-Fa-f]{6}", value):
            fail("branding.accent", f"= {value!r} must be a colour written #RRGGBB, e.g. \"#1F6FB2\"")
        if key == "template" and not value.lower().endswith(".pptx"):
            fail("branding.template", f"= {value!r} must name a PowerPoint .pptx file")
        if key == "logo" and not value.lower().endswith((".png", ".jpg", ".jpeg")):
            fail("branding.logo", f"= {value!r} must name a PNG or JPEG image")
        s.branding[key] = value
    seen = {}
    for word, stage in data.get("stages", {}).items():
        if str(stage).strip().lower() not in CANONICAL_WORDS:
            fail(f"stages.{word!r}", f"= {stage!r} must be one of {', '.join(CANONICAL_WORDS)}")
        word = " ".join(str(word).split())
        if not word:
            fail("stages", "has an empty stage word: write the client's word for the stage")
        # Words match trimmed and case-insensitively, so two spellings of one word would be ambiguous.
        if match_key(word) in seen:
            fail(f"stages.{word!r}", f"repeats {seen[match_key(word)]!r} (words match case-insensitively): keep one")
        seen[match_key(word)] = word
        s.stages[word] = str(stage).strip().lower()
    return s


def settings_document(s: ClientSettings) -> dict:
    """The settings as a TOML document (the layout of interfaces.md), for `settings_toml`."""
    return {"name": s.name, "timezone": s.timezone, "day_count": s.day_count,
            "holidays": [h.isoformat() for h in s.holidays], "date_order": s.date_order,
            **({"ats_companies": list(s.ats_companies)} if s.ats_companies else {}),
            **({"email_domains": list(s.email_domains)} if s.email_domains else {}),
            "sla": {"first_submittals": s.sla_first_submittals, "within_days": s.sla_within_days},
            "targets": {k: s.targets[k] for k in TARGET_KEYS if k in s.targets}, "stages": dict(s.stages),
            "branding": dict(s.branding)}


def settings_toml(doc: dict) -> str:
    """A settings document as the text of a client's TOML file; empty tables are left out and
    whole numbers are written without a decimal point (`within_days = 5`, not `5.0`)."""
    def tidy(value):
        return int(value) if isinstance(value, float) and value.is_integer() else value
    doc = {k: ({kk: tidy(vv) for kk, vv in v.items()} if isinstance(v, dict) else v) for k, v in doc.items()
           if v != {}}
    return tomli_w.dumps(doc)


def read_settings_file(path: Path | str) -> ClientSettings:
    """Read and validate a client's settings file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read the settings file: {exc.strerror}") from exc
    return parse_settings(text, origin=str(path))


CLIENT_TABLES = ("requisitions", "applications", "stage_events", "commitments", "rejected_rows", "files",
                 "stage_dictionary", "application_facts", "facts_state", "schedules", "deliveries")


def has_data(con, client: str) -> bool:
    """Whether any requisition, application, stage event or commitment of the client is stored."""
    return any(con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {t} WHERE client = ? LIMIT 1)",
                           [client]).fetchall()[0][0] for t in CLIENT_TABLES[:4])


def save_client(con, s: ClientSettings, *, user: str | None = None, **detail) -> int:
    """Create or update the client and its dictionary; re-map its stored stage events. The change
    is recorded in the audit log, before and after, under `user` (default: the OS user), with `detail`.

    A new spelling of the same name (`ACME Corp` for `Acme Corp`) renames the client everywhere.
    A new time zone re-derives the stored local dates (`rederive_local_dates`). The date order
    cannot change once data is loaded: slash dates were read with it, and re-reading them needs
    the files (SettingsError says what to do instead). It writes several tables: call it inside a
    transaction. Returns the number of stored events whose canonical stage changed.
    """
    key = match_key(s.name)
    old = get_client(con, s.name)
    others = {company: client for company, client in ats_company_clients(con).items() if match_key(client) != key}
    for company in s.ats_companies:
        if match_key(company) in others:
            raise SettingsError(f"{s.name}: `ats_companies` lists {company!r}, which {others[match_key(company)]!r} "
                                "lists already: a company in the ATS exports is one client's; remove it from one of them")
    if old:
        loaded = has_data(con, old["client"])
        if loaded and old["date_order"] != s.date_order:
            raise SettingsError(
                f"{s.name}: `date_order` cannot change from {old['date_order']!r} to {s.date_order!r} "
                f"because data is already loaded and its dates were read with {old['date_order']!r}. Keep "
                f"date_order = {old['date_order']!r}, or load the files again into a new database "
                "(--db NEW.duckdb) with the new setting.")
        if loaded and old["timezone"] != s.timezone:
            rederive_local_dates(con, old["client"], old["timezone"], s.timezone)
        if old["client"] != s.name:
            for table in CLIENT_TABLES:
                con.execute(f"UPDATE {table} SET client = ? WHERE client = ?", [s.name, old["client"]])
            con.execute("UPDATE files SET clients = list_transform(clients, lambda c: CASE WHEN c = ? THEN ? "
                        "ELSE c END) WHERE list_contains(clients, ?)", [old["client"], s.name, old["client"]])
    con.execute("DELETE FROM clients WHERE client_key = ?", [key])
    con.execute(
        "INSERT INTO clients VALUES (?, ?, ?, ?, ?::DATE[], ?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [s.name, key, s.timezone, s.day_count, s.holidays, s.date_order, s.sla_first_submittals,
         s.sla_within_days, json.dumps(s.targets), s.source_text or settings_toml(settings_document(s))])
    con.execute("DELETE FROM stage_dictionary WHERE client = ?", [s.name])
    if s.stages:
        con.executemany("INSERT INTO stage_dictionary VALUES (?, ?, ?, ?)",
                        [[s.name, match_key(w), w, st] for w, st in s.stages.items()])
    access.record(con, user or access.local_user(), "settings", s.name, before=old and old["settings_toml"],
                  after=get_client(con, s.name)["settings_toml"], **detail)
    changed = apply_dictionary(con, s.name)
    if old and has_data(con, s.name):
        # The stage words and local dates the stored facts were computed from may have changed.
        from metrics.engine import refresh_facts   # here: metrics.engine imports this module
        refresh_facts(con, [s.name])
    return changed


def _time_pairs(con) -> dict[str, list[str]]:
    """{table: [time column stems]}: every `*_at` instant stored with its `*_on` local date."""
    pairs = {}
    for table in CLIENT_TABLES[:4]:
        cols = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
        pairs[table] = sorted(c[:-3] for c in cols if c.endswith("_at") and f"{c[:-3]}_on" in cols)
    return {t: stems for t, stems in pairs.items() if stems}


def _rederived_sql(stem: str) -> tuple[str, str]:
    """SQL for one time's new (`*_at`, `*_on`) when the zone changes from $old to $new."""
    # A bare date was stored at local midnight of its date (loaders/parse.py instant_sql); an
    # instant that happens to fall exactly on local midnight cannot be told apart and is read as
    # a date too, which keeps its local date (the likelier reading: exports write dates that way).
    was_date = f"{stem}_at = timezone('UTC', timezone($old, {stem}_on::TIMESTAMP))"
    new_at = f"CASE WHEN {was_date} THEN timezone('UTC', timezone($new, {stem}_on::TIMESTAMP)) ELSE {stem}_at END"
    new_on = f"CASE WHEN {was_date} THEN {stem}_on ELSE timezone($new, {stem}_at::TIMESTAMPTZ)::DATE END"
    return new_at, new_on


def moved_local_dates(con, client: str, old_tz: str, new_tz: str) -> int:
    """How many of the client's stored times would fall on another local date in `new_tz`."""
    total = 0
    for table, stems in _time_pairs(con).items():
        moved = " + ".join(f"count(*) FILTER (WHERE ({_rederived_sql(s)[1]}) IS DISTINCT FROM {s}_on)"
                           for s in stems)
        total += con.execute(f"SELECT {moved} FROM {table} WHERE client = $client",
                             {"client": client, "old": old_tz, "new": new_tz}).fetchall()[0][0]
    return total


def rederive_local_dates(con, client: str, old_tz: str, new_tz: str) -> None:
    """Re-derive the client's stored times for a new time zone, without the files.

    For every `*_at` / `*_on` pair (requisitions opened, assigned, closed; applications applied;
    stage events entered, exited): a value loaded as a bare local date, recognised by its
    `*_at` being exactly local midnight of its `*_on` in `old_tz`, keeps its date and moves its
    instant to midnight of that date in `new_tz`; any other value keeps its instant and gets its
    local date in `new_tz`. The one ambiguity: an instant exactly at local midnight in `old_tz`
    is read as a bare date (it keeps its local date). Commitments hold only dates: unchanged.
    """
    for table, stems in _time_pairs(con).items():
        sets = []
        for stem in stems:
            new_at, new_on = _rederived_sql(stem)
            # Both expressions read the row's values from before the update.
            sets += [f"{stem}_at = {new_at}", f"{stem}_on = {new_on}"]
        con.execute(f"UPDATE {table} SET {', '.join(sets)} WHERE client = $client",
                    {"client": client, "old": old_tz, "new": new_tz})


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


def stored_settings(con, name: str) -> ClientSettings | None:
    """The client's settings as stored in the database (None for an unknown client)."""
    row = get_client(con, name)
    if row is None:
        return None
    # Branding, ATS companies and e-mail domains only ever live in the settings text (no column of their own).
    parsed = parse_settings(row["settings_toml"]) if row["settings_toml"] else ClientSettings(name=row["client"])
    return ClientSettings(
        name=row["client"], timezone=row["timezone"], day_count=row["day_count"], holidays=sorted(row["holidays"]),
        date_order=row["date_order"], sla_first_submittals=row["sla_first_submittals"],
        sla_within_days=row["sla_within_days"], targets=row["targets"],
        stages={word: stage for word, stage in get_dictionary(con, row["client"])},
        branding=parsed.branding, ats_companies=parsed.ats_companies, email_domains=parsed.email_domains,
        source_text=row["settings_toml"] or "")


def _target_text(key: str, value: float | None) -> str:
    if value is None:
        return "none"
    return f"{value * 100:g}%" if key in RATE_TARGETS else f"{value:g} days"


def describe_changes(old: ClientSettings, new: ClientSettings) -> list[str]:
    """What differs between two versions of a client's settings, in words for people."""
    out = []
    for f in fields(ClientSettings):
        a, b = getattr(old, f.name), getattr(new, f.name)
        if f.name in ("source_text", "targets", "stages", "holidays", "branding", "ats_companies") or a == b:
            continue
        out.append(f"`{f.name.replace('sla_', 'sla.')}`: {a} → {b}")
    added, removed = sorted(set(new.holidays) - set(old.holidays)), sorted(set(old.holidays) - set(new.holidays))
    if added or removed:
        out.append("`holidays`: " + "; ".join(
            part for part in (f"added {', '.join(map(str, added))}" if added else "",
                              f"removed {', '.join(map(str, removed))}" if removed else "") if part))
    if old.ats_companies != new.ats_companies:
        out.append(f"`ats_companies`: {', '.join(old.ats_companies) or 'none'} → {', '.join(new.ats_companies) or 'none'}")
    for key in TARGET_KEYS:
        a, b = old.targets.get(key), new.targets.get(key)
        if a != b:
            out.append(f"`targets.{key}`: {_target_text(key, a)} → {_target_text(key, b)}")
    for key in BRANDING_KEYS:
        a, b = old.branding.get(key), new.branding.get(key)
        if a != b:
            out.append(f"`branding.{key}`: {a or 'none'} → {b or 'none'}")
    for word in sorted(set(old.stages) | set(new.stages)):
        a, b = old.stages.get(word), new.stages.get(word)
        if a != b:
            out.append(f"stage word {word!r}: {a or 'not in the dictionary'} → {b or 'removed'}")
    return out


def save_settings(con, s: ClientSettings, *, user: str | None = None) -> list[str]:
    """Save settings edited in the dashboard in one transaction, exactly as `python -m loaders
    client` would (recorded under `user`); return what changed, in words (settings, events
    re-mapped, dates moved)."""
    with transaction(con):
        old = stored_settings(con, s.name)
        redate = bool(old and old.timezone != s.timezone and has_data(con, old.name))
        moved = moved_local_dates(con, old.name, old.timezone, s.timezone) if redate else 0
        remapped = save_client(con, s, user=user, via="Settings page")
    out = describe_changes(old, s) if old else [f"client {s.name} created"]
    if redate:
        out.append(f"{moved} stored time(s) now fall on another local date in {s.timezone}; "
                   "dates loaded without a time of day kept their date")
    if remapped:
        out.append(f"{remapped} stored event(s) re-mapped to another stage")
    return out


def add_stage_words(con, client: str, words: list[str], stage: str) -> int:
    """Map the client's stage words to a canonical stage: add them to its dictionary and to its
    stored settings file, and re-map the stored events (no reload). Returns how many events moved."""
    with transaction(con):
        s = stored_settings(con, client)
        if s is None:
            raise SettingsError(f"no client named {client!r}")
        # One entry serves every spelling of a word (matching ignores case and spacing), so a word
        # chosen in two spellings is added once, and an existing entry for it is replaced.
        chosen = {match_key(w): w for w in words}
        s.stages = {w: canon for w, canon in s.stages.items() if match_key(w) not in chosen}
        s.stages.update({word: stage for word in chosen.values()})
        s = parse_settings(settings_toml(settings_document(s)), origin=f"{s.name}'s settings")
        return save_client(con, s)


def ats_company_clients(con) -> dict[str, str]:
    """{company (as `match_key` spells it): client} for every company a client's `ats_companies`
    lists (a company no client lists is the client named like it: see `loaders.ingest`)."""
    out = {}
    for client, text in con.execute("SELECT client, settings_toml FROM clients "
                                    "WHERE contains(settings_toml, 'ats_companies')").fetchall():
        out.update({match_key(company): client for company in parse_settings(text).ats_companies})
    return out


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
