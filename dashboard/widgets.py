"""Small drawing helpers shared by the pages: KPI cards, a chart with its footnote, its
drill-down and its downloads, and tables whose selected row shows the rows behind it."""
from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pandas as pd

import streamlit as st

import charts
import dashboard
from exports import files, schedules
from loaders.template import is_closed_status
from metrics import (CONVERSION_STEPS, HISTORY_NEEDED, METRICS, NOT_AVAILABLE, SUBMITTALS_UNKNOWN,
                     change, change_words, count_of, days_word, render, target_status, target_words)


# How stored columns read on screen: the words of `files.header` (the downloads' headers too), with
# dates and times shown as such.
COLUMN_LABELS = {
    **files.HEADERS, "age_days": st.column_config.NumberColumn(files.header("age_days")),
    **{k: st.column_config.DateColumn(v) for k, v in files.DATE_HEADERS.items()},
    **{k: st.column_config.DatetimeColumn(v, format="YYYY-MM-DD HH:mm") for k, v in files.TIME_HEADERS.items()},
}


STATUS_BADGES = {"on target": ":green[● on target]", "near target": ":orange[● near target]",
                 "off target": ":red[● off target]"}
STATUS_TEXT = {"on target": "✓ on target", "near target": "~ near target", "off target": "✗ off target"}
STATUS_CSS = {"✓ on target": "color: #007A55", "~ near target": "color: #B36B00; font-weight: 600",
              "✗ off target": "color: #C0392B; font-weight: 600"}


def target_text(status: str, target, unit: str, lower_is_better: bool) -> str:
    """The target and the red/amber/green `status` against it, for a caption: `target ≥ 45% ● on target`."""
    words = target_words(target, unit, lower_is_better)
    return "no target" if words is None else f"target {words} {STATUS_BADGES.get(status, '')}"


def kpi_cards(kpis: list[dict], filters, info: dict) -> None:
    """One card per KPI (`Report.kpis`): value, change against the comparison period (named: "vs Q2
    2026"), target and status, and n; a caption under the cards gives the comparison period's dates."""
    compare = filters.previous() is not None
    # A card has room for a short name only ("vs last year"); the caption under the cards says it in full.
    against = (filters.comparison_name() or "").removeprefix("the ").replace("same period last year", "last year")
    # Cards wrap onto a second row where five do not fit: a label is never cut.
    with st.container(horizontal=True, gap="small"):
        for k in kpis:
            unit = k["unit"]
            if k["not_available"]:
                with st.container(border=True, width=KPI_CARD_WIDTH):
                    st.metric(k["short"], "Not available", help=render(METRICS[k["metric"]], info))
                    st.caption(k["not_available"].removeprefix("not available: ").capitalize())
                continue
            shown = change(k["value"], k["previous"], unit) if compare else None
            delta = None if shown is None else change_words(shown, unit, signed=True)
            colour, arrow = ("off", "off") if shown == 0 else ("inverse" if k["lower_is_better"] else "normal", "auto")
            with st.container(border=True, width=KPI_CARD_WIDTH):
                st.metric(k["short"], charts.fmt_value(k["value"], unit), delta=delta, delta_color=colour,
                          delta_arrow=arrow, delta_description=f"vs {against}" if delta else None,
                          help=render(METRICS[k["metric"]], info))
                st.caption(f"{target_text(k['status'], k['target'], unit, k['lower_is_better'])}  \nn = {k['n']}"
                           + (f"; nothing in {against}" if compare and not delta else ""))
    if compare:
        st.caption(dashboard.as_text(f"Changes against {filters.comparison()}."))


# Three cards a row in the main area at 1280 px (820 px wide), each wide enough for a delta and
# "vs same days of Q3 2026" beside it (a narrower card cuts the words).
KPI_CARD_WIDTH = 260


def not_available(metric: str, info: dict, stop: bool = False, what: str | None = None) -> bool:
    """Say that the client's data cannot give `metric` (`metrics.availability`), and why, in place of
    its numbers (`what` names the part of the page; default the metric); with `stop`, end the page
    there. True when not available (the page's notice, `scope`, says what would make it available)."""
    if metric not in info["not_available"]:
        return False
    what = what or METRICS[metric].title
    st.info(f"{what} {'are' if ' and ' in what else 'is'} {info['not_available'][metric]}.", icon=":material/block:")
    if stop:
        st.stop()
    return True


