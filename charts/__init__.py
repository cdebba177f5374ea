"""Chart builders: one function per chart, used by the dashboard pages and by the exports.

No Streamlit here. Each builder takes the metrics' small result tables and returns a plotly
figure whose title states the finding; `caption` gives the footnote every chart carries
(definition, filters, n, data as of).

Every builder takes its data through `_data_as_text`: plotly renders a subset of HTML in tick
labels, legends, hover text, titles and annotations, so a department named `<a href=...>` would be
a link. The text of the tables and labels a builder is given is escaped once, there; the markup
the builders write themselves (`<br>`, `<sup>`) still works. Reading a point back (`drill_spec`,
`exports.files.chart_table`) unescapes it.

Drill-down: a trace whose points stand for rows carries `meta={"drill": {...}}` naming the
metric and how a point picks its rows (a subset, a dimension value, a period bucket, a day
count). `drill_spec(fig, curve, index)` turns a selected point into the arguments of
`metrics.Report.rows`, plus the number the point shows, which equals the rows' count.
"""
from __future__ import annotations

import functools
import html
import math

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from metrics import METRICS, count_of, fmt_value, is_missing, render
from metrics.engine import DAY_COLUMNS
from store import OUTCOMES, STAGES

# Okabe-Ito: distinguishable with the common colour-vision deficiencies, and in greyscale print.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"]
MET, MISSED, PENDING, TARGET = "#009E73", "#D55E00", "#BBBBBB", "#444444"

pio.templates["rpo"] = go.layout.Template(layout=go.Layout(
    colorway=PALETTE,
    font=dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=14, color="#222222"),
    title=dict(font=dict(size=18), x=0, xanchor="left"),
    paper_bgcolor="white", plot_bgcolor="white",
    xaxis=dict(showgrid=False, linecolor="#888888", ticks="outside"),
    yaxis=dict(gridcolor="#E5E5E5", zeroline=False),
    legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
    margin=dict(l=60, r=30, t=80, b=50),
))
MONTH_AXIS = dict(dtick="M1", tickformat="%b %Y")
GRAIN_AXIS = {"month": MONTH_AXIS, "week": dict(tickformat="%d %b %Y"), "quarter": dict(dtick="M3", tickformat="Q%q %Y")}
GRAIN_HOVER = {"month": "%{x|%b %Y}", "week": "week of %{x|%d %b %Y}", "quarter": "%{x|Q%q %Y}"}
STAGE_COLOURS = {"applied": "#56B4E9", "screened": "#0072B2", "submitted": "#E69F00", "interviewed": "#CC79A7",
                 "offered": "#009E73", "hired": "#000000", "rejected": "#D55E00", "withdrawn": "#999999",
                 "(unmapped)": "#BBBBBB"}
STAGE_SYMBOLS = {"rejected": "x", "withdrawn": "x-open", "hired": "star", "(unmapped)": "circle-open"}
STATUS_COLOURS = {"on target": MET, "near target": "#E69F00", "off target": MISSED, "no target": PENDING}
TEMPLATE = "rpo"


def _escaped(arg):
    """A builder's argument with its text escaped for plotly: the text cells of a table, the text
    values of a dict (the stage labels); anything else as it is."""
    def text(value):
        return html.escape(value, quote=False) if isinstance(value, str) else value
    if isinstance(arg, pd.DataFrame):
        arg = arg.copy()
        for col in arg.columns:
            values = arg[col]
            if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
                # Only the cells that hold a character to escape (few or none: a big account's table
                # has a hundred thousand), element by element with the column's own dtype: `map`
                # would turn mixed columns numeric.
                marked = values.map(lambda v: isinstance(v, str) and ("&" in v or "<" in v or ">" in v))
                if marked.any():
                    values = values.copy()
                    values[marked] = pd.Series([text(v) for v in values[marked]], index=values[marked].index,
                                               dtype=values.dtype)
                    arg[col] = values
        return arg
    if isinstance(arg, dict):
        return {k: text(v) for k, v in arg.items()}
    return arg


def _data_as_text(builder):
    """Wraps a chart builder so every text it takes from data shows literally (see the module's
    docstring)."""
    @functools.wraps(builder)
    def build(*args, **kwargs):
        return builder(*map(_escaped, args), **{k: _escaped(v) for k, v in kwargs.items()})
    return build


