"""Bullhorn REST JSON exports: one file per entity, named as Bullhorn names it (`JobOrder.json`,
`JobSubmission.json`, `JobSubmissionHistory.json`, `Placement.json`, `Appointment.json`), each a
list or a page `{"total", "start", "count", "data": [...]}`; nested entities arrive as `{"id": ...}`
and times as epoch milliseconds.

- `JobOrder` is the requisition: `id, title, status, numOpenings, dateAdded, dateClosed`, the
  client contact as hiring manager and the owner as recruiter. A job order has no department
  field: `department` when the export carries one, else the client corporation's name.
- `JobSubmission` (candidate x job order) is the application: `id, candidate, jobOrder, source,
  dateWebResponse` (else `dateAdded`) as applied.
- `JobSubmissionHistory` is the event log: each `status` at its `dateAdded` is a stage event in the
  client's words. The submittal is the entry the client's dictionary maps to `submitted`, never
  `JobSubmission.dateAdded` (Bullhorn resets that date when a web response is promoted), and
  "New Lead" web responses count as no stage unless the dictionary says so.
- `Placement` is a hire: a `hired` event at its `dateAdded`.
- `Appointment` of type "Interview" is an `interviewed` event at its `dateBegin`, for the
  submission of that candidate to that job order (from `JobSubmission.json` beside it).
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from loaders.vendor_json import person, read_objects, text_table

FORMAT = "bullhorn"
ENTITIES = {"joborder": "JobOrder", "jobsubmission": "JobSubmission", "jobsubmissionhistory": "JobSubmissionHistory",
            "placement": "Placement", "appointment": "Appointment"}
# A field each entity's objects carry, to recognise a file by content as well as by name.
_FIELDS = {"JobOrder": ("title", "numOpenings", "clientCorporation", "isOpen"),
           "JobSubmission": ("jobOrder", "candidate"), "JobSubmissionHistory": ("jobSubmission", "status"),
           "Placement": ("jobSubmission",), "Appointment": ("dateBegin", "type")}


def entity(path: Path, items: list[dict]) -> str | None:
    """Which Bullhorn entity a file holds: named after it, with that entity's fields."""
    name = ENTITIES.get(path.stem.lower().replace("_", "").replace("-", "").split(" ")[0])
    first = items[0] if items else {}
    return name if name and (not first or any(f in first for f in _FIELDS[name])) else None


def _id(v):
    return v.get("id") if isinstance(v, dict) else v


def _submissions(folder: Path) -> dict:
    """(candidate id, job order id) -> submission id, from `JobSubmission.json` beside a file."""
    path = next((p for p in sorted(folder.glob("*.json")) if p.stem.lower() == "jobsubmission"), None)
    if path is None:
        return {}
    return {(str(_id(o.get("candidate"))), str(_id(o.get("jobOrder")))): o.get("id") for o in read_objects(path)}


def tables(path: Path, items: list[dict]) -> tuple[list[tuple[str, pa.Table]], list[str]]:
    """The template tables one Bullhorn file gives, and notes for its load report."""
    name = entity(path, items)
    if name == "JobOrder":
        rows = [{"__row": i, "requisition_id": o.get("id"), "title": o.get("title"),
                 "department": o.get("department") or (o.get("clientCorporation") or {}).get("name"),
                 "hiring_manager": person(o.get("clientContact")), "recruiter": person(o.get("owner")),
                 "opened_at": o.get("dateAdded"), "closed_at": o.get("dateClosed"), "status": o.get("status"),
                 "openings": o.get("numOpenings"), "client_corporation": (o.get("clientCorporation") or {}).get("name")}
                for i, o in enumerate(items, start=1)]
        return [("requisitions", text_table(rows, ["requisition_id", "title", "department", "hiring_manager",
                                                   "recruiter", "opened_at", "closed_at", "status", "openings",
                                                   "client_corporation"]))], []
    if name == "JobSubmission":
        rows = [{"__row": i, "application_id": o.get("id"), "requisition_id": _id(o.get("jobOrder")),
                 "candidate_id": _id(o.get("candidate")), "source": o.get("source"),
                 "applied_at": o.get("dateWebResponse") or o.get("dateAdded"), "bullhorn_status": o.get("status")}
                for i, o in enumerate(items, start=1)]
        return [("applications", text_table(rows, ["application_id", "requisition_id", "candidate_id", "source",
                                                   "applied_at", "bullhorn_status"]))], []
    events, notes = [], []
    if name == "JobSubmissionHistory":
        events = [{"__row": i, "application_id": _id(o.get("jobSubmission")), "stage": o.get("status"),
                   "entered_at": o.get("dateAdded")} for i, o in enumerate(items, start=1)]
    elif name == "Placement":
        events = [{"__row": i, "application_id": _id(o.get("jobSubmission")), "stage": "hired",
                   "entered_at": o.get("dateAdded")} for i, o in enumerate(items, start=1)]
    elif name == "Appointment":
        subs = _submissions(path.parent)
        interviews = [(i, o) for i, o in enumerate(items, start=1) if str(o.get("type", "")).lower() == "interview"]
        events = [{"__row": i, "application_id": subs.get((str(_id(o.get("candidateReference"))),
                                                           str(_id(o.get("jobOrder"))))),
                   "stage": "interviewed", "entered_at": o.get("dateBegin")} for i, o in interviews]
        if len(interviews) < len(items):
            notes.append(f"{len(items) - len(interviews)} appointment(s) of another type than Interview not read")
    return [("stage_events", text_table(events, ["application_id", "stage", "entered_at"]))], notes
