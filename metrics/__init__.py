"""Recruiting metrics, defined once (definitions.py) and computed in DuckDB SQL (engine.py)."""
from metrics.definitions import (CONVERSION_STEPS, DATA_RULES, METRICS, RULES, TARGET_UNITS, UPCOMING_DAYS, Metric,
                                 change, change_words, count_of, days_word, fmt_value, is_missing, kpi_sentence,
                                 render, sla_promise, target_status, target_words)
from metrics.engine import (COMPARISONS, Filters, Report, UnknownClient, last_loaded, latest_data, local_today,
                            options, requisitions, stage_labels, summary)

__all__ = ["COMPARISONS", "CONVERSION_STEPS", "DATA_RULES", "METRICS", "RULES", "TARGET_UNITS", "UPCOMING_DAYS",
           "Metric", "change", "change_words", "count_of", "days_word", "fmt_value", "is_missing", "kpi_sentence",
           "render", "sla_promise", "target_status", "target_words", "Filters", "Report", "UnknownClient",
           "last_loaded", "latest_data", "local_today", "options", "requisitions", "stage_labels", "summary"]
