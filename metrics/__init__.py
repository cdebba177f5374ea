"""Recruiting metrics, defined once (definitions.py) and computed in DuckDB SQL (engine.py)."""
from metrics.definitions import METRICS, RULES, Metric, days_word, render
from metrics.engine import (COMPARISONS, Filters, Report, UnknownClient, last_loaded, latest_data, local_today,
                            options, requisitions, stage_labels, summary)

__all__ = ["COMPARISONS", "METRICS", "RULES", "Metric", "days_word", "render", "Filters", "Report", "UnknownClient",
           "last_loaded", "latest_data", "local_today", "options", "requisitions", "stage_labels", "summary"]