def drill_spec(fig: go.Figure, curve: int, index: int) -> dict | None:
    """What a selected point stands for: `Report.rows` keyword arguments (metric, subset, by and
    value, grain and period, days), `count` (the number the point shows, which the rows' count
    equals) and `label` (the point in words). None for points that stand for no rows."""
    if curve is None or index is None or curve >= len(fig.data):
        return None
    trace = fig.data[curve]
    meta = (trace.meta or {}).get("drill") if isinstance(trace.meta, dict) else None
    if not meta:
        return None
    spec = {"metric": meta["metric"], "subset": meta.get("subset")}
    if "subsets" in meta:
        spec["subset"] = meta["subsets"][index]
    point = trace[meta.get("key", "x")][index]
    label = [meta.get("label", trace.name or "")]
    if meta.get("by"):
        point = html.unescape(str(point))    # the builder escaped it (`_data_as_text`)
        spec.update(by=meta["by"], value=point)
        label.append(f"{meta['by'].replace('_', ' ')} {group_name(meta['by'], point)}")
    elif meta.get("grain"):
        period = pd.Timestamp(point).date()
        spec.update(grain=meta["grain"], period=period)
        label.append({"month": f"{period:%b %Y}", "week": f"week of {period:%d %b %Y}",
                      "quarter": f"Q{(period.month - 1) // 3 + 1} {period.year}"}[meta["grain"]])
    elif meta.get("days"):
        spec["days"] = int(point)
        label.append(f"{int(point)} days")
    count = meta.get("count", "y")
    spec["count"] = int(trace.customdata[index][0] if count == "customdata" else trace[count][index])
    spec["label"] = ", ".join(x for x in label if x)
    return spec


def _drill(metric: str, **how) -> dict:
    return {"drill": {"metric": metric, **how}}


def data_as_of(as_of, last_loaded) -> str:
    """"Data as of" for footnotes: the report's as-of date and when the data was last loaded."""
    text = f"Data as of {as_of:%d %b %Y}"
    return text + (f" (last loaded {last_loaded:%d %b %Y %H:%M} UTC)" if last_loaded else "")


def caption(metric: str, settings: dict, filters_text: str, n, data_as_of: str) -> str:
    """The footnote under a chart: what it counts (the definition), the filters, n and data as of."""
    m = METRICS[metric]
    return f"{render(m, settings)} Filters: {filters_text}. n = {n} {m.counts}. {data_as_of}."


