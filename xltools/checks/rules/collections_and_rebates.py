"""Rules of collections and rebates: instalment plans against contract amounts, overdue
instalments, won deals not fully paid, rebate approvals and tiers."""
from __future__ import annotations

from collections.abc import Iterator

from xltools.checks.rules.rows import Rows, customer_of, finding_at, first_amount_row, group_by, unreadable
from xltools.checks.rules.unit import CONTRACT, CUSTOMER, rule
from xltools.checks.rules.vocabulary import (
    AMOUNT_TOLERANCE,
    CLOSED_WON,
    REBATE_AGREED,
    REBATE_COMMITTED,
    REJECTED,
    RETENTION,
    WON_STAGE,
)
from xltools.forms.config import rebate_rate
from xltools.forms.model import Record
from xltools.ingest.findings import ERROR, WARNING, Finding
from xltools.text import Text


# Collections and rebates
def _contract_amounts(rows: Rows) -> dict[str, float]:
    """Contract id -> amount, for contracts not rejected (the first row with an amount)."""
    amounts = {}
    for contract_id, contract in rows.contracts.items():
        first = first_amount_row(contract)
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
       title=Text("回款计划与合同金额不符", "Instalments differ from the contract"),
       forms=("collections", "contracts"), relates_by=(CONTRACT,), settings=("collection_tolerance",))
def check_collection_plan(rows: Rows) -> Iterator[Finding]:
    amounts = _contract_amounts(rows)
    for contract_id, plan in group_by(rows.of("collections"), lambda r: r.get("contract_id")).items():
        if contract_id not in amounts or any(r.get("planned_amount") is None for r in plan):
            continue                          # nothing to compare with, or the total is not known yet
        total = round(sum(r.get("planned_amount") for r in plan), 6)
        if abs(total - amounts[contract_id]) > rows.ctx.config.collection_tolerance + 1e-9:
            yield finding_at("collection-plan-mismatch", plan[0], "planned_amount", contract=contract_id,
                             total=total, other=amounts[contract_id])


@rule("collection-overdue", WARNING,
       "an instalment's 计划回款日期 is before as_of and less than its 计划金额 has been received; ``days`` "
       "= as_of - 计划回款日期, ``missing`` the amount still to come.",
       zh='{customer}：{value} 应回款，已逾期 {days} 天，尚欠 {missing} 万元',
       en='{customer}: Due on {value}, {days} days overdue, {missing} (10k CNY) still to come',
       title=Text("回款逾期", "Instalment overdue"),
       forms=("collections",), as_of={"collections": "planned_date"}, daily=True,
       reads={"collections": ("planned_amount", "received_amount")})
def check_collection_overdue(rows: Rows) -> Iterator[Finding]:
    for r in rows.of("collections"):
        due, planned = r.get("planned_date"), r.get("planned_amount")
        if due is None or planned is None or unreadable(r, "received_amount"):
            continue
        missing = round(planned - _received(r), 6)
        if due < rows.ctx.as_of and missing > AMOUNT_TOLERANCE:
            yield finding_at("collection-overdue", r, "planned_date", days=(rows.ctx.as_of - due).days,
                             missing=missing)


@rule("won-not-collected", ERROR,
       "an opportunity at stage 6 (收回全款) or forecast 已成交 whose customer's instalments (matched by "
       "customer_key) are not fully received; 质保金 left out when won_excludes_retention. A customer "
       "without instalments is not judged (collections may not be tracked yet).",
       zh='阶段“收回全款”意味着全部回款，但 {customer} 只到账 {received} / {planned} 万元',
       en='Won means fully paid, but {customer} has paid {received} of {planned} (10k CNY)',
       title=Text("成交未收全款", "Won, not fully paid"),
       forms=("pipeline", "collections"), relates_by=(CUSTOMER.on("pipeline", "collections"),),
       settings=("won_excludes_retention",))
def check_won_collected(rows: Rows) -> Iterator[Finding]:
    skip_retention = rows.ctx.config.won_excludes_retention
    plans = group_by((r for r in rows.of("collections")
                      if not (skip_retention and r.get("milestone") == RETENTION)), customer_of)
    for r in rows.of("pipeline"):
        plan = plans.get(customer_of(r))
        if not plan or not (r.get("stage") == WON_STAGE or r.get("forecast") == CLOSED_WON):
            continue
        if any(i.get("planned_amount") is None or unreadable(i, "received_amount") for i in plan):
            continue
        planned = round(sum(i.get("planned_amount") for i in plan), 6)
        received = round(sum(_received(i) for i in plan), 6)
        if planned - received > AMOUNT_TOLERANCE:
            key = "stage" if r.get("stage") == WON_STAGE else "forecast"
            yield finding_at("won-not-collected", r, key, received=received, planned=planned)


@rule("rebate-unapproved", ERROR,
       "a rebate marked 已承诺 or 已支付 while one of the three steps (大客户部经理, 市场营销中心, 总经理) has "
       "no 同意 row; once per contract, on the first such status cell.",
       zh='合同 {contract} 的返点已承诺或已支付，但缺少审批：{missing}',
       en='The rebate of contract {contract} is promised or paid without approval by: {missing}',
       title=Text("返点未审批", "Rebate not approved"),
       forms=("rebates",), relates_by=(CONTRACT,))
def check_rebate_approved(rows: Rows) -> Iterator[Finding]:
    steps = rows.field("rebates", "step").choice_values()
    for contract_id, group in group_by(rows.of("rebates"), lambda r: r.get("contract_id")).items():
        committed = next((r for r in group if r.get("status") in REBATE_COMMITTED), None)
        if committed is None or any(unreadable(r, "decision") or unreadable(r, "step") for r in group):
            continue
        agreed = {r.get("step") for r in group if r.get("decision") == REBATE_AGREED}
        missing = [s for s in steps if s not in agreed]
        if missing:
            yield finding_at("rebate-unapproved", committed, "status", contract=contract_id,
                             missing=Text(zh="、".join(missing),
                                          en=", ".join(rows.choice("rebates", "step", s).en for s in missing)))


@rule("rebate-over-tier", WARNING,
       "a rebate rate above the rebate_tiers rate for the contract's amount (from contract approval); once "
       "per contract, on the first such rate.",
       zh='返点比例 {value}% 高于合同金额 {other} 万元对应的 {limit}%',
       en='Rebate rate {value}% is above the {limit}% of a {other} (10k CNY) contract',
       title=Text("返点超比例", "Rebate above its tier"),
       forms=("rebates", "contracts"), relates_by=(CONTRACT,), settings=("rebate_tiers",))
def check_rebate_tier(rows: Rows) -> Iterator[Finding]:
    amounts = _contract_amounts(rows)
    for contract_id, group in group_by(rows.of("rebates"), lambda r: r.get("contract_id")).items():
        if contract_id not in amounts:
            continue
        limit = rebate_rate(amounts[contract_id], rows.ctx.config.rebate_tiers)
        over = next((r for r in group if r.get("rate") is not None and r.get("rate") > limit + 1e-9), None)
        if over:
            yield finding_at("rebate-over-tier", over, "rate", other=amounts[contract_id], limit=limit)


