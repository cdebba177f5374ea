"""Names from the client's files are text wherever they go: a department, stage word, hiring
manager or reason that looks like a spreadsheet formula stays text in the workbooks behind the
deck's charts, and one that looks like HTML shows literally on a chart."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from pptx import Presentation

from conftest import DB
from exports import deck
from metrics import Filters

AS_OF = dt.date(2026, 6, 1)
# OWASP's CSV-injection starts, and two more that xlsxwriter (which writes a chart's workbook)
# would turn live: `{=...}` as an array formula, a URL as a link.
STAGE = '=HYPERLINK("http://x","click")'
DEPARTMENT = "+cmd|' /C calc'!A0"
HIRING_MANAGER = "{=1+1}"
REASON = "https://evil.example/x"
COMMITMENTS = "client,commitment_id,requisition_id,due_date,revised_due_date,revised_on,delivered_on,side,reason\n"


def _q(text: str) -> str:
    """A CSV field."""
    return '"' + text.replace('"', '""') + '"'


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load(db: DB, stage: str, department: str, hiring_manager: str, recruiter: str, reason: str):
    """A client whose requisition R1 carries the given names, with enough events, hires and a
    missed commitment that every chart of the deck has R1 in it."""
    toml = f'name = "Acme"\ntimezone = "America/Chicago"\n[stages]\n{_toml_string(stage)} = "interviewed"\n'
    return db(toml, {
        "requisitions": f"""
            client,requisition_id,title,department,hiring_manager,recruiter,opened_at
            Acme,R1,{_q(department)},{_q(department)},{_q(hiring_manager)},{_q(recruiter)},2026-05-01
            Acme,R2,Analyst,Sales,bob,alice,2026-05-01
        """,
        "applications": """
            client,application_id,requisition_id
            Acme,A1,R1
            Acme,A2,R2
        """,
        "stage_events": f"""
            client,application_id,stage,entered_at
            Acme,A1,submitted,2026-05-03T15:00:00Z
            Acme,A1,{_q(stage)},2026-05-05T15:00:00Z
            Acme,A1,hired,2026-05-20T15:00:00Z
            Acme,A2,submitted,2026-05-04T15:00:00Z
            Acme,A2,interviewed,2026-05-09T15:00:00Z
            Acme,A2,hired,2026-05-25T15:00:00Z
        """,
        "commitments": COMMITMENTS + f"Acme,C1,R1,2026-05-10,,,,rpo,{_q(reason)}\n",
    })


@pytest.fixture(scope="module")
def formula_deck(tmp_path_factory):
    db = DB(tmp_path_factory.mktemp("formulas"))
    con = load(db, STAGE, DEPARTMENT, HIRING_MANAGER, "@SUM(1)", REASON)
    try:
        return Presentation(io.BytesIO(deck.build(con, Filters("Acme", as_of=AS_OF))))
    finally:
        db.close()


def test_formula_like_names_stay_text_in_the_workbooks_behind_the_deck_charts(formula_deck):
    labels = {}      # every text cell of every chart's workbook -> its quote prefix
    for slide in formula_deck.slides:
        for shape in slide.shapes:
            if not shape.has_chart:
                continue
            book = openpyxl.load_workbook(io.BytesIO(shape.chart.part.chart_workbook.xlsx_part.blob))
            for ws in book.worksheets:
                for cell in (c for row in ws.iter_rows() for c in row if c.value is not None):
                    assert cell.data_type != "f", (shape.name, cell.coordinate, cell.value)
                    assert cell.hyperlink is None, (shape.name, cell.coordinate, cell.value)
                    if cell.data_type == "s":
                        labels[cell.value] = cell.quotePrefix
    # Each name reads as itself (a breakdown's label adds its n); formula-like ones carry Excel's
    # quote prefix, so editing the cell keeps them text.
    for name, formula_like in ((STAGE, True), (DEPARTMENT, True), (HIRING_MANAGER, False), (REASON, False)):
        shown = [text for text in labels if text.startswith(name)]
        assert shown, (name, sorted(labels))
        assert all(labels[text] == formula_like for text in shown), (name, shown)


def test_the_deck_charts_show_formula_like_names_as_they_are(formula_deck):
    categories = {shape.name: list(shape.chart.plots[0].categories)
                  for slide in formula_deck.slides for shape in slide.shapes if shape.has_chart}
    assert STAGE in categories["Chart: interview_conversion"]
    assert f"{DEPARTMENT} (n = 1)" in categories["Chart: time_to_fill"]
    assert f"{HIRING_MANAGER} (n = 1)" in categories["Chart: hm_feedback_days"]
    assert categories["Chart: deadline_adherence misses"] == [f"{REASON} (1)"]
