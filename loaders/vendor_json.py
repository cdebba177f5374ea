"""Reading vendors' JSON exports (Lever, Greenhouse Harvest): their objects, and rows of them as the
all-text tables the shared checks and parsers read."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from loaders.shapes import ShapeError


class JsonError(ShapeError):
    """A JSON export that cannot be read; the message names the file and what is wrong."""


def read_objects(path: Path) -> list[dict]:
    """The objects of one JSON export file: a list, one object, or an API page `{"data": [...], ...}`."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise JsonError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise JsonError(f"{path}: not UTF-8 text; JSON exports are UTF-8") from exc
    items = doc.get("data") if isinstance(doc, dict) and "data" in doc else doc
    if isinstance(items, dict):   # one object: a `GET .../{id}` response, one candidate's activity feed
        items = [items]
    if not isinstance(items, list) or not all(isinstance(o, dict) for o in items):
        raise JsonError(f"{path}: expected a list of objects, one object, or a page with \"data\": [...]")
    return items


# A staged column a vendor module sets to reject its row with a reason of its own (`rejection`).
REJECT = "__reject"


def rejection(field: str, reason: str) -> str:
    """A REJECT value: the row goes to the rejected rows, naming the source `field` and why."""
    return f"{field}\t{reason}"


def text(v) -> str | None:
    """A JSON value as the text a staged column holds; a nested object (a user, a stage) by its
    name, else its id."""
    if v is None or v == "":
        return None
    if isinstance(v, dict):
        return text(v.get("name") or v.get("text") or v.get("id"))
    return str(v)


def person(p) -> str | None:
    """A user or contact as a name: its `name`, else first and last name (Greenhouse writes
    `first_name`, Bullhorn `firstName`), else its id."""
    if not isinstance(p, dict):
        return p
    first, last = p.get("first_name") or p.get("firstName"), p.get("last_name") or p.get("lastName")
    return p.get("name") or " ".join(x for x in (first, last) if x) or p.get("id")


def text_table(rows: list[dict], columns: list[str]) -> pa.Table:
    """Rows as an all-text Arrow table with `__row` (the object's position in its file, from 1)."""
    data = {c: pa.array([text(r.get(c)) for r in rows], pa.string()) for c in columns}
    data["__row"] = pa.array([r["__row"] for r in rows], pa.int32())
    return pa.table(data)
