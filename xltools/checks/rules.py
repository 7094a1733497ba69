"""Business rules: what ``validate`` checks beyond one cell's type and format.

``run_rules(records, ctx)`` takes every row of every file of one run, so rules that
compare forms, files and reps see them all; ``run_rules(..., skip={...})`` leaves rules out.

Each rule is one unit: a function decorated with ``@rule``, which declares the one finding
code it emits with its severity and zh/en message templates, what it checks, the forms and
settings it reads, the dates it compares with the as-of day, and the keys through which it
relates rows of different files (``CUSTOMER``, ``CONTRACT`` ...).
docs/rules.md is generated from these declarations, and ``merge`` re-checks after an edit
exactly the rows that share a declared key value with a changed row, so a rule that
relates rows by a key it does not declare would make a re-merge differ from a full merge.

To add a rule: write one ``@rule`` function below (a new code, never a renamed one; declare
every key through which it compares rows, ``EVERYTHING`` if it compares each row with all
others, and the dates it compares with the as-of day), add its tests, and run ``xltools
templates docs``. Nothing in ``merge`` changes. Settings stay in ``config.Config``, with
their defaults and docs; a rule names the ones it reads.

A rule never speaks about a value it needs that is missing or unreadable: the
``required``, ``type`` and ``enum`` findings already point at that cell, and the rule
speaks once the rep fixes it. Customers are matched across forms with
``model.customer_key`` (深圳市华络通信有限公司 and 华络通信 are one customer). "First" and
"latest" follow the order of ``records``.

Findings come back sorted by file, form (schema order), sheet, row, column and rule.
"""
from __future__ import annotations

import datetime as dt
import difflib
import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from openpyxl.utils import column_index_from_string

from xltools.forms.config import Config, rebate_rate
from xltools.checks.findings import CODES, ERROR, WARNING, Code, Finding
from xltools.forms.model import Record, customer_key
from xltools.forms.schema import FieldSpec, Schema, SheetSpec, Text, vocabulary
from xltools.forms.values import add_workdays, clean_text, is_blank, parse_number

# The choice values the rules test for, by their role in forms.yaml.
DECISION_MAKER = vocabulary("decision_chain", "role", "decision-maker")
DONE = vocabulary("solution", "done", "yes")
OPEN = vocabulary("objections", "status", "open")
AGREED, REJECTED = vocabulary("contracts", "decision", "agreed"), vocabulary("contracts", "decision", "rejected")
GM_STEP = vocabulary("contracts", "step", "general-manager")
PRICE = vocabulary("negotiations", "clause", "price")
WON_STAGE = vocabulary("pipeline", "stage", "won")
CLOSED_WON = vocabulary("pipeline", "forecast", "won")
CLOSED_FORECASTS = {CLOSED_WON, vocabulary("pipeline", "forecast", "lost")}
RETENTION = vocabulary("collections", "milestone", "retention")
REBATE_COMMITTED = {vocabulary("rebates", "status", "promised"), vocabulary("rebates", "status", "paid")}
REBATE_AGREED = vocabulary("rebates", "decision", "agreed")
AMOUNT_TOLERANCE = 1e-6


@dataclass
class RuleContext:
    schema: Schema
    config: Config
    as_of: dt.date
    watched_since: dict[str, dt.datetime] = field(default_factory=dict)
    """File -> when the store first saw it. Rows already there then have no known entry time."""
    known_customers: dict[str, str] | None = None
    """Every customer in customer information (key -> registered name), when the rules see only part of the rows."""
    file_order: dict[str, float] = field(default_factory=dict)
    """File -> its rank in "who came first" between rows first seen together: its modification time
    (validate), or its id in the store (merge records new files in modification-time order, so an
    edit never moves a file's rank)."""
    file_times: dict[str, float] = field(default_factory=dict)
    """File -> its modification time: which of two copies of a record is the later one."""


@dataclass(frozen=True, eq=False)
class Key:
    """A value through which a rule relates rows of different files (e.g. one contract's rows).

    ``fields`` maps each form to the field holding the key; None: every form's customer field,
    compared by ``customer_key``.
    """
    name: str
    description: str
    fields: dict[str, str] | None = None
    presence: bool = False
    """Relates every row with whether these fields are filled anywhere at all, not with equal values."""
    only: tuple[str, ...] | None = None
    """Relates the rows of these forms only (see ``on``)."""

    def on(self, *forms: str) -> "Key":
        """The same key relating the rows of these forms only."""
        return replace(self, only=forms)

    @property
    def title(self) -> str:
        return f"{self.name} ({', '.join(self.only)})" if self.only else self.name

    def columns(self, schema: Schema) -> dict[str, str]:
        """Form -> the field to match, ``CUSTOMER_KEY`` for the normalised customer."""
        if self.fields is None:
            found = {k: CUSTOMER_KEY for k, s in schema.sheets.items() if s.customer_field}
        else:
            found = dict(self.fields)
        return {k: v for k, v in found.items() if self.only is None or k in self.only}

    def value(self, record: Record, schema: Schema) -> Hashable | None:
        column = self.columns(schema).get(record.form)
        if column is None:
            return None
        if column == CUSTOMER_KEY:
            return _cust(record) or None
        return record.get(column)


CUSTOMER_KEY = "_customer_key"
CUSTOMER = Key("customer", "the customer named by any form, compared by customer_key")
CONTRACT = Key("contract", "合同编号 of contract approval, collections and rebate applications",
               {"contracts": "contract_id", "collections": "contract_id", "rebates": "contract_id"})
PROJECT = Key("project", "项目编号 of the opportunity pipeline", {"pipeline": "project_id"})
TARGET_REP = Key("target-rep", "the rep of a targets row (covers rep + month)", {"targets": "rep"})
CUSTOMER_INFORMATION = Key("customer-information", "whether customer information has any row at all",
                           {"customers": "customer"}, presence=True)
EVERYTHING = Key("everything", "each row with every other: any change re-checks all rows", {})
ALL_FORMS = ("*",)


@dataclass(frozen=True)
class Rule:
    """One business rule and what it declares about itself."""
    code: str
    description: str
    check: Callable[["Rows"], Iterable[Finding]]
    forms: tuple[str, ...]
    relates_by: tuple[Key, ...] = ()
    settings: tuple[str, ...] = ()
    as_of: dict[str, str] = field(default_factory=dict)
    """Form -> the date field compared with the as-of day; empty when the day does not matter."""
    lead: Callable[[Config], int] = lambda config: 0
    """How many days after that date the verdict can still change."""
    daily: bool = False
    """The finding counts the days up to the as-of day: its text changes every day."""

    @property
    def severity(self) -> str:
        return CODES[self.code].severity

    def __call__(self, rows: "Rows") -> Iterable[Finding]:
        return self.check(rows)


