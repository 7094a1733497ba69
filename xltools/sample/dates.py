"""The sample's calendar: months, working days, and the files' timestamps, never the clock's."""
from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, min(day.day, 28))


def workday(day: date) -> date:
    """The day itself, or the Monday after a weekend: reps meet customers on working days."""
    return day + timedelta(days=(7 - day.weekday()) if day.weekday() >= 5 else 0)


def next_workday(day: date) -> date:
    return workday(day + timedelta(days=1))


def workdays_between(first: date, end: date) -> int:
    """Working days from ``first`` up to, not including, ``end``."""
    return sum((first + timedelta(days=i)).weekday() < 5 for i in range(max(0, (end - first).days)))


def stamp_sent(path: Path, as_of: date, order: int) -> None:
    """The file's modification time: sent the day before as_of (in time for a Sunday deadline when as_of is a
    Monday), one minute apart in the reps' order, never the clock's, so submissions read alike on every run."""
    moment = datetime.combine(as_of - timedelta(days=1), datetime.min.time()) + timedelta(hours=10, minutes=order)
    os.utime(path, (moment.timestamp(), moment.timestamp()))


def fixed_moment(day: date) -> datetime:
    """The workbooks' creation stamp: from the spec, never the clock, so files are reproducible."""
    return datetime(day.year, day.month, day.day, 9, 0, 0)
