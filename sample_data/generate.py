"""Generate the committed sample data set: three RPO clients, about 18 months of hiring each.

Run ``python sample_data/generate.py``. It writes, next to itself:

* ``clients/<key>.toml``: each client's settings (time zone, day count, SLA, targets, stage words);
* ``northwind/*.csv``, ``acme/acme_export.xlsx`` and ``globex/*.csv``: the import template in three
  shapes (CSV event log, recruiter workbook, CSV interval table) with three date conventions;
* ``README.md``: what is here, row counts, and the file and row of every deliberate data-quality
  problem, so that tests can point at them.

Every random choice comes from the one ``random.Random(42)`` below and nothing reads the clock, so a
second run reproduces every file byte for byte (the workbook included: its timestamps are fixed).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
from openpyxl.writer.excel import ExcelWriter

HERE = Path(__file__).resolve().parent
RNG = random.Random(42)
UTC = dt.timezone.utc

HISTORY_START = dt.date(2025, 5, 15)
HISTORY_END = dt.date(2026, 11, 20)  # the data's "today": nothing is recorded after this date
REQUISITIONS_PER_CLIENT = 200
# The workbook's created/modified properties and zip entry times; fixed so the file is reproducible.
XLSX_TIMESTAMP = dt.datetime(2026, 11, 20, 18, 0)

# Keys of row dicts that are never written: the deliberate problem (or valid oddity) a row carries,
# collected into README.md with the row number it ends up on.
PROBLEM = "_problem"
QUIRK = "_quirk"

STAGE_ORDER = ("applied", "screened", "submitted", "interviewed", "offered", "hired")
TERMINAL = ("hired", "rejected", "withdrawn")
# Chance of moving on to the next stage; the last step (offer -> hire) is decided per requisition.
FUNNEL = (("screened", 0.7), ("submitted", 0.7), ("interviewed", 0.5), ("offered", 0.3))
# Days from the previous event to entering a stage: (min, max, most likely) of a triangular draw.
GAP_DAYS = {
    "screened": (0, 4, 1),
    "submitted": (0, 3, 1),
    "interviewed": (1, 10, 2),
    "offered": (2, 14, 5),
    "hired": (2, 12, 4),
    "rejected": (0, 10, 2),
    "withdrawn": (1, 20, 5),
}
SOURCES = ("LinkedIn", "Job board", "Careers site", "Referral", "Agency")
SOURCE_WEIGHTS = (30, 25, 20, 15, 10)
MISS_REASONS = (
    ("HM on leave", "client"),
    ("Role re-scoped", "client"),
    ("Late intake call", "client"),
    ("Interview slots unavailable", "client"),
    ("Sourcing shortfall", "rpo"),
    ("Candidate dropped out", "rpo"),
    ("Recruiter capacity", "rpo"),
)
UNLINKED_DELIVERABLES = (
    "Monthly pipeline report",
    "Salary benchmark for open roles",
    "Diverse-slate review with TA lead",
    "Careers-site job ad refresh",
    "Quarterly hiring plan workshop",
)

US_FEDERAL_HOLIDAYS = tuple(
    dt.date.fromisoformat(day)
    for day in (
        "2025-01-01", "2025-01-20", "2025-02-17", "2025-05-26", "2025-06-19", "2025-07-04",
        "2025-09-01", "2025-10-13", "2025-11-11", "2025-11-27", "2025-12-25",
        "2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19",
        "2026-07-03",  # Independence Day falls on a Saturday: observed on Friday
        "2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-25",
    )
)
US_FIRST = ("James", "Maria", "Robert", "Linda", "Michael", "Aisha", "David", "Jennifer", "Carlos",
            "Emily", "Daniel", "Priya", "Kevin", "Sarah", "Jamal", "Laura", "Brian", "Mei", "Tyler",
            "Rachel", "Andre", "Olivia", "Luis", "Hannah")
US_LAST = ("Johnson", "Garcia", "Miller", "Nguyen", "Brown", "Patel", "Davis", "Rodriguez",
           "Wilson", "Kim", "Anderson", "Thomas", "Martinez", "Lee", "Jackson", "White", "Lopez",
           "Clark", "Walker", "Young", "Hall", "Allen", "Scott", "Green")
UK_FIRST = ("Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Noah", "Mia", "Jack", "Grace",
            "Leo", "Freya", "Arjun", "Sophie", "Callum", "Niamh", "Thomas", "Zara", "Ewan", "Chloe")
UK_LAST = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Khan", "Thomas",
           "Roberts", "Walker", "Wright", "Hughes", "Edwards", "Patel", "Green", "Hall", "Wood",
           "Murphy", "Campbell")


@dataclass(frozen=True)
class Profile:
    """Everything that makes one client's account, and its export, look like itself."""

    key: str  # file and folder name
    name: str
    timezone: str
    day_count: str
    holidays: tuple[dt.date, ...]
    date_order: str
    sla: tuple[int, int]  # (K first submittals, within N days)
    targets: dict[str, float]
    stage_words: dict[str, str]  # canonical stage -> the client's word for it
    second_interview: str | None  # the word for a further interview round, if the client has one
    unmapped_word: str  # used only by data-quality rows; deliberately not in the dictionary
    departments: dict[str, tuple[str, ...]]  # department -> job titles
    staff: tuple[int, int]  # (recruiters, hiring managers)
    names: tuple[tuple[str, ...], tuple[str, ...]]  # (first names, last names)
    assigned_share: float  # share of requisitions with an assigned_at (the RPO got them later)
    evening_share: float  # share of work events in the local evening
    ids: dict[str, Callable[[int], str | int]]  # how the ATS numbers each kind of record
    commitments: tuple[int, int]  # (promises about a requisition, promises about none)
    # Descriptions of "n submittals" and "n interviews" promises ({s}: plural ending).
    deliverables: tuple[str, str]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_date(self, moment: dt.datetime) -> dt.date:
        """The client's calendar date at a UTC instant."""
        return moment.astimezone(self.tz).date()

    def workday(self, day: dt.date) -> dt.date:
        """`day`, or the next day that is neither a weekend nor one of the client's holidays."""
        while day.weekday() >= 5 or day in self.holidays:
            day += dt.timedelta(days=1)
        return day

    def at(self, day: dt.date, minute: int) -> dt.datetime:
        """The UTC instant of local `day` at `minute` past midnight (random second)."""
        local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60, RNG.randint(0, 59)))
        return local.replace(tzinfo=self.tz).astimezone(UTC)

    def cutoff(self) -> dt.datetime:
        """The end of HISTORY_END in the client's time zone, as a UTC instant."""
        midnight = dt.datetime.combine(HISTORY_END + dt.timedelta(days=1), dt.time())
        return midnight.replace(tzinfo=self.tz).astimezone(UTC)


