"""Greenhouse Harvest v1 JSON exports: `jobs.json` and `applications.json` (lists of objects, as
the API returns them page by page).

- `jobs` are the requisitions: `id` (what applications point at; the customer's own
  `requisition_id` code is kept as provenance), `name`, `status`, `opened_at` (else `created_at`),
  `closed_at`, the first of `departments` and of `hiring_team.hiring_managers`, the recruiter of
  `hiring_team.recruiters` marked `responsible: true` (else the first), and the number of `openings`. An opening's own `closed_at` is when that
  seat was filled, not when the requisition started, so it is not used.
- `applications`: `id`, `candidate_id`, the first of `jobs`, `source.public_name`, `applied_at`,
  `status` (v3's `in_process` is v1's `active`). Prospects (`prospect: true`, no job) are not
  applications to a requisition: they are skipped and counted.
- Harvest v1 has no stage history: it is a snapshot. It loads requisitions and applications, and
  no stage events, so time to submit, interview conversion, SLA adherence, time to fill and
  hiring-manager feedback time need the history export beside it (`application_stages` or
  `application_history`); the load report says so.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from loaders.vendor_json import person, text_table

FORMAT = "greenhouse"
SNAPSHOT_NOTE = ("Harvest v1 holds no stage history (a snapshot): stage-based metrics need Greenhouse's "
                 "application_stages or application_history export loaded as well")


def kind_of(path: Path, items: list[dict]) -> str | None:
    """`jobs` or `applications` when the file holds Harvest objects of that kind."""
    first = items[0] if items else {}
    stem = path.stem.lower()
    if stem.startswith("jobs") and ("hiring_team" in first or "departments" in first):
        return "jobs"
    if stem.startswith("applications") and "candidate_id" in first and "jobs" in first:
        return "applications"
    return None


def _first(values, key: str = "name"):
    values = values or []
    return values[0].get(key) if values and isinstance(values[0], dict) else None


def _responsible(people) -> dict | None:
    """The hiring team member Greenhouse marks `responsible: true` (a job lists every recruiter on its
    team, and only the responsible one is credited); the first listed when none is marked."""
    people = [p for p in (people or []) if isinstance(p, dict)]
    return next((p for p in people if p.get("responsible") is True), people[0] if people else None)


def tables(path: Path, items: list[dict]) -> tuple[list[tuple[str, pa.Table]], list[str]]:
    """The template tables one Harvest file gives, and notes for its load report."""
    kind = kind_of(path, items)
    if kind == "jobs":
        rows = [{"__row": i, "requisition_id": o.get("id"), "title": o.get("name"),
                 "department": _first(o.get("departments")),
                 "hiring_manager": person(((o.get("hiring_team") or {}).get("hiring_managers") or [None])[0]),
                 "recruiter": person(_responsible((o.get("hiring_team") or {}).get("recruiters"))),
                 "opened_at": o.get("opened_at") or o.get("created_at"), "closed_at": o.get("closed_at"),
                 "status": o.get("status"), "openings": len(o.get("openings") or []) or None,
                 "requisition_code": o.get("requisition_id")}
                for i, o in enumerate(items, start=1)]
        return [("requisitions", text_table(rows, ["requisition_id", "title", "department", "hiring_manager",
                                                   "recruiter", "opened_at", "closed_at", "status", "openings",
                                                   "requisition_code"]))], []
    rows, prospects = [], 0
    for i, o in enumerate(items, start=1):
        if o.get("prospect") or not o.get("jobs"):
            prospects += 1
            continue
        rows.append({"__row": i, "application_id": o.get("id"), "requisition_id": _first(o.get("jobs"), "id"),
                     "candidate_id": o.get("candidate_id"), "source": (o.get("source") or {}).get("public_name"),
                     "applied_at": o.get("applied_at"),
                     "status": "active" if o.get("status") == "in_process" else o.get("status")})
    notes = [f"{prospects} prospect(s) skipped: not applications to a requisition"] if prospects else []
    return ([("applications", text_table(rows, ["application_id", "requisition_id", "candidate_id", "source",
                                                "applied_at", "status"]))], notes + [SNAPSHOT_NOTE])
