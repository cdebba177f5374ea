"""Benchmark many viewers at once: N browser sessions on one dashboard server, with and without a load.

    python -m benchmarks.concurrency --events 1000000 --sessions 10 [--seconds 120] [--with-load]
        [--load-events 600000] [--think 2] [--baseline-seconds 30] [--db EXISTING.duckdb] [--keep DIR] [--json]

Builds the synthetic client of `benchmarks/run.py` (N stage events; with --db, a copy of that
database instead, so the file given is never changed), starts one dashboard server on it (as the
browser tests do: `tests/browser_support.Server`, `streamlit run app.py`), and drives N concurrent
sessions through one Chromium (Playwright's async API: one browser, a context per session). Each
session opens the Overview, then, for `--seconds`, repeats: a pause (`--think`, uniform between half
and one and a half times it), then one action a user takes, chosen at random (seeded per session):

- half of the actions: another page, by a click on its link in the sidebar's navigation (the client
  pages, Portfolio, Data, Glossary);
- the other half: a filter in the sidebar: the period (a preset other than the current one), the
  departments (one chosen, or the choice cleared) or "Compare with".

A page's time runs from the action (the click) until the page has settled: the script run that the
action started has finished (the `script_finished` message on the session's websocket, read by the
benchmark; Streamlit's status widget only appears after half a second) and the page shows no
running indicator, no stale element and every chart drawn (`browser_support.settled`'s condition,
without its fixed pause). The time until that script run had finished is reported beside it (the
server's part as the browser sees it; the rest is the browser's drawing). After each action the page is checked for errors: an exception box, an
error message, a traceback or "Something went wrong", the "database is being updated" message a
reader gets when it waited for a writer for too long, and an action that did not settle within 120 s.
A screenshot of each is kept in /tmp.

With --with-load, a separate export of `--load-events` stage events (the same generator, another
seed, its ids prefixed with "N" so that it adds to the history, its dates moved to end a month after
the client's latest data) is loaded by the command line, `python -m loaders --db DB ingest DIR
--client "Bench Corp"`: first alone into a copy of the database (no server), then into the served
database `--load-after` seconds after the sessions started. Each session reads the sidebar's
"Latest data" after every action, which tells whether the load's data showed on its first rerun
after the load finished.

Baseline, measured in the same run: one session alone, the same moves for `--baseline-seconds` on a
server of its own (caches empty, as in the main run).

Goals (issue 17, at 1M events on the 2-core development machine): with 10 sessions, p95 page time
at most 3 s and no error; a load started during them finishes within twice its time alone, and its
data shows on each session's next rerun. The browser runs on the same machine as the server and
takes its share of the two cores: the CPU seconds each process used are reported beside the times.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.run import CLIENT, DEPARTMENTS, TimeCol, _build_in_child, generate, log, project_ingest, write_csv

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import browser_support  # noqa: E402  (the tests' helpers: Server, CHROMIUM_ARGS, the settled condition)

PAGE_TITLES = ("Overview", "Time to submit", "Interview conversion", "Deadline adherence", "Time to fill",
               "Hiring-manager responsiveness", "Requisition detail", "Portfolio", "Data", "Glossary")
PERIODS = ("Last 30 days", "Last 90 days", "This quarter", "Last quarter", "Year to date", "All time")
COMPARE = ("Previous period", "Same period last year", "No comparison")
GOAL_P95_S, GOAL_LOAD_RATIO = 3.0, 2.0
SETTLE_TIMEOUT_S = 120
ERROR_DIR = Path("/tmp")
# browser_support.settled's condition, without its fixed pause (the benchmark checks for a
# following run itself).
SETTLED_JS = """() => !document.querySelector('[data-testid="stStatusWidget"]')
    && document.querySelectorAll('[data-stale="true"]').length === 0
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(c => c.querySelector('.main-svg'))"""
PAGE_STATE_JS = """() => {
    const sb = document.querySelector('[data-testid="stSidebar"]');
    const latest = sb ? [...sb.querySelectorAll('p')].map(p => p.innerText).find(t => t.startsWith('Latest data:')) : null;
    const h1 = [...document.querySelectorAll('h1')].map(h => h.innerText.trim());
    const alerts = sel => [...document.querySelectorAll(sel)].map(e => e.innerText.slice(0, 300));
    const body = document.body.innerText;
    return {latest: latest || null, title: h1[0] || null,
            exceptions: alerts('[data-testid="stException"]'), errors: alerts('[data-testid="stAlertContentError"]'),
            warnings: alerts('[data-testid="stAlertContentWarning"]'),
            traceback: body.includes('Traceback'), went_wrong: body.includes('Something went wrong')};
}"""


# ---------------------------------------------------------------------------------------------
# The load's export.

def _prefixed(col: np.ndarray) -> np.ndarray:
    return np.array([None if v is None else "N" + v for v in col.tolist()], dtype=object)


def build_extra(n_events: int, folder: Path, end_day: dt.date) -> dict:
    """A second export of the benchmark client: `n_events` stage events of other requisitions,
    applications and commitments (ids prefixed "N", so it adds to the stored history rather than
    replacing it), every date moved so that its last one falls on `end_day`. Runs in a child."""
    tables = generate(n_events, seed=7)
    last = max(c.values[~np.isnat(c.values)].max() for t in tables.values() for c in t.values()
               if isinstance(c, TimeCol) and (~np.isnat(c.values)).any())
    shift = (np.datetime64(end_day) - last.astype("datetime64[D]")).astype("timedelta64[s]")
    for table in tables.values():
        for name, col in table.items():
            if isinstance(col, TimeCol):
                table[name] = TimeCol(col.values + shift, col.bare)
            elif name.endswith("_id") and col.dtype == object:
                table[name] = _prefixed(col)
    write_csv(tables, folder)
    return {"shift_days": int(shift.astype("timedelta64[D]").astype(int))}


def _in_child(fn, *args):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(fn, args)


@dataclass
class LoadRun:
    seconds: float
    returncode: int
    cpu_s: float
    waited: bool          # the loader said it waited for the database
    output: str


def run_load(db: Path, folder: Path, log_file: Path, cores: set[int] | None = None) -> LoadRun:
    """The command-line load of `folder` into `db`, as a whole process: its wall time and CPU time.
    With `cores`, the process runs on those cores only."""
    with open(log_file, "w") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "loaders", "--db", str(db), "ingest", str(folder),
                                 "--client", CLIENT, "--quiet"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = log_file.read_text(errors="replace")
    return LoadRun(seconds, proc.returncode, usage.ru_utime + usage.ru_stime, "database busy" in text, text)


def _publish(db: Path) -> None:
    """Publish `db` for the dashboard (`store.publish`), as every write through `store.connection`
    leaves a database. A copied file, or one built through a bare connection, is not published, and
    the server's first readers would publish it as the sessions start (waiting for a load then)."""
    import store
    with store.connection(db):
        pass


