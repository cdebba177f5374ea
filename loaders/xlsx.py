"""What an XLSX workbook's sheets hold, measured in its XML before any sheet is read.

calamine reads a sheet as a grid from A1 to its last cell, so one value far from the data (a cell
at XFD1048576 in a 5 KB file) asks for a grid of 17 billion cells: hundreds of GB. The loader
therefore first streams each sheet's XML out of the zip and notes how far its cells reach and how
many there are (`sheet_extents`), in bounded memory, and refuses what would not fit
(`staging.read_xlsx_sheets`). The zip's own declared sizes are not trusted: bytes are counted as
they are inflated.
"""
from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from xml.parsers import expat

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
CHUNK = 1 << 20

# Every cell element without a namespace prefix, with its reference when `r` is its first attribute
# (as every spreadsheet program writes it); a prefixed one (`<x:c `) is found by `_PREFIXED`.
_CELL = re.compile(rb'<c(?=[\s/>])(?:\s+r="([A-Za-z]+)([0-9]+)")?')
_PREFIXED = re.compile(rb':c[\s/>]')


class WorkbookError(ValueError):
    """A workbook whose zip or XML cannot be measured (damaged, or unpacking to too much)."""


@dataclass(frozen=True)
class Extent:
    """How far a sheet's cells reach (1-based last row and column) and how many cells it writes.
    `cells` stops counting a little past the limit `sheet_extents` was given."""
    rows: int = 0
    columns: int = 0
    cells: int = 0

    @property
    def grid(self) -> int:
        """The cells of the grid from A1 to the last row and column: what reading the sheet allocates."""
        return self.rows * self.columns


def column_letters(n: int) -> str:
    """Column number (1-based) as Excel names it: 1 -> A, 16384 -> XFD."""
    s = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _column_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters.upper() if isinstance(letters, str) else letters.upper().decode("ascii"):
        n = n * 26 + ord(ch) - 64
    return n


def _read_small(z: zipfile.ZipFile, name: str, limit: int = 16 << 20) -> bytes:
    with z.open(name) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise WorkbookError(f"its part {name} unpacks to more than {limit >> 20} MB")
    return data


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip entry holding its XML, as the workbook and its relationships say
    (an empty dict for a zip not laid out as a workbook)."""
    try:
        book = ET.fromstring(_read_small(z, "xl/workbook.xml"))
        rels = ET.fromstring(_read_small(z, "xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target") or "" for r in rels}
    parts = {}
    for s in book.iter(f"{MAIN}sheet"):
        target = targets.get(s.get(REL_ID))
        if target:
            parts[s.get("name")] = (target.lstrip("/") if target.startswith("/")
                                    else posixpath.normpath(posixpath.join("xl", target)))
    return parts


def sheet_extents(z: zipfile.ZipFile, max_cells: int, max_bytes: int) -> dict[str | None, Extent]:
    """Each sheet's Extent by name, and under None the largest worksheet's (for a sheet the
    workbook's relationships do not name: its size is then never underestimated).

    Every XML part is inflated once, in chunks; more than `max_bytes` of XML in all raises
    WorkbookError. A sheet's scan stops once it has counted more than `max_cells` cells (it is too
    large then, however far it reaches)."""
    parts = sheet_parts(z)
    by_part = {}
    budget = max_bytes
    for info in z.infolist():
        if not info.filename.endswith((".xml", ".rels")):
            continue   # pictures and the like: calamine does not read them
        if info.filename in parts.values() or "/worksheets/" in info.filename:
            by_part[info.filename], used = _extent(z, info, max_cells, budget)
        else:
            with z.open(info) as fh:
                used = _inflated(fh, budget)
        budget -= used
        if budget < 0:
            raise WorkbookError(f"its XML unpacks to more than {max_bytes / (1 << 30):g} GB (at {info.filename})")
    largest = max(by_part.values(), key=lambda e: (e.grid, e.cells), default=Extent())
    return {**{name: by_part.get(part, largest) for name, part in parts.items()}, None: largest}


def _inflated(fh, limit: int) -> int:
    """The bytes an entry inflates to, counted up to a little past `limit`."""
    used = 0
    while used <= limit and (chunk := fh.read(CHUNK)):
        used += len(chunk)
    return used


def _extent(z: zipfile.ZipFile, info: zipfile.ZipInfo, max_cells: int, max_bytes: int) -> tuple[Extent, int]:
    """A worksheet's Extent and the bytes its XML inflated to. The shape spreadsheet programs
    write is measured with one regular expression; anything else (prefixed names, cells without
    `r` or with it not first) is parsed as calamine reads it."""
    rows = cols = cells = used = 0
    tail, last = b"", b""
    with z.open(info) as fh:
        while used <= max_bytes and cells <= max_cells:
            data = fh.read(CHUNK)
            used += len(data)
            chunk = tail + data
            # A tag cut by the chunk's end waits for the next round: all from a `<` among the last 64
            # bytes (a cell's tag up to its `r` is shorter; a longer one is cut before its reference,
            # which sends the sheet to the parser below).
            cut = chunk.rfind(b"<", max(0, len(chunk) - 64)) if data else -1
            chunk, tail = (chunk, b"") if cut < 0 else (chunk[:cut], chunk[cut:])
            refs = _CELL.findall(chunk)
            letters, digits = zip(*refs) if refs else ((), ())
            if b"" in letters or (b":c" in last + chunk and _PREFIXED.search(last + chunk)):
                break   # not the usual shape: parse it
            last = chunk[-2:]
            if refs:
                cols = max(cols, max(map(_column_number, set(letters))))
                rows = max(rows, max(map(int, set(digits))))
                cells += len(refs)
            if not data:
                return Extent(rows, cols, cells), used
        else:
            return Extent(rows, cols, cells), used
    with z.open(info) as fh:
        return _parsed_extent(fh, max_cells, max_bytes)


class _Enough(Exception):
    pass


def _parsed_extent(fh, max_cells: int, max_bytes: int) -> tuple[Extent, int]:
    """`_extent` for any sheet XML, with calamine's rules: a cell without `r` follows the cell
    before it in its row, a row without `r` follows the row before it."""
    state = {"row": 0, "col": 0, "rows": 0, "cols": 0, "cells": 0}

    def start(name, attrs):
        local = name.rpartition(" ")[2]
        if local == "row":
            state["row"] = int(attrs["r"]) if attrs.get("r", "").isdigit() else state["row"] + 1
            state["col"] = 0
        elif local == "c":
            ref = re.fullmatch(r"([A-Za-z]+)([0-9]+)", attrs.get("r", ""))
            if ref:
                state["col"], row = _column_number(ref[1]), int(ref[2])
            else:
                state["col"], row = state["col"] + 1, state["row"]
            state["rows"], state["cols"] = max(state["rows"], row), max(state["cols"], state["col"])
            state["cells"] += 1
            if state["cells"] > max_cells:
                raise _Enough

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    used = 0
    try:
        while used <= max_bytes and (chunk := fh.read(CHUNK)):
            used += len(chunk)
            parser.Parse(chunk, False)
    except _Enough:
        pass
    except expat.ExpatError as exc:
        raise WorkbookError(f"a sheet's XML is not well-formed ({exc})") from exc
    return Extent(state["rows"], state["cols"], state["cells"]), used
