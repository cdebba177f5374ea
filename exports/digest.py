"""The client digest: a short e-mail a client's TA executive reads in a minute, sent weekly by the
account team (`python -m exports digest`, or a schedule).

    collect(con, filters) -> dict          # one `metrics.Report`: what the digest shows
    render(data, dashboard_url) -> Digest  # subject, HTML (images as cid:), plain text, chart PNGs
    message(digest, to, from_address)      # the MIME message (text, then HTML with inline images)
    build(con, filters, to=..., from_address=...)   # all three (+ the review deck attached)

What it shows: the five KPIs against target and the comparison period, each with the sentence the
review deck's summary says (`Report.kpis`); the deadlines due in the next `UPCOMING_DAYS` days with
nothing delivered; the requisitions awaiting a first submittal and the submittals awaiting the
hiring manager's answer, oldest first; two of the Overview's charts with their footnotes; and links
that open the dashboard on exactly these filters and dates. Every figure is the report's: nothing
is recomputed here. No Streamlit: the command line and the scheduler call the same functions.

Mail clients are narrow and forgetful: one column at most 640 px wide, tables for layout, inline
styles (many clients drop a <style> block; ours holds only the narrow-screen tweaks), at most three
columns a table, and images that shrink with the column.
"""
from __future__ import annotations

import base64
import html
import math
import re
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go

import charts
from exports import deck as review_deck
from exports import files
from exports.mail import MailError, read_secrets
from metrics import (HISTORY_NEEDED, UPCOMING_DAYS, Filters, Report, count_of, days_word, is_missing,
                     last_loaded, target_words, views)

DEFAULT_DASHBOARD_URL = "http://localhost:8501"
# The From of a digest written to a file when no `[smtp]` block names one.
DEFAULT_FROM = "Recruiting dashboard <digest@localhost>"
MAX_ROWS = 10          # rows of a list; the rest are "and N more" on the dashboard
# The width a chart is drawn at (twice the pixels in the PNG). Shown at the column's width, it is
# enlarged a little on a wide screen and stays readable where a phone shrinks it to 380 px.
IMAGE_WIDTH = 460
# The dashboard's pages (app.py's st.navigation: the Overview is its default page, at the root).
PAGES = {"overview": "", "deadlines": "deadlines", "time_to_submit": "time_to_submit",
         "hm_responsiveness": "hm_responsiveness", "requisition": "requisition", "glossary": "glossary"}

FONT = "-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"
TEXT, GREY, RULE, LINK, ACCENT = "#222222", "#5F6368", "#E3E6EA", "#0B5CAD", charts.PALETTE[0]
# A status in words and colour (the colour is a dot: the words carry it for every reader).
STATUS = {"on target": ("✓", charts.MET), "near target": ("~", "#E69F00"), "off target": ("✗", charts.MISSED)}


@dataclass
class Digest:
    """One digest, ready to send: `html` refers to each image of `images` (content-id, PNG bytes,
    alt text) as `cid:<content-id>`. `image_problem` says why charts were left out (for the
    sender's log; the e-mail itself says only that they are on the dashboard)."""
    subject: str
    html: str
    text: str
    images: list[tuple[str, bytes, str]] = field(default_factory=list)
    period: str = ""
    image_problem: str | None = None


# -- reading: one report ---------------------------------------------------------------------------

def collect(con, filters: Filters) -> dict:
    """Everything the digest shows, from one `Report` for `filters`: the Overview's data
    (`views.overview`: KPIs, summary, monthly trends, the requisitions awaiting a first submittal),
    the deadlines due soon and the submittals awaiting the hiring manager's answer."""
    rep = Report(con, filters)
    try:
        client = rep.filters.client
        # The client's settings and what its data can give, as the dashboard's `client_info` holds them.
        info = {**rep.settings, **rep.available, "last_loaded": last_loaded(con, client)}
        return {"filters": rep.filters, "info": info, "overview": views.overview(rep),
                "upcoming": rep.upcoming(), "upcoming_days": UPCOMING_DAYS,
                "awaiting_feedback": rep.awaiting_feedback()}
    finally:
        rep.close()


# -- links into the dashboard ----------------------------------------------------------------------

