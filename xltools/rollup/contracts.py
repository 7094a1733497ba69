"""Contract approvals: each contract's state along the approval chain, the ones waiting, and the cycle time.

The chain is 销售经理审核 → 法务审核 → 总经理审批; 总经理审批 is needed from ``config.approval_gm_threshold``
万元 or when the contract has that row. A contract is approved when every needed step is 同意, rejected on
any 驳回, else pending at its first needed step not yet 同意; days_waiting counts from 提交时间. Cycle time:
提交时间 to the last 同意.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from xltools.forms.config import Config
from xltools.forms.schema import load_schema, vocabulary
from xltools.rollup.frames import as_day, as_text
from xltools.rollup.model import Contracts, PendingContract

APPROVAL_CHAIN = load_schema().sheets["contracts"].field("step").choice_values()
GM_STEP = vocabulary("contracts", "step", "general-manager")
AGREED, REJECTED = vocabulary("contracts", "decision", "agreed"), vocabulary("contracts", "decision", "rejected")


@dataclass
class ContractState:
    contract_id: str
    customer: str
    submitter: str
    amount: float
    submitted: dt.date | None
    state: str                        # approved | rejected | pending
    step: str | None                  # the pending step
    approved_on: dt.date | None


def contract_states(contracts: pd.DataFrame, config: Config) -> list[ContractState]:
    """Each contract's approval state, from its rows in chain order (plain records: a
    contract has a handful of rows, and there are thousands of contracts)."""
    groups: dict[str, list[dict]] = defaultdict(list)
    ordered = contracts[contracts["contract_id"].notna()].sort_values(["contract_id", "order"], kind="stable")
    for row in ordered.to_dict("records"):
        groups[str(row["contract_id"])].append(row)
    return [_contract_state(cid, rows, config) for cid, rows in sorted(groups.items())]


def _contract_state(cid: str, rows: list[dict], config: Config) -> ContractState:
    amounts = [r["amount"] for r in rows if pd.notna(r["amount"])]
    amount = float(amounts[0]) if amounts else 0.0
    decisions = {r["step"]: (r["decision"], as_day(r["decided"])) for r in rows}
    needed = APPROVAL_CHAIN[:2] + ([GM_STEP] if amount >= config.approval_gm_threshold or GM_STEP in decisions
                                   else [])
    waiting = next((s for s in needed if decisions.get(s, (None,))[0] != AGREED), None)
    state = "rejected" if any(d == REJECTED for d, _ in decisions.values()) else "pending" if waiting else "approved"
    agreed = [day for d, day in decisions.values() if d == AGREED and day]
    customers = [r["customer"] for r in rows if pd.notna(r["customer"])]
    submitted = [r["submitted"] for r in rows if pd.notna(r["submitted"])]
    return ContractState(cid, as_text(customers[0]) if customers else "", rows[0]["rep"], amount,
                     as_day(min(submitted)) if submitted else None, state, waiting,
                     max(agreed) if agreed and state == "approved" else None)


def contract_summary(states: list[ContractState], as_of: dt.date, held: set[str] = frozenset()) -> Contracts:
    """Contracts awaiting approval, quarantined ones too (flagged): the general manager must see them."""
    pending = [PendingContract(c.contract_id, c.customer, c.submitter, c.amount, c.step, c.submitted,
                               (as_of - c.submitted).days if c.submitted else None, c.contract_id in held)
               for c in states if c.state == "pending"]
    pending.sort(key=lambda p: (-(p.days_waiting or 0), p.contract_id))
    cycles = [(c.approved_on - c.submitted).days for c in states
              if c.state == "approved" and c.approved_on and c.submitted]
    return Contracts(pending, sum(c.state == "approved" for c in states), sum(c.state == "rejected" for c in states),
                     sum(cycles) / len(cycles) if cycles else None)
