"""Rules within one form: required values, duplicate rows and records, decision chains, the proposal
checklist, the order of dates, overdue objections."""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

from xltools.checks.rules.rows import Rows, blank, customer_of, finding_at, group_by, unreadable
from xltools.checks.rules.unit import ALL_FORMS, CONTRACT, CUSTOMER, PROJECT, TARGET_REP, rule
from xltools.checks.rules.vocabulary import DECISION_MAKER, DONE, OPEN
from xltools.forms.model import Record, customer_key
from xltools.forms.schema import SheetSpec
from xltools.forms.values import clean_text, is_blank
from xltools.ingest.findings import ERROR, WARNING, Finding
from xltools.text import Text


# Per cell and per form
@rule("required", ERROR,
       'a required field is empty in a started row; a field whose column is missing (column-missing) or '
       'whose cell was unreadable (type/enum) is not reported again.',
       zh='“{label}”为必填项',
       en="'{label}' is required",
       title=Text("必填项为空", "Required value missing"),
       forms=ALL_FORMS)
def check_required(rows: Rows) -> Iterator[Finding]:
    for form, records in rows.by_form.items():
        for f in rows.spec(form).fields:
            if not f.required:
                continue
            key = f.key
            empty = [r for r in records if r.values.get(key) is None]       # few: look closer at these only
            for r in empty:
                # No column at all is one column-missing finding, not one per row.
                if key in r.columns and is_blank(r.raw.get(key)) and _started(r):
                    yield finding_at("required", r, key, label=f.label)


def _started(record: Record) -> bool:
    """Not a row left empty: nothing of it can be missing yet."""
    return bool(record.raw) or any(v is not None for v in record.values.values())


def _natural_key(spec: SheetSpec) -> Callable[[Record], tuple | None]:
    """The form's natural key of a row; None when a part of it is empty."""
    fields, customer_field, with_rep = spec.natural_key, spec.customer_field, spec.key == "customers"
    cleaned: dict[str, str] = {}              # the same few texts come back row after row

    def key(record: Record) -> tuple | None:
        parts: list[Any] = []
        for field_key in fields:
            value = record.values.get(field_key)
            if field_key == customer_field:
                value = customer_key(value) if value else None
            elif isinstance(value, str):
                value = cleaned.get(value) or cleaned.setdefault(value, clean_text(value))
            if value is None or value == "":
                return None
            parts.append(value)
        if with_rep:
            parts.append(record.rep)            # another rep's row is a duplicate-claim
        return tuple(parts)
    return key


NATURAL_KEYS = (CUSTOMER, CONTRACT, PROJECT, TARGET_REP)
"""The keys covering every form's natural key (forms.yaml ``natural_key``)."""


def _by_natural_key(rows: Rows) -> list[tuple[str, list[Record]]]:
    """Each form's rows sharing one natural key, when more than one does (in row order)."""
    return [(form, group) for form, records in rows.by_form.items()
            for group in group_by(records, _natural_key(rows.spec(form))).values() if len(group) > 1]


def _place(record: Record) -> str:
    return f"{record.file}!{record.sheet} row {record.row}"


@rule("duplicate-row", WARNING,
       "a form's natural key appears twice within one file (customer names compared by customer_key); "
       'reported on each later row, ``other`` = "file!sheet row N" of the first. In customer information '
       'the key includes the rep: one customer claimed by two reps is a duplicate-claim, not a duplicate '
       'row. The same key in two files is a duplicate-record.',
       zh='与 {other} 重复',
       en='Duplicates {other}',
       title=Text("重复行", "Duplicate row"),
       forms=ALL_FORMS, relates_by=NATURAL_KEYS)
def check_duplicate_rows(rows: Rows) -> Iterator[Finding]:
    for form, group in rows.shared(_by_natural_key):
        for records in group_by(group, lambda r: r.file).values():
            for r in records[1:]:
                yield finding_at("duplicate-row", r, rows.spec(form).natural_key[0], other=_place(records[0]))


@rule("duplicate-record", ERROR,
       "a form's natural key (forms.yaml ``natural_key``) appears in two or more files: the same record "
       "sent twice (a re-sent or re-saved copy). The first file (modified earlier, then by name; in a store, "
       "the one recorded first) keeps it; each row of a later file is reported and quarantined until one "
       'copy is removed. ``other`` = "file!sheet row N" of the kept row.',
       zh='与 {other} 是同一条记录（另一个文件中已有），请删除其中一份',
       en='The same record as {other} (in another file): remove one of the copies',
       title=Text("同一记录在两个文件中", "Same record in two files"),
       forms=ALL_FORMS, relates_by=NATURAL_KEYS)