def _copy_db(src: Path, dst: Path) -> Path:
    """A copy of a database (and its write-ahead log), published."""
    shutil.copy(src, dst)
    wal = src.with_name(src.name + ".wal")
    if wal.exists():
        shutil.copy(wal, dst.with_name(dst.name + ".wal"))
    _publish(dst)
    return dst


def _remove_db(db: Path) -> None:
    """Delete a database of this benchmark, its write-ahead log and its published snapshots."""
    import store
    for p in (db, db.with_name(db.name + ".wal")):
        p.unlink(missing_ok=True)
    shutil.rmtree(store.snapshots_dir(db), ignore_errors=True)


def _latest(db: Path):
    import store
    from metrics import latest_data
    with store.connection(db, read_only=True) as con:
        return latest_data(con, CLIENT)


# ---------------------------------------------------------------------------------------------
# CPU time of the processes this benchmark started (server, browser, loader), from /proc.

_TICK = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command line, CPU seconds so far) of every process."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        out[int(entry)] = (int(fields[1]), cmd, (int(fields[11]) + int(fields[12])) / _TICK)
    return out


class CpuMeter:
    """Samples, every second, the CPU seconds of this process's descendants by kind; a process's
    last sample counts once it has ended."""

    def __init__(self):
        self.seen: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _kind(cmd: str) -> str:
        if "streamlit" in cmd:
            return "server"
        if "chrom" in cmd or "headless_shell" in cmd:
            return "browser"
        if "playwright" in cmd or "node" in cmd.split(" ")[0]:
            return "playwright driver"
        if "loaders" in cmd:
            return "loader"
        return "other"

    def sample(self) -> None:
        procs = _processes()
        mine, frontier = set(), {os.getpid()}
        while frontier:
            frontier = {pid for pid, (ppid, _, _) in procs.items() if ppid in frontier and pid not in mine}
            mine |= frontier
        for pid in mine:
            self.seen[pid] = (self._kind(procs[pid][1]), procs[pid][2])

    def _run(self):
        while not self._stop.wait(1.0):
            self.sample()

    def __enter__(self):
        self.sample()
        self.start = {pid: cpu for pid, (_, cpu) in self.seen.items()}
        self.own_start = time.process_time()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()
        self.own = time.process_time() - self.own_start

    def by_kind(self) -> dict[str, float]:
        out: dict[str, float] = {"benchmark (this process)": round(self.own, 1)}
        for pid, (kind, cpu) in self.seen.items():
            out[kind] = out.get(kind, 0.0) + cpu - self.start.get(pid, 0.0)
        return {k: round(v, 1) for k, v in out.items() if k != "other" or v >= 0.5}


