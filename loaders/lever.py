"""Lever API exports (JSON): an export folder holds the vendor's objects one file each, named as
Lever names them (`opportunities.json`, `postings.json`, `applications.json`, `stages.json`,
`archive_reasons.json`), each a list of objects or a page `{"data": [...], ...}`.

- `postings` are the requisitions: `id, text, categories {department, team}, hiringManager, owner,
  state, createdAt`; a `closed` or `archived` posting ends at its `updatedAt` (Lever keeps no close
  date), so it stops awaiting a first submittal.
- `opportunities` are the applications (candidate x posting; the posting comes from the
  opportunity's `applications` in `applications.json`): `id, contact, origin, createdAt`.
  An opportunity on more than one posting (its `applications` name several) is loaded once, on
  its first application's posting, and the report counts such opportunities and names them with
  the postings they were not loaded on: Lever keeps one stage history per opportunity, not per
  posting, so it cannot be split between them, and copying it to each would count one
  candidate's submittal to several requisitions.
- their `stageChanges [{toStageId, updatedAt}]` are the stage events, named by `stages.json`; a
  change going backwards or re-entering a stage is kept, and the first entry counts as reached.
- archiving is not a stage change: `archived {reason, archivedAt}` becomes one more event whose
  stage word is the archive reason's text (`archive_reasons.json`), so the client's dictionary
  decides what it means ("Hired" -> hired, others -> rejected or withdrawn); a reason it lacks is
  loaded as unmapped and reported, never guessed.
All times are epoch milliseconds, which the shared parser reads as UTC instants.

These rules are written once, here: `opportunity_tables` (an opportunity's application and its
events) and `stage_event` (one stage change) also read the Lever connector's warehouse tables
(`connectors.py` hands them their rows as Lever's objects).
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from loaders.template import is_closed_status
from loaders.vendor_json import text_table

FORMAT = "lever"
LOOKUPS = ("stages", "archive_reasons", "applications", "requisitions")
OBJECTS = ("opportunities", "postings") + LOOKUPS


def object_name(path: Path) -> str | None:
    """Which Lever object a file holds, by its name (`opportunities.json`, `Opportunities (1).json`,
    `lever_stages.json`)."""
    stem = path.stem.lower().split(" ")[0].split("(")[0].strip("_- ").removeprefix("lever").strip("_- ")
    return stem if stem in OBJECTS else None


# Fields that say which Lever object a list holds, by content, whatever the file is called
# (`lever_opportunities.json`, `export.txt`).
_FIELDS = {"opportunities": ("stageChanges",), "postings": ("categories", "hiringManager"),
           "applications": ("opportunityId",), "requisitions": ("requisitionCode", "headcountTotal")}


def kind_of(path: Path, items: list[dict]) -> str | None:
    """Which Lever object a JSON file holds: by its objects' fields (`stageChanges` for opportunities,
    ...); `stages` and `archive_reasons` are both `{id, text}` lists, told apart by the file's name, or
    by Lever's default stage ids (`lead-new`, `applicant-new`). None when it holds no Lever objects."""
    name = object_name(path)
    first = items[0] if items else {}
    by_fields = next((k for k, fields in _FIELDS.items() if any(f in first for f in fields)), None)
    if by_fields:
        return by_fields
    if first and set(first) <= {"id", "text", "status"} and "text" in first:
        if name in ("stages", "archive_reasons"):
            return name
        ids = {str(o.get("id")) for o in items}
        return "stages" if ids & {"lead-new", "applicant-new", "offer", "lead-reached-out"} else None
    return name if not first and name else None


def looks_like_lever(path: Path, items: list[dict]) -> bool:
    """Whether a JSON file holds Lever objects (`kind_of`)."""
    return kind_of(path, items) is not None


def _lookup(folder: Path, name: str, key: str = "text", streams: dict | None = None) -> dict | None:
    """id -> `key` of the Lever objects `name`: from `streams` (name -> objects, a connector's
    streams) when given, else from the JSON file beside `folder`'s file that holds them; None when
    there is none."""
    if streams is not None:
        items = streams.get(name)
    else:
        path = next((p for p in sorted(folder.iterdir()) if p.suffix.lower() in (".json", ".jsonl", ".txt")
                     and object_name(p) == name), None)
        from loaders.connectors import read_json   # (connectors imports this module)
        items = read_json(path).items if path is not None else None
    return None if items is None else {str(o.get("id")): o.get(key) for o in items}


