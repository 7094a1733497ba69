"""Collections (回款) for the summary: what the signed contracts bring in, what is still owed and how late.

Part of the rollup layer: ``rollup`` hands over the typed collections and rebate rows and the contracts'
approval states. Money in 万元. Definitions (SPEC §2, the collections form):

- contracted: the amounts of the approved contracts (by their submitter);
- received: the 到账金额 of every instalment (by its 负责人);
- receivable: what each instalment still lacks, 计划金额 - 到账金额 (never below 0);
- overdue: the receivable of instalments whose 计划回款日期 is before the as-of day, split by days late
  into ≤30, 31-90 and >90;
- collection rate: received ÷ contracted × 100.

Rebates are paid on money received ("总收款的 5% / 8% / 10%"): the tier follows the contract's amount,
the rebate is that rate of what the contract has received, and each carries the state of its application.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from xltools.forms.config import Config, rebate_rate
from xltools.rollup.frames import as_text, pct, total
from xltools.forms.schema import load_schema, vocabulary

DUE_SOON_DAYS = 30
AGEING = (("0-30", 0, 30), ("31-90", 31, 90), ("90+", 91, None))   # days overdue, both ends included
REBATE_STEPS = load_schema().sheets["rebates"].field("step").choice_values()
REBATE_AGREED = vocabulary("rebates", "decision", "agreed")
REBATE_REJECTED = vocabulary("rebates", "decision", "rejected")


@dataclass
class RepCollections:
    rep: str
    contracted: float
    received: float
    receivable: float
    overdue: float
    rate: float | None


@dataclass
class Instalment:
    rep: str
    contract_id: str
    customer: str
    milestone: str
    due: dt.date
    outstanding: float
    days: int
    """Days left until due (due soon), or days overdue (overdue list)."""


@dataclass
class Collections:
    contracted: float
    received: float
    receivable: float
    overdue: float
    ageing: dict[str, float]
    rate: float | None
    by_rep: list[RepCollections]
    due_soon: list[Instalment]
    overdue_list: list[Instalment]


@dataclass
class Rebate:
    contract_id: str
    customer: str
    amount: float
    received: float
    rate: float
    rebate: float
    approval: str
    """approved (all three steps agreed), rejected, pending, or none (never applied for)."""
    basis: str = "received"


def collections(instalments: pd.DataFrame, contracts: Iterable[Any], as_of: dt.date) -> Collections:
    """The receivables as of a day; ``contracts`` are the rollup's approval states.

    Contracted money is every approved contract's, and every contract already collecting money (its
    approval still on its way in the files): what is received is always set against what it was
    received for, so a rate never passes 100% because a contract's approval is missing.
    """
    rows = _outstanding(instalments, as_of)
    collecting = set(rows["contract_id"])
    signed = [c for c in contracts if c.state == "approved" or c.contract_id in collecting]
    late = rows[rows["late"] > 0]
    reps = sorted({c.submitter for c in signed} | set(rows["rep"]))
    contracted = sum(c.amount for c in signed)
    return Collections(
        contracted=contracted, received=total(rows["received"]), receivable=total(rows["outstanding"]),
        overdue=total(late["outstanding"]),
        ageing={name: total(late[(late["late"] >= lo) & ((late["late"] <= hi) if hi else True)]["outstanding"])
                for name, lo, hi in AGEING},
        rate=pct(total(rows["received"]), contracted),
        by_rep=[_rep_row(rep, signed, rows) for rep in reps],
        due_soon=_listed(rows[(rows["left"] >= 0) & (rows["left"] <= DUE_SOON_DAYS) & (rows["outstanding"] > 0)],
                         "left", descending=False),
        overdue_list=_listed(late, "late", descending=True),
    )


def rebates(contracts: Iterable[Any], instalments: pd.DataFrame, applications: pd.DataFrame,
            config: Config) -> list[Rebate]:
    """Each approved contract's rebate on the money it has received, with its application's state."""
    received = instalments.groupby("contract_id")["received_amount"].sum() if len(instalments) else {}
    decisions = ({cid: list(zip(rows["step"], rows["decision"])) for cid, rows in applications.groupby("contract_id")}
                 if len(applications) else {})
    found = []
    for c in sorted((c for c in contracts if c.state == "approved"), key=lambda c: c.contract_id):
        rate = rebate_rate(c.amount, config.rebate_tiers)
        got = float(received.get(c.contract_id, 0.0)) if len(instalments) else 0.0
        found.append(Rebate(c.contract_id, c.customer, c.amount, got, rate, got * rate / 100,
                            _approval(decisions.get(c.contract_id, []))))
    return found


def _approval(decisions: list[tuple[Any, Any]]) -> str:
    """A rebate application's state from its (step, decision) rows."""
    if not decisions:
        return "none"
    if any(d == REBATE_REJECTED for _, d in decisions):
        return "rejected"
    agreed = {s for s, d in decisions if d == REBATE_AGREED}
    return "approved" if all(s in agreed for s in REBATE_STEPS) else "pending"


def _outstanding(instalments: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """One row per instalment with a due amount: received, outstanding, days late and days left."""
    rows = instalments[instalments["planned_amount"].notna()].copy()
    rows["received"] = rows["received_amount"].fillna(0.0)
    rows["outstanding"] = (rows["planned_amount"] - rows["received"]).clip(lower=0.0)
    days = (pd.Timestamp(as_of) - rows["planned_date"]).dt.days
    rows["late"] = days.where(rows["outstanding"] > 0, 0).fillna(0).astype(int).clip(lower=0)
    rows["left"] = (-days).fillna(-1).astype(int)
    return rows


def _rep_row(rep: str, signed: list, rows: pd.DataFrame) -> RepCollections:
    mine = rows[rows["rep"] == rep]
    contracted = sum(c.amount for c in signed if c.submitter == rep)
    return RepCollections(rep, contracted, total(mine["received"]), total(mine["outstanding"]),
                          total(mine[mine["late"] > 0]["outstanding"]), pct(total(mine["received"]), contracted))


def _listed(rows: pd.DataFrame, days: str, descending: bool) -> list[Instalment]:
    listed = [Instalment(r["rep"], as_text(r["contract_id"]), as_text(r["customer"]), as_text(r["milestone"]),
                         r["planned_date"].date(), float(r["outstanding"]), int(r[days]))
              for r in rows.to_dict("records")]
    return sorted(listed, key=lambda i: (-i.days if descending else i.days, i.contract_id, i.due))