@dataclass
class Requisition:
    id: str | int
    title: str
    department: str
    hiring_manager: str
    recruiter: str
    opened: dt.date
    assigned: dt.date | None
    openings: int
    closed: dt.date | None = None
    status: str = "Open"

    @property
    def start(self) -> dt.date:
        """When the RPO's clock starts: assigned_at where known, else opened_at."""
        return self.assigned or self.opened


@dataclass
class Event:
    stage: str  # the client's word
    canonical: str | None  # None for a word the client's dictionary does not map
    at: dt.datetime  # UTC
    marks: dict[str, str] = field(default_factory=dict)  # PROBLEM / QUIRK notes for README.md


@dataclass
class Application:
    requisition_id: str | int
    source: str
    applied_at: dt.datetime
    events: list[Event]
    id: str | int | None = None
    candidate_id: str | int | None = None
    candidate_name: str | None = None

    @property
    def status(self) -> str:
        outcomes = (e.canonical for e in reversed(self.events) if e.canonical in TERMINAL)
        return next(outcomes, "active")


@dataclass
class Commitment:
    requisition_id: str | int | None
    description: str
    promised_count: int | None
    made_on: dt.date
    due: dt.date
    delivered: dt.date | None
    revised_due: dt.date | None = None
    revised_on: dt.date | None = None
    side: str = ""
    reason: str = ""
    id: str | None = None


@dataclass
class Table:
    """One file or sheet: template columns and rows of cell values keyed by column."""

    name: str
    columns: list[str]
    rows: list[dict]
    notes: list[str] = field(default_factory=list)  # deliberate problems of the whole file


# --- the clients --------------------------------------------------------------------------------

NORTHWIND = Profile(
    key="northwind",
    name="Northwind Health",
    timezone="UTC",
    day_count="calendar",
    holidays=(),
    date_order="MDY",
    sla=(1, 10),
    targets={"time_to_submit_median": 5, "submit_to_interview": 0.5, "interview_to_offer": 0.35,
             "offer_to_hire": 0.85, "deadline_adherence": 0.9, "time_to_fill_median": 35,
             "hm_feedback_median": 3},
    stage_words={"applied": "Application Review", "screened": "Recruiter Screen",
                 "submitted": "Presented to HM", "interviewed": "Panel Interview",
                 "offered": "Offer", "hired": "Hired", "rejected": "Not Selected",
                 "withdrawn": "Withdrew"},
    second_interview=None,
    unmapped_word="Talent Pool",
    departments={
        "Nursing": ("Registered Nurse", "ICU Nurse", "Charge Nurse", "Nurse Practitioner"),
        "Allied Health": ("Physical Therapist", "Radiology Technologist", "Respiratory Therapist",
                          "Pharmacist"),
        "Patient Services": ("Patient Access Representative", "Medical Receptionist",
                             "Care Coordinator"),
        "IT": ("Systems Analyst", "EHR Specialist", "Help Desk Technician"),
        "Finance": ("Medical Coder", "Billing Specialist", "Financial Analyst"),
    },
    staff=(7, 14),
    names=(US_FIRST, US_LAST),
    assigned_share=0.3,
    evening_share=0.02,
    ids={"requisition": lambda n: f"NW-{1000 + n}", "application": lambda n: f"NWA-{n:05d}",
         "candidate": lambda n: f"NWC-{n:05d}", "commitment": lambda n: f"NW-CMT-{n:02d}"},
    commitments=(5, 1),
    deliverables=("{n} candidate{s} presented to HM", "{n} candidate{s} at panel interview"),
)

ACME = Profile(
    key="acme",
    name="Acme Corp",
    timezone="America/Chicago",
    day_count="business",
    holidays=US_FEDERAL_HOLIDAYS,
    date_order="MDY",
    sla=(2, 5),
    targets={"time_to_submit_median": 3, "submit_to_interview": 0.45, "interview_to_offer": 0.33,
             "offer_to_hire": 0.8, "deadline_adherence": 0.85, "time_to_fill_median": 30,
             "hm_feedback_median": 2},
    stage_words={"applied": "Web Response", "screened": "Internal Screen",
                 "submitted": "Client Submission", "interviewed": "1st Interview",
                 "offered": "Offer Extended", "hired": "Placed", "rejected": "Client Rejected",
                 "withdrawn": "Candidate Not Interested"},
    second_interview="2nd Interview",
    unmapped_word="On Hold",
    departments={
        "Engineering": ("Mechanical Engineer", "Controls Engineer", "Quality Engineer"),
        "Manufacturing": ("Machine Operator", "Production Supervisor", "Maintenance Technician"),
        "Sales": ("Account Executive", "Sales Engineer", "Inside Sales Representative"),
        "Supply Chain": ("Buyer", "Logistics Coordinator", "Demand Planner"),
        "Finance": ("Staff Accountant", "FP&A Analyst"),
        "Human Resources": ("HR Generalist", "Payroll Specialist"),
    },
    staff=(9, 18),
    names=(US_FIRST, US_LAST),
    assigned_share=0.8,
    # Calls after 7 p.m. in Chicago are already the next day in UTC: this is what makes the
    # local date of some events differ from their UTC date.
    evening_share=0.05,
    ids={"requisition": lambda n: 1000 + n, "application": lambda n: 500000 + n,
         "candidate": lambda n: 300000 + n, "commitment": lambda n: f"ACME-{n:03d}"},
    commitments=(20, 2),
    deliverables=("{n} client submission{s}", "{n} candidate{s} to 1st interview"),
)