RULES: dict[str, Rule] = {}


def rule(code: str, severity: str, description: str, *, zh: str, en: str, forms: tuple[str, ...],
         relates_by: tuple[Key, ...] = (),
         settings: tuple[str, ...] = (), as_of: dict[str, str] | None = None,
         lead: Callable[[Config], int] | None = None, daily: bool = False) -> Callable:
    """Declare the decorated function as the rule emitting ``code``, with that code's severity and
    zh/en message templates (``{value}``, ``{customer}`` and the finding's params fill them)."""
    if code in CODES:
        raise ValueError(f"finding code {code!r} is declared twice")
    CODES[code] = Code(code, severity, zh, en)

    def register(check: Callable[["Rows"], Iterable[Finding]]) -> Callable:
        RULES[code] = Rule(code, description, check, forms, relates_by, settings, as_of or {},
                           lead or (lambda config: 0), daily)
        return check
    return register


def related_keys() -> list[Key]:
    """Every key some rule relates rows by, each once (a key on some forms only counts as the whole key
    when another rule relates rows by the whole key)."""
    keys = list(dict.fromkeys(k for r in RULES.values() for k in r.relates_by))
    whole = {k.name for k in keys if k.only is None}
    return [k for k in keys if k.only is None or k.name not in whole]


def key_values(records: Iterable[Record], schema: Schema, keys: Iterable[Key]) -> dict[Key, set]:
    """The values each key takes in these rows (empty ones left out)."""
    found: dict[Key, set] = {k: set() for k in keys}
    for r in records:
        for k, values in found.items():
            v = k.value(r, schema)
            if v is not None and v != "":
                values.add(v)
    return found


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
        """Customer key -> its registered name (the first customer-information row naming it)."""
        names = dict(self.ctx.known_customers or {})
        for r in self.of("customers"):
            if _cust(r):
                names.setdefault(_cust(r), clean_text(r.get("customer")))
        return names

    @cached_property
    def customer_keys(self) -> set[str]:
        return set(self.customer_names)

    @cached_property
    def grades(self) -> dict[str, str]:
        """Customer key -> grade, from the first customer-information row that has one."""
        grades: dict[str, str] = {}
        for r in self.of("customers"):
            if _cust(r) and r.get("grade"):
                grades.setdefault(_cust(r), r.get("grade"))
        return grades

    @cached_property
    def grades_by_owner(self) -> dict[tuple[str, str], str]:
        """(customer key, owner) -> grade: two reps claiming one customer may grade it apart."""
        grades: dict[tuple[str, str], str] = {}
        for r in self.of("customers"):
            if _cust(r) and r.get("grade") and r.get("owner"):
                grades.setdefault((_cust(r), clean_text(r.get("owner"))), r.get("grade"))
        return grades

    def grade(self, record: Record, rep: Any) -> str | None:
        """The grade ``rep`` gave the record's customer, else the customer's first grade."""
        own = self.grades_by_owner.get((_cust(record), clean_text(rep))) if rep else None
        return own or self.grades.get(_cust(record))

    @cached_property
    def visit_dates(self) -> dict[str, list[dt.date]]:
        dates: dict[str, list[dt.date]] = defaultdict(list)
        for r in self.of("visits"):
            if _cust(r) and r.get("date"):
                dates[_cust(r)].append(r.get("date"))
        return dates

    @cached_property
    def contracts(self) -> dict[str, list[Record]]:
        return _group(self.of("contracts"), lambda r: r.get("contract_id"))


# Helpers
_SAME = object()


def _finding(code: str, record: Record, key: str, value: Any = _SAME, **params: Any) -> Finding:
    """A finding at the cell of ``key`` in ``record``; ``value`` defaults to that cell's value."""
    return Finding(code, record.file, record.form, record.sheet, record.row, record.column(key), key,
                   record.customer, record.get(key) if value is _SAME else value, record.rep, params, key=record.key)


def _cust(record: Record) -> str:
    return customer_key(record.get("customer")) if record.get("customer") else ""


def _unreadable(record: Record, key: str) -> bool:
    """The rep typed something that could not be read: a type/enum finding covers it."""
    return record.get(key) is None and not is_blank(record.raw.get(key))


def _blank(record: Record, key: str) -> bool:
    """Really left empty (not merely unreadable)."""
    return record.get(key) is None and is_blank(record.raw.get(key))


def _group(records: Iterable[Record], key: Callable[[Record], Hashable]) -> dict[Any, list[Record]]:
    """Records by key, in first-seen order; rows whose key is empty are left out."""
    groups: dict[Any, list[Record]] = defaultdict(list)
    for r in records:
        k = key(r)
        if k:
            groups[k].append(r)
    return groups


def _is_open(record: Record) -> bool | None:
    """Whether an opportunity is still open; None when its stage or forecast is unknown."""
    if record.get("stage") is None or _unreadable(record, "forecast"):
        return None
    return record.get("stage") != WON_STAGE and record.get("forecast") not in CLOSED_FORECASTS


def _first_amount_row(contract: list[Record]) -> Record | None:
    return next((r for r in contract if r.get("amount") is not None), None)


def _parse_floor(text: Any) -> float | None:
    """我方底线 as 万元: "22", "22万", "22万/年"; None when it is not one number."""
    cleaned = clean_text(text)
    for candidate in (cleaned, cleaned.removesuffix("/年").removesuffix("每年")):
        try:
            return parse_number(candidate, "万元")
        except ValueError:
            continue
    return None


# Per cell and per form
@rule("required", ERROR,
       'a required field is empty in a started row; a field whose column is missing (column-missing) or '
       'whose cell was unreadable (type/enum) is not reported again.',
       zh='“{label}”为必填项',
       en="'{label}' is required",
       forms=ALL_FORMS)
def check_required(rows: Rows) -> Iterator[Finding]:
    for r in rows.records:
        if not r.raw and all(v is None for v in r.values.values()):
            continue                          # not started: nothing is missing yet
        for f in rows.spec(r.form).fields:
            # No column at all is one column-missing finding, not one per row.
            if f.required and f.key in r.columns and _blank(r, f.key):
                yield _finding("required", r, f.key, label=f.label)


