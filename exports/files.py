"""Chart images (PNG, SVG) and table files (CSV, XLSX), without Streamlit.

`chart_image` renders a chart builder's figure with kaleido in one Chromium kept running for a
batch (started on first use, stopped by `stop_images` or at exit); `chart_table` lists exactly the
points a chart plots; `table_csv` and `table_xlsx` write any table. Every text cell is written
formula-safe (see `safe_text`), so a hostile title such as `=HYPERLINK(...)` stays text.
"""
from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import functools
import html
import io
import math
import os
import re
import textwrap
import threading

import pandas as pd
import plotly.graph_objects as go
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

import charts
from metrics import METRICS

IMAGE_FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
TABLE_FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
DEFAULT_WIDTH, DEFAULT_HEIGHT = 1200, 450
INSTALL_CHROMIUM = ("Chart images need Chromium, which is not installed here. Install it with "
                    "`sudo apt-get install chromium` (Debian/Ubuntu; `make run` does it where it can), or set "
                    "BROWSER_PATH to a Chrome or Chromium executable, then restart the dashboard. CSV and XLSX "
                    "downloads work without it.")
# The About sheet must say what a table is about; these rows are required.
REQUIRED_CONTEXT = ("Filters", "Data as of")


class ImagesUnavailable(RuntimeError):
    """Chart images cannot be made on this machine (no browser, or it failed); the message says
    what to do."""


# -- chart images --------------------------------------------------------------------------------

def browser_path() -> str | None:
    """The Chrome/Chromium kaleido would use (BROWSER_PATH, else the usual names on PATH), or None."""
    return _find_browser(os.environ.get("BROWSER_PATH"), os.environ.get("PATH"))


@functools.lru_cache(maxsize=8)
def _find_browser(browser_path_env, path_env) -> str | None:
    # Cached per environment: every chart on every rerun asks, and the search walks PATH.
    try:
        from choreographer.browsers.chromium import Chromium
    except ImportError:   # no kaleido: nothing could render anyway
        return None
    path = Chromium.find_browser(skip_local=False)
    # BROWSER_PATH is taken as given by the finder, even when nothing is there.
    return path if path and os.access(path, os.X_OK) else None


def images_unavailable() -> str | None:
    """Why chart images cannot be made here, in words for people; None when they can."""
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return "Chart images need the kaleido package: `make run` installs it into the project's .venv."
    return None if browser_path() else INSTALL_CHROMIUM