GLOBEX = Profile(
    key="globex",
    name="Globex UK",
    timezone="Europe/London",
    day_count="calendar",
    holidays=(),
    date_order="DMY",
    sla=(1, 10),
    targets={"time_to_submit_median": 6, "submit_to_interview": 0.5, "interview_to_offer": 0.3,
             "offer_to_hire": 0.8, "deadline_adherence": 0.9, "time_to_fill_median": 40,
             "hm_feedback_median": 4},
    stage_words={"applied": "Applied", "screened": "Telephone Screen", "submitted": "CV Sent",
                 "interviewed": "First Interview", "offered": "Offer Made", "hired": "Hired",
                 "rejected": "Unsuccessful", "withdrawn": "Withdrawn"},
    second_interview="Final Interview",
    unmapped_word="Talent Pool",
    departments={
        "Technology": ("Software Engineer", "Data Analyst", "DevOps Engineer", "Product Manager"),
        "Operations": ("Operations Analyst", "Customer Service Advisor", "Team Leader"),
        "Marketing": ("Digital Marketing Executive", "Brand Manager", "Content Designer"),
        "Finance": ("Management Accountant", "Credit Controller", "Payroll Officer"),
    },
    staff=(6, 12),
    names=(UK_FIRST, UK_LAST),
    assigned_share=0.5,
    evening_share=0.02,
    ids={"requisition": lambda n: f"GX-{1000 + n}", "application": lambda n: f"GXA-{n:05d}",
         "candidate": lambda n: f"GXC-{n:05d}", "commitment": lambda n: f"CMT-{n:04d}"},
    commitments=(140, 9),
    deliverables=("{n} CV{s} sent to hiring manager", "{n} candidate{s} at first interview"),
)


# --- hiring history -----------------------------------------------------------------------------

def simulate(p: Profile) -> tuple[list[Requisition], list[Application]]:
    """The client's requisitions and applications, with stage histories, up to HISTORY_END."""
    recruiters, managers = make_staff(p)
    span = (HISTORY_END - HISTORY_START).days
    opened_days = sorted(HISTORY_START + dt.timedelta(days=RNG.randint(0, span))
                         for _ in range(REQUISITIONS_PER_CLIENT))
    requisitions, applications = [], []
    for number, opened in enumerate(opened_days, start=1):
        opened = p.workday(opened)
        department = RNG.choice(list(p.departments))
        assigned = None
        if RNG.random() < p.assigned_share:
            assigned = p.workday(opened + dt.timedelta(days=RNG.randint(1, 5)))
        req = Requisition(
            id=p.ids["requisition"](number),
            title=RNG.choice(p.departments[department]),
            department=department,
            hiring_manager=RNG.choice(managers[department]),
            recruiter=RNG.choice(recruiters),
            opened=opened,
            assigned=assigned if assigned and assigned <= HISTORY_END else None,
            openings=RNG.choices((1, 2, 3), weights=(88, 10, 2))[0],
        )
        cancelled = RNG.random() < 0.06
        pipeline = [make_application(p, req, goal) for goal in pipeline_goals(req, cancelled)]
        requisitions.append(req)
        applications.extend(close_requisition(p, req, pipeline, cancelled))
    number_applications(p, applications)
    return requisitions, applications


def make_staff(p: Profile) -> tuple[list[str], dict[str, list[str]]]:
    """Recruiters, and hiring managers spread evenly over the departments (all distinct names)."""
    recruiter_count, manager_count = p.staff
    first, last = p.names
    names = [f"{f} {l}" for f, l in RNG.sample([(f, l) for f in first for l in last],
                                                recruiter_count + manager_count)]
    departments = list(p.departments)
    managers: dict[str, list[str]] = {d: [] for d in departments}
    for i, name in enumerate(names[recruiter_count:]):
        managers[departments[i % len(departments)]].append(name)
    return names[:recruiter_count], managers


def pipeline_goals(req: Requisition, cancelled: bool) -> list[str]:
    """The furthest stage each applicant to `req` will reach (before any closing cut-off).

    Most applicants fall out early; a requisition that is not cancelled ends with one hire per
    opening, so when the random funnel produced too few offers the furthest applicants get one.
    """
    goals = []
    for _ in range(RNG.randint(8, 20)):
        stage = "applied"
        for next_stage, chance in FUNNEL:
            if RNG.random() >= chance:
                break
            stage = next_stage
        goals.append(stage)
    if not cancelled:
        furthest = sorted(range(len(goals)), key=lambda i: STAGE_ORDER.index(goals[i]),
                          reverse=True)
        for i in furthest[:req.openings]:
            goals[i] = "offered"
        offered = [i for i, goal in enumerate(goals) if goal == "offered"]
        for i in RNG.sample(offered, req.openings):
            goals[i] = "hired"
    return goals


def make_application(p: Profile, req: Requisition, goal: str) -> Application:
    """One applicant's history: applied, the stages up to `goal`, then an outcome."""
    source = RNG.choices(SOURCES, weights=SOURCE_WEIGHTS)[0]
    # Candidates apply at any hour, weekends included, mostly in the first weeks of the opening.
    applied_day = req.start + dt.timedelta(days=round(RNG.triangular(0, 28, 1)))
    applied_at = p.at(applied_day, RNG.randint(0, 24 * 60 - 1))
    events = [Event(p.stage_words["applied"], "applied", applied_at)]
    for canonical, word in stage_path(p, goal, source):
        events.append(Event(word, canonical, work_time(p, events[-1].at, GAP_DAYS[canonical])))
    if goal != "hired":
        if goal == "offered":  # an offer not turned into a hire was mostly declined
            outcome = "withdrawn" if RNG.random() < 0.75 else "rejected"
        else:
            outcome = "withdrawn" if RNG.random() < 0.12 else "rejected"
        events.append(Event(p.stage_words[outcome], outcome,
                            work_time(p, events[-1].at, GAP_DAYS[outcome])))
    return Application(req.id, source, applied_at, events)


