"""Greenhouse Harvest v1 JSON exports: what `GET /v1/jobs`, `/v1/applications`, `/v1/job_stages`
(or `/v1/jobs/{id}/stages`) and `/v1/candidates/{id}/activity_feed` return, saved one file each:
a list of objects, one object (a single `GET .../{id}`), or a page `{"data": [...]}`.

Files are recognised by their fields, whatever they are named (a file with no object at all, by
its name): applications by `candidate_id` (`person_id` in 2014's responses) and `jobs` (v3:
`job_id`); jobs by `name` and `departments` / `offices` / `hiring_team` / `openings`; job stages
by `name` and `job_id` or `interviews`; an activity feed by `activities` (2016's docs: `activity`).

- `jobs` are the requisitions: `id` (what applications point at; the customer's own
  `requisition_id` code is kept as provenance), `name`, `status`, `opened_at` (else `created_at`),
  `closed_at`, the first of `departments` and of `hiring_team.hiring_managers`, the recruiter of
  `hiring_team.recruiters` marked `responsible: true` (else the first), and the number of
  `openings` (jobs of 2013-14 have no hiring team and no openings). An opening's own `closed_at`
  is when that seat was filled, not when the requisition started. A job whose status says closed
  (`template.CLOSED_STATUSES`) with no `closed_at` ends at its `updated_at` (as Lever's postings
  do), so it stops awaiting a submittal.
- `applications`: `id`, `candidate_id`, the first of `jobs`, `source.public_name`, `applied_at`,
  `status` (v3's `in_process` is v1's `active`). Prospects (`prospect: true`; an object without
  that field, by having no job) are not applications to a requisition: they are skipped and
  counted. One marked as no prospect that names no job has lost its job: it is rejected, saying
  so, not counted as a prospect. The rule is written once (`application_row`): the connectors'
  `application` table is mapped by it too.
- **Outcomes from the snapshot.** v1 keeps no stage history, but an application's `status` says
  how it ended, so `applications` also gives one stage event per ended application: `hired` at
  the `closed_at` of the job opening it filled (`openings[].application_id`, in the jobs file
  beside it), `rejected` at its `rejected_at`. Without that date (no jobs file, an opening with no
  `closed_at`, or 2014's applications, which have no `rejected_at`) the application's
  `last_activity_at` stands in: the last thing that happened to an ended application, never
  earlier than its end; the report counts the events dated so. With no date at all the event is
  rejected, saying so: a hire is never given a date nobody wrote. These events carry the extra
  column `snapshot` = `true` (stored in `stage_events.extra`) and `snapshot_from`, the field their
  date came from, so the metrics can tell a real stage history from a snapshot's outcomes.
- `activity feed`: the only stage history v1 has. An activity "<candidate> was moved into
  <stage> for <job> on <date> by <user>" is a stage event at its `created_at` (a UTC instant; the
  sentence's date is a display date, not read). The application is the candidate's (in the
  applications file beside it) for the job of that name; a move that names no such application is
  rejected saying so. The feed does not name its candidate: a file holds one feed named with the
  candidate id, as the endpoint's path does (`activity_feed_123.json`, `123_activity_feed.json`,
  `candidates/123/activity_feed.json`), or feeds carrying `candidate_id` (a list of them, for many
  candidates in one file). Notes, e-mails and other activities are not read; the sentences'
  candidate names are never stored.
- `job stages` name stage ids: read beside `application_history.csv` (`shapes.py`), and on their
  own not loaded.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

import pyarrow as pa

from loaders.template import is_closed_status
from loaders.vendor_json import REJECT, JsonError, person, read_objects, rejection, text_table

FORMAT = "greenhouse"
SNAPSHOT_NOTE = ("Harvest v1 holds no stage history (a snapshot): its hired and rejected outcomes are loaded as "
                 "stage events marked snapshot; the other stage-based metrics need the candidates' activity feeds "
                 "or Greenhouse's application_stages or application_history export loaded as well")
# The extra column, and its value, of every stage event derived from a snapshot (not from a history).
SNAPSHOT = ("snapshot", "true")
KINDS = ("jobs", "applications", "job stages", "activity feed")


def _kind_by_fields(o: dict) -> str | None:
    keys = set(o)
    if isinstance(o.get("activities", o.get("activity")), list):
        return "activity feed"
    if "id" not in keys:
        return None
    if keys & {"candidate_id", "person_id"} and keys & {"jobs", "job_id"}:
        return "applications"
    if "name" in keys and keys & {"departments", "offices", "hiring_team", "openings"}:
        return "jobs"
    if "name" in keys and keys & {"job_id", "interviews"}:
        return "job stages"
    return None


def kind_of(path: Path, items: list[dict]) -> str | None:
    """The kind of Harvest objects a file holds (one of KINDS), by the fields of its first object;
    a file with no object at all, by its name (`jobs.json`, `applications.json`)."""
    if items:
        return _kind_by_fields(items[0])
    stem = path.stem.lower().replace("-", "_")
    return next((k for k in KINDS if stem.startswith(k.replace(" ", "_"))), None)


def _first(values, key: str = "name"):
    values = values or []
    return values[0].get(key) if values and isinstance(values[0], dict) else None


def _responsible(people) -> dict | None:
    """The hiring team member Greenhouse marks `responsible: true` (a job lists every recruiter on its
    team, and only the responsible one is credited); the first listed when none is marked."""
    people = [p for p in (people or []) if isinstance(p, dict)]
    return next((p for p in people if p.get("responsible") is True), people[0] if people else None)


def _closed_at(job: dict):
    """When a job ended: its `closed_at`; a job whose status says closed (`CLOSED_STATUSES`) without
    one, at its last update."""
    if job.get("closed_at") or not is_closed_status(job.get("status")):
        return job.get("closed_at")
    return job.get("updated_at")


def _key(v) -> str | None:
    return None if v is None or v == "" else str(v)


def _job_of(app: dict):
    return _first(app.get("jobs"), "id") if app.get("jobs") else app.get("job_id")


def _is_prospect(app: dict) -> bool:
    """Greenhouse's `prospect` flag; an object without it is a prospect when it is on no job. One
    marked as no prospect that names no job is not one: its missing job is rejected."""
    return bool(app.get("prospect")) if "prospect" in app else _job_of(app) is None


def _candidate_of(app: dict):
    return app.get("candidate_id", app.get("person_id"))


@functools.lru_cache(maxsize=8)
def _folder_objects(folder: str, listing: tuple) -> dict[str, list[dict]]:
    """The jobs and applications of the Harvest files in a folder (`listing`: its JSON files'
    names, sizes and times, so a changed folder is read again)."""
    found: dict[str, list[dict]] = {"jobs": [], "applications": []}
    for name, _, _ in listing:
        path = Path(folder) / name
        try:
            items = read_objects(path)
        except (JsonError, OSError):
            continue   # not an export (or not readable): that file's own load says so
        kind = kind_of(path, items)
        if kind in found:
            found[kind] += items
    return found


def siblings(path: Path) -> dict[str, list[dict]]:
    """The jobs and applications in the Harvest files beside `path` (in its folder)."""
    listing = tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in path.parent.iterdir()
                           if p.is_file() and p.suffix.lower() == ".json" and p.name != path.name))
    return _folder_objects(str(path.parent.resolve()), listing)


def _job_rows(items: list[dict]) -> list[dict]:
    return [{"__row": i, "requisition_id": o.get("id"), "title": o.get("name"),
             "department": _first(o.get("departments")),
             "hiring_manager": person(((o.get("hiring_team") or {}).get("hiring_managers") or [None])[0]),
             "recruiter": person(_responsible((o.get("hiring_team") or {}).get("recruiters"))),
             "opened_at": o.get("opened_at") or o.get("created_at"), "closed_at": _closed_at(o),
             "status": o.get("status"), "openings": len(o.get("openings") or []) or None,
             "requisition_code": o.get("requisition_id")}
            for i, o in enumerate(items, start=1)]


def _outcome(app: dict, filled: dict) -> tuple[str | None, str | None, str | None]:
    """The snapshot's outcome event of an ended application: (stage, date, the field it came from),
    or (stage, None, why there is no date); (None, None, None) for one not ended."""
    status = str(app.get("status") or "").strip().lower()
    if status == "hired":
        opening = filled.get(_key(app.get("id"))) or {}
        if opening.get("closed_at"):
            return "hired", opening["closed_at"], "openings.closed_at"
        if app.get("last_activity_at"):
            return "hired", app["last_activity_at"], "last_activity_at"
        return "hired", None, ("status is hired, but no job opening beside it names this application with a "
                               "closed_at, and it has no last_activity_at: the hire has no date and is not counted; "
                               "load the jobs export (with openings) beside the applications")
    if status == "rejected":
        if app.get("rejected_at"):
            return "rejected", app["rejected_at"], "rejected_at"
        if app.get("last_activity_at"):
            return "rejected", app["last_activity_at"], "last_activity_at"
        return "rejected", None, "status is rejected, but it has no rejected_at and no last_activity_at: no date"
    return None, None, None


PROSPECTS = "{} prospect(s) skipped: not applications to a requisition"
APPLICATION_COLUMNS = ["application_id", "requisition_id", "candidate_id", "source", "applied_at", "status"]


def application_row(row: int, app: dict) -> dict | None:
    """The applications row (`APPLICATION_COLUMNS`, `__row` = `row`) of one Greenhouse application,
    given as Harvest's object (`id`, `candidate_id`, `jobs`, `source.public_name`, `applied_at`,
    `status`, `prospect`); None for a prospect, which is no application to a requisition (the
    caller counts it: `PROSPECTS`). v3's and the connectors' `in_process` is v1's `active`."""
    if _is_prospect(app):
        return None
    status = app.get("status")
    return {"__row": row, "application_id": app.get("id"), "requisition_id": _job_of(app),
            "candidate_id": _candidate_of(app), "source": (app.get("source") or {}).get("public_name"),
            "applied_at": app.get("applied_at"),
            "status": "active" if str(status or "").strip().lower() == "in_process" else status}


