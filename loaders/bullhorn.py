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

The DataLoader CSV flavour (`JobOrder.csv`, `JobSubmission.csv`, ...) holds the same entities with
dotted headers (`jobOrder.externalID`, `sendingUser.name`) and US short dates (`1/2/16 00:00`). Each
row is read back into the object it flattens, so both flavours share every rule above:
- `id` or `externalID` is the entity's id (a nested `x.id` or `x.externalID`, the nested object's);
  a submission without one is known by its job order and candidate (`JO-1/C-7`), Bullhorn's own
  rule of one submission per candidate and job order;
- a time of exactly `00:00` is a bare date (DataLoader writes dates that way), so it stays that
  day in the client's time zone instead of becoming midnight UTC.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pyarrow as pa

from loaders.vendor_json import person, read_objects, text_table

FORMAT = "bullhorn"
ENTITIES = {"joborder": "JobOrder", "jobsubmission": "JobSubmission", "jobsubmissionhistory": "JobSubmissionHistory",
            "placement": "Placement", "appointment": "Appointment"}
# A field each entity's objects carry, to recognise a file by content as well as by name.
_FIELDS = {"JobOrder": ("title", "numOpenings", "clientCorporation", "isOpen"),
           "JobSubmission": ("jobOrder", "candidate"), "JobSubmissionHistory": ("jobSubmission", "status"),
           "Placement": ("jobSubmission", "dateBegin"), "Appointment": ("dateBegin", "type")}


# The entity's field behind each template column, for messages and rejected rows.
SOURCE_NAMES = {
    "JobOrder": {"requisition_id": "id", "opened_at": "dateAdded", "closed_at": "dateClosed", "openings": "numOpenings",
                 "hiring_manager": "clientContact", "recruiter": "owner"},
    "JobSubmission": {"application_id": "id", "requisition_id": "jobOrder", "candidate_id": "candidate",
                      "applied_at": "dateWebResponse / dateAdded"},
    "JobSubmissionHistory": {"application_id": "jobSubmission", "stage": "status", "entered_at": "dateAdded"},
    "Placement": {"application_id": "jobSubmission", "entered_at": "dateAdded"},
    "Appointment": {"application_id": "candidateReference + jobOrder", "entered_at": "dateBegin"},
}


def entity(path: Path, items: list[dict]) -> str | None:
    """Which Bullhorn entity a file holds: named after it, with that entity's fields."""
    name = ENTITIES.get(path.stem.lower().replace("_", "").replace("-", "").split(" ")[0])
    first = items[0] if items else {}
    return name if name and (not first or any(f in first for f in _FIELDS[name])) else None


def _id(v):
    return v.get("id") if isinstance(v, dict) else v


def _submissions(folder: Path) -> dict:
    """(candidate id, job order id) -> submission id, from `JobSubmission.json` (or the DataLoader's
    `JobSubmission.csv`) beside a file."""
    path = next((p for p in sorted(folder.iterdir()) if p.stem.lower() == "jobsubmission"
                 and p.suffix.lower() in (".json", ".csv")), None)
    if path is None:
        return {}
    objects = read_objects(path) if path.suffix.lower() == ".json" else dataloader_objects(path)
    return {(str(_id(o.get("candidate"))), str(_id(o.get("jobOrder")))): o.get("id") for o in objects}


def is_dataloader(path: Path, headers: list[str]) -> bool:
    """Whether a CSV file is a Bullhorn DataLoader file: named after an entity, with its dotted
    headers (`jobOrder.externalID`) or the entity's own fields."""
    name = entity(path, [])
    return bool(name) and any("." in h or h in _FIELDS[name] for h in headers)


# `1/2/16 00:00`, `1/1/2016 00:00:00.000`: a date written with a midnight time.
_MIDNIGHT = re.compile(r"(\d{1,2}/\d{1,2}/\d{2,4}) 0?0:00(:00(\.0+)?)?")


def _value(text: str):
    text = text.strip()
    bare = _MIDNIGHT.fullmatch(text)
    return bare.group(1) if bare else text