def _natural_key(rows: Rows, record: Record) -> tuple | None:
    spec = rows.spec(record.form)
    parts: list[Any] = []
    for key in spec.natural_key:
        value = record.get(key)
        if key == spec.customer_field:
            value = customer_key(value) if value else None
        elif isinstance(value, str):
            value = clean_text(value)
        if value is None or value == "":
            return None
        parts.append(value)
    if record.form == "customers":
        parts.append(record.rep)            # another rep's row is a duplicate-claim
    return tuple(parts)


NATURAL_KEYS = (CUSTOMER, CONTRACT, PROJECT, TARGET_REP)
"""The keys covering every form's natural key (forms.yaml ``natural_key``)."""


def _by_natural_key(rows: Rows) -> Iterator[tuple[str, list[Record]]]:
    """Each form's rows sharing one natural key, when more than one does (in row order)."""
    for form, records in rows.by_form.items():
        for group in _group(records, lambda r: _natural_key(rows, r)).values():
            if len(group) > 1:
                yield form, group


def _place(record: Record) -> str:
    return f"{record.file}!{record.sheet} row {record.row}"


@rule("duplicate-row", WARNING,
       "a form's natural key appears twice within one file (customer names compared by customer_key); "
       'reported on each later row, ``other`` = "file!sheet row N" of the first. In customer information '
       'the key includes the rep: one customer claimed by two reps is a duplicate-claim, not a duplicate '
       'row. The same key in two files is a duplicate-record.',
       zh='与 {other} 重复',
       en='Duplicates {other}',
       forms=ALL_FORMS, relates_by=NATURAL_KEYS)
def check_duplicate_rows(rows: Rows) -> Iterator[Finding]:
    for form, group in _by_natural_key(rows):
        for records in _group(group, lambda r: r.file).values():
            for r in records[1:]:
                yield _finding("duplicate-row", r, rows.spec(form).natural_key[0], other=_place(records[0]))


@rule("duplicate-record", ERROR,
       "a form's natural key (forms.yaml ``natural_key``) appears in two or more files: the same record "
       "sent twice (a re-sent or re-saved copy). The first file (modified earlier, then by name; in a store, "
       "the one recorded first) keeps it; each row of a later file is reported and quarantined until one "
       'copy is removed. ``other`` = "file!sheet row N" of the kept row.',
       zh='与 {other} 是同一条记录（另一个文件中已有），请删除其中一份',
       en='The same record as {other} (in another file): remove one of the copies',
       forms=ALL_FORMS, relates_by=NATURAL_KEYS)
def check_duplicate_records(rows: Rows) -> Iterator[Finding]:
    rank = rows.ctx.file_times
    for form, group in _by_natural_key(rows):
        first = min(group, key=lambda r: (rank.get(r.file, math.inf), r.file, rows.order[id(r)]))
        for r in group:
            if r.file != first.file:
                yield _finding("duplicate-record", r, rows.spec(form).natural_key[0], other=_place(first))


def _decision_chains(rows: Rows) -> dict[tuple, list[Record]]:
    return _group(rows.of("decision_chain"),
                  lambda r: (_cust(r), r.get("date")) if _cust(r) and r.get("date") else None)


@rule("weights-sum", ERROR,
       'decision-chain weights of one customer and date do not add up to 100 ± weights_tolerance; on the '
       "first row's weight cell.",
       zh='{customer} {date} 的决策链权重合计 {total}%，应为 100%',
       en='Decision-chain weights of {customer} on {date} add up to {total}%, not 100%',
       forms=("decision_chain",), relates_by=(CUSTOMER,), settings=("weights_tolerance",))
def check_weights_sum(rows: Rows) -> Iterator[Finding]:
    tolerance = rows.ctx.config.weights_tolerance
    for (_, date), group in _decision_chains(rows).items():
        if any(r.get("weight") is None for r in group):
            continue                          # the total is not known yet
        total = round(sum(r.get("weight") for r in group), 6)
        if abs(total - 100) > tolerance + 1e-9:
            yield _finding("weights-sum", group[0], "weight", value=total, date=date, total=total)


@rule("decision-maker-missing", ERROR,
       "that group has no 决策 role; on the first row's role cell.",
       zh='{customer} {date} 的决策链没有“决策”角色',
       en='The decision chain of {customer} on {date} has no decision maker',
       forms=("decision_chain",), relates_by=(CUSTOMER,))
def check_decision_maker(rows: Rows) -> Iterator[Finding]:
    for (_, date), group in _decision_chains(rows).items():
        if any(_unreadable(r, "role") for r in group):
            continue                          # the unreadable role may be the decision maker
        if not any(r.get("role") == DECISION_MAKER for r in group):
            yield _finding("decision-maker-missing", group[0], "role", value=None, date=date)


@rule("solution-incomplete", WARNING,
       "a customer's checklist lacks some of the six modules (``missing`` lists them in schema order); "
       'on its first row.',
       zh='{customer} 的方案缺少模块：{missing}',
       en='The proposal for {customer} lacks: {missing}',
       forms=("solution",), relates_by=(CUSTOMER,))
def check_solution_complete(rows: Rows) -> Iterator[Finding]:
    modules = rows.field("solution", "module").choice_values()
    for group in _group(rows.of("solution"), _cust).values():
        if any(r.get("module") is None for r in group):
            continue                          # a module cell is empty or unreadable
        present = {r.get("module") for r in group}
        missing = [m for m in modules if m not in present]
        if missing:
            yield _finding("solution-incomplete", group[0], "module", value=None, missing=missing)


@rule("done-date-missing", ERROR,
       'a module marked 是 has no 完成时间.',
       zh='{customer}：模块已完成但没有完成时间',
       en='{customer}: The module is done but has no completion date',
       forms=("solution",))
def check_done_date(rows: Rows) -> Iterator[Finding]:
    for r in rows.of("solution"):
        if r.get("done") == DONE and _blank(r, "done_date"):
            yield _finding("done-date-missing", r, "done_date")


# (form, earlier field, later field, may the two be the same day)
DATE_ORDER = (
    ("objections", "raised", "resolve_by", True),
    ("visits", "date", "next_visit", False),
    ("contracts", "submitted", "decided", True),
)


@rule("date-order", ERROR,
       'objections: 计划解决时间 before 异议提出时间; visits: 下次回访时间 not after 回访时间; contracts: 审批时间 before 提交时间. On '
       "the later date's cell.",
       zh='“{label}”（{value}）不应早于“{other_label}”（{other}）',
       en="'{label}' ({value}) must not be before '{other_label}' ({other})",
       forms=("objections", "visits", "contracts"))