def _closed_at(posting: dict):
    """When a posting ended: Lever carries no close date, so a closed or archived posting's last
    update (`updatedAt`) stands in for it (any status word in `template.CLOSED_STATUSES`); an open
    one has none. Without it a closed posting would await a first submittal forever."""
    if is_closed_status(posting.get("state")):
        return posting.get("updatedAt")
    return None


def tables(path: Path, items: list[dict], kind: str | None = None,
           streams: dict | None = None) -> tuple[list[tuple[str, pa.Table]], list[str]]:
    """The template tables one Lever file gives, (kind, all-text table in template columns), and
    notes for its load report. `kind`: the Lever object the items are (default `kind_of`);
    `streams`: the lookups' objects by name (a connector's streams) instead of the files beside it."""
    name = kind or kind_of(path, items)
    if name == "postings":
        rows = [{"__row": i, "requisition_id": o.get("id"), "title": o.get("text"),
                 "department": (o.get("categories") or {}).get("department") or (o.get("categories") or {}).get("team"),
                 "hiring_manager": o.get("hiringManager"), "recruiter": o.get("owner"),
                 "opened_at": o.get("createdAt"), "status": o.get("state"), "closed_at": _closed_at(o)}
                for i, o in enumerate(items, start=1)]
        return [("requisitions", text_table(rows, ["requisition_id", "title", "department", "hiring_manager",
                                               "recruiter", "opened_at", "closed_at", "status"]))], []
    if name != "opportunities":
        return [], []
    stages = _lookup(path.parent, "stages", streams=streams) or {}
    reasons = _lookup(path.parent, "archive_reasons", streams=streams) or {}
    postings = _lookup(path.parent, "applications", key="posting", streams=streams)
    notes = []
    if postings is None and items:
        # An opportunity names its applications, and only they name the posting (the requisition).
        postings = {}
        notes.append("no applications beside the opportunities: every opportunity's posting (its requisition) "
                     "comes from Lever's applications, so none could be loaded; add applications.json (Lever's "
                     "/opportunities/:id/applications, or the connector's applications stream) and load again")
    pieces, more = opportunity_tables(items, stages, reasons, postings)
    return pieces, notes + more


def stage_event(row: int, opportunity_id, change: dict, stages: dict) -> dict:
    """The stage event of one stage change `{toStageId, updatedAt}`, named by `stages` (id -> text;
    an id it lacks stays the stage word, loaded as unmapped)."""
    stage_id = change.get("toStageId")
    return {"__row": row, "application_id": opportunity_id, "stage": stages.get(str(stage_id).strip()) or stage_id,
            "entered_at": change.get("updatedAt"), "stage_id": stage_id}


EVENT_COLUMNS = ["application_id", "stage", "entered_at", "stage_id"]


def opportunity_tables(items: list[dict], stages: dict, reasons: dict, postings: dict
                       ) -> tuple[list[tuple[str, pa.Table]], list[str]]:
    """Opportunities (Lever's objects) as applications and stage events, and notes: `stages` and
    `reasons` name stage and archive reason ids, `postings` gives each application id's posting.
    An opportunity on several postings is loaded on its first application's (the module's
    docstring says why), and the note names it."""
    apps, events, several = [], [], []
    for i, o in enumerate(items, start=1):
        found = list(dict.fromkeys(postings[str(a)] for a in o.get("applications") or [] if str(a) in postings))
        if len(found) > 1:
            several.append(f"{o.get('id')} (not loaded on {', '.join(str(p) for p in found[1:])})")
        apps.append({"__row": i, "application_id": o.get("id"), "requisition_id": found[0] if found else None,
                     "candidate_id": o.get("contact"), "source": o.get("origin"), "applied_at": o.get("createdAt")})
        for change in o.get("stageChanges") or []:
            events.append(stage_event(i, o.get("id"), change, stages))
        archived = o.get("archived") or {}
        if archived.get("archivedAt"):
            # Archiving is not a stage change: the archive reason's words are the stage word.
            reason = archived.get("reason")
            events.append({"__row": i, "application_id": o.get("id"), "stage": reasons.get(str(reason)) or reason,
                           "entered_at": archived.get("archivedAt"), "stage_id": None})
    notes = []
    if several:
        shown = several[:20] + ([f"and {len(several) - 20} more"] if len(several) > 20 else [])
        notes.append(f"{len(several)} opportunity(ies) on more than one posting, each loaded once on its first "
                     f"application's posting (Lever keeps one stage history per opportunity): {'; '.join(shown)}")
    return [("applications", text_table(apps, ["application_id", "requisition_id", "candidate_id", "source",
                                           "applied_at"])),
            ("stage_events", text_table(events, EVENT_COLUMNS))], notes
