"""Recruiting metrics, defined once (definitions.py) and computed in DuckDB SQL (engine.py)."""
from metrics.definitions import (CLOSED_STATUSES, CONVERSION_STEPS, DATA_RULES, HISTORY_NEEDED, METRICS, NOT_AVAILABLE,
                                 RULES, SUBMITTALS_UNKNOWN, TARGET_UNITS, UPCOMING_DAYS, Metric, change, change_words,
                                 count_of, days_word, fmt_value, is_missing, kpi_sentence, render, sla_promise,
                                 target_status, target_words)
from metrics.engine import (COMPARISONS, PERIOD_PRESETS, Filters, Report, UnknownClient, availability,
                            has_stage_history, last_loaded, latest_data, local_today, options, period_dates,
                            requisitions, stage_labels, summary)

__all__ = ["CLOSED_STATUSES", "COMPARISONS", "CONVERSION_STEPS", "DATA_RULES", "HISTORY_NEEDED", "METRICS",
           "NOT_AVAILABLE", "RULES", "SUBMITTALS_UNKNOWN", "TARGET_UNITS", "UPCOMING_DAYS", "Metric", "change",
           "change_words", "count_of", "days_word", "fmt_value", "is_missing", "kpi_sentence", "render", "sla_promise",
           "target_status", "target_words", "PERIOD_PRESETS", "Filters", "Report", "UnknownClient", "availability",
           "has_stage_history", "last_loaded", "latest_data", "local_today", "options", "period_dates", "requisitions", "stage_labels", "summary"]
