"""Recruiter tracker workbooks (`--format tracker`): the requisition tracker, submittal log and
commitments sheet recruiters keep by hand (formats.md, "Recruiter spreadsheets").

Each sheet kind is declared as data: the template columns it fills, each with the headers
recruiters write for it (`Req #`, `Date Opened`, `HM`, ...), and the columns that recognise it. A
sheet is recognised by content: the first of its top rows (title and notes rows may sit above) that
holds a kind's recognising headers is its header row. Its rows are then staged as the template's
columns and go through `checks.store_table` like every other source, so every loading rule holds.

- requisition tracker -> `requisitions`.
- submittal log -> `applications`, and `stage_events` from its milestone date columns (`Date
  Submitted` is a `submitted` event, `Interview Date` `interviewed`, `Offer Date` `offered`, `Start
  Date` / `Hired` `hired`). Its status or outcome word (`Rejected`, `Withdrawn`, the client's own
  words) is one more event in the client's words, through the client's dictionary; it is dated by
  an `Outcome Date` column when there is one, else by the row's furthest milestone (the last thing
  known to have happened before it). The application id is the `Submittal ID` column when there is
  one, else `<requisition>/<candidate id>`, so that a newer tracker replaces the older's rows.
- commitments -> `commitments`; the id is a `Commitment ID` column when there is one, else
  `<requisition> due <original due date as written>` (`1042 due 2026-05-15`; ` #2`, ` #3` for
  further promises due the same day), so that a revision or a delivery noted later replaces it.
A stage event is known by its application, stage word and time (as for every source): a milestone
date corrected in a newer tracker adds an event beside the old one, and the earliest counts.

Layout handled here: a value merged down several rows belongs to each of them (`ingest.
read_xlsx_sheets`); totals rows, and rows holding only formula results below the data, are not read
and are named in the report; a formula with no saved value is named in the report, and rejects its
row where a date or number was expected.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

from loaders import xlsx
from loaders.parse import cell_text
from loaders.shapes import ShapeError

FORMAT = "tracker"


@dataclass(frozen=True)
class SheetKind:
    """One kind of tracker sheet: what it fills and the headers recruiters write for it."""
    name: str                                # what the report says: recruiter tracker (<name>)
    table: str                               # the template table its rows fill
    columns: dict                            # target -> header aliases (normalised), first found wins
    recognise: tuple                         # groups of targets; each group needs one of its targets
    ids: tuple = ()                          # the targets a derived id is made of, when `table`'s id is absent
    id_needs: tuple = ()                     # those of `ids` without which no id is made
    id_joins: tuple = ()                     # the text before each part of a derived id


_REQ = ("req", "req_id", "req_no", "req_number", "requisition", "requisition_id", "requisition_no",
        "requisition_number", "job_req", "job_req_id", "job_id", "job_order", "job_order_id")

REQUISITION_TRACKER = SheetKind("requisition tracker", "requisitions", {
    "requisition_id": _REQ,
    "title": ("job_title", "title", "position", "position_title", "role", "job"),
    "department": ("department", "dept", "business_unit", "division", "team"),
    "hiring_manager": ("hiring_manager", "hm", "manager", "hiring_mgr"),
    "recruiter": ("recruiter", "rpo_recruiter", "assigned_recruiter"),
    "opened_at": ("date_opened", "open_date", "opened", "opened_on", "opened_at", "date_open", "req_open_date"),
    "assigned_at": ("date_assigned", "assigned", "assigned_on", "assigned_at", "date_received", "received"),
    "closed_at": ("date_closed", "close_date", "closed", "closed_on", "closed_at", "date_filled", "filled"),
    "status": ("status", "req_status"),
    "openings": ("openings", "no_of_openings", "number_of_openings", "of_openings", "headcount", "positions"),
}, recognise=(("requisition_id",), ("opened_at",)))

# Milestone columns of a submittal log: the canonical stage each date column is an event of.
MILESTONES = {"submitted": "submitted", "interviewed": "interviewed", "offered": "offered", "hired": "hired"}

SUBMITTAL_LOG = SheetKind("submittal log", "applications", {
    "application_id": ("submittal_id", "submission_id", "application_id", "submittal_no", "submittal_number"),
    "requisition_id": _REQ,
    "candidate_id": ("candidate_id", "cand_id", "candidate_no", "candidate_number", "candidate_ref",
                     "candidate_reference"),
    "source": ("source", "candidate_source"),
    "applied_at": ("date_applied", "applied", "applied_on", "applied_at", "date_sourced", "sourced"),
    "status": ("outcome", "status", "result", "disposition", "submittal_status"),
    "submitted": ("date_submitted", "submitted", "submitted_on", "submittal_date", "submitted_date", "date_sent",
                  "sent_to_hm", "sent_to_client"),
    "interviewed": ("interview_date", "1st_interview", "first_interview", "interviewed", "interview",
                    "date_interviewed", "interviewed_on"),
    "offered": ("offer_date", "offered", "offer", "date_offered", "offered_on", "offer_extended"),
    "hired": ("start_date", "hired", "hire_date", "date_hired", "hired_on", "placed", "placement_date", "started"),
    "outcome_date": ("outcome_date", "status_date", "date_of_outcome", "decision_date", "rejected_on"),
}, recognise=(("requisition_id",), ("submitted",)), ids=("requisition_id", "candidate_id"),
   id_needs=("requisition_id", "candidate_id"), id_joins=("", "/"))

COMMITMENTS = SheetKind("commitments", "commitments", {
    "commitment_id": ("commitment_id", "commitment_no", "commitment_number", "id", "ref"),
    "requisition_id": _REQ,
    "description": ("description", "commitment", "what", "deliverable", "promise", "what_was_promised", "notes"),
    "promised_count": ("promised", "promised_count", "no_promised", "number_promised", "candidates_promised",
                       "count", "qty"),
    "due_date": ("due_date", "due", "original_due", "original_due_date", "due_on", "deadline", "promised_by"),
    "revised_due_date": ("revised_due", "revised_due_date", "new_due", "new_due_date", "revised_date"),
    "revised_on": ("revised_on", "date_revised", "revision_date", "revision_communicated", "communicated_on"),
    "delivered_on": ("delivered_on", "date_delivered", "delivery_date", "delivered", "completed_on"),
    "side": ("side", "miss_side", "whose_miss", "owner"),
    "reason": ("reason", "miss_reason", "reason_for_miss"),
}, recognise=(("due_date",), ("promised_count", "delivered_on")), ids=("requisition_id", "due_date"),
   id_needs=("due_date",), id_joins=("", " due "))   # a commitment's requisition is optional

KINDS = (REQUISITION_TRACKER, SUBMITTAL_LOG, COMMITMENTS)

# "Total", "TOTAL", "Totals:", "Grand total", "Subtotal", "Total openings", "Sum", "Count", "Average"
_TOTAL = re.compile(r"(grand\s*|sub\s*-?\s*)?totals?\b|(sum|count|average|avg)\b", re.IGNORECASE)


class TrackerError(ShapeError):
    """A tracker sheet that cannot be read as one kind; the message lists what it could be."""


def match(headers: list[str], kind: SheetKind) -> dict[str, int]:
    """target -> the column index of its header, for normalised `headers` (each header used once)."""
    found, used = {}, set()
    for target, aliases in kind.columns.items():
        j = next((headers.index(a) for a in aliases if a in headers and headers.index(a) not in used), None)
        if j is not None:
            found[target] = j
            used.add(j)
    return found


def header_for(target: str, kind: SheetKind) -> str:
    """How messages name a column a kind looks for: its first alias, as a header (`Date Submitted`)."""
    return "'" + kind.columns[target][0].replace("_", " ").title().replace(" Id", " ID").replace("Req", "Req #") + "'"


def _fits(found: dict, kind: SheetKind) -> bool:
    return all(any(t in found for t in group) for group in kind.recognise)


def recognise(rows, normalise, sheet: str, limit: int = 30):
    """(header row index, kind) of a tracker sheet, or None; a row that fits two kinds equally well is
    refused, naming both (pass the sheet in the template's layout instead)."""
    for i, row in enumerate(rows[:limit]):
        headers = [normalise(c) for c in row]
        fits = sorted(((len(found), kind) for kind in KINDS if _fits(found := match(headers, kind), kind)),
                      key=lambda f: -f[0])
        if len(fits) > 1 and fits[0][0] == fits[1][0]:
            raise TrackerError(f"sheet {sheet!r}, row {i + 1}: the headers fit a {fits[0][1].name} and a "
                               f"{fits[1][1].name} equally; rename or remove the columns of the one it is not")
        if fits:
            return i, fits[0][1]
    return None


def closest(rows, normalise) -> str:
    """What a sheet no kind fits looks closest to, for the error that lists candidates."""
    best = None
    for row in rows[:30]:
        headers = [normalise(c) for c in row]
        for kind in KINDS:
            found = match(headers, kind)
            if found and (best is None or len(found) > len(best[1])):
                best = (kind, found, row)
    if best is None:
        first = next((r for r in rows[:30] if any(cell_text(c) for c in r)), [])
        return "no tracker headers (first row: " + (", ".join(str(c).strip() for c in first if cell_text(c))[:120]
                                                     or "empty") + ")"
    kind, found, row = best
    lacks = [" or ".join(header_for(t, kind) for t in group) for group in kind.recognise
             if not any(t in found for t in group)]
    return (f"closest to a {kind.name} (found {', '.join(str(row[j]).strip() for j in found.values())}; "
            f"lacks a {', '.join(lacks)} column)")


def formula_cells(path: Path, sheet: str) -> dict[tuple[int, int], tuple[str, bool]]:
    """(row, column) from 0 -> (formula, whether Excel saved its value), for the sheet's formula
    cells (calamine reads the saved values; a workbook written by a program and never opened in
    Excel has none). A formula whose saved value is an empty text (`=IF(A5="","",...)`) has one."""
    main = xlsx.MAIN
    out = {}
    try:
        z = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile):
        return out
    with z:
        part = xlsx.sheet_parts(z).get(sheet)   # (the workbook was measured by staging.read_xlsx_sheets)
        if part is None:
            return out   # not laid out as Excel writes workbooks: formulas are then read by calamine alone
        for _, cell in ET.iterparse(z.open(part)):
            if cell.tag != f"{main}c":
                continue
            f, v = cell.find(f"{main}f"), cell.find(f"{main}v")
            ref = re.match(r"([A-Z]+)(\d+)", cell.get("r", ""))
            if f is not None and ref:
                col = 0
                for ch in ref.group(1):
                    col = col * 26 + ord(ch) - 64
                saved = bool(v is not None and v.text) or cell.get("t") in ("str", "inlineStr")
                out[(int(ref.group(2)) - 1, col - 1)] = ("=" + (f.text or "(shared formula)"), saved)
            cell.clear()
    return out


