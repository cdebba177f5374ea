"""What a load tells its user: the error of a file that cannot be loaded, and the report of one
that was (rows read, loaded and rejected, with samples; dropped columns; unmapped stage words; notes)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class LoadError(Exception):
    """A file that cannot be loaded at all; the message names the file (and sheet) and why."""


@dataclass
class Report:
    """What happened to one file (or one sheet of a workbook)."""
    path: str
    sheet: str | None = None
    kind: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    dropped_columns: list[str] = field(default_factory=list)
    clients: list[str] = field(default_factory=list)            # whose rows it held
    rejected_sample: list[tuple] = field(default_factory=list)   # (row, column, reason)
    unmapped: list[tuple] = field(default_factory=list)          # (stage word, events): loaded, not counted
    format: str | None = None      # the source shape it was read as ("template", a vendor shape's name)
    notes: list[str] = field(default_factory=list)             # what the shape could not carry
    skipped: str | None = None     # why nothing was loaded although the file is fine
    error: str | None = None       # why the file could not be loaded at all

    @property
    def file(self) -> str:
        """The file as reports name it: its folder and name (`export/applications.csv`)."""
        p = Path(self.path)
        return f"{p.parent.name}/{p.name}" if p.parent.name else p.name

    @property
    def label(self) -> str:
        return self.file + (f" [{self.sheet}]" if self.sheet else "")


def listed(names, limit: int = 5) -> str:
    """Names for a message: the first `limit` and how many more (`'A', 'B' and 3 more`); texts are
    quoted unless they are labels already (`'Jergens Inc' (id 12)`)."""
    names = list(names)
    shown = ", ".join(n if n.startswith(("'", "id ")) else repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