def _empty(fig: go.Figure, message: str) -> go.Figure:
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font=dict(size=16, color="#666666"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _count_ticks(largest) -> dict:
    """Axis settings for counts: whole-number ticks at a round step (1, 2, 5, 10, 20, 25, 50, ...),
    at most six of them, from zero; a small count still gets an axis up to 2 (not 0 to 1 in halves)."""
    largest = max(math.ceil(largest) if not is_missing(largest) else 0, 2)
    step = next(s * 10 ** e for e in range(10) for s in (1, 2, 2.5, 5) if largest / (s * 10 ** e) <= 6
                and (s * 10 ** e) % 1 == 0)
    return dict(tick0=0, dtick=step, tickformat=",d", range=[0, largest * 1.08], rangemode="tozero")


# Placeholder groups and codes as people say them (a group's value itself stays the drill-down key).
GROUP_WORDS = {"kind": {"sla": "SLA deadlines", "commitment": "Commitments"},
               "side": {"rpo": "RPO side", "client": "Client side"}}


def group_name(by: str, value) -> str:
    """A breakdown's group in words: `(unknown requisition)` as "Unknown requisition", `(not set)`
    as "Not set", a deadline's kind `sla` as "SLA deadlines", a blank as "Not set"."""
    if is_missing(value) or value == "":
        return "Not set"
    value = str(value)
    if value in GROUP_WORDS.get(by, {}):
        return GROUP_WORDS[by][value]
    if value.startswith("(") and value.endswith(")"):
        return value[1].upper() + value[2:-1]
    return value


def _label_width(text: str) -> int:
    """About how many pixels a label in the template's font takes (a 14 px sans-serif)."""
    return 8 * len(html.unescape(text)) + 8


def _target_line(fig: go.Figure, target, label: str, colour: str = TARGET, yanchor: str = "middle") -> None:
    """The target as a dashed line across the plot, labelled `label.format(target)` in the right
    margin, outside the plotting area, where no bar, point or value label is; nothing when there is
    no target."""
    if target is None:
        return
    text = label.format(target)
    fig.add_hline(y=target, line=dict(color=colour, dash="dash", width=2))
    fig.add_annotation(text=text, xref="paper", x=1, xanchor="left", xshift=6, yref="y", y=target,
                       yanchor=yanchor, showarrow=False, align="left", font=dict(size=12, color=colour))
    right = max(_label_width(line) for line in text.split("<br>")) + 16
    fig.update_layout(margin=dict(r=max(fig.layout.margin.r or 30, right)))


def _target_above(fig: go.Figure, target, text: str, span: tuple[float, float], xref: str = "x") -> None:
    """The target's label above the plotting area (over the top end of its line, under the title),
    never over a bar or a value label; near an end of the axis's `span` it reaches inwards, not off
    the chart."""
    where = (target - span[0]) / ((span[1] - span[0]) or 1)
    fig.add_annotation(text=text, xref=xref, x=target, yref="paper", y=1, yanchor="bottom", yshift=2,
                       xanchor="right" if where > 0.8 else "left" if where < 0.2 else "center",
                       showarrow=False, font=dict(size=12, color=TARGET), bgcolor="white")


def _days_title(what: str, value, target) -> str:
    """'Median X is 4.0 days' with how far from the target, as a chart title."""
    if is_missing(value):
        return f"{what}: no data in this period"
    if target is None:
        return f"{what} is {value:.1f} days"
    gap = value - target
    if not gap:
        return f"{what} {value:.1f} days, on the {target:g}-day target"
    return (f"{what} {value:.1f} days<br><sup>{abs(gap):.1f} {'over' if gap > 0 else 'under'} "
            f"the {target:g}-day target</sup>")


# What a duration metric's trend and distribution say, in words.
DURATION_WORDS = {
    "time_to_submit": {"median": "Median time to submit", "half": "Half the requisitions had a first submittal",
                       "axis": "days to first submittal", "bars": "requisitions",
                       "none": "No requisition had its first submittal in this period",
                       "title_none": "Time to submit: no first submittals in this period"},
    "time_to_fill": {"median": "Median time to fill", "half": "Half the filled requisitions were filled",
                     "axis": "days from start to first hire", "bars": "requisitions filled",
                     "none": "No requisition had its first hire in this period",
                     "title_none": "Time to fill: no requisition filled in this period"},
}


@_data_as_text
def duration_trend(metric: str, trend: pd.DataFrame, target: float | None, totals: dict,
                   grain: str = "month") -> go.Figure:
    """A duration metric's median and 90th percentile per week/month/quarter, with the target as a line."""
    words = DURATION_WORDS[metric]
    fig = go.Figure(layout=dict(template=TEMPLATE, title=_days_title(words["median"], totals.get("median"), target)))
    if trend.empty:
        return _empty(fig, words["none"])
    fig.add_bar(x=trend["period"], y=trend["median"], name="Median", marker_color=PALETTE[0],
                customdata=trend[["n", "p90"]], meta=_drill(metric, grain=grain, count="customdata"),
                hovertemplate=GRAIN_HOVER[grain] + "<br>median %{y:.1f} d<br>p90 %{customdata[1]:.1f} d"
                f"<br>n = %{{customdata[0]}} {words['bars']}<extra></extra>")
    fig.add_scatter(x=trend["period"], y=trend["p90"], name="90th percentile", mode="lines+markers",
                    line=dict(color=PALETTE[1], width=3), hovertemplate="p90 %{y:.1f} d<extra></extra>")
    _target_line(fig, target, "target {:g} d")
    fig.update_yaxes(title_text="days", rangemode="tozero")
    fig.update_xaxes(**GRAIN_AXIS[grain])
    return fig


@_data_as_text
def distribution(metric: str, rows: pd.DataFrame, target: float | None, totals: dict) -> go.Figure:
    """How many requisitions took each number of days (one bar per day count, whose click lists
    them), with the spread as a box (median, quartiles, outliers) above and the target as a line."""
    words, days = DURATION_WORDS[metric], DAY_COLUMNS[metric]
    p90 = totals.get("p90")
    title = (words["title_none"] if is_missing(totals.get("median")) else
             f"{words['half']} within {totals['median']:.1f} days"
             f"<br><sup>9 in 10 within {p90:.1f} days; n = {totals['n']}</sup>")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.22, 0.78], vertical_spacing=0.04)
    fig.update_layout(template=TEMPLATE, title=title, showlegend=False, margin=dict(t=100))
    if rows.empty:
        return _empty(fig, words["none"])
    counts = rows.groupby(days).size().reset_index(name="requisitions")
    _spread(fig, rows[days].dropna())
    # One bar per day count, each 0.8 days wide: a few requisitions make a few slim bars, not one
    # bar as wide as the chart.
    fig.add_bar(x=counts[days], y=counts["requisitions"], marker_color=PALETTE[0], name=words["bars"].capitalize(),
                width=0.8, meta=_drill(metric, subset="n", days=True),
                hovertemplate="%{x} days: %{y} " + words["bars"] + "<extra></extra>", row=2, col=1)
    lo, hi = float(counts[days].min()), float(counts[days].max())
    if target is not None:
        lo, hi = min(lo, target), max(hi, target)
        for row in (1, 2):
            fig.add_vline(x=target, line=dict(color=TARGET, dash="dash", width=2), row=row, col=1)
    # At least ten days across, so that three requisitions read as a spread of days.
    pad = max(1.0, (10 - (hi - lo)) / 2)
    left, right = lo - pad, hi + pad
    if lo >= 0 and left < -0.6:      # no empty days below zero: the room goes to the right
        left, right = -0.6, right + (-0.6 - left)
    if target is not None:
        _target_above(fig, target, f"target {target:g} d", (left, right), xref="x2")
    fig.update_xaxes(range=[left, right], zeroline=False, **({"dtick": 1} if right - left <= 14 else {}))
    fig.update_xaxes(ticks="", showline=False, row=1, col=1)
    fig.update_yaxes(visible=False, row=1, col=1)
    fig.update_yaxes(title_text=words["bars"], row=2, col=1, **_count_ticks(counts["requisitions"].max()))
    fig.update_xaxes(title_text=words["axis"], row=2, col=1)
    return fig


