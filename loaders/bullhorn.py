"""Bullhorn REST JSON exports: one file per entity, named as Bullhorn names it (`JobOrder.json`,
`JobSubmission.json`, `JobSubmissionHistory.json`, `Placement.json`, `Appointment.json`,
`Sendout.json`, `ClientCorporation.json`), each a list or a page `{"total", "start", "count",
"data": [...]}`; nested entities arrive as `{"id": ...}` and times as epoch milliseconds.

- `JobOrder` is the requisition: `id, title, status, numOpenings, dateAdded, dateClosed`, the
  client contact as hiring manager and the owner as recruiter. A job order has no department
  field: `department` when the export carries one, else the client corporation's name (else its id).
- `JobSubmission` (candidate x job order) is the application: `id, candidate, jobOrder, source,
  dateWebResponse` (else `dateAdded`) as applied, and `status`, where the submission stands now in
  the client's words, as the application's status (stored lower-cased, as every status is; shown
  with the application, counted by no metric: a Bullhorn status such as "Client Submission" is none
  of the outcomes active, hired, rejected or withdrawn). It is not a history: it gives no stage
  event, so a JobSubmission file without JobSubmissionHistory beside it says that the stage-based
  metrics need that file loaded as well.
- `JobSubmissionHistory` is the event log: each `status` at its `dateAdded` is a stage event in the
  client's words. The submittal is the entry the client's dictionary maps to `submitted`, never
  `JobSubmission.dateAdded` (Bullhorn resets that date when a web response is promoted), and
  "New Lead" web responses count as no stage unless the dictionary says so.
- `Placement` is an event at its `dateAdded` whose stage word is `Placement: <its status>`
  ("Placement: Approved"), a word no JobSubmission status can be, so the client's dictionary says
  which placement statuses are hires (`"Placement: Approved" = "hired"`) and an unmapped one is
  loaded unmapped and reported, never counted. A placement file without a status (DataLoader files
  may lack it) gives the word `Placement`, which counts only when the dictionary maps it too.
  `dateBegin` is the start date, not the day of the hire: a file without `dateAdded` is refused.
- `Appointment` of type "Interview" is an `interviewed` event at its `dateBegin`; other types are
  not read: the rows read are the interviews, and a note counts the others among the file's rows.
- `Sendout` (a candidate sent to a client contact for a job order) is an event at its `dateAdded`
  with the stage word `Sendout`: many RPO teams send out exactly when they submit to the client, but
  not all, so it counts as a submittal only when the client's dictionary maps it
  (`"Sendout" = "submitted"`); unmapped, it is loaded and reported as an unmapped word.
- A placement, appointment or sendout belongs to the submission of its candidate to its job order
  (`JobSubmission.json` or `.csv` beside it); without one, the row is rejected saying so.
- `ClientCorporation` is read only as a lookup, corporation id -> name, so that a job order naming its
  corporation by id alone (DataLoader's `clientCorporation.externalID`) has its name too.

Whose rows these are: every row carries the client corporation of its job order (a job order its
own; a submission, history entry, placement, appointment or sendout that of its job order, found
through the `JobOrder` and `JobSubmission` files beside it; a sendout names one itself too), as
`client_corporation_id` and `client_corporation`. The loader gives each row the client whose
`ats_companies` setting lists that corporation, else the client named like it, and rejects the rows
of a corporation that is no client (`loaders.checks.assign_clients`). A row whose job order is in no
file beside it is the client of its job order (or submission) loaded before, whichever client's it is
(with `--client` another client's row is rejected), else `--client`'s.

A file without a field it needs (a `JobOrder` without `dateAdded`, as in DataLoader's own load
examples, which leave it to Bullhorn) is refused, naming the field; a missing optional one is not an error.

Only the fields above are read. Personal data fields (`template.is_personal`: a sendout's `email`, a
`candidate.firstName`) are staged as empty columns named as the file names them, so that the load
report lists them among its dropped personal data columns, as it does the import template's.

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

from loaders.shapes import ShapeError
from loaders.staging import file_encoding
from loaders.template import is_personal
from loaders.textfile import open_text
from loaders.vendor_json import REJECT, person, read_objects, rejection, text_table

FORMAT = "bullhorn"
ENTITIES = {"joborder": "JobOrder", "jobsubmission": "JobSubmission", "jobsubmissionhistory": "JobSubmissionHistory",
            "placement": "Placement", "appointment": "Appointment", "sendout": "Sendout",
            "clientcorporation": "ClientCorporation"}
# A field each entity's objects carry, to recognise a file by content as well as by name.
_FIELDS = {"JobOrder": ("title", "numOpenings", "clientCorporation", "isOpen"),
           "JobSubmission": ("jobOrder", "candidate"), "JobSubmissionHistory": ("jobSubmission", "status"),
           "Placement": ("jobSubmission", "dateBegin", "candidate", "jobOrder"), "Appointment": ("dateBegin", "type"),
           "Sendout": ("candidate", "jobOrder", "clientCorporation"), "ClientCorporation": ("name", "companyURL")}
# The fields a file of each entity cannot do without (when it has rows), and what each is, as the
# rest of a sentence starting with the field's name ("dateAdded is ...").
NEEDED = {
    "JobOrder": {"id": "the job order's id, in a column or field named id or externalID.",
                 "dateAdded": "the day the job order was opened, which starts its time to submit and time to "
                              "fill. DataLoader's load examples leave it out because Bullhorn sets it itself when "
                              "it creates the job order."},
    "JobSubmission": {"jobOrder": "the job order the candidate was submitted to."},
    "JobSubmissionHistory": {"jobSubmission": "the submission whose status changed.", "status": "the status word.",
                             "dateAdded": "when the status was set."},
    "Placement": {"dateAdded": "the day of the placement, which is the day of the hire. dateBegin is the start "
                               "date, so it is not used in its place."},
    "Appointment": {"type": "what tells the interviews from the other appointments.",
                    "dateBegin": "when the interview was.", "jobOrder": "the job order of the interview.",
                    "candidateReference": "the candidate interviewed."},
    "Sendout": {"dateAdded": "when the candidate was sent out.", "jobOrder": "the job order of the sendout.",
                "candidate": "the candidate sent out."},
    "ClientCorporation": {"id": "the corporation's id, in a column or field named id or externalID, which job "
                                "orders name.",
                          "name": "the corporation's name."},
}
# A placement names its submission, or its candidate and job order together.
_PLACEMENT_SUBMISSION = ("jobSubmission", "the submission the placement is for. A file without it needs both "
                                          "candidate and jobOrder instead.")
# The nested objects a file's rows read as people by name (a job order's hiring manager and
# recruiter: `vendor_json.person`), and the fields read of them.
_PEOPLE = {"JobOrder": ("clientContact", "owner")}
_PEOPLE_FIELDS = ("name", "firstName", "lastName")
# A JobSubmission file's note when no status history is beside it (see the module's docstring).
NO_HISTORY_NOTE = ("no JobSubmissionHistory beside this file: a submission's status says where it stands now, not "
                   "when it got there, so it is kept as the application's status and gives no stage event. Time to "
                   "submit, interview conversion, SLA deadlines and hiring-manager feedback need the dates of the "
                   "status changes: load JobSubmissionHistory, Bullhorn's log of them, as well. JobSubmission's "
                   "dateAdded is not the submittal date, as Bullhorn resets it when it promotes a web response")
COMPANY = ("client_corporation_id", "client_corporation")
_OF_JOB_ORDER = {"client_corporation_id": "jobOrder's clientCorporation.id",
                 "client_corporation": "jobOrder's clientCorporation.name"}

# The entity's field behind each template column, for messages and rejected rows.
SOURCE_NAMES = {
    "JobOrder": {"requisition_id": "id", "opened_at": "dateAdded", "closed_at": "dateClosed", "openings": "numOpenings",
                 "hiring_manager": "clientContact", "recruiter": "owner",
                 "client_corporation_id": "clientCorporation.id", "client_corporation": "clientCorporation.name"},
    "JobSubmission": {"application_id": "id", "requisition_id": "jobOrder", "candidate_id": "candidate",
                      "applied_at": "dateWebResponse / dateAdded", **_OF_JOB_ORDER},
    "JobSubmissionHistory": {"application_id": "jobSubmission", "stage": "status", "entered_at": "dateAdded",
                             **_OF_JOB_ORDER},
    "Placement": {"application_id": "jobSubmission", "stage": "status", "entered_at": "dateAdded", **_OF_JOB_ORDER},
    "Appointment": {"application_id": "candidateReference + jobOrder", "entered_at": "dateBegin", **_OF_JOB_ORDER},
    "Sendout": {"application_id": "candidate + jobOrder", "entered_at": "dateAdded", **_OF_JOB_ORDER},
    "ClientCorporation": {},
}


def _name(path: Path) -> str | None:
    stem = path.stem.lower().replace("_", "").replace("-", "").split(" ")[0]
    return ENTITIES.get(stem) or ENTITIES.get(stem.removesuffix("s"))   # JobOrders.json, Placements.csv


def entity(path: Path, items: list[dict]) -> str | None:
    """Which Bullhorn entity a REST JSON file holds: named after it, with that entity's fields (in
    any of its objects: an object may leave any field out). A DataLoader file is the entity it is
    named after (`is_dataloader`)."""
    name = _name(path)
    fields = _FIELDS[name] if name else ()
    return name if name and (not items or any(f in o for o in items for f in fields)) else None


def _id(v):
    return v.get("id") if isinstance(v, dict) else v


def _key(v) -> str | None:
    """An id as text, for matching a nested reference with the entity it names."""
    v = _id(v)
    return None if v is None or v == "" else str(v)


def _sibling(folder: Path, name: str) -> tuple[Path | None, list[dict]]:
    """The file of entity `name` beside a file (REST JSON, or the DataLoader's CSV), and its objects."""
    path = next((p for p in sorted(folder.iterdir()) if p.is_file() and _name(p) == name
                 and p.suffix.lower() in (".json", ".csv")), None)
    if path is None:
        return None, []
    if path.suffix.lower() == ".json":
        return path, read_objects(path)
    # A DataLoader file is read in the encoding it was saved in (Windows-1252 from Excel), judged by
    # its whole content as when it is loaded itself, not by its first megabyte.
    return path, dataloader_objects(path, encoding=file_encoding(path))


def _submissions(folder: Path) -> tuple[Path | None, dict, dict]:
    """The JobSubmission file beside a file; (candidate id, job order id) -> submission id; and
    submission id -> job order id."""
    path, objects = _sibling(folder, "JobSubmission")
    return (path, {(_key(o.get("candidate")), _key(o.get("jobOrder"))): o.get("id") for o in objects},
            {_key(o.get("id")): _key(o.get("jobOrder")) for o in objects})


def _company(o: dict, names: dict) -> tuple[str | None, str | None]:
    """An object's client corporation as (id, name); the name from ClientCorporation beside when
    the object names the corporation by id alone."""
    cc = o.get("clientCorporation")
    cid = _key(cc)
    return cid, (cc.get("name") if isinstance(cc, dict) else None) or names.get(cid)


def _companies(folder: Path, job_orders: list[dict] | None = None) -> tuple[dict, dict]:
    """Corporation id -> name (ClientCorporation beside), and job order id -> its corporation (id,
    name), from `job_orders` or the JobOrder file beside."""
    names = {_key(o.get("id")): o.get("name") for o in _sibling(folder, "ClientCorporation")[1]}
    if job_orders is None:
        job_orders = _sibling(folder, "JobOrder")[1]
    return names, {_key(o.get("id")): _company(o, names) for o in job_orders}


def _check_needed(path: Path, name: str, items: list[dict]) -> None:
    """Refuse a file without a field its entity cannot do without: say which is missing, what it is
    for, and what to do, in plain sentences a person reads once."""
    if not items:
        return
    has = set().union(*items)
    needed = dict(NEEDED[name])
    if name == "Placement" and "jobSubmission" not in has and not {"candidate", "jobOrder"} <= has:
        needed[_PLACEMENT_SUBMISSION[0]] = _PLACEMENT_SUBMISSION[1]
    missing = [f for f in needed if f not in has]
    if missing:
        word = "column" if path.suffix.lower() == ".csv" else "field"
        fields = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
        raise ShapeError(f"{path}: this Bullhorn {name} file has no {fields} {word}{'s' if len(missing) > 1 else ''}. "
                         + " ".join(f"{f} is {needed[f]}" for f in missing)
                         + f" Export {name} from Bullhorn with {fields}, then load the file again; "
                         "nothing of this file was loaded")


def is_dataloader(path: Path, headers: list[str]) -> bool:
    """Whether a CSV file is a Bullhorn DataLoader file: named after an entity, with its dotted
    headers (`jobOrder.externalID`) or the entity's own fields."""
    name = _name(path)
    return bool(name) and any("." in h or h in _FIELDS[name] for h in headers)


# `1/2/16 00:00`, `1/1/2016 00:00:00.000`: a date written with a midnight time.
_MIDNIGHT = re.compile(r"(\d{1,2}/\d{1,2}/\d{2,4}) 0?0:00(:00(\.0+)?)?")


def _value(text: str):
    text = text.strip()
    bare = _MIDNIGHT.fullmatch(text)
    return bare.group(1) if bare else text


def dataloader_objects(path: Path, delimiter: str = ",", encoding: str | None = None) -> list[dict]:
    """The objects a DataLoader CSV file flattens: `jobOrder.externalID` becomes `{"jobOrder": {"id":
    ...}}`, `sendingUser.name` `{"sendingUser": {"name": ...}}`; empty cells are absent fields. The
    file is read in `encoding` (by default, the one `textfile.file_encoding` finds: Excel saves
    Windows-1252)."""
    with open_text(path, encoding) as fh:
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
        if "id" not in obj and _name(path) == "JobSubmission" and "jobOrder" in obj and "candidate" in obj:
            obj["id"] = f"{_id(obj['jobOrder'])}/{_id(obj['candidate'])}"
        objects.append(obj)
    return objects


def personal_fields(name: str, items: list[dict]) -> list[str]:
    """The fields of a file's objects that hold personal data (`template.is_personal`), named as the
    file names them (`email`; DataLoader's `candidate.firstName`): none of them is read. A job
    order's hiring manager and recruiter are read by name (`_PEOPLE`), so those names are not among them."""
    found = set()
    for o in items:
        for key, value in o.items():
            if isinstance(value, dict):
                read = _PEOPLE_FIELDS if key in _PEOPLE.get(name, ()) else ()
                found.update(f"{key}.{f}" for f in value if f not in read and is_personal(f"{key}.{f}"))
            elif is_personal(key):
                found.add(key)
    return sorted(found)


def _other_appointments_note(items: list[dict], interviews: int) -> str:
    """Why some of an Appointment file's rows are not read: they are no interviews. The rows read
    are the interviews only, so the note counts the file's rows too."""
    others = len(items) - interviews
    types = sorted({str(o.get("type") or "").strip() or "(no type)" for o in items
                    if str(o.get("type", "")).lower() != "interview"}, key=lambda t: (t == "(no type)", t))
    rows = f"{len(items)} row{'s' if len(items) != 1 else ''}"
    which = (f"the file's {rows} {'is an appointment' if others == 1 else 'are appointments'}" if others == len(items)
             else f"{others} of the file's {rows} {'is an appointment' if others == 1 else 'are appointments'}")
    return (f"{which} of type {', '.join(t if t == '(no type)' else repr(t) for t in types)}, not Interview: not "
            "read, as only interviews are stage events "
            f"(the rows read are the file's {interviews} interview{'s' if interviews != 1 else ''})")


def tables(path: Path, items: list[dict], first: int = 1) -> tuple[list[tuple[str, pa.Table]], list[str]]:
    """The template tables one Bullhorn file gives, and notes for its load report. `first` is the
    file's number for the first object (2 in a CSV file, below its header row). Each table carries
    the rows' client corporation (see the module's docstring) and `REJECT`."""
    # The entity the file is named after: a JSON file was recognised by it and its fields
    # (`entity`), a DataLoader file by it and its headers (`is_dataloader`), whatever its first row holds.
    name = _name(path)
    if name is None:
        raise ShapeError(f"{path}: not named after a Bullhorn entity ({', '.join(ENTITIES.values())})")
    _check_needed(path, name, items)
    folder = path.parent
    if name == "ClientCorporation":
        return [], []
    # Only the fields below are read. The personal data fields among the others are staged as empty
    # columns named as the file names them, so that the load report lists them among the dropped
    # personal data columns as it does the template's (`checks.store_table`): no value of theirs is read.
    personal = personal_fields(name, items)
    notes = []
    if name == "JobOrder":
        names, _ = _companies(folder, [])
        rows = []
        for i, o in enumerate(items, start=first):
            cid, cname = _company(o, names)
            rows.append({"__row": i, "requisition_id": o.get("id"), "title": o.get("title"),
                         "department": o.get("department") or cname or cid,
                         "hiring_manager": person(o.get("clientContact")), "recruiter": person(o.get("owner")),
                         "opened_at": o.get("dateAdded"), "closed_at": o.get("dateClosed"), "status": o.get("status"),
                         "openings": o.get("numOpenings"), "client_corporation_id": cid, "client_corporation": cname})
        return [("requisitions", text_table(rows, ["requisition_id", "title", "department", "hiring_manager",
                                                   "recruiter", "opened_at", "closed_at", "status", "openings",
                                                   *COMPANY, REJECT, *personal]))], notes
    names, companies = _companies(folder)

    def owned(row: dict, job_order, o: dict) -> dict:
        """The row with its job order's client corporation (a sendout's own when its job order is not beside)."""
        cid, cname = companies.get(_key(job_order)) or (_company(o, names) if name == "Sendout" else (None, None))
        return {**row, "client_corporation_id": cid, "client_corporation": cname}

    if name == "JobSubmission":
        rows = [owned({"__row": i, "application_id": o.get("id"), "requisition_id": _id(o.get("jobOrder")),
                       "candidate_id": _id(o.get("candidate")), "source": o.get("source"),
                       "applied_at": o.get("dateWebResponse") or o.get("dateAdded"), "status": o.get("status")},
                      o.get("jobOrder"), o) for i, o in enumerate(items, start=first)]
        if _sibling(folder, "JobSubmissionHistory")[0] is None:
            notes.append(NO_HISTORY_NOTE)
        return [("applications", text_table(rows, ["application_id", "requisition_id", "candidate_id", "source",
                                                   "applied_at", "status", *COMPANY, REJECT, *personal]))], notes
    sub_file, subs, sub_job_order = _submissions(folder)
    events = []

    def submission(i: int, o: dict, candidate_field: str, label: str, stage, entered_at) -> dict:
        """An event of the submission of the row's candidate to its job order (named directly, or found
        in JobSubmission beside); a row whose submission is not found is rejected saying so."""
        candidate, job_order = _key(o.get(candidate_field)), _key(o.get("jobOrder"))
        found = _id(o.get("jobSubmission")) or subs.get((candidate, job_order))
        row = {"__row": i, "application_id": found, "stage": stage, "entered_at": entered_at}
        if found is None and candidate and job_order:
            where = (f"is in {sub_file.name} beside this file" if sub_file else
                     "was found: load JobSubmission.json (or the DataLoader's JobSubmission.csv) beside this file, "
                     "in the same folder")
            row[REJECT] = rejection(label, f"no JobSubmission of candidate {candidate!r} to job order {job_order!r} "
                                           f"{where}")
        return owned(row, job_order or sub_job_order.get(_key(found)), o)

    if name == "JobSubmissionHistory":
        events = [owned({"__row": i, "application_id": _id(o.get("jobSubmission")), "stage": o.get("status"),
                         "entered_at": o.get("dateAdded")}, sub_job_order.get(_key(o.get("jobSubmission"))), o)
                  for i, o in enumerate(items, start=first)]
    elif name == "Placement":
        # The status goes into the stage word, so only the statuses the dictionary maps to hired count.
        events = [submission(i, o, "candidate", "candidate + jobOrder", f"Placement: {o['status']}"
                             if str(o.get("status") or "").strip() else "Placement", o.get("dateAdded"))
                  for i, o in enumerate(items, start=first)]
        if not any("status" in o for o in items):
            notes.append("no status column: each placement is the stage word 'Placement', which counts as a hire "
                         "only when the client's dictionary maps it (\"Placement\" = \"hired\")")
    elif name == "Appointment":
        interviews = [(i, o) for i, o in enumerate(items, start=first) if str(o.get("type", "")).lower() == "interview"]
        events = [submission(i, o, "candidateReference", "candidateReference + jobOrder", "interviewed",
                             o.get("dateBegin")) for i, o in interviews]
        if len(interviews) < len(items):
            notes.append(_other_appointments_note(items, len(interviews)))
    elif name == "Sendout":
        events = [submission(i, o, "candidate", "candidate + jobOrder", "Sendout", o.get("dateAdded"))
                  for i, o in enumerate(items, start=first)]
    return [("stage_events", text_table(events, ["application_id", "stage", "entered_at", *COMPANY, REJECT,
                                                 *personal]))], notes