def dataloader_objects(path: Path, delimiter: str = ",", encoding: str = "utf-8") -> list[dict]:
    """The objects a DataLoader CSV file flattens: `jobOrder.externalID` becomes `{"jobOrder": {"id":
    ...}}`, `sendingUser.name` `{"sendingUser": {"name": ...}}`; empty cells are absent fields."""
    with open(path, newline="", encoding=encoding) as fh:
        rows = list(csv.reader(fh, delimiter=delimiter))
    if not rows:
        return []
    headers = [h.strip() for h in rows[0]]
    objects = []
    for row in rows[1:]:
        obj: dict = {}
        for header, cell in zip(headers, row):
            value = _value(cell)
            if not header or value == "":
                continue
            head, _, field = header.partition(".")
            if field:
                nested = obj.setdefault(head, {})
                key = "id" if field.lower() in ("id", "externalid") else field
                if isinstance(nested, dict):
                    nested.setdefault(key, value)
            else:
                obj.setdefault("id" if head.lower() in ("id", "externalid") else head, value)
        if "id" not in obj and entity(path, []) == "JobSubmission" and "jobOrder" in obj and "candidate" in obj:
            obj["id"] = f"{_id(obj['jobOrder'])}/{_id(obj['candidate'])}"
        objects.append(obj)
    return objects


def tables(path: Path, items: list[dict], first: int = 1) -> tuple[list[tuple[str, pa.Table]], list[str]]:
    """The template tables one Bullhorn file gives, and notes for its load report. `first` is the
    file's number for the first object (2 in a CSV file, below its header row)."""
    name = entity(path, items)
    if name == "JobOrder":
        rows = [{"__row": i, "requisition_id": o.get("id"), "title": o.get("title"),
                 "department": o.get("department") or (o.get("clientCorporation") or {}).get("name"),
                 "hiring_manager": person(o.get("clientContact")), "recruiter": person(o.get("owner")),
                 "opened_at": o.get("dateAdded"), "closed_at": o.get("dateClosed"), "status": o.get("status"),
                 "openings": o.get("numOpenings"), "client_corporation": (o.get("clientCorporation") or {}).get("name")}
                for i, o in enumerate(items, start=first)]
        return [("requisitions", text_table(rows, ["requisition_id", "title", "department", "hiring_manager",
                                                   "recruiter", "opened_at", "closed_at", "status", "openings",
                                                   "client_corporation"]))], []
    if name == "JobSubmission":
        rows = [{"__row": i, "application_id": o.get("id"), "requisition_id": _id(o.get("jobOrder")),
                 "candidate_id": _id(o.get("candidate")), "source": o.get("source"),
                 "applied_at": o.get("dateWebResponse") or o.get("dateAdded"), "bullhorn_status": o.get("status")}
                for i, o in enumerate(items, start=first)]
        return [("applications", text_table(rows, ["application_id", "requisition_id", "candidate_id", "source",
                                                   "applied_at", "bullhorn_status"]))], []
    events, notes = [], []
    if name == "JobSubmissionHistory":
        events = [{"__row": i, "application_id": _id(o.get("jobSubmission")), "stage": o.get("status"),
                   "entered_at": o.get("dateAdded")} for i, o in enumerate(items, start=first)]
    elif name == "Placement":
        # A placement names its submission, or (DataLoader files) its candidate and job order.
        subs = {} if all(o.get("jobSubmission") for o in items) else _submissions(path.parent)
        events = [{"__row": i, "application_id": _id(o.get("jobSubmission"))
                   or subs.get((str(_id(o.get("candidate"))), str(_id(o.get("jobOrder"))))),
                   "stage": "hired", "entered_at": o.get("dateAdded")} for i, o in enumerate(items, start=first)]
    elif name == "Appointment":
        subs = _submissions(path.parent)
        interviews = [(i, o) for i, o in enumerate(items, start=first) if str(o.get("type", "")).lower() == "interview"]
        events = [{"__row": i, "application_id": subs.get((str(_id(o.get("candidateReference"))),
                                                           str(_id(o.get("jobOrder"))))),
                   "stage": "interviewed", "entered_at": o.get("dateBegin")} for i, o in interviews]
        if len(interviews) < len(items):
            notes.append(f"{len(items) - len(interviews)} appointment(s) of another type than Interview not read")
    return [("stage_events", text_table(events, ["application_id", "stage", "entered_at"]))], notes