def check_date_order(rows: Rows) -> Iterator[Finding]:
    for form, early, late, same_day_ok in DATE_ORDER:
        for r in rows.of(form):
            first, then = r.get(early), r.get(late)
            if first is None or then is None:
                continue
            if then < first or (then == first and not same_day_ok):
                yield _finding("date-order", r, late, label=rows.label(form, late),
                               other_label=rows.label(form, early), other=first)


@rule("objection-overdue", WARNING,
       'status 未解决 or empty, and 计划解决时间 before as_of.',
       zh='{customer}：异议未解决且已过计划解决时间 {value}',
       en='{customer}: The objection is open past its resolve-by date {value}',
       forms=("objections",), as_of={"objections": "resolve_by"})
def check_objection_overdue(rows: Rows) -> Iterator[Finding]:
    for r in rows.of("objections"):
        due = r.get("resolve_by")
        if due is None or _unreadable(r, "status") or r.get("status") not in (None, OPEN):
            continue
        if due < rows.ctx.as_of:
            yield _finding("objection-overdue", r, "resolve_by")


# Contracts
class _Chain:
    """One contract's rows and the approval chain they should follow."""

    def __init__(self, rows: Rows, contract: list[Record]):
        self.rows = rows
        self.contract = contract
        self.order = rows.field("contracts", "step").choice_values()   # 销售经理 -> 法务 -> 总经理

    def rank(self, record: Record) -> int:
        return self.order.index(record.get("step"))

    def name(self, step: str) -> Text:
        return self.rows.choice("contracts", "step", step)

    def problem(self, index: int) -> tuple[str, Text] | None:
        """What is wrong with row ``index``: (field, detail), the first that applies, or None."""
        r = self.contract[index]
        earlier = [o for o in self.contract[:index] if o.get("step")]
        return (self.after_rejection(r, earlier) or self.out_of_order(r, earlier)
                or self.skipped(r) or self.backwards(r))

    def after_rejection(self, r: Record, earlier: list[Record]) -> tuple[str, Text] | None:
        rejected = next((o for o in earlier if o.get("decision") == REJECTED), None)
        if rejected is None:
            return None
        step, prior = self.name(r.get("step")), self.name(rejected.get("step"))
        return "step", Text(zh=f"“{prior.zh}”已驳回，审批已终止，不应再有“{step.zh}”",
                            en=f"'{prior.en}' rejected it, so the chain ended before '{step.en}'")

    def out_of_order(self, r: Record, earlier: list[Record]) -> tuple[str, Text] | None:
        later = next((o for o in earlier if self.rank(o) > self.rank(r)), None)
        if later is None:
            return None
        step, prior = self.name(r.get("step")), self.name(later.get("step"))
        return "step", Text(zh=f"“{step.zh}”排在“{prior.zh}”之后", en=f"'{step.en}' comes after '{prior.en}'")

    def skipped(self, r: Record) -> tuple[str, Text] | None:
        """A step decided while an earlier one is missing or not approved."""
        if r.get("decision") not in (AGREED, REJECTED):
            return None
        for needed in self.order[: self.rank(r)]:
            rows_of_step = [o for o in self.contract if o.get("step") == needed]
            if any(_unreadable(o, "decision") for o in rows_of_step):
                return None
            if not any(o.get("decision") == AGREED for o in rows_of_step):
                step, prior = self.name(r.get("step")), self.name(needed)
                zh, en = ("缺失", "missing") if not rows_of_step else ("尚未同意", "not approved")
                return "step", Text(zh=f"“{step.zh}”已有结果，但“{prior.zh}”{zh}",
                                    en=f"'{step.en}' was decided while '{prior.en}' is {en}")
        return None

    def backwards(self, r: Record) -> tuple[str, Text] | None:
        """Decided before an earlier step of the chain was."""
        decided = r.get("decided")
        if decided is None:
            return None
        before = next((o for o in self.contract if o.get("step") and o.get("decided")
                       and self.rank(o) < self.rank(r) and o.get("decided") > decided), None)
        if before is None:
            return None
        step, prior = self.name(r.get("step")), self.name(before.get("step"))
        day, prior_day = decided.isoformat(), before.get("decided").isoformat()
        return "decided", Text(zh=f"“{step.zh}”的审批时间 {day} 早于“{prior.zh}”的 {prior_day}",
                               en=f"'{step.en}' decided on {day}, before '{prior.en}' on {prior_day}")


@rule("approval-order", ERROR,
       'per contract (rows grouped by 合同编号), at most one per row, first match wins: a row after a 驳回 row '
       '(the chain ended); a step listed after a later step of the chain; a step decided (同意/驳回) while '
       'an earlier step is missing or not 同意 ("skipped"); a decision dated before an earlier step\'s.',
       zh='合同 {key} 的审批环节顺序不对：{detail}',
       en='Approval steps of contract {key} are out of order: {detail}',
       forms=("contracts",), relates_by=(CONTRACT,))
def check_approval_order(rows: Rows) -> Iterator[Finding]:
    for contract in rows.contracts.values():
        chain = _Chain(rows, contract)
        for index, r in enumerate(contract):
            if r.get("step") is None:
                continue                      # a row without a step has no place in the chain
            problem = chain.problem(index)
            if problem:
                key, detail = problem
                yield _finding("approval-order", r, key, detail=detail)


@rule("approval-consistency", ERROR,
       'rows of one contract disagree on customer (customer_key) or amount; once per contract and field, '
       "on the first row that differs from the contract's first row.",
       zh='合同 {key} 的各行{label}不一致：{values}',
       en='Rows of contract {key} disagree on {label}: {values}',
       forms=("contracts",), relates_by=(CONTRACT,))
def check_approval_consistency(rows: Rows) -> Iterator[Finding]:
    same = {
        "customer": lambda a, b: customer_key(a) == customer_key(b),
        "amount": lambda a, b: abs(a - b) <= AMOUNT_TOLERANCE,
    }
    for contract in rows.contracts.values():
        for key, equal in same.items():
            filled = [r for r in contract if r.get(key) is not None]
            distinct: list[Any] = []
            for r in filled:
                if not any(equal(r.get(key), v) for v in distinct):
                    distinct.append(r.get(key))
            if len(distinct) > 1:
                odd = next(r for r in filled if not equal(r.get(key), distinct[0]))
                yield _finding("approval-consistency", odd, key,
                               label=rows.label("contracts", key), values=distinct)


@rule("approval-authority", ERROR,
       'amount >= approval_gm_threshold, the contract is not rejected and has no 总经理审批 row at all. A '
       'chain still in progress is flagged too: the planned chain itself lacks the step.',
       zh='合同 {key} 金额 {value} 万元，需总经理审批',
       en="Contract {key} of {value} (10k CNY) needs the general manager's approval",
       forms=("contracts",), relates_by=(CONTRACT,), settings=("approval_gm_threshold",))