def stage_path(p: Profile, goal: str, source: str) -> list[tuple[str, str]]:
    """The (canonical stage, client word) steps after `applied` up to `goal`.

    Real histories are not tidy, and the metrics must cope: some applicants skip stages (a hiring
    manager's own pick goes straight to interview; referrals and agency candidates are presented
    without a screen), some clients interview twice, and a few applicants go back to an earlier
    stage and forward again (re-entered stages count once for "reached").
    """
    reached = STAGE_ORDER.index(goal)
    stages = list(STAGE_ORDER[1:reached + 1])
    if reached >= STAGE_ORDER.index("interviewed") and RNG.random() < 0.04:
        stages.remove("screened")
        stages.remove("submitted")
    elif reached >= STAGE_ORDER.index("submitted") and source in ("Referral", "Agency") \
            and RNG.random() < 0.3:
        stages.remove("screened")
    path = [(stage, p.stage_words[stage]) for stage in stages]
    later_interview = p.second_interview or p.stage_words["interviewed"]
    if p.second_interview and "interviewed" in stages \
            and (goal != "interviewed" or RNG.random() < 0.4):
        i = stages.index("interviewed")
        path.insert(i + 1, ("interviewed", p.second_interview))
    if "offered" in stages and RNG.random() < 0.04:
        # The offer is reworked after one more conversation: offered, interviewed, offered again.
        i = [stage for stage, _ in path].index("offered")
        path[i + 1:i + 1] = [("interviewed", later_interview),
                             ("offered", p.stage_words["offered"])]
    elif "screened" in stages and "submitted" in stages and RNG.random() < 0.015:
        # The hiring manager sends the candidate back for another screen, then takes them again.
        i = [stage for stage, _ in path].index("submitted")
        path[i + 1:i + 1] = [("screened", p.stage_words["screened"]),
                             ("submitted", p.stage_words["submitted"])]
    return path


def work_time(p: Profile, after: dt.datetime, gap: tuple[int, int, int]) -> dt.datetime:
    """A moment in the client's working hours about `gap` days after `after`.

    Recruiters and hiring managers act on working days, in office hours or, now and then, in the
    evening; the result is always later than `after`.
    """
    low, high, mode = gap
    delay = dt.timedelta(days=round(RNG.triangular(low, high, mode)))
    day = p.workday(p.local_date(after) + delay)
    if RNG.random() < p.evening_share:
        minute = RNG.randint(19 * 60, 23 * 60 - 1)
    else:
        minute = RNG.randint(8 * 60, 18 * 60)
    moment = p.at(day, minute)
    # A same-day draw can fall before `after`: then it happens a little after it instead.
    return moment if moment > after else after + dt.timedelta(minutes=RNG.randint(20, 240))


def close_requisition(p: Profile, req: Requisition, pipeline: list[Application],
                      cancelled: bool) -> list[Application]:
    """Set the requisition's status and closed_at and cut the histories there.

    A filled requisition closes a few days after its last hire, a cancelled one some weeks after
    it started; closing rejects everyone still in process. A requisition whose close would fall
    after HISTORY_END is still open: its histories simply stop at the end of the data.
    """
    hires = [e.at for a in pipeline for e in a.events if e.canonical == "hired"]
    if cancelled:
        close_day = p.workday(req.start + dt.timedelta(days=RNG.randint(20, 80)))
    else:
        close_day = p.workday(p.local_date(max(hires)) + dt.timedelta(days=RNG.randint(0, 3)))
    if close_day > HISTORY_END:
        return cut_histories(p, pipeline, p.cutoff(), closing_outcome=None)
    req.closed, req.status = close_day, ("Cancelled" if cancelled else "Filled")
    closing = max([p.at(close_day, 17 * 60), *hires])
    return cut_histories(p, pipeline, closing, closing_outcome="rejected")


def cut_histories(p: Profile, pipeline: list[Application], moment: dt.datetime,
                  closing_outcome: str | None) -> list[Application]:
    """Drop what happens after `moment`; applicants still in process then get `closing_outcome`.

    Applications made after `moment` never happened and are left out.
    """
    kept = []
    for app in pipeline:
        if app.applied_at > moment:
            continue
        app.events = [e for e in app.events if e.at <= moment]
        if closing_outcome and app.status == "active":
            app.events.append(Event(p.stage_words[closing_outcome], closing_outcome,
                                    moment + dt.timedelta(minutes=RNG.randint(5, 120))))
        kept.append(app)
    return kept


def number_applications(p: Profile, applications: list[Application]) -> None:
    """Give ids in the order people applied, as an ATS does; some candidates apply twice."""
    applications.sort(key=lambda a: a.applied_at)
    first, last = p.names
    candidates: list[tuple[str | int, str, list]] = []  # (id, name, requisitions applied to)
    for number, app in enumerate(applications, start=1):
        app.id = p.ids["application"](number)
        returning = RNG.choice(candidates) if candidates and RNG.random() < 0.08 else None
        if returning is None or app.requisition_id in returning[2]:
            returning = (p.ids["candidate"](len(candidates) + 1),
                         f"{RNG.choice(first)} {RNG.choice(last)}", [])
            candidates.append(returning)
        app.candidate_id, app.candidate_name = returning[0], returning[1]
        returning[2].append(app.requisition_id)


# --- commitments --------------------------------------------------------------------------------