def _application_tables(items: list[dict], jobs: list[dict]):
    filled = {_key(o.get("application_id")): o for j in jobs for o in (j.get("openings") or [])
              if isinstance(o, dict) and _key(o.get("application_id"))}
    rows, events, prospects, stand_ins = [], [], 0, 0
    for i, o in enumerate(items, start=1):
        row = application_row(i, o)
        if row is None:
            prospects += 1
            continue
        rows.append(row)
        stage, when, origin = _outcome(o, filled)
        if stage:
            event = {"__row": i, "application_id": o.get("id"), "stage": stage, "entered_at": when,
                     SNAPSHOT[0]: SNAPSHOT[1], "snapshot_from": origin if when else None}
            if when is None:
                event[REJECT] = rejection("status", origin)
            stand_ins += origin == "last_activity_at"
            events.append(event)
    notes = [PROSPECTS.format(prospects)] if prospects else []
    if stand_ins:
        notes.append(f"{stand_ins} hired or rejected outcome(s) dated by last_activity_at: no filled opening or "
                     "rejected_at says when they ended")
    pieces = [("applications", text_table(rows, APPLICATION_COLUMNS))]
    if events:
        pieces.append(("stage_events", text_table(events, ["application_id", "stage", "entered_at", SNAPSHOT[0],
                                                           "snapshot_from", REJECT])))
    return pieces, notes + [SNAPSHOT_NOTE]