class _Browser:
    """One kaleido browser on its own event-loop thread, shared by every caller.

    Why not `kaleido.start_sync_server()`: when its browser fails to start (no Chromium) its thread
    dies and every later call waits forever; its calls are not safe from several threads either
    (each Streamlit session runs on its own). Here a failed start or a stuck render raises after a
    timeout, and the next image starts a fresh browser.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.loop = self.thread = self.kaleido = None

    def start(self, timeout: float = 60) -> None:
        with self.lock:
            if self.kaleido is not None:
                return
            problem = images_unavailable()
            if problem:
                raise ImagesUnavailable(problem)
            import kaleido
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="chart-images", daemon=True)
            thread.start()

            async def open_browser():
                # mathjax=False: no chart uses LaTeX, and kaleido would fetch MathJax from a CDN.
                k = kaleido.Kaleido(n=1, timeout=timeout, mathjax=False)
                await k.open()
                return k
            try:
                self.kaleido = asyncio.run_coroutine_threadsafe(open_browser(), loop).result(timeout)
            except Exception as exc:
                loop.call_soon_threadsafe(loop.stop)
                thread.join(5)
                raise ImagesUnavailable(f"Chromium ({browser_path()}) did not start for chart images: {exc}. "
                                        "CSV and XLSX downloads work without it.") from exc
            self.loop, self.thread = loop, thread

    def stop(self) -> None:
        with self.lock:
            if self.kaleido is None:
                return
            try:
                asyncio.run_coroutine_threadsafe(self.kaleido.close(), self.loop).result(20)
            except Exception:   # a browser that died already: nothing left to close
                pass
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop = self.thread = self.kaleido = None

    def render(self, spec: dict, opts: dict, timeout: float = 60) -> bytes:
        self.start()
        try:
            return asyncio.run_coroutine_threadsafe(self.kaleido.calc_fig(spec, opts=opts), self.loop).result(timeout)
        except Exception as exc:
            self.stop()   # the next image gets a fresh browser
            raise ImagesUnavailable(f"The chart image could not be rendered: {exc!r}") from exc


_browser = _Browser()
atexit.register(_browser.stop)


def start_images() -> None:
    """Start the browser that renders chart images (the first image does it anyway); raises
    `ImagesUnavailable` saying what to install when there is none."""
    _browser.start()


def stop_images() -> None:
    """Stop the browser that renders chart images (a later image starts it again)."""
    _browser.stop()


def _wrap(text: str, width_px: int, font_px: int) -> list[str]:
    # DejaVu Sans (the font Chromium draws with here) averages about 0.58 of the font size per letter.
    chars = max(40, int(width_px / (0.6 * font_px)))
    return [line for paragraph in text.splitlines() for line in textwrap.wrap(paragraph, chars) or [""]]


def with_footnote(fig: go.Figure, footnote: str, width: int, font_px: int = 11) -> tuple[go.Figure, int]:
    """A copy of `fig` with `footnote` (the chart's caption: definition, filters, n, data as of)
    printed under the plot, so an image states them as the screen does; and the pixels it adds."""
    fig = go.Figure(fig)
    lines = _wrap(footnote, width - 30, font_px)
    extra = int(len(lines) * font_px * 1.35) + 16
    # An x-axis title sits below the declared bottom margin (plotly's automargin grows it): make room.
    if any(fig.layout[k].title.text for k in fig.layout if k.startswith("xaxis")):
        extra += 28
    margin = fig.layout.margin
    left = margin.l if margin.l is not None else 60
    bottom = margin.b if margin.b is not None else 50
    fig.add_annotation(text="<br>".join(html.escape(line, quote=False) for line in lines), showarrow=False,
                       xref="paper", yref="paper", x=0, y=0, xanchor="left", yanchor="bottom", align="left",
                       # At the foot of the image, below the axis titles the old margin holds.
                       xshift=15 - left, yshift=8 - bottom - extra, font=dict(size=font_px, color="#555555"))
    fig.update_layout(margin=dict(b=bottom + extra))
    return fig, extra


def chart_image(fig: go.Figure, fmt: str = "png", width: int | None = None, height: int | None = None,
                scale: float = 1, footnote: str | None = None) -> bytes:
    """The chart as PNG or SVG bytes, `width` x `height` pixels (times `scale` for a PNG).

    Defaults: 1200 wide, the figure's own height (450 when it sets none) plus the footnote's
    lines. With `footnote`, the caption is printed under the plot. Raises `ImagesUnavailable`
    (saying what to install) when there is no browser to render with.
    """
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"chart images are {' or '.join(IMAGE_FORMATS)}, not {fmt!r}")
    width = width or fig.layout.width or DEFAULT_WIDTH
    extra = 0
    if footnote:
        fig, extra = with_footnote(fig, footnote, width)
    if fig.layout.title.pad.l is None:
        # On screen the page pads the chart; a file starts at its edge, so the title gets the
        # footnote's indent.
        fig = go.Figure(fig).update_layout(title_pad_l=15)
    height = height or (fig.layout.height or DEFAULT_HEIGHT) + extra
    return _browser.render(fig.to_dict(), {"format": fmt, "width": width, "height": height, "scale": scale})


# -- the rows a chart plots ----------------------------------------------------------------------

# Traces that summarise raw values the same chart also counts (the box above the distribution's
# bars, and a trace whose meta says {"summary": True}: the box's points beyond its whiskers):
# their "points" are the sample itself, not figures the chart states.
_SUMMARY_TRACES = ("box", "violin", "histogram")


def plain_title(fig_or_text) -> str:
    """A chart's title as plain text: `<br><sup>subtitle</sup>` becomes ` - subtitle`."""
    text = fig_or_text.layout.title.text if isinstance(fig_or_text, go.Figure) else fig_or_text
    text = re.sub(r"<br\s*/?>", " - ", text or "")
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def chart_notes(fig: go.Figure) -> str:
    """What the chart marks besides its traces (targets, empty-chart sentences), as text."""
    texts = [plain_title(a.text) for a in fig.layout.annotations if a.text]
    return "; ".join(t for t in dict.fromkeys(texts) if t)


def _axis(fig: go.Figure, trace, letter: str):
    ref = getattr(trace, f"{letter}axis", None) or letter
    return fig.layout[ref.replace(letter, f"{letter}axis", 1)]


def _plain(value):
    """A cell value: numpy scalars as Python numbers, datetimes as Timestamps, missing as None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "dtype") and getattr(value, "ndim", 0) == 0:
        if str(value.dtype).startswith("datetime64"):
            return pd.Timestamp(value)
        value = value.item()
        return None if isinstance(value, float) and math.isnan(value) else value
    return value


def _unit(fig: go.Figure, trace, value_axis: str, meta: dict | None) -> str:
    """rate, days or count: what a trace's values are (an XLSX formats them by it)."""
    if meta and meta.get("count", "y") == value_axis:
        return "count"     # the value is the number of rows behind the point
    axis = _axis(fig, trace, value_axis)
    if "%" in (axis.tickformat or ""):
        return "rate"
    if meta:
        return METRICS[meta["metric"]].unit
    return "days" if "day" in (axis.title.text or "") else ""


def chart_table(fig: go.Figure) -> pd.DataFrame:
    """Exactly the points the chart plots, one row each, in trace order.

    Columns: `series` (the trace's name), the category (named after the dimension, `period` for
    dates, or the axis title), `value`, `unit` (rate, days, count); and for charts whose points
    open their rows: `n` (the rows behind the point, as a click lists them), `metric` and `subset`
    (the `metrics.Report.rows` arguments). The box over the time-to-submit distribution is left
    out: it summarises the very values the bars below it count.
    """
    rows, category, drillable = [], None, False
    for curve, trace in enumerate(fig.data):
        if trace.type in _SUMMARY_TRACES or (isinstance(trace.meta, dict) and trace.meta.get("summary")):
            continue
        horizontal = trace.type == "funnel" or trace.orientation == "h"
        cat_axis, value_axis = ("y", "x") if horizontal else ("x", "y")
        cats, values = trace[cat_axis], trace[value_axis]
        if cats is None or values is None:
            continue
        meta = (trace.meta or {}).get("drill") if isinstance(trace.meta, dict) else None
        if category is None:
            title = _axis(fig, trace, cat_axis).title.text
            dated = len(cats) and isinstance(_plain(cats[0]), (pd.Timestamp, dt.date))
            category = ((meta or {}).get("by") or ("period" if (meta or {}).get("grain") or dated else None)
                        or title or ("days" if (meta or {}).get("days") else "category"))
        unit = _unit(fig, trace, value_axis, meta)
        # The builders escape the text they plot (`charts._data_as_text`); a file holds it as it is.
        name = html.unescape(trace.name or (meta or {}).get("label") or "")
        for i, (c, v) in enumerate(zip(cats, values)):
            spec = charts.drill_spec(fig, curve, i) if meta else None
            drillable = drillable or spec is not None
            c = _plain(c)
            if isinstance(c, str):
                c = html.unescape(c)
            if isinstance(c, pd.Timestamp) and c == c.normalize():
                c = c.date()
            rows.append({"series": name, category: c, "value": _plain(v), "unit": unit,
                         "n": spec["count"] if spec else None, "metric": spec["metric"] if spec else None,
                         "subset": spec["subset"] if spec else None})
    columns = ["series", category or "category", "value", "unit"] + (["n", "metric", "subset"] if drillable else [])
    table = pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
    # Counts stay whole numbers beside the rates of the same chart (a float column would write 6.0).
    table["value"] = pd.Series([r["value"] for r in rows], dtype=object, index=table.index)
    if drillable:
        table["n"] = table["n"].astype("Int64")
    return table


# -- table files ---------------------------------------------------------------------------------

# Dates and times of the fact tables, as people read them (the dashboard's date and time columns).
DATE_HEADERS = {
    "start_on": "Start", "opened_on": "Opened", "assigned_on": "Assigned", "closed_on": "Closed",
    "first_sub_on": "First submittal", "kth_sub_on": "SLA submittal", "first_hire_on": "First hire",
    "sla_due_on": "SLA due", "sub_on": "Submitted", "hire_on": "Hired on", "feedback_on": "Feedback",
    "due_on": "Due", "delivered_on": "Delivered", "revised_due_date": "Revised due", "revised_on": "Revised on",
    "entered_on": "Entered (local date)", "exited_on": "Exited (local date)", "applied_on": "Applied",
    "due_date": "Due"}
TIME_HEADERS = {
    "entered_at": "Entered (UTC)", "exited_at": "Exited (UTC)", "sub_at": "Submitted (UTC)",
    "opened_at": "Opened (UTC)", "assigned_at": "Assigned (UTC)", "closed_at": "Closed (UTC)",
    "applied_at": "Applied (UTC)"}
# Every stored column a table on screen or in a file may hold, in people's words: one list for the
# screen's headers and the downloads' (`header`).
HEADERS = {
    "requisition_id": "Requisition", "title": "Title", "department": "Department", "recruiter": "Recruiter",
    "hiring_manager": "Hiring manager", "application_id": "Application", "candidate_id": "Candidate",
    "source": "Source", "status": "Status", "age_days": "Age (days)",
    "tts_days": "Time to submit (days)", "ttf_days": "Time to fill (days)", "feedback_days": "Feedback (days)",
    "days_left": "Days left", "kind": "Kind", "deadline_id": "Deadline", "description": "What was promised",
    "side": "Side", "reason": "Reason", "raw_stage": "Client's word", "stage": "Stage",
    "revised_in_time": "Revised in time", "revised": "Revised", "interviewed": "Interviewed", "offered": "Offered",
    "hired": "Hired", "ended": "Outcome known", "submittals": "Submittals", "hires": "Hires", "openings": "Openings",
    "known_req": "Known requisition", "given_reason": "Reason given",
    "submitted": "Submitted", "in_process": "In process", "awaiting_interview": "Awaiting interview",
    "awaiting_offer": "Awaiting offer", "awaiting_hire": "Awaiting hire", "awaiting_feedback": "Awaiting feedback",
    "submit_to_interview": "Submit → interview", "interview_to_offer": "Interview → offer",
    "offer_to_hire": "Offer → hire", "rate": "Adherence", "due": "Due", "met": "Met", "missed": "Missed",
    "pending": "Pending", "missed_rpo": "Missed, our side", "missed_client": "Missed, client's side",
    "sla_due": "SLA deadlines due", "sla_met": "SLA deadlines met", "commitments_due": "Commitments due",
    "commitments_met": "Commitments met", "median": "Median (days)", "mean": "Mean (days)",
    "p90": "90th percentile (days)", "n": "n", "client": "Client", "kpi": "KPI", "value": "Value", "unit": "Unit",
    "target": "Target",
    **DATE_HEADERS, **TIME_HEADERS,
}


# Stored codes in people's words, wherever a table shows or a file carries them.
VALUE_WORDS = {
    "kind": {"sla": "SLA deadline", "commitment": "Commitment"},
    "side": {"rpo": "RPO", "client": "Client"},
    "status": {"met": "Met", "missed": "Missed", "pending": "Pending"},
}


def in_words(table: pd.DataFrame) -> pd.DataFrame:
    """The table with stored codes in people's words (`sla` -> SLA deadline, `rpo` -> RPO)."""
    out = table
    for col, words in VALUE_WORDS.items():
        if col in table.columns:
            if out is table:
                out = table.copy()
            out[col] = [words.get(v, v) if isinstance(v, str) else v for v in table[col]]
    return out


def header(name) -> str:
    """A stored column's header for people, on screen and in CSV and XLSX files: `tts_days` ->
    `Time to submit (days)`, `first_sub_on` -> `First submittal`; a name without one stays as it is."""
    return HEADERS.get(name, str(name))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value) -> bool:
    """A text a spreadsheet would evaluate (or misread) if typed in: it starts with =, +, -, @,
    tab or carriage return."""
    return isinstance(value, str) and value.startswith(_FORMULA_START)