def view_params(f: Filters) -> dict[str, list[str]]:
    """The dashboard's URL parameters (`dashboard.FILTER_PARAMS`) for exactly this view: the client,
    the requisition filters, the period as a custom one (or all time) and the as-of date, so that a
    link shows the digest's numbers whatever day it is opened."""
    params = {"client": [f.client]}
    for values, param in ((f.departments, "department"), (f.recruiters, "recruiter"), (f.hiring_managers, "hm")):
        if values:
            params[param] = list(values)
    if f.date_from or f.date_to:
        params["period"] = ["Custom"]
        params.update({k: [d.isoformat()] for k, d in (("from", f.date_from), ("to", f.date_to)) if d})
    else:
        params["period"] = ["All time"]
    params["as_of"] = [f.as_of.isoformat()]
    if f.compare != "previous":          # the dashboard's default is left out, as its own URLs do
        params["compare"] = [f.compare]
    return params


def page_url(dashboard_url: str, page: str, f: Filters, **extra: str) -> str:
    """A link to one of the dashboard's `PAGES` on the digest's view (`extra`: `req=ID`)."""
    query = urlencode({**view_params(f), **{k: [v] for k, v in extra.items()}}, doseq=True)
    return f"{dashboard_url.rstrip('/')}/{PAGES[page]}?{query}"


def web_address(url: str, where: str) -> str:
    """`url` as the dashboard's address (no trailing slash); MailError naming `where` when it is not
    an http(s) address."""
    url = str(url).strip()
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
        raise MailError(f"{where} is {url!r}; it must be the dashboard's address, e.g. \"https://metrics.rpo.example\"")
    return url.rstrip("/")


def configured_dashboard_url(secrets=None) -> str:
    """The dashboard's address for the digest's links: `[digest] dashboard_url` of the secrets
    (`exports.mail.read_secrets`), else `DEFAULT_DASHBOARD_URL`. Raises MailError for one that is
    not a web address."""
    secrets = read_secrets() if secrets is None else secrets
    block = secrets.get("digest") or {}
    url = block.get("dashboard_url") if hasattr(block, "get") else None
    if not url:
        return DEFAULT_DASHBOARD_URL
    return web_address(url, "[digest] in .streamlit/secrets.toml: `dashboard_url`")


# -- words -------------------------------------------------------------------------------------------

def _esc(value) -> str:
    return html.escape("" if value is None else str(value))


def _day(value, year: int | None = None) -> str:
    """A date as `23 Nov 2026`; `23 Nov` when it falls in `year` (the as-of date's: a list's dates
    are near it, and a narrow column keeps them on one line)."""
    if is_missing(value):
        return "—"
    day = pd.Timestamp(value)
    return f"{day:%d %b}" if day.year == year else f"{day:%d %b %Y}"


def _text(value) -> str:
    """A stored text cell for a table: a dash when empty."""
    return "—" if is_missing(value) or str(value).strip() == "" else str(value)


def _one_line(text: str) -> str:
    """A header value on one line (a client's name with a line break would end the header)."""
    return " ".join(str(text).split())


def _age(days, day_count: str) -> str:
    """An age in the client's day count: `4 business days`, `1 day`."""
    n = int(days)
    return count_of(n, "business day" if day_count == "business" else "day")


def _due_in(days_left) -> str:
    n = int(days_left)
    return "today" if n == 0 else "tomorrow" if n == 1 else f"in {n} days"


def _status(status: str) -> tuple[str, str | None]:
    """A KPI's status as words with its mark (`✗ off target`) and the mark's colour."""
    mark, colour = STATUS.get(status, ("", None))
    return (f"{mark} {status}" if mark else status), colour


def _period_line(f: Filters) -> str:
    return (f"All time, to {f.as_of:%d %b %Y}" if f.date_from is None and f.date_to is None
            else f"Period {f.period_text()}")


def _comparison_line(f: Filters) -> str:
    if f.previous() is not None:
        return f"Compared with {f.comparison()}"
    return "No comparison period chosen" if f.compare == "none" else "All time: no earlier period to compare with"


