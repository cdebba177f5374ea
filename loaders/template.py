"""The import template: its tables and columns (how each is parsed, which are required), the key
a newer export replaces rows on, which headers are personal data, and how a file's headers and name
are read as the template's (case-insensitive, any separators).

Every source shape ends as a text table in these columns (see `loaders.checks.store_table`)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Col:
    """A template column: its canonical name, how it is parsed, and whether a value is required."""
    name: str
    kind: str = "text"   # id | text | time | date | int | side | lower
    required: bool = False


TEMPLATE = {
    "requisitions": (Col("requisition_id", "id", True), Col("title"), Col("department", "text", True),
                     Col("hiring_manager"), Col("recruiter"), Col("opened_at", "time", True),
                     Col("assigned_at", "time"), Col("closed_at", "time"), Col("status", "lower"),
                     Col("openings", "int")),
    "applications": (Col("application_id", "id", True), Col("requisition_id", "id", True),
                     Col("candidate_id", "id"), Col("source"), Col("applied_at", "time"),
                     Col("status", "lower")),
    "stage_events": (Col("application_id", "id", True), Col("stage", "text", True),
                     Col("entered_at", "time", True), Col("exited_at", "time")),
    "commitments": (Col("commitment_id", "id", True), Col("requisition_id", "id"), Col("description"),
                    Col("promised_count", "int"), Col("due_date", "date", True),
                    Col("revised_due_date", "date"), Col("revised_on", "date"),
                    Col("delivered_on", "date"), Col("side", "side"), Col("reason")),
}
# The requisition statuses that say it is closed (compared trimmed, in lower case), with or without a
# close date: a loader dates such a requisition's end where its source allows (Harvest, Lever: the
# last update), and the metrics never count it as open or awaiting a first submittal.
CLOSED_STATUSES = ("closed", "filled", "cancelled", "canceled", "archived")


def is_closed_status(status) -> bool:
    """Whether a requisition's status word says it is closed (`CLOSED_STATUSES`, any case and spacing)."""
    return str(status or "").strip().lower() in CLOSED_STATUSES


# The key a newer export replaces on (besides the client).
KEYS = {"requisitions": ("requisition_id",), "applications": ("application_id",),
        "stage_events": ("application_id", "stage", "entered_at"), "commitments": ("commitment_id",)}

# Candidate personal data is never stored (domain.md): such columns are dropped and reported.
_PERSONAL_PARTS = ("firstname", "lastname", "fullname", "middlename", "surname", "givenname", "familyname",
                   "preferredname", "nickname", "email", "phone", "mobile", "telephone", "cellnumber",
                   "address", "linkedin", "birth", "socialsecurity")


def is_personal(header: str) -> bool:
    """Whether a column holds a candidate's personal data (names, e-mails, phones, addresses), by
    its header in any spelling: `FirstName`, `candidate.firstName`, `Home Address`, `Name (Candidate)`,
    and a tracker's bare `Candidate` column (recruiters write the name there; its id is `Candidate ID`)."""
    compact = re.sub(r"[\W_]+", "", header.lower())
    return (compact in ("name", "cell", "candidate", "applicant")
            or any(part in compact for part in _PERSONAL_PARTS)
            or ("name" in compact and any(who in compact for who in ("candidate", "applicant", "person"))))


def normalise_header(name) -> str:
    """Template headers are case-insensitive and trimmed; spaces, dashes, dots and other marks
    between words read as `_` (`Requisition ID` and `candidate.id` become requisition_id, candidate_id)."""
    return re.sub(r"\W+", "_", str(name if name is not None else "").strip().lower()).strip("_")


def unique_headers(raw) -> list[str]:
    """Normalised column names; an empty one is named by its position, and a repeated one keeps
    its position too, so that no column is lost."""
    headers = [normalise_header(c) or f"column_{j + 1}" for j, c in enumerate(raw)]
    seen = set()
    for j, h in enumerate(headers):
        if h in seen:
            headers[j] = f"{h}_{j + 1}"
        seen.add(headers[j])
    return headers


def kind_from_name(name: str) -> str | None:
    """The template table a file or sheet name stands for (`Stage Events.csv` -> stage_events)."""
    stem = normalise_header(Path(name).stem if "." in name else name)
    return stem if stem in TEMPLATE else None


def kind_from_headers(headers) -> str | None:
    """The template table whose required columns all appear among `headers`, if exactly one fits."""
    hs = set(headers)
    fits = [k for k, cols in TEMPLATE.items() if all(c.name in hs for c in cols if c.required)]
    # stage_events' and applications' required columns overlap only partly; prefer the most specific.
    fits.sort(key=lambda k: -sum(c.required for c in TEMPLATE[k]))
    return fits[0] if fits else None