def _spread(fig: go.Figure, values: pd.Series) -> None:
    """The box of `distribution` (row 1): quartiles, whiskers to the furthest values within 1.5
    times the box's width of it, and each day count beyond them as a point. Its statistics are
    worked out here, so the chart carries a few numbers however many rows there are (a big
    account's hundred thousand requisitions would make a figure too large for a browser)."""
    q1, median, q3 = (float(v) for v in values.quantile([0.25, 0.5, 0.75]))
    reach = 1.5 * (q3 - q1)
    inside = values[(values >= q1 - reach) & (values <= q3 + reach)]
    fig.add_box(y=[""], q1=[q1], median=[median], q3=[q3], lowerfence=[float(inside.min())],
                upperfence=[float(inside.max())], orientation="h", name="", marker_color=PALETTE[0],
                boxpoints=False, hoverinfo="x", row=1, col=1)
    beyond = sorted(set(values[(values < inside.min()) | (values > inside.max())].tolist()))
    if beyond:
        # The box's points, as a box draws them (they stand for the sample: no chart data of their own).
        fig.add_scatter(x=beyond, y=[""] * len(beyond), mode="markers", name="", meta={"summary": True},
                        marker=dict(color=PALETTE[0], size=6, symbol="circle-open"),
                        hovertemplate="%{x} days<extra></extra>", row=1, col=1)


# The time-to-submit charts by their names on the Time to submit and Overview pages and in the deck.


@_data_as_text
def conversion_funnel(totals: dict, labels: dict) -> go.Figure:
    """Submitted -> interviewed -> offered -> hired for the cohort, in the client's stage words."""
    stages = ["submitted", "interviewed", "offered", "hired"]
    counts = [totals.get(s) or 0 for s in stages]
    rate = totals.get("submit_to_interview")
    title = ("Interview conversion: no submittals in this period" if not counts[0] else
             f"{rate:.0%} of submittals reached an interview" +
             (f"<br><sup>{counts[0] / counts[3]:.1f} submittals per hire</sup>" if counts[3] else ""))
    fig = go.Figure(layout=dict(template=TEMPLATE, title=title))
    if not counts[0]:
        return _empty(fig, "No candidate was submitted in this period")
    fig.add_funnel(y=[labels.get(s, s) for s in stages], x=counts, textinfo="value+percent previous",
                   marker=dict(color=PALETTE[:4]), connector=dict(line=dict(color="#CCCCCC")),
                   meta=_drill("interview_conversion", subsets=stages, key="y", count="x", label="reached"),
                   hovertemplate="%{y}: %{x}<extra></extra>")
    fig.update_layout(margin=dict(l=180))
    return fig