def safe_text(value):
    """A CSV cell that a spreadsheet shows as text: formula-like text gets a leading `'` (OWASP's
    CSV-injection advice). Numbers stay numbers."""
    return "'" + value if formula_like(value) else value


def table_csv(table: pd.DataFrame, people: bool = False) -> bytes:
    """The table as CSV (UTF-8 with a byte-order mark, so Excel reads accents and arrows): a header
    row (with `people`, headers and stored codes in people's words: `header`, `in_words`) and exactly the table's rows, formula-safe,
    blanks empty. The context (filters, data as of) goes in the file name and the XLSX's About
    sheet, so the file stays plain data that any tool loads."""
    out = (in_words(table) if people else table).copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            if _column_kind(str(col), out[col]) == "date":
                out[col] = out[col].dt.strftime("%Y-%m-%d")
        elif not pd.api.types.is_numeric_dtype(out[col]):
            # Element by element: `map` would turn a column of counts and rates into floats.
            out[col] = pd.Series([safe_text(v) for v in out[col]], index=out.index, dtype=object)
    out.columns = [safe_text(header(c) if people else str(c)) for c in out.columns]
    # CRLF line ends (RFC 4180): a field holding a bare carriage return is then quoted too.
    return out.to_csv(index=False, date_format="%Y-%m-%d %H:%M:%S", lineterminator="\r\n").encode("utf-8-sig")