def _filter_line(f: Filters) -> str | None:
    parts = [f"{label}: {', '.join(values)}" for label, values in (
        ("Department", f.departments), ("Recruiter", f.recruiters), ("Hiring manager", f.hiring_managers)) if values]
    return "; ".join(parts) or None


def _headline(kpis: list[dict], f: Filters) -> str:
    """How many KPIs with a target are on it (a KPI the data cannot give is not counted), as the
    deck's executive summary says it."""
    on = sum(k["status"] == "on target" for k in kpis)
    with_target = sum(k["target"] is not None and not k["not_available"] for k in kpis)
    if with_target:
        return f"{on} of {count_of(with_target, 'KPI')} with a target {'is' if on == 1 else 'are'} on target"
    if any(k["target"] is not None for k in kpis):
        return f"No KPI with a target is available for {f.client}"
    return f"No targets set for {f.client}"


def _kpi_detail(k: dict, f: Filters) -> list[tuple[str, str | None]]:
    """The line under a KPI's value: its status, target and the comparison period's value, as
    (text, colour of its mark) pieces."""
    if k["not_available"]:
        return []
    pieces = [_status(k["status"])]
    words = target_words(k["target"], k["unit"], k["lower_is_better"])
    if words:
        pieces.append((f"target {words}", None))
    if f.previous() is not None:
        pieces.append((f"{f.comparison_name()}: {charts.fmt_value(k['previous'], k['unit'])}", None))
    return pieces


# -- the lists ---------------------------------------------------------------------------------------

@dataclass
class _List:
    """One list of the digest: its heading, what it holds, its rows as cells, and where the rest is."""
    key: str
    title: str
    intro: str
    header: list[str]
    rows: list[dict]      # {"id", "cells": [(main, detail, url)], "text": str}
    total: int
    page: str
    page_title: str
    empty: str
    unavailable: str | None = None


def _lists(data: dict, f: Filters, url) -> list[_List]:
    """The digest's three lists, each of at most `MAX_ROWS` rows in the report's order."""
    info, ov = data["info"], data["overview"]
    missing, day_count = info["not_available"], info["day_count"]
    days, year = days_word(day_count), f.as_of.year

    def requisition(rid, detail) -> tuple[str, str, str | None]:
        """A requisition cell: its id opening its story on the dashboard (a dash when there is none)."""
        if is_missing(rid) or not str(rid):
            return "—", "no requisition", None
        return str(rid), detail, url("requisition", req=str(rid))

    def row(key, cells, text) -> dict:
        links = [href for _, _, href in cells if href]
        return {"id": key, "cells": cells, "text": text + "".join(f"\n    {href}" for href in links)}

    up, n_days = data["upcoming"], data["upcoming_days"]
    upcoming = []
    for r in files.in_words(up.head(MAX_ROWS)).itertuples():
        kind = r.kind + (f", revised due {_day(r.revised_due_date, year)}" if not is_missing(r.revised_due_date) else "")
        req = requisition(r.requisition_id, _text(r.department))
        recruiter = "" if is_missing(r.recruiter) else f"; recruiter {r.recruiter}"
        upcoming.append(row(r.deadline_id, [
            (_day(r.due_on, year), _due_in(r.days_left), None),
            (_text(r.description), kind + recruiter, None), req],
            f"{_day(r.due_on, year)} ({_due_in(r.days_left)}): {_text(r.description)} ({kind}); requisition {req[0]} "
            f"({req[1]}){recruiter}"))
    note = info["notes"].get("deadline_adherence")
    aw = ov["awaiting"]
    awaiting = [row(r.requisition_id, [
        requisition(r.requisition_id, _text(r.title)),
        (_text(r.department), f"recruiter {_text(r.recruiter)}", None),
        (_age(r.age_days, day_count), f"since {_day(r.start_on, year)}", None)],
        f"{r.requisition_id} {_text(r.title)} ({_text(r.department)}; recruiter {_text(r.recruiter)}): "
        f"{_age(r.age_days, day_count)} since its start on {_day(r.start_on, year)}")
        for r in aw.head(MAX_ROWS).itertuples()]
    fb = data["awaiting_feedback"]
    feedback = [row(r.application_id, [
        (_text(r.hiring_manager), _text(r.department), None),
        requisition(r.requisition_id, _text(r.candidate_id)),
        (_age(r.age_days, day_count), f"since {_day(r.sub_on, year)}", None)],
        f"{_text(r.hiring_manager)}: candidate {_text(r.candidate_id)} on requisition {_text(r.requisition_id)} "
        f"({_text(r.department)}), waiting {_age(r.age_days, day_count)} since {_day(r.sub_on, year)}")
        for r in fb.head(MAX_ROWS).itertuples()]
    return [
        _List("upcoming", f"Deadlines due in the next {n_days} days",
              f"Nothing delivered yet, due from {f.as_of:%d %b %Y} to {n_days} days later, soonest first."
              + (f" {note[0].upper() + note[1:]}." if note else ""),
              ["Due", "What was promised", "Requisition"], upcoming, len(up), "deadlines", "Deadline adherence",
              f"No deadline falls due in the next {n_days} days.",
              f"The upcoming deadlines are {missing['deadline_adherence']}." if "deadline_adherence" in missing
              else None),
        _List("awaiting", "Requisitions awaiting a first submittal",
              f"Open, started, with no candidate submitted yet, oldest first; age in {days} from the start.",
              ["Requisition", "Department", "Waiting"], awaiting, len(aw), "time_to_submit", "Time to submit",
              "None: every open requisition has at least one submittal.",
              f"The list of requisitions awaiting a first submittal is {missing['time_to_submit']}."
              if "time_to_submit" in missing else None),
        _List("awaiting_feedback", "Submittals awaiting the hiring manager's answer",
              f"Submitted in the period with no answer yet, oldest first; age in {days} from the submittal.",
              ["Hiring manager", "Requisition, candidate", "Waiting"], feedback, len(fb), "hm_responsiveness",
              "Hiring-manager responsiveness", "None: every submittal of the period has had an answer.",
              f"The list of submittals awaiting an answer is {missing['hm_feedback_days']}."
              if "hm_feedback_days" in missing else None),
    ]