@_data_as_text
def conversion_trend(trend: pd.DataFrame, totals: dict, grain: str = "month", target: float | None = None) -> go.Figure:
    """The three conversion rates per cohort month (applications by the month of their submittal),
    with the submit-to-interview target as a line."""
    rate = totals.get("submit_to_interview")
    title = ("Conversion by cohort: no submittals in this period" if is_missing(rate) else
             f"Conversion by cohort {grain}<br><sup>submit-to-interview {rate:.0%} over the period; a recent cohort "
             "is still in process, so its rates can still rise</sup>")
    fig = go.Figure(layout=dict(template=TEMPLATE, title=title))
    if trend.empty:
        return _empty(fig, "No candidate was submitted in this period")
    for i, (col, name) in enumerate((("submit_to_interview", "Submit → interview"),
                                     ("interview_to_offer", "Interview → offer"), ("offer_to_hire", "Offer → hire"))):
        fig.add_scatter(x=trend["period"], y=trend[col], name=name, mode="lines+markers",
                        line=dict(color=PALETTE[i], width=3), customdata=trend[["submitted"]],
                        meta=_drill("interview_conversion", subset="submitted", grain=grain, count="customdata",
                                    label="submitted"),
                        hovertemplate=GRAIN_HOVER[grain] + f"<br>{name}: " + "%{y:.0%}<br>cohort %{customdata[0]}"
                        "<extra></extra>")
    _target_line(fig, target, "target {:.0%}<br>submit → interview")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05], title_text="conversion")
    fig.update_xaxes(**GRAIN_AXIS[grain])
    return fig


