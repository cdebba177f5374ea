"""Hostile input stays harmless. Names from the client's files are text wherever they go: a
department, stage word, hiring manager or reason that looks like a spreadsheet formula stays text
in the workbooks behind the deck's charts, and one that looks like HTML shows literally on a chart.
A damaged database file is named, with what to do, and never written to."""
from __future__ import annotations

import datetime as dt
import html
import io
import random
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pptx import Presentation

import charts
import store
from conftest import DB
from exports import deck, files
from metrics import Filters, Report, stage_labels, views

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


def load(db: DB, client: str = "Acme", **names: str):
    """A client whose requisition R1 carries the given `names` (stage, department, hiring_manager,
    recruiter, source, reason), with enough events, hires and a missed commitment that every chart
    has R1 in it."""
    n = {k: _q(v) for k, v in names.items()}
    toml = (f'name = {_toml_string(client)}\ntimezone = "America/Chicago"\n[stages]\n'
            f'{_toml_string(names["stage"])} = "interviewed"\n')
    c = _q(client)
    return db(toml, {
        "requisitions": f"""
            client,requisition_id,title,department,hiring_manager,recruiter,opened_at
            {c},R1,{n["department"]},{n["department"]},{n["hiring_manager"]},{n["recruiter"]},2026-05-01
            {c},R2,Analyst,Sales,bob,alice,2026-05-01
        """,
        "applications": f"""
            client,application_id,requisition_id,source
            {c},A1,R1,{n["source"]}
            {c},A2,R2,referral
        """,
        "stage_events": f"""
            client,application_id,stage,entered_at
            {c},A1,submitted,2026-05-03T15:00:00Z
            {c},A1,{n["stage"]},2026-05-05T15:00:00Z
            {c},A1,hired,2026-05-20T15:00:00Z
            {c},A2,submitted,2026-05-04T15:00:00Z
            {c},A2,interviewed,2026-05-09T15:00:00Z
            {c},A2,hired,2026-05-25T15:00:00Z
        """,
        "commitments": COMMITMENTS + f"{c},C1,R1,2026-05-10,,,,rpo,{n['reason']}\n",
    })


@pytest.fixture(scope="module")
def formula_deck(tmp_path_factory):
    db = DB(tmp_path_factory.mktemp("formulas"))
    con = load(db, stage=STAGE, department=DEPARTMENT, hiring_manager=HIRING_MANAGER, recruiter="@SUM(1)",
               source="-1", reason=REASON)
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


# -- HTML: plotly renders a subset of it in ticks, legends, hovers, titles and annotations ----------

CLIENT = "Acme <b>&</b> Co"
HTML = {"stage": "<i>Talk</i>", "department": '<a href="https://evil.example">x</a>', "hiring_manager": "<b>Boss</b>",
        "recruiter": "R&amp;D<br>", "source": "<img src=x onerror=alert(1)>",
        "reason": '<a href="https://evil.example">late</a>'}
BREAKDOWNS = [("time_to_submit", "department"), ("time_to_submit", "recruiter"),
              ("interview_conversion", "department"), ("interview_conversion", "recruiter"),
              ("interview_conversion", "source"), ("deadline_adherence", "reason"),
              ("deadline_adherence", "department"), ("hm_feedback_days", "hiring_manager"), ("time_to_fill", "department")]


@pytest.fixture(scope="module")
def html_db(tmp_path_factory):
    db = DB(tmp_path_factory.mktemp("html"))
    con = load(db, client=CLIENT, **HTML)
    yield con
    db.close()


