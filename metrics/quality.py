"""Data quality in the open: what was rejected, unmapped, out of order, or does not join.

Nothing here changes a number; it lists what a careful analyst would want to see before putting
the numbers in front of a client.
"""
from __future__ import annotations

from metrics.definitions import CLOSED_STATUSES
from metrics.engine import CLOSED_UNDATED_SQL, Report
from store import STAGE_RANK_SQL, STAGES

# The checks, in the order the Data page and the deck's internal appendix list them: the key of its
# table in `views.data_quality`, its title and what its rows mean.
CHECKS = (
    ("files", "Files loaded", "Every file with its SHA-256 fingerprint, its rows read, loaded and rejected, and the "
                              "personal data columns dropped (never stored)."),
    ("rejected", "Rejected rows", "Rows that could not be loaded, with the reason and their raw values."),
    ("duplicates", "Duplicates", "Rows whose key repeated within one file (the first was kept, the others "
                                 "rejected), and candidates with more than one application on a requisition."),
    ("unmapped", "Unmapped stage words", "Stored, but never counted as reaching a stage until the client's "
                                         "dictionary maps them."),
    ("out_of_order", "Out-of-order events", "A later stage entered before an earlier one."),
    ("negative", "Negative durations", "Kept in the metrics as they are; usually a start date entered late."),
    ("closed_without_close_date", "Closed without a close date",
     "Requisitions whose status says closed, filled, cancelled or archived but that have no close date: "
     "counted as closed (never open, never awaiting a first submittal); the source should give the date."),
    ("events_of_unknown_applications", "Events of unknown applications", "Not counted in any metric."),
    ("applications_with_unknown_requisition", "Applications with an unknown requisition",
     "Counted only when no department, recruiter or hiring-manager filter is set."),
    ("commitments_with_unknown_requisition", "Commitments with an unknown requisition",
     "Treated as commitments with no requisition."),
)

# The files that held rows of the client (loaded with --client, or naming it in a client column).
CLIENT_FILES = "SELECT file_id FROM files WHERE client = ? OR list_contains(clients, ?)"


def files(con, client: str):
    """Files loaded for the client: name, sha256, rows read / loaded / rejected, when."""
    return con.execute(f"""
        SELECT name AS file, sheet, kind, rows_read, rows_loaded, rows_rejected,
               array_to_string(dropped_columns, ', ') AS dropped_personal_columns, loaded_at, sha256
        FROM files WHERE file_id IN ({CLIENT_FILES})
        ORDER BY loaded_at, name, sheet""", [client, client]).df()


def rejected_rows(con, client: str):
    """Rows that could not be loaded, with file, sheet, row, column, reason and raw values; rows
    naming no known client are shown with the files they came from."""
    return con.execute(f"""
        SELECT file_name AS file, sheet, kind, "row", "column", reason, raw
        FROM rejected_rows
        WHERE client = ? OR (client IS NULL AND file_id IN ({CLIENT_FILES}))
        ORDER BY file_id, "row" """, [client, client, client]).df()


def duplicates(con, client: str):
    """Duplicates, one row each: rows rejected because their key repeated within one file (the
    first row was kept), and candidates with more than one application on the same requisition."""
    return con.execute(f"""
        SELECT kind AS "table", file_name AS file, sheet, "row", reason AS duplicate, raw
        FROM rejected_rows
        WHERE (client = ? OR (client IS NULL AND file_id IN ({CLIENT_FILES}))) AND reason ILIKE '%duplicate%'
        UNION ALL
        SELECT 'applications', NULL, NULL, NULL,
               'candidate ' || candidate_id || ' has ' || count(*) || ' applications on requisition '
               || requisition_id || ': ' || string_agg(application_id, ', ' ORDER BY application_id), NULL
        FROM applications
        -- the repeated pairs first: listing every pair's applications would cost far more
        SEMI JOIN (SELECT candidate_id, requisition_id FROM applications WHERE client = ? AND candidate_id IS NOT NULL
                   GROUP BY ALL HAVING count(*) > 1) USING (candidate_id, requisition_id)
        WHERE client = ?
        GROUP BY candidate_id, requisition_id
        ORDER BY 1, 2, 4, 5""", [client, client, client, client, client]).df()