@_data_as_text
def in_process(totals: dict, labels: dict) -> go.Figure:
    """The cohort's applications with no outcome yet, by the next step they are waiting for."""
    steps = [("awaiting_interview", f"Submitted, awaiting {labels.get('interviewed', 'interview')}"),
             ("awaiting_offer", f"Interviewed, awaiting {labels.get('offered', 'offer')}"),
             ("awaiting_hire", f"Offered, awaiting {labels.get('hired', 'hire')}")]
    total = totals.get("in_process") or 0
    fig = go.Figure(layout=dict(template=TEMPLATE, title=f"{total} of the cohort still in process"
                                + (f"<br><sup>{total / totals['submitted']:.0%} of {totals['submitted']} "
                                   "submittals have no hire, rejection or withdrawal yet</sup>"
                                   if totals.get("submitted") else "")))
    if not total:
        return _empty(fig, "Every application of the cohort has an outcome")
    fig.add_bar(y=[s[1] for s in steps], x=[totals.get(s[0]) or 0 for s in steps], orientation="h",
                marker_color=PALETTE[4], text=[totals.get(s[0]) or 0 for s in steps], textposition="auto",
                meta=_drill("interview_conversion", subsets=[s[0] for s in steps], key="y", count="x",
                            label="in process"),
                hovertemplate="%{y}: %{x}<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="applications", **_count_ticks(max(totals.get(s[0]) or 0 for s in steps)))
    fig.update_layout(margin=dict(l=260))
    return fig


# How a metric's per-group chart names its bars' value (the metric's `kpi`, with n its `n_key`).
KPI_WORDS = {"time_to_submit": "median time to submit", "time_to_fill": "median time to fill",
             "hm_feedback_days": "median feedback time", "interview_conversion": "submit-to-interview",
             "deadline_adherence": "adherence"}


@_data_as_text
def by_dimension(table: pd.DataFrame, metric: str, by: str, target: float | None) -> go.Figure:
    """The metric's headline number per department, recruiter, hiring manager or source, with n
    on each bar and the target as a line; the title names the fastest/best and slowest/worst."""
    m = METRICS[metric]
    col, n_col, words = m.kpi, m.n_key, KPI_WORDS[metric]
    dim = by.replace("_", " ")
    data = table[table[col].notna()].sort_values(col, ascending=not m.lower_is_better) if not table.empty else table
    fig = go.Figure(layout=dict(template=TEMPLATE))
    if data.empty:
        fig.update_layout(title=f"{m.title} by {dim}: no data in this period")
        return _empty(fig, "Nothing to compare in this period")
    names = [group_name(by, g) for g in data[by]]
    # Worst first: the group a reader should ask about sits at the top.
    title = f"{m.title} by {dim}"
    if len(data) > 1:
        title += (f"<br><sup>{words} from {fmt_value(data[col].iloc[0], m.unit)} ({names[0]}) to "
                  f"{fmt_value(data[col].iloc[-1], m.unit)} ({names[-1]})</sup>")
    text = [f"{fmt_value(v, m.unit)} (n = {n})" for v, n in zip(data[col], data[n_col])]
    values = [float(v) for v in data[col]]
    # Each value label sits just past its bar's end, outside the bar. The axis is made long enough
    # for the longest label, reckoned for the narrowest plot the pages draw (a half-width column).
    plot_px = 300
    share = min(0.5, max(map(_label_width, text)) / plot_px)
    top = max(values + [target or 0, 0]) / (1 - share) or 1
    label_span = share * top
    # A label that would reach across the target line (its bar ends just short of the target) goes
    # inside its bar, at the end, when the bar is long enough to hold it.
    positions = ["inside" if target is not None and v < target < v + label_span and v >= label_span else "outside"
                 for v in values]
    fig.add_bar(y=data[by], x=values, orientation="h", marker_color=PALETTE[0], text=text, cliponaxis=False,
                textposition=positions, insidetextanchor="end", textfont=dict(size=13),
                customdata=list(zip(data[n_col], names)), name=words,
                meta=_drill(metric, subset=n_col, by=by, key="y", count="customdata", label=m.counts),
                hovertemplate="%{customdata[1]}: %{text}<extra></extra>")
    if target is not None:
        fig.add_vline(x=target, line=dict(color=TARGET, dash="dash", width=2))
        _target_above(fig, target, f"target {fmt_value(target, m.unit)}", (0, top))
    plot_height = 34 * len(data) + 40
    # The names' margin as wide as the longest name (12 px ticks), so that a half-width chart keeps
    # its room for the bars and their labels.
    left = max(60, min(200, int(0.85 * max(map(_label_width, names))) + 16))
    fig.update_layout(title=title, height=plot_height + 130, margin=dict(l=left, t=100 if target is not None else 80),
                      # At most 30 px a bar: one or two groups make slim bars, not a wall of blue.
                      bargap=max(0.2, 1 - 30 * len(data) / plot_height))
    fig.update_yaxes(autorange="reversed", type="category", tickvals=list(data[by]), ticktext=names)
    fig.update_xaxes(title_text=words, range=[0, top],
                     **({"tickformat": ".0%", "tickvals": [0, 0.25, 0.5, 0.75, 1]} if m.unit == "rate" else {}))
    return fig


@_data_as_text
def adherence_by_month(trend: pd.DataFrame, target: float | None, totals: dict) -> go.Figure:
    """Deadlines met / missed / pending per month of their original due date, with the adherence
    rate and its target on a second axis."""
    rate = totals.get("rate")
    if rate is None:
        title = "Deadline adherence: no deadline fell due in this period"
    else:
        title = f"{rate:.0%} of deadlines met ({totals['met']} of {totals['due']})"
        if target is not None:
            title += f", target {target:.0%}"
    fig = go.Figure(layout=dict(template=TEMPLATE, title=title, barmode="stack"))
    if trend.empty:
        return _empty(fig, "No deadline fell due in this period")
    for col, name, color in (("met", "Met", MET), ("missed", "Missed", MISSED), ("pending", "Pending", PENDING)):
        fig.add_bar(x=trend["period"], y=trend[col], name=name, marker_color=color,
                    meta=_drill("deadline_adherence", subset=col, grain="month", label=f"{col} deadlines"),
                    hovertemplate="%{x|%b %Y}: %{y} " + col + "<extra></extra>")
    fig.add_scatter(x=trend["period"], y=trend["rate"], name="Adherence", yaxis="y2", mode="lines+markers",
                    line=dict(color=PALETTE[0], width=3), hovertemplate="%{x|%b %Y}: %{y:.0%}<extra></extra>")
    if target is not None:
        fig.add_scatter(x=trend["period"], y=[target] * len(trend), name=f"Target {target:.0%}", yaxis="y2",
                        mode="lines", line=dict(color=TARGET, dash="dash", width=2), hoverinfo="skip")
    fig.update_xaxes(**MONTH_AXIS)
    fig.update_layout(yaxis=dict(title="deadlines", **_count_ticks((trend["met"] + trend["missed"] + trend["pending"]).max())),
                      yaxis2=dict(title="adherence", overlaying="y", side="right", range=[0, 1.05],
                                  tickvals=[0, 0.25, 0.5, 0.75, 1], tickformat=".0%", showgrid=False,
                                  automargin=True),   # room for the ticks and the title at the right edge
                      legend=dict(traceorder="normal"))
    return fig


@_data_as_text
def misses_by_reason(table: pd.DataFrame, totals: dict) -> go.Figure:
    """Missed deadlines by reason, split by the side that caused them (RPO or client)."""
    data = table[table["missed"] > 0].sort_values("missed", ascending=False) if not table.empty else table
    missed = totals.get("missed") or 0
    fig = go.Figure(layout=dict(template=TEMPLATE, barmode="stack"))
    if data.empty:
        fig.update_layout(title="No deadline was missed in this period")
        return _empty(fig, "No misses")
    rpo, client = totals.get("missed_rpo") or 0, totals.get("missed_client") or 0
    top = data.iloc[0]
    fig.update_layout(title=f"{missed} deadlines missed<br><sup>{rpo} on the RPO's side, {client} on the client's; "
                      f"most often: {top['reason']} ({top['missed']})</sup>",
                      height=max(320, 200 + 30 * len(data)), margin=dict(l=240, b=100),
                      bargap=max(0.2, 1 - 30 * len(data) / (max(320, 200 + 30 * len(data)) - 180)),
                      legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, xanchor="left", x=0))
    for col, name, side, colour in (("missed_rpo", "RPO side", "the RPO's", PALETTE[0]),
                                    ("missed_client", "Client side", "the client's", PALETTE[1])):
        fig.add_bar(y=data["reason"], x=data[col], name=name, orientation="h", marker_color=colour,
                    meta=_drill("deadline_adherence", subset=col, by="reason", key="y", count="x",
                                label=f"missed on {side} side"),
                    hovertemplate="%{y}: %{x} (" + name + ")<extra></extra>")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title_text="missed deadlines", **_count_ticks((data["missed_rpo"] + data["missed_client"]).max()))
    return fig


