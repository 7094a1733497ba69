"""Rules of contract approval: the approval chain's order, its rows' agreement, the general manager's authority."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from xltools.checks.rules.rows import Rows, finding_at, first_amount_row, unreadable
from xltools.checks.rules.unit import CONTRACT, rule
from xltools.checks.rules.vocabulary import AGREED, AMOUNT_TOLERANCE, GM_STEP, REJECTED
from xltools.forms.model import Record, customer_key
from xltools.ingest.findings import ERROR, Finding
from xltools.text import Text


# Contracts
def _steps(rows: Rows) -> list[str]:
    return rows.field("contracts", "step").choice_values()


def _step_ranks(rows: Rows) -> dict[str, int]:
    """Each step's place in the chain (its first, should a step be listed twice)."""
    return {step: i for i, step in reversed(list(enumerate(rows.shared(_steps))))}


class _Chain:
    """One contract's rows and the approval chain they should follow."""

    def __init__(self, rows: Rows, contract: list[Record]):
        self.rows = rows
        self.contract = contract
        self.order = rows.shared(_steps)       # 销售经理 -> 法务 -> 总经理
        self.ranks = rows.shared(_step_ranks)

    def rank(self, record: Record) -> int:
        return self.ranks[record.get("step")]

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
            if any(unreadable(o, "decision") for o in rows_of_step):
                return None
            if not any(o.get("decision") == AGREED for o in rows_of_step):
                step, prior = self.name(r.get("step")), self.name(needed)
                state = Text("缺失", "missing") if not rows_of_step else Text("尚未同意", "not approved")
                return "step", Text(zh=f"“{step.zh}”已有结果，但“{prior.zh}”{state.zh}",
                                    en=f"'{step.en}' was decided while '{prior.en}' is {state.en}")
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
       title=Text("审批顺序不对", "Approvals out of order"),
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
                yield finding_at("approval-order", r, key, detail=detail)


@rule("approval-consistency", ERROR,
       'rows of one contract disagree on customer (customer_key) or amount; once per contract and field, '
       "on the first row that differs from the contract's first row.",
       zh='合同 {key} 的各行{label}不一致：{values}',
       en='Rows of contract {key} disagree on {label}: {values}',
       title=Text("合同各行不一致", "Contract rows disagree"),
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
                yield finding_at("approval-consistency", odd, key,
                                 label=rows.label("contracts", key), values=distinct)


@rule("approval-authority", ERROR,
       'amount >= approval_gm_threshold, the contract is not rejected and has no 总经理审批 row at all. A '
       'chain still in progress is flagged too: the planned chain itself lacks the step.',
       zh='合同 {key} 金额 {value} 万元，需总经理审批',
       en="Contract {key} of {value} (10k CNY) needs the general manager's approval",
       title=Text("需总经理审批", "Needs the general manager"),
       forms=("contracts",), relates_by=(CONTRACT,), settings=("approval_gm_threshold",))
def check_approval_authority(rows: Rows) -> Iterator[Finding]:
    threshold = rows.ctx.config.approval_gm_threshold
    for contract in rows.contracts.values():
        first = first_amount_row(contract)
        if first is None or first.get("amount") < threshold:
            continue
        if any(r.get("step") is None or unreadable(r, "decision") for r in contract):
            continue                          # the unknown row may be the GM's or a rejection
        rejected = any(r.get("decision") == REJECTED for r in contract)
        if not rejected and not any(r.get("step") == GM_STEP for r in contract):
            yield finding_at("approval-authority", first, "amount")