@pytest.fixture(scope="module")
def figures(html_db) -> dict:
    """Every chart builder's figure for the client, from the data the pages give them."""
    rep = Report(html_db, Filters(CLIENT, as_of=AS_OF))
    labels = stage_labels(html_db, rep.filters.client)
    ov, tts, conv = views.overview(rep), views.time_to_submit(rep, "month"), views.conversion(rep, "month")
    dl = views.deadlines(rep)
    story = rep.requisition("R1")
    kpis = pd.DataFrame([{"client": rep.filters.client, **k} for k in rep.kpis(compare=False)])
    figs = {
        "we": charts.we_scorecard(ov["tts_trend"], ov["hm_trend"], ov["summary"]["time_to_submit"],
                                  ov["summary"]["hm_feedback_days"], {}),
        "tts trend": charts.duration_trend("time_to_submit", tts["trend"], None, tts["totals"]),
        "tts distribution": charts.distribution("time_to_submit", tts["rows"], None, tts["totals"]),
        "funnel": charts.conversion_funnel(conv["totals"], labels),
        "in process": charts.in_process(conv["totals"], labels),
        "conversion trend": charts.conversion_trend(conv["trend"], conv["totals"]),
        "adherence": charts.adherence_by_month(dl["trend"], None, dl["totals"]),
        "misses": charts.misses_by_reason(dl["by"]["reason"], dl["totals"]),
        "timeline": charts.requisition_timeline(story["events"], labels, story["requisition"]["start_on"],
                                                story["requisition"]["sla_due_on"]),
        "portfolio": charts.portfolio(kpis),
    }
    for metric, by in BREAKDOWNS:
        figs[f"{metric} by {by}"] = charts.by_dimension(rep.aggregate(metric, by=by), metric, by, None)
    rep.close()
    return figs


