"""Chart builders: one function per chart, used by the dashboard pages and by the exports.

No Streamlit here. Each builder takes the metrics' small result tables and returns a plotly
figure whose title states the finding; `caption` gives the footnote every chart carries
(definition, filters, n, data as of).
"""
from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from metrics import METRICS, render

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
TEMPLATE = "rpo"


def fmt_value(value, unit: str) -> str:
    """A KPI value for people: rates as percentages, days with one decimal, n/a when empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.0%}" if unit == "rate" else f"{value:.1f} d"


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


def _target_line(fig: go.Figure, target, label: str) -> None:
    if target is not None:
        fig.add_hline(y=target, line=dict(color=TARGET, dash="dash", width=2),
                      annotation_text=label, annotation_position="top left")


def time_to_submit_trend(trend: pd.DataFrame, target: float | None, totals: dict) -> go.Figure:
    """Median and 90th percentile time to submit per period, with the target as a line."""
    median = totals.get("median")
    if median is None:
        title = "Time to submit: no first submittals in this period"
    elif target is None:
        title = f"Median time to submit is {median:.1f} days"
    else:
        gap = median - target
        title = (f"Median time to submit {median:.1f} days<br><sup>{abs(gap):.1f} "
                 f"{'over' if gap > 0 else 'under'} the {target:g}-day target</sup>" if gap else
                 f"Median time to submit {median:.1f} days, on the {target:g}-day target")
    fig = go.Figure(layout=dict(template=TEMPLATE, title=title))
    if trend.empty:
        return _empty(fig, "No requisition had its first submittal in this period")
    fig.add_bar(x=trend["period"], y=trend["median"], name="Median", marker_color=PALETTE[0],
                customdata=trend[["n", "p90"]], hovertemplate="%{x|%b %Y}<br>median %{y:.1f} d<br>"
                "p90 %{customdata[1]:.1f} d<br>n = %{customdata[0]}<extra></extra>")
    fig.add_scatter(x=trend["period"], y=trend["p90"], name="90th percentile", mode="lines+markers",
                    line=dict(color=PALETTE[1], width=3))
    _target_line(fig, target, f"target {target:g} d" if target is not None else "")
    fig.update_yaxes(title_text="days")
    fig.update_xaxes(**MONTH_AXIS)
    return fig


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
                   marker=dict(color=PALETTE[:4]), connector=dict(line=dict(color="#CCCCCC")))
    fig.update_layout(margin=dict(l=180))
    return fig


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
        fig.add_bar(x=trend["period"], y=trend[col], name=name, marker_color=color)
    fig.add_scatter(x=trend["period"], y=trend["rate"], name="Adherence", yaxis="y2", mode="lines+markers",
                    line=dict(color=PALETTE[0], width=3), hovertemplate="%{x|%b %Y}: %{y:.0%}<extra></extra>")
    if target is not None:
        fig.add_scatter(x=trend["period"], y=[target] * len(trend), name=f"Target {target:.0%}", yaxis="y2",
                        mode="lines", line=dict(color=TARGET, dash="dash", width=2))
    fig.update_xaxes(**MONTH_AXIS)
    fig.update_layout(yaxis=dict(title="deadlines"),
                      yaxis2=dict(title="adherence", overlaying="y", side="right", range=[0, 1.05],
                                  tickvals=[0, 0.25, 0.5, 0.75, 1], tickformat=".0%", showgrid=False),
                      legend=dict(traceorder="normal"))
    return fig