def check_duplicate_records(rows: Rows) -> Iterator[Finding]:
    rank = rows.ctx.file_times
    for form, group in rows.shared(_by_natural_key):
        first = min(group, key=lambda r: (rank.get(r.file, math.inf), r.file, rows.order[id(r)]))
        for r in group:
            if r.file != first.file:
                yield finding_at("duplicate-record", r, rows.spec(form).natural_key[0], other=_place(first))


def _decision_chains(rows: Rows) -> dict[tuple, list[Record]]:
    return group_by(rows.of("decision_chain"),
                    lambda r: (customer_of(r), r.get("date")) if customer_of(r) and r.get("date") else None)


@rule("weights-sum", ERROR,
       'decision-chain weights of one customer and date do not add up to 100 ± weights_tolerance; on the '
       "first row's weight cell.",
       zh='{customer} {date} 的决策链权重合计 {total}%，应为 100%',
       en='Decision-chain weights of {customer} on {date} add up to {total}%, not 100%',
       title=Text("决策链权重不为 100%", "Decision weights not 100%"),
       forms=("decision_chain",), relates_by=(CUSTOMER,), settings=("weights_tolerance",))
def check_weights_sum(rows: Rows) -> Iterator[Finding]:
    tolerance = rows.ctx.config.weights_tolerance
    for (_, date), group in rows.shared(_decision_chains).items():
        if any(r.get("weight") is None for r in group):
            continue                          # the total is not known yet
        total = round(sum(r.get("weight") for r in group), 6)
        if abs(total - 100) > tolerance + 1e-9:
            yield finding_at("weights-sum", group[0], "weight", value=total, date=date, total=total)


@rule("decision-maker-missing", ERROR,
       "that group has no 决策 role; on the first row's role cell.",
       zh='{customer} {date} 的决策链没有“决策”角色',
       en='The decision chain of {customer} on {date} has no decision maker',
       title=Text("决策链缺少决策人", "No decision maker"),
       forms=("decision_chain",), relates_by=(CUSTOMER,))
def check_decision_maker(rows: Rows) -> Iterator[Finding]:
    for (_, date), group in rows.shared(_decision_chains).items():
        if any(unreadable(r, "role") for r in group):
            continue                          # the unreadable role may be the decision maker
        if not any(r.get("role") == DECISION_MAKER for r in group):
            yield finding_at("decision-maker-missing", group[0], "role", value=None, date=date)


@rule("solution-incomplete", WARNING,
       "a customer's checklist lacks some of the six modules (``missing`` lists them in schema order); "
       'on its first row.',
       zh='{customer} 的方案缺少模块：{missing}',
       en='The proposal for {customer} lacks: {missing}',
       title=Text("方案模块不全", "Proposal incomplete"),
       forms=("solution",), relates_by=(CUSTOMER,))
def check_solution_complete(rows: Rows) -> Iterator[Finding]:
    modules = rows.field("solution", "module").choice_values()
    for group in group_by(rows.of("solution"), customer_of).values():
        if any(r.get("module") is None for r in group):
            continue                          # a module cell is empty or unreadable
        present = {r.get("module") for r in group}
        missing = [m for m in modules if m not in present]
        if missing:
            yield finding_at("solution-incomplete", group[0], "module", value=None, missing=missing)


@rule("done-date-missing", ERROR,
       'a module marked 是 has no 完成时间.',
       zh='{customer}：模块已完成但没有完成时间',
       en='{customer}: The module is done but has no completion date',
       title=Text("缺少完成时间", "Completion date missing"),
       forms=("solution",))
def check_done_date(rows: Rows) -> Iterator[Finding]:
    for r in rows.of("solution"):
        if r.get("done") == DONE and blank(r, "done_date"):
            yield finding_at("done-date-missing", r, "done_date")


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
       title=Text("日期先后不对", "Dates out of order"),
       forms=("objections", "visits", "contracts"))
def check_date_order(rows: Rows) -> Iterator[Finding]:
    for form, early, late, same_day_ok in DATE_ORDER:
        for r in rows.of(form):
            first, then = r.get(early), r.get(late)
            if first is None or then is None:
                continue
            if then < first or (then == first and not same_day_ok):
                yield finding_at("date-order", r, late, label=rows.label(form, late),
                                 other_label=rows.label(form, early), other=first)


@rule("objection-overdue", WARNING,
       'status 未解决 or empty, and 计划解决时间 before as_of.',
       zh='{customer}：异议未解决且已过计划解决时间 {value}',
       en='{customer}: The objection is open past its resolve-by date {value}',
       title=Text("异议逾期未解决", "Objection overdue"),
       forms=("objections",), as_of={"objections": "resolve_by"}, reads={"objections": ("status",)})
def check_objection_overdue(rows: Rows) -> Iterator[Finding]:
    for r in rows.of("objections"):
        due = r.get("resolve_by")
        if due is None or unreadable(r, "status") or r.get("status") not in (None, OPEN):
            continue
        if due < rows.ctx.as_of:
            yield finding_at("objection-overdue", r, "resolve_by")