def check_approval_authority(rows: Rows) -> Iterator[Finding]:
    threshold = rows.ctx.config.approval_gm_threshold
    for contract in rows.contracts.values():
        first = _first_amount_row(contract)
        if first is None or first.get("amount") < threshold:
            continue
        if any(r.get("step") is None or _unreadable(r, "decision") for r in contract):
            continue                          # the unknown row may be the GM's or a rejection
        rejected = any(r.get("decision") == REJECTED for r in contract)
        if not rejected and not any(r.get("step") == GM_STEP for r in contract):
            yield _finding("approval-authority", first, "amount")


# Visits and follow-ups
@rule("visit-interval", WARNING,
       '下次回访时间 - 回访时间 > visit_interval_days[grade], the grade the visitor gave the customer in customer '
       'information (else its first grade there); no grade known -> no finding.',
       zh='{customer}：{grade}客户的回访间隔 {days} 天，超过 {limit} 天',
       en="{customer}: A {grade} customer's next visit is {days} days away, over {limit}",
       forms=("visits", "customers"), relates_by=(CUSTOMER,), settings=("visit_interval_days",))
def check_visit_interval(rows: Rows) -> Iterator[Finding]:
    limits = rows.ctx.config.visit_interval_days
    for r in rows.of("visits"):
        date, next_visit = r.get("date"), r.get("next_visit")
        grade = rows.grade(r, r.get("visitor") or r.rep)
        if date is None or next_visit is None or grade not in limits or next_visit <= date:
            continue
        days = (next_visit - date).days
        if days > limits[grade]:
            yield _finding("visit-interval", r, "next_visit", grade=rows.choice("customers", "grade", grade),
                           days=days, limit=limits[grade])


@rule("follow-up-overdue", WARNING,
       "customer information: 下次跟进时间 before as_of; visits: the customer's latest visit (by date, then "
       'row order) has a 下次回访时间 before as_of.',
       zh='{customer}：“{label}” {value} 已过',
       en="{customer}: '{label}' {value} has passed",
       forms=("customers", "visits"), relates_by=(CUSTOMER.on("visits"),),
       as_of={"customers": "next_follow_up", "visits": "next_visit"})
def check_follow_up_overdue(rows: Rows) -> Iterator[Finding]:
    as_of = rows.ctx.as_of
    for r in rows.of("customers"):
        if r.get("next_follow_up") is not None and r.get("next_follow_up") < as_of:
            yield _finding("follow-up-overdue", r, "next_follow_up", label=rows.label("customers", "next_follow_up"))
    dated = [r for r in rows.of("visits") if r.get("date")]
    for visits in _group(dated, _cust).values():
        latest = max(visits, key=lambda r: (r.get("date"), rows.order[id(r)]))
        if latest.get("next_visit") is not None and latest.get("next_visit") < as_of:
            yield _finding("follow-up-overdue", latest, "next_visit", label=rows.label("visits", "next_visit"))


# Pipeline
@rule("probability-mismatch", WARNING,
       "an open opportunity's 赢率 differs from its stage's default. Closed ones (已成交/丢单, stage 6) are "
       'left to won-inconsistent.',
       zh='赢率 {value}% 与阶段“{stage}”的 {expected}% 不符',
       en="Win probability {value}% differs from {expected}% of stage '{stage}'",
       forms=("pipeline",), settings=("stage_probability",))
def check_probability(rows: Rows) -> Iterator[Finding]:
    for r in rows.of("pipeline"):
        expected = rows.ctx.config.stage_probability.get(r.get("stage"))
        value = r.get("win_probability")
        if value is None or expected is None or not _is_open(r):
            continue
        if abs(value - expected) > 1e-9:
            yield _finding("probability-mismatch", r, "win_probability",
                           stage=rows.choice("pipeline", "stage", r.get("stage")), expected=expected)


@rule("close-date-stale", WARNING,
       "an open opportunity's 预计签约时间 is before as_of.",
       zh='进行中的商机预计签约时间 {value} 已过',
       en="The open opportunity's expected close {value} has passed",
       forms=("pipeline",), as_of={"pipeline": "expected_close"})
def check_close_date(rows: Rows) -> Iterator[Finding]:
    for r in rows.of("pipeline"):
        close = r.get("expected_close")
        if close is not None and close < rows.ctx.as_of and _is_open(r):
            yield _finding("close-date-stale", r, "expected_close")


@rule("won-inconsistent", ERROR,
       'stage 6 with a 赢率 other than 100 (on that cell), else with a forecast other than 已成交 (on the '
       'forecast cell).',
       zh='阶段“{stage}”需赢率 100% 且预测类别为“已成交”',
       en="Stage '{stage}' needs 100% and forecast Closed",
       forms=("pipeline",))
def check_won(rows: Rows) -> Iterator[Finding]:
    for r in rows.of("pipeline"):
        if r.get("stage") != WON_STAGE:
            continue
        stage = rows.choice("pipeline", "stage", WON_STAGE)
        probability = r.get("win_probability")
        if probability is not None and abs(probability - 100) > 1e-9:
            yield _finding("won-inconsistent", r, "win_probability", stage=stage)
        elif r.get("forecast") != CLOSED_WON and not _unreadable(r, "forecast"):
            yield _finding("won-inconsistent", r, "forecast", stage=stage)


# Stage gates: the funnel's exit conditions (seed 001). Each gate is a rule of its own with the code
# stage-gate-<gate>; config.stage_gates says from which stage each applies, and switches gates off.
COMMIT = vocabulary("pipeline", "forecast", "commit")


def _stage_number(rows: Rows, stage: str | None) -> int | None:
    """A funnel stage's place in the schema's order (1 确定 -> 1)."""
    values = rows.field("pipeline", "stage").choice_values()
    return values.index(stage) + 1 if stage in values else None


def _gated(rows: Rows, gate: str) -> Iterator[Record]:
    """The open opportunities at or beyond the stage from which ``gate`` applies."""
    from_stage = rows.ctx.config.stage_gates.get(gate)
    if not from_stage:
        return
    for r in rows.of("pipeline"):
        stage = _stage_number(rows, r.get("stage"))
        if stage is not None and stage >= from_stage and _is_open(r) and _cust(r):
            yield r