# ---------------------------------------------------------------------------------------------
# Sessions.

@dataclass
class Action:
    session: int
    kind: str              # open, navigate, period, department, compare
    page: str              # the page it happened on (its title after the action)
    started: float         # seconds since the sessions started
    seconds: float | None  # None: did not settle
    runs: int              # script runs it took
    latest: str | None     # the sidebar's "Latest data" after it
    error: str | None = None
    server_s: float | None = None   # from the action until its last script run had finished (the rest is drawing)
    harness: bool = False  # the error was the browser driver's (a click it could not make in time), not the page's


@dataclass
class SessionState:
    page: str = "Overview"
    period: str = "Last 90 days"
    department: str | None = None
    compare: str = "Previous period"
    actions: list = field(default_factory=list)


class RunWatcher:
    """The script runs of one tab, read from the ForwardMsgs on its websocket: how many started
    (`new_session`) and how many ended (`script_finished`, other than one cut short for a rerun)."""

    def __init__(self, page):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        self.ForwardMsg = ForwardMsg
        self.started = self.finished = 0
        self.running = False
        self.finished_at = 0.0
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        if isinstance(payload, str):
            return
        try:
            msg = self.ForwardMsg.FromString(payload)
        except Exception:  # noqa: BLE001 - not a ForwardMsg
            return
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.started += 1
            self.running = True
        elif kind == "script_finished" and msg.script_finished != self.ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            self.finished += 1
            self.running = False
            self.finished_at = time.perf_counter()


async def _settle(page, watcher: RunWatcher, before: int, t0: float) -> tuple[float, int, float]:
    """Wait until a run started after the action (`before` runs had started) has finished and the
    page is drawn; a run that follows within 0.3 s is waited for too. Returns (seconds, runs,
    seconds until the last run had finished)."""
    deadline = t0 + SETTLE_TIMEOUT_S
    while True:
        while watcher.started <= before or watcher.running:
            if time.perf_counter() > deadline:
                raise TimeoutError("the script run did not finish within "
                                   f"{SETTLE_TIMEOUT_S} s" if watcher.started > before else
                                   "the action started no script run")
            await asyncio.sleep(0.02)
        await page.wait_for_function(SETTLED_JS, polling=50, timeout=max(1000, (deadline - time.perf_counter()) * 1000))
        done = time.perf_counter()
        runs = watcher.started
        await asyncio.sleep(0.3)
        if watcher.started == runs and not watcher.running:
            return done - t0, runs - before, watcher.finished_at - t0