# "Jane Doe was moved into Phone Screen for Accountant on 04/01/2014 by Boone Carlyle"
MOVED = re.compile(r"\bwas moved into (?P<where>.+) on (?P<date>\d{1,2}/\d{1,2}/\d{2,4})(?: by .*)?\.?\s*$", re.S)


# The candidate id written against "activity_feed" in a feed's file name (`activity_feed_123`,
# `123-activity-feed`); a number elsewhere is not one (a browser's second download of
# `activity_feed.json` is `activity_feed (1).json`: candidate 1 it is not).
_FEED_NAME = re.compile(r"activity[_ -]?feed[_-](\d+)\b|\b(\d+)[_-]activity[_ -]?feed", re.I)


def _feed_candidate(path: Path) -> str | None:
    """The candidate a feed file is named for (`activity_feed_123.json`, `123_activity_feed.json`),
    else its folder's name when that is a number (`candidates/123/activity_feed.json`)."""
    found = _FEED_NAME.search(path.stem)
    if found:
        return found.group(1) or found.group(2)
    return path.parent.name if path.parent.name.isdigit() else None


def _feed_event(row: int, activity: dict, candidate: str, where: str, held: list[tuple]) -> dict:
    """The stage event of one "was moved into <where>" activity; `held`: the candidate's
    applications as (application id, job name, applied_at)."""
    at = activity.get("created_at") or ""
    event = {"__row": row, "application_id": None, "stage": None, "entered_at": activity.get("created_at"),
             "activity_id": activity.get("id"), "candidate_id": candidate}
    # "<stage> for <job>": either may hold " for ", so the job is the candidate's application whose
    # job name ends the text (the longest such name; the latest applied before the move).
    fits = [h for h in held if h[1] and where.endswith(" for " + h[1])]
    if fits:
        longest = max(len(h[1]) for h in fits)
        fits = [h for h in fits if len(h[1]) == longest]
        before = [h for h in fits if not at or not h[2] or h[2] <= at]
        app, job, _ = max(before or fits, key=lambda h: h[2])
        event.update(application_id=app, stage=where[:-len(" for " + job)])
        return event
    jobs = sorted({h[1] for h in held if h[1]})
    event[REJECT] = rejection("body", f"a move into '{where}': candidate {candidate} has no application "
                              + (f"for a job ending that text (their jobs: {', '.join(jobs)})" if jobs
                                 else "in the applications export beside this file"))
    return event