def _stage_gate(gate: str, description: str, *, zh: str, en: str, form: str,
                passed: Callable[[Rows, list[Record]], bool]) -> None:
    """Register the gate requiring, from its stage on, that the customer's rows of ``form`` pass ``passed``."""
    code = f"stage-gate-{gate}"

    @rule(code, WARNING, description + " On the stage cell; only open deals; the stage is set in stage_gates.",
          zh=zh, en=en, forms=("pipeline", form), relates_by=(CUSTOMER.on("pipeline", form),),
          settings=("stage_gates",))
    def check(rows: Rows) -> Iterator[Finding]:
        evidence = _group(rows.of(form), _cust)
        for r in _gated(rows, gate):
            if not passed(rows, evidence.get(_cust(r), [])):
                yield _finding(code, r, "stage", project=r.get("project_id") or r.get("project"), client=r.get("customer"),
                               stage=rows.choice("pipeline", "stage", r.get("stage")))


def _solution_done(rows: Rows, checklist: list[Record]) -> bool:
    done = {r.get("module") for r in checklist if r.get("done") == DONE}
    return done >= set(rows.field("solution", "module").choice_values())


_stage_gate("decision-chain", "an open deal at the gate's stage (default 2 接触) whose customer has no decision chain.",
            zh='商机 {project} 已到阶段“{stage}”，但客户“{client}”没有决策链记录',
            en="Deal {project} is at stage '{stage}' but {client} has no decision chain",
            form="decision_chain", passed=lambda rows, chain: bool(chain))
_stage_gate("budget", "an open deal at the gate's stage (default 3 有资格) whose customer has no needs-analysis "
            "record with a 预算范围.",
            zh='商机 {project} 已到阶段“{stage}”，但客户“{client}”的需求分析没有预算范围',
            en="Deal {project} is at stage '{stage}' but no needs analysis of {client} gives a budget",
            form="needs", passed=lambda rows, needs: any(not is_blank(r.get("budget")) for r in needs))
_stage_gate("solution", "an open deal at the gate's stage (default 4 已发展) whose customer's solution checklist "
            "does not have all six modules marked 是.",
            zh='商机 {project} 已到阶段“{stage}”，但客户“{client}”的方案六个模块未全部完成',
            en="Deal {project} is at stage '{stage}' but the proposal for {client} does not have all six "
               "modules done",
            form="solution", passed=_solution_done)


@rule("stage-gate-commit", WARNING,
       "an open deal forecast 承诺 below the gate's stage (default 5 已承诺): a commitment is reliable from 90% "
       "on (seed 002). On the forecast cell.",
       zh='商机 {project} 预测为“承诺”，但阶段“{stage}”尚未达到“{needed}”',
       en="Deal {project} is forecast Commit at stage '{stage}', before '{needed}'",
       forms=("pipeline",), settings=("stage_gates",))
def check_commit_gate(rows: Rows) -> Iterator[Finding]:
    from_stage = rows.ctx.config.stage_gates.get("commit")
    if not from_stage:
        return
    stages = rows.field("pipeline", "stage").choice_values()
    for r in rows.of("pipeline"):
        stage = _stage_number(rows, r.get("stage"))
        if r.get("forecast") == COMMIT and stage is not None and stage < from_stage:
            yield _finding("stage-gate-commit", r, "forecast", project=r.get("project_id") or r.get("project"),
                           stage=rows.choice("pipeline", "stage", r.get("stage")),
                           needed=rows.choice("pipeline", "stage", stages[min(from_stage, len(stages)) - 1]))


# Across forms
@rule("customer-unknown", WARNING,
       'a row of any form but customers/targets names a customer not in customer information; only when '
       'the run has customer rows.',
       zh='客户“{value}”不在客户信息表中{hint}',
       en="Customer '{value}' is not in customer information{hint}",
       forms=ALL_FORMS, relates_by=(CUSTOMER, CUSTOMER_INFORMATION))
def check_customer_unknown(rows: Rows) -> Iterator[Finding]:
    known = rows.customer_names
    if not known:
        return                                # no customer information in this run to compare with
    for r in rows.records:
        spec = rows.spec(r.form)
        if r.form == "customers" or spec.customer_field != "customer":
            continue
        if _cust(r) and _cust(r) not in known:
            yield _finding("customer-unknown", r, "customer", hint=_did_you_mean(_cust(r), known))


def _did_you_mean(key: str, known: dict[str, str]) -> Text | str:
    """The registered name closest to a customer key (a typo, a word more or less), else nothing."""
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    if not close:
        return ""
    name = known[close[0]]
    return Text(zh=f"，您是否指 {name}？", en=f". Did you mean {name}?")


def _latest_prices(rows: Rows) -> dict[str, float]:
    """Customer key -> the latest agreed 价格 amount (by date, then row order)."""
    latest: dict[str, tuple] = {}
    for r in rows.of("negotiations"):
        if r.get("clause") != PRICE or r.get("agreed_amount") is None or r.get("date") is None or not _cust(r):
            continue
        rank = (r.get("date"), rows.order[id(r)])
        if _cust(r) not in latest or rank > latest[_cust(r)][0]:
            latest[_cust(r)] = (rank, r.get("agreed_amount"))
    return {k: amount for k, (_, amount) in latest.items()}


@rule("amount-mismatch", ERROR,
       "a contract's amount differs (> 1e-6) from the latest 价格 agreement (by date, then row order) with "
       'that customer.',
       zh='{customer}：合同金额 {value} 与谈判共识价格 {other} 不一致',
       en='{customer}: Contract amount {value} differs from the agreed price {other}',
       forms=("contracts", "negotiations"), relates_by=(CONTRACT, CUSTOMER))
def check_amount_mismatch(rows: Rows) -> Iterator[Finding]:
    prices = _latest_prices(rows)
    for contract in rows.contracts.values():
        first = _first_amount_row(contract)
        agreed = prices.get(_cust(first)) if first else None
        if agreed is not None and abs(first.get("amount") - agreed) > AMOUNT_TOLERANCE:
            yield _finding("amount-mismatch", first, "amount", other=agreed)


@rule("below-floor", WARNING,
       'a 价格 agreement below 我方底线 (a number like "22", "22万" or "22万/年"; anything else is not compared).',
       zh='{customer}：共识金额 {value} 低于我方底线 {other}，需审批',
       en='{customer}: Agreed {value} is below our floor {other}; needs approval',
       forms=("negotiations",))
def check_below_floor(rows: Rows) -> Iterator[Finding]:
    for r in rows.of("negotiations"):
        agreed = r.get("agreed_amount")
        floor = _parse_floor(r.get("floor")) if r.get("floor") else None
        if r.get("clause") == PRICE and agreed is not None and floor is not None and agreed < floor:
            yield _finding("below-floor", r, "agreed_amount", other=floor)


