"""Small drawing helpers shared by the pages: KPI cards and a chart with its footnote."""
from __future__ import annotations

import streamlit as st

import charts
import dashboard
from metrics import METRICS, render


# How fact columns read on screen.
COLUMN_LABELS = {
    "requisition_id": "Requisition", "title": "Title", "department": "Department", "recruiter": "Recruiter",
    "hiring_manager": "Hiring manager", "start_on": st.column_config.DateColumn("Start"),
    "age_days": st.column_config.NumberColumn("Age (days)"),
}


def _status(kpi: dict) -> str:
    """Red/amber/green against the target (amber: within 10% of it)."""
    value, target = kpi["value"], kpi["target"]
    if value is None or target is None:
        return ""
    ratio = (target / value if value else float("inf")) if kpi["lower_is_better"] else (value / target if target else 1)
    return ":green[● on target]" if ratio >= 1 else (":orange[● near target]" if ratio >= 0.9 else ":red[● off target]")


def kpi_cards(kpis: list[dict], filters, info: dict) -> None:
    """One card per KPI: value, change against the previous period, target and n."""
    cols = st.columns(len(kpis))
    for col, k in zip(cols, kpis):
        unit = k["unit"]
        delta, colour, arrow = None, "inverse" if k["lower_is_better"] else "normal", "auto"
        if k["value"] is not None and k["previous"] is not None:
            diff = k["value"] - k["previous"]
            if unit == "rate":
                diff = round(diff * 100)
                delta = f"{diff:+d} pts" if diff else "±0 pts"
            else:
                diff = round(diff, 1)
                delta = f"{diff:+.1f} d" if diff else "±0.0 d"
            if not diff:
                colour, arrow = "off", "off"
        target = k["target"]
        target_text = ("no target" if target is None else
                       f"target {'≤' if k['lower_is_better'] else '≥'} {charts.fmt_value(target, unit)}")
        with col:
            st.metric(k["short"], charts.fmt_value(k["value"], unit), delta=delta, delta_color=colour,
                      delta_arrow=arrow, delta_description="vs previous period" if delta else None,
                      help=render(METRICS[k["metric"]], info), border=True)
            st.caption(f"{target_text} {_status(k)}  \nn = {k['n']}" + ("" if delta else "; no previous period"))


def chart(fig, metric: str, n, filters, info: dict, key: str) -> None:
    """A chart with its footnote: definition, filters, n, data as of."""
    st.plotly_chart(fig, width="stretch", key=key)
    st.caption(charts.caption(metric, info, filters.describe(), n, dashboard.data_as_of(filters)))