async def _choose(page, kind: str, label: str, option: str | None):
    """Open the sidebar's selectbox or multiselect labelled `label` and return what to click to pick
    `option` (None: the multiselect's "Clear all"). That click is the action the caller times."""
    box = page.locator(f'[data-testid="stSidebar"] [data-testid="{kind}"]').filter(has_text=label)
    await box.scroll_into_view_if_needed()
    await page.wait_for_timeout(300)   # a menu opened while the sidebar still scrolls closes again
    if option is None:
        return box.get_by_role("button", name="Clear all")
    await box.click()
    return page.get_by_role("option", name=option, exact=True)


async def _act(page, watcher, state: SessionState, rng: random.Random, action: Action) -> tuple[str, float, int, float]:
    """One user action; returns (kind, seconds, runs, server seconds). Until the timed click, a
    failure is the harness's (`action.harness`)."""
    action.harness = True
    has_filters = await page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text="Period").count()
    if rng.random() < 0.5 or not has_filters:
        title = rng.choice([t for t in PAGE_TITLES if t != state.page])
        action.kind = "navigate"
        link = page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first
        await link.click(trial=True)   # Playwright's own wait until the link can be clicked is not the page's time
        before, t0 = watcher.started, time.perf_counter()
        action.harness = False
        await link.click()
        seconds, runs, server = await _settle(page, watcher, before, t0)
        state.page = title
        return "navigate", seconds, runs, server
    kind = action.kind = rng.choice(("period", "department", "compare"))
    if kind == "period":
        value = rng.choice([p for p in PERIODS if p != state.period])
        target = await _choose(page, "stSelectbox", "Period", value)
    elif kind == "compare":
        value = rng.choice([c for c in COMPARE if c != state.compare])
        target = await _choose(page, "stSelectbox", "Compare with", value)
    else:
        value = None if state.department else rng.choice(DEPARTMENTS)
        target = await _choose(page, "stMultiSelect", "Departments", value)
    await target.click(trial=True)
    before, t0 = watcher.started, time.perf_counter()
    action.harness = False
    await target.click()
    if kind != "department" or value is not None:
        await page.keyboard.press("Escape")
    seconds, runs, server = await _settle(page, watcher, before, t0)
    setattr(state, kind, value)
    return kind, seconds, runs, server


async def _check(page, n: int, action: Action, shots: Path) -> None:
    """Fill in the page's "Latest data" and any error it shows (a screenshot of it goes to `shots`)."""
    s = await page.evaluate(PAGE_STATE_JS)
    action.latest = s["latest"]
    action.page = s["title"] or action.page
    problems = ([f"exception: {t}" for t in s["exceptions"]] + [f"error: {t}" for t in s["errors"]]
                + [f"busy: {t}" for t in s["warnings"] if "being updated" in t]
                + (["traceback"] if s["traceback"] else []) + (["something went wrong"] if s["went_wrong"] else []))
    if problems and not action.error:
        action.error = "; ".join(problems)
    if action.error and action.harness:
        action.error = "harness: " + action.error
    if action.error:
        shots.mkdir(parents=True, exist_ok=True)
        path = shots / f"session{action.session:02d}-action{n:03d}.png"
        try:
            await page.screenshot(path=str(path), full_page=True)
        except Exception:  # noqa: BLE001 - a screenshot is a courtesy
            pass
        log(f"  session {action.session}: {action.kind} on {action.page}: {action.error[:200]} ({path})")


