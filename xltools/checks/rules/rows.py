"""What every rule reads: the run's context, its rows indexed once, and the small helpers the rules share
(a finding at a row's cell, a row's customer key, "blank" versus "unreadable", grouping rows)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol, TypeVar

from xltools.forms.config import Config
from xltools.forms.model import Record, customer_key
from xltools.forms.schema import FieldSpec, Schema, SheetSpec
from xltools.forms.values import clean_text, is_blank
from xltools.ingest.findings import Finding
from xltools.text import Text

T = TypeVar("T")


class CustomerRegister(Protocol):
    """Customer information beyond the rows the rules see (a re-merge checks part of the store's rows)."""

    def names(self, keys: Iterable[str] | None = None) -> dict[str, str]:
        """Customer key -> its registered name, for these keys (None: every customer)."""

    def any(self) -> bool:
        """Whether customer information names any customer at all."""


@dataclass
class RuleContext:
    schema: Schema
    config: Config
    as_of: dt.date
    watched_since: dict[str, dt.datetime] = field(default_factory=dict)
    """File -> when the store first saw it. Rows already there then have no known entry time."""
    known_customers: CustomerRegister | None = None
    """Customer information, when the rules see only part of the rows."""
    file_order: dict[str, float] = field(default_factory=dict)
    """File -> its rank in "who came first" between rows first seen together: its modification time
    (validate), or its id in the store (merge records new files in modification-time order, so an
    edit never moves a file's rank)."""
    file_times: dict[str, float] = field(default_factory=dict)
    """File -> its modification time: which of two copies of a record is the later one."""


class Rows:
    """The run's records, indexed once for all rules."""

    def __init__(self, records: list[Record], ctx: RuleContext):
        self.records = records
        self.ctx = ctx
        self.by_form: dict[str, list[Record]] = defaultdict(list)
        for r in records:
            self.by_form[r.form].append(r)
        # Row order across files, for "first" and "latest" ties.
        self.order = {id(r): i for i, r in enumerate(records)}
        self._shared: dict[Callable, Any] = {}

    def shared(self, compute: Callable[["Rows"], T]) -> T:
        """``compute(self)``, computed once per run: what several rules derive from the same rows."""
        if compute not in self._shared:
            self._shared[compute] = compute(self)
        return self._shared[compute]

    def of(self, form: str) -> list[Record]:
        return self.by_form.get(form, [])

    def spec(self, form: str) -> SheetSpec:
        return self.ctx.schema.sheets[form]

    def field(self, form: str, key: str) -> FieldSpec:
        return self.spec(form).field(key)

    def label(self, form: str, key: str) -> Text:
        return self.field(form, key).label

    def choice(self, form: str, key: str, value: str) -> Text:
        """A canonical choice in both languages, for messages."""
        for c in self.field(form, key).choices:
            if c.value == value:
                return Text(zh=c.value, en=c.en or c.value)
        return Text(zh=value, en=value)

    @cached_property
    def customer_names(self) -> dict[str, str]:
        """Customer key -> its registered name (the first customer-information row naming it), of every customer."""
        names = self.ctx.known_customers.names() if self.ctx.known_customers else {}
        return names | {k: v for k, v in self._own_customers.items() if k not in names}

    @cached_property
    def _own_customers(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for r in self.of("customers"):
            if customer := customer_of(r):
                names.setdefault(customer, clean_text(r.get("customer")))
        return names

    def registered(self, keys: Iterable[str]) -> set[str]:
        """Those of these customer keys that customer information names (asking the register for the others only)."""
        own = self._own_customers
        rest = {k for k in keys if k not in own}
        found = self.ctx.known_customers.names(rest) if self.ctx.known_customers and rest else {}
        return {k for k in keys if k in own or k in found}

    @cached_property
    def has_customers(self) -> bool:
        """Whether customer information names any customer, in these rows or beyond them."""
        return bool(self._own_customers) or bool(self.ctx.known_customers and self.ctx.known_customers.any())

    @cached_property
    def grades(self) -> dict[str, str]:
        """Customer key -> grade, from the first customer-information row that has one."""
        grades: dict[str, str] = {}
        for r in self.of("customers"):
            if (customer := customer_of(r)) and r.get("grade"):
                grades.setdefault(customer, r.get("grade"))
        return grades

    @cached_property
    def grades_by_owner(self) -> dict[tuple[str, str], str]:
        """(customer key, owner) -> grade: two reps claiming one customer may grade it apart."""
        grades: dict[tuple[str, str], str] = {}
        for r in self.of("customers"):
            if (customer := customer_of(r)) and r.get("grade") and r.get("owner"):
                grades.setdefault((customer, clean_text(r.get("owner"))), r.get("grade"))
        return grades

    def grade(self, record: Record, rep: Any) -> str | None:
        """The grade ``rep`` gave the record's customer, else the customer's first grade."""
        own = self.grades_by_owner.get((customer_of(record), clean_text(rep))) if rep else None
        return own or self.grades.get(customer_of(record))

    @cached_property
    def visit_dates(self) -> dict[str, list[dt.date]]:
        dates: dict[str, list[dt.date]] = defaultdict(list)
        for r in self.of("visits"):
            if (customer := customer_of(r)) and r.get("date"):
                dates[customer].append(r.get("date"))
        return dates

    @cached_property
    def contracts(self) -> dict[str, list[Record]]:
        return group_by(self.of("contracts"), lambda r: r.get("contract_id"))


_SAME = object()


def finding_at(code: str, record: Record, key: str, value: Any = _SAME, **params: Any) -> Finding:
    """A finding at the cell of ``key`` in ``record``; ``value`` defaults to that cell's value."""
    return Finding(code, record.file, record.form, record.sheet, record.row, record.column(key), key,
                   record.customer, record.get(key) if value is _SAME else value, record.rep, params, key=record.key)


def customer_of(record: Record) -> str:
    name = record.values.get("customer")         # the values themselves: rules ask for every row, often
    return customer_key(name) if name else ""


def unreadable(record: Record, key: str) -> bool:
    """The rep typed something that could not be read: a type/enum finding covers it."""
    return record.get(key) is None and not is_blank(record.raw.get(key))


def blank(record: Record, key: str) -> bool:
    """Really left empty (not merely unreadable)."""
    return record.get(key) is None and is_blank(record.raw.get(key))


def group_by(records: Iterable[Record], key: Callable[[Record], Hashable]) -> dict[Any, list[Record]]:
    """Records by key, in first-seen order; rows whose key is empty are left out."""
    groups: dict[Any, list[Record]] = defaultdict(list)
    for r in records:
        k = key(r)
        if k:
            groups[k].append(r)
    return groups


def first_amount_row(contract: list[Record]) -> Record | None:
    return next((r for r in contract if r.get("amount") is not None), None)