# -- the charts ----------------------------------------------------------------------------------------

def _charts(data: dict) -> list[dict]:
    """The two Overview charts the digest carries, each with the metrics it shows and their n, its
    page and the footnote the dashboard's chart carries (`widgets.chart`: one caption a metric)."""
    f, info, ov = data["filters"], data["info"], data["overview"]
    summary, kpis = ov["summary"], {k["metric"]: k for k in ov["kpis"]}
    as_of = charts.data_as_of(f.as_of, info["last_loaded"])
    tts, hm, adh = summary["time_to_submit"], summary["hm_feedback_days"], summary["deadline_adherence"]
    chosen = [
        ("we", "Both sides of the hiring speed", "overview",
         lambda: charts.we_scorecard(ov["tts_trend"], ov["hm_trend"], tts, hm, info["targets"]),
         [("time_to_submit", tts["n"]), ("hm_feedback_days", hm["n"])]),
        ("adherence", "Deadlines met, month by month", "deadlines",
         lambda: charts.adherence_by_month(ov["adherence_trend"], kpis["deadline_adherence"]["target"], adh),
         [("deadline_adherence", adh["due"])]),
    ]
    out = []
    for key, title, page, make, shown in chosen:
        missing = [kpis[m]["sentence"] for m, _ in shown if kpis[m]["not_available"]]
        fig = None if missing else make()
        out.append({"key": key, "title": title, "page": page, "fig": fig, "unavailable": missing,
                    "footnote": "\n".join(charts.caption(m, info, f.describe(), n, as_of) for m, n in shown)})
    return out


