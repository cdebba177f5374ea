"""The client review deck: a 16:9 PowerPoint file a CSM presents, with native (editable) charts.

    build(con, filters, internal=False) -> bytes   # the Overview's button and `python -m exports deck`

Every number comes from one `metrics.Report` through `metrics.views`, the functions the dashboard's
pages read, so a slide shows what its page shows; each chart's headline is its chart builder's
title (`charts`), and its footnote is the screen's (`charts.caption`: definition, filters, n,
data as of). Charts are python-pptx chart data, not pictures: PowerPoint edits them.

Slides: title; executive summary (each KPI against target and the comparison period, red/amber/
green, one sentence each); one slide per metric; "we and the client"; deadlines (misses by side
and reason, revisions) and the upcoming ones; "How we measure" in the client's words (its settings,
targets, stage words and each definition with its settings filled in). Only on request
(`internal=True`), an internal appendix for the delivery team: the rules every metric follows
(which name file formats and libraries) and the data-quality summary.
"""
from __future__ import annotations

import io
import math
import re
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.util import Emu, Inches, Pt
from xlsxwriter import Workbook

import charts
import store
from exports.files import VALUE_WORDS, formula_like, in_words, plain_title
from loaders.settings import CANONICAL_WORDS, get_dictionary, stored_settings
from metrics import (CONVERSION_STEPS, DATA_RULES, HISTORY_NEEDED, METRICS, NOT_AVAILABLE, RULES, Filters, Report,
                     count_of, days_word, last_loaded, quality, render, sla_promise, stage_labels, target_status,
                     target_words, views)

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
DEFAULT_ACCENT = charts.PALETTE[0]
TEXT, GREY, LIGHT = RGBColor(0x22, 0x22, 0x22), RGBColor(0x66, 0x66, 0x66), RGBColor(0xF2, 0xF2, 0xF2)
# At most this many groups in a breakdown chart (the worst first, as on the screen): more would not read.
MAX_BARS = 15
MAX_ROWS = 10   # rows of a table on one slide


class DeckError(ValueError):
    """The deck cannot be built as the client's settings ask (a missing logo or template)."""