def _texts(value):
    """Every string in a figure's dict."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _texts(v)
    elif isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        for v in (value.tolist() if hasattr(value, "tolist") else value):
            yield from _texts(v)


def test_every_chart_builder_takes_its_data_as_text():
    builders = [f for name, f in vars(charts).items()
                if callable(f) and not name.startswith("_") and getattr(f, "__annotations__", {}).get("return") == "go.Figure"]
    assert len(builders) == 11
    assert all(getattr(f, "__wrapped__", None) for f in builders), [f.__name__ for f in builders if not hasattr(f, "__wrapped__")]


def test_html_in_names_reaches_no_chart_as_markup(figures):
    names = [CLIENT, *HTML.values()]
    shown = set()
    for key, fig in figures.items():
        texts = list(_texts(fig.to_dict()))
        for name in names:
            assert not [t for t in texts if name in t], (key, name)
            shown.update(name for name in names if any(html.escape(name, quote=False) in t for t in texts))
    # Every name does reach a chart, escaped, so plotly shows its text.
    assert shown == set(names)


def test_our_own_markup_in_titles_still_works(figures):
    title = figures["time_to_fill by department"].layout.title.text
    assert "<br><sup>" in title and '(&lt;a href="https://evil.example"&gt;x&lt;/a&gt;)' in title
    assert deck.headline(figures["time_to_fill by department"])[1].endswith(f"({HTML['department']})")


def test_a_selected_point_and_the_chart_table_give_the_names_as_they_are(figures, html_db):
    fig = figures["time_to_submit by department"]
    index = list(fig.data[0].y).index(html.escape(HTML["department"], quote=False))
    spec = charts.drill_spec(fig, 0, index)
    assert spec["value"] == HTML["department"]
    rep = Report(html_db, Filters(CLIENT, as_of=AS_OF))
    args = {k: v for k, v in spec.items() if k not in ("metric", "count", "label") and v is not None}
    assert len(rep.rows(spec["metric"], **args)) == spec["count"] == 1
    rep.close()
    assert HTML["department"] in set(files.chart_table(fig)["department"])
    assert HTML["reason"] in set(files.chart_table(figures["misses"])["reason"])


@pytest.mark.requires("chromium")
def test_a_chart_image_shows_html_in_names_as_text(figures):
    svg = files.chart_image(figures["deadline_adherence by reason"], "svg").decode()
    # The name is drawn as characters (`&#60;a href=...`), not as an SVG link.
    assert '&#60;a href="https://evil.example"&#62;late' in svg
    assert "<a " not in svg and "xlink:href" not in svg


# -- a damaged database file ------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def _damaged_bytes(shape: str, sample_db: Path) -> bytes:
    real = sample_db.read_bytes()
    return {"random bytes": random.Random(42).randbytes(64 * 1024),
            "half of a real database": real[: len(real) // 2],
            "zero-length": b"",
            "a CSV file": (ROOT / "sample_data" / "globex" / "requisitions.csv").read_bytes(),
            "a SQLite file": b"SQLite format 3\x00" + bytes(4080)}[shape]


DAMAGED = ["random bytes", "half of a real database", "zero-length", "a CSV file", "a SQLite file"]


@pytest.fixture(params=DAMAGED)
def damaged_db(request, sample_db, tmp_path) -> tuple[Path, bytes]:
    """A database file damaged in one of several shapes, and its bytes."""
    path = tmp_path / "recruiting.duckdb"
    data = _damaged_bytes(request.param, sample_db)
    path.write_bytes(data)
    return path, data


@pytest.mark.parametrize("read_only", [True, False], ids=["read-only", "for writing"])
def test_a_damaged_database_is_named_and_left_as_it_was(damaged_db, read_only):
    path, data = damaged_db
    with pytest.raises(store.DamagedDatabase) as err:
        store.connect(path, read_only=read_only, wait_seconds=1)
    assert str(path) in str(err.value) and "restore it from a backup" in str(err.value)
    assert path.read_bytes() == data
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]     # no WAL either


def test_the_loader_does_not_write_into_a_damaged_database(damaged_db):
    from loaders.__main__ import main as loaders_main
    path, data = damaged_db
    try:
        code = loaders_main(["--db", str(path), "ingest", "--quiet", str(ROOT / "sample_data" / "globex")])
    except store.DamagedDatabase:   # until the command line says it in one line, as the others do
        code = 1
    assert code == 1 and path.read_bytes() == data


@pytest.mark.parametrize("command", [["metrics", "summary", "--client", "Acme Corp"],
                                     ["exports", "deck", "--client", "Acme Corp", "-o", "{tmp}/x.pptx"]],
                         ids=["metrics", "exports"])
def test_the_command_lines_say_a_database_is_damaged_in_one_line(sample_db, tmp_path, command):
    path = tmp_path / "recruiting.duckdb"
    path.write_bytes(_damaged_bytes("half of a real database", sample_db))
    run = subprocess.run([sys.executable, "-m", *[a.format(tmp=tmp_path) for a in command], "--db", str(path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    [line] = run.stderr.splitlines()
    assert line.startswith(f"error: database {path} is damaged (it is cut short")
    assert line.endswith("restore it from a backup, or move it away and load the data again; nothing was written to it.")
    assert not run.stdout


def test_a_database_whose_free_blocks_duckdb_cut_off_is_not_taken_for_damaged(sample_db, tmp_path):
    # After a few small writes DuckDB cuts free blocks off the end of the file while it still counts them.
    path = tmp_path / "copy.duckdb"
    path.write_bytes(sample_db.read_bytes())
    shapes = set()
    for i in range(4):
        with store.connection(path) as con:
            con.execute("INSERT INTO meta VALUES (?, 'x')", [f"note {i}"])
        with store.connection(path, read_only=True) as con:
            total, block_size = con.execute("SELECT total_blocks, block_size FROM pragma_database_size() "
                                            "WHERE database_name = current_database()").fetchone()
            assert con.execute("SELECT count(*) FROM meta WHERE key LIKE 'note %'").fetchone() == (i + 1,)
        shapes.add(path.stat().st_size < store.FILE_HEADERS + total * block_size)
    assert shapes == {False, True}     # the shape this test is about did occur


def test_a_database_this_process_is_writing_is_not_taken_for_damaged(tmp_path):
    # The open writer holds new blocks not yet in the file, which a second connection's DuckDB counts.
    path = tmp_path / "busy.duckdb"
    with store.connection(path) as writer:
        writer.execute("CREATE TABLE big AS SELECT range AS i, repeat('x', 60) || range AS s FROM range(300000)")
        with store.connection(path) as again:
            assert again.execute("SELECT count(*) FROM big").fetchone() == (300000,)