def _narrow(fig: go.Figure) -> go.Figure:
    """The chart and its footnote as an e-mail's `IMAGE_WIDTH` image draws them: the same figure,
    laid out for a narrow image. The builders' layouts are made for the dashboard's 820 px: at
    about half that, a legend beside the title runs over it, a long title runs off the edge and
    the right-hand axis's title sits on its ticks. Here the legend goes under the title (the top
    margin as tall as the title and the legend's rows need), the title a size smaller, the right
    margin wider."""
    margin, title = fig.layout.margin, fig.layout.title.text or ""
    right = max(margin.r if margin.r is not None else 30, 70)
    plot_px = IMAGE_WIDTH - (margin.l if margin.l is not None else 60) - right
    # A horizontal legend that wraps sets its entries in columns as wide as its widest: about its
    # name's width (8.5 px a letter at 14 px) and its symbol's 50 px.
    names = [t.name for t in fig.data if t.name and t.showlegend is not False]
    widest = max((8.5 * len(n) + 50 for n in names), default=0)
    rows = math.ceil(len(names) / max(1, int(plot_px // widest))) if names else 0
    top = 20 + 22 + (16 if "<br>" in title else 0) + 10 + 23 * rows
    fig = go.Figure(fig).update_layout(
        title=dict(font=dict(size=15), y=1, yref="container", yanchor="top", pad=dict(t=14)),
        legend=dict(orientation="h", x=0, xanchor="left", y=1.02, yanchor="bottom"),
        margin=dict(t=top, r=right))
    return fig


def _render_images(items: list[dict], images: bool) -> str | None:
    """Each chart's PNG (`item["png"]`), drawn as the dashboard's PNG download draws it (at twice
    the pixels, with its footnote), laid out for a narrow image (`_narrow`); returns why none could
    be drawn (None when they were, or were not asked for)."""
    wanted = [c for c in items if c["fig"] is not None]
    if not images or not wanted:
        return None
    problem = files.images_unavailable()
    if problem:
        return problem
    for c in wanted:
        try:
            c["png"] = files.chart_image(_narrow(c["fig"]), "png", width=IMAGE_WIDTH, scale=2, footnote=c["footnote"])
        except files.ImagesUnavailable as exc:
            return str(exc)
    return None


# -- rendering ---------------------------------------------------------------------------------------

def render(data: dict, dashboard_url: str = DEFAULT_DASHBOARD_URL, images: bool = True) -> Digest:
    """The digest of `collect`'s `data` as an e-mail's parts: HTML (charts as `cid:` images) and
    the same content as plain text, with links into the dashboard at `dashboard_url`. Without
    `images`, or where no chart image can be drawn (`files.images_unavailable`), each chart's
    place says where to see it."""
    f, info, ov = data["filters"], data["info"], data["overview"]
    kpis = ov["kpis"]

    def url(page: str, **extra) -> str:
        return page_url(dashboard_url, page, f, **extra)
    as_of = charts.data_as_of(f.as_of, info["last_loaded"])
    headline = _headline(kpis, f)
    lists = _lists(data, f, url)
    chart_items = _charts(data)
    problem = _render_images(chart_items, images)
    pictures = []
    for c in chart_items:
        if "png" in c:
            c["cid"] = f"{c['key']}.{uuid.uuid4().hex[:16]}@digest"
            c["alt"] = files.plain_title(c["fig"])
            pictures.append((c["cid"], c["png"], c["alt"]))
        elif c["fig"] is not None:
            c["left_out"] = ("The chart could not be drawn for this e-mail" if problem
                             else "The chart is left out of this e-mail")
    header = [_period_line(f), _comparison_line(f), *([f"Filters: {_filter_line(f)}"] if _filter_line(f) else []),
              as_of]
    subject = _one_line(f"{f.client}: recruiting digest, {f.period_text() if f.date_from or f.date_to else 'all time'}")
    return Digest(subject=subject, html=_html(f, subject, header, headline, kpis, lists, chart_items, url),
                  text=_plain(f, header, headline, kpis, lists, chart_items, url), images=pictures,
                  period=f.period_text(), image_problem=problem)


def _style(**css) -> str:
    return ";".join(f"{k.replace('_', '-')}:{v}" for k, v in css.items())


P = _style(margin="0 0 4px", font_size="14px", line_height="20px", color=GREY)
H2 = _style(margin="0 0 4px", font_size="17px", line_height="24px", color=TEXT, font_weight="700")
CELL = _style(padding="8px 8px 8px 0", border_top=f"1px solid {RULE}", vertical_align="top", font_size="14px",
              line_height="19px", color=TEXT)
TH = _style(padding="0 8px 4px 0", text_align="left", font_size="12px", line_height="16px", color=GREY,
            font_weight="600", text_transform="uppercase", letter_spacing="0.03em")
SMALL = _style(font_size="13px", line_height="18px", color=GREY)
A = _style(color=LINK, text_decoration="underline")


def _a(href: str, text: str) -> str:
    return f'<a href="{_esc(href)}" style="{A}">{_esc(text)}</a>'


def _section(body: str, top_rule: bool = True) -> str:
    rule = f";border-top:1px solid {RULE}" if top_rule else ""
    return f'<tr><td class="pad" style="padding:20px 24px{rule}">{body}</td></tr>\n'


def _more_link(text: str, href: str) -> str:
    return f'<p style="margin:10px 0 0;font-size:14px;line-height:20px">{_a(href, text)}</p>'


def _html(f, subject, header, headline, kpis, lists, chart_items, url) -> str:
    out = []
    # The first words an inbox shows under the subject.
    out.append(f'<div style="display:none;max-height:0;overflow:hidden;mso-hide:all">{_esc(headline)}. '
               f'{_esc(_period_line(f))}.</div>\n')
    top = (f'<p style="margin:0 0 6px;font-size:12px;line-height:16px;letter-spacing:0.06em;text-transform:uppercase;'
           f'color:{ACCENT};font-weight:700">Recruiting digest</p>'
           f'<h1 style="margin:0 0 8px;font-size:24px;line-height:30px;color:{TEXT}">{_esc(f.client)}</h1>'
           + "".join(f'<p style="{P}">{_esc(line)}</p>' for line in header)
           + f'<p style="margin:12px 0 0;font-size:16px;line-height:22px;color:{TEXT};font-weight:600">'
             f'{_esc(headline)}</p>')
    out.append(_section(top, top_rule=False))

    blocks = []
    for k in kpis:
        value = "Not available" if k["not_available"] else charts.fmt_value(k["value"], k["unit"])
        detail = " · ".join(
            (f'<span style="color:{colour}">{_esc(text[0])}</span>{_esc(text[1:])}' if colour else _esc(text))
            for text, colour in _kpi_detail(k, f))
        blocks.append(
            f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
            f'data-kpi="{k["metric"]}" style="border-collapse:collapse;border-top:1px solid {RULE}">'
            f'<tr><td style="padding:10px 8px 2px 0;font-size:15px;line-height:20px;font-weight:600;color:{TEXT}">'
            f'{_esc(k["title"])}</td>'
            f'<td align="right" style="padding:10px 0 2px;font-size:20px;line-height:24px;font-weight:700;'
            f'color:{TEXT};white-space:nowrap" data-value>{_esc(value)}</td></tr>'
            + (f'<tr><td colspan="2" style="padding:0 0 2px;font-size:13px;line-height:18px;color:{TEXT}">{detail}</td></tr>'
               if detail else "")
            + f'<tr><td colspan="2" style="padding:0 0 10px;{SMALL}" data-sentence>{_esc(k["sentence"])}</td></tr>'
            '</table>')
    history = (f'<p style="margin:8px 0 0;{SMALL}">{_esc(HISTORY_NEEDED)}</p>'
               if any(k["not_available"] for k in kpis) else "")
    out.append(_section(f'<h2 style="{H2};margin-bottom:8px">The five KPIs</h2>' + "".join(blocks) + history
                        + _more_link("Open the Overview", url("overview"))))

    for lst in lists:
        body = f'<h2 style="{H2}">{_esc(lst.title)} ({lst.total})</h2><p style="{P}">{_esc(lst.intro)}</p>'
        if lst.unavailable:
            body += f'<p style="margin:8px 0 0;font-size:14px;line-height:20px;color:{TEXT}">{_esc(lst.unavailable)}</p>'
        elif not lst.rows:
            body += f'<p style="margin:8px 0 0;font-size:14px;line-height:20px;color:{TEXT}">{_esc(lst.empty)}</p>'
        else:
            widths = {"upcoming": ("22%", "50%", "28%"), "awaiting": ("40%", "34%", "26%")}.get(
                lst.key, ("32%", "38%", "30%"))
            head = "".join(f'<th width="{w}" style="{TH}">{_esc(h)}</th>' for h, w in zip(lst.header, widths))
            rows = []
            for row in lst.rows:
                cells = []
                for main, detail, href in row["cells"]:
                    shown = _a(href, main) if href else _esc(main)
                    cells.append(f'<td style="{CELL}"><span style="font-weight:600">{shown}</span>'
                                 + (f'<br><span style="{SMALL}">{_esc(detail)}</span>' if detail else "") + "</td>")
                rows.append(f'<tr data-row="{_esc(row["id"])}">{"".join(cells)}</tr>')
            body += (f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
                     f'data-list="{lst.key}" style="border-collapse:collapse;margin-top:10px;table-layout:fixed;'
                     f'word-wrap:break-word"><tr>{head}</tr>{"".join(rows)}</table>')
        more = lst.total - len(lst.rows)
        link = url(lst.page)
        body += _more_link(f"… and {more} more on the {lst.page_title} page" if more > 0 and not lst.unavailable
                           else f"Open the {lst.page_title} page", link)
        out.append(_section(body))

    for c in chart_items:
        body = f'<h2 style="{H2};margin-bottom:10px">{_esc(c["title"])}</h2>'
        image = ""
        if c["unavailable"]:
            body += "".join(f'<p style="margin:0 0 6px;font-size:14px;line-height:20px;color:{TEXT}">{_esc(s)}</p>'
                            for s in c["unavailable"])
        elif "cid" in c:
            # The image in a row of its own, edge to edge on a phone (`bleed`): it has margins of its own.
            image = (f'<tr><td class="bleed" style="padding:0 24px"><img src="cid:{c["cid"]}" width="{IMAGE_WIDTH}" '
                     f'alt="{_esc(c["alt"])}" style="display:block;width:100%;max-width:100%;height:auto;border:0">'
                     '</td></tr>\n')
        else:
            body += (f'<p style="margin:0 0 6px;font-size:15px;line-height:21px;color:{TEXT};font-weight:600">'
                     f'{_esc(files.plain_title(c["fig"]))}</p>'
                     f'<p style="{P}">{_esc(c["left_out"])}: the dashboard shows it.</p>')
        link = _more_link("Open it on the dashboard", url(c["page"]))
        if image:
            out.append(_section(body).replace("padding:20px 24px", "padding:20px 24px 0") + image
                       + f'<tr><td class="pad" style="padding:0 24px 20px">{link}</td></tr>\n')
        else:
            out.append(_section(body + link))

    pages = " · ".join(_a(url(p), t) for p, t in (
        ("overview", "Overview"), ("deadlines", "Deadline adherence"), ("time_to_submit", "Time to submit"),
        ("hm_responsiveness", "HM responsiveness"), ("glossary", "How each number is computed")))
    out.append(_section(f'<p style="margin:0 0 6px;font-size:14px;line-height:22px;color:{TEXT}">Dashboard: {pages}</p>'
                        f'<p style="{SMALL};margin:0">The links open {_esc(f.client)}’s dashboard on this e-mail’s '
                        f'period and as-of date ({f.as_of:%d %b %Y}), so they show the numbers above.</p>'))
    column = "".join(out)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<title>{_esc(subject)}</title>
<style>
@media only screen and (max-width: 480px) {{
  .pad {{ padding-left: 14px !important; padding-right: 14px !important; }}
  .bleed {{ padding-left: 0 !important; padding-right: 0 !important; }}
}}
</style>
</head>
<body style="margin:0;padding:0;background:#F2F4F7;-webkit-text-size-adjust:100%">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#F2F4F7">
<tr><td align="center" style="padding:16px 8px">
<!--[if mso]><table role="presentation" width="640" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:640px;background:#FFFFFF;border-collapse:collapse;font-family:{FONT};color:{TEXT};border-top:5px solid {ACCENT}">
{column}</table>
<!--[if mso]></td></tr></table><![endif]-->
</td></tr>
</table>
</body>
</html>
"""


def _plain(f, header, headline, kpis, lists, chart_items, url) -> str:
    lines = [f"{f.client}: recruiting digest", *header, "", headline + ".", "", "THE FIVE KPIS"]
    for k in kpis:
        value = "not available" if k["not_available"] else charts.fmt_value(k["value"], k["unit"])
        lines.append(f"* {k['title']}: {value}")
        detail = "; ".join(text for text, _ in _kpi_detail(k, f))
        if detail:
            lines.append(f"  {detail}")
        lines.append(f"  {k['sentence']}")
    if any(k["not_available"] for k in kpis):
        lines.append(HISTORY_NEEDED)
    lines += [f"Overview: {url('overview')}", ""]
    for lst in lists:
        lines.append(f"{lst.title.upper()} ({lst.total})")
        lines.append(lst.intro)
        if lst.unavailable or not lst.rows:
            lines.append(lst.unavailable or lst.empty)
        else:
            lines += [f"* {row['text']}" for row in lst.rows]
        more = lst.total - len(lst.rows)
        lines += [(f"... and {more} more on the {lst.page_title} page: " if more > 0 and not lst.unavailable
                   else f"{lst.page_title}: ") + url(lst.page), ""]
    for c in chart_items:
        lines.append(c["title"].upper())
        if c["unavailable"]:
            lines += c["unavailable"]
        else:
            lines.append(files.plain_title(c["fig"]) + ("" if "cid" in c else " (the chart is on the dashboard)"))
        lines += [f"Chart: {url(c['page'])}", ""]
    lines += [f"How each number is computed: {url('glossary')}",
              f"The links open {f.client}'s dashboard on this e-mail's period and as-of date "
              f"({f.as_of:%d %b %Y}), so they show the numbers above.", ""]
    return "\n".join(lines)


# -- the message -------------------------------------------------------------------------------------

def recipients(to: str) -> list[str]:
    """The addresses in `to` (`ann@acme.example`, `Ann <ann@acme.example>, ben@acme.example`);
    ValueError naming the first that is not an e-mail address."""
    found = getaddresses([to])
    if not found or not str(to).strip():
        raise ValueError("no e-mail address given")
    for name, address in found:
        if not re.fullmatch(r"[^@\s<>,;]+@[^@\s<>,;]+", address):
            raise ValueError(f"{(address or name or to)!r} is not an e-mail address")
    return [address for _, address in found]


def message(digest: Digest, to: str, from_address: str, attachments=()) -> EmailMessage:
    """The digest as one e-mail to `to` (one address, or several separated by commas):
    multipart/alternative of the plain text and a multipart/related of the HTML with its images
    inline (by Content-ID); with `attachments` ((file name, bytes, MIME type), such as the review
    deck), the whole in a multipart/mixed. Raises ValueError for an address that is not one."""
    recipients(to)
    recipients(from_address)
    msg = EmailMessage()
    msg["Subject"] = _one_line(digest.subject)
    msg["From"] = from_address
    msg["To"] = to
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=parseaddr(from_address)[1].rpartition("@")[2] or None)
    msg.set_content(digest.text)
    msg.add_alternative(digest.html, subtype="html")
    html_part = msg.get_payload()[1]
    for cid, png, alt in digest.images:
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", disposition="inline",
                              filename=f"{cid.split('.')[0]}.png")
    for name, data, mime in attachments:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def html_with_images(digest: Digest) -> str:
    """The digest's HTML with each `cid:` image as a `data:` URI: one file a browser opens."""
    out = digest.html
    for cid, png, _ in digest.images:
        out = out.replace(f"cid:{cid}", "data:image/png;base64," + base64.b64encode(png).decode("ascii"))
    return out


def deck_attachment(con, filters: Filters) -> tuple[str, bytes, str]:
    """The review deck for `filters` as an attachment: (file name, .pptx bytes, MIME type)."""
    return review_deck.file_name(filters), review_deck.build(con, filters), review_deck.PPTX_MIME


def build(con, filters: Filters, *, to: str, from_address: str, dashboard_url: str = DEFAULT_DASHBOARD_URL,
          deck: bool = False) -> EmailMessage:
    """The digest for `filters` as an e-mail to `to` (`collect`, `render`, `message`), with the
    review deck for the same filters attached when `deck`."""
    data = collect(con, filters)
    attachments = [deck_attachment(con, data["filters"])] if deck else []
    return message(render(data, dashboard_url), to, from_address, attachments)