class _TextWorkbookWriter(CategoryWorkbookWriter):
    """python-pptx's workbook behind a chart ("Edit Data" in PowerPoint), with every label a text
    cell. xlsxwriter, which writes it, would otherwise store a category or series name starting
    with `=` (or `{=`) as a live formula and one starting with `http://` as a link. Formula-like
    text also gets Excel's quote prefix, as in the XLSX downloads, so it stays text when edited."""

    @contextmanager
    def _open_worksheet(self, xlsx_file):
        workbook = Workbook(xlsx_file, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
        worksheet = workbook.add_worksheet()
        quoted = workbook.add_format({"quote_prefix": True})
        write = worksheet.write

        def write_label(row, col, value, *cell_format):
            # Only labels go through write(); the values are written by write_column.
            return write(row, col, value, *((quoted,) if formula_like(value) else cell_format))
        worksheet.write = write_label
        yield workbook, worksheet
        workbook.close()


class _ChartData(CategoryChartData):
    """Chart data whose embedded workbook holds its labels as text (see `_TextWorkbookWriter`)."""

    @property
    def _workbook_writer(self):
        return _TextWorkbookWriter(self)


# -- reading: one report, the pages' own functions ---------------------------------------------

def collect(con, filters: Filters, internal: bool = False) -> dict:
    """Everything the deck shows, read from one `Report` for `filters` with the functions the
    dashboard's pages use (`metrics.views`; for the time-to-submit and conversion slides, only the
    parts of their pages' data that the slides show). The data-quality checks, which only the
    internal appendix shows, are read when `internal`."""
    rep = Report(con, filters)
    try:
        client = rep.filters.client
        settings = stored_settings(con, client)
        info = {**rep.settings, "stage_labels": stage_labels(con, client), "dictionary": get_dictionary(con, client),
                "last_loaded": last_loaded(con, client), "branding": settings.branding if settings else {}}
        overview = views.overview(rep)
        data = {
            "filters": rep.filters, "info": info, "overview": overview,
            "time_to_submit": {"totals": rep.totals("time_to_submit"), "rows": rep.rows("time_to_submit"),
                               "awaiting": overview["awaiting"]},
            "conversion": {"totals": rep.totals("interview_conversion")},
            "deadlines": views.deadlines(rep),
            "hm": views.hm_responsiveness(rep),
            "time_to_fill": {"totals": rep.totals("time_to_fill"),
                             "by": views.by(rep, "time_to_fill", ("department",))},
        }
        if internal:
            data["quality"] = views.data_quality(rep)
        return data
    finally:
        rep.close()


def build(con, filters: Filters, path: Path | str | None = None, internal: bool = False) -> bytes:
    """The review deck for `filters` as .pptx bytes (also written to `path` when given). With
    `internal`, the internal appendix (rules, data quality) follows the client's slides."""
    data = collect(con, filters, internal=internal)
    prs = render_deck(data, internal=internal)
    buf = io.BytesIO()
    prs.save(buf)
    if path is not None:
        Path(path).write_bytes(buf.getvalue())
    return buf.getvalue()


def file_name(filters: Filters) -> str:
    """A file name for the client's deck: `acme-corp-review-2026-07-01-to-2026-09-30.pptx`
    (`acme-corp-review.pptx` for all time)."""
    slug = re.sub(r"[^a-z0-9]+", "-", filters.client.lower()).strip("-") or "client"
    period = (f"-{filters.date_from or 'start'}-to-{filters.date_to or 'as-of'}"
              if filters.date_from or filters.date_to else "")
    return f"{slug}-review{period}.pptx"


# -- small numbers-to-words helpers --------------------------------------------------------------

def headline(fig) -> tuple[str, str]:
    """A chart builder's title as (headline, detail): the finding the screen states, as plain text."""
    main, _, rest = (fig.layout.title.text or "").partition("<br>")
    return plain_title(main), plain_title(rest)


def distribution_bins(days: pd.Series, most: int = 20) -> tuple[list[str], list[int]]:
    """Day counts as binned columns: one bin per day when they span at most `most` days, else
    `most` or fewer bins of equal whole-day width. Returns (labels, counts); empty bins are kept."""
    values = days.dropna().astype("int64").to_numpy()
    if not len(values):
        return [], []
    lo, hi = int(values.min()), int(values.max())
    width = max(1, math.ceil((hi - lo + 1) / most))
    start = lo - (lo % width)     # bins aligned on multiples of the width: one starts at day 0
    edges = list(range(start, hi + 1, width))
    counts = np.bincount((values - start) // width, minlength=len(edges)).tolist()
    labels = [str(e) if width == 1 else f"{e}–{e + width - 1}" for e in edges]
    return labels, counts


def _period_label(value) -> str:
    return f"{pd.Timestamp(value):%b %Y}"


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


# -- the presentation and its slides -------------------------------------------------------------

def _resolve(path_text: str) -> Path:
    path = Path(path_text)
    return path if path.is_absolute() else store.PROJECT_ROOT / path


def open_branding(branding: dict) -> tuple[Path | None, Presentation | None]:
    """The logo file and the opened template the client's branding names (None when not set).

    Raises DeckError, naming the setting, for a file that does not exist, a template python-pptx
    cannot open, or one that is not 16:9. The Overview calls it to disable its button with the
    reason instead of failing a download.
    """
    logo = template = None
    if branding.get("logo"):
        logo = _resolve(branding["logo"])
        if not logo.is_file():
            raise DeckError(f"branding.logo: the logo file {logo} does not exist; fix the path in the "
                            "client's settings (absolute, or relative to the project folder)")
    if branding.get("template"):
        path = _resolve(branding["template"])
        if not path.is_file():
            raise DeckError(f"branding.template: the template {path} does not exist; fix the path in the "
                            "client's settings (absolute, or relative to the project folder)")
        try:
            template = Presentation(str(path))
        except Exception as exc:  # python-pptx raises several kinds for a file it cannot read
            raise DeckError(f"branding.template: {path} is not a PowerPoint .pptx file python-pptx can "
                            f"open ({exc})") from exc
        if abs(template.slide_width / template.slide_height - 16 / 9) > 0.01:
            raise DeckError(f"branding.template: {path} is not 16:9 (widescreen); the deck is 16:9. Save "
                            "the template with a widescreen slide size.")
    return logo, template


class Deck:
    """A presentation being written: 16:9, the client's template and branding, our slide grid."""

    def __init__(self, branding: dict):
        self.accent = _rgb(branding.get("accent") or DEFAULT_ACCENT)
        self.accent_hex = (branding.get("accent") or DEFAULT_ACCENT).lstrip("#").upper()
        self.logo, template = open_branding(branding)
        if template is not None:
            self.prs = template
            # A template's own slides are examples, not part of the review.
            for sld in list(self.prs.slides._sldIdLst):
                self.prs.part.drop_rel(sld.rId)
                self.prs.slides._sldIdLst.remove(sld)
            self.templated = True
        else:
            self.prs = Presentation()
            self.prs.slide_width, self.prs.slide_height = WIDTH, HEIGHT
            self.templated = False
        self.width, self.height = self.prs.slide_width, self.prs.slide_height
        layouts = list(self.prs.slide_layouts)
        self.title_layout = layouts[0]
        self.content_layout = next((lay for lay in layouts if "title only" in lay.name.lower()),
                                   next((lay for lay in layouts[1:] if _has_title(lay)), layouts[0]))

    # -- slides
    def slide(self, title: str, finding: tuple[str, str] | None = None):
        """A content slide with its title (and the finding under it, as the chart builder states it)."""
        s = self.prs.slides.add_slide(self.content_layout)
        _drop_empty_placeholders(s)
        t = s.shapes.title
        if t is None:
            t = s.shapes.add_textbox(MARGIN, Inches(0.3), self.width - 2 * MARGIN, Inches(0.7))
            t.name = "Title"
        # The title sits on the deck's grid whatever the layout says (a template keeps its fonts,
        # colours, background and master graphics), so the finding and the chart below it never overlap it.
        t.left, t.top, t.height = MARGIN, Inches(0.3), Inches(0.7)
        t.width = self.width - 2 * MARGIN - (Inches(1.6) if self.logo else 0)
        t.text = title
        t.text_frame.vertical_anchor = MSO_ANCHOR.TOP
        t.text_frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
        p = t.text_frame.paragraphs[0]
        p.alignment = PP_ALIGN.LEFT
        p.runs[0].font.size = Pt(28)
        if not self.templated:
            p.runs[0].font.bold = True
            p.runs[0].font.color.rgb = TEXT
            bar = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(0.25), Inches(0.38), Inches(0.08), Inches(0.5))
            bar.fill.solid()
            bar.fill.fore_color.rgb = self.accent
            bar.line.fill.background()
        if finding and finding[0]:
            box = self.text(s, Emu(MARGIN), Inches(1.0), self.width - 2 * MARGIN, Inches(0.6), name="Finding")
            self.para(box, finding[0], size=18, colour=self.accent, bold=True, first=True)
            if finding[1]:
                self.para(box, finding[1], size=12, colour=GREY)
        if self.logo:
            s.shapes.add_picture(str(self.logo), self.width - MARGIN - Inches(1.4), Inches(0.3), height=Inches(0.55))
        return s

    def text(self, slide, left, top, width, height, name: str | None = None):
        box = slide.shapes.add_textbox(left, top, width, height)
        box.text_frame.word_wrap = True
        if name:
            box.name = name
        return box

    @staticmethod
    def para(box, text: str, size: float = 12, colour=TEXT, bold: bool = False, first: bool = False,
             space_after: float = 2):
        tf = box.text_frame
        p = tf.paragraphs[0] if first else tf.add_paragraph()
        run = p.add_run()
        run.text = text
        run.font.size, run.font.bold = Pt(size), bold
        run.font.color.rgb = colour
        p.space_after = Pt(space_after)
        return run

    def footnote(self, slide, captions: list[str], top=Inches(5.95)):
        """The footnote every chart carries: definition, filters, n, data as of."""
        box = self.text(slide, Emu(MARGIN), top, self.width - 2 * MARGIN, Inches(1.4), name="Footnote")
        for i, text in enumerate(captions):
            self.para(box, text, size=8, colour=GREY, first=i == 0)
        return box

    def chart(self, slide, kind, categories, series, *, number_format="0", name: str, left=None, top=None,
              width=None, height=None, colours=None, labels=True, legend=None, dashed=(), axis_title=None):
        """A native chart from `series` = [(name, values)] over `categories`."""
        data = _ChartData(number_format=number_format)
        data.categories = [str(c) for c in categories]
        for sname, values in series:
            data.add_series(sname, [None if charts.is_missing(v) else float(v) for v in values])
        frame = slide.shapes.add_chart(kind, left if left is not None else Emu(MARGIN), top or Inches(1.75),
                                       width or Inches(8.6), height or Inches(4.1), data)
        frame.name = name
        ch = frame.chart
        ch.has_title = False     # the slide's title and finding say what the chart shows
        ch.font.size = Pt(11)
        ch.font.color.rgb = TEXT
        ch.has_legend = legend if legend is not None else len(series) > 1
        if ch.has_legend:
            ch.legend.position = XL_LEGEND_POSITION.TOP
            ch.legend.include_in_layout = False
        plot = ch.plots[0]
        colours = colours or [self.accent_hex] + [c.lstrip("#") for c in charts.PALETTE[1:]]
        line = kind in (XL_CHART_TYPE.LINE_MARKERS, XL_CHART_TYPE.LINE)
        for i, s in enumerate(plot.series):
            colour = _rgb(colours[i % len(colours)])
            if line:
                s.format.line.color.rgb = colour
                s.format.line.width = Pt(2.5)
                s.smooth = False
                if i in dashed:
                    s.format.line.dash_style = MSO_LINE_DASH_STYLE.DASH
                    s.marker.style = XL_MARKER_STYLE.NONE
                else:
                    s.marker.format.fill.solid()
                    s.marker.format.fill.fore_color.rgb = colour
                    s.marker.format.line.color.rgb = colour
            else:
                s.format.fill.solid()
                s.format.fill.fore_color.rgb = colour
        if not line:
            plot.gap_width = 60 if len(categories) > 3 else 150
            if kind in (XL_CHART_TYPE.BAR_STACKED, XL_CHART_TYPE.COLUMN_STACKED):
                plot.overlap = 100
        stacked = kind in (XL_CHART_TYPE.BAR_STACKED, XL_CHART_TYPE.COLUMN_STACKED)
        if labels:
            plot.has_data_labels = True
            dl = plot.data_labels
            # A stacked segment of zero has no room for a label: its format shows nothing for zero.
            dl.number_format = f"{number_format};-{number_format};;" if stacked else number_format
            dl.number_format_is_linked = False
            dl.font.size = Pt(10)
            if stacked:
                dl.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
                dl.font.bold = True
            if kind in (XL_CHART_TYPE.BAR_CLUSTERED, XL_CHART_TYPE.COLUMN_CLUSTERED):
                dl.position = XL_LABEL_POSITION.OUTSIDE_END
            elif line:
                dl.position = XL_LABEL_POSITION.ABOVE
        va = ch.value_axis
        va.has_major_gridlines = True
        va.major_gridlines.format.line.color.rgb = RGBColor(0xDD, 0xDD, 0xDD)
        va.tick_labels.number_format, va.tick_labels.number_format_is_linked = number_format, False
        va.tick_labels.font.size = Pt(10)
        va.format.line.fill.background()
        if number_format.endswith("%"):
            va.minimum_scale, va.maximum_scale = 0, 1
        else:
            va.minimum_scale = min(0, *[v for _, vals in series for v in vals if not charts.is_missing(v)] or [0])
        ca = ch.category_axis
        ca.tick_labels.font.size = Pt(10)
        ca.format.line.color.rgb = RGBColor(0x88, 0x88, 0x88)
        if kind in (XL_CHART_TYPE.BAR_CLUSTERED, XL_CHART_TYPE.BAR_STACKED):
            ca.reverse_order = True     # the first category at the top, as on the screen
        if axis_title:
            ca.has_title = True
            ca.axis_title.text_frame.text = axis_title
            ca.axis_title.text_frame.paragraphs[0].runs[0].font.size = Pt(10)
        return frame

    def figures(self, slide, rows: list[tuple[str, str, str | None]], title: str = "Key figures"):
        """The panel beside a chart: (label, value, red/amber/green status or None) per line."""
        box = self.text(slide, self.width - MARGIN - Inches(3.4), Inches(1.85), Inches(3.4), Inches(4.0),
                        name="Figures")
        fill = box.fill
        fill.solid()
        fill.fore_color.rgb = LIGHT
        box.text_frame.margin_left = box.text_frame.margin_right = Inches(0.15)
        self.para(box, title, size=12, colour=GREY, bold=True, first=True, space_after=6)
        for label, value, status in rows:
            self.para(box, label, size=11, colour=GREY, space_after=0)
            run = self.para(box, value, size=16, bold=True, space_after=6)
            if status in ("on target", "near target", "off target"):
                run.font.color.rgb = _rgb(charts.STATUS_COLOURS[status])
        return box

    def table(self, slide, header: list[str], rows: list[list[str]], widths: list[float], *, top=Inches(1.75),
              left=None, name="Table", font=11, status_col: int | None = None, row_height: float = 0.4):
        """A plain table; `status_col` colours its cells red/amber/green by their text."""
        shape = slide.shapes.add_table(len(rows) + 1, len(header), left if left is not None else Emu(MARGIN), top,
                                       Inches(sum(widths)), Inches(0.4 + row_height * len(rows)))
        shape.name = name
        tbl = shape.table
        for j, w in enumerate(widths):
            tbl.columns[j].width = Inches(w)
        for i, row in enumerate([header] + rows):
            for j, value in enumerate(row):
                cell = tbl.cell(i, j)
                cell.text = str(value)
                cell.margin_top = cell.margin_bottom = Inches(0.04)
                cell.vertical_anchor = MSO_ANCHOR.MIDDLE
                run = cell.text_frame.paragraphs[0].runs[0] if cell.text_frame.paragraphs[0].runs else None
                if run is None:
                    continue
                run.font.size = Pt(font)
                if i == 0:
                    run.font.bold = True
                    run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = self.accent
                else:
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = RGBColor(0xFF, 0xFF, 0xFF) if i % 2 else LIGHT
                    run.font.color.rgb = TEXT
                    if j == status_col and value in charts.STATUS_COLOURS:
                        cell.fill.fore_color.rgb = _rgb(charts.STATUS_COLOURS[value])
                        run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
                        run.font.bold = True
        return shape


def _has_title(layout) -> bool:
    return any(ph.placeholder_format.type in (1, 3) for ph in layout.placeholders)  # TITLE, CENTER_TITLE


def _drop_empty_placeholders(slide, keep=(1, 3)) -> None:
    """Placeholders we do not fill (other than the title, types 1 and 3) would show 'Click to add
    text' in PowerPoint."""
    for ph in list(slide.placeholders):
        if ph.placeholder_format.type not in keep:
            ph._element.getparent().remove(ph._element)


# -- the review -----------------------------------------------------------------------------------

def render_deck(d: dict, internal: bool = False) -> Presentation:
    """Lay out the deck from `collect`'s data; with `internal`, the internal appendix too (its
    data-quality slide needs `collect(..., internal=True)`)."""
    f, info = d["filters"], d["info"]
    deck = Deck(info["branding"])
    as_of = charts.data_as_of(f.as_of, info["last_loaded"])
    scope = f.describe()
    ov, targets, labels = d["overview"], info["targets"], info["stage_labels"]
    kpis = {k["metric"]: k for k in ov["kpis"]}
    compare = f.previous() is not None
    against = _comparison_header(f)

    def cap(metric, n):
        return charts.caption(metric, info, scope, n, as_of)

    def kpi_rows(metric: str, extra: list[tuple[str, str, str | None]] = ()) -> list:
        k = kpis[metric]
        status = k["status"]
        if k["not_available"]:
            return [(k["short"], "Not available", None)]
        if k["note"]:   # what the number leaves out, first under it
            extra = [("Left out", _sentence(k["note"]), None)] + list(extra)
        rows = [(k["short"], charts.fmt_value(k["value"], k["unit"]), status)]
        if k["target"] is not None:
            rows.append(("Target", f"{target_words(k['target'], k['unit'], k['lower_is_better'])} · {status}", status))
        if compare:
            rows.append((f"Compared with: {against}", charts.fmt_value(k["previous"], k["unit"]), None))
        return rows + list(extra)

    def not_available(title: str, *metrics) -> bool:
        """A slide for what the client's data cannot give (`metrics.availability`): the reason in
        place of the chart, with the definition of what it would count. False when it can give it."""
        missing = [m for m in metrics if kpis[m]["not_available"]]
        if not missing:
            return False
        s = deck.slide(title, finding=(_sentence(NOT_AVAILABLE), ""))
        _nothing(deck, s, HISTORY_NEEDED)
        deck.figures(s, [row for m in missing for row in kpi_rows(m)])
        deck.footnote(s, [f"{METRICS[m].title}: {render(METRICS[m], info)}" for m in missing]
                      + [f"Filters: {scope}. {as_of}."])
        return True

    _title_slide(deck, f, info, as_of)
    _summary_slide(deck, ov["kpis"], compare, f)

    # Time to submit: the distribution as binned columns.
    if not not_available("Time to submit", "time_to_submit"):
        tts = d["time_to_submit"]
        t = tts["totals"]
        fig = charts.distribution("time_to_submit", tts["rows"], kpis["time_to_submit"]["target"], t)
        s = deck.slide("Time to submit", finding=headline(fig))
        bins, counts = distribution_bins(tts["rows"]["tts_days"]) if not tts["rows"].empty else ([], [])
        if bins:
            deck.chart(s, XL_CHART_TYPE.COLUMN_CLUSTERED, bins, [("Requisitions", counts)], name="Chart: time_to_submit",
                       axis_title=f"{days_word(info['day_count'])} from start to first submittal")
        else:
            _nothing(deck, s, "No requisition had its first submittal in this period.")
        deck.figures(s, kpi_rows("time_to_submit", [
            ("90th percentile", charts.fmt_value(t["p90"], "days"), None),
            ("Awaiting a first submittal", str(len(tts["awaiting"])), None)]))
        deck.footnote(s, [cap("time_to_submit", t["n"])])

    # Interview conversion: the funnel as a bar chart, in the client's stage words.
    if not not_available("Interview conversion", "interview_conversion"):
        conv = d["conversion"]["totals"]
        fig = charts.conversion_funnel(conv, labels)
        s = deck.slide("Interview conversion", finding=headline(fig))
        stages = ["submitted", "interviewed", "offered", "hired"]
        if conv["submitted"]:
            deck.chart(s, XL_CHART_TYPE.BAR_CLUSTERED, [labels[x] for x in stages],
                       [("Applications", [conv[x] or 0 for x in stages])], name="Chart: interview_conversion")
        else:
            _nothing(deck, s, "No candidate was submitted in this period.")
        steps = []
        for a, b, key in CONVERSION_STEPS:
            status = target_status(conv[key], targets.get(key), False)
            tgt = f" (target {target_words(targets[key], 'rate', False)})" if targets.get(key) is not None else ""
            steps.append((f"{labels[a]} → {labels[b]}{tgt}", f"{charts.fmt_value(conv[key], 'rate')}  ({conv[b]} of {conv[a]})",
                          status if targets.get(key) is not None else None))
        steps.append(("Still in process", f"{conv['in_process'] or 0} of {conv['submitted']}", None))
        deck.figures(s, steps, title="Each step")
        deck.footnote(s, [cap("interview_conversion", conv["submitted"])])

    # Deadline adherence: met / missed / pending per month of the original due date.
    dl = d["deadlines"]
    dt_ = dl["totals"]
    if not not_available("Deadline adherence", "deadline_adherence"):
        fig = charts.adherence_by_month(dl["trend"], kpis["deadline_adherence"]["target"], dt_)
        s = deck.slide("Deadline adherence", finding=headline(fig))
        if not dl["trend"].empty:
            deck.chart(s, XL_CHART_TYPE.COLUMN_STACKED, [_period_label(p) for p in dl["trend"]["period"]],
                       [("Met", dl["trend"]["met"]), ("Missed", dl["trend"]["missed"]), ("Pending", dl["trend"]["pending"])],
                       name="Chart: deadline_adherence", colours=[charts.MET, charts.MISSED, charts.PENDING],
                       axis_title="month of the original due date")
        else:
            _nothing(deck, s, "No deadline fell due in this period.")
        deck.figures(s, kpi_rows("deadline_adherence", [
            ("Met / due", f"{dt_['met']} of {dt_['due']}", None), ("Pending", str(dt_["pending"]), None)]))
        deck.footnote(s, [cap("deadline_adherence", dt_["due"])])

    # Time to fill by department.
    if not not_available("Time to fill", "time_to_fill"):
        ttf = d["time_to_fill"]
        _breakdown_slide(deck, "Time to fill", "time_to_fill", "department", ttf["by"]["department"],
                         kpis["time_to_fill"]["target"], kpi_rows("time_to_fill"), cap("time_to_fill", ttf["totals"]["n"]))

    # Hiring-manager feedback time by hiring manager.
    if not not_available("Hiring-manager feedback time", "hm_feedback_days"):
        hm = d["hm"]
        _breakdown_slide(deck, "Hiring-manager feedback time", "hm_feedback_days", "hiring_manager",
                         hm["by"]["hiring_manager"], kpis["hm_feedback_days"]["target"],
                         kpi_rows("hm_feedback_days", [("Waiting for feedback", str(len(hm["waiting"])), None)]),
                         cap("hm_feedback_days", hm["totals"]["n"]))

    # "We, not them": our speed beside the client's.
    if not not_available("We and the client: both sides of the hiring speed", "time_to_submit", "hm_feedback_days"):
        summ = ov["summary"]
        fig = charts.we_scorecard(ov["tts_trend"], ov["hm_trend"], summ["time_to_submit"], summ["hm_feedback_days"],
                                  targets)
        s = deck.slide("We and the client: both sides of the hiring speed", finding=headline(fig))
        months = sorted(set(ov["tts_trend"]["period"]) | set(ov["hm_trend"]["period"]))
        if months:
            def by_month(trend):
                values = dict(zip(trend["period"], trend["median"]))
                return [values.get(m) for m in months]
            series = [("Our speed: time to submit (median)", by_month(ov["tts_trend"])),
                      ("Client's speed: HM feedback (median)", by_month(ov["hm_trend"]))]
            colours, dashed = [deck.accent_hex, charts.PALETTE[1]], []
            for metric, what, colour in (("time_to_submit", "Our target", deck.accent_hex),
                                         ("hm_feedback_days", "Client's target", charts.PALETTE[1])):
                target = kpis[metric]["target"]
                if target is not None:
                    series.append((f"{what} ({target:g} d)", [target] * len(months)))
                    colours.append(colour)
                    dashed.append(len(series) - 1)
            deck.chart(s, XL_CHART_TYPE.LINE_MARKERS, [_period_label(m) for m in months], series, number_format="0.0",
                       name="Chart: we", dashed=dashed, labels=False, colours=colours, axis_title="month")
        else:
            _nothing(deck, s, "No submittals in this period.")
        ours, theirs = kpi_rows("time_to_submit")[0], kpi_rows("hm_feedback_days")[0]
        deck.figures(s, [("We: median time to submit", ours[1], ours[2]),
                         ("The client: median HM feedback time", theirs[1], theirs[2]),
                         ("Awaiting a first submittal", str(summ["time_to_submit"]["awaiting_first_submittal"]), None),
                         ("Submittals waiting for feedback", str(len(d["hm"]["waiting"])), None)],
                     title="Over the period")
        deck.footnote(s, [cap("time_to_submit", summ["time_to_submit"]["n"]),
                          cap("hm_feedback_days", summ["hm_feedback_days"]["n"])])

    if kpis["deadline_adherence"]["not_available"]:
        for title in ("Deadlines: misses by side and reason", "Upcoming deadlines"):
            not_available(title, "deadline_adherence")
    else:
        _deadline_detail_slides(deck, dl, f, cap("deadline_adherence", dt_["due"]), scope, as_of,
                                kpis["deadline_adherence"]["note"])
    _how_we_measure_slides(deck, f, info)
    if internal:
        _rules_slide(deck)
        _quality_slide(deck, d["quality"], f, as_of)
    return deck.prs


def _period_words(f: Filters) -> str:
    if f.date_from is None and f.date_to is None:
        return f"All time, to {f.as_of:%d %b %Y}"
    return f"Period {f.period_text()}"


def _sentence(text: str) -> str:
    """A phrase of the metrics' wording (`not available: ...`) as it starts a line: capitalised."""
    return text[0].upper() + text[1:]


def _nothing(deck: Deck, slide, sentence: str) -> None:
    box = deck.text(slide, Emu(MARGIN), Inches(3.2), Inches(8.6), Inches(0.8), name="Empty")
    deck.para(box, sentence, size=18, colour=GREY, first=True)


def _title_slide(deck: Deck, f: Filters, info: dict, as_of: str) -> None:
    s = deck.prs.slides.add_slide(deck.title_layout)
    title = s.shapes.title
    _drop_empty_placeholders(s, keep=(1, 3, 4))
    subtitle = next((ph for ph in s.placeholders if ph.placeholder_format.type == 4), None)   # SUBTITLE
    if title is None:
        title = deck.text(s, MARGIN, Inches(2.4), deck.width - 2 * MARGIN, Inches(1.2), name="Title")
    title.text = f"{f.client}: recruiting review"
    title.text_frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
    lines = [_period_words(f), as_of]
    if f.filtered:
        lines.insert(1, f"Filters: {f.describe()}")
    if subtitle is None:
        subtitle = deck.text(s, MARGIN, Inches(3.8), deck.width - 2 * MARGIN, Inches(1.5), name="Subtitle")
    subtitle.text = "\n".join(lines)
    if not deck.templated:
        band = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, deck.width, Inches(0.35))
        band.fill.solid()
        band.fill.fore_color.rgb = deck.accent
        band.line.fill.background()
        title.left, title.top, title.width, title.height = MARGIN, Inches(2.3), deck.width - 2 * MARGIN, Inches(1.3)
        subtitle.left, subtitle.top, subtitle.width, subtitle.height = (MARGIN, Inches(3.8), deck.width - 2 * MARGIN,
                                                                        Inches(1.6))
        for p in title.text_frame.paragraphs:
            p.alignment = PP_ALIGN.LEFT
            for r in p.runs:
                r.font.size, r.font.bold, r.font.color.rgb = Pt(40), True, TEXT
        for p in subtitle.text_frame.paragraphs:
            p.alignment = PP_ALIGN.LEFT
            for r in p.runs:
                r.font.size, r.font.color.rgb = Pt(20), GREY
    if deck.logo:
        s.shapes.add_picture(str(deck.logo), MARGIN, Inches(0.9), height=Inches(1.0))