def _feed_tables(path: Path, items: list[dict], apps: list[dict], jobs: list[dict]):
    if not apps:
        raise JsonError(f"{path}: an activity feed names jobs, not applications; put the applications export "
                        "(GET /v1/applications) beside it, in the same folder, and load again")
    job_names = {_key(j.get("id")): j.get("name") for j in jobs}
    held: dict[str, list[tuple]] = {}
    for a in apps:
        if not _is_prospect(a):
            job = _first(a.get("jobs")) or job_names.get(_key(_job_of(a))) or ""
            held.setdefault(_key(_candidate_of(a)), []).append((_key(a.get("id")), job, a.get("applied_at") or ""))
    named = _feed_candidate(path) if len(items) == 1 else None
    events, other, row = [], 0, 0
    for feed in items:
        candidate = _key(feed.get("candidate_id")) or named
        if candidate is None:
            raise JsonError(f"{path}: an activity feed does not say whose it is; name the file with the candidate id "
                            "(activity_feed_<candidate id>.json), as GET /v1/candidates/{id}/activity_feed does, or "
                            "give each feed a candidate_id")
        for activity in feed.get("activities", feed.get("activity")) or []:
            row += 1   # a row is an activity, counted through the file's feeds
            match = MOVED.search(str((activity or {}).get("body") or ""))
            if match:
                events.append(_feed_event(row, activity, candidate, match["where"], held.get(candidate, [])))
            else:
                other += 1
    notes = [f"{other} activit{'y' if other == 1 else 'ies'} other than stage moves not read"] if other else []
    return [("stage_events", text_table(events, ["application_id", "stage", "entered_at", "activity_id",
                                                 "candidate_id", REJECT]))], notes


def job_stages(path: Path) -> pa.Table:
    """A job stages export (`GET /v1/job_stages` or `/v1/jobs/{id}/stages`) as the `id, job_id, name`
    lookup that names `application_history`'s stages."""
    items = read_objects(path)
    if kind_of(path, items) != "job stages":
        raise JsonError(f"{path}: expected Greenhouse Harvest job stages (objects with id, name and job_id)")
    return text_table([{**o, "__row": i} for i, o in enumerate(items, start=1)], ["id", "job_id", "name"])


def tables(path: Path, items: list[dict], lookups: dict[str, list[dict]] | None = None
           ) -> tuple[list[tuple[str, pa.Table]], list[str]]:
    """The template tables one Harvest file gives, and notes for its load report. `lookups` gives
    the jobs and applications the file is read with (default: those of the files beside it)."""
    kind = kind_of(path, items)
    if kind == "jobs":
        return [("requisitions", text_table(_job_rows(items), [
            "requisition_id", "title", "department", "hiring_manager", "recruiter", "opened_at", "closed_at",
            "status", "openings", "requisition_code"]))], []
    if kind == "job stages":
        return [], []
    beside = lookups if lookups is not None else siblings(path)
    if kind == "activity feed":
        return _feed_tables(path, items, beside.get("applications") or [], beside.get("jobs") or [])
    return _application_tables(items, beside.get("jobs") or [])