def unmapped_stages(con, client: str):
    """Stage words the client's dictionary does not map, with how many events carry them."""
    return con.execute("""
        SELECT raw_stage AS stage_word, count(*) AS events, count(DISTINCT application_id) AS applications
        FROM stage_events WHERE client = ? AND stage IS NULL
        GROUP BY raw_stage ORDER BY events DESC, raw_stage""", [client]).df()


def out_of_order_events(con, client: str):
    """Applications that first entered a later canonical stage before first entering an earlier one
    (re-entering an earlier stage afterwards is normal and not listed)."""
    # One pass finds the applications concerned (each stage's first entry side by side, 2.5M groups
    # at 10M events rather than one per application and stage); only their events are then paired.
    firsts = ", ".join(f"min(entered_at) FILTER (WHERE stage = '{s}') AS f{i}" for i, s in enumerate(STAGES))
    before = " OR ".join(f"f{j} < f{i}" for i in range(len(STAGES)) for j in range(i + 1, len(STAGES)))
    return con.execute(f"""
        WITH flagged AS (
            SELECT application_id FROM (SELECT application_id, {firsts} FROM stage_events
                                        WHERE client = $client AND stage IS NOT NULL GROUP BY application_id)
            WHERE {before}
        ), first AS (
            SELECT application_id, stage, {STAGE_RANK_SQL} AS rank, min(entered_at) AS entered_at,
                   arg_min(raw_stage, entered_at) AS raw_stage
            FROM stage_events SEMI JOIN flagged USING (application_id)
            WHERE client = $client AND stage IS NOT NULL AND {STAGE_RANK_SQL} IS NOT NULL
            GROUP BY application_id, stage
        )
        SELECT a.application_id, a.raw_stage AS later_stage_word, a.entered_at AS later_entered_at,
               b.raw_stage AS earlier_stage_word, b.entered_at AS earlier_entered_at
        FROM first a JOIN first b ON a.application_id = b.application_id
        WHERE a.rank > b.rank AND a.entered_at < b.entered_at
        ORDER BY a.application_id, a.entered_at""", {"client": client}).df()


def negative_durations(report: Report):
    """Requisitions whose time to submit or time to fill is negative (kept in the metrics)."""
    return report.con.execute(f"""
        SELECT requisition_id, start_on, first_sub_on, tts_days AS time_to_submit_days,
               first_hire_on, ttf_days AS time_to_fill_days
        FROM {report.t('req')}
        WHERE tts_days < 0 OR ttf_days < 0 ORDER BY requisition_id""").df()


def closed_without_close_date(con, client: str):
    """Requisitions whose status says they are closed but that have no close date."""
    return con.execute(f"""
        SELECT requisition_id, title, department, status, opened_on, assigned_on
        FROM requisitions WHERE client = $client AND {CLOSED_UNDATED_SQL}
        ORDER BY requisition_id""", {"client": client, "closed": list(CLOSED_STATUSES)}).df()


def orphans(con, client: str) -> dict:
    """Rows that do not join: events of unknown applications, applications and commitments whose
    requisition is unknown."""
    return {
        "events_of_unknown_applications": con.execute("""
            SELECT e.application_id, e.raw_stage, e.entered_at FROM stage_events e
            WHERE e.client = ? AND NOT EXISTS (SELECT 1 FROM applications a
                                               WHERE a.client = e.client AND a.application_id = e.application_id)
            ORDER BY 1, 3""", [client]).df(),
        "applications_with_unknown_requisition": con.execute("""
            SELECT a.application_id, a.requisition_id FROM applications a
            WHERE a.client = ? AND NOT EXISTS (SELECT 1 FROM requisitions r
                                               WHERE r.client = a.client AND r.requisition_id = a.requisition_id)
            ORDER BY 1""", [client]).df(),
        "commitments_with_unknown_requisition": con.execute("""
            SELECT c.commitment_id, c.requisition_id, c.description, c.due_date FROM commitments c
            WHERE c.client = ? AND c.requisition_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM requisitions r
                              WHERE r.client = c.client AND r.requisition_id = c.requisition_id)
            ORDER BY 1""", [client]).df(),
    }