def _comparison_header(f: Filters) -> str:
    """The comparison period as a column header or figure label: `Q2 2026`, `Same period last year`,
    `Previous 92 days` (`Filters.comparison_name`, capitalised)."""
    name = f.comparison_name() or "previous period"
    name = name[4:] if name.startswith("the ") else name
    return name[0].upper() + name[1:]


def _comparison_words(f: Filters) -> str:
    """What the KPIs compare with, as a sentence for the summary's legend."""
    if f.previous() is not None:
        return f"Change: against {f.comparison()}, with the same as-of date."
    if f.compare == "none":
        return "No comparison period was chosen for this review."
    return "All time: there is no earlier period to compare with."


def _summary_slide(deck: Deck, kpis: list[dict], compare: bool, f: Filters) -> None:
    on = sum(k["status"] == "on target" for k in kpis)
    # A KPI the data cannot give is neither on nor off its target: it is not counted among them.
    with_target = sum(k["target"] is not None and not k["not_available"] for k in kpis)
    s = deck.slide("Executive summary", finding=(
        f"{on} of {count_of(with_target, 'KPI')} with a target {'is' if with_target == 1 else 'are'} on target"
        if with_target
        else f"No KPI with a target is available for {f.client}" if any(k["target"] is not None for k in kpis)
        else f"No targets set for {f.client}: add them to the client's settings",
        _period_words(f) + (f", compared with {f.comparison()}" if compare else "")))
    # With no comparison the column would only hold dashes: the sentence column takes its room.
    header = (["KPI", "This period"] + ([_comparison_header(f)] if compare else [])
              + ["Target", "Status", "What changed"])
    widths = [2.2, 1.2] + ([1.4] if compare else []) + [1.1, 1.55, 4.88 if compare else 6.28]
    rows = []
    for k in kpis:
        value, previous = ((charts.fmt_value(k["value"], k["unit"]), charts.fmt_value(k["previous"], k["unit"]))
                           if not k["not_available"] else ("not available", "not available"))
        rows.append([METRICS[k["metric"]].title, value]
                    + ([previous] if compare else [])
                    + [target_words(k["target"], k["unit"], k["lower_is_better"]) or "—", k["status"], k["sentence"]])
    deck.table(s, header, rows, widths, name="KPI table", font=13, status_col=len(header) - 2,
               top=Inches(1.8), row_height=0.8)
    box = deck.text(s, Emu(MARGIN), Inches(6.7), deck.width - 2 * MARGIN, Inches(0.5), name="Legend")
    deck.para(box, "Status: on target; near target = within 10% of the target; off target. " + _comparison_words(f),
              size=9, colour=GREY, first=True)