async def session(i: int, browser, url: str, t_start: float, until, think: float, seed: int,
                  shots: Path) -> SessionState:
    """One viewer: opens the Overview, then acts until `until()` says stop."""
    rng = random.Random(seed * 1000 + i)
    state = SessionState()
    ctx = await browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        ctx.set_default_timeout(SETTLE_TIMEOUT_S * 1000)   # a busy browser is slow to click
        page = await ctx.new_page()
        watcher = RunWatcher(page)
        await asyncio.sleep(rng.uniform(0, think))   # viewers do not all arrive in the same instant
        n = 0
        while True:
            t0 = time.perf_counter()
            action = Action(i, "open", state.page, t0 - t_start, None, 0, None)
            try:
                if n == 0:
                    before = watcher.started
                    await page.goto(f"{url}/?client={CLIENT.replace(' ', '+')}", timeout=SETTLE_TIMEOUT_S * 1000)
                    action.seconds, action.runs, action.server_s = await _settle(page, watcher, before, t0)
                else:
                    action.kind, action.seconds, action.runs, action.server_s = await _act(page, watcher, state, rng,
                                                                                        action)
                    action.page = state.page
            except Exception as exc:  # noqa: BLE001 - a timeout or a click that found nothing: an error
                action.error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            try:
                await _check(page, n, action, shots)
            except Exception as exc:  # noqa: BLE001
                action.error = action.error or f"page unreadable: {exc}"
            state.actions.append(action)
            n += 1
            if action.error and n == 1:
                break   # the first page never came: no point in acting on it
            if until():
                break
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
            if until():
                break
    finally:
        await ctx.close()
    return state


async def drive(url: str, n: int, seconds: float, think: float, shots: Path, load=None, seed: int = 1) -> dict:
    """`n` sessions for `seconds` against the server at `url`; `load` (a function started in a thread
    `load_after` seconds in) keeps the sessions going until it has finished and 15 s more."""
    from playwright.async_api import async_playwright
    from exports.files import browser_path

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=browser_path() or "/usr/bin/chromium", headless=True,
                                          args=["--headless", *browser_support.CHROMIUM_ARGS])
        try:
            t_start = time.perf_counter()
            result: dict = {}
            load_task = None
            if load:
                fn, after = load

                async def start_load():
                    await asyncio.sleep(after)
                    result["load_started"] = time.perf_counter() - t_start
                    log(f"  the load starts, {result['load_started']:.1f} s in")
                    run = await asyncio.get_running_loop().run_in_executor(None, fn)
                    result["load_finished"] = time.perf_counter() - t_start
                    log(f"  the load finished after {run.seconds:.1f} s (exit {run.returncode})")
                    return run
                load_task = asyncio.create_task(start_load())

            def until() -> bool:
                now = time.perf_counter() - t_start
                if load_task and not load_task.done():
                    return False
                return now >= max(seconds, result.get("load_finished", 0) + 15)
            states = await asyncio.gather(*(session(i, browser, url, t_start, until, think, seed, shots)
                                            for i in range(n)))
            if load_task:
                result["load"] = await load_task
            result["wall_s"] = time.perf_counter() - t_start
            result["actions"] = [a for s in states for a in s.actions]
            return result
        finally:
            await browser.close()


# ---------------------------------------------------------------------------------------------
# Figures.

def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(np.ceil(q * len(values))) - 1))]


def _stats(actions: list[Action]) -> dict:
    times = [a.seconds for a in actions if a.seconds is not None]
    server = [a.server_s for a in actions if a.server_s is not None]
    return {"n": len(actions), "p50_s": _r(statistics.median(times) if times else None), "p95_s": _r(_pct(times, 0.95)),
            "max_s": _r(max(times) if times else None), "errors": sum(1 for a in actions if a.error and not a.harness),
            "harness_failures": sum(1 for a in actions if a.harness and a.error),
            "run_p50_s": _r(statistics.median(server) if server else None), "run_p95_s": _r(_pct(server, 0.95))}


def _r(v):
    return None if v is None else round(v, 2)


