"""The SQL metrics agree with an independent, vectorised pandas implementation of domain.md
(benchmarks/pandas_summary.py) on the three sample clients, over periods, as-of dates and filters."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

import store
from benchmarks.pandas_summary import diff_summaries, pandas_summary
from metrics import Filters, options, summary

PERIODS = [
    (None, None, dt.date(2026, 11, 23)),                              # all time
    (dt.date(2026, 1, 1), dt.date(2026, 3, 31), dt.date(2026, 11, 20)),  # a closed quarter
    (dt.date(2025, 7, 1), dt.date(2026, 6, 30), dt.date(2026, 4, 15)),   # as-of inside the period
    (dt.date(2026, 7, 1), dt.date(2026, 12, 31), dt.date(2026, 10, 1)),  # period reaching past as-of
]


@pytest.fixture(scope="module")
def con(sample_db):
    with store.connection(sample_db, read_only=True) as c:
        yield c


@pytest.mark.parametrize("client", ["Acme Corp", "Globex UK", "Northwind Health"])
def test_sql_summary_equals_independent_pandas_summary(con, client):
    opts = options(con, client)
    checked = 0
    for (date_from, date_to, as_of), department, recruiter in itertools.product(
            PERIODS, [None, opts["department"][0]], [None, opts["recruiter"][1]]):
        f = Filters(client, departments=(department,) if department else (),
                    recruiters=(recruiter,) if recruiter else (), date_from=date_from, date_to=date_to, as_of=as_of)
        ours = summary(con, f)
        reference = pandas_summary(con, client, departments=f.departments, recruiters=f.recruiters,
                                   date_from=date_from, date_to=date_to, as_of=as_of)
        problems = [d for d in diff_summaries(reference, ours) if "unexpected key" not in d]
        assert not problems, (f, problems)
        checked += 1
    assert checked == 16


def test_pandas_reference_matches_its_hand_worked_examples():
    # The reference is only worth comparing against if it is itself right on figures worked out
    # by hand (business days with a holiday, filters, an early as-of).
    from benchmarks.pandas_summary import _selfcheck
    _selfcheck()
