"""Lever API exports (JSON): an export folder holds the vendor's objects one file each, named as
Lever names them (`opportunities.json`, `postings.json`, `applications.json`, `stages.json`,
`archive_reasons.json`), each a list of objects or a page `{"data": [...], ...}`.

- `postings` are the requisitions: `id, text, categories {department, team}, hiringManager, owner,
  state, createdAt`; a `closed` or `archived` posting ends at its `updatedAt` (Lever keeps no close
  date), so it stops awaiting a first submittal.
- `opportunities` are the applications (candidate x posting; the posting comes from the
  opportunity's `applications` in `applications.json`): `id, contact, origin, createdAt`.
- their `stageChanges [{toStageId, updatedAt}]` are the stage events, named by `stages.json`; a
  change going backwards or re-entering a stage is kept, and the first entry counts as reached.
- archiving is not a stage change: `archived {reason, archivedAt}` becomes one more event whose
  stage word is the archive reason's text (`archive_reasons.json`), so the client's dictionary
  decides what it means ("Hired" -> hired, others -> rejected or withdrawn); a reason it lacks is
  loaded as unmapped and reported, never guessed.
All times are epoch milliseconds, which the shared parser reads as UTC instants.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from loaders.vendor_json import read_objects, text_table

FORMAT = "lever"
LOOKUPS = ("stages", "archive_reasons", "applications", "requisitions")
OBJECTS = ("opportunities", "postings") + LOOKUPS


def object_name(path: Path) -> str | None:
    """Which Lever object a file holds, by its name (`opportunities.json`, `Opportunities (1).json`)."""
    stem = path.stem.lower().split(" ")[0].split("(")[0].strip("_- ")
    return stem if stem in OBJECTS else None


def looks_like_lever(path: Path, items: list[dict]) -> bool:
    """A JSON file named as a Lever object whose first object has that object's fields."""
    name = object_name(path)
    if name is None:
        return False
    first = items[0] if items else {}
    fields = {"opportunities": ("stageChanges",), "postings": ("categories", "text"),
              "applications": ("opportunityId", "posting")}.get(name)
    return fields is None or any(f in first for f in fields)


def _lookup(folder: Path, name: str, key: str = "text") -> dict:
    path = next((p for p in sorted(folder.glob("*.json")) if object_name(p) == name), None)
    if path is None:
        return {}
    return {str(o.get("id")): o.get(key) for o in read_objects(path)}


CLOSED_STATES = ("closed", "archived")


def _closed_at(posting: dict):
    """When a posting ended: Lever carries no close date, so a closed or archived posting's last
    update (`updatedAt`) stands in for it; an open one has none. Without it a closed posting would
    await a first submittal forever."""
    if str(posting.get("state") or "").strip().lower() in CLOSED_STATES:
        return posting.get("updatedAt")
    return None


def tables(path: Path, items: list[dict]) -> list[tuple[str, pa.Table]]:
    """The template tables one Lever file gives: (kind, all-text table in template columns)."""
    name = object_name(path)
    if name == "postings":
        rows = [{"__row": i, "requisition_id": o.get("id"), "title": o.get("text"),
                 "department": (o.get("categories") or {}).get("department") or (o.get("categories") or {}).get("team"),
                 "hiring_manager": o.get("hiringManager"), "recruiter": o.get("owner"),
                 "opened_at": o.get("createdAt"), "status": o.get("state"), "closed_at": _closed_at(o)}
                for i, o in enumerate(items, start=1)]
        return [("requisitions", text_table(rows, ["requisition_id", "title", "department", "hiring_manager",
                                               "recruiter", "opened_at", "closed_at", "status"]))]
    if name != "opportunities":
        return []
    stages = _lookup(path.parent, "stages")
    reasons = _lookup(path.parent, "archive_reasons")
    postings = _lookup(path.parent, "applications", key="posting")
    apps, events = [], []
    for i, o in enumerate(items, start=1):
        posting = next((postings[str(a)] for a in o.get("applications") or [] if str(a) in postings), None)
        apps.append({"__row": i, "application_id": o.get("id"), "requisition_id": posting,
                     "candidate_id": o.get("contact"), "source": o.get("origin"), "applied_at": o.get("createdAt")})
        for change in o.get("stageChanges") or []:
            stage_id = change.get("toStageId")
            events.append({"__row": i, "application_id": o.get("id"), "stage": stages.get(str(stage_id)) or stage_id,
                           "entered_at": change.get("updatedAt"), "stage_id": stage_id})
        archived = o.get("archived") or {}
        if archived.get("archivedAt"):
            reason = archived.get("reason")
            events.append({"__row": i, "application_id": o.get("id"), "stage": reasons.get(str(reason)) or reason,
                           "entered_at": archived.get("archivedAt"), "stage_id": None})
    return [("applications", text_table(apps, ["application_id", "requisition_id", "candidate_id", "source",
                                           "applied_at"])),
            ("stage_events", text_table(events, ["application_id", "stage", "entered_at", "stage_id"]))]
