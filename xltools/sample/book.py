"""One rep's workbook in memory: its sheets as tables of rows, and the story of each customer."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from xltools.forms.schema import load_schema
from xltools.sample.dates import workday, workdays_between
from xltools.sample.plan import RepPlan
from xltools.sample.spec import SampleSpec
from xltools.sample.terms import CLOSED

Row = dict[str, Any]
EXTRA_HEADER = "备注"
END_MARGIN = 5           # the last event of a story lies this many days before as_of


@dataclass
class Story:
    """One customer's way through the process, and the rows it left in each sheet."""
    no: int
    name: str
    short: str
    industry: str
    area: str
    arc: str                       # an ARCHETYPES entry
    stage: int
    forecast: str
    grade: str
    amount: float                  # the price finally agreed (万元)
    quote: float
    floor: float
    ask: float
    dates: dict[str, date]
    visits: list[tuple[date, date]]    # (visit date, next visit)
    next_follow_up: date
    contact: str
    title: str
    phone: str
    project: str
    expected_close: date
    rows: dict[str, list[Row]] = field(default_factory=dict)   # the rows kept in each sheet

    @property
    def open(self) -> bool:
        return self.forecast not in CLOSED


@dataclass
class Table:
    """One sheet of a rep's workbook before it is written."""
    key: str
    rows: list[Row | None] = field(default_factory=list)      # None: a blank row left in the data
    order: list[str] | None = None                            # column order; None: the schema's
    title: str | None = None                                  # a merged title row above the headers
    extra: bool = False                                       # an extra 备注 column at the end

    def columns(self) -> list[str]:
        keys = self.order or [f.key for f in load_schema().sheets[self.key].fields]
        return keys + [EXTRA_HEADER] if self.extra else keys

    def data(self) -> list[Row]:
        return [r for r in self.rows if r is not None]


@dataclass
class Book:
    """One rep's workbook in memory: its tables, its customers' stories, the cells a quirk or a mistake took."""
    spec: SampleSpec
    plan: RepPlan
    rng: random.Random
    as_of: date
    tables: dict[str, Table]
    stories: list[Story] = field(default_factory=list)
    touched: set[tuple[int, str]] = field(default_factory=set)   # cells a quirk changed
    contracts: int = 0

    @cached_property
    def room(self) -> int:
        """Working days from the start in which every story's events fit (the last before as_of)."""
        return workdays_between(workday(self.spec.start), self.as_of - timedelta(days=END_MARGIN)) - 1

    def touch(self, row: Row, key: str) -> None:
        self.touched.add((id(row), key))

    def free(self, row: Row, key: str) -> bool:
        return (id(row), key) not in self.touched

    def id_width(self) -> int:
        return max(3, len(str(len(self.plan.customers) * 3)))


def rep_sheets() -> list[str]:
    """The sheets of every form a rep fills in (not the admin's targets)."""
    schema = load_schema()
    return [s.key for f in schema.forms if not f.admin for s in f.sheets]