def _titles(metrics) -> str:
    """Metric titles in a sentence: `Time to submit, interview conversion and deadline adherence`."""
    words = [METRICS[m].title for m in metrics]
    words = [words[0]] + [w[0].lower() + w[1:] for w in words[1:]]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def chart_columns():
    """Two charts side by side, and under both, full width, the rows behind a click on either:
    `left, right, rows = chart_columns()`, then `chart(..., rows_in=rows)` in each column."""
    left, right = st.columns(2)
    return left, right, st.container()


def definition(metric: str, info: dict) -> None:
    """What the page's metric counts, once near the top of the page (the charts' footnotes give
    only their filters and n)."""
    m = METRICS[metric]
    with st.expander(f"What {m.title[0].lower() + m.title[1:]} counts", icon=":material/help:"):
        st.markdown(dashboard.as_text(render(m, info)))


def chart_scope(metric: str, n, filters) -> str:
    """The line under a chart: its filters, n and data as of (the definition is the page's, once)."""
    return f"Filters: {filters.describe()}. n = {n} {METRICS[metric].counts}. {dashboard.data_as_of(filters)}."


def chart(fig, metric: str, totals: dict, filters, info: dict, key: str, also: tuple[str, dict] | None = None,
          rows_in=None) -> None:
    """A chart with its footnote (filters, n: the metric's `n_key` of its `totals`, data as of;
    `also` names a second metric the chart shows, and its totals) and its downloads (PNG and SVG
    with the full footnote, definition included; CSV, XLSX). Selecting a bar or point (click, or
    drag a box) lists the rows behind that number, with a CSV and XLSX of them, under the chart or
    in `rows_in` (a full-width container below the columns, `chart_columns`). A metric the client's
    data cannot give (`not_available`) gets the sentence saying why instead of a chart."""
    missing = [m for m in (metric,) + ((also[0],) if also else ()) if m in info["not_available"]]
    if missing:
        not_available(missing[0], info, what=_titles(missing))
        return
    event = st.plotly_chart(fig, width="stretch", key=key, on_select="rerun", selection_mode=("points", "box"))
    shown = [(m, t[METRICS[m].n_key]) for m, t in ((metric, totals),) + ((also,) if also else ())]
    for m, count in shown:
        st.caption(dashboard.as_text(chart_scope(m, count, filters)))
    footnotes = [charts.caption(m, info, filters.describe(), count, dashboard.data_as_of(filters))
                 for m, count in shown]
    context = about(filters, "Chart", files.plain_title(fig), metrics=[m for m, _ in shown],
                    n="; ".join(f"{count} {METRICS[m].counts}" for m, count in shown), notes=files.chart_notes(fig))
    downloads(filters, [metric, key], lambda: files.chart_table(fig), context, key=key, fig=fig,
              footnote="\n".join(footnotes))
    points = event["selection"]["points"] if event and "selection" in event else []
    specs = [charts.drill_spec(fig, p.get("curve_number"), p.get("point_index", p.get("point_number")))
             for p in points]
    with rows_in if rows_in is not None else st.container():
        for spec in [s for s in specs if s][:3]:
            drill_rows(filters, spec, key=f"{key}-{spec['label']}")