@_data_as_text
def we_scorecard(tts_trend: pd.DataFrame, hm_trend: pd.DataFrame, tts: dict, hm: dict, targets: dict) -> go.Figure:
    """Both sides of the relationship on one chart: the recruiters' speed (median time to submit)
    beside the client's (median hiring-manager feedback time), per month, with their targets."""
    def word(v):
        return "n/a" if is_missing(v) else f"{v:.1f} d"
    fig = go.Figure(layout=dict(template=TEMPLATE, title=(
        f"We submit in {word(tts.get('median'))}; hiring managers answer in {word(hm.get('median'))}"
        "<br><sup>medians over the period: our speed beside the client's</sup>")))
    if tts_trend.empty and hm_trend.empty:
        return _empty(fig, "No submittals in this period")
    ours, theirs = (targets.get(METRICS[m].target_key) for m in ("time_to_submit", "hm_feedback_days"))
    for trend, metric, name, colour, mine, other in (
            (tts_trend, "time_to_submit", "Our speed: time to submit", PALETTE[0], ours, theirs),
            (hm_trend, "hm_feedback_days", "Client's speed: HM feedback", PALETTE[1], theirs, ours)):
        if trend.empty:
            continue
        fig.add_scatter(x=trend["period"], y=trend["median"], name=name, mode="lines+markers",
                        line=dict(color=colour, width=3), customdata=trend[["n"]],
                        meta=_drill(metric, subset="n", grain="month", count="customdata", label=name),
                        hovertemplate="%{x|%b %Y}: median %{y:.1f} d (n = %{customdata[0]})<extra></extra>")
        # With both targets, the higher one's label sits above its line and the lower one's below
        # (ours above on a tie): two close targets never print their labels on each other.
        _target_line(fig, mine, ("our" if metric == "time_to_submit" else "HM") + " target {:g} d", colour,
                     yanchor="middle" if mine is None or other is None else
                     "bottom" if (mine, metric == "time_to_submit") > (other, metric != "time_to_submit") else "top")
    fig.update_yaxes(title_text="days (median)", rangemode="tozero")
    fig.update_xaxes(**MONTH_AXIS)
    return fig