def plan_commitments(p: Profile, requisitions: list[Requisition],
                     applications: list[Application]) -> list[Commitment]:
    """The promises in the client's tracker, delivered when the data says they were.

    A promise of "n submittals" (or "n interviews") by a due date is delivered on the local date
    the n-th applicant on the requisition reached that stage, so the tracker agrees with the
    stage history. Promises about no requisition (reports, workshops) are delivered at random.
    """
    linked_count, unlinked_count = p.commitments
    by_requisition: dict[str | int, list[Application]] = {}
    for app in applications:
        by_requisition.setdefault(app.requisition_id, []).append(app)
    # A live tracker ends with promises for the coming weeks: first submittals or first interviews
    # on requisitions still open, due after the data ends and not delivered yet (pending).
    still_open = [r for r in requisitions if r.status == "Open"
                  and not reached_dates(p, by_requisition.get(r.id, []), "interviewed")]
    still_open = still_open[:linked_count // 10]
    commitments = []
    for req in still_open:
        if reached_dates(p, by_requisition.get(req.id, []), "submitted"):
            stage, count = "interviewed", RNG.randint(1, 2)
        else:
            stage, count = "submitted", RNG.randint(2, 3)
        made_on = max(req.start, HISTORY_END - dt.timedelta(days=RNG.randint(3, 10)))
        due = p.workday(HISTORY_END + dt.timedelta(days=RNG.randint(3, 21)))
        commitments.append(Commitment(req.id, describe(p, stage, count), count, made_on, due,
                                      delivered=None))
    for req in RNG.sample([r for r in requisitions if r not in still_open],
                          linked_count - len(still_open)):
        stage, lead = ("interviewed", (18, 30)) if RNG.random() < 0.3 else ("submitted", (7, 14))
        count = RNG.randint(1, 2) if stage == "interviewed" else RNG.randint(2, 3)
        due = p.workday(req.start + dt.timedelta(days=RNG.randint(*lead)))
        reached = reached_dates(p, by_requisition.get(req.id, []), stage)
        delivered = reached[count - 1] if len(reached) >= count else None
        commitments.append(Commitment(req.id, describe(p, stage, count), count, req.start, due,
                                      delivered))
    span = (HISTORY_END - HISTORY_START).days
    for _ in range(unlinked_count):
        due = p.workday(HISTORY_START + dt.timedelta(days=RNG.randint(30, span + 40)))
        roll = RNG.random()
        if due > HISTORY_END or roll >= 0.9:
            delivered = None
        elif roll < 0.7:
            delivered = due - dt.timedelta(days=RNG.randint(0, 3))
        else:
            delivered = min(due + dt.timedelta(days=RNG.randint(1, 10)), HISTORY_END)
        commitments.append(Commitment(None, RNG.choice(UNLINKED_DELIVERABLES), None,
                                      due - dt.timedelta(days=14), due, delivered))
    for commitment in commitments:
        add_slippage(p, commitment)
    commitments.sort(key=lambda c: (c.made_on, c.due))
    for number, commitment in enumerate(commitments, start=1):
        commitment.id = p.ids["commitment"](number)
    return commitments


def describe(p: Profile, stage: str, count: int) -> str:
    """The tracker's wording of a promise of `count` applicants reaching `stage`."""
    template = p.deliverables[0] if stage == "submitted" else p.deliverables[1]
    return template.format(n=count, s="" if count == 1 else "s")


def reached_dates(p: Profile, applications: list[Application], stage: str) -> list[dt.date]:
    """Sorted local dates on which each application first reached `stage` or a later stage."""
    rank = STAGE_ORDER.index(stage)
    dates = []
    for app in applications:
        times = [e.at for e in app.events
                 if e.canonical in STAGE_ORDER and STAGE_ORDER.index(e.canonical) >= rank]
        if times:
            dates.append(p.local_date(min(times)))
    return sorted(dates)


def add_slippage(p: Profile, c: Commitment) -> None:
    """Give a missed (or some pending) promise its reason, side and, often, a revised due date.

    Revisions are told either before the original due date (the good practice) or after it, and
    sometimes the tracker holds a new date but not when it was agreed.
    """
    missed = c.delivered > c.due if c.delivered else c.due <= HISTORY_END
    pending = c.delivered is None and c.due > HISTORY_END
    if not (missed or (pending and RNG.random() < 0.4)):
        return
    c.reason, c.side = RNG.choice(MISS_REASONS)
    if RNG.random() < 0.1:
        c.side = ""  # the tracker does not always say whose miss it was
    if missed and RNG.random() >= 0.75:
        return
    c.revised_due = p.workday(c.due + dt.timedelta(days=RNG.randint(3, 14)))
    # The revision is agreed before the delivery, or in the last days of the data if none yet.
    if c.delivered:
        latest = min(HISTORY_END, c.delivered - dt.timedelta(days=1))
    else:
        latest = HISTORY_END - dt.timedelta(days=RNG.randint(0, 3))
    when = RNG.choices(("before", "after", "unrecorded"), weights=(55, 25, 20))[0]
    if when == "before":
        c.revised_on = min(c.due - dt.timedelta(days=RNG.randint(1, 4)), latest)
    elif when == "after" and c.due + dt.timedelta(days=1) <= latest:
        c.revised_on = min(c.due + dt.timedelta(days=RNG.randint(1, 5)), latest)


# --- deliberate data-quality problems in the histories ------------------------------------------

def spoil_histories(p: Profile, applications: list[Application], unmapped: int) -> None:
    """Insert `unmapped` events with a stage word the dictionary lacks, and make one history run
    out of order (its interview entered before its submittal)."""
    for app in RNG.sample([a for a in applications if len(a.events) >= 3], unmapped):
        i = RNG.randrange(1, len(app.events))
        before, after = app.events[i - 1].at, app.events[i].at
        event = Event(p.unmapped_word, None, (before + (after - before) / 2).replace(microsecond=0))
        note(event.marks, f"stage {p.unmapped_word!r} is not in the client's dictionary (unmapped)")
        app.events.insert(i, event)
    swappable = [(app, i) for app in applications for i in range(len(app.events) - 1)
                 if app.events[i].canonical == "submitted"
                 and app.events[i + 1].canonical == "interviewed"
                 and not any(e.marks for e in app.events)]
    app, i = RNG.choice(swappable)
    submittal, interview = app.events[i], app.events[i + 1]
    submittal.at, interview.at = interview.at, submittal.at
    note(interview.marks, f"out of order: {interview.stage!r} entered before {submittal.stage!r}")
    note(submittal.marks, f"out of order: {submittal.stage!r} entered after {interview.stage!r}")


def note(marks: dict, text: str, key: str = PROBLEM) -> None:
    """Add `text` to a row's (or event's) notes under `key`."""
    marks[key] = f"{marks[key]}; {text}" if key in marks else text


def pick(rows: list[dict], test: Callable[[dict], bool]) -> int:
    """A random row index among the rows that pass `test` and carry no problem yet."""
    return RNG.choice([i for i, row in enumerate(rows) if PROBLEM not in row and test(row)])


def duplicate_row(rows: list[dict], i: int, text: str) -> None:
    """Insert an exact copy of row `i` right after it (a double export)."""
    rows.insert(i + 1, {**rows[i], PROBLEM: text})


def orphan_event(p: Profile, rows: list[dict], text: str) -> None:
    """Insert, after a random applied event, a copy of it for an application that does not exist."""
    i = pick(rows, lambda r: r["stage"] == p.stage_words["applied"])
    rows.insert(i + 1, {**rows[i], "application_id": p.ids["application"](99999), PROBLEM: text})


def spoil_screen_event(p: Profile, applications: list[Application], rows: list[dict], column: str,
                       value: str | None, text: str) -> None:
    """Overwrite `column` of a screen event with `value`.

    The application chosen later got further than the screen, so losing the row changes no metric:
    it only has to be reported.
    """
    progressed = {a.id for a in applications
                  if any(e.canonical in STAGE_ORDER[2:] for e in a.events)}
    i = pick(rows, lambda r: r["stage"] == p.stage_words["screened"]
             and r["application_id"] in progressed and QUIRK not in r)
    rows[i][column] = value
    note(rows[i], text)


# --- rows in the import template ----------------------------------------------------------------

def build_tables(p: Profile, requisitions: list[Requisition], applications: list[Application],
                 commitments: list[Commitment], date_cell: Callable, time_cell: Callable, *,
                 client_column: bool, exit_times: bool,
                 events_by_application: bool) -> dict[str, Table]:
    """The four template tables, with dates and times written by `date_cell` / `time_cell`."""
    client = ["client"] if client_column else []
    base = {"client": p.name} if client_column else {}
    requisition_table = Table("requisitions", client + [
        "requisition_id", "title", "department", "hiring_manager", "recruiter", "opened_at",
        "assigned_at", "closed_at", "status", "openings"], [
        {**base, "requisition_id": r.id, "title": r.title, "department": r.department,
         "hiring_manager": r.hiring_manager, "recruiter": r.recruiter,
         "opened_at": date_cell(r.opened), "assigned_at": date_cell(r.assigned),
         "closed_at": date_cell(r.closed), "status": r.status, "openings": r.openings}
        for r in requisitions])
    application_table = Table("applications", client + [
        "application_id", "requisition_id", "candidate_id", "source", "applied_at", "status"], [
        {**base, "application_id": a.id, "requisition_id": a.requisition_id,
         "candidate_id": a.candidate_id, "source": a.source, "applied_at": time_cell(a.applied_at),
         "status": a.status}
        for a in applications])
    history = []  # (sort key, application, event, when it was left)
    for app in applications:
        events = sorted(app.events, key=lambda e: e.at)
        for event, following in zip(events, events[1:] + [None]):
            left = following.at if following and event.canonical not in TERMINAL else None
            key = (app.id, event.at) if events_by_application else (event.at, app.id)
            history.append((key, app, event, left))
    history.sort(key=lambda item: item[0])
    event_table = Table("stage_events", client + ["application_id", "stage", "entered_at"]
                        + (["exited_at"] if exit_times else []), [
        {**base, "application_id": app.id, "stage": event.stage, "entered_at": time_cell(event.at),
         **({"exited_at": time_cell(left) if left else None} if exit_times else {}), **event.marks}
        for _, app, event, left in history])
    commitment_table = Table("commitments", client + [
        "commitment_id", "requisition_id", "description", "promised_count", "due_date",
        "revised_due_date", "revised_on", "delivered_on", "side", "reason"], [
        {**base, "commitment_id": c.id, "requisition_id": c.requisition_id,
         "description": c.description, "promised_count": c.promised_count,
         "due_date": date_cell(c.due), "revised_due_date": date_cell(c.revised_due),
         "revised_on": date_cell(c.revised_on), "delivered_on": date_cell(c.delivered),
         "side": c.side, "reason": c.reason}
        for c in commitments])
    tables = (requisition_table, application_table, event_table, commitment_table)
    return {table.name: table for table in tables}


def write_csv(path: Path, table: Table, headers: dict[str, str] | None = None) -> None:
    """Write `table` as UTF-8 CSV with "\\n" line ends; `headers` renames columns in the header."""
    headers = headers or {}
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([headers.get(column, column) for column in table.columns])
        for row in table.rows:
            writer.writerow(["" if row.get(column) is None else row[column]
                             for column in table.columns])


def write_workbook(path: Path, tables: list[Table]) -> None:
    """Write one sheet per table, dates as real date cells shown the American way."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    workbook.properties.creator = "sample_data/generate.py"
    workbook.properties.created = workbook.properties.modified = XLSX_TIMESTAMP
    for table in tables:
        sheet = workbook.create_sheet(table.name)
        sheet.append(table.columns)
        for row in table.rows:
            sheet.append([row.get(column) for column in table.columns])
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = "m/d/yyyy h:mm"
                elif isinstance(cell.value, dt.date):
                    cell.number_format = "m/d/yyyy"
    # Workbook.save() stamps the current time into docProps and into every zip entry; write with
    # the fixed properties above, then re-pack with fixed entry times, so reruns are identical.
    buffer = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=XLSX_TIMESTAMP.timetuple()[:6])
            entry.external_attr = info.external_attr
            target.writestr(entry, source.read(info), compress_type=zipfile.ZIP_DEFLATED)


# --- one writer per client: its export's shape, its date forms, its problems ---------------------

def export_northwind(p: Profile, requisitions: list[Requisition], applications: list[Application],
                     commitments: list[Commitment]) -> dict[str, Table]:
    """Northwind: a CSV event log from a Greenhouse-like ATS; ISO-8601 UTC times, bare dates."""
    def iso_time(moment: dt.datetime) -> str:
        millis = ".000" if RNG.random() < 0.3 else ""  # the export mixes both forms
        return moment.strftime(f"%Y-%m-%dT%H:%M:%S{millis}Z")

    spoil_histories(p, applications, unmapped=2)
    tables = build_tables(p, requisitions, applications, commitments,
                          lambda day: day.isoformat() if day else None, iso_time,
                          client_column=True, exit_times=False, events_by_application=False)
    applications_table = tables["applications"]
    applications_table.columns.insert(applications_table.columns.index("source"), "candidate_name")
    for row, app in zip(applications_table.rows, applications):
        row["candidate_name"] = app.candidate_name
    applications_table.notes.append("column `candidate_name` holds personal data (invented names): "
                                    "the loader must drop it and report the drop")

    events = tables["stage_events"].rows
    spoil_screen_event(p, applications, events, "entered_at", None, "required entered_at is empty")
    duplicate_row(events, pick(events, lambda r: True), "exact duplicate of the row above")
    orphan_event(p, events, "application_id not in applications.csv")

    commitment_rows = tables["commitments"].rows
    i = pick(commitment_rows, lambda r: r["requisition_id"] is not None)
    commitment_rows[i]["due_date"] = "next week"
    note(commitment_rows[i], "due_date 'next week' is not a date")

    folder = HERE / p.key
    folder.mkdir(exist_ok=True)
    # Header spelling varies in this one file to show that headers are trimmed and case-insensitive.
    write_csv(folder / "requisitions.csv", tables["requisitions"],
              headers={"requisition_id": " Requisition_ID", "opened_at": "Opened_At "})
    for name in ("applications", "stage_events", "commitments"):
        write_csv(folder / f"{name}.csv", tables[name])
    return {f"northwind/{name}.csv": table for name, table in tables.items()}


def export_acme(p: Profile, requisitions: list[Requisition], applications: list[Application],
                commitments: list[Commitment]) -> dict[str, Table]:
    """Acme: a recruiter's workbook fed from Bullhorn; Excel date cells mixed with US text dates."""
    def excel_date(day: dt.date | None) -> dt.date | str | None:
        if day and RNG.random() < 0.06:
            return f"{day:%m/%d/%Y}"  # typed by hand: "06/01/2025"
        return day

    def excel_time(moment: dt.datetime) -> dt.datetime | str:
        if RNG.random() < 0.05:
            # pasted from a CSV export: "1/2/26 14:05"
            return f"{moment.month}/{moment.day}/{moment:%y %H:%M}"
        return moment.replace(tzinfo=None)  # a date cell with a time of day is a UTC instant

    spoil_histories(p, applications, unmapped=2)
    mark_evening_submittals(p, applications)
    tables = build_tables(p, requisitions, applications, commitments, excel_date, excel_time,
                          client_column=True, exit_times=False, events_by_application=False)

    requisition_rows = tables["requisitions"].rows
    i = pick(requisition_rows, lambda r: r["status"] == "Filled")
    original = requisition_rows[i]
    requisition_rows.append({**original, PROBLEM: f"requisition_id {original['requisition_id']} "
                             f"appears twice: row {i + 2} pasted again at the bottom of the sheet"})

    events = tables["stage_events"].rows
    spoil_screen_event(p, applications, events, "entered_at", "31/31/2026",
                       "entered_at '31/31/2026' is not a date")
    duplicate_row(events, pick(events, lambda r: QUIRK not in r),
                  "exact duplicate of the row above")
    orphan_event(p, events, "application_id not in the applications sheet")

    commitment_rows = tables["commitments"].rows
    i = pick(commitment_rows, lambda r: r["requisition_id"] is not None)
    commitment_rows[i]["due_date"] = None
    note(commitment_rows[i], "required due_date is empty")

    folder = HERE / p.key
    folder.mkdir(exist_ok=True)
    write_workbook(folder / "acme_export.xlsx", list(tables.values()))
    return {f"acme/acme_export.xlsx [{name}]": table for name, table in tables.items()}


def mark_evening_submittals(p: Profile, applications: list[Application]) -> None:
    """Point README.md at first submittals whose UTC date is a day after their local date."""
    first: dict[str | int, Event] = {}
    for app in applications:
        for event in app.events:
            if event.canonical == "submitted" and not event.marks:
                best = first.get(app.requisition_id)
                if best is None or event.at < best.at:
                    first[app.requisition_id] = event
    evening = [(req_id, e) for req_id, e in first.items() if p.local_date(e.at) != e.at.date()]
    for req_id, event in evening[:3]:
        local = event.at.astimezone(p.tz)
        note(event.marks, f"first submittal of requisition {req_id}: {event.at:%Y-%m-%d %H:%M} "
             f"UTC is {local:%Y-%m-%d %H:%M} in {p.timezone} (local date one day earlier)",
             key=QUIRK)


def export_globex(p: Profile, requisitions: list[Requisition], applications: list[Application],
                  commitments: list[Commitment]) -> dict[str, Table]:
    """Globex: CSV interval table (entered and exited) with UK dates; no client column."""
    spoil_histories(p, applications, unmapped=1)
    tables = build_tables(p, requisitions, applications, commitments,
                          lambda day: f"{day:%d/%m/%Y}" if day else None,
                          lambda moment: f"{moment:%Y-%m-%d %H:%M:%S}",
                          client_column=False, exit_times=True, events_by_application=True)

    requisition_rows = tables["requisitions"].rows
    i = pick(requisition_rows, lambda r: r["status"] == "Filled")
    stale = {**requisition_rows[i], "status": "Open", "closed_at": None,
             PROBLEM: f"requisition_id {requisition_rows[i]['requisition_id']} appears twice: this "
                      f"stale 'Open' copy, and the 'Filled' row below it"}
    requisition_rows.insert(i, stale)

    events = tables["stage_events"].rows
    spoil_screen_event(p, applications, events, "stage", None, "required stage is empty")
    duplicate_row(events, pick(events, lambda r: True), "exact duplicate of the row above")
    orphan_event(p, events, "application_id not in applications.csv")

    commitment_rows = tables["commitments"].rows
    i = pick(commitment_rows, lambda r: r["requisition_id"] is not None)
    commitment_rows[i]["due_date"] = "31/31/2026"
    note(commitment_rows[i], "due_date '31/31/2026' is not a date")
    # A typo (letter O for zero) and a requisition that was never in the ATS export.
    for unknown in ("GX-1O42", "GX-2042"):
        i = pick(commitment_rows, lambda r: r["requisition_id"] is not None)
        commitment_rows[i]["requisition_id"] = unknown
        note(commitment_rows[i], f"requisition_id {unknown} is not in requisitions.csv")

    folder = HERE / p.key
    folder.mkdir(exist_ok=True)
    for name, table in tables.items():
        write_csv(folder / f"{name}.csv", table)
    return {f"globex/{name}.csv": table for name, table in tables.items()}


# --- client settings and README -----------------------------------------------------------------

def client_toml(p: Profile) -> str:
    """The client's settings file in the format of docs/interfaces.md."""
    def string(value: str) -> str:
        return json.dumps(value)  # a JSON string is a valid TOML basic string for this text

    stages = {**{word: canonical for canonical, word in p.stage_words.items()},
              **({p.second_interview: "interviewed"} if p.second_interview else {})}
    holidays = ", ".join(string(day.isoformat()) for day in p.holidays)
    return "\n".join([
        f"name = {string(p.name)}",
        f"timezone = {string(p.timezone)}",
        f"day_count = {string(p.day_count)}",
        f"holidays = [{holidays}]",
        f"date_order = {string(p.date_order)}",
        f"email_domains = [{string(p.key + '.example')}]",
        "",
        "[sla]",
        f"first_submittals = {p.sla[0]}",
        f"within_days = {p.sla[1]}",
        "",
        "[targets]",
        *(f"{key} = {value}" for key, value in p.targets.items()),
        "",
        "[stages]",
        *(f"{string(word)} = {string(canonical)}" for word, canonical in stages.items()),
        "",
    ])


README_INTRO = """\
# Sample data

Three invented RPO clients with about 18 months of hiring, {start} to {end}
(the data's "today": nothing happens after it; commitments due later are pending). It fills the
dashboard of a new install and gives tests realistic input. Made by a seeded script
(`random.Random(42)`); rerunning it reproduces every file byte for byte:

    python sample_data/generate.py

This README is written by the same script: change `generate.py`, not this file.

- **Northwind Health** (`clients/northwind.toml`: UTC, calendar days, SLA 1 submittal within 10
  days, MDY): `northwind/*.csv`, an event log (`stage`, `entered_at`). Times are ISO-8601 UTC
  (`2026-03-26T20:11:39Z`, some with `.000Z`); dates are bare (`2026-03-02`). A handful of
  commitments.
- **Acme Corp** (`clients/acme.toml`: America/Chicago, business days with the US federal holidays
  of 2025-2026, SLA 2 submittals within 5 business days, MDY): `acme/acme_export.xlsx` with sheets
  `requisitions`, `applications`, `stage_events` (event log), `commitments`. Mostly real date
  cells (with a time of day: a UTC instant; date only: a local date), some text in US form
  (`06/01/2025`, `1/2/26 14:05`); ids are numeric cells. Bullhorn-like stage words, two interview
  rounds.
- **Globex UK** (`clients/globex.toml`: Europe/London, calendar days, SLA 1 within 10 days, DMY):
  `globex/*.csv` without a `client` column (load with `--client "Globex UK"`), an interval table
  (`entered_at`, `exited_at`). Times `2026-03-25 09:15:00` (UTC), dates `25/03/2026`.
  `commitments.csv` is a full tracker: revisions told before and after the original due date or
  with no date, misses by side (`rpo`, `client`, empty) and reason, pending promises, promises
  about no requisition.

Histories are realistic rather than tidy: most applicants are rejected or withdraw somewhere;
filled requisitions have one hire per opening and close a few days after it; recent ones are still
open, some without a submittal yet; a few were cancelled; some applicants skip stages or go back
to an earlier stage and forward again. A commitment about submittals or interviews is delivered on
the date the stage history shows.

## Rows per file

| file | data rows |
|---|---|
"""

README_PROBLEMS = """
## Deliberate data-quality problems

Row numbers count the header as row 1 (the spreadsheet row; in a CSV file, the line). Loaders must
report every one of these (rejected rows, unmapped stages, unknown references, out-of-order
histories) and never drop them silently.
"""

README_QUIRKS = """
## Valid but tricky (not errors)

- `northwind/requisitions.csv` spells two headers ` Requisition_ID` and `Opened_At `.
- Acme ids are numeric cells (requisition `1042` reads back as `1042.0`); about 5% of its date
  cells are text in US form instead of date cells; some events happen in the Chicago evening,
  which is already the next day in UTC, for example:
"""


def write_readme(exports: dict[str, dict[str, Table]]) -> None:
    """README.md: the overview, row counts, and every marked problem and quirk with its row."""
    lines = [README_INTRO.format(start=HISTORY_START, end=HISTORY_END).rstrip("\n")]
    for tables in exports.values():
        lines += [f"| `{label}` | {len(table.rows)} |" for label, table in tables.items()]
    lines.append(README_PROBLEMS)
    quirks = []
    for client, tables in exports.items():
        lines += [f"### {client}", ""]
        for label, table in tables.items():
            lines += [f"- `{label}`: {text}" for text in table.notes]
            for row_number, row in enumerate(table.rows, start=2):
                if PROBLEM in row:
                    lines.append(f"- `{label}` row {row_number}: {row[PROBLEM]}")
                if QUIRK in row:
                    quirks.append(f"  - `{label}` row {row_number}: {row[QUIRK]}")
        lines.append("")
    lines.append(README_QUIRKS.strip("\n"))
    lines += quirks
    lines.append("- Globex commitments with an empty `requisition_id` are promises about no "
                 "requisition.")
    (HERE / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    """Generate every client's history, write its settings and export, then the README."""
    (HERE / "clients").mkdir(exist_ok=True)
    exports = {}
    for profile, export in ((NORTHWIND, export_northwind), (ACME, export_acme),
                            (GLOBEX, export_globex)):
        requisitions, applications = simulate(profile)
        # Commitments are derived from the clean histories, before any problem is planted.
        commitments = plan_commitments(profile, requisitions, applications)
        settings = HERE / "clients" / f"{profile.key}.toml"
        settings.write_text(client_toml(profile), encoding="utf-8")
        exports[profile.name] = export(profile, requisitions, applications, commitments)
    write_readme(exports)


if __name__ == "__main__":
    main()