RATE_COLUMNS = {"submit_to_interview", "interview_to_offer", "offer_to_hire", "rate"}
DAY_COLUMNS = {"median", "mean", "p90", "days_left"}
HEADER_FILL = PatternFill("solid", fgColor="0072B2")
HEADER_FONT = Font(bold=True, color="FFFFFF")
FORMATS = {"rate": "0.0%", "days": "0.0", "count": "0", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


def _column_kind(name: str, values: pd.Series) -> str | None:
    """How a column is formatted: rate, days, date, datetime or none."""
    if name in RATE_COLUMNS:
        return "rate"
    if name in DAY_COLUMNS or name.endswith("_days"):
        return "days"
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = values.dropna()
        dated = not name.endswith("_at") and bool((stamps == stamps.dt.normalize()).all())
        return "date" if dated else "datetime"
    if values.map(lambda v: isinstance(v, dt.date), na_action="ignore").any():
        return "date"
    return None


def _cell_value(value):
    value = _plain(value)
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        # Excel has no time zones: times are written in UTC, as the dashboard shows them.
        return (value.tz_convert("UTC").tz_localize(None) if value.tzinfo else value).to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def _write(ws, row: int, col: int, value, number_format: str | None = None):
    cell = ws.cell(row=row, column=col)
    value = _cell_value(value)
    if isinstance(value, str):
        # A string cell is never evaluated; quotePrefix keeps it text when someone edits it too.
        cell.value = value
        cell.data_type = "s"
        if formula_like(value):
            cell.quotePrefix = True
    else:
        cell.value = value
        if number_format and isinstance(value, (int, float, dt.date)) and not isinstance(value, bool):
            cell.number_format = number_format
    return cell


def table_xlsx(table: pd.DataFrame, context: dict[str, str], people: bool = False) -> bytes:
    """The table as an Excel workbook: sheet "Data" (bold coloured header row, frozen, with an
    autofilter; with `people`, headers and stored codes in people's words (`header`, `in_words`); rates as percentages, day counts
    with one decimal, dates as dates, blanks empty; column widths to fit) and sheet "About" with
    `context` (the chart or table title, what it counts, filters, n, data as of), one row each.
    Text is always a string cell, never a formula.

    `context` must state "Filters" and "Data as of". A `unit` column (as `chart_table` gives)
    formats its row's `value` (and `target`) by that unit.
    """
    missing = [k for k in REQUIRED_CONTEXT if not context.get(k)]
    if missing:
        raise ValueError(f"an exported table must state {' and '.join(missing)}")
    if people:
        table = in_words(table)
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    kinds = {c: _column_kind(str(c), table[c]) for c in table.columns}
    widths = {}
    for j, name in enumerate(table.columns, start=1):
        cell = _write(ws, 1, j, header(name) if people else str(name))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        widths[j] = len(cell.value)
    units = table["unit"].tolist() if "unit" in table.columns else None
    for i, values in enumerate(table.itertuples(index=False, name=None), start=2):
        for j, (name, value) in enumerate(zip(table.columns, values), start=1):
            kind = kinds[name]
            if name in ("value", "target") and units is not None:
                kind = units[i - 2] or None
            fmt = FORMATS.get(kind) if kind else None
            if kind in ("days", None) and isinstance(_plain(value), float) and fmt is None:
                fmt = "0.0##"
            cell = _write(ws, i, j, value, fmt)
            shown = cell.value
            size = 16 if isinstance(shown, dt.datetime) else 10 if isinstance(shown, dt.date) else len(str(shown or ""))
            widths[j] = max(widths[j], size)
    for j, width in widths.items():
        ws.column_dimensions[get_column_letter(j)].width = min(60, width + 3)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(max(1, len(table.columns)))}{len(table) + 1}"

    about = wb.create_sheet("About")
    for i, (label, text) in enumerate(list(context.items()) + [("Rows", str(len(table)))], start=1):
        _write(about, i, 1, label).font = Font(bold=True)
        _write(about, i, 2, str(text)).alignment = Alignment(wrap_text=True, vertical="top")
        about.cell(row=i, column=1).alignment = Alignment(vertical="top")
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 110
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