@rule("confirmation-late", WARNING,
       '需求确认函 sent more than confirmation_days after the meeting.',
       zh='{customer}：需求确认函在需求挖掘 {days} 天后才发送（应在 {limit} 天内）',
       en='{customer}: The needs confirmation went out {days} days after the meeting (due within {limit})',
       forms=("needs",), settings=("confirmation_days",))
def check_confirmation(rows: Rows) -> Iterator[Finding]:
    """Sent, but later than allowed."""
    for r, days, limit in _confirmation_delays(rows):
        if r.get("confirmation_sent") is not None:
            yield _finding("confirmation-late", r, "confirmation_sent", days=days, limit=limit)


@rule("confirmation-missing", WARNING,
       'not sent, and as_of is already past that (days = as_of - date).',
       zh='{customer}：需求挖掘已过 {days} 天仍未发送需求确认函（应在 {limit} 天内）',
       en='{customer}: No needs confirmation sent {days} days after the meeting (due within {limit})',
       forms=("needs",), settings=("confirmation_days",), as_of={"needs": "date"},
       lead=lambda config: config.confirmation_days, daily=True)
def check_confirmation_missing(rows: Rows) -> Iterator[Finding]:
    """Not sent, and the allowed days have already passed."""
    for r, days, limit in _confirmation_delays(rows):
        if r.get("confirmation_sent") is None:
            yield _finding("confirmation-missing", r, "confirmation_sent", days=days, limit=limit)


def _confirmation_delays(rows: Rows) -> Iterator[tuple[Record, int, int]]:
    limit = rows.ctx.config.confirmation_days
    for r in rows.of("needs"):
        date, sent = r.get("date"), r.get("confirmation_sent")
        if date is None or _unreadable(r, "confirmation_sent"):
            continue
        days = (sent - date).days if sent is not None else (rows.ctx.as_of - date).days
        if days > limit:
            yield r, days, limit


@rule("delivery-followup-missing", WARNING,
       'no visit of the customer from 交付日期 up to delivery_followup_workdays working days (Mon-Fri) after '
       'it, and that window ended before as_of.',
       zh='{customer}：交付（{value}）后 {limit} 个工作日内没有回访',
       en='{customer}: No follow-up visit within {limit} working days of delivery ({value})',
       forms=("pipeline", "visits"), relates_by=(CUSTOMER.on("pipeline", "visits"),),
       settings=("delivery_followup_workdays",),
       as_of={"pipeline": "delivered"}, lead=lambda config: 2 * config.delivery_followup_workdays + 4)
def check_delivery_followup(rows: Rows) -> Iterator[Finding]:
    workdays = rows.ctx.config.delivery_followup_workdays
    for r in rows.of("pipeline"):
        delivered = r.get("delivered")
        if delivered is None or not _cust(r):
            continue
        end = add_workdays(delivered, workdays)
        if end >= rows.ctx.as_of:
            continue                          # the rep still has time
        if not any(delivered <= d <= end for d in rows.visit_dates.get(_cust(r), ())):
            yield _finding("delivery-followup-missing", r, "delivered", limit=workdays)


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo else moment


@rule("entry-late", WARNING,
       'a needs or negotiation row first seen by the store more than entry_hours after the end of the '
       'meeting day (the form has no time of day); ``hours`` rounded up. Rows never stored: skipped.',
       zh='{customer}：{value} 的记录在 {hours} 小时后才录入（应在 {limit} 小时内）',
       en='{customer}: The record of {value} was entered {hours} hours later (due within {limit})',
       forms=("needs", "negotiations"), settings=("entry_hours",))
def check_entry_late(rows: Rows) -> Iterator[Finding]:
    limit = rows.ctx.config.entry_hours
    for r in rows.records:
        key = rows.spec(r.form).timely_field
        date = r.get(key) if key else None
        since = rows.ctx.watched_since.get(r.file)
        # Only a row that appeared in a file the store was already watching has a known entry time.
        if date is None or r.first_seen is None or since is None or r.first_seen <= since:
            continue
        # The form has no time of day: count from the end of the meeting day.
        delay = _naive(r.first_seen) - dt.datetime.combine(date + dt.timedelta(days=1), dt.time.min)
        if delay > dt.timedelta(hours=limit):
            yield _finding("entry-late", r, key, hours=math.ceil(delay.total_seconds() / 3600), limit=limit)


@rule("duplicate-claim", WARNING,
       "one customer in customer information owned by two or more reps; the first claim stands (the "
       "store's first sighting; between rows first seen together, or without a store, the file modified "
       "earlier, then row order), so an edit never moves it; each other rep's row is reported.",
       zh='客户“{value}”同时由 {reps} 跟进（撞单）',
       en="Customer '{value}' is claimed by {reps}",
       forms=("customers",), relates_by=(CUSTOMER,))
def check_duplicate_claim(rows: Rows) -> Iterator[Finding]:
    claims = [r for r in rows.of("customers") if r.get("owner")]
    for group in _group(claims, _cust).values():
        reps = sorted({clean_text(r.get("owner")) for r in group})
        if len(reps) < 2:
            continue
        ranked = sorted(group, key=lambda r: (r.first_seen is None, _naive(r.first_seen) if r.first_seen
                                              else dt.datetime.min, rows.ctx.file_order.get(r.file, math.inf),
                                              rows.order[id(r)]))
        owner = clean_text(ranked[0].get("owner"))
        for r in group:
            if clean_text(r.get("owner")) != owner:
                yield _finding("duplicate-claim", r, "customer", reps=reps)


# Collections and rebates
def _contract_amounts(rows: Rows) -> dict[str, float]:
    """Contract id -> amount, for contracts not rejected (the first row with an amount)."""
    amounts = {}
    for contract_id, contract in rows.contracts.items():
        first = _first_amount_row(contract)
        if first and not any(r.get("decision") == REJECTED for r in contract):
            amounts[contract_id] = first.get("amount")
    return amounts


def _received(record: Record) -> float:
    return record.get("received_amount") or 0.0


@rule("collection-plan-mismatch", ERROR,
       "a contract's planned instalments (回款计划) add up to more or less than its amount, beyond "
       "collection_tolerance; once per contract, on its first instalment's amount. Rejected contracts and "
       "instalments of contracts not in contract approval are not compared.",
       zh='合同 {contract} 的计划回款合计 {total} 万元，与合同金额 {other} 万元不一致',
       en='Planned instalments of contract {contract} add up to {total}, not the amount {other} (10k CNY)',
       forms=("collections", "contracts"), relates_by=(CONTRACT,), settings=("collection_tolerance",))