def figures(run: dict, expected_latest: str | None = None) -> dict:
    acts = run["actions"]
    out = {"wall_s": round(run["wall_s"], 1), "all": _stats(acts),
           "after_open": _stats([a for a in acts if a.kind != "open"]),
           "by_kind": {k: _stats([a for a in acts if a.kind == k])
                       for k in ("open", "navigate", "period", "department", "compare") if any(a.kind == k for a in acts)},
           "by_page": {p: _stats([a for a in acts if a.page == p]) for p in sorted({a.page for a in acts})},
           "errors": [{"session": a.session, "kind": a.kind, "page": a.page, "at_s": round(a.started, 1),
                       "error": a.error, "harness": a.harness} for a in acts if a.error]}
    if "load" in run:
        load, started, finished = run["load"], run["load_started"], run["load_finished"]
        during = [a for a in acts if a.started + (a.seconds or 0) >= started and a.started <= finished]
        out["during_load"] = _stats(during)
        out["after_load"] = _stats([a for a in acts if a.started > finished])
        # Each session's first action begun after the load finished: did it show the new data?
        shown = {}
        for a in sorted(acts, key=lambda a: a.started):
            if a.started > finished and a.session not in shown and a.latest is not None:
                shown[a.session] = a.latest == expected_latest
        out["load"] = {"seconds": round(load.seconds, 2), "returncode": load.returncode, "cpu_s": round(load.cpu_s, 1),
                       "waited_for_readers": load.waited, "started_at_s": round(started, 1),
                       "new_data_on_next_rerun": sum(shown.values()), "sessions_checked": len(shown),
                       "expected_latest": expected_latest}
    return out


def _row(label: str, s: dict) -> str:
    def sec(v):
        return "-" if v is None else f"{v:.2f} s"
    return (f"| {label} | {s['n']} | {sec(s['p50_s'])} | {sec(s['p95_s'])} | {sec(s['max_s'])} | "
            f"{sec(s['run_p50_s'])} / {sec(s['run_p95_s'])} | {s['errors']} |")


def report(r: dict) -> str:
    main, base = r["sessions_run"], r.get("baseline")
    pinned = (f"; server and load on core {r['pinned']['server and load']}, browser on {r['pinned']['browser']}"
              if r.get("pinned") else "; server, load and browser sharing every core")
    lines = [f"{r['sessions']} sessions for {r['seconds']} s on {r['events'] or 'an existing database of'} events "
             f"(think time {r['think_s']} s){', with a load' if r['with_load'] else ''}; wall {main['wall_s']} s"
             + pinned,
             "", "| actions | n | p50 | p95 | max | script run done p50 / p95 | errors |", "|---|---|---|---|---|---|---|",
             _row(f"all, {r['sessions']} sessions", main["all"]),
             _row("  all but the first opening of the dashboard", main["after_open"])]
    lines += [_row(f"  {k}", s) for k, s in main["by_kind"].items()]
    if "during_load" in main:
        lines += [_row("  while the load ran", main["during_load"]), _row("  after the load", main["after_load"])]
    if base:
        lines.append(_row("baseline: one session alone", base["all"]))
    lines += ["", "| page | n | p50 | p95 | max | script run done p50 / p95 | errors |", "|---|---|---|---|---|---|---|"]
    lines += [_row(p, s) for p, s in main["by_page"].items()]
    p95, errors = main["all"]["p95_s"], main["all"]["errors"]
    lines += ["", "| goal | measured | |", "|---|---|---|",
              f"| p95 page time <= {GOAL_P95_S:.0f} s | {p95} s | {'met' if p95 is not None and p95 <= GOAL_P95_S else 'NOT MET'} |",
              f"| no error | {errors}" + (f" (and {main['all']['harness_failures']} clicks the busy browser could not make: "
                                          "not the dashboard's)" if main['all']['harness_failures'] else "")
              + f" | {'met' if errors == 0 else 'NOT MET'} |"]
    if "load" in main:
        ld, alone = main["load"], r["load_alone"]
        ratio = ld["seconds"] / alone["seconds"]
        lines += [f"| load during the sessions <= {GOAL_LOAD_RATIO:.0f}x its time alone | {ld['seconds']:.2f} s vs "
                  f"{alone['seconds']:.2f} s alone = {ratio:.2f}x (exit {ld['returncode']}"
                  f"{', waited for readers' if ld['waited_for_readers'] else ''}) | "
                  f"{'met' if ratio <= GOAL_LOAD_RATIO and ld['returncode'] == 0 else 'NOT MET'} |",
                  f"| its data on each session's next rerun ({ld['expected_latest']}) | "
                  f"{ld['new_data_on_next_rerun']} of {ld['sessions_checked']} sessions | "
                  f"{'met' if ld['sessions_checked'] and ld['new_data_on_next_rerun'] == ld['sessions_checked'] else 'NOT MET'} |"]
    lines += ["", "CPU seconds over the run: " + ", ".join(f"{k} {v}" for k, v in r["cpu_s"].items())
              + f" (wall {main['wall_s']} s, 2 cores = {2 * main['wall_s']:.0f} CPU seconds)"]
    if main["errors"]:
        lines += ["", "Errors:"] + [f"- session {e['session']}, {e['kind']} on {e['page']} at {e['at_s']} s: {e['error']}"
                                    for e in main["errors"][:20]]
        lines.append(f"Screenshots: {r['screenshots']}")
    return "\n".join(lines)