def _measure_first(rows: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """The rows with the clicked measure first (the day count, the deadline's status, the stage
    reached), then the requisition, then the rest as stored."""
    metric, subset = spec["metric"], spec.get("subset")
    first = {"time_to_submit": ["tts_days"], "time_to_fill": ["ttf_days"],
             "hm_feedback_days": ["sub_on", "feedback_on"] if subset == "awaiting_feedback" else ["feedback_days"],
             "deadline_adherence": ["status", "reason", "due_on", "delivered_on"],
             "interview_conversion": ([subset] if subset in ("interviewed", "offered", "hired") else [])
             + ["status", "sub_on"]}.get(metric, [])
    first = [c for c in first + ["requisition_id", "title"] if c in rows]
    last = [c for c in ("known_req",) if c in rows and c not in first]   # a join's flag, rarely false
    return rows[first + [c for c in rows.columns if c not in first + last] + last]


def drill_rows(filters, spec: dict, key: str) -> None:
    """The rows behind one number: how many, the table (the clicked measure first, requisition ids
    opening Requisition detail), and a CSV and XLSX of exactly those rows, headed in people's words."""
    rows = _measure_first(dashboard.drill(filters, spec), spec)
    with st.container(border=True):
        title = f"Rows behind {spec['label']}: {len(rows)}"
        st.markdown(f"**{dashboard.as_text(title)}** ({METRICS[spec['metric']].title.lower()}; "
                    f"{dashboard.as_text(filters.describe())})")
        shown, labels = _linked(rows.head(SHOWN_ROWS), filters)
        st.dataframe(shown, hide_index=True, width="stretch", column_config=labels)
        _more(rows)
        context = about(filters, "Table", title, metrics=[spec["metric"]], n=f"{len(rows)} rows")
        downloads(filters, [spec["metric"], spec["label"]], lambda: rows, context, key=key,
                  label="Download these rows ({fmt})")


def _slug(word) -> str:
    return re.sub(r"_+", "_", "".join(c if c.isalnum() else "_" for c in str(word))).strip("_").lower()


def file_name(filters, words, ext: str, client: str | None = None) -> str:
    """`<client>-<what>-<period>.<ext>`, e.g. `acme_corp-time_to_submit-trend-2026_08_23_to_2026_11_20.png`;
    an open period ends at the as-of date."""
    period = f"{filters.date_from or 'start'}_to_{filters.date_to or filters.as_of}"
    parts = [client or filters.client, *words, period]
    return "-".join(s for s in map(_slug, parts) if s) + "." + ext


def about(filters, kind: str, title: str, metrics=(), n: str | None = None, notes: str = "",
          scope: str | None = None) -> dict:
    """What an exported table is about, for its XLSX's About sheet: the chart or table title, what
    each metric counts (with the client's settings), what the chart marks, filters, n, data as of."""
    info = dashboard.client_info(filters.client)
    context = {kind: title}
    if metrics:
        context["What it counts"] = "\n".join(f"{METRICS[m].title}: {render(METRICS[m], info)}" for m in metrics)
    if notes:
        context["Marked on the chart"] = notes
    context["Filters"] = scope or filters.describe()
    if n:
        context["n"] = n
    context["Data as of"] = dashboard.data_as_of(filters) if scope is None else f"Data as of {filters.as_of:%d %b %Y}"
    return context


def downloads(filters, words, table, context: dict, key: str, fig=None, footnote: str | None = None,
              label: str = "{fmt}", client: str | None = None, people: bool = True) -> None:
    """A row of download buttons: PNG and SVG of `fig` (with `footnote` under it) when given, and
    CSV and XLSX of `table()` (headed in people's words, `files.header`, unless `people` is False).
    Files are made only when clicked (an image takes a browser about
    half a second), so drawing the page costs nothing; where no Chromium is installed the image
    buttons are disabled and say what to install."""
    # A table's file is headed as the screen heads it; a chart's points keep `chart_table`'s
    # names (series, value, unit), which scripts read, with stored codes in words as the chart shows them.
    if fig is not None and people:
        people, chart_points = False, table
        table = lambda: files.in_words(chart_points())  # noqa: E731

    def name(ext):
        return file_name(filters, words, ext, client)

    def xlsx():
        exported = f"{dt.datetime.now(dt.timezone.utc):%d %b %Y %H:%M} UTC"
        return files.table_xlsx(table(), {**context, "Exported": exported}, people=people)
    buttons = [("csv", lambda: files.table_csv(table(), people=people), "the data, as plain CSV"),
               ("xlsx", xlsx, "the data as an Excel workbook, with an About sheet stating filters and data as of")]
    problem = None
    if fig is not None:
        problem = files.images_unavailable()
        # PNG at twice the pixels: sharp on a slide; SVG scales by itself.
        buttons = [("png", lambda: files.chart_image(fig, "png", scale=2, footnote=footnote),
                    "the chart as an image, with its footnote"),
                   ("svg", lambda: files.chart_image(fig, "svg", footnote=footnote),
                    "the chart as a vector image, with its footnote")] + buttons
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        for ext, data, what in buttons:
            image = ext in files.IMAGE_FORMATS
            st.download_button(label.format(fmt=ext.upper()), dashboard.audited(data, ext, filters, file=name(ext)),
                               file_name=name(ext),
                               mime={**files.IMAGE_FORMATS, **files.TABLE_FORMATS}[ext], key=f"dl-{key}-{ext}",
                               on_click="ignore", icon=":material/download:", type="tertiary",
                               disabled=bool(image and problem),
                               help=(problem if image and problem else f"Download {what}: `{name(ext)}`"))
        if problem:
            st.caption(problem)


def group_table(table, metric: str, by: str, filters, key: str) -> None:
    """A breakdown table (one row per group, the metric's counts and statistics); selecting a row
    lists the rows behind it, full width under the table."""
    if table.empty:
        st.write("Nothing in this period.")
        return
    labels = {**COLUMN_LABELS,
              **{c: st.column_config.NumberColumn(files.header(c), format="percent")
                 for c in ("submit_to_interview", "interview_to_offer", "offer_to_hire", "rate") if c in table},
              **{c: st.column_config.NumberColumn(files.header(c), format="%.1f")
                 for c in ("median", "mean", "p90") if c in table}}
    event = st.dataframe(table, hide_index=True, width="stretch", key=key, on_select="rerun",
                         selection_mode="single-row", column_config=labels)
    m, dim = METRICS[metric], by.replace("_", " ")
    downloads(filters, [metric, "by", by], lambda: table, key=key,
              context=about(filters, "Table", f"{m.title} by {dim}", metrics=[metric], n=f"{len(table)} rows"))
    selected = event.selection.rows if event else []
    if selected:
        row = table.iloc[selected[0]]
        subset = METRICS[metric].n_key
        spec = {"metric": metric, "subset": subset, "by": by, "value": row[by],
                "count": int(row[subset]), "label": f"{dim} {row[by]}"}
        drill_rows(filters, spec, key=f"{key}-rows")


GRAINS = {"Week": "week", "Month": "month", "Quarter": "quarter"}


def grain_picker() -> str:
    """The trends' time grain (week, month or quarter): one choice for every page's trends, kept in
    the URL like the filters."""
    wanted = (dashboard.sticky_value("grain") or "month").lower()
    label = dashboard.sticky(st.segmented_control, "Trend by", "grain",
                             next((k for k, v in GRAINS.items() if v == wanted), "Month"), options=list(GRAINS),
                             required=True)
    grain = GRAINS.get(label, "month")
    if st.query_params.get("grain", "month") != grain:
        st.query_params["grain"] = grain
    return grain


def requisition_url(filters, requisition_id: str) -> str:
    """A link to one requisition's story in the same view: every filter of the sidebar."""
    return requisition_urls(filters)(requisition_id)


def requisition_urls(filters):
    """`requisition_url` for many requisitions of one view: the view's part is worked out once."""
    view = urlencode({**dashboard.view_params(), "client": [filters.client]}, doseq=True)
    return lambda requisition_id: f"requisition?{view}&" + urlencode({"req": requisition_id})


def _table_name(table) -> str:
    """What a table of facts lists, from its id columns (a file name when the page names none)."""
    if "deadline_id" in table:
        return "deadlines"
    if "application_id" in table:
        return "stage_events" if "entered_at" in table else "applications"
    return "requisitions"


def gaps_as_text(values: pd.Series, time_format: str | None) -> pd.Series:
    """A column with blanks as Streamlit should draw it (it writes "None" in a missing cell): text,
    blanks empty, dates and times by `time_format`, whole numbers without ".0"."""
    def cell(value) -> str:
        if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
            return ""
        if time_format:
            return pd.Timestamp(value).strftime(time_format)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    return pd.Series([cell(v) for v in values], index=values.index, dtype=object)


def _linked(table, filters) -> tuple[pd.DataFrame, dict]:
    """A table to show and its column labels: each requisition id a link to its story (with the
    same client, period and as-of date), stored codes in words (`files.in_words`), and blanks blank."""
    shown = files.in_words(table).copy()
    labels = dict(COLUMN_LABELS)
    if "requisition_id" in shown:
        url = requisition_urls(filters)
        shown["requisition_id"] = [url(r) if isinstance(r, str) else None for r in shown["requisition_id"]]
        labels["requisition_id"] = st.column_config.LinkColumn("Requisition", display_text=r"req=([^&]+)",
                                                               help="Open the requisition's story")
    # Streamlit writes "None" in a missing cell: a column with gaps is shown as text, gaps empty
    # (ISO dates still sort as dates; a day count with gaps sorts as text).
    for col in shown.columns:
        values = shown[col]
        if not values.isna().any() or pd.api.types.is_bool_dtype(values):
            continue
        dated = pd.api.types.is_datetime64_any_dtype(values)
        shown[col] = gaps_as_text(values, ("%Y-%m-%d %H:%M" if col in files.TIME_HEADERS else "%Y-%m-%d")
                                  if dated else None)
        if col != "requisition_id":
            labels[col] = st.column_config.TextColumn(files.header(col))
    return shown, labels


# The most rows a table shows on a page (in its order); its downloads hold them all.
SHOWN_ROWS = 1000


def _more(table) -> None:
    """Under a table cut at `SHOWN_ROWS`: how many it has, and where the rest are."""
    if len(table) > SHOWN_ROWS:
        st.caption(f"The first {SHOWN_ROWS:,} of {len(table):,} rows, in this order; the CSV and XLSX below hold "
                   "them all.")


def requisition_table(table, filters, empty: str, name: str | None = None) -> None:
    """A table of requisitions, applications or deadlines, with its CSV and XLSX (`name` names
    them; by default what the table lists); each requisition id opens its story."""
    if table.empty:
        st.write(empty)
        return
    name = name or _table_name(table)
    shown, labels = _linked(table.head(SHOWN_ROWS), filters)
    st.dataframe(shown, hide_index=True, width="stretch", column_config=labels)
    _more(table)
    what = name.replace("_", " ")
    downloads(filters, [name], lambda: table, key=f"table-{name}",
              context=about(filters, "Table", what[0].upper() + what[1:], n=f"{len(table)} rows"))


def conversion_steps(totals: dict, labels: dict, targets: dict) -> None:
    """Each conversion step in the client's words: counts, rate against target, N:1."""
    # Two cards a row: a step's title is the client's own stage words, often long ("Client
    # Submission → 1st Interview / 2nd Interview"), and a card cuts its title rather than wrap it.
    cols = [c for _ in range(2) for c in st.columns(2)]
    for col, (a, b, key) in zip(cols, CONVERSION_STEPS):
        rate, target = totals.get(key), targets.get(key)
        ratio = f"{totals[a] / totals[b]:.1f}:1" if totals.get(b) else "n/a"
        with col:
            st.metric(dashboard.as_text(f"{labels[a]} → {labels[b]}"), charts.fmt_value(rate, "rate"), border=True,
                      help=dashboard.as_text(f"{totals[b]} of {totals[a]} reached {labels[b]}; {ratio} means "
                                             f"{ratio.split(':')[0]} {labels[a].lower()} per {labels[b].lower()}."))
            status = target_status(rate, target, False)
            st.caption(f"{totals[b]} of {totals[a]} · {ratio}  \n{target_text(status, target, 'rate', False)}")
    with cols[-1]:
        st.metric("Still in process", totals.get("in_process") or 0, border=True,
                  help="Cohort applications with no hire, rejection or withdrawal yet: shown apart, not as lost.")
        st.caption(f"of {totals['submitted']} submitted in the period")


def deadline_figures(totals: dict, target, info: dict) -> None:
    """The adherence figures in a row: rate against target, met, missed by side, pending, revised
    (SLA deadlines said not available when the client's data has no stage history)."""
    cols = st.columns(5)
    cols[0].metric("Adherence", charts.fmt_value(totals.get("rate"), "rate"), border=True)
    status = target_status(totals.get("rate"), target, False)
    cols[0].caption(f"met / due = {totals['met']} / {totals['due']}" +
                    (f"  \n{target_text(status, target, 'rate', False)}" if target is not None else ""))
    cols[1].metric("Met", totals["met"], border=True)
    sla = ("SLA not available" if info["notes"].get("deadline_adherence")
           else f"SLA {totals['sla_met']} of {totals['sla_due']}")
    cols[1].caption(f"{sla}, commitments {totals['commitments_met']} of {totals['commitments_due']}")
    cols[2].metric("Missed", totals["missed"], border=True)
    cols[2].caption(f"RPO side {totals['missed_rpo']}, client side {totals['missed_client']}")
    cols[3].metric("Pending", totals["pending"], border=True)
    cols[3].caption("due on or after the as-of date, nothing delivered yet")
    cols[4].metric("Revised in time", f"{totals['revised_in_time']} of {totals['revised']}", border=True)
    cols[4].caption("revisions communicated before the original due date")




def requisition_facts(req: dict, sla, info: dict) -> None:
    """A requisition's day counts, SLA result and outcome, each with the dates behind it; those that
    need its submittals say "not available" when they are unknown (`SUBMITTALS_UNKNOWN`)."""
    days = days_word(info["day_count"])

    def date(v):
        return "—" if charts.is_missing(v) else f"{v:%d %b %Y}"

    def count(v):
        return "—" if charts.is_missing(v) else f"{v:g} d"
    cols = st.columns(4)
    missing = info["not_available"]
    na = NOT_AVAILABLE[0].upper() + NOT_AVAILABLE[1:]
    unknown = SUBMITTALS_UNKNOWN[0].upper() + SUBMITTALS_UNKNOWN[1:]
    submittals_known = info["stage_history"] and req["submittals_known"]
    if "time_to_submit" in missing or not submittals_known:
        cols[0].metric("Time to submit", "—", border=True)
        cols[0].caption(f"{na if 'time_to_submit' in missing else unknown}; start {date(req['start_on'])}")
    else:
        cols[0].metric("Time to submit", count(req["tts_days"]), border=True,
                       help=f"{days} from the start to the first submittal")
        cols[0].caption(f"start {date(req['start_on'])} → first submittal {date(req['first_sub_on'])}")
    sla_title = f"SLA: {info['sla_first_submittals']} in {info['sla_within_days']} {days}"
    if not info["stage_history"]:
        cols[1].metric(sla_title, "—", border=True)
        cols[1].caption(f"{na}; due {date(req['sla_due_on'])}")
    elif not submittals_known:
        cols[1].metric(sla_title, "—", border=True)
        cols[1].caption(f"{unknown}; it has no SLA deadline")
    else:
        status = sla["status"].iloc[0] if not sla.empty else "not started"
        cols[1].metric(sla_title, status.capitalize(), border=True)
        cols[1].caption(f"due {date(req['sla_due_on'])}; submittal {info['sla_first_submittals']} on "
                        f"{date(req['kth_sub_on'])}")
    if "time_to_fill" in missing:
        cols[2].metric("Time to fill", "—", border=True)
        cols[2].caption(na)
    else:
        cols[2].metric("Time to fill", count(req["ttf_days"]), border=True,
                       help=f"{days} from the start to the first hire")
        cols[2].caption(f"first hire {date(req['first_hire_on'])}")
    # A status that says closed closes the requisition even without a close date.
    closed = (not charts.is_missing(req["closed_on"])
              or is_closed_status(req["status"]))
    outcome = "Filled" if req["hires"] else "Closed, no hire" if closed else "Open"
    cols[3].metric("Outcome", outcome, border=True)
    cols[3].caption(f"opened {date(req['opened_on'])}, assigned {date(req['assigned_on'])}, closed "
                    f"{date(req['closed_on'])}; "
                    + (f"{count_of(req['submittals'], 'submittal')}, " if submittals_known else "")
                    + f"{count_of(req['hires'], 'hire')}; "
                    f"ATS status {req['status'] or '(not set)'}")


PORTFOLIO_KEY = ("Bars: each client's value (green on target, amber within 10% of it, red off target, grey no "
                 "target); diamonds: the client's target.")


def _portfolio_scope(filters) -> str:
    return (f"every client; period {filters.period_text()}; department, recruiter and hiring-manager filters do not "
            "apply; each KPI against the client's own target")


def portfolio_chart(fig, filters) -> None:
    """The portfolio chart, with its downloads; clicking a client's bar opens that client's Overview."""
    event = st.plotly_chart(fig, width="stretch", key="portfolio", on_select="rerun", selection_mode="points")
    points = event["selection"]["points"] if event and "selection" in event else []
    if points and points[0].get("y"):
        dashboard.open_client_overview(html.unescape(points[0]["y"]))  # the chart holds names escaped
    st.caption(PORTFOLIO_KEY + " Click a bar to open that client's Overview.")
    scope = _portfolio_scope(filters)
    downloads(filters, ["portfolio"], lambda: files.chart_table(fig), key="portfolio", fig=fig, client="all_clients",
              context=about(filters, "Chart", files.plain_title(fig), notes=PORTFOLIO_KEY, scope=scope),
              footnote=f"{PORTFOLIO_KEY} Filters: {scope}. Data as of {filters.as_of:%d %b %Y}.")


def portfolio_export(table) -> pd.DataFrame:
    """The portfolio's KPIs as a file holds them: one row per client and KPI, rates as fractions."""
    out = table[["client", "short", "value", "unit", "target", "status", "n"]].rename(columns={"short": "kpi"})
    return out.reset_index(drop=True)


def portfolio_table(table, filters) -> None:
    """Every client's KPIs in one sortable table, with a link into each client's Overview, and its
    CSV and XLSX."""
    if table.empty:
        st.write("No client has data yet.")
        return
    wide = table.pivot(index="client", columns="metric", values="value")
    status = table.pivot(index="client", columns="metric", values="status")
    keys = list(dict.fromkeys(table["metric"]))
    shown = pd.DataFrame({"Client": wide.index})
    config = {}
    for key in keys:
        m = METRICS[key]
        # Rates as whole percentages, as on the KPI cards (the column stays numeric, so it sorts).
        shown[m.short] = pd.to_numeric(wide[key], errors="coerce").values * (100 if m.unit == "rate" else 1)
        config[m.short] = st.column_config.NumberColumn(m.short, format="%.0f%%" if m.unit == "rate" else "%.1f d",
                                                        help=f"{m.title}, against the client's own target")
    # The status in words as well as in colour: a reader need not tell the colours apart.
    shown["Needs attention"] = ["; ".join(f"{STATUS_TEXT[status.at[c, k]][0]} {METRICS[k].short}" for k in keys
                                          if status.at[c, k] in ("off target", "near target")) or "—"
                                for c in wide.index]
    shown["Overview"] = ["./?" + urlencode({**dashboard.period_params("compare"), "client": c}) for c in wide.index]
    config["Overview"] = st.column_config.LinkColumn("Overview", display_text="Open")

    def colours(col):
        if col.name not in [METRICS[k].short for k in keys]:
            return [""] * len(col)
        key = next(k for k in keys if METRICS[k].short == col.name)
        return [STATUS_CSS.get(STATUS_TEXT.get(status.at[c, key], ""), "") for c in shown["Client"]]
    # "Needs attention" is listed under the table, not in a column: beside five KPIs and the link
    # it was cut at 1280 px and 1440 px (the table's data keeps it, for a reader of the element).
    st.dataframe(shown.style.apply(colours), hide_index=True, width="stretch", column_config=config,
                 column_order=[c for c in shown.columns if c != "Needs attention"])
    st.markdown("**Needs attention** (✗ off target, ~ within 10% of the target)  \n" + "  \n".join(
        dashboard.as_text(f"{c}: {text}") for c, text in zip(shown["Client"], shown["Needs attention"])))
    # A blank cell is a KPI the client's data cannot give: said, with why, under the table.
    missing = table[table["status"] == "not available"]
    if not missing.empty:
        st.markdown("**Not available** (" + NOT_AVAILABLE.removeprefix("not available: ") + ")  \n" + "  \n".join(
            dashboard.as_text(f"{c}: {', '.join(rows['short'])}") for c, rows in missing.groupby("client", sort=False)))
    downloads(filters, ["portfolio_kpis"], lambda: portfolio_export(table), key="portfolio-table",
              client="all_clients",
              context=about(filters, "Table", "Every client's KPIs against its own target",
                            scope=_portfolio_scope(filters), n=f"{table['client'].nunique()} clients"))


def awaiting_table(awaiting, filters, info: dict) -> None:
    """The requisitions awaiting a first submittal, under their heading with their number; where the
    client's data has no submittals to tell (`not_available`), the sentence saying so."""
    if "time_to_submit" in info["not_available"]:
        st.subheader("Requisitions awaiting a first submittal")
        not_available("time_to_submit", info, what="The list of requisitions awaiting a first submittal")
        return
    st.subheader(f"Requisitions awaiting a first submittal ({len(awaiting)})")
    requisition_table(awaiting, filters, empty="None: every open requisition has at least one submittal.")


def scope(filters) -> None:
    """The line under a page's title: the filters in words and "data as of"; and, for a client whose
    data cannot give every metric (`metrics.availability`), which ones it cannot give and why."""
    st.caption(dashboard.as_text(f"{filters.describe()} · {dashboard.data_as_of(filters)}"))
    info = dashboard.client_info(filters.client)
    missing, notes = info["not_available"], list(info["notes"].values())
    if missing or notes:
        said = [f"{_titles(missing)} {'is' if len(missing) == 1 else 'are'} {NOT_AVAILABLE}."] if missing else []
        said += [f"{METRICS[m].title}: {note}." for m, note in info["notes"].items()]
        st.warning(" ".join(said) + " " + HISTORY_NEEDED, icon=":material/history_toggle_off:")


# -- scheduled digests ------------------------------------------------------------------------------

HOW_SENDING_HAPPENS = ("**How sending happens:** `python -m exports schedules run`, every few minutes from cron or "
                       "a systemd timer (README, \"Scheduled digests and decks\"), sends each schedule's latest "
                       "occurrence once to each recipient, and tries a failed send again after 5 minutes, then 10, "
                       "20, ... while it is less than a day late.")
COMPARE_WORDS = {"previous": "compared with the previous period", "last_year": "compared with the same period last "
                 "year", "none": "no comparison"}


def utc_now() -> dt.datetime:
    """Now, as the schedules count it (naive UTC)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def local_time(utc: dt.datetime, timezone: str, fmt: str = "%a %d %b %Y %H:%M") -> str:
    """A stored instant (naive UTC) as the client's clock shows it."""
    return f"{utc.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(timezone)):{fmt}}"


def sending_status(smtp, problem: str | None) -> None:
    """Whether scheduled digests go out (`dashboard.sending()`): from which address through which
    server, or why not."""
    if problem:
        st.error(f"**Sending is off:** {dashboard.as_text(problem, keep_code=True)}. Schedules can be made; nothing "
                 "is sent until this is fixed in `.streamlit/secrets.toml` (README, \"Scheduled digests and decks\").",
                 icon=":material/cancel_schedule_send:")
    elif smtp is None:
        st.info("**Sending is off:** no mail server is configured. Schedules can be made, nothing is sent until "
                "`[smtp]` is configured in `.streamlit/secrets.toml` (README, \"Scheduled digests and decks\").",
                icon=":material/cancel_schedule_send:")
    else:
        st.success(f"**Sending is on:** from {dashboard.as_text(smtp.from_address)} through "
                   f"{dashboard.as_text(smtp.host)}, port {smtp.port} ({smtp.security}).",
                   icon=":material/schedule_send:")


def schedule_view(view: dict) -> str:
    """A schedule's filters in words: `Last 30 days; departments Finance, Sales; compared with the
    previous period`."""
    parts = [view.get("period", schedules.DEFAULT_PERIOD)]
    parts += [f"{key.replace('_', ' ')} {', '.join(view[key])}" for key in ("departments", "recruiters",
                                                                            "hiring_managers") if view.get(key)]
    if len(parts) == 1:
        parts.append("every department, recruiter and hiring manager")
    return "; ".join(parts + [COMPARE_WORDS.get(view.get("compare", "previous"), "")])


def _retry(row, plans: dict, now: dt.datetime) -> str:
    """What becomes of a failed send: a run tries only a schedule's latest occurrence again."""
    s = plans.get(row.schedule_id)
    if s is None:
        return "Not tried again: the schedule was deleted"
    if schedules.latest_due(s, now) != row.due_at:
        return "Not tried again: a later occurrence replaced it"
    again = schedules.retry_at(row.updated_at, row.attempts)
    if again - row.due_at > schedules.MAX_LATE:
        return "Not tried again: it would be more than a day late"
    if s.paused:
        return "Tried again once the schedule is resumed"
    return f"Will be tried again from {local_time(again, s.timezone, '%a %d %b %H:%M')}"


STATUS_WORDS = {"sent": "✓ sent", "failed": "✗ failed", "sending": "… being sent"}


def deliveries_table(table: pd.DataFrame, plans: list, timezone: str) -> None:
    """The recent sends (`dashboard.deliveries`) with their status, attempts and times in the
    client's time zone; under them each failure with the server's answer and whether it is tried
    again."""
    if table.empty:
        st.write("Nothing sent yet.")
        return
    shown = pd.DataFrame({
        "Due": [local_time(t, timezone, "%Y-%m-%d %H:%M") for t in table["due_at"]],
        "Schedule": table["schedule_id"],
        "Recipient": table["recipient"],
        "Period": table["period"].fillna(""),
        "Status": [STATUS_WORDS.get(s, s) for s in table["status"]],
        "Attempts": table["attempts"],
        "Last tried": [local_time(t, timezone, "%Y-%m-%d %H:%M") for t in table["updated_at"]],
        "Server's answer": table["answer"].fillna(""),
    })
    st.caption(dashboard.as_text(f"Newest first; times in {timezone}, the client's time zone."))
    # The answer last: a long one is cut here, and said whole under the table.
    st.dataframe(shown, hide_index=True, width="stretch")
    failed = table[table["status"] == "failed"].head(10)
    if not failed.empty:
        by_id, now = {s.schedule_id: s for s in plans}, utc_now()
        st.warning("**Failed sends** (the mail server's answer)" + "".join(
            "\n- " + dashboard.as_text(f"{r.recipient}, schedule {r.schedule_id}, due "
                                        f"{local_time(r.due_at, timezone)}: {r.answer or 'no answer'}. "
                                        f"{_retry(r, by_id, now)}.")
            for r in failed.itertuples()), icon=":material/error:")