def check_collection_plan(rows: Rows) -> Iterator[Finding]:
    amounts = _contract_amounts(rows)
    for contract_id, plan in _group(rows.of("collections"), lambda r: r.get("contract_id")).items():
        if contract_id not in amounts or any(r.get("planned_amount") is None for r in plan):
            continue                          # nothing to compare with, or the total is not known yet
        total = round(sum(r.get("planned_amount") for r in plan), 6)
        if abs(total - amounts[contract_id]) > rows.ctx.config.collection_tolerance + 1e-9:
            yield _finding("collection-plan-mismatch", plan[0], "planned_amount", contract=contract_id,
                           total=total, other=amounts[contract_id])


@rule("collection-overdue", WARNING,
       "an instalment's 计划回款日期 is before as_of and less than its 计划金额 has been received; ``days`` "
       "= as_of - 计划回款日期, ``missing`` the amount still to come.",
       zh='{customer}：{value} 应回款，已逾期 {days} 天，尚欠 {missing} 万元',
       en='{customer}: Due on {value}, {days} days overdue, {missing} (10k CNY) still to come',
       forms=("collections",), as_of={"collections": "planned_date"}, daily=True)
def check_collection_overdue(rows: Rows) -> Iterator[Finding]:
    for r in rows.of("collections"):
        due, planned = r.get("planned_date"), r.get("planned_amount")
        if due is None or planned is None or _unreadable(r, "received_amount"):
            continue
        missing = round(planned - _received(r), 6)
        if due < rows.ctx.as_of and missing > AMOUNT_TOLERANCE:
            yield _finding("collection-overdue", r, "planned_date", days=(rows.ctx.as_of - due).days,
                           missing=missing)


@rule("won-not-collected", ERROR,
       "an opportunity at stage 6 (收回全款) or forecast 已成交 whose customer's instalments (matched by "
       "customer_key) are not fully received; 质保金 left out when won_excludes_retention. A customer "
       "without instalments is not judged (collections may not be tracked yet).",
       zh='阶段“收回全款”意味着全部回款，但 {customer} 只到账 {received} / {planned} 万元',
       en='Won means fully paid, but {customer} has paid {received} of {planned} (10k CNY)',
       forms=("pipeline", "collections"), relates_by=(CUSTOMER.on("pipeline", "collections"),),
       settings=("won_excludes_retention",))
def check_won_collected(rows: Rows) -> Iterator[Finding]:
    skip_retention = rows.ctx.config.won_excludes_retention
    plans = _group((r for r in rows.of("collections")
                    if not (skip_retention and r.get("milestone") == RETENTION)), _cust)
    for r in rows.of("pipeline"):
        plan = plans.get(_cust(r))
        if not plan or not (r.get("stage") == WON_STAGE or r.get("forecast") == CLOSED_WON):
            continue
        if any(i.get("planned_amount") is None or _unreadable(i, "received_amount") for i in plan):
            continue
        planned = round(sum(i.get("planned_amount") for i in plan), 6)
        received = round(sum(_received(i) for i in plan), 6)
        if planned - received > AMOUNT_TOLERANCE:
            key = "stage" if r.get("stage") == WON_STAGE else "forecast"
            yield _finding("won-not-collected", r, key, received=received, planned=planned)


@rule("rebate-unapproved", ERROR,
       "a rebate marked 已承诺 or 已支付 while one of the three steps (大客户部经理, 市场营销中心, 总经理) has "
       "no 同意 row; once per contract, on the first such status cell.",
       zh='合同 {contract} 的返点已承诺或已支付，但缺少审批：{missing}',
       en='The rebate of contract {contract} is promised or paid without approval by: {missing}',
       forms=("rebates",), relates_by=(CONTRACT,))
def check_rebate_approved(rows: Rows) -> Iterator[Finding]:
    steps = rows.field("rebates", "step").choice_values()
    for contract_id, group in _group(rows.of("rebates"), lambda r: r.get("contract_id")).items():
        committed = next((r for r in group if r.get("status") in REBATE_COMMITTED), None)
        if committed is None or any(_unreadable(r, "decision") or _unreadable(r, "step") for r in group):
            continue
        agreed = {r.get("step") for r in group if r.get("decision") == REBATE_AGREED}
        missing = [s for s in steps if s not in agreed]
        if missing:
            yield _finding("rebate-unapproved", committed, "status", contract=contract_id,
                           missing=Text(zh="、".join(missing),
                                        en=", ".join(rows.choice("rebates", "step", s).en for s in missing)))


@rule("rebate-over-tier", WARNING,
       "a rebate rate above the rebate_tiers rate for the contract's amount (from contract approval); once "
       "per contract, on the first such rate.",
       zh='返点比例 {value}% 高于合同金额 {other} 万元对应的 {limit}%',
       en='Rebate rate {value}% is above the {limit}% of a {other} (10k CNY) contract',
       forms=("rebates", "contracts"), relates_by=(CONTRACT,), settings=("rebate_tiers",))
def check_rebate_tier(rows: Rows) -> Iterator[Finding]:
    amounts = _contract_amounts(rows)
    for contract_id, group in _group(rows.of("rebates"), lambda r: r.get("contract_id")).items():
        if contract_id not in amounts:
            continue
        limit = rebate_rate(amounts[contract_id], rows.ctx.config.rebate_tiers)
        over = next((r for r in group if r.get("rate") is not None and r.get("rate") > limit + 1e-9), None)
        if over:
            yield _finding("rebate-over-tier", over, "rate", other=amounts[contract_id], limit=limit)



def run_rules(records: list[Record], ctx: RuleContext, skip: Iterable[str] = ()) -> list[Finding]:
    """Every rule's findings over all rows of one run, sorted by place; ``skip`` names rules to leave out."""
    skip = set(skip)
    unknown = skip - set(RULES)
    if unknown:
        raise ValueError(f"unknown rules {sorted(unknown)}; known: {sorted(RULES)}")
    rows = Rows(records, ctx)
    findings: list[Finding] = []
    for code, unit in RULES.items():
        if code not in skip:
            findings.extend(unit(rows))
    return sorted(findings, key=_place_key(ctx.schema))


def _place_key(schema: Schema) -> Callable[[Finding], tuple]:
    forms = {key: i for i, key in enumerate(schema.sheets)}
    rules = {code: i for i, code in enumerate(RULES)}

    def key(f: Finding) -> tuple:
        column = column_index_from_string(f.column) if f.column else 0
        return (f.file, forms.get(f.form, len(forms)), f.sheet or "", f.row or 0, column, rules[f.code])
    return key