def _runs(numbers: list[int]) -> str:
    """Row numbers as runs: `row 9`, `rows 12 to 40, 45`."""
    runs = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    text = ", ".join(f"{a}" if a == b else f"{a} to {b}" for a, b in runs)
    return ("row " if len(numbers) == 1 else "rows ") + text


def layout(path: Path, sheet: str, rows: list, header_idx: int, kind: SheetKind, normalise, template: dict):
    """The sheet's rows ready for staging, with the header renamed to template columns, and what the
    report must say. Returns (rows with the staged header in place, target -> column index,
    source_names: template column -> the sheet's own header, notes)."""
    header = rows[header_idx]
    found = match([normalise(c) for c in header], kind)
    cols = {c.name: c for c in template[kind.table]}
    id_col = template[kind.table][0].name
    notes = []
    body = [list(r) for r in rows[header_idx + 1:]]
    width = len(header)

    # "Delivered" may count candidates ("promised 3, delivered 2") rather than date the delivery.
    j = found.get("delivered_on")
    counts = [cell_text(r[j]).strip() for r in body if j is not None and j < len(r) and cell_text(r[j])]
    if counts and all(re.fullmatch(r"\d{1,4}", v) for v in counts):
        del found["delivered_on"]
        notes.append(f"column {str(header[j]).strip()} holds counts, not dates: kept with each row, "
                     "and no delivery date is read from it")

    # Rows with no id that are not data: totals ("Total" in the first filled cell), and rows holding
    # only the results of formulas filled down below the data. Named in the report, not read.
    keys = [found[t] for t in (id_col,) + kind.ids if t in found]
    formulas = formula_cells(path, sheet)
    totals, formula_only = [], []
    for i, r in enumerate(body):
        filled = [j for j, c in enumerate(r) if cell_text(c)]
        if not filled:
            continue
        first = cell_text(r[filled[0]]).strip()
        no_id = all(not cell_text(r[j]) or _TOTAL.match(cell_text(r[j]).strip()) for j in keys if j < len(r))
        if no_id and _TOTAL.match(first):
            totals.append(header_idx + i + 2)
        elif no_id and all((header_idx + 1 + i, j) in formulas for j in filled):
            formula_only.append(header_idx + i + 2)
        else:
            continue
        body[i] = []
    if totals:
        notes.append(f"{_runs(totals)}: totals row{'s' if len(totals) > 1 else ''}, not read")
    if formula_only:
        notes.append(f"{_runs(formula_only)}: only formula results, no id, not read")

    # Formulas with no saved value: a date or number expected there cannot be read (the row is
    # rejected saying so); elsewhere the cell reads as empty, and is named. Rows left blank are layout.
    by_index = {j: t for t, j in found.items()}
    for (r, c), (formula, saved) in sorted(formulas.items()):
        i = r - header_idx - 1
        if saved or i < 0 or i >= len(body) or c >= width or not any(cell_text(v) for v in body[i]):
            continue
        target = by_index.get(c)
        if target in MILESTONES or target == "outcome_date" or (
                target in cols and cols[target].kind in ("time", "date", "int", "side")):
            body[i] += [None] * (c + 1 - len(body[i]))
            body[i][c] = f"{formula} (a formula with no saved value: open and save the workbook in Excel)"
        else:
            notes.append(f"row {r + 1}, column {str(header[c]).strip()}: formula {formula} has no saved value, "
                         "read as empty (open and save the workbook in Excel to keep its value)")

    # The staged header: template names for the columns found; the others keep their own names
    # (as provenance), moved aside when one would read as a template column.
    staged = []
    for j, raw in enumerate(header):
        target = by_index.get(j)
        name = normalise(raw)
        if target in cols:
            staged.append(target)
        elif name in cols:
            staged.append(f"{name}_source")
        else:
            staged.append(raw)
    source_names = {t: str(header[j]).strip() for t, j in found.items() if t in cols}

    # A derived id when the sheet has no id column, stable across later versions of the tracker.
    if id_col not in found and kind.ids:
        missing = [header_for(t, kind) for t in kind.id_needs if t not in found]
        if missing:
            raise TrackerError(f"{path}, sheet {sheet!r}: a {kind.name} needs a {header_for(id_col, kind)} column, "
                               f"or {' and '.join(header_for(t, kind) for t in kind.id_needs)} columns to make "
                               f"one from (lacks {', '.join(missing)})")
        parts = [(found[t], join, t in kind.id_needs) for t, join in zip(kind.ids, kind.id_joins) if t in found]
        seen = {}
        for r in body:
            values = [(cell_text(r[j]) or "").strip() if j < len(r) else "" for j, _, _ in parts]
            if any(need and not v for v, (_, _, need) in zip(values, parts)):
                r.append(None)   # no id: rejected as such, unless the row is blank
                continue
            key = "".join(join + v for v, (_, join, _) in zip(values, parts) if v).strip()
            seen[key] = seen.get(key, 0) + 1
            r.append(key + (f" #{seen[key]}" if seen[key] > 1 else ""))
        staged.append(id_col)
        found[id_col] = len(staged) - 1
        source_names[id_col] = " + ".join(str(header[j]).strip() for j, _, _ in parts)
        notes.append(f"no {header_for(id_col, kind)} column: {id_col} made from {source_names[id_col]}")
    return rows[:header_idx] + [staged] + body, found, source_names, notes


def events(found: dict, names: list[str], header: list) -> list[tuple[str | None, list[str], str]]:
    """The stage events a submittal log's staged row gives, as (canonical stage, or None for the
    row's status word; the staged columns its time comes from, first filled wins; the sheet's own
    header for messages). An outcome with no date of its own is dated by the row's furthest
    milestone: the last thing known to have happened before it."""
    out = [(stage, [names[found[stage]]], str(header[found[stage]]).strip())
           for stage in MILESTONES if stage in found]
    if "status" in found:
        dated_by = [t for t in ("outcome_date", "hired", "offered", "interviewed", "submitted", "applied_at")
                    if t in found]
        label = " / ".join(str(header[found[t]]).strip() for t in dated_by) or "no date column"
        out.append((None, [names[found[t]] for t in dated_by], label))
    return out
