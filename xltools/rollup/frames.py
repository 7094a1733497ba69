"""Small helpers over the store's frames: periods, sums and dates as plain Python values (never numpy scalars),
text as shown, the latest row of each group.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd


def month_span(day: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(day.year, day.month, 1)
    return start, start + pd.offsets.MonthEnd(0)


def quarter_span(day: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return start, start + pd.offsets.QuarterEnd(0)


def quarter_label(day: dt.date) -> str:
    """2024Q2: the quarter of a day, as the summary names it."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def within(dates: pd.Series, period: tuple) -> pd.Series:
    """Inclusive at both ends; a missing date is in no period."""
    start, end = (pd.Timestamp(p) for p in period)
    return (dates >= start) & (dates <= end)


def after_until(dates: pd.Series, start: dt.date, end: dt.date) -> pd.Series:
    """In the window (start, end]: a snapshot's own day belongs to the previous window."""
    return (dates > pd.Timestamp(start)) & (dates <= pd.Timestamp(end))


def total(values: pd.Series) -> float:
    return float(values.fillna(0).sum())


def mean(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.mean()) if len(values) else None


def pct(part: float, whole: float | None) -> float | None:
    return part / whole * 100 if whole else None


def as_day(value: Any) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def as_text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value).strip()


def latest(frame: pd.DataFrame, by: list[str], sort: list[str] | None = None) -> pd.DataFrame:
    """The last row of each group, by ``sort`` then store order."""
    return frame.sort_values((sort or []) + ["order"], kind="stable").drop_duplicates(by, keep="last")
