"""A won deal's paperwork: the contract's approval chain, its instalments and the rep's rebate, and the
renewals that pad a benchmark's contracts sheet."""
from __future__ import annotations

import random
from datetime import date, timedelta

from xltools.forms.config import Config, rebate_rate
from xltools.sample.book import Book, Row, Story
from xltools.sample.dates import workday
from xltools.sample.phrases import APPROVAL_COMMENTS, CONTRACT_KINDS
from xltools.sample.terms import (AGREED, APPROVAL_STEPS, PENDING, REBATE_AGREED, REBATE_PAID, REBATE_STEPS,
                                  RETENTION, WON)


def contract_rows(book: Book, st: Story, submitted: date | None = None,
                  kind: str | None = None) -> list[Row]:
    """The approval chain: 销售经理审核 → 法务审核 → 总经理审批 (from the threshold on)."""
    submitted = submitted or st.dates.get("submitted")
    if submitted is None:
        return []
    rng = book.rng
    book.contracts += 1
    width = book.id_width()
    contract_id = f"HT-{submitted:%Y%m}{book.plan.index + 1:03d}{book.contracts:0{width}d}"
    steps = APPROVAL_STEPS if st.amount >= Config().approval_gm_threshold else APPROVAL_STEPS[:2]
    decided = _approval_dates(rng, st, submitted, len(steps))
    kind = kind or rng.choice(CONTRACT_KINDS)
    approvers = dict(zip(APPROVAL_STEPS, (f"{book.plan.region[:2]}销售经理", "法务部刘律师", "陈总")))
    rows = []
    for step, day in zip(steps, decided):
        rows.append({"contract_id": contract_id, "customer": st.name, "amount": st.amount, "kind": kind,
                     "submitter": book.plan.name, "submitted": submitted, "step": step,
                     "approver": approvers.get(step), "comment": rng.choice(APPROVAL_COMMENTS) if day else None,
                     "decision": AGREED if day else PENDING, "decided": day})
    return rows


def _approval_dates(rng: random.Random, st: Story, submitted: date, steps: int) -> list[date | None]:
    """Decision dates in chain order; a committed customer's contract still waits after the manager."""
    if st.arc == "committed":
        return [st.dates["manager"]] + [None] * (steps - 1)
    if st.arc.startswith("won") and submitted == st.dates.get("submitted"):
        phases = ("manager", "legal", "gm")[:steps]
        return [st.dates[p] for p in phases]
    day, out = submitted, []
    for _ in range(steps):                      # a renewal: decided step by step after submission
        day = workday(day + timedelta(days=rng.randint(1, 3)))
        out.append(day)
    return out


# Collections: a won deal is fully paid (stage 6 means 收回全款), in these shares of its amount.
INSTALMENTS = (("预付款", 0.3, 0.1), ("进度款", 0.4, 0.4), ("验收款", 0.2, 0.7), (RETENTION, 0.1, 0.95))


def _signed(st: Story, index: int = 0) -> tuple[str, date] | None:
    """The id of a won deal's ``index``-th contract (0: the first, then renewals) and the day its last
    approval came; None when there is no such contract or it is still waiting."""
    by_id: dict[str, list[Row]] = {}
    for r in st.rows.get("contracts", []):
        by_id.setdefault(r["contract_id"], []).append(r)
    if st.forecast != WON or index >= len(by_id):
        return None
    contract_id, rows = list(by_id.items())[index]
    if any(r["decided"] is None for r in rows):
        return None
    return contract_id, max(r["decided"] for r in rows)


def collection_rows(book: Book, st: Story, index: int = 0) -> list[Row]:
    """Each instalment due at its share of the time from signing to as_of, received that day in full."""
    signed = _signed(st, index)
    if signed is None:
        return []
    contract_id, day = signed
    span = (book.as_of - day).days
    rows, left = [], st.amount
    for i, (milestone, share, when) in enumerate(INSTALMENTS):
        planned = round(left if i == len(INSTALMENTS) - 1 else st.amount * share, 2)
        left = round(left - planned, 2)
        due = day + timedelta(days=int(span * when))
        rows.append({"contract_id": contract_id, "customer": st.name, "milestone": milestone,
                     "planned_date": due, "planned_amount": planned, "received_date": due,
                     "received_amount": planned, "invoiced": due, "owner": book.plan.name})
    return rows


def rebate_rows(book: Book, st: Story, index: int = 0) -> list[Row]:
    """A rebate at the contract's tier, applied for on signing, approved by all three steps, paid."""
    signed = _signed(st, index)
    if signed is None:
        return []
    contract_id, day = signed
    rate = rebate_rate(st.amount)
    return [{"contract_id": contract_id, "customer": st.name, "rate": rate,
             "amount": round(st.amount * rate / 100, 2), "applicant": book.plan.name, "applied": day,
             "status": REBATE_PAID, "step": step, "decision": REBATE_AGREED, "decided": day} for step in REBATE_STEPS]


def renewal_rows(book: Book, st: Story, round_no: int) -> list[Row] | None:
    """A renewal at the agreed annual price, after the first contract was approved."""
    if not st.arc.startswith("won"):
        return None
    submitted = workday(st.dates["gm"] + timedelta(days=14 * round_no + book.rng.randint(0, 4)))
    if submitted + timedelta(days=10) >= book.as_of:
        return None
    return contract_rows(book, st, submitted, kind="软件服务合同")
