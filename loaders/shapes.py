"""Source shapes other than the import template: what each vendor file looks like and how its
columns become the template's.

Each shape is declarative: the headers that identify it (its signature, so `--format auto`
recognises a file by content, not by name), the template table it fills, and how its columns map
to the template's. The staged text table is then checked, parsed and stored by the same
`store_table` as the template, so every loading rule holds for every source.

Shapes supported here (JSON exports: `harvest.py` for Greenhouse Harvest, `bullhorn.py`, `lever.py`):
- Greenhouse `application_stages` (BI Connector interval table): one row per application x stage
  with entered and exited times; duplicates and rows with an empty `entered_on` are rejected and
  reported by the shared rules.
- Greenhouse `application_history` (warehouse event log): one row per stage change; stage names
  come from the `job_stage` export beside it (`job_stage.csv`, or Harvest's `job_stages.json`),
  and a terminal row has an empty stage and the outcome (`hired`, `rejected`) in `new_status`.
  Its SQL is here (`stage_sql`); being a connector's table, it is read by `connectors.py` with the
  others (the rows the connector marks deleted skipped and counted), not recognised by `detect`.
- `tracker`: recruiters' tracker workbooks (requisition tracker, submittal log, commitments):
  `tracker.py`.
- `mapped`: any other ATS's flat file (CSV or a workbook sheet), with a column mapping saved per
  client as a TOML file (`--mapping FILE`).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

FORMATS = ("auto", "template", "greenhouse", "lever", "bullhorn", "tracker", "mapped")
SUPPORTED = FORMATS


class ShapeError(ValueError):
    """A file whose shape cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Shape:
    """One vendor file shape."""
    format: str                    # the --format that reads it
    name: str                      # what the load report calls it
    kind: str                      # the template table it fills
    signature: tuple[str, ...]     # normalised headers that identify it (all present)
    rename: dict = field(default_factory=dict)   # source header -> template column
    source_names: dict = field(default_factory=dict)   # template column -> header, for shapes built by SQL


GREENHOUSE_STAGES = Shape(
    "greenhouse", "Greenhouse application_stages (interval table)", "stage_events",
    signature=("application_id", "stage_id", "stage_name", "entered_on", "exited_on"),
    rename={"stage_name": "stage", "entered_on": "entered_at", "exited_on": "exited_at"})
GREENHOUSE_HISTORY = Shape(
    "greenhouse", "Greenhouse application_history (event log)", "stage_events",
    signature=("application_id", "updated_at", "new_stage_id", "new_status"),
    source_names={"entered_at": "updated_at", "stage": "new_stage_id / new_status"})
# Read only beside application_history, for the stage names.
GREENHOUSE_JOB_STAGE = Shape("greenhouse", "Greenhouse job_stage (stage names)", "", signature=("id", "job_id", "name"))

# application_history is a connector's warehouse table: `connectors.py` reads it (with its job_stage)
# as it reads the others, so that the rows the connector marks deleted are skipped and counted.
SHAPES = (GREENHOUSE_STAGES, GREENHOUSE_JOB_STAGE)


def detect(headers: list[str], fmt: str) -> list[Shape]:
    """The vendor shapes `headers` fit, for `--format fmt` (auto: any vendor)."""
    hs = set(headers)
    return [s for s in SHAPES if (fmt in ("auto", s.format)) and set(s.signature) <= hs]


def stage_sql(shape: Shape, table: str, lookup_table: str | None) -> str:
    """SQL for the staged table in template columns, for shapes that need more than renames."""
    if shape is GREENHOUSE_HISTORY:
        # A stage change names its stage by id; a terminal row has no stage and says the outcome
        # (hired / rejected) in new_status. An id with no name stays the stage word (unmapped).
        return f"""SELECT h.* EXCLUDE (updated_at, new_stage_id), h.new_stage_id AS stage_id,
                          h.updated_at AS entered_at,
                          coalesce(nullif(trim(js.name), ''),
                                   CASE WHEN nullif(trim(h.new_stage_id), '') IS NULL THEN h.new_status END,
                                   h.new_stage_id) AS stage
                   FROM {table} h LEFT JOIN {lookup_table} js ON trim(js.id) = trim(h.new_stage_id)"""
    raise AssertionError(shape)


@dataclass(frozen=True)
class Mapping:
    """A saved column mapping for one client's exports of another ATS (`--mapping FILE`)."""
    kind: str
    columns: dict                  # template column -> the export's header (normalised)
    origin: str

    @property
    def shape(self) -> Shape:
        return Shape("mapped", f"mapped {self.kind} ({Path(self.origin).name})", self.kind,
                     signature=tuple(self.columns.values()),
                     rename={src: col for col, src in self.columns.items()})


def mapping_toml(kind: str, columns: dict[str, str]) -> str:
    """The text of a mapping file (`read_mapping` reads it back): the template table and, for each
    template column, the export's header as written. A header may hold anything (quotes,
    backslashes, a line break): tomli_w escapes it, where formatting it into the text would not."""
    return tomli_w.dumps({"kind": kind, "columns": columns})


def read_mapping(path: Path | str, template: dict, normalise) -> Mapping:
    """Read and check a mapping file:

        kind = "stage_events"          # the template table the export fills
        [columns]                      # template column = the export's header
        application_id = "Application ID"
        stage = "Status"
        entered_at = "Changed On"
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ShapeError(f"{path}: cannot read the mapping file: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ShapeError(f"{path}: not valid TOML: {exc}") from exc
    kind = data.get("kind")
    if kind not in template:
        raise ShapeError(f"{path}: `kind` = {kind!r} must be one of {', '.join(template)}")
    names = {c.name for c in template[kind]}
    columns = data.get("columns", {})
    unknown = [k for k in columns if k not in names and k != "client"]
    if unknown:
        raise ShapeError(f"{path}: [columns] {', '.join(unknown)} are not {kind} columns; use "
                         f"{', '.join(sorted(names | {'client'}))}")
    missing = [c.name for c in template[kind] if c.required and c.name not in columns]
    if missing:
        raise ShapeError(f"{path}: [columns] lacks required {kind} column(s) {', '.join(missing)}: "
                         "name the export's header for each")
    return Mapping(kind, {k: normalise(v) for k, v in columns.items()}, str(path))