@contextmanager
def _server(db: Path, folder: Path, server_cores: set[int] | None, client_cores: set[int] | None):
    """browser_support.Server on `db`; with cores given, the server process runs on `server_cores` and
    this process (and so the browser it starts) on `client_cores`."""
    if server_cores:
        os.sched_setaffinity(0, server_cores)   # the server inherits it
    try:
        with browser_support.Server(db, folder) as server:
            if client_cores:
                os.sched_setaffinity(0, client_cores)
            yield server
    finally:
        if server_cores:
            os.sched_setaffinity(0, server_cores | client_cores)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="stage events of the served client")
    parser.add_argument("--sessions", type=int, default=10, help="concurrent browser sessions")
    parser.add_argument("--seconds", type=float, default=120, help="how long the sessions act")
    parser.add_argument("--think", type=float, default=2.0,
                        help="mean pause between a session's actions, in seconds (uniform in 0.5x-1.5x)")
    parser.add_argument("--with-load", action="store_true", help="load another export during the sessions")
    parser.add_argument("--load-events", type=int, default=600_000, help="stage events of that export")
    parser.add_argument("--load-after", type=float, default=10, help="seconds into the sessions the load starts")
    parser.add_argument("--baseline-seconds", type=float, default=30,
                        help="one session alone for this long first (0: no baseline)")
    parser.add_argument("--db", help="serve a copy of an existing database holding the benchmark client")
    parser.add_argument("--keep", metavar="DIR", help="write the data and databases here and keep them")
    parser.add_argument("--seed", type=int, default=1, help="seed of the sessions' choices")
    parser.add_argument("--pin", action="store_true",
                        help="the server and the load on the first core, the browser on the others (so the "
                             "browser's drawing does not take the server's CPU)")
    parser.add_argument("--json", action="store_true", help="print one JSON line with the figures")
    args = parser.parse_args(argv)

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="recruiting-concurrency-"))
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    server_cores = client_cores = None
    if args.pin:
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) < 2:
            raise SystemExit("--pin needs at least two cores")
        server_cores, client_cores = {cores[0]}, set(cores[1:])
    shots = ERROR_DIR / f"concurrency-errors-{stamp}"
    try:
        db = folder / "served.duckdb"
        _remove_db(db)
        if args.db:
            _copy_db(Path(args.db), db)
        else:
            files = _build_in_child(args.events, folder / "client", False)
            log("loading the benchmark client...")
            project_ingest([files["csv"]], Path(files["settings"]).read_text(encoding="utf-8"), db)
            _publish(db)
        r = {"events": None if args.db else args.events, "sessions": args.sessions, "seconds": args.seconds,
             "think_s": args.think, "with_load": args.with_load, "screenshots": str(shots),
             "pinned": {"server and load": sorted(server_cores), "browser": sorted(client_cores)} if args.pin else None,
             "date": dt.date.today().isoformat()}

        expected_latest = None
        if args.with_load:
            before = _latest(db)
            end_day = min(before + dt.timedelta(days=30), dt.date.today() - dt.timedelta(days=1))
            extra = folder / "extra"
            shutil.rmtree(extra, ignore_errors=True)
            log(f"writing the load's export ({args.load_events:,} stage events, ending {end_day})...")
            r["extra_export"] = _in_child(build_extra, args.load_events, extra, end_day)
            alone_db = _copy_db(db, folder / "alone.duckdb")
            log("the load alone, into a copy of the database...")
            alone = run_load(alone_db, extra, folder / "load-alone.log", server_cores)
            if alone.returncode != 0:
                raise SystemExit(f"the load failed on its own:\n{alone.output[-2000:]}")
            latest_after = _latest(alone_db)
            expected_latest = f"Latest data: {latest_after:%d %b %Y}"
            r["load_alone"] = {"seconds": round(alone.seconds, 2), "cpu_s": round(alone.cpu_s, 1),
                               "latest_before": before.isoformat(), "latest_after": latest_after.isoformat()}
            log(f"  {alone.seconds:.2f} s alone; latest data {before} -> {latest_after}")
            _remove_db(alone_db)

        if args.baseline_seconds > 0:
            log(f"baseline: one session alone for {args.baseline_seconds:.0f} s...")
            base_db = _copy_db(db, folder / "baseline.duckdb")
            (folder / "baseline").mkdir(exist_ok=True)
            with _server(base_db, folder / "baseline", server_cores, client_cores) as server:
                base = asyncio.run(drive(server.url, 1, args.baseline_seconds, args.think, shots, seed=args.seed))
            r["baseline"] = figures(base)
            _remove_db(base_db)

        log(f"{args.sessions} sessions for {args.seconds:.0f} s{' with a load' if args.with_load else ''}...")
        (folder / "server").mkdir(exist_ok=True)
        with _server(db, folder / "server", server_cores, client_cores) as server:
            load = None
            if args.with_load:
                load = (lambda: run_load(db, folder / "extra", folder / "load-during.log", server_cores), args.load_after)
            with CpuMeter() as cpu:
                run = asyncio.run(drive(server.url, args.sessions, args.seconds, args.think, shots, load, args.seed))
            server_log = server.log.read_text(errors="replace")
        r["sessions_run"] = figures(run, expected_latest)
        r["cpu_s"] = cpu.by_kind()
        r["server_log_errors"] = len(re.findall(r" (ERROR|CRITICAL) ", server_log))
        if args.keep:
            (folder / "actions.json").write_text(json.dumps(
                [a.__dict__ for a in run["actions"]] + [{"load": run["load"].__dict__, "started": run["load_started"],
                                                          "finished": run["load_finished"]}] if "load" in run else
                [a.__dict__ for a in run["actions"]], default=str, indent=0))
        if args.json:
            print(json.dumps(r))
        else:
            print(report(r))
            if r["server_log_errors"]:
                print(f"\nThe server logged {r['server_log_errors']} errors: {folder / 'server' / 'streamlit.log'}")
        main_run = r["sessions_run"]
        ok = main_run["all"]["p95_s"] is not None and main_run["all"]["p95_s"] <= GOAL_P95_S \
            and main_run["all"]["errors"] == 0
        if args.with_load:
            ld = main_run["load"]
            ok = ok and ld["returncode"] == 0 and ld["seconds"] <= GOAL_LOAD_RATIO * r["load_alone"]["seconds"] \
                and ld["sessions_checked"] > 0 and ld["new_data_on_next_rerun"] == ld["sessions_checked"]
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
