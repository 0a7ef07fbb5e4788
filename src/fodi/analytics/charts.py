"""Chart suggestions: when an answer has the shape of a chart, say which one and with what."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

TIME_LABELS = ("day", "week", "month", "quarter", "year", "hour", "weekday", "period")
PART_COLUMNS = frozenset({"succeeded", "failed"})


class Dataset(BaseModel):
    label: str
    data: list[float]
    background_color: str | None = None


class ChartData(BaseModel):
    chart_type: str  # bar | line | pie
    labels: list[str]
    datasets: list[Dataset]
    title: str | None = None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def suggest_chart(
    rows: Sequence[dict[str, Any]], value_column: str | None = None, title: str | None = None
) -> ChartData | None:
    """A bar/line/pie spec for rows of (label, [currency], value), or None if it has no shape."""
    if not 2 <= len(rows) <= 200:
        return None
    columns = list(rows[0].keys())
    labels = [
        c for c in columns if c not in ("currency", "weekday_name") and not _is_number(rows[0][c])
    ]
    if "weekday" in columns:
        labels = ["weekday_name" if "weekday_name" in columns else "weekday"]
    elif "hour" in columns:
        labels = ["hour"]
    numeric = [c for c in columns if _is_number(rows[0][c]) and c not in ("hour", "weekday")]
    if value_column is None:
        value_column = numeric[-1] if numeric else None
    if not labels or value_column is None:
        return None
    label_column = labels[0]
    series_column = "currency" if "currency" in columns and label_column != "currency" else None
    ordered_labels: list[str] = []
    series: dict[str, dict[str, float]] = {}
    for row in rows:
        label = str(row[label_column])
        if label not in ordered_labels:
            ordered_labels.append(label)
        name = str(row[series_column]) if series_column else value_column
        value: Any = row.get(value_column)
        series.setdefault(name, {})[label] = float(value) if _is_number(value) else 0.0
    datasets = [
        Dataset(label=name, data=[points.get(label, 0.0) for label in ordered_labels])
        for name, points in series.items()
    ]
    if label_column in TIME_LABELS and label_column not in (
        "weekday",
        "weekday_name",
        "hour",
        "period",
    ):
        chart_type = "line"
    elif (
        len(datasets) == 1
        and len(ordered_labels) <= 6
        and value_column in ("payments", "customers")
    ):
        chart_type = "pie"
    else:
        chart_type = "bar"
    return ChartData(chart_type=chart_type, labels=ordered_labels, datasets=datasets, title=title)