@_data_as_text
def requisition_timeline(events: pd.DataFrame, labels: dict, start, sla_due) -> go.Figure:
    """One requisition's applications as rows of stage events in the client's words, with its
    start and SLA due date marked."""
    fig = go.Figure(layout=dict(template=TEMPLATE, title="Stage events of each application"))
    if events.empty:
        return _empty(fig, "No stage events yet")
    order = list(STAGES + OUTCOMES) + ["(unmapped)"]
    for stage in sorted(set(events["stage"]), key=order.index):
        ev = events[events["stage"] == stage]
        # The legend names each canonical stage by the client's own words for it.
        name = " / ".join(dict.fromkeys(ev["raw_stage"]))
        fig.add_scatter(x=ev["entered_at"], y=ev["application_id"], mode="markers", name=name,
                        marker=dict(size=12, color=STAGE_COLOURS[stage], symbol=STAGE_SYMBOLS.get(stage, "circle")),
                        text=ev["raw_stage"], hovertemplate="%{y}: %{text}<br>%{x|%d %b %Y %H:%M} UTC<extra></extra>")
    for when, label in ((start, "start"), (sla_due, "SLA due")):
        if not is_missing(when):
            fig.add_vline(x=pd.Timestamp(when).timestamp() * 1000, line=dict(color=TARGET, dash="dash"),
                          annotation_text=label, annotation_position="top")
    fig.update_layout(height=max(300, 160 + 34 * events["application_id"].nunique()), margin=dict(l=140, t=60),
                      legend=dict(orientation="h", yanchor="top", y=-0.08, xanchor="left", x=0))
    fig.update_yaxes(type="category", autorange="reversed")
    return fig


@_data_as_text
def portfolio(table: pd.DataFrame) -> go.Figure:
    """Every client's KPIs side by side, each against the client's own target (one small chart per
    KPI, bars coloured red/amber/green by target status, targets as diamonds)."""
    kpis = list(dict.fromkeys(table["metric"]))
    fig = make_subplots(rows=1, cols=len(kpis), subplot_titles=[METRICS[k].short for k in kpis],
                        shared_yaxes=True, horizontal_spacing=0.05)
    # Titles in small type: five side by side in a 1280 px page must not run into each other.
    fig.update_annotations(font_size=12)
    off = table[table["status"] == "off target"]
    fig.update_layout(template=TEMPLATE, showlegend=False, height=max(300, 150 + 40 * table["client"].nunique()),
                      margin=dict(l=160), title=(f"{count_of(len(off), 'KPI')} off target across "
                                                 f"{count_of(table['client'].nunique(), 'client')}"
                                                 if len(off) else "Every client on or near its targets"))
    for i, key in enumerate(kpis, start=1):
        rows = table[table["metric"] == key]
        unit = METRICS[key].unit
        fig.add_bar(y=rows["client"], x=rows["value"], orientation="h", row=1, col=i, name=METRICS[key].short,
                    marker_color=[STATUS_COLOURS.get(s, PENDING) for s in rows["status"]],
                    text=[fmt_value(v, unit) for v in rows["value"]], textposition="inside", insidetextanchor="start",
                    customdata=rows[["status"]], hovertemplate="%{y}: %{text} (%{customdata[0]})<extra></extra>")
        fig.add_scatter(y=rows["client"], x=rows["target"], mode="markers", row=1, col=i,
                        name=f"{METRICS[key].short} target",
                        marker=dict(symbol="diamond", size=12, color=TARGET), hovertemplate="target %{x}<extra></extra>")
        # Few ticks, none at the right edge, where it would run into the next chart's 0.
        if unit == "rate":
            fig.update_xaxes(tickformat=".0%", range=[0, 1.1], tickvals=[0, 0.5, 1], row=1, col=i)
        else:
            fig.update_xaxes(nticks=3, row=1, col=i)
    fig.update_yaxes(autorange="reversed", type="category")
    return fig