# The report's placeholder groups (`Report.aggregate`), as a reader says them: in parentheses again
# in a finding ("from 4.0 d ((not set))") they would read as a glitch.
_PLACEHOLDER_GROUPS = {"(not set)": "Not set", "(unknown requisition)": "Unknown requisition"}


def _group_names(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """A breakdown with its placeholder groups in words ("(not set)" as "Not set")."""
    if table.empty:
        return table
    return table.assign(**{by: table[by].replace(_PLACEHOLDER_GROUPS)})


def _breakdown_slide(deck: Deck, title: str, metric: str, by: str, table: pd.DataFrame, target, figures, caption):
    """One bar per group (worst first, as `charts.by_dimension` orders them), with n in each label;
    at most MAX_BARS bars, the worst."""
    m = METRICS[metric]
    col, n_col, words = m.kpi, m.n_key, charts.KPI_WORDS[metric]
    table = _group_names(table, by)
    data = table[table[col].notna()].sort_values(col, ascending=not m.lower_is_better) if not table.empty else table
    shown = data.head(MAX_BARS)
    # The finding is the chart builder's for the bars on the slide: its "from ... to ..." then names
    # only groups the reader can see, and says they are the worst of more when some are left out.
    main, detail = headline(charts.by_dimension(shown, metric, by, target))
    if len(data) > MAX_BARS:
        worst = {(True, "days"): "slowest", (False, "rate"): "lowest"}.get((m.lower_is_better, m.unit), "worst")
        detail = f"the {MAX_BARS} {worst} of {len(data)} {by.replace('_', ' ')}s: {detail}"
        figures = list(figures) + [("Shown", f"the {MAX_BARS} {worst} of {len(data)}", None)]
    s = deck.slide(title, finding=(main, detail))
    if data.empty:
        _nothing(deck, s, "Nothing to compare in this period.")
    else:
        names = [f"{g} (n = {n})" for g, n in zip(shown[by], shown[n_col])]
        fmt = "0%" if m.unit == "rate" else "0.0"
        deck.chart(s, XL_CHART_TYPE.BAR_CLUSTERED, names, [(words.capitalize(), list(shown[col]))], number_format=fmt,
                   name=f"Chart: {metric}", axis_title=by.replace("_", " "))
    deck.figures(s, figures)
    deck.footnote(s, [caption])


def _deadline_detail_slides(deck: Deck, dl: dict, f: Filters, caption: str, scope: str, as_of: str,
                            note: str | None = None) -> None:
    """Misses by side and reason, and the upcoming deadlines; `note` says what the deadlines leave out
    (SLA deadlines, for a client whose data has no stage history)."""
    t = dl["totals"]
    reasons = _group_names(dl["by"]["reason"], "reason")
    fig = charts.misses_by_reason(reasons, t)
    # The finding names the most frequent reason, which is always on the chart; the totals count every miss.
    s = deck.slide("Deadlines: misses by side and reason", finding=headline(fig))
    missed = reasons[reasons["missed"] > 0].sort_values("missed", ascending=False) if not reasons.empty else reasons
    notes = [caption, "A revision counts as in time when it was communicated before the original due date; "
                      "adherence is still judged against the original due date."] + ([_sentence(note) + "."] if note else [])
    if missed.empty:
        _nothing(deck, s, "No deadline was missed in this period.")
    else:
        if len(missed) > MAX_BARS:
            notes.append(f"The chart shows the {MAX_BARS} most frequent of {len(missed)} reasons; "
                         "the figures count every miss.")
        missed = missed.head(MAX_BARS)
        deck.chart(s, XL_CHART_TYPE.BAR_STACKED, [f"{r} ({n})" for r, n in zip(missed["reason"], missed["missed"])],
                   [("RPO side", list(missed["missed_rpo"])), ("Client side", list(missed["missed_client"]))],
                   name="Chart: deadline_adherence misses", colours=[deck.accent_hex, charts.PALETTE[1].lstrip("#")],
                   labels=False)   # each reason's total is in its label; a thin segment has no room for one
    deck.figures(s, [
        ("Met / missed / pending", f"{t['met']} / {t['missed']} / {t['pending']}", None),
        ("Missed on the RPO's side", str(t["missed_rpo"]), None),
        ("Missed on the client's side", str(t["missed_client"]), None),
        ("Revisions made in time", f"{t['revised_in_time']} of {t['revised']}", None),
        ("SLA deadlines met", "Not available" if note else f"{t['sla_met']} of {t['sla_due']}", None),
        ("Commitments met", f"{t['commitments_met']} of {t['commitments_due']}", None),
    ])
    deck.footnote(s, notes)

    up, days = dl["upcoming"], dl["upcoming_days"]
    s = deck.slide("Upcoming deadlines", finding=(
        f"{len(up)} deadline{'s' if len(up) != 1 else ''} due in the next {days} days with nothing delivered yet",
        f"From {f.as_of:%d %b %Y}: warn the client early, and revise before the due date where one cannot be met."))
    if up.empty:
        _nothing(deck, s, f"No deadline falls due in the next {days} days.")
    else:
        # Kinds and sides in words as the dashboard's tables say them; an empty side counts as the RPO's.
        rows = [[f"{r.due_on:%d %b %Y}", f"{r.days_left}", r.kind,
                 _clip(r.requisition_id, 14), _clip(r.description, 60), _clip(r.department, 22),
                 _clip(r.recruiter, 22), r.side or VALUE_WORDS["side"]["rpo"]]
                for r in in_words(up.head(MAX_ROWS)).itertuples()]
        deck.table(s, ["Due", "Days left", "Kind", "Requisition", "What was promised", "Department", "Recruiter",
                       "Side"], rows, [1.3, 0.9, 1.2, 1.2, 3.6, 1.9, 1.6, 0.63], name="Upcoming table", font=10)
        if len(up) > MAX_ROWS:
            box = deck.text(s, Emu(MARGIN), Inches(6.4), deck.width - 2 * MARGIN, Inches(0.4), name="More")
            deck.para(box, f"... and {len(up) - MAX_ROWS} more on the dashboard's Deadline adherence page.",
                      size=10, colour=GREY, first=True)
    deck.footnote(s, [f"SLA deadlines and commitments due from the as-of date to {days} days later, whatever the period. "
                      f"Filters: {scope}. {as_of}." + (f" {_sentence(note)}." if note else "")], top=Inches(6.9))


def _clip(text, n: int) -> str:
    """A table cell's text, at most `n` characters; an empty value as a dash."""
    text = "—" if charts.is_missing(text) or text == "" else str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def _settings_lines(f: Filters, info: dict) -> list[tuple[str, str]]:
    """The client's settings every number follows, as (label, sentence) in the client's words."""
    if info["day_count"] == "business":
        counted = "business days, Monday to Friday, less your holidays"
        if not info["holidays"]:
            counted += " (none set)."
        else:
            # The period's own holidays, when few enough to read; a whole year's would crowd the slide.
            within = [h for h in info["holidays"]
                      if (f.date_from is None or h >= f.date_from) and h <= (f.date_to or f.as_of)]
            listed = "; in this period: " + ", ".join(f"{h:%d %b %Y}" for h in within) if 0 < len(within) <= 6 else ""
            counted += f" ({len(info['holidays'])} set{listed})."
    else:
        counted = "calendar days; every day counts, weekends and holidays included."
    lines = [
        ("Time zone", f"{info['timezone']}; every date is a local date there."),
        ("Days counted", counted),
        ("SLA", f"{sla_promise(info)} of a requisition's start."),
        ("Period", (f"{f.period_text()}, both days included." if f.date_from or f.date_to
                    else "All time, to the as-of date.")),
        ("As of", f"{f.as_of:%d %b %Y}; anything dated later is not counted yet."),
    ]
    if f.previous() is not None:
        lines.append(("Compared with", f"{f.comparison()}."))
    return lines


def _stage_words(info: dict) -> list[list[str]]:
    """Each stage with the client's words for it (its dictionary), in stage order."""
    words: dict[str, list[str]] = {}
    for word, stage in info["dictionary"]:
        words.setdefault(stage, []).append(word)
    return [[stage.capitalize(), _clip(", ".join(words[stage]), 110) if stage in words else "—"]
            for stage in CANONICAL_WORDS]


def _how_we_measure_slides(deck: Deck, f: Filters, info: dict) -> None:
    """The client-facing appendix: the client's settings, targets and stage words, then what each
    number means with those settings filled in (`metrics.render`). Only the client's words: how the
    files are read and stored is in the internal appendix."""
    targets = info["targets"]
    s = deck.slide("How we measure (1 of 2)", finding=(
        f"{info['client']}'s settings, targets and stage words",
        "Every number in this review follows them; the next slide says what each number counts."))
    half = (deck.width - 2 * MARGIN - Inches(0.4)) / 2
    box = deck.text(s, Emu(MARGIN), Inches(1.75), half, Inches(2.6), name="Settings")
    deck.para(box, "Settings", size=14, bold=True, colour=deck.accent, first=True, space_after=4)
    for label, sentence in _settings_lines(f, info):
        deck.para(box, f"{label}: ", size=12, bold=True, space_after=3)
        run = box.text_frame.paragraphs[-1].add_run()
        run.text, run.font.size, run.font.color.rgb = sentence, Pt(12), TEXT
    rows = []
    for m in METRICS.values():
        if m.key == "interview_conversion":
            labels = info["stage_labels"]
            rows += [[f"{labels[a]} → {labels[b]}", target_words(targets.get(key), "rate", False) or "not set"]
                     for a, b, key in CONVERSION_STEPS]
            continue
        rows.append([m.title + (" (median)" if m.kpi == "median" else ""),
                     target_words(targets.get(m.target_key), m.unit, m.lower_is_better) or "not set"])
    deck.table(s, ["Target", "Value"], rows, [4.5, 1.3], top=Inches(4.35), name="Targets", font=11, row_height=0.3)
    right = Emu(MARGIN + half + Inches(0.4))
    deck.table(s, ["Stage", "Your words for it"], _stage_words(info), [1.5, 4.5], top=Inches(1.75), left=right,
               name="Stage words", font=11, row_height=0.32)
    note = deck.text(s, right, Inches(5.1), half, Inches(1.2), name="Stage note")
    deck.para(note, "A candidate who reaches a stage has passed the stages before it, even one skipped. A word "
                    "not in this list is kept as it is and never counts as reaching a stage.",
              size=11, colour=GREY, first=True)

    s = deck.slide("How we measure (2 of 2)", finding=(
        "What each number counts", f"With {info['client']}'s settings: time zone {info['timezone']}, "
                                   f"{days_word(info['day_count'])}."))
    box = deck.text(s, Emu(MARGIN), Inches(1.7), deck.width - 2 * MARGIN, Inches(5.6), name="Definitions")
    for i, m in enumerate(METRICS.values()):
        target = targets.get(m.target_key)
        deck.para(box, m.title + (f"  (target {target_words(target, m.unit, m.lower_is_better)})"
                                  if target is not None else ""),
                  size=14, bold=True, colour=deck.accent, first=i == 0, space_after=1)
        deck.para(box, render(m, info), size=12, space_after=8)


def _rules_slide(deck: Deck) -> None:
    """Internal: the rules every metric follows, as the glossary page states them (file formats,
    loading, the day-count function): for the delivery team, not for the client."""
    s = deck.slide("Internal appendix: rules that apply to every metric")
    box = deck.text(s, Emu(MARGIN), Inches(1.2), deck.width - 2 * MARGIN, Inches(6.0), name="Rules")
    for i, rule in enumerate(RULES + DATA_RULES):
        deck.para(box, f"• {rule}", size=12, first=i == 0, space_after=4)


def _quality_slide(deck: Deck, q: dict, f: Filters, as_of: str) -> None:
    """Internal: each data-quality check (`metrics.quality.CHECKS`, the Data page's sections) with its rows."""
    unmapped = q["unmapped"]
    # The unmapped words are named, so the team knows which to map before the review.
    named = {"unmapped": f" {int(unmapped['events'].sum())} event(s): " + ", ".join(unmapped["stage_word"].head(4))
             if len(unmapped) else ""}
    checks = [(title, len(q[key]), meaning + named.get(key, "")) for key, title, meaning in quality.CHECKS]
    issues = sum(1 for _, n, _ in checks[1:] if n)
    s = deck.slide("Internal appendix: data quality", finding=(
        "No data-quality issue found" if not issues else f"{issues} of {len(checks) - 1} checks list rows to look at",
        "Nothing is dropped silently: the dashboard's Data page lists every row counted here."))
    deck.table(s, ["Check", "Rows", "What it means"], [[a, str(n), _clip(c, 160)] for a, n, c in checks],
               [3.9, 0.9, 7.53], name="Quality table", font=10, top=Inches(1.75))
    deck.footnote(s, [f"{f.client}: every row loaded for the client, whatever the filters. {as_of}."], top=Inches(6.9))
